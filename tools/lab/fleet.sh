# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# A fleet of two gateway hosts on one PostgreSQL (issue 14), as functions: sourced by
# tools/lab/lab.sh (up --gateways 2) and tests/integration/test_failover.sh after topology.sh
# (SPG_GATEWAYS=2, SPG_CONTROL=1), agents.sh, control.sh, pki.sh and pg.sh.
#
#   PostgreSQL  in <ns>db, TCP 198.51.100.6:5432 (SPG_DB), trusting the hosts' management
#               addresses only; its cluster in $SPG_PG_DIR (fleet_pg_start)
#   host A      gw-a: the one-host lab's processes in <ns>gw (spgate-dp "dp", spgate-control
#               "control", FreeRADIUS "radius"), files in $SPG_STATE as there; allocating from
#               198.19.0.0/25 (SPG_POOL_A, gateway.virtual_pool)
#   host B      gw-b: the same in <ns>gwb, named dp-b, control-b, radius-b, files in
#               $SPG_STATE/b (dp.yaml, dp.sock, control.yaml, control.sock, audit.jsonl, radius/,
#               control/, tokens/); spgate-dp 198.51.100.3 / 203.0.113.3, engineer API
#               198.51.100.4:8443 (its own certificate, control-b.crt), agents' client
#               certificate gateway-b.crt; allocating from 198.19.0.128/25 (SPG_POOL_B)
#
# Both spgate-dp have the fleet's whole pool 198.19.0.0/24 (so that either can hold the other's
# sessions after a takeover), and each spgate-control allocates from its own part,
# gateway.virtual_pool (A: SPG_POOL_A, B: SPG_POOL_B), which W routes to that host.
#
# The caller sets, besides the other files' variables: SPG_PG_DIR (pg.sh) and
# SPG_DP_CONFIG_SRC, the spgate-dp config both hosts' configs are made from (default
# config/lab-dp.yaml); host A's goes to $SPG_DP_CONFIG (which must be in $SPG_STATE).

: "${SPG_DP_CONFIG_SRC:=$SPG_REPO/config/lab-dp.yaml}"

fleet_b_dir() { echo "$SPG_STATE/b"; }
fleet_b_sock() { echo "$SPG_STATE/b/dp.sock"; } # B's spgate-dp control socket

# fleet_pg_start: PostgreSQL in <ns>db on TCP (pg.sh), a new cluster
fleet_pg_start() {
	# shellcheck disable=SC2034 # pg.sh's
	SPG_PG_NS=$(topo_ns db) SPG_PG_ADDR=$SPG_DB SPG_PG_CLIENTS="$SPG_MGMT $SPG_MGMT_B"
	pg_init || return 1
	pg_start
}

# fleet_dp_config HOST POOL SOCKET PREFIX VENDOR SP: one host's spgate-dp config on stdout
# (max_sessions: what the pool holds, at most the template's)
fleet_dp_config() {
	local max_sed=""
	[ "${2#*/}" = 25 ] && max_sed='s|^\([[:space:]]*max_sessions:\).*|\1 126               # a /25 part of the pool|'
	sed -e "s|^\([[:space:]]*control_socket:\).*|\1 $3|" -e "$max_sed" \
		-e "s|^\([[:space:]]*file_prefix:\).*|\1 $4|" \
		-e "s|^\([[:space:]]*virtual_pool:\).*|\1 $2|" \
		-e "/^  vendor:/,/address:/s|^\([[:space:]]*address:\).*|\1 $5/24|" \
		-e "/^  sp:/,/address:/s|^\([[:space:]]*address:\).*|\1 $6/24|" \
		-e "1i # spgate-dp of fleet host $1 (tools/lab/fleet.sh, from $SPG_DP_CONFIG_SRC)" \
		"$SPG_DP_CONFIG_SRC"
}

# fleet_dp_configs_make: both hosts' spgate-dp configs (A: $SPG_DP_CONFIG, B: $SPG_STATE/b),
# each checked
fleet_dp_configs_make() {
	local pool_a=$SPG_POOL pool_b=$SPG_POOL f
	mkdir -p "$(fleet_b_dir)" "$SPG_STATE/logs"
	fleet_dp_config a "$pool_a" "$SPG_SOCK" "$FILE_PREFIX" "$SPG_VENDOR_GW" "$SPG_SP_GW" \
		>"$SPG_DP_CONFIG.tmp" && mv "$SPG_DP_CONFIG.tmp" "$SPG_DP_CONFIG" || return 1
	fleet_dp_config b "$pool_b" "$(fleet_b_sock)" "$FILE_PREFIX-b" "$SPG_VENDOR_GW_B" "$SPG_SP_GW_B" \
		>"$(fleet_b_dir)/dp.yaml" || return 1
	for f in "$SPG_DP_CONFIG" "$(fleet_b_dir)/dp.yaml"; do
		"$SPG_REPO/build/dataplane/spgate-dp" --check-config "$f" >"$SPG_STATE/logs/dp-check.out" 2>&1 || {
			cat "$SPG_STATE/logs/dp-check.out"
			topo_log "spgate-dp --check-config $f failed"
			return 1
		}
	done
}

# fleet_pki: the one-host PKI plus B's engineer API certificate and agents' client certificate
fleet_pki() { # fleet_pki SERIAL=ADDR...
	pki_make "$SPG_PKI" "$SPG_MGMT" "$@" || return 1
	pki_leaf "$SPG_PKI" ca control-b "spgate-control" "IP:$SPG_MGMT_B,DNS:spgate-control" || return 1
	pki_gateway "$SPG_PKI" gateway-b
}

# fleet_control_configs_make [SED-ARGS...]: A's control.yaml (control_config_make with the
# store, gateway.id gw-a and the caller's sed arguments), then B's made from it
fleet_control_configs_make() {
	local b url
	b=$(fleet_b_dir)
	url=$(pg_url)
	local keys_a=() keys_b=()
	keys_a=(-e "\$a gateway: { id: gw-a, virtual_pool: $SPG_POOL_A }")
	keys_b=(-e "s|id: gw-a, virtual_pool: $SPG_POOL_A|id: gw-b, virtual_pool: $SPG_POOL_B|")
	control_config_make -e "\$a store: { url: \"$url\" }" "${keys_a[@]}" "$@" || return 1
	mkdir -p "$b"
	sed -e "s|$SPG_STATE/control.sock|$b/control.sock|" \
		-e "s|$SPG_STATE/audit.jsonl|$b/audit.jsonl|" \
		-e "s|^\([[:space:]]*database:\).*|\1 $b/unused.db|" \
		-e "s|^\([[:space:]]*state_dir:\).*|\1 $b/control|" \
		-e "s|^\([[:space:]]*dataplane_socket:\).*|\1 $(fleet_b_sock)|" \
		-e "s|^\([[:space:]]*dir:\).*|\1 $b/recordings|" \
		-e "s|^\([[:space:]]*listen:\) $SPG_MGMT:|\1 $SPG_MGMT_B:|" \
		-e "s|$SPG_PKI/control\.crt|$SPG_PKI/control-b.crt|" \
		-e "s|$SPG_PKI/control\.key|$SPG_PKI/control-b.key|" \
		-e "s|$SPG_PKI/gateway\.crt|$SPG_PKI/gateway-b.crt|" \
		-e "s|$SPG_PKI/gateway\.key|$SPG_PKI/gateway-b.key|" \
		-e "s|^\([[:space:]]*enabled:\) true|\1 false|" \
		"${keys_b[@]}" "$SPG_STATE/control.yaml" >"$b/control.yaml" || return 1
	"$(control_bin)" --check-config "$b/control.yaml" >"$SPG_STATE/logs/control-b-check.out" 2>&1 || {
		cat "$SPG_STATE/logs/control-b-check.out"
		return 1
	}
}

# ---- host B's processes ----

# fleet_b_radius_start: FreeRADIUS in <ns>gwb (127.0.0.1:18120 there), the lab's users
fleet_b_radius_start() {
	local dir
	dir=$(fleet_b_dir)/radius
	if [ ! -f "$dir/radiusd.conf" ]; then
		ip netns exec "$(topo_ns gwb)" bash "$SPG_REPO/tests/integration/radius/radiusd.sh" \
			gen "$dir" "$SPG_RADIUS_PORT" "$SPG_RADIUS_SECRET" >/dev/null || return 1
		radius_users >"$dir/users"
	fi
	ip netns exec "$(topo_ns gwb)" bash "$SPG_REPO/tests/integration/radius/radiusd.sh" \
		start "$dir" >"$SPG_STATE/logs/radius-b-start.out" 2>&1 || {
		cat "$SPG_STATE/logs/radius-b-start.out"
		return 1
	}
	cp "$dir/radiusd.pid" "$SPG_STATE/pids/radius-b.pid"
}

# b_dp_ctl ARGS...: spgatectl on B's spgate-dp socket
b_dp_ctl() { "$SPG_REPO/build/tools/spgatectl/spgatectl" --socket "$(fleet_b_sock)" "$@"; }

# fleet_b_dp_start [TIMEOUT]: B's spgate-dp, until it answers `dp hello`
fleet_b_dp_start() {
	local t=${1:-60} deadline
	topo_log "starting spgate-dp in $(topo_ns gwb) (log: $SPG_STATE/logs/dp-b.out)"
	topo_spawn dp-b "$(topo_ns gwb)" "$SPG_REPO/build/dataplane/spgate-dp" --config "$(fleet_b_dir)/dp.yaml"
	deadline=$((SECONDS + t))
	while [ $SECONDS -lt $deadline ]; do
		if ! topo_pid_alive dp-b; then
			topo_log "B's spgate-dp exited during start-up; its log:"
			tail -n 30 "$SPG_STATE/logs/dp-b.out"
			return 1
		fi
		b_dp_ctl dp hello >/dev/null 2>&1 && return 0
		sleep 0.5
	done
	topo_log "B's spgate-dp did not answer 'dp hello' within ${t}s"
	tail -n 30 "$SPG_STATE/logs/dp-b.out"
	return 1
}

# host B's operator and engineers (tokens of its own: B signs its own)
op_b() { "$(ctl_bin)" --operator --control-socket "$(fleet_b_dir)/control.sock" "$@"; }
eng_b() {
	local user=$1
	shift
	eng_via "$(fleet_b_dir)/tokens" "$SPG_MGMT_B:$SPG_API_PORT" "$user" "$@"
}
eng_b_login() { # eng_b_login USER PASSWORD
	mkdir -p "$(fleet_b_dir)/tokens"
	SPGATE_PASSWORD=$2 eng_b "$1" login --user "$1"
}
control_b_alive() { topo_pid_alive control-b; }
control_b_answers() {
	op_b whoami >/dev/null 2>&1 &&
		ip netns exec "$(topo_ns gwb)" ss -Htln "sport = :$SPG_API_PORT" | grep -q .
}

# fleet_b_control_start [TIMEOUT]: B's spgate-control, until both its APIs answer
fleet_b_control_start() {
	local t=${1:-60} deadline
	topo_spawn control-b "$(topo_ns gwb)" "$(control_bin)" --config "$(fleet_b_dir)/control.yaml"
	deadline=$((SECONDS + t))
	while [ $SECONDS -lt $deadline ]; do
		if ! control_b_alive; then
			topo_log "B's spgate-control exited during start-up; its log:"
			tail -n 20 "$SPG_STATE/logs/control-b.out"
			return 1
		fi
		control_b_answers && return 0
		sleep 0.3
	done
	topo_log "B's spgate-control did not answer within ${t}s"
	tail -n 20 "$SPG_STATE/logs/control-b.out"
	return 1
}

# ---- the fleet as a whole ----

# fleet_gateways CTL...: "ID=STATE" of each gateway as CTL (op_ctl or op_b) lists them, sorted
fleet_gateways() {
	"$@" --json gateways 2>/dev/null |
		jv "' '.join(sorted('%s=%s' % (g['id'], g['state']) for g in (d.get('gateways', []) if isinstance(d, dict) else d)))"
}
# fleet_gateway_field CTL ID EXPR: EXPR of gateway ID's row g as `op_ctl`/`op_b gateways` say
fleet_gateway_field() {
	"$1" --json gateways 2>/dev/null |
		jv "[(lambda g: $3)(g) for g in (d.get('gateways', []) if isinstance(d, dict) else d) if g['id'] == '$2'][0]"
}

# fleet_kill HOST: kill -9 of host a's or b's spgate-control and spgate-dp (a crash: nothing
# is torn down, the pid files go)
fleet_kill() {
	local names f pid n
	case $1 in
	a) names="control dp" ;;
	b) names="control-b dp-b" ;;
	*) topo_log "fleet_kill: host '$1' is not a or b"; return 1 ;;
	esac
	for n in $names; do
		f=$SPG_STATE/pids/$n.pid
		[ -f "$f" ] || continue
		read -r pid <"$f"
		# no "Killed" job notice from this shell, whose child it is
		disown "$pid" 2>/dev/null
		pid_running "$pid" && kill -KILL "$pid" 2>/dev/null
		wait_until 10 not_running "$pid"
		rm -f "$f"
	done
	topo_log "host $1: spgate-control and spgate-dp killed (SIGKILL)"
}
not_running() { ! pid_running "$1"; }

# fleet_start HOST: host a's or b's spgate-dp and spgate-control started again (configs kept)
fleet_start() {
	case $1 in
	a) topo_dp_start 60 >/dev/null && control_start 60 ;;
	b) fleet_b_dp_start 60 >/dev/null && fleet_b_control_start 60 ;;
	*) topo_log "fleet_start: host '$1' is not a or b"; return 1 ;;
	esac
}

# fleet_up SERIAL=ADDR... : PostgreSQL, the PKI, both hosts' FreeRADIUS, spgate-dp and
# spgate-control (A first: it migrates the store). The topology and the agents are the
# caller's; control_config_make's sed arguments in FLEET_CONTROL_SED (an array), if set.
fleet_up() {
	fleet_pg_start || { topo_log "PostgreSQL did not start in $(topo_ns db)"; return 1; }
	fleet_pki "$@" >/dev/null || { topo_log "the fleet's PKI was not made"; return 1; }
	fleet_dp_configs_make || return 1
	control_radius_start || { topo_log "FreeRADIUS did not start in $(topo_ns gw)"; return 1; }
	fleet_b_radius_start || { topo_log "FreeRADIUS did not start in $(topo_ns gwb)"; return 1; }
	topo_dp_start 60 >/dev/null || return 1
	fleet_b_dp_start 60 >/dev/null || return 1
	fleet_control_configs_make "${FLEET_CONTROL_SED[@]}" || {
		topo_log "the hosts' spgate-control configs do not check"
		return 1
	}
	control_start 60 || return 1
	fleet_b_control_start 60
}
