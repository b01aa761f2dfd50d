#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz/ (README "Fuzzing"), building build-fuzz first
# (CC=clang meson setup build-fuzz -Dfuzz=enabled) when needed.
#
#   tools/fuzz.sh [TARGET|all] [SECONDS]   each target for SECONDS (default 60) over its seed
#                                          corpus; what it finds new is kept in
#                                          build-fuzz/fuzz-corpus/TARGET for the next run
#   tools/fuzz.sh --ci [RUNS]              every target for RUNS executions (default 3000; the
#                                          config parsers a third), -seed=1, over the seeds
#                                          only: deterministic, seconds
#   tools/fuzz.sh --list                   the targets
#   tools/fuzz.sh --available              exit 0 if clang can build fuzzers here, else 77
#
# Prints per target the executions, the coverage (libFuzzer's cov: edges, ft: features) and
# any crash, leak or hang file; exits 1 if a target failed, 77 if clang cannot build fuzzers
# (tools/test.sh's fuzz step then says SKIP).
set -uo pipefail

# All in one function that bash reads whole before running it: a run lasts minutes, and an
# edit of this file meanwhile must not change what the rest of the run executes.
main() {
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
bdir=${SPG_FUZZ_BUILD:-build-fuzz}

# -max_len per target: what its input can sensibly be (a config file, one datagram, ...)
declare -A max_len=(
	[fuzz_pkt]=1600 [fuzz_dp_config]=8192 [fuzz_ctl_config]=8192 [fuzz_agent_config]=8192
	[fuzz_inventory]=8192 [fuzz_api]=4096 [fuzz_hayes]=512 [fuzz_radius]=4200
	[fuzz_grant]=4200 [fuzz_dp_ctl]=16384 [fuzz_sp_handshake]=4096 [fuzz_agent_esp]=2048
	[fuzz_agent_req]=4096
)
targets=$(printf '%s\n' "${!max_len[@]}" | sort)

# whether clang links a libFuzzer target with ASan and UBSan (Debian: libclang-rt-14-dev)
fuzz_available() {
	local dir rc=0
	command -v clang >/dev/null || return 77
	dir=$(mktemp -d /tmp/spgate-fuzzcheck.XXXXXX)
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; return (int)n * 0; }' \
		>"$dir/t.c"
	clang -fsanitize=fuzzer,address,undefined "$dir/t.c" -o "$dir/t" >/dev/null 2>&1 || rc=77
	rm -rf "$dir"
	return $rc
}

mode=time
if [ "${1:-}" = --available ]; then
	fuzz_available
	exit $?
elif [ "${1:-}" = --list ]; then
	echo "$targets"
	exit 0
elif [ "${1:-}" = --ci ]; then
	mode=ci
	runs=${2:-3000}
	want=all
else
	want=${1:-all}
	seconds=${2:-60}
fi
if [ "$want" != all ] && [ -z "${max_len[$want]:-}" ]; then
	echo "fuzz: no target \"$want\"; the targets are: $(echo $targets)" >&2
	exit 2
fi
[ "$want" = all ] || targets=$want

if ! fuzz_available; then
	echo "fuzz: SKIP: clang cannot build libFuzzer targets (Debian: clang libclang-rt-14-dev)"
	exit 77
fi
if [ ! -f "$bdir/build.ninja" ]; then
	if ! CC=clang meson setup "$bdir" -Dfuzz=enabled; then
		echo "fuzz: cannot configure $bdir (CC=clang meson setup $bdir -Dfuzz=enabled)"
		exit 1
	fi
fi
# only the fuzz targets: the rest of a clang build is not needed here
if ! ninja -C "$bdir" $(printf 'tests/fuzz/%s ' $targets) >"$bdir/fuzz-build.log" 2>&1; then
	tail -40 "$bdir/fuzz-build.log"
	echo "fuzz: the build failed (all of it in $bdir/fuzz-build.log)"
	exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
mkdir -p "$bdir/fuzz-artifacts"
failed=0
printf '%-20s %12s %8s %8s  %s\n' target executions cov ft result
for t in $targets; do
	seeds=tests/fuzz/corpus/$t
	log=$bdir/fuzz-artifacts/$t.log
	if [ "$mode" = ci ]; then
		# new inputs go to a scratch directory: the run depends on the seeds alone
		work=$(mktemp -d /tmp/spgate-fuzz.XXXXXX)
		# a config file costs milliseconds a run (a file, libyaml, the sanitizers' large
		# allocations): a third of the runs keeps the step at seconds
		case $t in
		*_config) args=(-runs="$((runs / 3))" -seed=1) ;;
		*) args=(-runs="$runs" -seed=1) ;;
		esac
	else
		work=$bdir/fuzz-corpus/$t
		mkdir -p "$work"
		args=(-max_total_time="$seconds")
	fi
	rm -f "$bdir/fuzz-artifacts/$t"-*
	"$bdir/tests/fuzz/$t" "${args[@]}" -max_len="${max_len[$t]}" -timeout=10 \
		-rss_limit_mb=4096 -print_final_stats=1 \
		-artifact_prefix="$bdir/fuzz-artifacts/$t-" "$work" "$seeds" >"$log" 2>&1
	rc=$?
	[ "$mode" = ci ] && rm -rf "$work"
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	crash=$(ls "$bdir/fuzz-artifacts/$t"-* 2>/dev/null | tr '\n' ' ')
	if [ $rc -eq 0 ] && [ -z "$crash" ]; then
		result=ok
	else
		result="FAILED (exit $rc) ${crash:-no artifact}; log: $log"
		failed=1
	fi
	printf '%-20s %12s %8s %8s  %s\n' "$t" "${execs:-?}" "${cov:-?}" "${ft:-?}" "$result"
	if [ $rc -ne 0 ]; then
		grep -E 'ERROR: |SUMMARY: |runtime error:|Assertion|abort' "$log" | head -5 | sed 's/^/    /'
	fi
done
return $failed
}

main "$@"
exit $?
