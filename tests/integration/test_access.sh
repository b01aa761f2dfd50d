#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The engineer and operator API under attack (issue 12, findings 3, 4, 8, 10 and 11): the
# system of tools/lab with one SP, in namespaces of its own (prefix spgk-, state in a mktemp
# directory, EAL file prefix spgate-access), so it runs beside the lab and the other tests.
#
#   spgk-ws   workstation 198.51.100.10 (alice, bob and carol run spgatectl here); the
#             flooder uses a second address, 198.51.100.11, on the management link
#   spgk-gw   spgate-dp, spgate-control, FreeRADIUS
#   spgk-wan  the SP network; spgk-sp1: CK2001 with spgate-agent
#
# Each attack first, then what still works:
#   four eyes      carol requests CK3001 (globex: ask) and approves it herself: refused and
#                  audited with both names; the operator may not approve for globex either
#                  (its approvers is globex-approvers), but may deny
#   budgets        2,000 idle TCP connections from one source: the operator socket answers,
#                  alice from the workstation logs in, the flood is refused at once beyond
#                  engineer_api.max_per_source and the rest closed after handshake_timeout;
#                  spgate-control refuses to start when RLIMIT_NOFILE's hard limit is too low
#   revocation     a logged-out token and a user-revoked one are refused, also after a
#                  restart of spgate-control
#   workstation    a connect naming another workstation is refused and audited, until an
#                  operator's users[].may_name_workstations allows it
#   lines          alice (engineer) sees no customer and no session on any line; the
#                  operator does
#   second factor  (issue 16) dan's RADIUS server challenges: his password alone, or with a
#                  wrong code, is refused; tess enrols TOTP (mfa enroll / verify, codes from
#                  oathtool) and cannot enrol over it; her password alone, a wrong code or a
#                  replayed one gets no token; acme with mfa: required makes connect ask a
#                  fresh code (step-up) and refuses alice, who has none; an operator resets
#                  tess's factor, audited
#
# Each assertion prints PASS/FAIL; the last line is "N passed, N failed". Run as root, under
# flock /tmp/spgate-lock-access.
#
#   SPG_KEEP=1 tests/integration/test_access.sh    keep the state directory
#
# shellcheck disable=SC2016 # check "..." eval '...': evaluated when the check runs
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # read by topology.sh, agents.sh and control.sh
SPG_NS=spgk- SPG_N_SP=1 SPG_CONTROL=1 SPG_NAT_SPS=""
SPG_TEST=access
# shellcheck source=tests/integration/e2e/system.sh
. "$SPG_REPO/tests/integration/e2e/system.sh"

FLOODER=198.51.100.11 # a second source on the workstation's management link
FLOOD=2000
MAX_PER_SOURCE=16     # engineer_api.max_per_source's default
HANDSHAKE=5           # engineer_api.handshake_timeout's default

test_begin "$SPG_STATE" topo_destroy \
	spgate-control "$SPG_STATE/logs/control.out" 40

# ---- helpers ----

# audit_has PYTHON-CONDITION: some audit event e (detail d, a dict) satisfies it
audit_has() {
	op_ctl --json audit --limit 500 2>/dev/null | "$SPG_PY" -c '
import json, sys
j = json.load(sys.stdin)
evs = j.get("events", j) if isinstance(j, dict) else j
def det(e):
    d = e.get("detail")
    if isinstance(d, str):
        try:
            d = json.loads(d)
        except ValueError:
            d = {}
    return d or {}
sys.exit(0 if any(eval(sys.argv[1], {}, {"e": e, "d": det(e)}) for e in evs) else 1)' "$1"
}
eng_rc() { eng "$@" >/dev/null 2>&1; echo $?; } # eng_rc USER ARGS...: spgatectl's exit code
# error_of JSON: the error code of a refused call
error_of() { jv 'd.get("error", "none")'; }
# The lines of spgatectl --json lines: a list or {"lines": [...]}
LINES='(d.get("lines", []) if isinstance(d, dict) else d)'

# ---- preflight ----

[ "$(id -u)" -eq 0 ] || abort "the access test runs as root (namespaces, af_packet)"
need_built dataplane/spgate-dp tools/spgatectl/spgatectl control/spgate-control tools/agent/spgate-agent
need_tools freeradius nc openssl prlimit oathtool

# ---- the system ----

section "bringing up the system"
dp_config_make
topo_destroy >/dev/null 2>&1
topo_create >/dev/null || abort "the topology (workstation, gateway, WAN, 1 SP) is created"
if ! ip -n "$(topo_ns ws)" addr add "$FLOODER/32" dev ws-mgmt ||
	! ip -n "$(topo_ns gw)" route add "$FLOODER/32" dev gw-mgmt src "$SPG_MGMT"; then
	abort "the flooder's address $FLOODER is added on the management link"
fi
pki_make "$SPG_PKI" "$SPG_MGMT" "CK2001=$(topo_sp_local 1)" >/dev/null ||
	abort "pki.sh makes the CA, certificates and vendor key"
control_radius_start || abort "FreeRADIUS starts in $(topo_ns gw)"
topo_dp_start 60 >/dev/null || abort "spgate-dp starts in $(topo_ns gw)"
agents_start || abort "spgate-agent and the services start on the SP"
control_config_make || abort "the control plane's config passes --check-config"
control_start 60 || abort "spgate-control starts and answers on both APIs"
out=$(control_import "$SPG_REPO/config/lab-inventory.yaml" 2>&1)
check "the operator imports config/lab-inventory.yaml" grep -q "systems" <<<"$out"
for u in alice:alice-pw bob:bob-pw carol:carol-pw; do
	check "${u%%:*} logs in (FreeRADIUS signs its replies; Message-Authenticator required)" \
		quiet eng_login "${u%%:*}" "${u#*:}"
done

# ---- four eyes ----

section "four eyes"
out=$(eng carol --json connect CK3001 2>/dev/null)
ID=$(jv 'd["id"]' <<<"$out")
check "carol asks for CK3001 (globex: ask): session ${ID:-?} awaits approval" \
	[ "$(jv 'd["state"]' <<<"$out")" = awaiting_approval ]
out=$(eng carol --json approve "${ID:-0}" 2>/dev/null)
check "carol, in the approvers group, cannot approve her own request ($(error_of <<<"$out"))" \
	[ "$(error_of <<<"$out")" = forbidden ]
check "the refusal is audited with requester and approver both carol" \
	audit_has 'e["action"] == "approve" and e["result"] == "forbidden" and d.get("requester") == "carol" and d.get("approver") == "carol"'
check "the session still awaits approval" session_state_is carol "${ID:-0}" awaiting_approval
out=$(op_ctl --json approve "${ID:-0}" 2>/dev/null)
check "the operator may not approve for globex (approvers: globex-approvers) ($(error_of <<<"$out"))" \
	[ "$(error_of <<<"$out")" = forbidden ]
check "the operator may deny it" quiet op_ctl deny "${ID:-0}"
check "so it fails" wait_until 10 session_state_is carol "${ID:-0}" failed
check "the deny is audited with requester carol and approver the operator" \
	audit_has 'e["action"] == "deny" and e["result"] == "ok" and d.get("requester") == "carol" and d.get("approver") not in (None, "carol")'

# ---- listener budgets ----

section "listener budgets"
CTL_PID=$(cat "$SPG_STATE/pids/control.pid" 2>/dev/null)
ctl_fds() { find "/proc/$CTL_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
fds0=$(ctl_fds)
ip netns exec "$(topo_ns ws)" "$SPG_PY" "$SPG_REPO/tests/integration/access/api_flood.py" "$FLOODER" "$SPG_MGMT" \
	"$SPG_API_PORT" "$FLOOD" $((2 * HANDSHAKE + 8)) >"$SPG_STATE/flood.json" 2>"$SPG_STATE/flood.err" &
flood_pid=$!
# spgate-control's descriptors while the flood lasts: the most it ever held
(while kill -0 "$flood_pid" 2>/dev/null; do ctl_fds; sleep 0.1; done | sort -n | tail -1 >"$SPG_STATE/fds.max") &
sampler_pid=$!
sleep 1 # the 16 let in are held until handshake_timeout (5 s), the rest refused meanwhile
check "while $FLOOD idle connections come from $FLOODER, the operator socket answers" quiet op_ctl whoami
check "alice, from the workstation $SPG_W, logs in" quiet eng_login alice alice-pw
check "and lists her sessions" quiet eng alice sessions
[ -s "$SPG_STATE/flood.json" ] && echo "    (note: the flood had ended before these checks)"
timeout 60 bash -c "while kill -0 $flood_pid 2>/dev/null; do sleep 0.5; done"
wait "$flood_pid" "$sampler_pid" 2>/dev/null
f=$(cat "$SPG_STATE/flood.json" 2>/dev/null)
fmax=$(cat "$SPG_STATE/fds.max" 2>/dev/null)
echo "    flood: ${f:-no report ($(head -c 300 "$SPG_STATE/flood.err"))}; spgate-control's descriptors: $fds0 before, at most ${fmax:-?} during"
check "the flood's connections were made ($(jv 'd["connected"]' <<<"$f") of $FLOOD)" \
	eval '[ "$(jv "d[\"connected\"]" <<<"$f")" -ge $((FLOOD / 2)) ]'
check "spgate-control refused them beyond max_per_source, saying busy ($(jv 'd["refused_busy"]' <<<"$f"))" \
	eval '[ "$(jv "d[\"refused_busy\"]" <<<"$f")" -ge $((FLOOD / 4)) ]'
check "it never held more than max_per_source ($MAX_PER_SOURCE) of them, plus the operator's and alice's (descriptors $fds0 -> at most ${fmax:-?})" \
	eval '[ -n "$fmax" ] && [ "$fmax" -le $((fds0 + MAX_PER_SOURCE + 4)) ]'
check "those it let in and that said nothing were closed by the pre-authentication deadline, silently ($(jv 'd["closed_silent"]' <<<"$f"))" \
	eval '[ "$(jv "d[\"closed_silent\"]" <<<"$f")" -ge 1 ]'
check "after the flood spgate-control holds no more descriptors than before ($(ctl_fds) now)" \
	wait_until 10 eval '[ "$(ctl_fds)" -le $((fds0 + 1)) ]'
check "spgate-control is still running" control_alive
check "and says nothing of a spinning accept" not grep -q "refusing connections for" "$SPG_STATE/logs/control.out"
section "out of descriptors"
# ctl_cpu: spgate-control's user + system time, in clock ticks
ctl_cpu() { awk '{print $14 + $15}' "/proc/$CTL_PID/stat" 2>/dev/null; }
soft=$(awk '/Max open files/ {print $4}' "/proc/$CTL_PID/limits")
hard=$(awk '/Max open files/ {print $5}' "/proc/$CTL_PID/limits")
fds=$(ctl_fds)
prlimit --pid "$CTL_PID" --nofile=$((fds + 4)):"$hard" ||
	fail "prlimit lowers spgate-control's open-file limit to $((fds + 4))"
cpu0=$(ctl_cpu)
ip netns exec "$(topo_ns ws)" "$SPG_PY" "$SPG_REPO/tests/integration/access/api_flood.py" "$FLOODER" "$SPG_MGMT" \
	"$SPG_API_PORT" 40 4 >"$SPG_STATE/flood2.json" 2>"$SPG_STATE/flood2.err"
cpu=$(($(ctl_cpu) - cpu0))
echo "    flood of 40 with $((fds + 4)) descriptors allowed: $(cat "$SPG_STATE/flood2.json"); CPU $cpu ticks"
check "out of descriptors, accept says so and pauses instead of spinning (log)" \
	grep -q "Too many open files; refusing connections for" "$SPG_STATE/logs/control.out"
check "spgate-control used under a second of CPU in those 4 s ($cpu ticks; a spinning accept burns them all)" \
	[ "${cpu:-999}" -lt 100 ]
check "the connections it could not take were refused with a reason ($(jv 'd["refused_busy"]' <"$SPG_STATE/flood2.json") busy)" \
	eval '[ "$(jv "d[\"refused_busy\"]" <"$SPG_STATE/flood2.json")" -ge 1 ]'
prlimit --pid "$CTL_PID" --nofile="$soft":"$hard"
check "with descriptors back, the operator socket answers again" wait_until 10 quiet op_ctl whoami
check "and alice logs in" quiet eng_login alice alice-pw
out=$(ip netns exec "$(topo_ns gw)" prlimit --nofile=256:256 "$(control_bin)" --config "$SPG_STATE/control.yaml" 2>&1)
rc=$?
check "with RLIMIT_NOFILE's hard limit at 256, spgate-control refuses to start, naming the limit (exit $rc)" \
	eval '[ "$rc" != 0 ] && grep -q "RLIMIT_NOFILE 256" <<<"$out"'
echo "    $(head -1 <<<"$out")"
check "and the running one still answers" quiet op_ctl whoami

# ---- workstation ----

section "the workstation is the caller"
out=$(eng alice --json connect CK2001 --workstation 198.51.100.99 2>/dev/null)
check "alice's connect naming workstation 198.51.100.99 is refused ($(error_of <<<"$out"))" \
	[ "$(error_of <<<"$out")" = forbidden ]
check "and audited with the workstation named and the caller" \
	audit_has 'e["action"] == "connect" and e["result"] == "forbidden" and d.get("workstation") == "198.51.100.99" and d.get("caller") == "198.51.100.10"'
check "no session was created for it" eval '[ -z "$(my_session alice CK2001 awaiting_approval)$(my_session alice CK2001 active)$(my_session alice CK2001 dialing)" ]'
cat >"$SPG_STATE/jump.yaml" <<'YAML'
users:
  - { name: alice, groups: [storage-eu], may_name_workstations: [198.51.100.0/24] }
lines:
  - { id: acme1, type: network, region: eu, customer: acme }
YAML
check "the operator lets alice name workstations of 198.51.100.0/24 (users[].may_name_workstations)" \
	quiet control_import "$SPG_STATE/jump.yaml"
out=$(eng alice --json connect CK2001 --workstation 198.51.100.99 --wait --wait-timeout 60 2>/dev/null)
ID=$(jv 'd["id"]' <<<"$out")
check "now her connect naming 198.51.100.99 goes through (session ${ID:-?}, $(jv 'd.get("state", d.get("error"))' <<<"$out"))" \
	eval '[ "$(jv "d[\"state\"]" <<<"$out")" = active ] && [ "$(jv "d[\"workstation\"]" <<<"$out")" = 198.51.100.99 ]'

# ---- lines ----

section "lines"
mine=$(eng alice --json lines 2>/dev/null)
# shellcheck disable=SC2034 # read by the check's eval
ops=$(op_ctl --json lines 2>/dev/null)
check "alice (engineer) sees the lines ($(jv "len($LINES)" <<<"$mine"))" \
	eval '[ "$(jv "len($LINES)" <<<"$mine")" -ge 7 ]'
check "but no customer, session or last result on any of them" \
	eval '[ "$(jv "any(k in l for l in $LINES for k in (\"customer\", \"session\", \"last_result\"))" <<<"$mine")" = false ]'
check "the operator sees line acme1's customer and session ${ID:-?}'s line" \
	eval '[ "$(jv "any(l.get(\"customer\") == \"acme\" for l in $LINES) and any(str(l.get(\"session\")) == \"${ID:-x}\" for l in $LINES)" <<<"$ops")" = true ]'
[ -n "$ID" ] && eng alice disconnect "$ID" >/dev/null 2>&1

# ---- revocation ----

section "revocation"
cp "$SPG_STATE/tokens/alice" "$SPG_STATE/tokens/alice-copy"
check "alice logs out" quiet eng alice logout
rc=$(eng_rc alice-copy whoami)
check "her token, kept aside, is refused from now on (exit $rc: not logged in)" [ "$rc" = 4 ]
check "the logout is audited" audit_has 'e["action"] == "logout" and e["actor"] == "alice"'
check "bob's token works before the revoke" quiet eng bob whoami
check "the operator revokes bob's tokens (spgatectl user revoke bob)" quiet op_ctl user revoke bob
rc=$(eng_rc bob whoami)
check "bob's token is refused (exit $rc)" [ "$rc" = 4 ]
control_stop
control_start 60 || abort "spgate-control starts again"
rc=$(eng_rc alice-copy whoami)
check "after a restart of spgate-control, alice's logged-out token is still refused (exit $rc)" [ "$rc" = 4 ]
rc=$(eng_rc bob whoami)
check "and bob's revoked token too (exit $rc)" [ "$rc" = 4 ]
sleep 1 # a login in the revocation's second would be revoked too
check "bob logs in again and works: a revoke ends tokens, it does not lock the account" \
	eval 'quiet eng_login bob bob-pw && quiet eng bob whoami'
check "carol's token was never touched" quiet eng carol whoami

# ---- second factor ----

section "second factor"
TOTP_LAST=0
# totp_next SECRET: CODE = a code of a step after the last one used here (the server takes
# each once), of now or the next step (within its +-1 window), waiting when none is left.
# Not in a $(...): TOTP_LAST must stay set.
totp_next() {
	local target=$(($(date +%s) / 30))
	[ "$TOTP_LAST" -ge "$target" ] && target=$((TOTP_LAST + 1))
	while [ "$target" -gt $(($(date +%s) / 30 + 1)) ]; do sleep 1; done
	TOTP_LAST=$target
	CODE=$(oathtool --totp -b "$1" -N "@$((target * 30))")
}
# The lab's auth.lockout allows 5 failures a minute per source, and every wrong password or
# code below comes from the workstation: the section makes 4.
# otp_login USER PASSWORD CODE...: logs USER in answering the prompts with CODEs (--otp-file)
otp_login() {
	local user=$1 pw=$2
	shift 2
	if [ $# -gt 0 ]; then printf '%s\n' "$@"; fi >"$SPG_STATE/otp.$user"
	SPGATE_PASSWORD=$pw eng "$user" login --user "$user" --otp-file "$SPG_STATE/otp.$user"
}
DAN_SECRET=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ # tools/lab/control.sh's dan, checked by rlm_totp
rc=$(otp_login dan dan-pw >/dev/null 2>&1; echo $?)
check "dan's password alone gets no token: his RADIUS server challenges, and no answer is given (exit $rc)" \
	eval '[ "$rc" != 0 ] && [ "$(eng_rc dan whoami)" = 4 ]'
rc=$(otp_login dan dan-pw 000000 >/dev/null 2>&1; echo $?)
check "dan's password and a wrong code are refused (exit $rc)" [ "$rc" = 1 ]
check "the refusal is audited as the challenge's factor failing" \
	audit_has 'e["action"] == "login" and e["target"] == "dan" and e["result"] == "failed" and d.get("factor") == "radius-challenge"'
check "dan's password and the code from oathtool log him in (spgatectl answers the Access-Challenge)" \
	quiet otp_login dan dan-pw "$(oathtool --totp -b "$DAN_SECRET")"
check "his token says which second factor he passed" \
	eval '[ "$(eng dan --json whoami 2>/dev/null | jv "d.get(\"second_factor\")")" = radius-challenge ]'

check "tess logs in with her local password (no factor enrolled yet)" quiet eng_login tess tess-lab-pw
enr=$(eng tess --json mfa enroll 2>/dev/null)
SECRET=$(jv 'd["secret"]' <<<"$enr")
check "tess enrols a TOTP factor: an otpauth:// URI and its secret" \
	eval '[[ "$(jv "d[\"uri\"]" <<<"$enr")" == otpauth://totp/spgate:tess\?secret=* ]] && [ -n "$SECRET" ]'
check "the QR code is drawn for people" eval 'eng tess mfa enroll 2>/dev/null | grep -q "\(▀\|▄\|█\)"'
enr=$(eng tess --json mfa enroll 2>/dev/null) # the secret of the enrolment that counts
SECRET=$(jv 'd["secret"]' <<<"$enr")
totp_next "$SECRET"
check "the code from oathtool confirms the enrolment (a wrong one: test_mfa_api)" quiet eng tess mfa verify "$CODE"
rc=$(eng_rc tess mfa enroll)
check "tess cannot enrol over her factor (exit $rc): only an operator can reset it" [ "$rc" = 1 ]
rm -f "$SPG_STATE/tokens/tess"
rc=$(otp_login tess tess-lab-pw >/dev/null 2>&1; echo $?)
check "her password alone gets no token now (exit $rc)" eval '[ "$rc" != 0 ] && [ "$(eng_rc tess whoami)" = 4 ]'
rc=$(otp_login tess tess-lab-pw 123456 >/dev/null 2>&1; echo $?)
check "her password and a wrong code are refused (exit $rc)" [ "$rc" = 1 ]
totp_next "$SECRET"
check "her password and a fresh code log her in" quiet otp_login tess tess-lab-pw "$CODE"
rc=$(otp_login tess tess-lab-pw "$CODE" >/dev/null 2>&1; echo $?)
check "the same code a second time is refused: codes are single-use (exit $rc)" [ "$rc" = 1 ]
check "the refusal is audited as a totp failure" \
	audit_has 'e["action"] == "login" and e["target"] == "tess" and e["result"] == "failed" and d.get("factor") == "totp"'
totp_next "$SECRET"
check "tess logs in again with the next code" quiet otp_login tess tess-lab-pw "$CODE"

cat >"$SPG_STATE/mfa.yaml" <<'YAML'
customers:
  - { name: acme, approval_policy: auto, mfa: required }
YAML
check "the operator makes acme require a second factor (customers[].mfa: required)" \
	quiet control_import "$SPG_STATE/mfa.yaml"
: >"$SPG_STATE/otp.none"
out=$(eng tess --json connect CK2001 --otp-file "$SPG_STATE/otp.none" 2>/dev/null)
check "tess's connect to CK2001 with no code to give is refused: a step-up (mfa_step_up; lab mfa_max_age 0)" \
	[ "$(error_of <<<"$out")" = mfa_step_up ]
check "the step-up is audited" audit_has 'e["action"] == "step_up" and e["target"] == "CK2001" and e["result"] == "asked"'
printf '000000\n' >"$SPG_STATE/otp.wrong"
out=$(eng tess --json connect CK2001 --otp-file "$SPG_STATE/otp.wrong" 2>/dev/null)
check "with a wrong code it is refused ($(error_of <<<"$out"))" [ "$(error_of <<<"$out")" = auth_failed ]
totp_next "$SECRET"
echo "$CODE" >"$SPG_STATE/otp.step"
out=$(eng tess --json connect CK2001 --otp-file "$SPG_STATE/otp.step" --wait --wait-timeout 60 2>/dev/null)
ID=$(jv 'd["id"]' <<<"$out")
check "with a fresh code spgatectl connect asks for, the session comes up (session ${ID:-?}, $(jv 'd.get("state", d.get("error"))' <<<"$out"))" \
	[ "$(jv 'd["state"]' <<<"$out")" = active ]
[ -n "$ID" ] && eng tess disconnect "$ID" >/dev/null 2>&1
quiet eng_login alice alice-pw # she logged out above
rc=$(eng_rc alice connect CK2001)
check "alice (RADIUS, no second factor) cannot reach acme now (exit $rc)" [ "$rc" = 1 ]
out=$(eng alice --json connect CK2001 2>/dev/null)
check "she is told to enrol one ($(error_of <<<"$out"))" [ "$(error_of <<<"$out")" = forbidden ]
cat >"$SPG_STATE/mfa.yaml" <<'YAML'
customers:
  - { name: acme, approval_policy: auto }
YAML
check "acme back to no requirement" quiet control_import "$SPG_STATE/mfa.yaml"
check "the operator resets tess's factor (spgatectl --operator mfa reset tess)" quiet op_ctl mfa reset tess
check "the reset is audited" audit_has 'e["action"] == "mfa_reset" and e["target"] == "tess" and e["result"] == "ok"'
check "tess logs in with her password alone again, and may enrol anew" \
	eval 'quiet eng_login tess tess-lab-pw && eng tess --json mfa enroll 2>/dev/null | grep -q otpauth'

section "the end"
check "spgate-control, spgate-dp and the agent are still running" \
	eval 'control_alive && topo_dp_alive && topo_pid_alive agent1'
