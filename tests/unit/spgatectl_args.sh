#!/usr/bin/env bash
# spgatectl's command line: good arguments reach for the socket (exit 3 when it is missing),
# bad ones are refused before that (exit 2) with a message naming the bad argument.
#
#   tests/unit/spgatectl_args.sh PATH/TO/spgatectl
#
# Needs no dataplane and no root. Exits 0 when every case held, 1 otherwise.
set -u

ctl=${1:?usage: $0 PATH/TO/spgatectl}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
missing=$tmp/no-such-dir/dp.sock
export SPGATE_DP_SOCKET=$missing

pass=0
fail=0

# expect EXIT_CODE STDERR_SUBSTRING -- ARGS...   (empty substring: anything)
expect() {
	local want=$1 needle=$2
	shift 3
	local err rc
	err=$("$ctl" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL: spgatectl $* -> exit $rc, expected $want; stderr: $err"
		fail=$((fail + 1))
	elif [ -n "$needle" ] && [[ "$err" != *"$needle"* ]]; then
		echo "FAIL: spgatectl $* -> stderr lacks '$needle': $err"
		fail=$((fail + 1))
	else
		pass=$((pass + 1))
	fi
}

K16=00112233445566778899aabbccddeeff01020304
K32=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff01020304
add=(dp session add --id 7 --virtual 198.18.0.7 --workstation 192.0.2.10 --peer 203.0.113.7
	--spi-out 0x1001 --spi-in 4098 --key-out "$K16" --key-in "0x$K16")

# Help everywhere, exit 0, no socket needed.
for args in "--help" "dp --help" "dp session --help" "dp session add --help" "dp session update --help" \
	"dp session del --help" "dp session show --help" "dp sessions --help" "dp stats --help" \
	"dp drops --help" "dp hello --help" "dp session update 5 --help"; do
	# shellcheck disable=SC2086
	expect 0 "" -- $args
done
# expect_stdout STDOUT_SUBSTRING -- ARGS...   (exit 0)
expect_stdout() {
	local needle=$1
	shift 2
	local out
	out=$("$ctl" "$@" 2>/dev/null)
	if [[ "$out" == *"$needle"* ]]; then
		pass=$((pass + 1))
	else
		echo "FAIL: spgatectl $* -> stdout lacks '$needle'"
		fail=$((fail + 1))
	fi
}
expect_stdout "--spi-out SPI" -- dp session add --help
expect_stdout "G_in + j" -- dp session joiners --help
expect_stdout "gratuitous ARP" -- dp address add --help
# The default socket is documented; a test must not talk to a dataplane that may be running.
expect_stdout "/run/spgate/dp.sock" -- --help

# --version and help (issue 13): the version from the build, help = --help, help CMD = CMD --help
ver=$("$ctl" --version 2>&1)
if [[ $? -eq 0 && "$ver" =~ ^spgatectl\ [0-9]+\.[0-9]+ ]]; then
	pass=$((pass + 1))
else
	echo "FAIL: spgatectl --version -> '$ver'"
	fail=$((fail + 1))
fi
expect_stdout "usage: spgatectl" -- help
expect_stdout "  help  " -- --help
expect_stdout "--spi-out SPI" -- help dp session add
expect_stdout "usage: spgatectl session show ID" -- help session show
expect 2 "unknown command 'nope'" -- help nope
expect_stdout "usage: spgatectl help" -- help help
expect_stdout "usage: spgatectl help" -- help --help

# Well-formed commands get as far as the socket: exit 3 naming it.
expect 3 "$missing" -- dp hello
expect 3 "$missing" -- dp sessions
expect 3 "$missing" -- --json dp stats
expect 3 "$missing" -- dp drops --all
expect 3 "$missing" -- dp session show 7
expect 3 "$missing" -- dp session del 7
expect 3 "$missing" -- dp session joiners 7 - 192.0.2.12
expect 3 "$missing" -- dp session joiners 7
expect 3 "$missing" -- dp address list
expect 3 "$missing" -- dp address add sp 203.0.113.250
expect 3 "$missing" -- dp address del vendor 192.0.2.2
expect 3 "$missing" -- "${add[@]}"
expect 3 "$missing" -- "${add[@]}" --ports tcp:22,tcp:8000-8100,udp:161 --icmp-echo --rate-out 33.6k \
	--rate-in 10m --burst-out 3000 --burst-in 3000
expect 3 "$missing" -- dp session add --id=7 --virtual=198.18.0.7 --workstation=192.0.2.10 \
	--peer=203.0.113.7:4501 --spi-out=256 --spi-in=0xffffffff --key-out=$K32 --key-in=$K32 --ports=none
expect 3 "$missing" -- dp session update 7 --peer 203.0.113.8:4500
expect 3 "$missing" -- dp session update 7 --rate-out 0 --icmp-echo off
expect 3 "$missing" -- dp session update 7 --spi-out 0x2001 --spi-in 0x2002 --key-out $K16 --key-in $K16
expect 3 "$tmp/other.sock" -- --socket "$tmp/other.sock" dp hello
expect 3 "$tmp/other.sock" -- --socket="$tmp/other.sock" --timeout 100 dp hello

# Usage errors: exit 2, the message names what was wrong.
expect 2 "missing command" --
expect 2 "unknown command 'frob'" -- frob
expect 2 "unknown option '--bogus'" -- --bogus dp hello
expect 2 "--timeout" -- --timeout 0 dp hello
expect 2 "--timeout" -- --timeout abc dp hello
expect 2 "--socket needs a value" -- --socket
expect 2 "dp: missing command" -- dp
expect 2 "unknown command 'frob'" -- dp frob
expect 2 "dp session: missing command" -- dp session
expect 2 "unknown option '--all'" -- dp stats --all
expect 2 "unexpected argument 'x'" -- dp drops x
expect 2 "missing --id" -- dp session add
expect 2 "dp session joiners: missing session ID" -- dp session joiners
expect 2 "at most 3 joiners, got 4" -- dp session joiners 7 192.0.2.11 192.0.2.12 192.0.2.13 192.0.2.14
expect 2 "W2: \"192.0.2.300\"" -- dp session joiners 7 192.0.2.11 192.0.2.300
expect 2 "ID: session id 0" -- dp session joiners 0 192.0.2.11
expect 2 "PORT \"wan\" is neither vendor nor sp" -- dp address add wan 203.0.113.250
expect 2 "ADDRESS: \"203.0.113.300\"" -- dp address add sp 203.0.113.300
expect 2 "ADDRESS: \"0.0.0.0\"" -- dp address del sp 0.0.0.0
expect 2 "expected PORT and ADDRESS, got 1" -- dp address add sp
expect 2 "expected PORT and ADDRESS, got 3" -- dp address del sp 203.0.113.250 x
expect 2 "unexpected argument 'x'" -- dp address list x
expect 2 "missing --key-in" -- dp session add --id 7 --virtual 198.18.0.7 --workstation 192.0.2.10 \
	--peer 203.0.113.7 --spi-out 0x1001 --spi-in 4098 --key-out $K16
expect 2 "--id given twice" -- "${add[@]}" --id 8
expect 2 "--id: session id 0" -- dp session add --id 0 --virtual 198.18.0.7 --workstation 192.0.2.10 \
	--peer 203.0.113.7 --spi-out 0x1001 --spi-in 4098 --key-out $K16 --key-in $K16
expect 2 "--id: \"-1\"" -- dp session add --id -1 --virtual 198.18.0.7 --workstation 192.0.2.10 \
	--peer 203.0.113.7 --spi-out 0x1001 --spi-in 4098 --key-out $K16 --key-in $K16
expect 2 "--virtual: \"198.18.0.300\"" -- dp session add --id 7 --virtual 198.18.0.300 \
	--workstation 192.0.2.10 --peer 203.0.113.7 --spi-out 0x1001 --spi-in 4098 --key-out $K16 --key-in $K16
expect 2 "--workstation: \"host\"" -- dp session add --id 7 --virtual 198.18.0.7 --workstation host \
	--peer 203.0.113.7 --spi-out 0x1001 --spi-in 4098 --key-out $K16 --key-in $K16
expect 2 "--peer: \"203.0.113.7:0\"" -- dp session add --id 7 --virtual 198.18.0.7 --workstation 192.0.2.10 \
	--peer 203.0.113.7:0 --spi-out 0x1001 --spi-in 4098 --key-out $K16 --key-in $K16
expect 2 "--peer: \"203.0.113.7:65536\"" -- dp session add --id 7 --virtual 198.18.0.7 \
	--workstation 192.0.2.10 --peer 203.0.113.7:65536 --spi-out 0x1001 --spi-in 4098 --key-out $K16 --key-in $K16
expect 2 "--spi-out: SPI 255 is reserved" -- dp session add --id 7 --virtual 198.18.0.7 \
	--workstation 192.0.2.10 --peer 203.0.113.7 --spi-out 255 --spi-in 4098 --key-out $K16 --key-in $K16
expect 2 "--spi-in: \"0x1g\"" -- dp session add --id 7 --virtual 198.18.0.7 --workstation 192.0.2.10 \
	--peer 203.0.113.7 --spi-out 0x1001 --spi-in 0x1g --key-out $K16 --key-in $K16
expect 2 "--spi-in: \"0x100000000\"" -- dp session add --id 7 --virtual 198.18.0.7 --workstation 192.0.2.10 \
	--peer 203.0.113.7 --spi-out 0x1001 --spi-in 0x100000000 --key-out $K16 --key-in $K16
expect 2 "--spi-out and --spi-in are both" -- dp session add --id 7 --virtual 198.18.0.7 \
	--workstation 192.0.2.10 --peer 203.0.113.7 --spi-out 4097 --spi-in 0x1001 --key-out $K16 --key-in $K16
expect 2 "--key-out: expected 40 hex digits" -- dp session add --id 7 --virtual 198.18.0.7 \
	--workstation 192.0.2.10 --peer 203.0.113.7 --spi-out 0x1001 --spi-in 4098 --key-out ${K16}00 --key-in $K16
expect 2 "--key-in: 'z'" -- dp session add --id 7 --virtual 198.18.0.7 --workstation 192.0.2.10 \
	--peer 203.0.113.7 --spi-out 0x1001 --spi-in 4098 --key-out $K16 --key-in ${K16:0:39}z
expect 2 "--key-out is 16 bytes + salt but --key-in is 32" -- dp session add --id 7 --virtual 198.18.0.7 \
	--workstation 192.0.2.10 --peer 203.0.113.7 --spi-out 0x1001 --spi-in 4098 --key-out $K16 --key-in $K32
expect 2 "--ports: \"sctp:9\"" -- "${add[@]}" --ports tcp:22,sctp:9
expect 2 "--ports: \"tcp:90-80\"" -- "${add[@]}" --ports tcp:90-80
expect 2 "--ports: \"tcp:0\"" -- "${add[@]}" --ports tcp:0
expect 2 "--ports: \"udp\"" -- "${add[@]}" --ports udp
expect 2 "--ports: more than 8" -- "${add[@]}" --ports tcp:1,tcp:2,tcp:3,tcp:4,tcp:5,tcp:6,tcp:7,tcp:8,tcp:9
expect 2 "--ports: \"tcp:22,\" ends with a comma" -- "${add[@]}" --ports tcp:22,
expect 2 "--icmp-echo takes no value" -- "${add[@]}" --icmp-echo=on
expect 2 "--rate-out: \"10x\"" -- "${add[@]}" --rate-out 10x
expect 2 "--rate-in: \"fast\"" -- "${add[@]}" --rate-in fast
expect 2 "--burst-out: \"1k\"" -- "${add[@]}" --burst-out 1k
expect 2 "missing session ID" -- dp session update
expect 2 "nothing to update" -- dp session update 7
expect 2 "ID: \"seven\"" -- dp session update seven --peer 203.0.113.8
expect 2 "--spi-in is missing" -- dp session update 7 --spi-out 0x2001 --key-out $K16 --key-in $K16
expect 2 "--icmp-echo: \"yes\"" -- dp session update 7 --icmp-echo yes
expect 2 "--icmp-echo needs a value" -- dp session update 7 --icmp-echo
expect 2 "missing session ID" -- dp session del
expect 2 "unexpected argument '8'" -- dp session del 7 8
expect 2 "ID: session id 0" -- dp session show 0

echo "spgatectl_args: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
