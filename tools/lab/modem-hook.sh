#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# spgate-modemsim's hook in the lab (tools/lab/modems.sh): the telephone line itself. A
# connected call makes the SP that answered reachable on the SP network at the connect
# speed; a hang-up or a dropped call makes it unreachable again.
#
#   modem-hook.sh up|down|retrain DEVICE NUMBER SPEED PEER
#
# PEER is the line's peer address, the address the SP answers on once the call is up (the
# lab's modem SPs have it on their eth0). The SP's link to the WAN bridge (wan-spI in the
# WAN namespace) is down while no call is up; during a call both of its ends are shaped
# with tc's token bucket to SPEED bit/s. The namespace prefix comes from SPG_NS.
set -uo pipefail

event=$1 device=$2 number=$3 speed=$4 peer=$5
ns=${SPG_NS:-spg-}
# topology.sh: SP i is at 203.0.113.(10 + i)
i=$((${peer##*.} - 10))
wan=${ns}wan sp=${ns}sp$i
log() { echo "modem-hook: $event $device $number ${speed} bit/s -> SP $i ($peer): $*"; }

shape() { # shape NS DEV: a token bucket at the line's speed (bit/s), a second of queue
	ip netns exec "$1" tc qdisc replace dev "$2" root tbf rate "${speed}bit" burst 1600 latency 1s
}

case $event in
up)
	shape "$wan" "wan-sp$i" && shape "$sp" eth0 && ip -n "$wan" link set "wan-sp$i" up
	log "link up"
	;;
retrain)
	shape "$wan" "wan-sp$i" && shape "$sp" eth0
	log "speed changed"
	;;
down)
	ip -n "$wan" link set "wan-sp$i" down
	ip netns exec "$wan" tc qdisc del dev "wan-sp$i" root 2>/dev/null
	ip netns exec "$sp" tc qdisc del dev eth0 root 2>/dev/null
	log "link down"
	;;
*)
	echo "modem-hook: unknown event \"$event\" (up, down or retrain)" >&2
	exit 2
	;;
esac
