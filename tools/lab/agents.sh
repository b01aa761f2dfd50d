# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# The SPs of the lab with spgate-agent, as functions: sourced by tools/lab/lab.sh and
# tests/integration/test_e2e.sh after tools/lab/topology.sh (SPG_CONTROL=1).
#
# SP i (namespace <ns>spI) runs:
#   spgate-agent    serial agent_serial I, listening on topo_sp_local I (TLS 7443, ESP 4500),
#                   TUN sptun0 with S once a session is up, XDP guard on eth0;
#                   config $SPG_STATE/agents/spI.yaml, status socket in $SPG_STATE/agents/spI/
#   sp_service.py   "spI" on TCP 7000 and 8080 (the ports the agent offers) and
#                   "spI-forbidden" on 9999, which neither the gateway nor the agent lets through
#
# The caller sets, besides topology.sh's variables:
#   SPG_PKI      the directory tools/lab/pki.sh filled (agent certificates, vendor public key)
#   SPG_SERIALS  serials of SP 1..N, space separated (default: the lab's inventory)

: "${SPG_SERIALS:=CK2001 CK2002 CK2003 CK3001}"
SPG_AGENT_PORTS="[tcp:7000, tcp:8080]"

agent_bin() { echo "${SPG_BUILD:-$SPG_REPO/build}/tools/agent/spgate-agent"; }

agent_serial() { # agent_serial I
	local serials
	read -r -a serials <<<"$SPG_SERIALS"
	echo "${serials[$(($1 - 1))]:-CK90$1}"
}

agent_config_path() { echo "$SPG_STATE/agents/sp$1.yaml"; }

# With two gateway hosts (SPG_GATEWAYS=2) both hosts' control addresses may reach the agent
# while a session is live: the survivor of a failover re-attaches from its own.
agent_guard_gateways() {
	[ "${SPG_GATEWAYS:-1}" = 2 ] && printf '\n  gateways: [%s, %s]' "$SPG_GW_KERNEL" "$SPG_GW_KERNEL_B"
}

# agent_config I [SERIAL [VENDOR_PUB [CERT_SERIAL]]]: writes SP i's agent config. SERIAL,
# VENDOR_PUB and CERT_SERIAL (whose agent certificate it presents) default to the lab's; the
# e2e test passes others to make an agent that refuses grants or poses as another SP.
agent_config() {
	local i=$1 serial=${2:-$(agent_serial "$1")} vendor=${3:-$SPG_PKI/vendor-ed25519.pub}
	local cert_serial=${4:-$(agent_serial "$1")}
	mkdir -p "$SPG_STATE/agents/sp$i"
	cat >"$(agent_config_path "$i")" <<EOF
# spgate-agent of lab SP $i (written by tools/lab/agents.sh)
serial: $serial
listen:
  address: $(topo_sp_local "$i")
  port: 7443
tls:
  certificate: $SPG_PKI/agent-$cert_serial.crt
  key: $SPG_PKI/agent-$cert_serial.key
  gateway_ca: $SPG_PKI/gateway-ca.crt
vendor_key: $vendor
sp:
  shared_address: $SPG_S
  profile: lab
  ports: $SPG_AGENT_PORTS
esp:
  port: 4500
  replay_window: 128
  nat_keepalive: 10
tun:
  name: sptun0
  mtu: 1400
guard:
  mode: xdp-generic
  interface: eth0$(agent_guard_gateways)
session:
  grace: ${SPG_AGENT_GRACE:-60}
  control_timeout: 60
state_dir: $SPG_STATE/agents/sp$i
log_level: info
EOF
}

# agent_status I [--json]: what SP i's agent says about itself
agent_status() {
	local i=$1
	shift
	"$(agent_bin)" -c "$(agent_config_path "$i")" --status "$@"
}

agent_answers() { agent_status "$1" --json >/dev/null 2>&1; }

# agent_start I: starts SP i's agent (config written first if missing), waits until it
# answers --status
agent_start() {
	local i=$1
	[ -f "$(agent_config_path "$i")" ] || agent_config "$i"
	if ! "$(agent_bin)" -c "$(agent_config_path "$i")" --check-config \
		>"$SPG_STATE/logs/agent$i-check.out" 2>&1; then
		cat "$SPG_STATE/logs/agent$i-check.out"
		return 1
	fi
	topo_spawn "agent$i" "$(topo_ns "sp$i")" "$(agent_bin)" -c "$(agent_config_path "$i")"
	if ! wait_until 15 agent_answers "$i"; then
		topo_log "spgate-agent of SP $i does not answer; its log:"
		tail -n 20 "$SPG_STATE/logs/agent$i.out"
		return 1
	fi
}

agent_stop() { topo_stop "agent$1" 5; } # agent_stop I

# agent_services_start I: the SP's services (7000, 8080 and the forbidden 9999)
agent_services_start() {
	local i=$1 sp port name
	sp=$(topo_ns "sp$i")
	for port in 7000 8080 9999; do
		name="sp$i"
		[ "$port" = 9999 ] && name="sp$i-forbidden"
		topo_spawn "svc${i}_$port" "$sp" "$SPG_PY" "$SPG_REPO/tests/integration/sp_service.py" \
			--name "$name" --port "$port" --log "$SPG_STATE/logs/sp$i-$port.log"
	done
	: >>"$SPG_STATE/logs/sp$i-9999.log"
}

agent_services_ready() { # agent_services_ready I
	[ "$(ip netns exec "$(topo_ns "sp$1")" ss -Htln \
		'sport = :7000 or sport = :8080 or sport = :9999' | wc -l)" -ge 3 ]
}

# agents_start: services and agents on every SP
agents_start() {
	local i
	for ((i = 1; i <= SPG_N_SP; i++)); do
		agent_services_start "$i"
		agent_config "$i"
		agent_start "$i" || return 1
	done
	for ((i = 1; i <= SPG_N_SP; i++)); do
		if ! wait_until 15 agent_services_ready "$i"; then
			topo_log "the services of SP $i did not come up"
			tail -n 5 "$SPG_STATE"/logs/svc"$i"_*.out
			return 1
		fi
	done
}

# What SP i has installed for a session: TUN, route to G_in through it, XDP guard on eth0.
agent_tun_present() { ip -n "$(topo_ns "sp$1")" link show sptun0 >/dev/null 2>&1; }
agent_route_present() { ip -n "$(topo_ns "sp$1")" route show "$SPG_G_IN" 2>/dev/null | grep -q sptun0; }
agent_xdp_attached() { ip -n "$(topo_ns "sp$1")" link show eth0 2>/dev/null | grep -q xdp; }
agent_nothing_installed() { # agent_nothing_installed I
	! agent_tun_present "$1" && ! agent_route_present "$1" && ! agent_xdp_attached "$1"
}
agent_all_installed() { # agent_all_installed I
	agent_tun_present "$1" && agent_route_present "$1" && agent_xdp_attached "$1"
}
