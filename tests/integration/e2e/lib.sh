# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Helpers of the tests of the whole system (test_e2e.sh, test_modem.sh, test_snmp.sh): JSON
# fields, sessions, services, counters of spgate-dp and the agents. The PASS/FAIL counters and
# check are in tests/integration/common.sh.

# jv and jf (JSON fields) are in tools/lab/json.sh, sourced by system.sh.

# The sessions (or session) JSON of spgatectl: a list or {"sessions": [...]}
SESSIONS='(d.get("sessions", []) if isinstance(d, dict) else d)'

# session_field USER ID EXPR: a field of `spgatectl session show ID` as USER (s = the session)
session_field() {
	eng "$1" --json session show "$2" 2>/dev/null | jv "(lambda s: $3)(d.get('session', d))"
}
session_state() { session_field "$1" "$2" 's["state"]'; }
session_state_is() { [ "$(session_state "$1" "$2")" = "$3" ]; } # USER ID STATE

# my_session USER SERIAL STATE: the id of USER's session to SERIAL in STATE (empty if none)
my_session() {
	eng "$1" --json sessions 2>/dev/null |
		jv "[s['id'] for s in $SESSIONS if s['serial'] == '$2' and s['state'] == '$3'][0]"
}
has_session() { [ -n "$(my_session "$@")" ]; }

# fetch ADDR [PORT]: what the service at ADDR:PORT answers the workstation (empty: nothing)
fetch() {
	ip netns exec "$(topo_ns ws)" timeout 6 nc -w 4 "$1" "${2:-7000}" </dev/null 2>/dev/null
}
fetch_is() { [ "$(fetch "$1" "${2:-7000}")" = "$3" ]; } # ADDR PORT NAME
stranger_fetch() { # stranger_fetch ADDR PORT: what a stranger on the SP network gets
	ip netns exec "$(topo_ns x)" timeout 5 nc -w 3 "$1" "$2" </dev/null 2>/dev/null
}

# spgate-dp's drop counter REASON
dp_drop() { topo_ctl --json dp drops --all 2>/dev/null | jv "d.get('drops', d).get('$1', 0)"; }
dp_drop_above() { [ "$(dp_drop "$1")" -gt "$2" ]; } # REASON N
dp_has_session() { # dp_has_session ID
	topo_ctl --json dp sessions 2>/dev/null |
		jv "any(int(s['id']) == $1 for s in $SESSIONS)" | grep -q true
}

# SP i's agent: a guard counter, its sessions
guard_counter() { agent_status "$1" --json 2>/dev/null | jv "d['guard']['counters'].get('$2', 0)"; }
guard_above() { [ "$(guard_counter "$1" "$2")" -gt "$3" ]; } # I REASON N
agent_sessions() { agent_status "$1" --json 2>/dev/null | jv 'len(d["sessions"])'; }
agent_session_states() { agent_status "$1" --json 2>/dev/null | jv '[s["state"] for s in d["sessions"]]'; }
agent_idle() { [ "$(agent_sessions "$1")" = 0 ]; }

# nat_counter I udp|tcp: packets the customer router of SP i forwarded to it (DNAT rule)
nat_counter() {
	ip netns exec "$(topo_ns "nat$1")" nft list table ip customer_nat 2>/dev/null |
		sed -n "s/.*$2 dport [0-9]* counter packets \([0-9]*\).*/\1/p" | head -1
}

pcap_count() { tcpdump -n -r "$1" "${@:2}" 2>/dev/null | wc -l; } # FILE FILTER...

file_has() { [ -s "$1" ] && grep -q "$2" "$1"; }
rc_file_is() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }
rc_file_exists() { [ -s "$1" ]; }
not() { ! "$@"; }
quiet() { "$@" >/dev/null 2>&1; } # quiet CMD...: CMD's status, without its output
