#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Integration test of spgate-agent, in namespaces of its own (prefix spga-):
#
#   spga-gw  203.0.113.1   the gateway: sph_probe (control/sp_handshake.c, as spgate-control
#                          uses it) and scapy's ESP (esp_peer.py, as spgate-dp would be)
#   spga-sp  203.0.113.11  the SP: spgate-agent (TLS 7443, ESP 4500, TUN sptun0 with S =
#                          192.0.2.10, XDP guard on sp0), services on tcp 22 and tcp 23
#   spga-x   203.0.113.99  a stranger on the customer's network
#   spga-lan               the bridge between them
#
# (a) wire format against scapy (AES-GCM, ESN, NAT-T) both ways, replay and tampering;
# (b) the handshake: refusals with their reasons, keys equal on both ends, rekey, grace,
#     attach, close; (c) the guard; (d) trust: mutual TLS (no or a foreign client
#     certificate refused), the SP's identity, grants bound to one gateway certificate and
#     used once (also after an agent restart), no second open of a live session, and
#     budgets a stranger cannot exhaust. Each assertion prints PASS/FAIL and a sentence; the last
#     line is "N passed, N failed". Run as root.
#
#   SPG_BUILD=DIR   build directory (default: build); SPG_KEEP=1 keeps the state directory
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${SPG_BUILD:-$REPO/build}
AGENT=${SPG_AGENT:-$BUILD/tools/agent/spgate-agent}
PROBE=${SPG_PROBE:-$BUILD/tests/integration/agent/sph_probe}
PY=/usr/bin/python3
HERE=$REPO/tests/integration
GW=spga-gw SP=spga-sp X=spga-x LAN=spga-lan
GW_ADDR=203.0.113.1 SP_ADDR=203.0.113.11 X_ADDR=203.0.113.99 S=192.0.2.10 G_IN=192.0.2.1
# issue 15 (join): engineers who joined a gateway's session speak from G_in + 1 .. + 3
G_IN1=192.0.2.2 G_IN3=192.0.2.4 G_IN4=192.0.2.5
STATE=$(mktemp -d /tmp/spgate-agent-test.XXXXXX)
# shellcheck source=tests/integration/common.sh
. "$HERE/common.sh"

wait_for() { # wait_for SECONDS CMD...: polls every 0.1 s, bounded
	local deadline=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

stop_pid() { # stop_pid FILE [SIGNAL]: signal, wait up to 3 s, then SIGKILL
	local f=$1 sig=${2:-TERM} pid i
	[ -f "$f" ] || return 0
	pid=$(cat "$f")
	kill -"$sig" "$pid" 2>/dev/null
	for i in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null
	rm -f "$f"
}

teardown() { # every process the test started, then its namespaces
	local f ns
	for f in "$STATE"/*.pid; do
		[ -f "$f" ] && stop_pid "$f"
	done
	for ns in $GW $SP $X $LAN; do
		ip netns del "$ns" 2>/dev/null
	done
}
test_begin "$STATE" teardown spgate-agent "$STATE/agent.log" 40

for bin in "$AGENT" "$PROBE"; do
	if [ ! -x "$bin" ]; then
		echo "missing $bin (build first; SPG_BUILD names the build directory)"
		exit 1
	fi
done

# ---- topology ----
for ns in $GW $SP $X $LAN; do
	ip netns del "$ns" 2>/dev/null
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip -n $LAN link add br0 type bridge
ip -n $LAN link set br0 up
plug() { # plug NS IFNAME ADDR
	ip -n "$1" link add "$2" type veth peer name "$2-br" netns $LAN
	ip -n $LAN link set "$2-br" master br0 up
	ip -n "$1" addr add "$3/24" dev "$2"
	ip -n "$1" link set "$2" up
}
plug $GW gw0 $GW_ADDR
plug $SP sp0 $SP_ADDR
plug $X x0 $X_ADDR

# ---- keys, certificates, config ----
openssl_quiet() { openssl "$@" >/dev/null 2>&1; }
mkleaf() { # mkleaf DIR CA NAME CN EXT: NAME.crt / NAME.key, signed by CA, with EXT lines
	openssl_quiet req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$1/$3.key" -out "$1/$3.csr" -subj "/CN=$4"
	printf '%b\n' "$5" >"$1/$3.ext"
	openssl_quiet x509 -req -in "$1/$3.csr" -CA "$1/$2.crt" -CAkey "$1/$2.key" \
		-CAcreateserial -out "$1/$3.crt" -days 2 -extfile "$1/$3.ext"
}
mkca() { # mkca DIR NAME
	openssl_quiet req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$1/$2.key" -out "$1/$2.crt" -days 2 -subj "/CN=spgate-test-$2"
}
mkcert() { # mkcert DIR: CAs, agent certificates for CK2001 (and CK2002), gateway certificates
	mkdir -p "$1"
	mkca "$1" ca
	mkleaf "$1" ca agent CK2001 \
		"subjectAltName=URI:spgate:sp:CK2001,DNS:CK2001,IP:$SP_ADDR\nextendedKeyUsage=serverAuth"
	mkleaf "$1" ca agent-ck2002 CK2002 \
		"subjectAltName=URI:spgate:sp:CK2002,DNS:CK2001,IP:$SP_ADDR\nextendedKeyUsage=serverAuth"
	mkca "$1" gateway-ca
	mkleaf "$1" gateway-ca gw gw "subjectAltName=DNS:gw\nextendedKeyUsage=clientAuth"
	mkleaf "$1" gateway-ca gw2 gw2 "subjectAltName=DNS:gw2\nextendedKeyUsage=clientAuth"
}
mkcert "$STATE/pki"
mkcert "$STATE/other-pki"
GWC="--cert $STATE/pki/gw.crt --key $STATE/pki/gw.key"
gen_key() { "$AGENT" --gen-vendor-key "$1" "$2" >/dev/null && grep -q "BEGIN PRIVATE KEY" "$1"; }
check "spgate-agent --gen-vendor-key makes an Ed25519 key pair" \
	gen_key "$STATE/vendor.key" "$STATE/vendor.pub"
"$AGENT" --gen-vendor-key "$STATE/forger.key" "$STATE/forger.pub" >/dev/null

cat >"$STATE/agent.yaml" <<EOF
serial: CK2001
listen:
  address: $SP_ADDR
  port: 7443
tls:
  certificate: $STATE/pki/agent.crt
  key: $STATE/pki/agent.key
  gateway_ca: $STATE/pki/gateway-ca.crt
vendor_key: $STATE/vendor.pub
sp:
  shared_address: $S
  profile: lab
  ports: [tcp:22, tcp:443, udp:161]
esp:
  port: 4500
  replay_window: 128
  nat_keepalive: 20
  rekey_overlap: 5
tun:
  name: sptun0
  mtu: 1400
guard:
  mode: xdp-generic
  interface: sp0
session:
  grace: 4
  control_timeout: 30
state_dir: $STATE/run
log_level: debug
EOF
config_ok() { "$AGENT" -c "$1" --check-config >/dev/null; }
check "the agent's config passes --check-config" config_ok "$STATE/agent.yaml"
sed 's/^  mtu: 1400/  mtu: 1400\n  colour: blue/' "$STATE/agent.yaml" >"$STATE/bad.yaml"
msg=$("$AGENT" -c "$STATE/bad.yaml" --check-config 2>&1)
matches() { [[ $1 == $2 ]]; }
check "an unknown key is refused naming file:line:column and the key ($msg)" \
	matches "$msg" "*bad.yaml:2[0-9]:*tun*colour*"

# ---- helpers (functions, so check and wait_for can call them) ----
status() { "$AGENT" -c "$STATE/agent.yaml" --status --json 2>/dev/null; }
guard_counter() { status | jq -r ".guard.counters.$1 // 0" 2>/dev/null || echo 0; }
tunnel_drop() { status | jq -r ".tunnel_drops.$1 // 0" 2>/dev/null || echo 0; }
guard_above() { [ "$(guard_counter "$1")" -gt "$2" ]; }
drop_above() { [ "$(tunnel_drop "$1")" -gt "$2" ]; }
first_state_is() { [ "$(status | jq -r '.sessions[0].state')" = "$1" ]; }
no_sessions() { [ "$(status | jq '.sessions | length')" = 0 ]; }
agent_answers() { status | jq -e '.sessions == []' >/dev/null; }
peer_stat() { jq -r ".$2 // 0" "$STATE/$1.json" 2>/dev/null || echo 0; }
tun_present() { ip -n $SP link show sptun0 >/dev/null 2>&1; }
tun_has_s() { ip -n $SP addr show sptun0 2>/dev/null | grep -q "$S/32"; }
route_present() { ip -n $SP route show $G_IN 2>/dev/null | grep -q sptun0; }
xdp_attached() { ip -n $SP link show sp0 | grep -q xdp; }
installed() { tun_present && tun_has_s && route_present && xdp_attached; }
nothing_installed() {
	! tun_present && ! ip -n $SP route show $G_IN | grep -q . && ! ip -n $SP route show $G_IN3 | grep -q . &&
		! xdp_attached
}
has_line() { grep -q "$2" "$STATE/$1.out" 2>/dev/null; }
file_exists() { [ -f "$1" ]; }

probe() { # probe NAME ARGS...: sph_probe in the gateway namespace, in the background
	local name=$1
	shift
	ip netns exec $GW "$PROBE" --agent $SP_ADDR:7443 --ca "$STATE/pki/ca.crt" --name CK2001 \
		--expect-serial CK2001 $GWC "$@" >"$STATE/$name.out" 2>"$STATE/$name.err" &
	disown
	echo $! >"$STATE/$name.pid"
}
probe_line() { grep "\"event\":\"$2\"" "$STATE/$1.out" 2>/dev/null | tail -1; }
probe_field() { probe_line "$1" "$2" | jq -r "$3"; }
probe_opened_ok() { probe_line "$1" opened | jq -e "$2" >/dev/null 2>&1; }
last_pong_counts() { probe_line "$1" pong | jq -e '.rx > 0 and .tx > 0' >/dev/null 2>&1; }
probe_bare() { # probe_bare ARGS...: as probe_once, without a client certificate of its own
	ip netns exec $GW timeout 15 "$PROBE" --agent $SP_ADDR:7443 --name CK2001 --once \
		--gw-spi 0x1001 --gw-inner $G_IN --gw-outer $GW_ADDR:4500 "$@" 2>/dev/null |
		jq -r 'select(.event == "opened") | if .ok then "ok" else .reason end'
}
probe_once() { # probe_once ARGS...: how an open ends: "ok" or the reason (as gateway gw)
	probe_bare $GWC "$@"
}
agent_fp() { # agent_fp SESSION GENERATION gw_to_sp|sp_to_gw: what the agent logged
	local n=1
	[ "$3" = sp_to_gw ] && n=2
	grep "session $1 generation $2 keys" "$STATE/agent.log" | tail -1 |
		sed -E "s/.*gw->sp ([0-9a-f]+) sp->gw ([0-9a-f]+).*/\\$n/"
}
same_fp() { [ -n "$1" ] && [ "$1" = "$2" ]; }
gw_tun_gone() { ! ip -n $GW link show gwtun0 >/dev/null 2>&1; }
start_peer() { # start_peer NAME SP_SPI GW_SPI KEY_GW_TO_SP KEY_SP_TO_GW: the gateway's ESP
	ip netns exec $GW $PY "$HERE/esp_peer.py" --local $GW_ADDR --gateway $SP_ADDR \
		--spi-in "$3" --key-in "$5" --spi-out "$2" --key-out "$4" \
		--tun gwtun0 --shared $G_IN --inner $S --mtu 1400 --replay-window 128 \
		--pidfile "$STATE/$1.pid" --stats "$STATE/$1.json" --log "$STATE/$1.log" &
	wait_for 15 file_exists "$STATE/$1.pid" && wait_for 5 ip -n $GW link show gwtun0 >/dev/null
}
peer_from_probe() { # peer_from_probe PEER PROBE EVENT
	local line
	line=$(probe_line "$2" "$3")
	[ -n "$line" ] || return 1
	start_peer "$1" "$(jq -r .sp_spi <<<"$line")" "$(jq -r .gw_spi <<<"$line")" \
		"$(jq -r .keys.gw_to_sp <<<"$line")" "$(jq -r .keys.sp_to_gw <<<"$line")"
}
peer_decrypted_at_least() { [ "$(peer_stat "$1" decrypted)" -ge "$2" ]; }
peer_clean() { [ "$(peer_stat "$1" format_errors)" -eq 0 ] && [ "$(peer_stat "$1" decrypt_failures)" -eq 0 ]; }
ping_s() { ip netns exec $GW ping -q -c "$1" -i 0.3 -W 2 $S >/dev/null; }
big_ping() { ip netns exec $GW ping -q -c 1 -W 2 -s 1300 -M do $S >/dev/null; }
tcp_answer() { ip netns exec "$1" timeout 5 nc -w 2 "$2" "$3" </dev/null 2>/dev/null; }

# ---- start ----
ip netns exec $SP $PY "$HERE/sp_service.py" --name sp-ssh --port 22 \
	--pidfile "$STATE/svc22.pid" --log "$STATE/svc22.log" &
ip netns exec $SP $PY "$HERE/sp_service.py" --name sp-telnet --port 23 \
	--pidfile "$STATE/svc23.pid" --log "$STATE/svc23.log" &
ip netns exec $SP "$AGENT" -c "$STATE/agent.yaml" 2>"$STATE/agent.log" &
echo $! >"$STATE/agent.pid"
check "spgate-agent starts and answers --status" wait_for 10 agent_answers
wait_for 10 file_exists "$STATE/svc22.pid"
wait_for 10 file_exists "$STATE/svc23.pid"
answer=$(tcp_answer $X $SP_ADDR 22)
check "without a session a stranger reaches the SP's port 22 in clear (got '$answer')" \
	[ "$answer" = sp-ssh ]
check "without a session there is no tunnel device and no guard" nothing_installed

# ---- (b) refusals ----
V="--vendor-key $STATE/vendor.key --ca $STATE/pki/ca.crt --session 7"
r=$(probe_once --vendor-key "$STATE/forger.key" --ca "$STATE/pki/ca.crt" --serial CK2001 --session 7)
check "a grant signed with another key is refused: bad signature (got '$r')" [ "$r" = "bad signature" ]
r=$(probe_once $V --serial CK9999)
check "a grant for another serial is refused: wrong serial (got '$r')" [ "$r" = "wrong serial" ]
r=$(probe_once $V --serial CK2001 --expires-in -5)
check "a grant past its expiry is refused: expired (got '$r')" [ "$r" = "expired" ]
r=$(probe_once --vendor-key "$STATE/vendor.key" --ca "$STATE/other-pki/ca.crt" --serial CK2001 --session 7)
check "an agent whose certificate another CA signed is not trusted (got '$r')" \
	matches "$r" "*certificate verify failed*"
check "a refused open installs nothing" nothing_installed

r=$(probe_once --vendor-key "$STATE/vendor.key" --ca "$STATE/pki/ca.crt" --serial CK2001 \
	--session 7 --agent $SP_ADDR:7444)
check "nobody listening: the open fails at once, saying so (got '$r')" \
	matches "$r" "*7444*refused*"
# a TCP listener that never speaks TLS: the handshake hangs until the connect timeout (5 s)
ip netns exec $X timeout 20 $PY -c "import socket,time; s=socket.socket(); \
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('$X_ADDR', 7443)); \
s.listen(4); open('$STATE/mute.pid','w').write(str(__import__('os').getpid())); time.sleep(20)" &
disown
wait_for 5 file_exists "$STATE/mute.pid"
r=$(probe_once --vendor-key "$STATE/vendor.key" --ca "$STATE/pki/ca.crt" --serial CK2001 \
	--session 7 --agent $X_ADDR:7443)
check "a peer that never answers the TLS handshake: the open fails at the timeout (got '$r')" \
	matches "$r" "*timed out waiting for connect and TLS handshake*"
stop_pid "$STATE/mute.pid"

# ---- (d) trust: mutual TLS, identity, channel binding ----
GOOD="--vendor-key $STATE/vendor.key --ca $STATE/pki/ca.crt --serial CK2001"
agent_logged() { grep -q "$1" "$STATE/agent.log"; }
r=$(probe_bare $GOOD --session 11)
check "a gateway without a client certificate is refused by the agent (got '$r')" \
	[ -n "$r" ] && [ "$r" != ok ]
check "the agent logged the failed handshake with the peer's address" \
	wait_for 3 agent_logged "channel $GW_ADDR:[0-9]*: TLS handshake failed"
r=$(probe_bare $GOOD --session 12 --cert "$STATE/other-pki/gw.crt" --key "$STATE/other-pki/gw.key")
check "a gateway whose certificate another CA signed is refused by the agent (got '$r')" \
	[ -n "$r" ] && [ "$r" != ok ]
r=$(probe_bare $GOOD --session 13 --cert "$STATE/pki/agent-ck2002.crt" --key "$STATE/pki/agent-ck2002.key")
check "an SP's (server) certificate cannot serve as a gateway's (got '$r')" \
	[ -n "$r" ] && [ "$r" != ok ]
r=$(probe_once $GOOD --session 14 --expect-serial CK2002)
check "the gateway refuses an agent whose certificate names another SP (got '$r')" \
	matches "$r" "*certificate names CK2001, expected CK2002"
r=$(probe_once $GOOD --session 15 --bind-cert "$STATE/pki/gw2.crt")
check "a grant bound to gateway gw2 is refused over gw's channel: wrong gateway (got '$r')" \
	[ "$r" = "wrong gateway" ]
r=$(probe_bare $GOOD --session 16 --cert "$STATE/pki/gw2.crt" --key "$STATE/pki/gw2.key" \
	--bind-cert "$STATE/pki/gw.crt")
check "and gw's grant is refused over gw2's channel, the same fleet (got '$r')" \
	[ "$r" = "wrong gateway" ]
check "refused grants installed nothing" nothing_installed
r=$(probe_once $GOOD --session 17 --save-grant "$STATE/grant-17")
check "a good grant opens (and closes) a session once (got '$r')" [ "$r" = ok ]
r=$(probe_once --ca "$STATE/pki/ca.crt" --replay "$STATE/grant-17")
check "the same grant replayed is refused: replayed grant (got '$r')" [ "$r" = "replayed grant" ]
check "the agent logged the replay" agent_logged "refused: nonce [0-9a-f]* was used before"
check "a replay installs nothing" nothing_installed
check "the agent keeps the nonce in its state directory, with the record's start" \
	eval 'grep -q "^spgate-agent grant nonces 2" "$STATE/run/grant-nonces" &&
		grep -q "^since [0-9]*$" "$STATE/run/grant-nonces" &&
		[ "$(grep -cE "^[0-9a-f]{32} [0-9]+$" "$STATE/run/grant-nonces")" -ge 1 ]'

# ---- (d) budgets: a stranger cannot hold the agent's slots ----
ip netns exec $X timeout 30 $PY -c "import socket,time,os
socks = []
for i in range(20):
    s = socket.socket(); s.settimeout(2)
    try: s.connect(('$SP_ADDR', 7443)); socks.append(s)
    except OSError: pass
open('$STATE/hog.pid', 'w').write(str(os.getpid()))
time.sleep(25)" &
disown
wait_for 10 file_exists "$STATE/hog.pid"
check "a stranger opening 20 idle connections is capped per source address" \
	wait_for 3 agent_logged "refusing a connection from $X_ADDR: it holds 4 channels"
r=$(probe_once $GOOD --session 18)
check "while the stranger holds its connections the gateway still opens a session (got '$r')" \
	[ "$r" = ok ]
check "the stranger's idle connections are closed after the request timeout (5 s)" \
	wait_for 8 agent_logged "channel $X_ADDR:[0-9]*: no complete request within 5 s"
stop_pid "$STATE/hog.pid"
check "nothing stays installed" wait_for 3 nothing_installed

# ---- (b) open ----
probe p1 --vendor-key "$STATE/vendor.key" --serial CK2001 --session 4242 --gw-spi 0x1001 \
	--gw-inner $G_IN --gw-outer $GW_ADDR:4500 --ports tcp:22,tcp:443,tcp:8443 \
	--keepalive 1 --save-grant "$STATE/grant-4242"
check "a good grant opens a session" wait_for 10 probe_opened_ok p1 .ok
check "the agent answers S and the ports both sides allow (tcp:22, tcp:443)" \
	[ "$(probe_field p1 opened '.sp_address + " " + (.ports | join(","))')" = "$S tcp:22,tcp:443" ]
for dir in gw_to_sp sp_to_gw; do
	mine=$(probe_field p1 opened ".fp.$dir")
	theirs=$(agent_fp 4242 0 $dir)
	check "both ends derived the same $dir key (fingerprints $mine / $theirs)" \
		same_fp "$mine" "$theirs"
done
check "the agent installed the TUN with S, a route to G_in through it and the guard" installed

# ---- (a) wire format against scapy ----
check "scapy's ESP comes up as the gateway with the probe's keys" peer_from_probe gw1 p1 opened
check "ping crosses the tunnel both ways (scapy -> agent -> SP -> agent -> scapy)" ping_s 3
answer=$(tcp_answer $GW $S 22)
check "TCP to an allowed service port through the tunnel is answered (got '$answer')" \
	[ "$answer" = sp-ssh ]
before=$(tunnel_drop inner_port)
answer=$(tcp_answer $GW $S 23)
check "TCP to port 23 (not granted) through the tunnel gets no answer (got '$answer')" \
	[ -z "$answer" ]
check "and the agent counted it as inner_port" drop_above inner_port "$before"
# issue 15 (join): the gateway's joiner in slot j sends from G_in + j; G_in + 4 is nobody
ip -n $GW addr add $G_IN1/32 dev gwtun0
ip -n $GW addr add $G_IN4/32 dev gwtun0
check "the agent routes G_in + 1 .. + 3 into the tunnel too" \
	bash -c "ip -n $SP route show $G_IN1 | grep -q sptun0 && ip -n $SP route show $G_IN3 | grep -q sptun0"
before=$(tunnel_drop inner_src)
answer=$(ip netns exec $GW timeout 5 nc -w 2 -s $G_IN4 $S 22 </dev/null 2>/dev/null)
check "TCP from G_in + 4 ($G_IN4, no joiner slot) through the tunnel gets no answer (got '$answer')" \
	[ -z "$answer" ]
check "and the agent counted it as inner_src" drop_above inner_src "$before"
answer=$(ip netns exec $GW timeout 5 nc -w 2 -s $G_IN1 $S 22 </dev/null 2>/dev/null)
check "a joiner's TCP from G_in + 1 ($G_IN1) reaches the SP's port 22 and the answer comes back (got '$answer')" \
	[ "$answer" = sp-ssh ]
check "the SP's service saw it from $G_IN1" grep -q "from $G_IN1:" "$STATE/svc22.log"
before=$(tunnel_drop inner_port)
answer=$(ip netns exec $GW timeout 5 nc -w 2 -s $G_IN1 $S 23 </dev/null 2>/dev/null)
check "a joiner is held to the session's ports: port 23 from $G_IN1 gets no answer (got '$answer')" \
	[ -z "$answer" ]
check "and the agent counted it as inner_port" drop_above inner_port "$before"
ip -n $GW addr del $G_IN1/32 dev gwtun0
ip -n $GW addr del $G_IN4/32 dev gwtun0
check "a 1328-byte packet with DF crosses the tunnel (TUN MTU 1400)" big_ping
wait_for 3 peer_decrypted_at_least gw1 6
check "scapy decrypted the agent's packets" peer_decrypted_at_least gw1 6
check "and found ESN, ICV, padding and next header as the RFCs say" peer_clean gw1

before=$(tunnel_drop replay)
kill -USR1 "$(cat "$STATE/gw1.pid")"
check "a datagram scapy sends twice is dropped by the agent as a replay" \
	wait_for 5 drop_above replay "$before"
before=$(tunnel_drop bad_icv)
kill -USR2 "$(cat "$STATE/gw1.pid")"
sleep 0.3
ip netns exec $GW ping -c 1 -W 1 $S >/dev/null
check "a datagram with one ciphertext bit flipped fails the agent's ICV check" \
	wait_for 5 drop_above bad_icv "$before"
check "traffic still flows after the replay and the tampering" ping_s 2

# ---- (c) the guard ----
before=$(guard_counter drop_tcp)
answer=$(tcp_answer $X $SP_ADDR 22)
check "with a session up a stranger's TCP to the SP's port 22 gets no answer (got '$answer')" \
	[ -z "$answer" ]
check "and the guard counted the drop (drop_tcp)" guard_above drop_tcp "$before"
before=$(guard_counter drop_esp_stranger)
ip netns exec $X $PY -c "import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); \
s.sendto(b'\x00\x00\x10\x01' + bytes(60), ('$SP_ADDR', 4500))"
check "ESP from a stranger is dropped by the guard" wait_for 3 guard_above drop_esp_stranger "$before"
before=$(guard_counter drop_control_stranger)
ip netns exec $X timeout 4 nc -z -w 2 $SP_ADDR 7443
check "a stranger cannot even reach the agent's TLS port" guard_above drop_control_stranger "$before"
check "the gateway's ESP passes the guard (pass_esp counts it)" guard_above pass_esp 0
check "the gateway's control channel passes the guard (pass_control counts it)" \
	guard_above pass_control 0
check "keepalive pings are answered with the tunnel's packet counters" \
	wait_for 4 last_pong_counts p1

table=$("$AGENT" -c "$STATE/agent.yaml" --status)
check "spgate-agent --status prints the session, its state and the guard's drops" \
	matches "$table" "*4242*up*alice*192.0.2.1*drop_tcp=*"

# ---- (b) rekey ----
kill -USR1 "$(cat "$STATE/p1.pid")"
check "a rekey is answered with generation 1" \
	wait_for 5 has_line p1 '"event":"rekeyed","generation":1'
for dir in gw_to_sp sp_to_gw; do
	mine=$(probe_field p1 rekeyed ".fp.$dir")
	theirs=$(agent_fp 4242 1 $dir)
	check "both ends derived the same generation-1 $dir key ($mine / $theirs)" \
		same_fp "$mine" "$theirs"
	check "and it is not generation 0's" [ "$mine" != "$(probe_field p1 opened ".fp.$dir")" ]
done
check "the agent's SPI changed" \
	[ "$(probe_field p1 rekeyed .sp_spi)" != "$(probe_field p1 opened .sp_spi)" ]
stop_pid "$STATE/gw1.pid"
wait_for 5 gw_tun_gone
check "scapy comes up again with generation 1's keys and SPIs" peer_from_probe gw2 p1 rekeyed
check "traffic flows on the new SAs" ping_s 2

# ---- (b) grace and attach ----
stop_pid "$STATE/p1.pid" KILL
check "when the control channel drops the session enters its grace period" \
	wait_for 5 first_state_is grace
check "the tunnel keeps working during the grace period" ping_s 1
probe p2 --attach "$STATE/grant-4242" --keepalive 1
check "attach with the same grant within the grace period is accepted at generation 1" \
	wait_for 5 probe_opened_ok p2 '.ok and .generation == 1'
sleep 5 # longer than the grace period: an attached session must not expire
check "the attached session stays up past the old grace period" first_state_is up
check "traffic flows after the attach (the gateway's keys did not change)" ping_s 1
r=$(probe_once --ca "$STATE/pki/ca.crt" --gw-spi 0x1001 --replay "$STATE/grant-4242")
check "the live session's grant replayed is refused: session already open (got '$r')" \
	[ "$r" = "session already open" ]
r=$(probe_once $GOOD --session 4242)
check "a second open for the live session id, with a fresh grant, is refused (got '$r')" \
	[ "$r" = "session already open" ]
check "the live session is unharmed: still up" first_state_is up
check "and traffic still flows" ping_s 2
check "and its channel is still answered (pongs)" wait_for 3 last_pong_counts p2
r=$(ip netns exec $GW timeout 10 "$PROBE" --agent $SP_ADDR:7443 --ca "$STATE/pki/ca.crt" $GWC \
	--name CK2001 --vendor-key "$STATE/vendor.key" --serial CK2001 --session 9 --gw-spi 0x1001 \
	--save-grant "$STATE/grant-9" --gw-inner 192.0.2.99 --once 2>/dev/null |
	jq -r 'select(.event == "closed") | .confirmed')
check "a second session opens and closes next to the first (closed confirmed: $r)" [ "$r" = true ]
r=$(ip netns exec $GW timeout 10 "$PROBE" --agent $SP_ADDR:7443 --ca "$STATE/pki/ca.crt" $GWC \
	--name CK2001 --attach "$STATE/grant-9" --once 2>/dev/null |
	jq -r 'select(.event == "opened") | .reason')
check "attach with the grant of a session that is no longer live is refused (got '$r')" \
	[ "$r" = "no such session" ]
check "the first session is still up" first_state_is up

# ---- (b) close ----
kill -TERM "$(cat "$STATE/p2.pid")"
check "close is confirmed by the agent" wait_for 5 has_line p2 '"event":"closed","confirmed":true'
check "close removed the TUN, the route to G_in and the guard" wait_for 3 nothing_installed
answer=$(tcp_answer $X $SP_ADDR 22)
check "after close the stranger reaches port 22 in clear again: the guard is gone (got '$answer')" \
	[ "$answer" = sp-ssh ]
stop_pid "$STATE/gw2.pid"

# ---- (b) grace expiry ----
probe p3 --vendor-key "$STATE/vendor.key" --serial CK2001 --session 5151 --gw-spi 0x2001 \
	--gw-inner $G_IN --gw-outer $GW_ADDR:4500
check "another session comes up" wait_for 10 probe_opened_ok p3 .ok
stop_pid "$STATE/p3.pid" KILL
check "it is in grace right after its channel dropped" wait_for 3 first_state_is grace
check "when the grace period ends the agent tears everything down" \
	wait_for 8 nothing_installed
check "and forgets the session" no_sessions
check "the agent logged why" grep -q "grace period over" "$STATE/agent.log"

# ---- grant expiry ----
probe p6 --vendor-key "$STATE/vendor.key" --serial CK2001 --session 5252 --gw-spi 0x2001 \
	--gw-inner $G_IN --gw-outer $GW_ADDR:4500 --expires-in 3
check "a session whose grant expires in 3 s comes up" wait_for 10 probe_opened_ok p6 .ok
check "when its grant expires the agent ends it and tells the control plane why" \
	wait_for 6 has_line p6 '"event":"lost","why":"agent 203.0.113.11:7443: grant expired"'
check "and removes what it installed" wait_for 3 nothing_installed

# ---- shutdown ----
probe p4 --vendor-key "$STATE/vendor.key" --serial CK2001 --session 6161 --gw-spi 0x3001 \
	--gw-inner $G_IN --gw-outer $GW_ADDR:4500
wait_for 10 probe_opened_ok p4 .ok
stop_pid "$STATE/agent.pid"
check "a stopping agent tells the control plane the session is down" \
	wait_for 5 has_line p4 '"event":"lost"'
check "and leaves no TUN and no guard behind" nothing_installed

# ---- sequence numbers run out: the agent asks for a rekey, then refuses to send ----
sed 's/^  rekey_overlap: 5/  rekey_overlap: 5\n  seq_limit: 40/' "$STATE/agent.yaml" >"$STATE/agent-seq.yaml"
ip netns exec $SP "$AGENT" -c "$STATE/agent-seq.yaml" 2>"$STATE/agent2.log" &
echo $! >"$STATE/agent.pid"
wait_for 10 agent_answers
r=$(probe_once --ca "$STATE/pki/ca.crt" --replay "$STATE/grant-17")
check "after an agent restart the used grant is still refused: replayed grant (got '$r')" \
	[ "$r" = "replayed grant" ]
probe p5 --vendor-key "$STATE/vendor.key" --serial CK2001 --session 7171 --gw-spi 0x4001 \
	--gw-inner $G_IN --gw-outer $GW_ADDR:4500 --keepalive 1
check "a session opens on an agent whose SAs carry 40 packets" wait_for 10 probe_opened_ok p5 .ok
peer_from_probe gw3 p5 opened
ip netns exec $GW ping -q -c 32 -i 0.02 -W 1 $S >/dev/null
check "after 3/4 of its sequence numbers the agent asks the control plane for a rekey" \
	wait_for 3 has_line p5 '"event":"rekey_wanted"'
before=$(tunnel_drop seq_exhausted)
ip netns exec $GW ping -q -c 12 -i 0.02 -W 1 $S >/dev/null
check "at the limit it refuses to send rather than wrap (seq_exhausted counts)" \
	drop_above seq_exhausted "$before"
kill -USR1 "$(cat "$STATE/p5.pid")"
wait_for 5 has_line p5 '"event":"rekeyed"'
stop_pid "$STATE/gw3.pid"
wait_for 5 gw_tun_gone
peer_from_probe gw4 p5 rekeyed
check "after the rekey traffic flows again" ping_s 2

# ---- missed pongs ----
kill -STOP "$(cat "$STATE/agent.pid")"
check "an agent that stops answering pings is reported lost after 3 missed pongs" \
	wait_for 8 has_line p5 '"event":"lost","why":"agent 203.0.113.11:7443: no pong for 3 pings"'
kill -CONT "$(cat "$STATE/agent.pid")"
check "the agent, running again, finds its channel gone and keeps the tunnel for the grace" \
	wait_for 5 first_state_is grace
check "and tears it down when the grace period ends" wait_for 8 nothing_installed
stop_pid "$STATE/gw4.pid"
stop_pid "$STATE/agent.pid"
