# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# What the integration test scripts share: PASS/FAIL counters and check, abort, and the end
# of a run. After test_begin, however the script ends (its last line, an abort, INT or TERM),
# its teardown runs, its logs are shown if anything failed, its state directory goes unless
# kept, and the last line is "N passed, N failed" (", N skipped" too once n_skip is set),
# with exit status 0 only if nothing failed.

n_pass=0
n_fail=0
failed=()

pass() { echo "PASS: $*"; n_pass=$((n_pass + 1)); }
fail() { echo "FAIL: $*"; n_fail=$((n_fail + 1)); failed+=("$*"); }
skip() { echo "SKIP: $*"; n_skip=$((${n_skip:-0} + 1)); }
check() { # check "sentence" CMD...: PASS if CMD succeeds
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
abort() { # abort "sentence": a failure after which nothing else can be tested
	fail "$*"
	exit 1
}
section() { echo; echo "--- $*"; }

# need_built EXE...: aborts unless each EXE (relative to the build directory) is built in
# $SPG_REPO/build
need_built() {
	local exe
	for exe in "$@"; do
		[ -x "$SPG_REPO/build/$exe" ] ||
			abort "build/$exe is built (run: meson setup build && ninja -C build)"
	done
}
need_tools() { # need_tools TOOL...: aborts unless each TOOL is installed
	local tool
	for tool in "$@"; do
		command -v "$tool" >/dev/null || abort "$tool is installed (tools/setup.sh)"
	done
}

# test_begin STATE TEARDOWN [NAME LOG LINES]...: from here on the end of the script runs the
# command TEARDOWN (output discarded: it stops the processes and deletes the namespaces the
# test made); if anything failed it shows the last LINES of each LOG and keeps the directory
# STATE, which otherwise goes unless SPG_KEEP=1.
test_begin() {
	test_state=$1
	test_teardown=$2
	test_logs=("${@:3}")
	test_t0=$SECONDS
	trap test_finish EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

test_finish() {
	local rc=$? i
	# Background subshells inherit this trap: only the test itself reports and cleans up.
	[ "$BASHPID" = "$$" ] || exit "$rc"
	trap - EXIT INT TERM
	"$test_teardown" >/dev/null 2>&1
	if [ $n_fail -gt 0 ] || [ $rc -ne 0 ]; then
		for ((i = 0; i + 2 < ${#test_logs[@]}; i += 3)); do
			echo "--- ${test_logs[i]} log (last ${test_logs[i + 2]} lines):"
			tail -n "${test_logs[i + 2]}" "${test_logs[i + 1]}" 2>/dev/null
		done
		echo "--- state kept in $test_state"
	elif [ "${SPG_KEEP:-0}" = 1 ]; then
		echo "--- state kept in $test_state"
	else
		rm -rf "$test_state"
	fi
	echo "runtime: $((SECONDS - test_t0)) s"
	if [ $n_fail -gt 0 ]; then
		echo "failed:"
		printf '  %s\n' "${failed[@]}"
	fi
	# an abort or an interrupt counts as a failure too
	[ $rc -ne 0 ] && [ $n_fail -eq 0 ] && n_fail=1
	echo "$n_pass passed, $n_fail failed${n_skip+, $n_skip skipped}"
	[ $n_fail -eq 0 ] && [ $rc -eq 0 ] && exit 0
	exit 1
}
