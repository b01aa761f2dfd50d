#!/usr/bin/env bash
# tools/pktgen's Lua scripts for pktgen-dpdk 23.06: each one parses (luac -p), and each one run
# against a STAND-IN for pktgen (tests/unit/pktgen/Pktgen.lua, which records the calls and
# models what the scripts depend on) does what issue 17 found it did not in a real pktgen-dpdk
# 23.06.1 (tests/unit/pktgen/check.lua). pktgen itself cannot run here: Debian 12 does not
# package it. Lua 5.3, the version pktgen links, comes from tools/setup.sh.
#
#   tests/unit/pktgen/run.sh
#
# Exits 0 when all held, 1 otherwise, 77 (skip) when lua5.3 is not installed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
scripts=$(cd "$here/../../../tools/pktgen" && pwd)
for c in lua5.3 luac5.3; do
	if ! command -v "$c" >/dev/null; then
		echo "SKIP: $c is not installed (tools/setup.sh installs the lua5.3 package)"
		exit 77
	fi
done

pass=0
fail=0
for f in "$scripts"/*.lua; do
	if luac5.3 -p "$f"; then
		echo "ok   luac5.3 -p $(basename "$f")"
		pass=$((pass + 1))
	else
		echo "FAIL luac5.3 -p $(basename "$f")"
		fail=$((fail + 1))
	fi
done

out=$(lua5.3 "$here/check.lua" "$here" "$scripts" 2>&1)
rc=$?
printf '%s\n' "$out" | sed '$d'
last=$(printf '%s\n' "$out" | tail -n 1)
if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
	pass=$((pass + BASH_REMATCH[1]))
	fail=$((fail + BASH_REMATCH[2]))
	[ "$rc" = 0 ] || [ "${BASH_REMATCH[2]}" != 0 ] || fail=$((fail + 1))
else
	echo "$last"
	echo "FAIL check.lua did not finish (exit $rc)"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
