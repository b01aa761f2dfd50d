#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs the unit tests (plain and under
# AddressSanitizer/UndefinedBehaviorSanitizer) and the namespace-based integration tests.
# Exits nonzero if any step failed. Run as root (the integration tests create namespaces).
#
#   sudo tools/test.sh                 everything
#   SPG_SKIP_ASAN=1 tools/test.sh      skip the sanitizer build (quicker while developing)
#   SPG_SKIP_INTEGRATION=1 ...         unit tests only (no root needed then)
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

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
	meson test -C "$dir" --suite unit --print-errorlogs --no-rebuild $built || rc=$?
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

run_step setup bash tools/setup.sh

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

integ_pass=0
integ_fail=0
if [ "${SPG_SKIP_INTEGRATION:-0}" = 1 ]; then
	record SKIP integration
elif [ "$(id -u)" -ne 0 ]; then
	echo "=== integration: needs root (network namespaces); run: sudo tools/test.sh"
	record FAIL integration
elif [ ! -x build/dataplane/spgate-dp ] || [ ! -x build/tools/spgatectl/spgatectl ]; then
	echo "=== integration: build/dataplane/spgate-dp or build/tools/spgatectl/spgatectl was not built"
	record FAIL integration
else
	# the reference SP peer first: when it fails, the dataplane test cannot say anything
	run_step esp-peer bash tests/integration/test_esp_peer.sh
	integ_log=$(mktemp /tmp/spgate-integration.XXXXXX)
	run_step integration bash -c 'set -o pipefail; bash tests/integration/test_dataplane.sh 2>&1 | tee "$1"' _ "$integ_log"
	# The integration test ends with "N passed, N failed".
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$integ_log" | tail -1 || true)
	if [ -n "$line" ]; then
		integ_pass=$(echo "$line" | awk '{print $1}')
		integ_fail=$(echo "$line" | awk '{print $3}')
	fi
	rm -f "$integ_log"
	# The control plane's peers: a real FreeRADIUS, and spgate-agent against scapy's ESP.
	run_step radius env SPG_BUILD=build bash tests/integration/test_radius.sh
	run_step agent env SPG_BUILD=build bash tests/integration/test_agent.sh
	# The whole system (tools/lab in namespaces of its own): the connection flow end to end.
	run_step e2e bash tests/integration/test_e2e.sh
	# The API under attack: four eyes, listener budgets, revocation, workstations, lines.
	run_step access bash tests/integration/test_access.sh
	# SNMP reporting against a real snmpd (AgentX master) and snmptrapd, on the same lab.
	run_step snmp bash tests/integration/test_snmp.sh
	# Dialing: spgate-control against spgate-modemsim's modems, speeds enforced with tc
	run_step modem bash tests/integration/test_modem.sh
fi

echo
echo "=== summary"
for s in "${steps[@]}"; do
	echo "  $s"
done
echo "  unit tests (plain + asan): $unit_pass passed, $unit_fail failed"
echo "  integration assertions:    $integ_pass passed, $integ_fail failed"
total_pass=$((unit_pass + integ_pass))
total_fail=$((unit_fail + integ_fail))
# A failed step that ran no individual test (a build, setup) still counts as a failure.
if [ $n_fail -gt 0 ] && [ $total_fail -eq 0 ]; then
	total_fail=$n_fail
fi
echo "$total_pass passed, $total_fail failed"
[ $n_fail -eq 0 ]
