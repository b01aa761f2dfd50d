#!/usr/bin/env bash
# `spgatectl dp session add|del --batch FILE|-` against a real spgate-dp on net_null ports
# (--no-huge): every good line is installed over one connection, every malformed or refused
# line is named FILE:LINE and skipped, the summary counts them and the exit code says the
# worst (2 malformed, 1 refused); del --batch without --force leaves spgate-control's sessions
# alone (a fake spgate-control, fake_control.py, says it owns every id but 99).
#
#   tests/unit/spgatectl_batch.sh PATH/TO/spgatectl PATH/TO/spgate-dp
#
# Needs root (DPDK). Exits 0 when every case held, 1 otherwise, 77 when not root.
set -u

ctl=${1:?usage: $0 PATH/TO/spgatectl PATH/TO/spgate-dp}
dp=${2:?usage: $0 PATH/TO/spgatectl PATH/TO/spgate-dp}
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: spgate-dp needs root"
	exit 77
fi

tmp=$(mktemp -d /tmp/spgate-batch.XXXXXX)
dp_pid= fake_pid=
cleanup() {
	[ -n "$dp_pid" ] && kill "$dp_pid" 2>/dev/null && wait "$dp_pid" 2>/dev/null
	[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null && wait "$fake_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
export SPGATE_DP_SOCKET=$tmp/dp.sock
export SPGATE_CONTROL_SOCKET=$tmp/no-control.sock

pass=0
fail=0
check() { # check WHAT COMMAND...
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		echo "FAIL: $what"
		fail=$((fail + 1))
	fi
}
has() { [[ "$1" == *"$2"* ]]; }
n_sessions() { "$ctl" dp hello | sed -n 's/^sessions *\([0-9]*\) .*/\1/p'; }

cat >"$tmp/dp.yaml" <<EOF
dataplane:
  lcores: { main: 0, workers: [1] }
  max_sessions: 4094
  control_socket: $tmp/dp.sock
  idle_sleep_us: 200
  eal: { no_huge: true, memory_mb: 512, file_prefix: spgate-batch-$$ }
ports:
  vendor: { devargs: "net_null0", address: 198.51.100.1/24 }
  sp: { devargs: "net_null1", address: 203.0.113.1/24 }
sp: { shared_address: 192.0.2.10, inner_address: 192.0.2.1 }
vendor: { virtual_pool: 198.18.0.0/20 }
esp: { cipher: aes-128-gcm, crypto_device: crypto_aesni_mb }
EOF
"$dp" --config "$tmp/dp.yaml" >"$tmp/dp.log" 2>&1 &
dp_pid=$!
for _ in $(seq 120); do
	"$ctl" dp hello >/dev/null 2>&1 && break
	kill -0 "$dp_pid" 2>/dev/null || break
	sleep 0.5
done
if ! "$ctl" dp hello >/dev/null 2>&1; then
	echo "FAIL: spgate-dp did not answer within 60 s (or exited); its log:"
	tail -20 "$tmp/dp.log"
	exit 1
fi

# add_line ID: a session line with keys and SPIs of its own (spgate-dp refuses reused keys)
add_lines() { # add_lines FIRST LAST
	"$py" - "$1" "$2" <<'PY'
import hashlib, sys
for i in range(int(sys.argv[1]), int(sys.argv[2]) + 1):
    key = lambda d: hashlib.sha256(b"%s%d" % (d, i)).hexdigest()[:40]
    print(f"--id {i} --virtual 198.18.{i >> 8}.{i & 255} --workstation 198.51.100.10 "
          f"--peer 203.0.113.{3 + i % 200} --spi-out {0x10000 + i} --spi-in {0x100000 + i} "
          f"--key-out {key(b'o')} --key-in {key(b'i')} --ports tcp:22,tcp:443 --icmp-echo")
PY
}

# ---- 1000 good sessions from a file: all installed, exit 0, a summary
add_lines 1 1000 >"$tmp/good.txt"
out=$("$ctl" dp session add --batch "$tmp/good.txt" 2>"$tmp/err")
rc=$?
check "add --batch of 1000 good lines exits 0 (got $rc; $(head -2 "$tmp/err"))" [ $rc -eq 0 ]
check "the summary says 1000 added, 0 refused, 0 malformed: '$out'" \
	has "$out" "added 1000 sessions, 0 refused, 0 malformed lines"
check "spgate-dp has 1000 sessions (has $(n_sessions))" [ "$(n_sessions)" = 1000 ]
check "session 1000 is there with the file's ports" \
	has "$("$ctl" dp session show 1000)" "tcp:443"

# ---- a file with malformed, refused and good lines: the good ones go in
{
	echo "# comment"
	echo ""
	add_lines 1001 1001                                            # line 3: good
	add_lines 5 5                                                  # line 4: id 5 exists
	add_lines 1002 1002 | sed 's/--virtual [^ ]*/--virtual 198.18.3.999/' # line 5: bad address
	echo "--batch other.txt"                                       # line 6: nested batch
	add_lines 1003 1003 | sed 's/--key-in [0-9a-f]*/--key-in zz/' # line 7: bad key
	echo "   # an indented comment"
	add_lines 1004 1004                                            # line 9: good
} >"$tmp/mixed.txt"
out=$("$ctl" dp session add --batch "$tmp/mixed.txt" 2>"$tmp/err")
rc=$?
err=$(cat "$tmp/err")
check "a file with malformed lines exits 2 (got $rc)" [ $rc -eq 2 ]
check "the summary counts 2 added, 1 refused, 3 malformed: '$out'" \
	has "$out" "added 2 sessions, 1 refused, 3 malformed lines"
check "the refusal names its line ($err)" has "$err" "mixed.txt:4: refused: File exists (EEXIST)"
check "the bad address names its line" has "$err" "mixed.txt:5: --virtual"
check "the nested --batch names its line" has "$err" "mixed.txt:6: --batch belongs on the command line"
check "the bad key names its line" has "$err" "mixed.txt:7: --key-in"
check "no usage hint per line (it would be thousands of lines)" bash -c "! grep -q \"Try 'spgatectl\" \"$tmp/err\""
check "the good lines 3 and 9 were installed (1002 sessions)" [ "$(n_sessions)" = 1002 ]
check "session 1002 (malformed) is not there" bash -c "! '$ctl' dp session show 1002 >/dev/null 2>&1"

# ---- refusals only: exit 1; from standard input
out=$(add_lines 10 12 | "$ctl" dp session add --batch - 2>"$tmp/err")
rc=$?
check "3 refused lines from standard input exit 1 (got $rc)" [ $rc -eq 1 ]
check "they are named by line: $(head -1 "$tmp/err")" has "$(cat "$tmp/err")" "(standard input):3: refused"

# ---- --batch with session options, a missing file: usage errors, nothing sent
out=$("$ctl" dp session add --batch "$tmp/good.txt" --id 7 2>&1)
check "--batch with --id is refused (exit 2)" [ $? -eq 2 ]
check "saying the options belong on the file's lines: $out" has "$out" "--id belongs on the file's lines"
out=$("$ctl" dp session add --batch "$tmp/nope.txt" 2>&1)
check "a missing batch file exits 2" [ $? -eq 2 ]
check "naming the file: $out" has "$out" "--batch $tmp/nope.txt: No such file or directory"
out=$("$ctl" --json dp session add --batch - </dev/null)
check "an empty batch adds nothing, JSON summary: $out" [ "$out" = '{"added":0,"refused":0,"malformed":0}' ]

# ---- del --batch: without a reachable spgate-control it says so once and deletes
printf '%s\n' 1 2 "3 4" abc 99999 >"$tmp/del.txt"
out=$("$ctl" dp session del --batch "$tmp/del.txt" 2>"$tmp/err")
rc=$?
err=$(cat "$tmp/err")
check "del --batch with malformed lines exits 2 (got $rc)" [ $rc -eq 2 ]
check "2 deleted, 1 refused (no session 99999), 2 malformed: '$out'" \
	has "$out" "deleted 2 sessions, 1 refused, 2 malformed lines"
check "it could not ask spgate-control, once" [ "$(grep -c 'cannot ask spgate-control' "$tmp/err")" = 1 ]
check "the missing session names its line: $err" has "$err" "del.txt:5: session 99999: no such session (ENOENT)"
check "two words on a line named: $err" has "$err" "del.txt:3: expected one session id, found 2 words"

# ---- del --batch with spgate-control there: its sessions stay unless --force
"$py" "$here/fake_control.py" --unix "$tmp/control.sock" >"$tmp/fake.log" 2>&1 &
fake_pid=$!
for _ in $(seq 50); do [ -S "$tmp/control.sock" ] && break; sleep 0.1; done
export SPGATE_CONTROL_SOCKET=$tmp/control.sock
before=$(n_sessions)
printf '%s\n' 20 21 >"$tmp/owned.txt"
out=$("$ctl" dp session del --batch "$tmp/owned.txt" 2>"$tmp/err")
rc=$?
check "del --batch of spgate-control's sessions without --force exits 1 (got $rc)" [ $rc -eq 1 ]
check "and deletes none of them ($before -> $(n_sessions))" [ "$(n_sessions)" = "$before" ]
check "naming the owner and --force: $(head -1 "$tmp/err")" has "$(cat "$tmp/err")" "owned.txt:1: session 20 is spgate-control's (active)"
out=$("$ctl" dp session del --force --batch "$tmp/owned.txt" 2>"$tmp/err")
check "with --force they go (exit $?)" [ "$(n_sessions)" = $((before - 2)) ]
check "with one warning: $(head -1 "$tmp/err")" has "$(cat "$tmp/err")" "warning: --force"

# ---- everything out again
"$ctl" --json dp sessions | "$py" -c 'import json,sys; [print(s["id"]) for s in json.load(sys.stdin)]' >"$tmp/all.txt"
out=$("$ctl" dp session del --force --batch "$tmp/all.txt" 2>/dev/null)
check "del --batch of every session leaves none (has $(n_sessions); $out)" [ "$(n_sessions)" = 0 ]

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
