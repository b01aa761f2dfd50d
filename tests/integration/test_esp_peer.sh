#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Proves esp_peer.py against itself before it is used as the reference peer of spgate-dp:
# two namespaces, two peers with mirrored SPIs and keys, ping and TCP across their tuns, plus
# the replay and tamper hooks. Run as root.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3
A=spg-pt-a # plays the SP: 203.0.113.11, tun 192.0.2.10
B=spg-pt-b # plays the gateway: 203.0.113.1, tun 192.0.2.1
state=$(mktemp -d /tmp/spg-esp-peer.XXXXXX)
n_pass=0
n_fail=0

check() { # check "sentence" CMD...
	local what=$1
	shift
	if "$@"; then
		echo "PASS: $what"
		n_pass=$((n_pass + 1))
	else
		echo "FAIL: $what"
		n_fail=$((n_fail + 1))
	fi
}

cleanup() {
	local f
	for f in "$state"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	sleep 0.3
	for f in "$state"/*.pid; do
		[ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	if [ $n_fail -gt 0 ]; then
		echo "--- logs kept in $state"
		tail -n 20 "$state"/*.log 2>/dev/null
	else
		rm -rf "$state"
	fi
}
trap cleanup EXIT

stat_of() { # stat_of FILE NAME
	$PY -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], 0))' "$1" "$2" 2>/dev/null || echo 0
}

wait_for() { # wait_for SECONDS CMD...: polls every 0.1 s
	local deadline=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

ip netns del $A 2>/dev/null
ip netns del $B 2>/dev/null
ip netns add $A
ip netns add $B
ip link add pt-a type veth peer name pt-b
ip link set pt-a netns $A
ip link set pt-b netns $B
ip -n $A addr add 203.0.113.11/24 dev pt-a
ip -n $B addr add 203.0.113.1/24 dev pt-b
ip -n $A link set pt-a up
ip -n $B link set pt-b up
ip -n $A link set lo up
ip -n $B link set lo up

key1=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
key2=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')

# B's outbound (0x1001, key1) is A's inbound; A's outbound (0x2001, key2) is B's inbound.
ip netns exec $A $PY "$here/esp_peer.py" --local 203.0.113.11 --gateway 203.0.113.1 \
	--spi-in 0x1001 --key-in "$key1" --spi-out 0x2001 --key-out "$key2" \
	--tun sptun0 --shared 192.0.2.10 --inner 192.0.2.1 \
	--pidfile "$state/a.pid" --stats "$state/a.json" --log "$state/a.log" &
ip netns exec $B $PY "$here/esp_peer.py" --local 203.0.113.1 --gateway 203.0.113.11 \
	--spi-in 0x2001 --key-in "$key2" --spi-out 0x1001 --key-out "$key1" \
	--tun gwtun0 --shared 192.0.2.1 --inner 192.0.2.10 \
	--pidfile "$state/b.pid" --stats "$state/b.json" --log "$state/b.log" &
ip netns exec $A $PY "$here/sp_service.py" --name sp1 --port 7000 \
	--pidfile "$state/svc.pid" --log "$state/svc.log" &

check "both peers start and bring up their tuns" \
	wait_for 15 bash -c "[ -f $state/a.pid ] && [ -f $state/b.pid ] && [ -f $state/svc.pid ] &&
		ip -n $A link show sptun0 >/dev/null 2>&1 && ip -n $B link show gwtun0 >/dev/null 2>&1"

check "ping across the tunnel gets 3 replies" \
	ip netns exec $B ping -q -c 3 -i 0.3 -W 2 192.0.2.10
answer=$(ip netns exec $B timeout 10 nc -w 5 192.0.2.10 7000 </dev/null)
check "a TCP connection across the tunnel is answered with sp1 (got '$answer')" \
	[ "$answer" = sp1 ]
big=$(ip netns exec $B ping -c 1 -W 2 -s 1400 -M "do" 192.0.2.10 >/dev/null && echo ok)
check "a 1428-byte packet (tun MTU 1438) crosses the tunnel" [ "$big" = ok ]

wait_for 2 bash -c "[ \"\$($PY -c 'import json;print(json.load(open(\"$state/a.json\"))[\"decrypted\"])')\" -ge 5 ]"
check "A decrypted what B encrypted and the wire format checks found nothing" \
	bash -c "[ $(stat_of "$state/a.json" decrypted) -ge 5 ] && [ $(stat_of "$state/a.json" format_errors) -eq 0 ] && [ $(stat_of "$state/b.json" format_errors) -eq 0 ]"

before=$(stat_of "$state/b.json" replays)
kill -USR1 "$(cat "$state/a.pid")"
check "a replayed datagram is rejected by the receiving peer's window" \
	wait_for 5 bash -c "[ \$($PY -c 'import json;print(json.load(open(\"$state/b.json\"))[\"replays\"])') -gt $before ]"

before=$(stat_of "$state/b.json" decrypt_failures)
kill -USR2 "$(cat "$state/a.pid")"
ip netns exec $B ping -c 1 -W 1 192.0.2.10 >/dev/null
check "a tampered datagram fails authentication" \
	wait_for 5 bash -c "[ \$($PY -c 'import json;print(json.load(open(\"$state/b.json\"))[\"decrypt_failures\"])') -gt $before ]"
check "traffic still flows after the replay and the tampering" \
	ip netns exec $B ping -q -c 2 -i 0.3 -W 2 192.0.2.10

echo "$n_pass passed, $n_fail failed"
[ $n_fail -eq 0 ]
