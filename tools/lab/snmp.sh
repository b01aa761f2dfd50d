# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# The lab's network management, as functions: snmpd as the AgentX master (spgate-control is
# its subagent) and snmptrapd as the manager that receives spgate-control's notifications,
# both in the gateway namespace on loopback. Sourced by tools/lab/lab.sh and
# tests/integration/test_snmp.sh after topology.sh; start them before spgate-control.
#
#   snmpd       master agentx on $SPG_STATE/snmp/agentx.sock; answers SNMP on
#               127.0.0.1:$SPG_SNMP_AGENT_PORT (v2c, community $SPG_SNMP_COMMUNITY, read-only)
#   snmptrapd   127.0.0.1:$SPG_SNMP_TRAP_PORT: v2c community $SPG_SNMP_COMMUNITY, and the v3
#               user $SPG_SNMP_USER (SHA/AES, authPriv) keyed to spgate-control's engine id;
#               one line per notification in $SPG_STATE/snmp/traps.log:
#               "TRAP <from> <varbinds: OID = TYPE: value, tab-separated>" (snmpTrapOID.0 among them)
#
# config/lab-control.yaml names the same ports, community, user and engine id: keep them in
# step. control.sh turns SNMP off in spgate-control's config unless SPG_SNMP=1.

# shellcheck source=tools/ietf_mibs.sh
. "$SPG_REPO/tools/ietf_mibs.sh"

SPG_SNMP_AGENT_PORT=16161
SPG_SNMP_TRAP_PORT=16162
SPG_SNMP_COMMUNITY=spgate-lab
SPG_SNMP_USER=spgate-lab
SPG_SNMP_AUTH_PASS=spgate-lab-auth
SPG_SNMP_PRIV_PASS=spgate-lab-priv
SPG_SNMP_ENGINE_ID=0x80001f8880737067617465 # what config/lab-control.yaml's snmp.engine_id says
SPG_SNMP_BASE=.1.3.6.1.4.1.8072.9999.9999    # SPGATE-MIB's default base (mib/SPGATE-MIB.txt)

snmp_dir() { echo "$SPG_STATE/snmp"; }
snmp_traps() { echo "$SPG_STATE/snmp/traps.log"; }

# snmp_conf: snmpd's and snmptrapd's own configs (-C: no other file is read)
snmp_conf() {
	local dir
	dir=$(snmp_dir)
	mkdir -p "$dir"
	cat >"$dir/snmpd.conf" <<EOF
# snmpd of the spgate lab (tools/lab/snmp.sh)
master agentx
agentXSocket $dir/agentx.sock
agentXPerms 0660 0770
agentaddress udp:127.0.0.1:$SPG_SNMP_AGENT_PORT
rocommunity $SPG_SNMP_COMMUNITY 127.0.0.1
EOF
	cat >"$dir/snmptrapd.conf" <<EOF
# snmptrapd of the spgate lab (tools/lab/snmp.sh)
authCommunity log $SPG_SNMP_COMMUNITY
createUser -e $SPG_SNMP_ENGINE_ID $SPG_SNMP_USER SHA $SPG_SNMP_AUTH_PASS AES $SPG_SNMP_PRIV_PASS
authUser log $SPG_SNMP_USER priv
EOF
}

# snmp_walk [OID]: snmpwalk of OID (default: all of SPGATE-MIB) from the gateway, numeric
snmp_walk() {
	MIBS= ip netns exec "$(topo_ns gw)" snmpwalk -v2c -c "$SPG_SNMP_COMMUNITY" -On -t 1 -r 1 \
		"127.0.0.1:$SPG_SNMP_AGENT_PORT" "${1:-$SPG_SNMP_BASE}"
}

# snmp_walk_mib OBJECT: snmpwalk of SPGATE-MIB::OBJECT by name, the MIB (with the IETF modules
# it imports, tools/ietf_mibs.sh) checking every value's type as it prints it; status 77 when
# the IETF modules are not on this machine (snmpwalk's own failures are 1 and 2)
snmp_walk_mib() {
	local ietf
	ietf=$(ietf_mibs_dir "$SPG_REPO") || return 77
	ip netns exec "$(topo_ns gw)" snmpwalk -v2c -c "$SPG_SNMP_COMMUNITY" -t 2 -r 2 \
		-M "$ietf:/usr/share/snmp/mibs:$SPG_REPO/mib" -m SPGATE-MIB \
		"127.0.0.1:$SPG_SNMP_AGENT_PORT" "SPGATE-MIB::$1"
}

snmp_get() { # snmp_get OID
	MIBS= ip netns exec "$(topo_ns gw)" snmpget -v2c -c "$SPG_SNMP_COMMUNITY" -On -t 1 -r 0 \
		"127.0.0.1:$SPG_SNMP_AGENT_PORT" "$1"
}

snmpd_answers() { snmp_get .1.3.6.1.2.1.1.3.0 >/dev/null 2>&1; }
snmptrapd_listens() {
	ip netns exec "$(topo_ns gw)" ss -Huln "sport = :$SPG_SNMP_TRAP_PORT" | grep -q .
}

# snmpd_start: snmpd in the gateway namespace (pid in $SPG_STATE/pids/snmpd.pid), bounded wait
snmpd_start() {
	local dir
	dir=$(snmp_dir)
	[ -f "$dir/snmpd.conf" ] || snmp_conf
	rm -f "$dir/agentx.sock"
	# MIBS empty: the lab needs no MIB files (and Debian lacks the IETF ones anyway)
	MIBS= topo_spawn snmpd "$(topo_ns gw)" snmpd -f -C -c "$dir/snmpd.conf" -Lf "$dir/snmpd.log"
	if ! wait_until 10 snmpd_answers; then
		topo_log "snmpd does not answer on 127.0.0.1:$SPG_SNMP_AGENT_PORT; its log:"
		tail -n 20 "$dir/snmpd.log"
		return 1
	fi
}

snmpd_stop() { topo_stop snmpd 5; }

# snmptrapd_start: snmptrapd in the gateway namespace, logging to snmp_traps
snmptrapd_start() {
	local dir
	dir=$(snmp_dir)
	[ -f "$dir/snmptrapd.conf" ] || snmp_conf
	: >>"$(snmp_traps)"
	MIBS= topo_spawn snmptrapd "$(topo_ns gw)" snmptrapd -f -C -c "$dir/snmptrapd.conf" -On \
		-Lf "$(snmp_traps)" -F 'TRAP %b %v\n' "udp:127.0.0.1:$SPG_SNMP_TRAP_PORT"
	if ! wait_until 10 snmptrapd_listens; then
		topo_log "snmptrapd does not listen on 127.0.0.1:$SPG_SNMP_TRAP_PORT; its output:"
		tail -n 20 "$SPG_STATE/logs/snmptrapd.out"
		return 1
	fi
}

# snmp_start: the manager and the master agent, before spgate-control
snmp_start() {
	snmp_conf && snmptrapd_start && snmpd_start
}
