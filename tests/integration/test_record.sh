#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Session recordings and a reason for every session (issue 15) through the real processes:
# the system of tools/lab with one SP, in namespaces of its own (prefix spgr-, EAL prefix
# spgate-record), driven through spgatectl, openssl and tshark:
#
#   - a customer with require_reason refuses a connect without --reason;
#   - `recording: required` with a recordings directory spgate-dp cannot write (a read-only
#     tmpfs) refuses the session, naming why;
#   - a recorded session: the workstation sends a unique marker over TCP to the SP, which
#     echoes it; after the disconnect the recording is sealed (CMS) to the customer's
#     certificate, its SHA-256 is in the audit trail, the engineer may list but not export it,
#     the operator exports it; `openssl cms -decrypt` opens it with the customer's key and
#     not with another; tshark reads the marker both ways and capinfos the metadata.
#
# spgate-dp's recording half is built on another branch: while spgate-dp answers SESSION_RECORD
# with EOPNOTSUPP this script says SKIP and exits 77 (tools/test.sh records a SKIP).
# Run as root; lock: flock /tmp/spgate-lock-record bash tests/integration/test_record.sh
#   SPG_KEEP=1 ...   keep the state directory (logs, recordings, db)
# shellcheck disable=SC2016
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck disable=SC2034 # read by topology.sh, agents.sh, control.sh
SPG_NS=spgr- SPG_N_SP=1 SPG_CONTROL=1 SPG_NAT_SPS=
SPG_TEST=record
# shellcheck source=tests/integration/e2e/system.sh
. "$SPG_REPO/tests/integration/e2e/system.sh"

RO_DIR=$SPG_STATE/ro-recordings
REC_DIR=$SPG_STATE/recordings
teardown() {
	umount "$RO_DIR" 2>/dev/null
	topo_destroy
}
test_begin "$SPG_STATE" teardown spgate-control "$SPG_STATE/logs/control.out" 30 \
	spgate-dp "$SPG_STATE/logs/dp.out" 20

[ "$(id -u)" -eq 0 ] || abort "the recording test runs as root (namespaces, af_packet, mount)"
need_built dataplane/spgate-dp tools/spgatectl/spgatectl control/spgate-control tools/agent/spgate-agent
need_tools freeradius openssl tshark capinfos nc

# control.yaml with recordings.dir DIR
control_config_rec() {
	rm -f "$SPG_STATE/control.yaml"
	control_config_make -e "s|^\([[:space:]]*dir:\).*recordings.*|\1 $1|"
}

# ---- the system ----

section "bringing up the system"
mkdir -p "$RO_DIR" "$REC_DIR" && chmod 700 "$REC_DIR"
# mounted before spgate-dp starts, so that its mount namespace (ip netns exec) has it too
mount -t tmpfs -o ro,mode=0700,size=1m spgr-ro "$RO_DIR" || abort "a read-only tmpfs is mounted on $RO_DIR"
dp_config_make
topo_destroy >/dev/null 2>&1
topo_create >/dev/null || abort "the topology (workstation, gateway, WAN, one SP) is created"
pki_make "$SPG_PKI" "$SPG_MGMT" "$(agent_serial 1)=$(topo_sp_local 1)" || abort "pki.sh makes the lab PKI"
pki_recording "$SPG_PKI" acme || abort "pki.sh makes acme's recording certificate"
pki_recording "$SPG_PKI" other || abort "and another customer's, whose key must not open acme's recordings"
control_radius_start || abort "FreeRADIUS starts"
topo_dp_start 60 >/dev/null || abort "spgate-dp starts"
agents_start || abort "spgate-agent and the services start on SP 1"
# SP 1 echoes on 8080 (a granted port) instead of naming itself: the marker comes back
topo_stop svc1_8080
topo_spawn echo1 "$(topo_ns sp1)" "$SPG_PY" -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 8080)); s.listen(8)
while True:
    c, _ = s.accept(); c.settimeout(5)
    try:
        c.sendall(c.recv(4096))
    except OSError:
        pass
    c.close()'
control_config_rec "$RO_DIR" || abort "the control plane's config (recordings.dir on the read-only tmpfs) checks"
control_start 60 || abort "spgate-control starts"
sed -e "s|{ name: acme, approval_policy: auto }|{ name: acme, approval_policy: auto, recording: required, recording_cert: $SPG_PKI/acme-recording.crt, require_reason: true }|" \
	"$SPG_REPO/config/lab-inventory.yaml" >"$SPG_STATE/inventory.yaml"
out=$(control_import "$SPG_STATE/inventory.yaml" 2>&1)
check "the operator imports the lab inventory with acme: recording required, sealed, reason required" \
	grep -q "customers *2" <<<"$out"
check "alice logs in" quiet eng_login alice alice-pw

# ---- refusals first ----

section "a reason for every session"
out=$(eng alice --json connect CK2001 2>/dev/null)
rc=$?
check "alice's connect to CK2001 without --reason is refused (exit $rc, error '$(jv 'd["error"]' <<<"$out")')" \
	eval '[ "$rc" = 1 ] && [ "$(jv "d[\"error\"]" <<<"$out")" = reason_required ]'
check "and no session was created" eval '[ -z "$(my_session alice CK2001 active)" ]'

section "required recording, unwritable directory"
out=$(eng alice --json connect CK2001 --reason "probe the recorder" --wait --wait-timeout 60 2>/dev/null)
state=$(jv 'd.get("session", d)["state"]' <<<"$out")
reason=$(jv 'd.get("session", d)["reason"]' <<<"$out")
if [[ $reason == *"cannot record sessions"* ]]; then
	skip "spgate-dp answers EOPNOTSUPP to SESSION_RECORD (its recording half is not in this build): '$reason'"
	trap - EXIT
	teardown >/dev/null 2>&1
	[ "${SPG_KEEP:-0}" = 1 ] || rm -rf "$SPG_STATE"
	echo "$n_pass passed, $n_fail failed, 1 skipped"
	exit 77
fi
check "a required recording spgate-dp cannot write (read-only $RO_DIR) refuses the session (state $state)" \
	[ "$state" = failed ]
check "naming why: '$reason'" eval '[[ $reason == *"requires a recording"* && $reason == *"Read-only"* ]]'

# ---- a recorded session ----

section "a recorded session"
control_stop
control_config_rec "$REC_DIR" || abort "the control plane's config with a writable recordings.dir checks"
control_start 60 || abort "spgate-control starts again"
marker="SPGR-MARKER-$$-$RANDOM$RANDOM"
out=$(eng alice --json connect CK2001 --reason "issue 15 marker $marker" --wait --wait-timeout 60 2>/dev/null)
sid=$(jv 'd.get("session", d)["id"]' <<<"$out")
v=$(jv 'd.get("session", d)["virtual_address"]' <<<"$out")
check "alice's connect with a reason ends active and recorded (session $sid, $(jv 'd.get("session", d)["state"]' <<<"$out"))" \
	eval '[ "$(jv "d.get(\"session\", d)[\"state\"]" <<<"$out")" = active ] && [ "$(jv "d.get(\"session\", d)[\"recorded\"]" <<<"$out")" = true ]'
got=$(ip netns exec "$(topo_ns ws)" timeout 6 "$SPG_PY" -c '
import socket, sys
s = socket.create_connection((sys.argv[1], 8080), timeout=4)
s.sendall(sys.argv[2].encode()); print(s.recv(4096).decode())' "$v" "$marker" 2>/dev/null)
check "the workstation sends $marker to the SP over TCP and gets it back" [ "$got" = "$marker" ]
check "spgatectl dp session show says the session is recording ($(topo_ctl dp session show "$sid" 2>/dev/null | grep '^recording'))" \
	eval 'topo_ctl dp session show "$sid" 2>/dev/null | grep -Eq "^recording +on, [0-9]+ packets, 0 dropped"'
eng alice disconnect "$sid" >/dev/null 2>&1
check "alice disconnects; the session ends closed" wait_until 15 session_state_is alice "$sid" closed
# spgatectl --json recordings prints the array
recs=$(op_ctl --json recordings --session "$sid" 2>/dev/null)
rid=$(jv 'd[0]["id"]' <<<"$recs")
sha=$(jv 'd[0]["sha256"]' <<<"$recs")
rec_state=$(jv 'd[0]["state"] + " sealed=" + str(d[0]["sealed"]).lower()' <<<"$recs")
check "its recording is listed complete and sealed (recording $rid: $rec_state)" \
	[ "$rec_state" = "complete sealed=true" ]
check "only the sealed file is kept under recordings.dir (no plaintext .pcapng)" \
	eval '[ -z "$(find "$REC_DIR" -name "*.pcapng")" ] && [ -n "$(find "$REC_DIR" -name "*.pcapng.p7m")" ]'
check "its SHA-256 is in the audit trail ($sha)" eval 'op_ctl audit --limit 1000 2>/dev/null | grep -q "$sha"'
check "the audit trail has the reason" eval 'op_ctl audit --limit 1000 2>/dev/null | grep -q "$marker"'
mine=$(eng alice --json recordings 2>/dev/null | jv '[str(r["session"]) + ":" + r["state"] for r in d]')
check "alice lists the recordings of her sessions: this one, and the failed one of the refused session ($mine)" \
	eval '[[ ,$mine, == *",$sid:complete,"* && $mine == *":failed"* ]]'
eng alice recording export "$rid" >"$SPG_STATE/alice.p7m" 2>"$SPG_STATE/alice-export.err"
rc=$?
check "but may not export it (exit $rc: '$(head -1 "$SPG_STATE/alice-export.err")')" \
	eval '[ "$rc" = 1 ] && [ ! -s "$SPG_STATE/alice.p7m" ]'
op_ctl recording export "$rid" >"$SPG_STATE/rec.p7m" 2>/dev/null
check "the operator exports it; its SHA-256 is the audited one" \
	eval '[ "$(sha256sum <"$SPG_STATE/rec.p7m" | cut -d" " -f1)" = "$sha" ]'
check "another key does not open it (openssl cms -decrypt -inkey other-recording.key)" \
	not openssl cms -decrypt -inform DER -in "$SPG_STATE/rec.p7m" -inkey "$SPG_PKI/other-recording.key" \
	-out "$SPG_STATE/other.pcapng"
check "acme's key opens it (openssl cms -decrypt -inkey acme-recording.key)" \
	quiet openssl cms -decrypt -inform DER -in "$SPG_STATE/rec.p7m" -inkey "$SPG_PKI/acme-recording.key" \
	-out "$SPG_STATE/rec.pcapng"
ws_to_sp=$(tshark -r "$SPG_STATE/rec.pcapng" -Y "tcp.payload contains \"$marker\" && ip.src == $SPG_W" 2>/dev/null | wc -l)
sp_to_ws=$(tshark -r "$SPG_STATE/rec.pcapng" -Y "tcp.payload contains \"$marker\" && ip.src != $SPG_W" 2>/dev/null | wc -l)
check "tshark -r shows the marker from the workstation ($ws_to_sp) and back from the SP ($sp_to_ws)" \
	eval '[ "$ws_to_sp" -ge 1 ] && [ "$sp_to_ws" -ge 1 ]'
meta_has() { # meta_has LINE...: capinfos -k (the section header's comments) has every LINE
	local meta line
	meta=$(capinfos -k "$SPG_STATE/rec.pcapng" 2>/dev/null)
	for line in "$@"; do
		grep -qF "$line" <<<"$meta" || return 1
	done
}
check "its section header holds the metadata (session $sid, alice, CK2001, acme, the reason)" \
	meta_has "session: $sid" "engineer: alice" "serial: CK2001" "customer: acme" "reason: issue 15 marker $marker"
