#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The web console (issue 18) in a real browser, against the real processes: the system of
# tools/lab with one SP (CK3001, globex: approval policy ask), in namespaces of its own (prefix
# spgw-, EAL prefix spgate-web), spgate-control serving the console on $SPG_MGMT:9443, and
# headless Debian chromium driven by playwright-core (tests/web/console.test.js) from the
# workstation's namespace:
#
#   - plain HTTP to the console's port gets no HTTP answer (TLS only); one address gets at
#     most engineer_api.max_per_source connections;
#   - a RADIUS Access-Challenge (dan) in the console's login: a wrong code refused, the
#     right one gets a session;
#   - the attacks first (console.test.js approver): a form post, a wrong password, an approve
#     without the CSRF token, with another session's token, without the cookie, by the
#     approver of another customer; the security headers and the cookie's attributes;
#   - bob connects to CK3001 with a reason in the background; gina (globex-approvers) logs in
#     in the browser, sees his request with the reason, approves it in a confirm dialog; bob's
#     connect goes on and CK3001 answers through his virtual address;
#   - ada (acme-approvers) sees nothing of globex; carol (support-admins: an operator in the
#     console) sees the live session with counters, the lines, the audit trail filtered, and
#     disconnects the session after a confirm dialog; logout revokes the cookie;
#   - gina downloads the session's recording, sealed to globex's certificate (the audited
#     hash; globex's key opens it, another does not; ada cannot download it);
#   - guessing a password through the console hits the API's lockout (429).
#
# Screenshots of each page: build/web-artifacts/*.png (kept after the run).
# Run as root; lock: flock /tmp/spgate-lock-web bash tests/integration/test_web.sh
#   SPG_KEEP=1 ...   keep the state directory (logs, db)
# shellcheck disable=SC2016
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # read by topology.sh, agents.sh, control.sh
SPG_NS=spgw- SPG_N_SP=1 SPG_CONTROL=1 SPG_SERIALS=CK3001 SPG_NAT_SPS=
SPG_TEST=web
# shellcheck source=tests/integration/e2e/system.sh
. "$SPG_REPO/tests/integration/e2e/system.sh"

WEB_PORT=9443
WEB_URL=https://$SPG_MGMT:$WEB_PORT
ARTIFACTS=$SPG_REPO/build/web-artifacts
REASON="SR-4711: replace the failed disk in shelf 2 (web test $$)"
bg_pids=()

# The lab's RADIUS users, with gina who approves for globex (the lab inventory's
# globex-approvers), and ada, the approver for acme (a group this test's inventory adds).
eval "lab_$(declare -f radius_users)"
radius_users() {
	lab_radius_users
	cat <<'USERS'

ada	Cleartext-Password := "ada-pw"
	Class = "acme-approvers"
USERS
}

teardown() {
	local p
	for p in "${bg_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	topo_destroy
}
test_begin "$SPG_STATE" teardown spgate-control "$SPG_STATE/logs/control.out" 40 \
	spgate-dp "$SPG_STATE/logs/dp.out" 20

[ "$(id -u)" -eq 0 ] || abort "the web test runs as root (namespaces, af_packet)"
need_built dataplane/spgate-dp tools/spgatectl/spgatectl control/spgate-control tools/agent/spgate-agent
need_tools freeradius openssl nc curl node chromium oathtool
[ -d "$SPG_REPO/tests/web/node_modules/playwright-core" ] ||
	abort "playwright-core is installed in tests/web (tools/setup.sh runs npm ci --prefix tests/web)"

# console.test.js PHASE in the workstation's namespace; its PASS:/FAIL: lines count here
browser_phase() {
	local line
	while IFS= read -r line; do
		case $line in
		PASS:*) pass "${line#PASS: }" ;;
		FAIL:*) fail "${line#FAIL: }" ;;
		*) echo "$line" ;;
		esac
	done < <(ip netns exec "$(topo_ns ws)" env SPG_WEB_URL="$WEB_URL" SPG_WEB_ARTIFACTS="$ARTIFACTS" \
		SPG_SERIAL=CK3001 SPG_REASON="$REASON" NODE_EXTRA_CA_CERTS="$SPG_PKI/ca.crt" HOME="$SPG_STATE" \
		timeout 180 node "$SPG_REPO/tests/web/console.test.js" "$1" 2>&1)
}

# ---- the system ----

section "bringing up the system"
dp_config_make
topo_destroy >/dev/null 2>&1
topo_create >/dev/null || abort "the topology (workstation, gateway, WAN, one SP) is created"
pki_make "$SPG_PKI" "$SPG_MGMT" "$(agent_serial 1)=$(topo_sp_local 1)" || abort "pki.sh makes the lab PKI"
pki_recording "$SPG_PKI" globex || abort "pki.sh makes globex's recording certificate"
pki_recording "$SPG_PKI" other || abort "and another customer's, whose key must not open globex's recordings"
control_radius_start || abort "FreeRADIUS starts"
topo_dp_start 60 >/dev/null || abort "spgate-dp starts"
agents_start || abort "spgate-agent and the services start on SP 1 (CK3001)"
control_config_make || abort "the control plane's config checks"
control_web_config "$WEB_PORT" 10m # the console (tools/lab/control.sh)
check "the config with a web: section passes --check-config" \
	quiet "$(control_bin)" --check-config "$SPG_STATE/control.yaml"
sed -e "s|^\(  static_dir:\).*|\1 $SPG_STATE/no-pages|" "$SPG_STATE/control.yaml" >"$SPG_STATE/bad-web.yaml"
out=$("$(control_bin)" --check-config "$SPG_STATE/bad-web.yaml" 2>&1)
check "--check-config refuses a web.static_dir without the pages, naming it ($out)" \
	eval '[[ $out == *"web.static_dir $SPG_STATE/no-pages"* ]]'
control_start 60 || abort "spgate-control starts"
check "spgate-control says it serves the console" grep -q "web console on https://$SPG_MGMT:$WEB_PORT/" \
	"$SPG_STATE/logs/control.out"
# CK3001 is SP 1 here; acme gets an approvers group of its own (ada's)
sed -e "s|{ name: acme, approval_policy: auto }|{ name: acme, approval_policy: auto, approvers: acme-approvers }|" \
	-e "s|{ name: globex, approval_policy: ask, approvers: globex-approvers }|{ name: globex, approval_policy: ask, approvers: globex-approvers, recording: on, recording_cert: $SPG_PKI/globex-recording.crt }|" \
	-e "s|address: 203.0.113.14|address: 203.0.113.99|" \
	-e "s|\(serial: CK3001.*address: \)203.0.113.99|\1$(topo_sp_addr 1)|" \
	-e "s|\(serial: CK2001.*address: \)$(topo_sp_addr 1)|\1203.0.113.14|" \
	-e "s|  - { name: operators-local }|  - { name: operators-local }\n  - { name: acme-approvers }|" \
	"$SPG_REPO/config/lab-inventory.yaml" >"$SPG_STATE/inventory.yaml"
out=$(control_import "$SPG_STATE/inventory.yaml" 2>&1)
check "the operator imports the inventory (CK3001 on SP 1 and recorded, acme-approvers)" grep -q "customers *2" <<<"$out"

# ---- refusals first ----

section "TLS only"
out=$(ip netns exec "$(topo_ns ws)" curl -s -m 5 -o /dev/null -w '%{http_code}' "http://$SPG_MGMT:$WEB_PORT/" 2>&1)
rc=$?
check "plain HTTP to the console's port gets no HTTP answer (curl exit $rc, status ${out:-none})" \
	eval '[ "$rc" != 0 ] && [ "${out:-000}" = 000 ]'
code=$(ip netns exec "$(topo_ns ws)" curl -s -m 5 --cacert "$SPG_PKI/ca.crt" -o /dev/null -w '%{http_code}' \
	"$WEB_URL/" 2>/dev/null)
check "HTTPS with the lab CA serves the page (status $code)" [ "$code" = 200 ]

section "the engineer API's per-source cap"
# engineer_api.max_per_source (16 by default) connections from one address, each holding a
# request answered; one more is refused with 503 and the others still work
statuses=$(ip netns exec "$(topo_ns ws)" timeout 30 "$SPG_PY" - "$SPG_MGMT" "$WEB_PORT" "$SPG_PKI/ca.crt" <<'PY' 2>&1
import http.client, ssl, sys
host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ctx = ssl.create_default_context(cafile=ca)
ctx.check_hostname = False
conns, out = [], []
def status(c):
    c.request("GET", "/api/me")
    r = c.getresponse()
    r.read()
    return str(r.status)
for i in range(17):
    c = http.client.HTTPSConnection(host, port, context=ctx, timeout=5)
    conns.append(c)
    out.append(status(c))
out.append(status(conns[0]))
print(" ".join(out))
PY
)
check "16 connections from one address are served (401: no cookie), the 17th gets 503, the first still works ($statuses)" \
	eval '[ "$statuses" = "$(printf "401 %.0s" {1..16})503 401" ]'

# web_post PATH JSON [HEADERS-FILE]: a POST to the console from the workstation; the body
web_post() {
	ip netns exec "$(topo_ns ws)" curl -s -m 10 --cacert "$SPG_PKI/ca.crt" -H 'Content-Type: application/json' \
		-D "${3:-/dev/null}" -d "$2" "$WEB_URL$1" 2>/dev/null
}

section "a second factor in the console's login"
out=$(web_post /api/login '{"user":"dan","password":"dan-pw"}' "$SPG_STATE/h1")
cid=$(jv 'd["challenge"]["id"]' <<<"$out")
check "dan's password alone gets no session, a RADIUS challenge ($(jv 'd["challenge"]["factor"]' <<<"$out"))" \
	eval '[ -n "$cid" ] && ! grep -qi "^set-cookie" "$SPG_STATE/h1"'
out=$(web_post /api/login "{\"user\":\"dan\",\"challenge\":\"$cid\",\"response\":\"000000\"}" "$SPG_STATE/h2")
check "a wrong code is refused in words ($(jv 'd["message"]' <<<"$out"))" \
	eval 'grep -q "^HTTP/1.1 401" "$SPG_STATE/h2" && ! grep -qi "^set-cookie" "$SPG_STATE/h2"'
out=$(web_post /api/login '{"user":"dan","password":"dan-pw"}')
cid=$(jv 'd["challenge"]["id"]' <<<"$out")
code=$(oathtool --totp -b GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ)
out=$(web_post /api/login "{\"user\":\"dan\",\"challenge\":\"$cid\",\"response\":\"$code\"}" "$SPG_STATE/h3")
check "the authenticator's code gets dan a console session (cookie set)" \
	eval 'grep -q "^HTTP/1.1 200" "$SPG_STATE/h3" && grep -qi "^set-cookie: spgate_session=" "$SPG_STATE/h3"'

# ---- bob asks, gina approves in the browser ----

section "an approval in the browser"
check "bob logs in" quiet eng_login bob bob-pw
(eng bob --json connect CK3001 --reason "$REASON" --wait --wait-timeout 120 >"$SPG_STATE/ask.json" \
	2>"$SPG_STATE/ask.err"
	echo $? >"$SPG_STATE/ask.rc") &
bg_pids+=("$!")
check "bob's connect to CK3001 (globex: ask) waits for approval" \
	wait_until 15 has_session bob CK3001 awaiting_approval
id=$(my_session bob CK3001 awaiting_approval)
rm -rf "$ARTIFACTS"
browser_phase approver
wait_until 40 rc_file_exists "$SPG_STATE/ask.rc"
state=$(jf "$SPG_STATE/ask.json" 'd["state"]')
check "bob's connect goes on and ends active (exit $(cat "$SPG_STATE/ask.rc" 2>/dev/null), state ${state:-?})" \
	eval '[ "$(cat "$SPG_STATE/ask.rc" 2>/dev/null)" = 0 ] && [ "$state" = active ]'
V=$(jf "$SPG_STATE/ask.json" 'd["virtual_address"]')
check "CK3001 answers through bob's virtual address ${V:-?} (sp1's service on 7000)" \
	fetch_is "${V:-0.0.0.0}" 7000 sp1
check "the audit trail names gina as the approver of session $id" \
	eval 'op_ctl audit --limit 1000 2>/dev/null | grep -E "approve" | grep -q gina'

# ---- other customer, operator ----

section "scope and the operator's pages"
browser_phase operator
check "the operator's disconnect ended bob's session" wait_until 15 session_state_is bob "$id" closed

section "the approver downloads the sealed recording"
rec_field() { op_ctl --json recordings --session "$id" 2>/dev/null | jv "d[0][\"$1\"]"; }
rec_done() { [[ " complete incomplete failed " == *" $(rec_field state) "* ]]; }
wait_until 20 rec_done
if [ "$(rec_field state)" != complete ]; then
	skip "no complete recording to download (state $(rec_field state): $(rec_field error))"
else
	browser_phase recording
	sha=$(rec_field sha256)
	check "the downloaded file is the recording whose SHA-256 is audited (${sha:0:16}...)" \
		eval '[ "$(sha256sum <"$ARTIFACTS/recording.p7m" | cut -d" " -f1)" = "$sha" ]'
	check "the download is audited as gina's recording_export" \
		eval 'op_ctl audit --limit 1000 2>/dev/null | grep -E "recording_export" | grep -q gina'
	check "another customer's key does not open it" \
		not openssl cms -decrypt -inform DER -in "$ARTIFACTS/recording.p7m" \
		-inkey "$SPG_PKI/other-recording.key" -out "$SPG_STATE/other.pcapng"
	check "globex's key opens it" quiet openssl cms -decrypt -inform DER -in "$ARTIFACTS/recording.p7m" \
		-inkey "$SPG_PKI/globex-recording.key" -out "$SPG_STATE/rec.pcapng"
fi
check "screenshots of each page are in $ARTIFACTS" \
	eval 'n=$(ls "$ARTIFACTS"/*.png 2>/dev/null | wc -l); [ "$n" -ge 8 ]'

# last: it locks the workstation's address out of logins for auth.lockout.window
section "guessing passwords"
codes=""
for i in 1 2 3 4 5 6; do
	web_post /api/login "{\"user\":\"gina\",\"password\":\"guess-$i\"}" "$SPG_STATE/g$i" >/dev/null
	codes+="$(awk 'NR == 1 { print $2 }' "$SPG_STATE/g$i") "
done
check "guessing gina's password through the console hits the API's lockout (statuses: $codes)" \
	eval '[[ $codes == *"429 "* ]]'
out=$(web_post /api/login '{"user":"gina","password":"gina-pw"}' "$SPG_STATE/g7")
check "then even her right password is refused for now, in words ($(jv 'd["message"]' <<<"$out"))" \
	eval 'grep -q "^HTTP/1.1 429" "$SPG_STATE/g7" && ! grep -qi "^set-cookie" "$SPG_STATE/g7"'
check "the lockout is audited as rate_limited" \
	eval 'op_ctl audit --limit 1000 2>/dev/null | grep -E "login" | grep -q rate_limited'
echo "screenshots: $ARTIFACTS"
