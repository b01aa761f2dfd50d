#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Integration test of spgate-control's authentication against a real FreeRADIUS 3 on
# 127.0.0.1 (tests/integration/radius/radiusd.sh), driven through the real control/auth code
# by tests/integration/radius/auth_probe. Each assertion prints PASS/FAIL and a sentence; the
# last line is "N passed, N failed". No root needed; only loopback traffic.
#
#   SPG_BUILD=build tests/integration/test_radius.sh   build directory holding auth_probe
#   AUTH_PROBE=/path/to/auth_probe ...                 or the probe itself
#   SPG_KEEP=1 ...                                     keep the state directory (radiusd log)
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$SPG_REPO/tests/integration/radius
PROBE=${AUTH_PROBE:-${SPG_BUILD:-$SPG_REPO/build}/tests/integration/radius/auth_probe}
PY=/usr/bin/python3
STATE=$(mktemp -d /tmp/spgate-radius-test.XXXXXX)
# shellcheck source=radius/radiusd.sh
. "$HERE/radiusd.sh"
# shellcheck source=tests/integration/common.sh
. "$SPG_REPO/tests/integration/common.sh"

forger_pids=()

teardown() { # FreeRADIUS and the forgers
	local p
	radius_stop "$STATE/radius"
	for p in "${forger_pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
}
test_begin "$STATE" teardown radiusd "$STATE/radius/radiusd.log" 30

# jget JSON KEY: a field of one probe result; lists come out comma-joined, null as "null".
jget() {
	"$PY" -c 'import json, sys
v = json.loads(sys.argv[1]).get(sys.argv[2])
print("null" if v is None else ",".join(v) if isinstance(v, list) else v)' "$1" "$2"
}

# probe ARGS...: runs auth_probe (bounded) and prints its JSON lines.
probe() {
	timeout 60 "$PROBE" "$@"
}

# is LINE KEY VALUE: true when the field equals VALUE, else says what it was.
is() {
	local got
	got=$(jget "$1" "$2")
	[ "$got" = "$3" ] && return 0
	echo "    $2: expected \"$3\", got \"$got\" in $1"
	return 1
}

contains() { # contains LINE KEY TEXT
	local got
	got=$(jget "$1" "$2")
	[[ $got == *"$3"* ]] && return 0
	echo "    $2: expected to contain \"$3\", got \"$got\""
	return 1
}

no_accept() { ! grep -q "Access-Accept" <<<"$1"; } # no_accept RADCLIENT-OUTPUT

start_forger() { # start_forger PORT MODE: a hostile server for 60 s at most
	"$PY" "$HERE/forger.py" "$1" "$2" testing123 60 >"$STATE/forger.$1" 2>&1 &
	forger_pids+=($!)
	local i
	for i in $(seq 1 50); do
		grep -q ready "$STATE/forger.$1" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "forger on port $1 did not start" >&2
	return 1
}

[ -x "$PROBE" ] || abort "auth_probe is built ($PROBE; set SPG_BUILD or AUTH_PROBE)"
command -v freeradius >/dev/null || command -v radiusd >/dev/null || abort "freeradius is installed"

RAD_PORT=$(radius_free_port)
radius_gen "$STATE/radius" "$RAD_PORT" testing123
check "FreeRADIUS starts on 127.0.0.1:$RAD_PORT and answers" radius_start "$STATE/radius"
RAD=127.0.0.1:$RAD_PORT:testing123
CLOSED=127.0.0.1:$(radius_free_port):testing123 # nothing listens there: ICMP port unreachable

echo "--- accept and reject"
out=$(probe --server "$RAD" alice:alice-pw:192.0.2.7)
check "alice with her password is accepted by radius" is "$out" outcome ok
check "alice's groups come from her Class attribute" is "$out" groups storage-eu
check "the result names the method that decided" is "$out" method radius
check "the audit detail names the server that accepted" contains "$out" detail "radius 127.0.0.1:$RAD_PORT: accept"

wrong=$(probe --server "$RAD" alice:not-her-password)
unknown=$(probe --server "$RAD" mallory:whatever)
check "a wrong password is refused as auth_failed" is "$wrong" error auth_failed
check "an unknown user is refused as auth_failed too" is "$unknown" error auth_failed
check "unknown user and wrong password have the same outcome" \
	test "$(jget "$wrong" outcome)" = "$(jget "$unknown" outcome)"
check "a refused login carries no groups" is "$wrong" groups ""

echo "--- groups"
out=$(probe --server "$RAD" carol:carol-pw)
check "two Class values give two groups" is "$out" groups storage-eu,storage-globex
out=$(probe --server "$RAD" dave:dave-pw)
check "one Class value \"a,b\" gives two groups" is "$out" groups storage-eu,storage-apac
out=$(probe --server "$RAD" --group-attribute Filter-Id bob:bob-pw)
check "with group_attribute Filter-Id, bob's groups come from Filter-Id" is "$out" groups storage-globex
out=$(probe --server "$RAD" bob:bob-pw)
check "with the default Class, bob's Filter-Id is not taken as a group" is "$out" groups ""
out=$(probe --server "$RAD" erin:erin-pw)
check "a user without a group attribute is accepted with no groups" is "$out" groups ""

echo "--- failover"
out=$(probe --server "$CLOSED" --server "$RAD" alice:alice-pw)
check "with the first server's port closed, the second accepts" is "$out" outcome ok
check "the detail tells the first server was unreachable" contains "$out" detail "port unreachable"
check "a closed port costs no timeout" "$PY" -c "import sys; sys.exit(not $(jget "$out" ms) < 500)"

SILENT_PORT=$(radius_free_port)
start_forger "$SILENT_PORT" silent
out=$(probe --timeout-ms 300 --retries 1 --server "127.0.0.1:$SILENT_PORT:testing123" --server "$RAD" alice:alice-pw)
check "with the first server mute, the second accepts after its timeouts" is "$out" outcome ok
check "a mute server costs timeout x tries (2 x 300 ms)" \
	"$PY" -c "import sys; ms = $(jget "$out" ms); sys.exit(not 550 < ms < 2000)"
out=$(probe --server "$CLOSED" --server "$RAD" alice:wrong)
check "a reject from the second server is final" is "$out" error auth_failed

echo "--- servers down"
out=$(probe --timeout-ms 300 --server "$CLOSED" --server "127.0.0.1:$SILENT_PORT:testing123" alice:alice-pw)
check "with every server down the outcome is unavailable" is "$out" outcome unavailable
check "which the API reports as auth_unavailable" is "$out" error auth_unavailable
check "the detail accounts for every server" contains "$out" detail "127.0.0.1:$SILENT_PORT: no answer"
out=$(probe --server "127.0.0.1:$RAD_PORT:not-the-secret" alice:alice-pw)
check "a wrong shared secret is unavailable, not a reject" is "$out" outcome unavailable
check "and the detail suggests the secret" contains "$out" detail "shared secret"

echo "--- method order"
out=$(probe --methods radius,local --server "$CLOSED" --local alice:local-pw:local-group alice:local-pw)
check "radius unavailable falls through to local" is "$out" method local
check "and local accepts with the store's groups" is "$out" groups local-group
out=$(probe --methods radius,local --server "$RAD" --local alice:local-pw:local-group alice:local-pw)
check "a radius reject does not fall through to local" is "$out" error auth_failed
check "the reject is radius's" is "$out" method radius
out=$(probe --methods radius,local --server "$CLOSED" --local alice:local-pw alice:wrong)
check "radius unavailable and a wrong local password is auth_failed" is "$out" error auth_failed
out=$(probe --methods radius,local --server "$CLOSED" --local alice:local-pw mallory:whatever)
check "radius unavailable and a user unknown locally is auth_failed, not unavailable" \
	is "$out" error auth_failed
mapfile -t outs < <(probe --methods local,radius --server "$RAD" --local breakglass:bg-pw:operators \
	breakglass:bg-pw alice:alice-pw mallory:whatever breakglass:alice-pw)
check "local first: a local account logs in locally" is "${outs[0]}" method local
check "local first: a user unknown locally goes on to radius" is "${outs[1]}" groups storage-eu
check "local first: a user unknown to both is auth_failed" is "${outs[2]}" error auth_failed
check "local first: a wrong local password does not go on to radius" is "${outs[3]}" method local

echo "--- forged replies"
FORGED_PORT=$(radius_free_port)
SIGNED_PORT=$(radius_free_port)
NOMA_PORT=$(radius_free_port)
start_forger "$FORGED_PORT" accept-forged
start_forger "$SIGNED_PORT" accept-signed
start_forger "$NOMA_PORT" accept-no-ma
out=$(probe --server "127.0.0.1:$NOMA_PORT:testing123" alice:anything)
check "by default, an Access-Accept with a correct Response Authenticator but no Message-Authenticator is refused (BlastRADIUS, CVE-2024-3596)" \
	is "$out" outcome unavailable
check "its groups are not taken" is "$out" groups ""
check "the detail names the missing Message-Authenticator" contains "$out" detail "without the required Message-Authenticator"
out=$(probe --require-message-authenticator no --server "127.0.0.1:$NOMA_PORT:testing123" alice:anything)
check "only with require_message_authenticator switched off is such an accept believed" is "$out" groups admins
out=$(probe --server "127.0.0.1:$SIGNED_PORT:testing123" alice:anything)
check "the forger's correctly signed accept, with its Message-Authenticator, is believed (the forger works)" \
	is "$out" groups admins
out=$(probe --server "127.0.0.1:$FORGED_PORT:testing123" alice:anything)
check "an Access-Accept with a wrong Response Authenticator is not believed" is "$out" outcome unavailable
check "its groups are not taken" is "$out" groups ""
check "the detail counts the forged reply" contains "$out" detail "wrong authenticator"
out=$(probe --require-message-authenticator yes --server "$RAD" alice:alice-pw)
check "requiring a Message-Authenticator, FreeRADIUS's replies (signed by radiusd.sh's post-auth) are accepted" \
	is "$out" outcome ok
out=$(echo 'User-Name = "alice", User-Password = "alice-pw"' |
	timeout 5 radclient -r 1 -t 1 "127.0.0.1:$RAD_PORT" auth testing123 2>&1)
check "FreeRADIUS drops a request without Message-Authenticator (client require_message_authenticator = yes)" \
	no_accept "$out"

echo "--- rate limiting"
mapfile -t outs < <(probe --server "$RAD" --max-failures 3 --window 60 \
	bob:x1:198.51.100.1 bob:x2:198.51.100.2 bob:x3:198.51.100.3 bob:bob-pw:198.51.100.4 \
	alice:alice-pw:198.51.100.4)
check "three failures are refused as auth_failed" \
	test "$(jget "${outs[0]}" error),$(jget "${outs[1]}" error),$(jget "${outs[2]}" error)" = \
	"auth_failed,auth_failed,auth_failed"
check "the fourth attempt is rate_limited even with the right password" is "${outs[3]}" error rate_limited
check "a rate-limited attempt never reached radius" is "${outs[3]}" method null
check "another user is not affected" is "${outs[4]}" outcome ok
mapfile -t outs < <(probe --server "$RAD" --max-failures 2 --window 60 \
	alice:x:203.0.113.9 bob:x:203.0.113.9 carol:carol-pw:203.0.113.9 carol:carol-pw:203.0.113.10)
check "a source that failed max_failures times is refused for any user" is "${outs[2]}" error rate_limited
check "the same user from another source is let through" is "${outs[3]}" outcome ok

echo "--- Access-Challenge (second factor, RFC 2865 4.4)"
command -v oathtool >/dev/null || abort "oathtool is installed (tools/setup.sh)"
TOTP_NOW="oathtool --totp -b $RADIUS_TOTP_SECRET"
# The attacks first: a stolen password alone, a guessed code, a code for the wrong round.
mapfile -t outs < <(probe --server "$RAD" tina:tina-pw)
check "tina's right password alone gets a challenge, not an accept" is "${outs[0]}" outcome challenge
check "the challenge carries no groups" is "${outs[0]}" groups ""
check "the challenge's Reply-Message is its prompt" is "${outs[0]}" prompt "Token code for tina: "
mapfile -t outs < <(probe --server "$RAD" --respond 000000 tina:tina-pw)
check "a wrong code after the challenge is refused as auth_failed" is "${outs[1]}" error auth_failed
check "and the reject is the same server's" contains "${outs[1]}" detail "radius 127.0.0.1:$RAD_PORT: reject"
mapfile -t outs < <(probe --server "$RAD" --respond 4321 uma:uma-pw)
check "the second round's answer given to the first round is refused" is "${outs[1]}" error auth_failed
out=$(probe --server "$RAD" tina:not-her-password)
check "a wrong password gets no challenge" is "$out" error auth_failed
mapfile -t outs < <(probe --server "$RAD" --max-failures 2 --window 60 --respond 000001 --respond 000002 \
	--respond-cmd "$TOTP_NOW" tina:tina-pw:198.51.100.20 tina:tina-pw:198.51.100.21 tina:tina-pw:198.51.100.22)
check "wrong codes count in the rate limit like wrong passwords: the third login is rate_limited" \
	is "${outs[4]}" error rate_limited
check "the rate-limited login never reached radius" is "${outs[4]}" method null
# The engineer's way through.
mapfile -t outs < <(probe --server "$RAD" --respond-cmd "$TOTP_NOW" tina:tina-pw:192.0.2.30)
check "the password and the TOTP code computed by oathtool are accepted" is "${outs[1]}" outcome ok
check "the accept came after answering the challenge (a second factor)" is "${outs[1]}" answered True
check "the groups come from the accept after the challenge" is "${outs[1]}" groups storage-eu
mapfile -t outs < <(probe --server "$RAD" --respond - --respond 4321 --respond-cmd "$TOTP_NOW" uma:uma-pw)
check "uma's first answer (the code) brings a second challenge" is "${outs[1]}" outcome challenge
check "with its own prompt" is "${outs[1]}" prompt "PIN: "
check "the second answer (the PIN) is accepted: several rounds" is "${outs[2]}" outcome ok
mapfile -t outs < <(probe --server "$RAD" --respond - --respond 9999 --respond-cmd "$TOTP_NOW" uma:uma-pw)
check "a wrong answer in the second round is refused" is "${outs[2]}" error auth_failed
out=$(probe --server "$RAD" alice:alice-pw)
check "a user the server does not challenge logs in with one request, as before" is "$out" answered False

echo "--- hostile challenges"
NOSTATE_PORT=$(radius_free_port)
FCHAL_PORT=$(radius_free_port)
start_forger "$NOSTATE_PORT" challenge-no-state
start_forger "$FCHAL_PORT" challenge-forged
out=$(probe --server "127.0.0.1:$NOSTATE_PORT:testing123" alice:anything)
check "a signed Access-Challenge without State cannot be answered: auth_failed" is "$out" error auth_failed
check "the detail says why" contains "$out" detail "challenge without State"
out=$(probe --timeout-ms 300 --server "127.0.0.1:$FCHAL_PORT:testing123" --server "$RAD" alice:alice-pw)
check "a forged Access-Challenge (wrong authenticator) is not believed: the next server decides" \
	is "$out" outcome ok
check "the detail counts the forged reply" contains "$out" detail "wrong authenticator"
