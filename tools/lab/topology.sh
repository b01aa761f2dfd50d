# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# The spgate lab topology, as functions: sourced by tools/lab/lab.sh (the demo) and by
# tests/integration/test_dataplane.sh (the same topology with assertions).
#
#   <ns>ws   workstation W 198.51.100.10/24 on ws0; 198.19.0.0/24 via 198.51.100.1
#     | veth ws0 <-> gw-vendor
#   <ns>gw   spgate-dp: vendor port gw-vendor 198.51.100.1, SP port gw-sp 203.0.113.1
#     | veth gw-sp <-> wan-gw
#   <ns>wan  bridge br-wan: wan-gw, wan-sp1, wan-sp2, wan-sp3
#     | veth wan-spN <-> eth0
#   <ns>spN  eth0 203.0.113.1N/24; esp_peer.py with tun sptun0 = S 192.0.2.10 (the same on
#            every SP), route to G_in 192.0.2.1 via the tun; sp_service.py on 7000 and 8080
#            answering "spN", and a listener on 9999 that the gateway must never let through
#
# With SPG_CONTROL=1 (the whole system: tools/lab/lab.sh, tests/integration/test_e2e.sh) the
# topology also has what the control plane needs:
#   <ns>ws  ws-mgmt <-> gw-mgmt <ns>gw   a management link: the gateway's kernel has
#           198.51.100.2 (spgate-control's engineer API) there; the workstation a host route
#   <ns>gw  gw-kern <-> wan-kern on br-wan: the gateway's kernel has 203.0.113.2 on the SP
#           network, from where spgate-control reaches the agents' TLS port 7443 (spgate-dp
#           owns gw-sp and 203.0.113.1; arp_ignore keeps the kernel off the DPDK links)
#   <ns>natN  for N in SPG_NAT_SPS: SP N's customer router. Outside (on br-wan) it has the
#           site address 203.0.113.1N; inside 198.18.N.1/24 towards SP N (198.18.N.10, default
#           route via the router). nftables: DNAT of UDP 4500 and TCP 7443 to the SP,
#           masquerade of everything leaving outside.
#   <ns>x   a stranger on the SP network: 203.0.113.99 on br-wan
#
# With SPG_WS2=1 (the lab; tests/integration/test_join.sh calls topo_ws2_create itself) a
# second workstation for a second engineer who joins a session (issue 15):
#   <ns>ws2 eth0 198.51.100.11/32 <-> ws-ws2 in <ns>ws, which forwards for it and answers ARP
#           for it on ws0 (proxy ARP): spgate-dp sees another host of the vendor network
#
# With SPG_GATEWAYS=2 (tools/lab/lab.sh up --gateways 2, tests/integration/test_failover.sh;
# needs SPG_CONTROL=1) a second gateway host B, and the vendor side and the SP side become
# shared segments, so that an address can move from one host's port to the other's (issue 14):
#   <ns>wan  also holds br-lan (the vendor LAN) and br-mgmt (the management segment)
#   br-lan   lan-ws <-> ws0 (W 198.51.100.10/24); lan-gw <-> gw-vendor of <ns>gw (A's spgate-dp
#            198.51.100.1); lan-gwb <-> gw-vendor of <ns>gwb (B's spgate-dp 198.51.100.3).
#            W: 198.19.0.0/25 via 198.51.100.1 (A's part of the pool), 198.19.0.128/25 via
#            198.51.100.3 (B's part)
#   br-wan   as above, plus wan-gwb <-> gw-sp of <ns>gwb (B's spgate-dp 203.0.113.3) and
#            wan-kernb <-> gw-kern of <ns>gwb (B's kernel 203.0.113.4, to the agents' 7443)
#   br-mgmt  mgmt-ws <-> ws-mgmt of W; mgmt-gw <-> gw-mgmt of A (198.51.100.2/32: A's engineer
#            API); mgmt-gwb <-> gw-mgmt of B (198.51.100.4/32: B's engineer API); mgmt-db <->
#            db0 of <ns>db (198.51.100.6/32: PostgreSQL on TCP 5432, tools/lab/pg.sh). Host
#            routes (/32) only: W reaches .2 and .4 from its own 198.51.100.10, the gateways
#            reach .6 from their management address (pg_hba trusts .2 and .4 alone)
#   <ns>gwb  host B: the same device names as A's (gw-vendor, gw-sp, gw-kern, gw-mgmt), so
#            its spgate-dp config differs from A's only in addresses, socket and EAL prefix
#   <ns>db   the fleet's PostgreSQL
# topo_host_cut a|b cuts every link of a host (its bridge ports go down: its dp ports, its
# kernel's WAN link, its management and PostgreSQL link); topo_host_restore a|b undoes it.
#
# The caller sets, before sourcing or calling:
#   SPG_REPO   repository root            SPG_STATE  directory for pids, keys, logs
#   SPG_NS     namespace name prefix (default "spg-")
#   SPG_N_SP   number of SPs (default 3)  SPG_DP_CONFIG  spgate-dp's YAML config
#   SPG_SOCK   spgate-dp's control socket (must match the config)
#   SPG_CONTROL  1: the control-plane links, routers and stranger above (default 0)
#   SPG_NAT_SPS  SP numbers behind a customer NAT, space separated (with SPG_CONTROL=1)
#   SPG_WS2    1: the second workstation W2 above (default 0)
#   SPG_GATEWAYS  2: the second gateway host above (default 1)
#   SPG_TOPO_JOBS  SP sites configured at once (default 4; see topo_sps_create)
#   SPG_STRANGER the stranger's address (default 203.0.113.99; SP i has 203.0.113.(10+i), so a
#                lab of more than 88 SPs, like the soak test's, puts it elsewhere)
# Every wait is bounded; every process started is recorded in $SPG_STATE/pids/NAME.pid and
# stopped by topo_stop_all/topo_destroy.

: "${SPG_NS:=spg-}"
: "${SPG_N_SP:=3}"
: "${SPG_PY:=/usr/bin/python3}"
: "${SPG_CONTROL:=0}"
: "${SPG_NAT_SPS:=}"
: "${SPG_WS2:=0}"
: "${SPG_GATEWAYS:=1}"

SPG_W=198.51.100.10
SPG_W2=198.51.100.11 # the second workstation (SPG_WS2=1, topo_ws2_create)
SPG_VENDOR_GW=198.51.100.1
SPG_SP_GW=203.0.113.1
SPG_S=192.0.2.10
SPG_G_IN=192.0.2.1
SPG_POOL=198.19.0.0/24
SPG_INNER_MTU=1438
SPG_MGMT=198.51.100.2     # the gateway kernel's management address (engineer API)
SPG_GW_KERNEL=203.0.113.2 # the gateway kernel's address on the SP network
# the second gateway host (SPG_GATEWAYS=2) and the fleet's PostgreSQL
SPG_VENDOR_GW_B=198.51.100.3 # B's spgate-dp, vendor port
# shellcheck disable=SC2034 # read by tools/lab/fleet.sh
SPG_SP_GW_B=203.0.113.3      # B's spgate-dp, SP port (G_out of B's sessions)
SPG_MGMT_B=198.51.100.4      # B's kernel: management (engineer API)
SPG_GW_KERNEL_B=203.0.113.4  # B's kernel on the SP network
SPG_DB=198.51.100.6          # PostgreSQL on the management segment
SPG_POOL_A=198.19.0.0/25     # the part of the pool host A allocates from
SPG_POOL_B=198.19.0.128/25   # host B's part
# somebody else on the SP network
: "${SPG_STRANGER:=203.0.113.99}"

topo_log() { echo "[$(date +%H:%M:%S)] $*"; }

topo_ns() { echo "${SPG_NS}$1"; } # topo_ns ws|gw|wan|sp1..

topo_sp_addr() { echo "203.0.113.$((10 + $1))"; } # E_i: the site address
topo_sp_natted() { [[ " $SPG_NAT_SPS " == *" $1 "* ]]; } # topo_sp_natted I
# The address SP i itself has on its eth0: the site address, or behind a NAT a private one.
topo_sp_local() {
	if [ "$SPG_CONTROL" = 1 ] && topo_sp_natted "$1"; then
		echo "198.18.$1.10"
	else
		topo_sp_addr "$1"
	fi
}
topo_nat_inside() { echo "198.18.$1.1"; } # the customer router's inside address
topo_virtual() { echo "198.19.0.$1"; }            # V_i
topo_spi_out() { printf '0x%x' $((0x1000 + $1)); } # gateway -> SP i
topo_spi_in() { printf '0x%x' $((0x2000 + $1)); }  # SP i -> gateway

topo_ctl() { "$SPG_REPO/build/tools/spgatectl/spgatectl" --socket "$SPG_SOCK" "$@"; }

# wait_until SECONDS CMD...: runs CMD every 0.2 s until it succeeds; 1 if it never did.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $deadline ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@" >/dev/null 2>&1
}

# pid_running PID: the process exists and is not a zombie (an exited child not yet reaped
# still answers kill -0).
# Shell builtins only: stopping the soak test's 200 agents calls it thousands of times.
pid_running() {
	local line
	[ -n "$1" ] && [ -r "/proc/$1/status" ] || return 1
	while read -r line; do
		case $line in
		State:*Z*) return 1 ;;
		State:*) return 0 ;;
		esac
	done 2>/dev/null <"/proc/$1/status"
	return 1 # gone while we read
}

topo_pid_alive() { # topo_pid_alive NAME
	local f=$SPG_STATE/pids/$1.pid
	[ -f "$f" ] && pid_running "$(cat "$f")"
}

# topo_spawn NAME NS CMD...: starts CMD in namespace NS (or the host if NS is "-") in the
# background, stdout+stderr to $SPG_STATE/logs/NAME.out, pid to $SPG_STATE/pids/NAME.pid.
# `ip netns exec` execs the command, so the pid is the command's own.
topo_spawn() {
	local name=$1 ns=$2
	shift 2
	mkdir -p "$SPG_STATE/pids" "$SPG_STATE/logs"
	if [ "$ns" = - ]; then
		"$@" >"$SPG_STATE/logs/$name.out" 2>&1 </dev/null &
	else
		ip netns exec "$ns" "$@" >"$SPG_STATE/logs/$name.out" 2>&1 </dev/null &
	fi
	echo $! >"$SPG_STATE/pids/$name.pid"
}

# topo_stop NAME [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 5).
topo_stop() {
	local f=$SPG_STATE/pids/$1.pid pid="" i
	[ -f "$f" ] || return 0
	read -r pid <"$f"
	if pid_running "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		# once seen gone it has stopped: /proc flickers while a process's threads exit
		for ((i = 0; i < ${2:-5} * 10; i++)); do
			pid_running "$pid" || break
			sleep 0.1
		done
		if [ "$i" -ge $((${2:-5} * 10)) ]; then
			topo_log "$1 (pid $pid) did not stop on SIGTERM; killing it"
			kill -KILL "$pid" 2>/dev/null
		fi
	fi
	rm -f "$f"
}

# (builtins rather than cat and basename: the soak test stops 200 agents)
topo_stop_all() {
	local f pid name
	[ -d "$SPG_STATE/pids" ] || return 0
	# the dataplane first: it is the one that takes longest and holds the veths
	topo_stop dp 10
	topo_stop dp-b 10 # host B's (SPG_GATEWAYS=2)
	# then everything else at once: SIGTERM to all, then wait for each (bounded)
	for f in "$SPG_STATE"/pids/*.pid; do
		pid=""
		[ -f "$f" ] && read -r pid <"$f"
		pid_running "$pid" && kill -TERM "$pid" 2>/dev/null
	done
	for f in "$SPG_STATE"/pids/*.pid; do
		name=${f##*/}
		[ -f "$f" ] && topo_stop "${name%.pid}" 3
	done
}

topo_namespaces() {
	local i
	echo "$(topo_ns ws) $(topo_ns gw) $(topo_ns wan)"
	[ "$SPG_WS2" = 1 ] && topo_ns ws2
	[ "$SPG_GATEWAYS" = 2 ] && echo "$(topo_ns gwb) $(topo_ns db)"
	for ((i = 1; i <= SPG_N_SP; i++)); do
		topo_ns "sp$i"
	done
	if [ "$SPG_CONTROL" = 1 ]; then
		for i in $SPG_NAT_SPS; do
			topo_ns "nat$i"
		done
		topo_ns x
	fi
}

# one `ip -force -batch` deletes them all, going on past those that do not exist
topo_destroy() {
	topo_stop_all
	topo_namespaces | tr ' ' '\n' | sed -n 's/^./netns del &/p' | ip -force -b - >/dev/null 2>&1
	return 0
}

# Quiet link: no IPv6 (no router solicitations, MLD or DAD in captures and counters), and no
# checksum or segmentation offloads: veth would otherwise hand af_packet frames with partial
# checksums, or 64 KiB GSO frames, that no real wire carries.
topo_quiet_link() { # topo_quiet_link NS DEV
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" 2>/dev/null || true
	ip netns exec "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 ||
		ip netns exec "$1" ethtool -K "$2" tx off >/dev/null 2>&1 || true
}

topo_link_tx_csum_off() { # topo_link_tx_csum_off NS DEV
	ip netns exec "$1" ethtool -k "$2" 2>/dev/null | grep -q '^tx-checksumming: off'
}

# topo_ns_add NS: a namespace with lo up and without IPv6
topo_ns_add() {
	ip netns add "$1" || return 1
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}

# topo_sp_create I: SP i's namespace (and its customer router's), its link to br-wan and,
# unless it is behind a NAT (topo_create_control), its site address
topo_sp_create() {
	local i=$1 wan sp site
	wan=$(topo_ns wan) sp=$(topo_ns "sp$i") site=$sp
	topo_ns_add "$sp" || return 1
	# a SP behind a customer NAT: its router is on the bridge, the SP behind it
	if [ "$SPG_CONTROL" = 1 ] && topo_sp_natted "$i"; then
		site=$(topo_ns "nat$i")
		topo_ns_add "$site" || return 1
	fi
	ip link add "wan-sp$i" netns "$wan" type veth peer name eth0 netns "$site" || return 1
	topo_quiet_link "$wan" "wan-sp$i"
	topo_quiet_link "$site" eth0
	ip -n "$wan" link set "wan-sp$i" master br-wan
	ip -n "$wan" link set "wan-sp$i" up
	[ "$site" = "$sp" ] || return 0
	topo_sp_site "$i"
}

# topo_sp_site I: SP i's eth0 with the site address (no IPv6, no offloads, no reverse path
# filter: the tun's traffic comes from G_in, which only the tun route knows), in one process
# in its namespace: every `ip netns exec` costs tens of milliseconds on a busy machine, and
# the soak test makes 200 SPs.
topo_sp_site() {
	local i=$1
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec "$(topo_ns "sp$i")" bash -c '
		for f in all default eth0; do echo 1 >"/proc/sys/net/ipv6/conf/$f/disable_ipv6"; done
		for f in all default; do echo 0 >"/proc/sys/net/ipv4/conf/$f/rp_filter"; done
		ethtool -K eth0 tx off rx off tso off gso off gro off >/dev/null 2>&1 ||
			ethtool -K eth0 tx off >/dev/null 2>&1
		printf "link set lo up\naddr add %s/24 dev eth0\nlink set eth0 up\n" "$1" | ip -b -' \
		- "$(topo_sp_addr "$i")"
}

# topo_sps_create: every SP. Those behind a NAT one by one (topo_sp_create); the others with
# one `ip -batch` for their namespaces and links, one for the bridge ports, one process for
# the bridge ports' offloads and one per SP for its site (topo_sp_site, SPG_TOPO_JOBS at a
# time, default 4).
topo_sps_create() {
	local wan i plain=() devs=() pids=() p rc=0
	wan=$(topo_ns wan)
	for ((i = 1; i <= SPG_N_SP; i++)); do
		if [ "$SPG_CONTROL" = 1 ] && topo_sp_natted "$i"; then
			topo_sp_create "$i" || return 1
		else
			plain+=("$i")
		fi
	done
	[ ${#plain[@]} -gt 0 ] || return 0
	for i in "${plain[@]}"; do
		echo "netns add $(topo_ns "sp$i")"
		echo "link add wan-sp$i netns $wan type veth peer name eth0 netns $(topo_ns "sp$i")"
	done | ip -b - || return 1
	for i in "${plain[@]}"; do
		devs+=("wan-sp$i")
	done
	printf 'link set %s master br-wan up\n' "${devs[@]}" | ip -n "$wan" -b - || return 1
	# shellcheck disable=SC2016 # expanded by the inner bash
	ip netns exec "$wan" bash -c 'for d; do
		echo 1 >"/proc/sys/net/ipv6/conf/$d/disable_ipv6"
		ethtool -K "$d" tx off rx off tso off gso off gro off >/dev/null 2>&1 ||
			ethtool -K "$d" tx off >/dev/null 2>&1
	done' - "${devs[@]}"
	for i in "${plain[@]}"; do
		topo_sp_site "$i" &
		pids+=($!)
		if [ ${#pids[@]} -ge "${SPG_TOPO_JOBS:-4}" ]; then
			wait "${pids[0]}" || rc=1
			pids=("${pids[@]:1}")
		fi
	done
	for p in "${pids[@]}"; do
		wait "$p" || rc=1
	done
	return $rc
}

topo_create() {
	local ws gw wan ns
	ws=$(topo_ns ws) gw=$(topo_ns gw) wan=$(topo_ns wan)
	# the site addresses 203.0.113.(10+i) must stay in the /24 and off the stranger's
	if [ $((10 + SPG_N_SP)) -gt 254 ]; then
		topo_log "SPG_N_SP=$SPG_N_SP: SP site addresses 203.0.113.(10+i) end at .254 (244 SPs at most)"
		return 1
	fi
	if [ "$SPG_CONTROL" = 1 ] && [ "${SPG_STRANGER%.*}" = 203.0.113 ] &&
		[ "${SPG_STRANGER##*.}" -gt 10 ] && [ "${SPG_STRANGER##*.}" -le $((10 + SPG_N_SP)) ]; then
		topo_log "SPG_STRANGER=$SPG_STRANGER is the site address of an SP: set another"
		return 1
	fi
	if [ "$SPG_GATEWAYS" = 2 ] && [ "$SPG_CONTROL" != 1 ]; then
		topo_log "SPG_GATEWAYS=2 needs SPG_CONTROL=1 (the hosts' kernel links and PostgreSQL)"
		return 1
	fi
	topo_log "creating namespaces $(topo_namespaces | tr '\n' ' ')"
	for ns in "$ws" "$gw" "$wan"; do
		topo_ns_add "$ns" || return 1
	done
	if [ "$SPG_CONTROL" = 1 ]; then
		topo_ns_add "$(topo_ns x)" || return 1
	fi

	if [ "$SPG_GATEWAYS" = 2 ]; then
		# W and A's vendor port on the vendor LAN's bridge (topo_fleet_create makes it)
		ip link add ws0 netns "$ws" type veth peer name lan-ws netns "$wan" || return 1
		ip link add gw-vendor netns "$gw" type veth peer name lan-gw netns "$wan" || return 1
	else
		ip link add ws0 netns "$ws" type veth peer name gw-vendor netns "$gw" || return 1
	fi
	ip link add gw-sp netns "$gw" type veth peer name wan-gw netns "$wan" || return 1
	ip -n "$wan" link add br-wan type bridge || return 1
	ip netns exec "$wan" sysctl -qw net.ipv6.conf.br-wan.disable_ipv6=1
	# A plain switch: with br_netfilter loaded, bridged IPv4 would go through iptables,
	# which drops frames with bad IPv4 headers before spgate-dp can count them.
	ip netns exec "$wan" sysctl -qw net.bridge.bridge-nf-call-iptables=0 \
		net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-arptables=0 2>/dev/null
	# forward_delay 0: ports forward at once instead of after 15 s of listening/learning
	ip -n "$wan" link set br-wan type bridge forward_delay 0 stp_state 0

	topo_quiet_link "$ws" ws0
	topo_quiet_link "$gw" gw-vendor
	topo_quiet_link "$gw" gw-sp
	topo_quiet_link "$wan" wan-gw

	# workstation
	ip -n "$ws" addr add "$SPG_W/24" dev ws0
	ip -n "$ws" link set ws0 up
	# (with SPG_GATEWAYS=2 topo_fleet_create routes it, once ws0's bridge port is up)
	[ "$SPG_GATEWAYS" = 2 ] || ip -n "$ws" route add "$SPG_POOL" via "$SPG_VENDOR_GW"
	# gateway: no kernel addresses on gw-*; spgate-dp owns them through af_packet
	ip -n "$gw" link set gw-vendor up
	ip -n "$gw" link set gw-sp up
	# WAN bridge
	ip -n "$wan" link set wan-gw master br-wan
	ip -n "$wan" link set wan-gw up
	ip -n "$wan" link set br-wan up
	# SP sites
	topo_sps_create || return 1
	if [ "$SPG_GATEWAYS" = 2 ]; then
		topo_fleet_create || return 1
	fi
	if [ "$SPG_CONTROL" = 1 ]; then
		topo_create_control || return 1
	fi
	if [ "$SPG_WS2" = 1 ]; then
		topo_ws2_create || return 1
	fi
}

# topo_ws2_create: the second workstation W2 in namespace <ns>ws2, a /32 behind the first
# workstation's namespace, which forwards for it and answers ARP for it on ws0 (proxy ARP):
# spgate-dp sees W2's packets on its vendor port as from another host of the vendor network,
# and its replies to W2 reach it. topo_destroy deletes it with SPG_WS2=1; otherwise (a test
# that makes it itself) topo_ws2_destroy does.
topo_ws2_create() {
	local ws ws2
	ws=$(topo_ns ws) ws2=$(topo_ns ws2)
	ip netns del "$ws2" 2>/dev/null
	topo_ns_add "$ws2" || return 1
	ip link add ws-ws2 netns "$ws" type veth peer name eth0 netns "$ws2" || return 1
	topo_quiet_link "$ws" ws-ws2
	topo_quiet_link "$ws2" eth0
	ip -n "$ws2" addr add "$SPG_W2/32" dev eth0
	ip -n "$ws2" link set eth0 up
	ip -n "$ws2" route add "$SPG_W/32" dev eth0
	ip -n "$ws2" route add default via "$SPG_W" dev eth0
	ip -n "$ws" link set ws-ws2 up
	ip -n "$ws" route add "$SPG_W2/32" dev ws-ws2 src "$SPG_W"
	ip netns exec "$ws" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.ws0.proxy_arp=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.ws0.rp_filter=0 net.ipv4.conf.ws-ws2.rp_filter=0
}

topo_ws2_destroy() { ip netns del "$(topo_ns ws2)" 2>/dev/null; return 0; }

# The control plane's links, the customer routers and the stranger (see the top of this
# file). Called by topo_create when SPG_CONTROL=1.
topo_create_control() {
	local ws gw wan x nat sp i
	ws=$(topo_ns ws) gw=$(topo_ns gw) wan=$(topo_ns wan) x=$(topo_ns x)
	if ! command -v nft >/dev/null && [ -n "$SPG_NAT_SPS" ]; then
		topo_log "nft (Debian package nftables) is missing: the customer NAT needs it"
		return 1
	fi
	# The gateway's kernel answers ARP only on the links it has addresses on: spgate-dp owns
	# gw-vendor and gw-sp, whose frames the kernel sees too (af_packet only listens).
	ip netns exec "$gw" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2

	if [ "$SPG_GATEWAYS" = 2 ]; then
		topo_fleet_mgmt_create || return 1
	else
		topo_mgmt_create || return 1
	fi

	# the gateway's kernel on the SP network: spgate-control -> agents (TCP 7443)
	ip link add gw-kern netns "$gw" type veth peer name wan-kern netns "$wan" || return 1
	topo_quiet_link "$gw" gw-kern
	topo_quiet_link "$wan" wan-kern
	ip -n "$gw" addr add "$SPG_GW_KERNEL/24" dev gw-kern
	ip -n "$gw" link set gw-kern up
	ip -n "$wan" link set wan-kern master br-wan
	ip -n "$wan" link set wan-kern up

	# a stranger on the SP network
	ip link add x0 netns "$x" type veth peer name wan-x netns "$wan" || return 1
	topo_quiet_link "$x" x0
	topo_quiet_link "$wan" wan-x
	ip -n "$x" addr add "$SPG_STRANGER/24" dev x0
	ip -n "$x" link set x0 up
	ip -n "$wan" link set wan-x master br-wan
	ip -n "$wan" link set wan-x up

	# customer routers with NAT in front of their SPs
	for i in $SPG_NAT_SPS; do
		nat=$(topo_ns "nat$i") sp=$(topo_ns "sp$i")
		ip -n "$nat" addr add "$(topo_sp_addr "$i")/24" dev eth0
		ip -n "$nat" link set eth0 up
		ip link add lan0 netns "$nat" type veth peer name eth0 netns "$sp" || return 1
		topo_quiet_link "$nat" lan0
		topo_quiet_link "$sp" eth0
		ip -n "$nat" addr add "$(topo_nat_inside "$i")/24" dev lan0
		ip -n "$nat" link set lan0 up
		ip netns exec "$nat" sysctl -qw net.ipv4.ip_forward=1
		ip -n "$sp" addr add "$(topo_sp_local "$i")/24" dev eth0
		ip -n "$sp" link set eth0 up
		ip -n "$sp" route add default via "$(topo_nat_inside "$i")"
		ip netns exec "$sp" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0
		topo_nat_rules "$i" | ip netns exec "$nat" nft -f - || return 1
	done
}

# The management link of one gateway host: workstation -> spgate-control's engineer API on
# $SPG_MGMT (with SPG_GATEWAYS=2, topo_fleet_mgmt_create's segment instead)
topo_mgmt_create() {
	local ws gw
	ws=$(topo_ns ws) gw=$(topo_ns gw)
	ip link add ws-mgmt netns "$ws" type veth peer name gw-mgmt netns "$gw" || return 1
	topo_quiet_link "$ws" ws-mgmt
	topo_quiet_link "$gw" gw-mgmt
	ip -n "$gw" addr add "$SPG_MGMT/32" dev gw-mgmt
	ip -n "$gw" link set gw-mgmt up
	ip -n "$gw" route add "$SPG_W/32" dev gw-mgmt src "$SPG_MGMT"
	ip -n "$ws" link set ws-mgmt up
	ip -n "$ws" route add "$SPG_MGMT/32" dev ws-mgmt src "$SPG_W"
}

# ---- the second gateway host (SPG_GATEWAYS=2; see the top of this file) ----

# topo_bridge_add NS NAME: a plain switch NAME in NS (as br-wan: no IPv6, no netfilter, no
# STP, ports forward at once)
topo_bridge_add() {
	ip -n "$1" link add "$2" type bridge || return 1
	ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
	ip -n "$1" link set "$2" type bridge forward_delay 0 stp_state 0
	ip -n "$1" link set "$2" up
}

# topo_bridge_port NS DEV BRIDGE: DEV (a veth end in NS) quiet, on BRIDGE, up
topo_bridge_port() {
	topo_quiet_link "$1" "$2"
	ip -n "$1" link set "$2" master "$3" || return 1
	ip -n "$1" link set "$2" up
}

# The vendor LAN's bridge, host B with its spgate-dp's two ports and its kernel's WAN link,
# and PostgreSQL's namespace. Called by topo_create with SPG_GATEWAYS=2, after br-wan.
topo_fleet_create() {
	local wan gwb
	wan=$(topo_ns wan) gwb=$(topo_ns gwb)
	topo_bridge_add "$wan" br-lan || return 1
	topo_bridge_port "$wan" lan-ws br-lan || return 1
	topo_bridge_port "$wan" lan-gw br-lan || return 1
	topo_ns_add "$gwb" || return 1
	topo_ns_add "$(topo_ns db)" || return 1
	ip link add gw-vendor netns "$gwb" type veth peer name lan-gwb netns "$wan" || return 1
	ip link add gw-sp netns "$gwb" type veth peer name wan-gwb netns "$wan" || return 1
	ip link add gw-kern netns "$gwb" type veth peer name wan-kernb netns "$wan" || return 1
	topo_bridge_port "$wan" lan-gwb br-lan || return 1
	topo_bridge_port "$wan" wan-gwb br-wan || return 1
	topo_bridge_port "$wan" wan-kernb br-wan || return 1
	# B's dp ports: no kernel addresses (spgate-dp owns them), the kernel keeps off their ARP
	ip netns exec "$gwb" sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	topo_quiet_link "$gwb" gw-vendor
	topo_quiet_link "$gwb" gw-sp
	topo_quiet_link "$gwb" gw-kern
	ip -n "$gwb" link set gw-vendor up
	ip -n "$gwb" link set gw-sp up
	ip -n "$gwb" addr add "$SPG_GW_KERNEL_B/24" dev gw-kern
	ip -n "$gwb" link set gw-kern up
	# each host's part of the pool to that host (the engineers' routes of a fleet)
	ip -n "$(topo_ns ws)" route add "$SPG_POOL_A" via "$SPG_VENDOR_GW" || return 1
	ip -n "$(topo_ns ws)" route add "$SPG_POOL_B" via "$SPG_VENDOR_GW_B"
}

# The management segment of a fleet: W, both hosts' engineer APIs and PostgreSQL on br-mgmt,
# host routes only (see the top of this file).
topo_fleet_mgmt_create() {
	local ws gw gwb db wan h ns addr
	ws=$(topo_ns ws) gw=$(topo_ns gw) gwb=$(topo_ns gwb) db=$(topo_ns db) wan=$(topo_ns wan)
	topo_bridge_add "$wan" br-mgmt || return 1
	ip link add ws-mgmt netns "$ws" type veth peer name mgmt-ws netns "$wan" || return 1
	ip link add gw-mgmt netns "$gw" type veth peer name mgmt-gw netns "$wan" || return 1
	ip link add gw-mgmt netns "$gwb" type veth peer name mgmt-gwb netns "$wan" || return 1
	ip link add db0 netns "$db" type veth peer name mgmt-db netns "$wan" || return 1
	for h in mgmt-ws mgmt-gw mgmt-gwb mgmt-db; do
		topo_bridge_port "$wan" "$h" br-mgmt || return 1
	done
	topo_quiet_link "$ws" ws-mgmt
	ip -n "$ws" link set ws-mgmt up
	topo_quiet_link "$db" db0
	ip -n "$db" addr add "$SPG_DB/32" dev db0
	ip -n "$db" link set db0 up
	for h in "$gw:$SPG_MGMT" "$gwb:$SPG_MGMT_B"; do
		ns=${h%%:*} addr=${h#*:}
		topo_quiet_link "$ns" gw-mgmt
		ip -n "$ns" addr add "$addr/32" dev gw-mgmt
		ip -n "$ns" link set gw-mgmt up
		ip -n "$ns" route add "$SPG_W/32" dev gw-mgmt src "$addr"
		ip -n "$ns" route add "$SPG_DB/32" dev gw-mgmt src "$addr"
		ip -n "$ws" route add "$addr/32" dev ws-mgmt src "$SPG_W"
		ip -n "$db" route add "$addr/32" dev db0 src "$SPG_DB"
	done
}

# The bridge ports of host a or b: with them down, nothing reaches or leaves the host (its
# veth ends lose their carrier): spgate-dp's two ports, its kernel's WAN link, its management
# and PostgreSQL link.
topo_host_ports() { # topo_host_ports a|b
	case $1 in
	a) echo lan-gw wan-gw wan-kern mgmt-gw ;;
	b) echo lan-gwb wan-gwb wan-kernb mgmt-gwb ;;
	*) topo_log "topo_host_ports: host '$1' is not a or b"; return 1 ;;
	esac
}

topo_host_cut() { # topo_host_cut a|b
	local ports p
	ports=$(topo_host_ports "$1") || return 1
	for p in $ports; do
		ip -n "$(topo_ns wan)" link set "$p" down || return 1
	done
	topo_log "host $1 cut off: $ports down"
}

topo_host_restore() { # topo_host_restore a|b
	local ports p
	ports=$(topo_host_ports "$1") || return 1
	for p in $ports; do
		ip -n "$(topo_ns wan)" link set "$p" up || return 1
	done
	topo_log "host $1 connected again: $ports up"
}

# topo_host_is_cut a|b: every bridge port of the host is down
topo_host_is_cut() {
	local p
	for p in $(topo_host_ports "$1"); do
		ip -n "$(topo_ns wan)" link show "$p" 2>/dev/null | grep -q 'state DOWN' || return 1
	done
}

# The customer router's nftables: the site address forwards the agent's two ports to the SP,
# and everything the site sends out leaves from the site address.
topo_nat_rules() { # topo_nat_rules I
	cat <<EOF
table ip customer_nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "eth0" udp dport 4500 counter dnat to $(topo_sp_local "$1")
		iifname "eth0" tcp dport 7443 counter dnat to $(topo_sp_local "$1")
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "eth0" masquerade
	}
}
EOF
}

# Prints the links whose TX checksum offload is still on (none: success).
topo_check_offloads() {
	local bad="" i
	topo_link_tx_csum_off "$(topo_ns ws)" ws0 || bad="$bad ws0"
	topo_link_tx_csum_off "$(topo_ns gw)" gw-vendor || bad="$bad gw-vendor"
	topo_link_tx_csum_off "$(topo_ns gw)" gw-sp || bad="$bad gw-sp"
	topo_link_tx_csum_off "$(topo_ns wan)" wan-gw || bad="$bad wan-gw"
	for ((i = 1; i <= SPG_N_SP; i++)); do
		topo_link_tx_csum_off "$(topo_ns wan)" "wan-sp$i" || bad="$bad wan-sp$i"
		topo_link_tx_csum_off "$(topo_ns sp$i)" eth0 || bad="$bad sp$i:eth0"
	done
	[ -z "$bad" ] || {
		echo "TX checksum offload still on:$bad"
		return 1
	}
}

topo_random_key() { od -An -tx1 -N20 /dev/urandom | tr -d ' \n'; } # AES-128 key || salt

# Keys as the gateway sees them: KEY_OUT_i encrypts gateway -> SP i, KEY_IN_i the reverse.
topo_keys_generate() {
	local i f=$SPG_STATE/keys.env
	: >"$f"
	chmod 600 "$f"
	for ((i = 1; i <= SPG_N_SP; i++)); do
		echo "KEY_OUT_$i=$(topo_random_key)" >>"$f"
		echo "KEY_IN_$i=$(topo_random_key)" >>"$f"
	done
}

topo_key() { # topo_key out|in I
	local var
	var="KEY_$(echo "$1" | tr "[:lower:]" "[:upper:]")_$2"
	grep "^$var=" "$SPG_STATE/keys.env" | cut -d= -f2
}

# Starts SP i: its ESP endpoint (scapy) with the tun, the services answering "spI" on 7000
# and 8080, and the forbidden listener on 9999.
topo_sp_start() { # topo_sp_start I
	local i=$1 sp
	sp=$(topo_ns "sp$i")
	topo_spawn "esp_peer$i" "$sp" "$SPG_PY" "$SPG_REPO/tests/integration/esp_peer.py" \
		--local "$(topo_sp_addr "$i")" --gateway "$SPG_SP_GW" \
		--spi-in "$(topo_spi_out "$i")" --key-in "$(topo_key out "$i")" \
		--spi-out "$(topo_spi_in "$i")" --key-out "$(topo_key in "$i")" \
		--tun sptun0 --shared "$SPG_S" --inner "$SPG_G_IN" --mtu "$SPG_INNER_MTU" \
		--stats "$SPG_STATE/esp_peer$i.json" --log "$SPG_STATE/logs/esp_peer$i.log"
	topo_spawn "svc${i}_7000" "$sp" "$SPG_PY" "$SPG_REPO/tests/integration/sp_service.py" \
		--name "sp$i" --port 7000 --log "$SPG_STATE/logs/sp$i-7000.log"
	topo_spawn "svc${i}_8080" "$sp" "$SPG_PY" "$SPG_REPO/tests/integration/sp_service.py" \
		--name "sp$i" --port 8080 --log "$SPG_STATE/logs/sp$i-8080.log"
	topo_spawn "svc${i}_9999" "$sp" "$SPG_PY" "$SPG_REPO/tests/integration/sp_service.py" \
		--name "sp$i-forbidden" --port 9999 --log "$SPG_STATE/logs/sp$i-9999.log"
	: >>"$SPG_STATE/logs/sp$i-9999.log"
}

topo_sp_ready() { # topo_sp_ready I: tun up and all three services listening
	local sp
	sp=$(topo_ns sp"$1")
	ip -n "$sp" link show sptun0 2>/dev/null | grep -q 'state UNKNOWN\|,UP' &&
		ip -n "$sp" route show "$SPG_G_IN" | grep -q sptun0 &&
		[ "$(ip netns exec "$sp" ss -Htln 'sport = :7000 or sport = :8080 or sport = :9999' | wc -l)" -ge 3 ]
}

topo_sps_start() {
	local i
	for ((i = 1; i <= SPG_N_SP; i++)); do
		topo_sp_start "$i"
	done
	for ((i = 1; i <= SPG_N_SP; i++)); do
		if ! wait_until 20 topo_sp_ready "$i"; then
			topo_log "SP $i did not come up; its logs:"
			tail -n 20 "$SPG_STATE/logs/esp_peer$i".* "$SPG_STATE"/logs/svc"$i"_*.out 2>/dev/null
			return 1
		fi
	done
}

topo_dp_alive() { topo_pid_alive dp; }

# Starts spgate-dp in the gateway namespace and waits until it answers `dp hello`.
topo_dp_start() { # topo_dp_start [TIMEOUT]
	local t=${1:-60} deadline
	if ! "$SPG_REPO/build/dataplane/spgate-dp" --check-config "$SPG_DP_CONFIG" \
		>"$SPG_STATE/logs/check-config.out" 2>&1; then
		cat "$SPG_STATE/logs/check-config.out"
		topo_log "spgate-dp --check-config $SPG_DP_CONFIG failed"
		return 1
	fi
	mkdir -p "$(dirname "$SPG_SOCK")"
	topo_log "starting spgate-dp in $(topo_ns gw) (log: $SPG_STATE/logs/dp.out)"
	topo_spawn dp "$(topo_ns gw)" "$SPG_REPO/build/dataplane/spgate-dp" --config "$SPG_DP_CONFIG"
	deadline=$((SECONDS + t))
	while [ $SECONDS -lt $deadline ]; do
		if ! topo_dp_alive; then
			topo_log "spgate-dp exited during start-up; its log:"
			tail -n 30 "$SPG_STATE/logs/dp.out"
			return 1
		fi
		if topo_ctl dp hello >/dev/null 2>&1; then
			topo_log "spgate-dp answers on $SPG_SOCK"
			return 0
		fi
		sleep 0.5
	done
	topo_log "spgate-dp did not answer 'dp hello' within ${t}s; its log:"
	tail -n 30 "$SPG_STATE/logs/dp.out"
	return 1
}

topo_session_add() { # topo_session_add I [extra spgatectl options...]
	local i=$1
	shift
	topo_ctl dp session add --id "$i" --virtual "$(topo_virtual "$i")" --workstation "$SPG_W" \
		--peer "$(topo_sp_addr "$i"):4500" \
		--spi-out "$(topo_spi_out "$i")" --spi-in "$(topo_spi_in "$i")" \
		--key-out "$(topo_key out "$i")" --key-in "$(topo_key in "$i")" \
		--ports tcp:7000,tcp:8080 --icmp-echo "$@"
}

topo_sessions_add() {
	local i
	for ((i = 1; i <= SPG_N_SP; i++)); do
		topo_session_add "$i" || return 1
	done
}

# topo_fetch I [PORT] [TIMEOUT]: what the service behind V_i:PORT answers, from the workstation.
topo_fetch() {
	local t=${3:-5}
	ip netns exec "$(topo_ns ws)" timeout "$((t + 1))" \
		nc -w "$t" "$(topo_virtual "$1")" "${2:-7000}" </dev/null 2>/dev/null
}

# topo_capture_start NAME NS IFACE [FILTER...]: tcpdump to $SPG_STATE/NAME.pcap.
topo_capture_start() {
	local name=$1 ns=$2 dev=$3
	shift 3
	topo_spawn "cap_$name" "$ns" tcpdump -U -n -i "$dev" -w "$SPG_STATE/$name.pcap" "$@"
	# tcpdump says "listening on" once the capture is open
	wait_until 5 grep -q "listening on" "$SPG_STATE/logs/cap_$name.out"
}

topo_capture_stop() { # topo_capture_stop NAME
	topo_stop "cap_$1" 3
}
