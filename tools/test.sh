#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the unit tests (plain and under
# AddressSanitizer/UndefinedBehaviorSanitizer) and the namespace-based integration tests.
# Exits nonzero if any step failed. Run as root (the integration tests create namespaces).
#
#   tools/test.sh                      everything (as root; re-runs itself with sudo otherwise)
#   SPG_SKIP_ASAN=1 tools/test.sh      skip the sanitizer build (quicker while developing)
#   SPG_SKIP_INTEGRATION=1 ...         unit tests only (no root needed then; no package build)
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

# The integration tests need root: run as root, or again with sudo where there is one.
if [ "$(id -u)" -ne 0 ] && [ "${SPG_SKIP_INTEGRATION:-0}" != 1 ] && command -v sudo >/dev/null; then
	exec sudo -E bash "$0" "$@"
fi
# The IETF MIB modules SPGATE-MIB imports are in shared/ beside the repository (CI always has
# it): there, the MIB checks must run, not skip.
if [ -z "${SPG_IETF_MIBS:-}" ] && [ -f "$repo/../shared/mibs/SNMPv2-SMI.txt" ]; then
	export SPG_IETF_MIBS=$repo/../shared/mibs SPG_REQUIRE_MIBS=1
fi

steps=()   # "PASS name" / "FAIL name" / "SKIP name"
n_pass=0
n_fail=0
unit_pass=0
unit_fail=0

record() { # record RESULT NAME
	steps+=("$1 $2")
	case $1 in
	PASS) n_pass=$((n_pass + 1)) ;;
	FAIL) n_fail=$((n_fail + 1)) ;;
	esac
}

run_step() { # run_step NAME CMD...; returns the command's status
	local name=$1
	shift
	echo
	echo "=== $name: $*"
	local rc=0
	"$@" || rc=$?
	if [ $rc -eq 0 ]; then
		record PASS "$name"
		return 0
	fi
	# 77: the step says it cannot run here (automake's and meson's SKIP)
	if [ $rc -eq 77 ]; then
		echo "=== $name: SKIP"
		record SKIP "$name"
		return 0
	fi
	echo "=== $name: FAILED (exit $rc)"
	record FAIL "$name"
	return $rc
}

# meson setup, or reconfigure when the directory already holds a configured build; a build
# directory from another meson version cannot be reconfigured and is wiped instead.
configure() { # configure DIR [meson options...]
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" || meson setup --wipe "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
}

build() { # build DIR [meson options...]
	local dir=$1
	shift
	# -k 0: build everything that can be built, so one broken module does not hide the test
	# results of the others (the step still fails).
	configure "$dir" "$@" && ninja -C "$dir" -k 0
}

# Counts unit test results from meson's JSON log (one object per line), so the summary can
# say how many tests ran, not only how many steps passed.
count_unit_results() { # count_unit_results DIR
	local log=$1/meson-logs/testlog.json
	[ -f "$log" ] || return 0
	local ok bad
	ok=$(grep -c '"result": "OK"' "$log" || true)
	bad=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
	unit_pass=$((unit_pass + ok))
	unit_fail=$((unit_fail + bad))
}

unit_tests() { # unit_tests DIR
	local dir=$1 rc=0 built missing
	rm -f "$dir/meson-logs/testlog.json"
	# meson runs no test at all when one executable is missing; after a partly failed build
	# run those that were built and count the others as failed.
	built=$(unit_tests_named "$dir" built) || return 1
	missing=$(unit_tests_named "$dir" missing)
	if [ -n "$missing" ]; then
		echo "not built, counted as failed: $missing"
		unit_fail=$((unit_fail + $(echo "$missing" | wc -w)))
		rc=1
	fi
	if [ -z "$built" ]; then
		echo "no unit test was built"
		return 1
	fi
	# --no-rebuild: the build step just ran (and reported its own failure, if any)
	# shellcheck disable=SC2086
	in_tool_path meson test -C "$dir" --suite unit --print-errorlogs --no-rebuild $built || rc=$?
	count_unit_results "$dir"
	return $rc
}

unit_tests_named() { # unit_tests_named DIR built|missing: names of the unit suite's tests
	meson introspect --tests "$1" | /usr/bin/python3 -c '
import json, os, sys
want_built = sys.argv[1] == "built"
for t in json.load(sys.stdin):
    if not any(s == "unit" or s.endswith(":unit") for s in t["suite"]):
        continue
    if os.path.exists(t["cmd"][0]) == want_built:
        print(t["name"])' "$2"
}

# tool_path_make DIR: DIR/bin holds links to coreutils and to the commands tools/setup.sh lists,
# as Debian's packages install them (/usr/local, ~/.local or a pyenv do not count), nothing else; the tests run with PATH=DIR/bin, and bash's command_not_found_handle (exported
# into every bash they start) writes any other command called to DIR/unlisted, even where a
# script throws the error away.
tool_path_make() {
	local dir=$1 c p
	mkdir -p "$dir/bin"
	for c in $(dpkg -L coreutils | grep -E '^(/usr)?/s?bin/[^/]+$') \
		$(bash tools/setup.sh --print-commands); do
		p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P "$c") || continue # setup.sh names it
		ln -sf "$p" "$dir/bin/$(basename "$c")"
	done
	: >"$dir/unlisted"
}

command_not_found_handle() {
	echo "$1 (from: ${BASH_SOURCE[1]:-?}:${BASH_LINENO[0]:-?})" >>"$SPG_UNLISTED"
	echo "bash: $1: command not found (not in tools/setup.sh's commands list)" >&2
	return 127
}

# in_tool_path CMD...: CMD with only the listed commands on PATH
in_tool_path() {
	(
		export PATH=$tool_dir/bin SPG_UNLISTED=$tool_dir/unlisted
		export -f command_not_found_handle
		"$@"
	)
}

# The commands step: nothing called a command the list does not have
no_unlisted_commands() {
	if [ -s "$tool_dir/unlisted" ]; then
		echo "commands called by the tests but not listed in tools/setup.sh (commands=...):"
		sort -u "$tool_dir/unlisted" | sed 's/^/  /'
		return 1
	fi
	echo "every command the tests called is in tools/setup.sh's list"
}

# lab_smoke: tools/lab/lab.sh up for a short while; fails when the demo fails or anything it
# printed says a command or a script broke
lab_smoke() {
	local log rc=0
	log=$(mktemp /tmp/spgate-lab-smoke.XXXXXX)
	# the lock the lab is run under by hand too: one lab at a time (its namespaces are spg-)
	flock /tmp/spgate-lock-lab bash tools/lab/lab.sh up --duration "${SPG_LAB_DURATION:-10}" 2>&1 |
		tee "$log" || rc=$?
	if grep -nE 'command not found|Traceback|did not go as it should|No such file' "$log"; then
		echo "lab: the lines above say that part of the demo broke"
		rc=1
	fi
	rm -f "$log"
	return $rc
}

integ_pass=0
integ_fail=0
# run_counted NAME CMD...: run_step of CMD, adding the "N passed, N failed" that CMD ends with
# to the script assertions' counts
run_counted() {
	local name=$1 log line rc=0
	shift
	log=$(mktemp /tmp/spgate-step.XXXXXX)
	run_step "$name" tee_to "$log" "$@" || rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
	if [ -n "$line" ]; then
		integ_pass=$((integ_pass + $(awk '{print $1}' <<<"$line")))
		integ_fail=$((integ_fail + $(awk '{print $3}' <<<"$line")))
	fi
	rm -f "$log"
	return $rc
}
tee_to() { local log=$1; shift; "$@" 2>&1 | tee "$log"; } # tee_to LOG CMD...: (pipefail is on)

run_step setup bash tools/setup.sh
tool_dir=$(mktemp -d /tmp/spgate-tools.XXXXXX)
tool_path_make "$tool_dir"

if run_step build build build || [ -f build/build.ninja ]; then
	run_step unit unit_tests build
else
	record SKIP unit
fi

if [ "${SPG_SKIP_ASAN:-0}" = 1 ]; then
	record SKIP build-asan
else
	# b_lundef=false: needed by clang's sanitizers, harmless with gcc.
	if run_step build-asan build build-asan -Db_sanitize=address,undefined -Db_lundef=false ||
		[ -f build-asan/build.ninja ]; then
		# LeakSanitizer stays on: what the EAL keeps until exit is still reachable through
		# DPDK's globals, which LSan does not report, and the unit tests were checked to
		# report no leaks with it. Library allocations that are not ours to free are
		# suppressed by name in tests/unit/lsan.supp rather than turning leak detection off. Use-after-free, overflows and undefined behaviour are fatal.
		ASAN_OPTIONS=abort_on_error=1 LSAN_OPTIONS=suppressions=$repo/tests/unit/lsan.supp \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			run_step unit-asan unit_tests build-asan
	else
		record SKIP unit-asan
	fi
fi

# The fuzz targets (tests/fuzz, no root needed): each parser's fuzzer for a fixed number of
# runs over its seed corpus, -seed=1 (seconds in all); SKIP where clang cannot build fuzzers.
# Like the build steps it runs with the full PATH: clang calls the linker (binutils' ld).
if bash tools/fuzz.sh --available; then
	run_step fuzz bash tools/fuzz.sh --ci "${SPG_FUZZ_RUNS:-3000}"
else
	echo "=== fuzz: SKIP: clang cannot build libFuzzer targets here (tools/fuzz.sh --available)"
	record SKIP fuzz
fi

# The man pages (no root needed): they render without warnings, and every option, command
# and config key the code has is documented.
run_counted man in_tool_path bash tests/man/test_man.sh

if [ "${SPG_SKIP_INTEGRATION:-0}" = 1 ]; then
	record SKIP integration
elif [ "$(id -u)" -ne 0 ]; then
	echo "=== integration: needs root (network namespaces); run it as root"
	record FAIL integration
elif [ ! -x build/dataplane/spgate-dp ] || [ ! -x build/tools/spgatectl/spgatectl ]; then
	echo "=== integration: build/dataplane/spgate-dp or build/tools/spgatectl/spgatectl was not built"
	record FAIL integration
else
	# Each script makes namespaces with fixed names: the lock keeps two runs of one script (two
	# checkouts on one machine) from tearing down each other's.
	# the reference SP peer first: when it fails, the dataplane test cannot say anything
	run_counted esp-peer in_tool_path flock /tmp/spgate-lock-esppeer bash tests/integration/test_esp_peer.sh
	run_counted integration in_tool_path flock /tmp/spgate-lock-dataplane bash tests/integration/test_dataplane.sh
	# The control plane's peers: a real FreeRADIUS, and spgate-agent against scapy's ESP.
	run_counted radius in_tool_path flock /tmp/spgate-lock-radius env SPG_BUILD=build bash tests/integration/test_radius.sh
	run_counted agent in_tool_path flock /tmp/spgate-lock-agent env SPG_BUILD=build bash tests/integration/test_agent.sh
	# The whole system (tools/lab in namespaces of its own): the connection flow end to end.
	run_counted e2e in_tool_path flock /tmp/spgate-lock-e2e bash tests/integration/test_e2e.sh
	# The same system on a throw-away PostgreSQL (issue 14): the store's outage under a session.
	run_counted storepg in_tool_path flock /tmp/spgate-lock-storepg bash tests/integration/test_store_pg.sh
	# Two gateway hosts on one PostgreSQL (issue 14 item 4): an approval or a disconnect given on
	# one host acts on the session the other runs; sessions and gateways answered fleet-wide.
	run_counted fleet in_tool_path flock /tmp/spgate-lock-fleet bash tests/integration/test_fleet.sh
	# Two gateway hosts, each with its spgate-dp, on PostgreSQL over TCP (issue 14 item 7): sessions
	# through each, a TCP stream, kill -9 and a link cut of host A: B takes A's sessions and
	# addresses, the stream survives, A comes back without taking anything back.
	run_counted failover in_tool_path flock /tmp/spgate-lock-failover bash tests/integration/test_failover.sh
	# The API under attack: four eyes, listener budgets, revocation, workstations, lines.
	run_counted access in_tool_path flock /tmp/spgate-lock-access bash tests/integration/test_access.sh
	# SNMP reporting against a real snmpd (AgentX master) and snmptrapd, on the same lab.
	run_counted snmp in_tool_path flock /tmp/spgate-lock-snmp bash tests/integration/test_snmp.sh
	# Session recordings sealed to the customer, a reason for every session (issue 15); SKIP
	# (77) while spgate-dp answers SESSION_RECORD with EOPNOTSUPP.
	run_counted record in_tool_path flock /tmp/spgate-lock-record bash tests/integration/test_record.sh
	# The web console (issue 18) in headless chromium (playwright-core): approve in the page,
	# scope, CSRF, TLS only; screenshots under build/web-artifacts.
	run_counted web in_tool_path flock /tmp/spgate-lock-web bash tests/integration/test_web.sh
	# Join instead of wait (issue 15): a second engineer joins from a second workstation, is
	# removed; SKIP (77) while spgate-dp answers SESSION_JOINERS with EOPNOTSUPP.
	run_counted join in_tool_path flock /tmp/spgate-lock-join bash tests/integration/test_join.sh
	# Dialing: spgate-control against spgate-modemsim's modems, speeds enforced with tc
	run_counted modem in_tool_path flock /tmp/spgate-lock-modem bash tests/integration/test_modem.sh
	# Soak: 200 sessions at once, each daemon restarted in turn, churn, keepalives, then no
	# leak (dataplane, store, agents, lines, addresses, fds, memory). About 5 minutes.
	run_counted soak in_tool_path flock /tmp/spgate-lock-soak bash tests/integration/test_soak.sh
	# The main job, as README says to run it: the lab comes up, its demo checks what it shows
	# (network sessions, the dialed session, SNMP, a join from a second workstation, the web
	# console over TLS), and it goes down again.
	run_step lab in_tool_path lab_smoke
fi
# The Debian packages, built from a copy of this tree (no namespaces; several minutes: the
# packages compile everything once more), with the integration tests and skipped with them.
if [ "${SPG_SKIP_INTEGRATION:-0}" = 1 ]; then
	record SKIP package
else
	# a build: dpkg-buildpackage runs the compilers, so not with the listed commands only
	run_counted package bash tests/package/test_package.sh
fi
run_step commands no_unlisted_commands
rm -rf "$tool_dir"

echo
echo "=== summary"
for s in "${steps[@]}"; do
	echo "  $s"
done
echo "  unit tests (plain + asan): $unit_pass passed, $unit_fail failed"
echo "  script assertions:         $integ_pass passed, $integ_fail failed (man, integration)"
total_pass=$((unit_pass + integ_pass))
total_fail=$((unit_fail + integ_fail))
# A failed step that ran no individual test (a build, setup) still counts as a failure.
if [ $n_fail -gt 0 ] && [ $total_fail -eq 0 ]; then
	total_fail=$n_fail
fi
echo "$total_pass passed, $total_fail failed"
[ $n_fail -eq 0 ]
