#!/usr/bin/env bash
# spgatectl's control-plane commands against a fake spgate-control (fake_control.py): usage
# errors exit 2 naming the argument, an unreachable server 3, no token 4; over TLS (a
# throwaway CA) and over the operator socket: login keeps a 0600 token, tables, --json,
# busy names the holder, refusals exit 1 with the server's message.
#
#   tests/unit/spgatectl_ctl_args.sh PATH/TO/spgatectl
#
# Needs python3 and the openssl command (exit 77, "skipped", without them); no root, no
# real control plane. Exits 0 when every case held, 1 otherwise.
set -u

ctl=${1:?usage: $0 PATH/TO/spgatectl}
here=$(cd "$(dirname "$0")" && pwd)
fake=$here/fake_control.py
command -v python3 >/dev/null && command -v openssl >/dev/null || { echo "SKIP: needs python3 and openssl"; exit 77; }

tmp=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

unset SPGATE_SERVER SPGATE_CA SPGATE_PASSWORD SPGATE_CONTROL_SOCKET
export HOME=$tmp/home TZ=UTC
export SPGATE_TOKEN_FILE=$tmp/cfg/spgate/token
export SPGATE_DP_SOCKET=$tmp/no-such-dir/dp.sock
mkdir -p "$HOME"

pass=0
fail=0
out=
err=
rc=0

# run ARGS...: runs spgatectl, keeping stdout, stderr and the exit code
run() {
	out=$("$ctl" "$@" 2>"$tmp/stderr")
	rc=$?
	err=$(cat "$tmp/stderr")
}

bad() {
	echo "FAIL: spgatectl $1"
	echo "      exit $rc; stdout: ${out:0:600}"
	echo "      stderr: ${err:0:600}"
	fail=$((fail + 1))
}

# expect EXIT_CODE STDERR_SUBSTRING -- ARGS...   (empty substring: anything)
expect() {
	local want=$1 needle=$2
	shift 3
	run "$@"
	if [ "$rc" -ne "$want" ]; then
		bad "$* -> expected exit $want"
	elif [ -n "$needle" ] && [[ "$err" != *"$needle"* ]]; then
		bad "$* -> stderr lacks '$needle'"
	else
		pass=$((pass + 1))
	fi
}

# expect_out STDOUT_SUBSTRING -- ARGS...   (exit 0)
expect_out() {
	local needle=$1
	shift 2
	run "$@"
	if [ "$rc" -ne 0 ] || [[ "$out" != *"$needle"* ]]; then
		bad "$* -> expected exit 0 and '$needle' on stdout"
	else
		pass=$((pass + 1))
	fi
}

# check DESCRIPTION COMMAND...: a condition of its own
check() {
	local what=$1
	shift
	if "$@"; then
		pass=$((pass + 1))
	else
		echo "FAIL: $what"
		fail=$((fail + 1))
	fi
}

# json_ok PYTHON_EXPR: stdout of the last run parses as JSON and EXPR (of j) holds
json_ok() {
	python3 -c "import json,sys; j=json.loads(sys.argv[1]); sys.exit(0 if ($1) else 1)" "$out" 2>/dev/null
}

# ---- without any server ----

for args in "login --help" "logout --help" "whoami --help" "search --help" "connect --help" \
	"sessions --help" "session --help" "session show --help" "disconnect --help" "approve --help" \
	"deny --help" "ticket --help" "ticket submit --help" "tickets --help" "lines --help" \
	"audit --help" "inventory --help" "inventory import --help" "join --help" "join requests --help" \
	"join accept --help" "join refuse --help" "join remove --help" "join leave --help" "leave --help"; do
	# shellcheck disable=SC2086
	expect 0 "" -- $args
done
expect_out "--server HOST:PORT" -- --help
expect_out "/run/spgate/control.sock" -- --help
expect_out "--wait-timeout S" -- connect --help

# Usage errors name the argument, before anything is dialled.
expect 2 "search: missing QUERY" -- search
expect 2 "--serial and --site: give at most one" -- search --serial --site x
expect 2 "unknown option '--bogus'" -- search --bogus x
expect 2 "unexpected argument 'y'" -- search x y
expect 2 "connect: missing SERIAL" -- connect
expect 2 "connect: --reason: empty" -- connect CK1 --reason ""
expect 2 "--ticket is empty" -- connect --ticket ""
expect 2 "recordings: give --session or --serial, not both" -- recordings --session 1 --serial CK1
expect 2 "recording export: missing ID" -- recording export
expect 2 "--workstation: \"192.0.2.300\" is not an IPv4 address" -- connect CK1 --workstation 192.0.2.300
expect 2 "--wait-timeout needs --wait" -- connect CK1 --wait-timeout 5
expect 2 "--wait-timeout: \"0\"" -- connect CK1 --wait --wait-timeout 0
expect 2 "--wait-timeout: \"x\"" -- connect CK1 --wait --wait-timeout x
expect 2 "session show: missing session ID" -- session show
expect 2 "ID: \"abc\" is not a session id" -- session show abc
expect 2 "ID: \"0\" is not a session id" -- disconnect 0
expect 2 "approve: missing session ID" -- approve
expect 2 "ID: \"-5\"" -- deny -- -5
expect 2 "session: unknown command 'list'" -- session list
expect 2 "ticket: missing command" -- ticket
expect 2 "missing --problem" -- ticket submit --serial CK1
expect 2 "missing --site" -- ticket submit --customer acme --problem x
expect 2 "--serial: give --serial, or --customer and --site, not both" -- \
	ticket submit --serial CK1 --site munich --problem x
expect 2 "missing --serial" -- ticket submit --problem x
expect 2 "--limit: \"0\"" -- audit --limit 0
expect 2 "--since: \"yesterday\"" -- audit --since yesterday
expect 2 "--since: \"2024-02-30\"" -- audit --since 2024-02-30
expect 2 "--since: \"2024-05-01T25:00\"" -- audit --since 2024-05-01T25:00
expect 2 "inventory import: missing FILE" -- inventory import
expect 2 "join: missing SESSION" -- join
expect 2 "SESSION: \"x\" is not a session id" -- join x
expect 2 "--wait-timeout and --no-wait: give one" -- join 12 --no-wait --wait-timeout 5
expect 2 "join: --reason: empty" -- join 12 --reason ""
expect 2 "--workstation: \"192.0.2.300\" is not an IPv4 address" -- join 12 --workstation 192.0.2.300
expect 2 "join accept: give SESSION and ENGINEER" -- join accept 12
expect 2 "join remove: give SESSION and ENGINEER" -- join remove 12
expect 2 "ENGINEER: empty" -- join refuse 12 ""
expect 2 "leave: missing SESSION" -- leave
expect 2 "SESSION: \"0\" is not a session id" -- join leave 0
expect 2 "--format: \"xml\" is neither yaml nor csv" -- inventory import x.yaml --format xml
expect 2 "cannot tell the format of \"inv.txt\"" -- inventory import inv.txt
expect 2 "FILE: cannot open \"$tmp/none.yaml\"" -- inventory import "$tmp/none.yaml"
expect 2 "--server needs a value" -- --server
expect 2 "--ca: empty path" -- --ca= search x
expect 2 "--operator: operators need no login" -- --operator login
expect 2 "unknown command 'frob'" -- frob

# No token: exit 4 with the way out; no server: exit 2 (login) or 3 (unreachable).
expect 4 "search: not logged in; run spgatectl login" -- search CK
expect 4 "not logged in; run spgatectl login" -- --server localhost:1 --ca /dev/null sessions
expect 4 "run spgatectl login" -- whoami
expect 2 "no server: give --server HOST:PORT or set SPGATE_SERVER" -- login
expect 2 "--server: \"localhost\" is not HOST:PORT" -- --server localhost login
SPGATE_SERVER=host:99999 expect 2 "SPGATE_SERVER: \"host:99999\" is not HOST:PORT" -- login
expect 2 "no CA to check localhost:1 against" -- --server localhost:1 login
expect 2 "--ca: cannot read \"$tmp/none.pem\"" -- --server localhost:1 --ca "$tmp/none.pem" login
echo "-----BEGIN CERTIFICATE-----" >"$tmp/junk.pem"
expect 3 "cannot reach spgate-control at 127.0.0.1:1" -- --server 127.0.0.1:1 --ca "$tmp/junk.pem" login
expect 3 "cannot reach spgate-control at $tmp/nope.sock" -- --operator --control-socket "$tmp/nope.sock" sessions
SPGATE_CONTROL_SOCKET=$tmp/nope2.sock expect 3 "$tmp/nope2.sock" -- audit
expect 3 "$tmp/nope3.sock" -- --control-socket "$tmp/nope3.sock" inventory import "$here/fake_control.py" --format yaml

# ---- a throwaway CA, a server certificate for localhost and 127.0.0.1, and a wrong one ----

pki=$tmp/pki
mkdir -p "$pki"
mkcert() { # NAME SAN CA-NAME
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" \
		-keyout "$pki/$1.key" -out "$pki/$1.csr" 2>/dev/null &&
		printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$2" >"$pki/$1.ext" &&
		openssl x509 -req -in "$pki/$1.csr" -CA "$pki/$3.pem" -CAkey "$pki/$3.key" -CAcreateserial \
			-days 2 -extfile "$pki/$1.ext" -out "$pki/$1.pem" 2>/dev/null
}
mkca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=$1" -days 2 \
		-keyout "$pki/$1.key" -out "$pki/$1.pem" 2>/dev/null
}
mkca ca && mkca otherca && mkcert server "DNS:localhost,IP:127.0.0.1" ca && mkcert wrong "DNS:wrong.example,IP:192.0.2.1" ca ||
	{ echo "FAIL: cannot make certificates"; exit 1; }
ca=$pki/ca.pem

log=$tmp/requests.log
start_tls() { # CERT-NAME PORT-FILE
	python3 "$fake" --tls "$pki/$1.pem" "$pki/$1.key" --port-file "$2" --log "$log" 2>"$tmp/fake-$1.err" &
	pids+=($!)
}
start_tls server "$tmp/port"
start_tls wrong "$tmp/port-wrong"
sock=$tmp/control.sock
python3 "$fake" --unix "$sock" --log "$log" 2>"$tmp/fake-unix.err" &
pids+=($!)
for _ in $(seq 100); do
	[ -s "$tmp/port" ] && [ -s "$tmp/port-wrong" ] && [ -S "$sock" ] && break
	sleep 0.05
done
port=$(cat "$tmp/port")
port_wrong=$(cat "$tmp/port-wrong")
srv=localhost:$port

# ---- TLS: login ----

SPGATE_PASSWORD=wrong expect 1 "login: login failed (auth_failed)" -- --server "$srv" --ca "$ca" login --user alice
check "a refused login stores no token" test ! -e "$SPGATE_TOKEN_FILE"
sent=$(wc -l <"$log")
expect 3 "certificate verification failed" -- --server "$srv" --ca "$pki/otherca.pem" login --user alice
expect 3 "hostname mismatch" -- --server "localhost:$port_wrong" --ca "$ca" login --user alice
expect 3 "IP address mismatch" -- --server "127.0.0.1:$port_wrong" --ca "$ca" login --user alice
check "a failed handshake sends no request" test "$(wc -l <"$log")" = "$sent"

if command -v setsid >/dev/null; then # no controlling terminal, no SPGATE_PASSWORD
	check "login without a terminal asks for SPGATE_PASSWORD (exit 2)" bash -c \
		'setsid -w "$1" --server "$2" --ca "$3" login --user alice </dev/null 2>&1 >/dev/null |
			grep -q "no terminal to read the password from; set SPGATE_PASSWORD"; [ "${PIPESTATUS[0]}" = 2 ]' \
		_ "$ctl" "$srv" "$ca"
fi
SPGATE_PASSWORD=secret expect 0 "" -- --server "$srv" --ca "$ca" login --user alice
check "login prints who and where" grep -q "logged in to $srv as alice" <<<"$out"
check "the token file is 0600" test "$(stat -c %a "$SPGATE_TOKEN_FILE")" = 600
check "its new directory is 0700" test "$(stat -c %a "$(dirname "$SPGATE_TOKEN_FILE")")" = 700
check "the token file keeps server, CA, token and expiry" python3 -c "
import json, sys; t = json.load(open(sys.argv[1]))
assert t['server'] == sys.argv[2] and t['ca'] == sys.argv[3] and t['token'] == 'tok-0123456789abcdef'
assert isinstance(t['expires'], int) and t['user'] == 'alice'" "$SPGATE_TOKEN_FILE" "$srv" "$ca"
check "no temporary file is left beside it" test "$(ls -A "$(dirname "$SPGATE_TOKEN_FILE")")" = token
check "the password went to the server" grep -q '"password":"secret"' "$log"
check "login tells the server it can answer a second factor" grep -q '"op":"login","user":"alice","password":"secret","mfa":true' "$log"

# ---- TLS: second factors (a TOTP challenge, two RADIUS rounds, step-up at connect) ----

otp_token=$tmp/otp/token
SPGATE_TOKEN_FILE=$otp_token SPGATE_PASSWORD=secret SPGATE_OTP=000000 \
	expect 1 "login refused: wrong or expired code (auth_failed)" -- --server "$srv" --ca "$ca" login --user otp
check "a wrong code stores no token" test ! -e "$otp_token"
: >"$tmp/otp-empty"
SPGATE_TOKEN_FILE=$otp_token SPGATE_PASSWORD=secret \
	expect 2 "--otp-file $tmp/otp-empty has no line 1 for the prompt \"Authenticator code: \"" -- \
	--server "$srv" --ca "$ca" login --user otp --otp-file "$tmp/otp-empty"
SPGATE_TOKEN_FILE=$otp_token SPGATE_PASSWORD=secret SPGATE_OTP=123456 \
	expect 0 "" -- --server "$srv" --ca "$ca" login --user otp
check "the code answers the challenge by its id" grep -q '"op":"login","user":"otp","challenge":"ch1","response":"123456"' "$log"
check "login names the second factor passed" grep -q "second factor: totp" <<<"$out"
printf '111111\n2222\n' >"$tmp/otp-rounds"
SPGATE_TOKEN_FILE=$otp_token SPGATE_PASSWORD=secret \
	expect 0 "" -- --server "$srv" --ca "$ca" login --user radius --otp-file "$tmp/otp-rounds"
check "two RADIUS rounds take the file's two lines in order" \
	eval 'grep -q "\"challenge\":\"r1\",\"response\":\"111111\"" "$log" && grep -q "\"challenge\":\"r2\",\"response\":\"2222\"" "$log"'

# ---- TLS: commands with the saved token (server and CA come from the token file) ----

expect_out "SERIAL  CUSTOMER  SITE    REGION  CONNECT  ADDRESS       PORTS" -- search CK
check "search lists CK2001 with its ports" grep -q "^CK2001  acme      munich  eu      network  192.0.2.10    tcp:22,tcp:443$" <<<"$out"
check "search sent the token and by=any" grep -q '"op":"search","query":"CK","by":"any","token":"tok-0123456789abcdef"' "$log"
expect 0 "" -- search --customer globex
check "search --customer asks by customer" grep -q '"query":"globex","by":"customer"' "$log"
check "and finds MX300 only" test "$(grep -c . <<<"$out")" = 2
expect 0 "" -- --json search acme
check "--json search prints the systems array" json_ok "len(j) == 2 and j[0]['serial'] == 'CK2001'"

expect 1 "connect: CK2002 already has a session (busy)" -- connect CK2002
check "busy names the holder" grep -q "held by bob from 192.0.2.20 since 2024-05-01 12:00:00 (session 7)" <<<"$err"
expect 1 "(busy)" -- --json connect CK2002
check "--json busy prints the error with the holder" json_ok "j['error'] == 'busy' and j['holder']['user'] == 'bob'"
expect 1 "connect: no system CK404 that you may reach (not_found)" -- connect CK404
expect 2 "has no line 1 for the prompt" -- connect CKSTEP --otp-file "$tmp/otp-empty"
check "a step-up without a code to give says why" grep -q "requires a second factor from the last 900 s" <<<"$err"
SPGATE_OTP=111111 expect 1 "step-up refused: wrong or expired code (auth_failed)" -- connect CKSTEP
SPGATE_OTP=654321 expect 0 "" -- connect CKSTEP
check "the step-up code goes with the connect, retried once" grep -q '"op":"connect","serial":"CKSTEP","otp":"654321"' "$log"

expect_out "state          requested" -- connect CK77 --workstation 192.0.2.77
check "connect sent the workstation" grep -q '"op":"connect","serial":"CK77","workstation":"192.0.2.77"' "$log"
expect 0 "" -- connect --ticket 41
check "connect --ticket sends the ticket" grep -q '"op":"connect","ticket":"41"' "$log"
expect 0 "" -- connect CK77 --ticket 41 --reason "disk 3 failed"
check "connect SERIAL --ticket ID --reason TEXT sends all three (issue 15)" \
	grep -q '"op":"connect","serial":"CK77","ticket":"41","reason":"disk 3 failed"' "$log"
expect_out "state          active" -- connect CK2001 --wait --wait-timeout 30
check "--wait reports the approval once" test "$(grep -c 'awaits approval (approval 3)' <<<"$err")" = 1
check "--wait polled the session" grep -q '"op":"session","id":12' "$log"
expect 1 "session 13 failed: the SP refused the grant: wrong serial" -- connect CK9 --wait
expect 0 "" -- --json connect CK2001 --wait
check "--json connect --wait prints the active session" json_ok "j['id'] == 12 and j['state'] == 'active'"

expect_out "ID  SERIAL  USER   WORKSTATION  STATE    VIRTUAL      SP          LINE      SPEED     AGE  OUT-PKTS  IN-PKTS  JOINERS" -- sessions
check "sessions shows speed and age" grep -qE "^12  CK2001  alice  192.0.2.50   active   198.18.0.12  192.0.2.10  net-eu-1  33.6k  12m3[4-6]s      1200     1100  -$" <<<"$out"
check "a session without SP address or speed yet shows -" \
	grep -qE "^15  MX300   bob    192.0.2.50   dialing  198.18.0.15  -           net-eu-1      -  12m3[4-6]s" <<<"$out"
expect 1 "sessions: only operators and auditors may list everyone's sessions (forbidden)" -- sessions --all
expect 0 "" -- --json sessions
check "--json sessions prints the array" json_ok "[s['id'] for s in j] == [12, 15]"

expect_out "virtual        198.18.0.12" -- session show 12
expect 1 "disconnect: no session 99 (not_found)" -- disconnect 99
expect_out "session 12 closing" -- disconnect 12
expect_out "session 12 dialing" -- approve 12
expect_out "session 13 failed" -- deny 13
check "ids travel as numbers" grep -q '"op":"deny","id":13' "$log"

expect_out "ticket         41" -- ticket submit --serial CK2001 --problem "disk 3 failed"
check "ticket submit sends serial and problem" grep -q '"op":"ticket_submit","serial":"CK2001","problem":"disk 3 failed"' "$log"
expect 0 "" -- ticket submit --customer acme --site munich --problem x
check "or customer and site" grep -q '"customer":"acme","site":"munich","problem":"x"' "$log"
expect_out "41  CK2001  acme      munich  alice         2024-05-01 12:00:00  disk 3 failed" -- tickets
expect_out "ID          TYPE     REGION  CUSTOMER  STATE      SESSION  CALLS  FAILURES  LAST" -- lines
check "lines shows the session or -, the calls, failures and last result" \
	grep -qE "^modem-us-1  modem    us      globex    idle +-  +7  +2  busy$" <<<"$out"
expect_out "role           engineer" -- whoami

# Bad replies and silence: exit 3.
expect 3 "malformed reply from $srv" -- search GARBAGE
expect 3 "no reply within 300 ms" -- --timeout 300 search SILENT
expect 3 "closed the connection without replying" -- search CLOSE

# The token goes only to its server; an address is checked against the certificate's IP SAN.
# Another server than the token's: exit 4 saying how to log in there (issue 13), not just "login".
expect 4 "the saved token is for $srv, not 127.0.0.1:$port; log in to 127.0.0.1:$port with spgatectl --server 127.0.0.1:$port login" -- --server "127.0.0.1:$port" search CK
SPGATE_SERVER=127.0.0.1:$port expect 4 "log in to 127.0.0.1:$port with spgatectl --server 127.0.0.1:$port login" -- search CK
SPGATE_PASSWORD=secret expect 0 "" -- --server "127.0.0.1:$port" --ca "$ca" login --user alice
expect 0 "" -- search CK
# A token the server no longer takes, and one that expired: exit 4.
python3 -c "
import json, sys; t = json.load(open(sys.argv[1])); t['token'] = 'stale'
json.dump(t, open(sys.argv[1], 'w'))" "$SPGATE_TOKEN_FILE"
expect 4 "the token is missing, expired or invalid (unauthorized); run spgatectl login" -- sessions
SPGATE_PASSWORD=x expect 0 "" -- --server "$srv" --ca "$ca" login --user expired
expect 4 "the token expired at" -- sessions
echo '{"token":' >"$SPGATE_TOKEN_FILE"
expect 4 "is damaged; run spgatectl login" -- sessions

# ---- the operator socket: no token ----

export SPGATE_CONTROL_SOCKET=$sock
rm -f "$SPGATE_TOKEN_FILE"
expect_out "ID  SERIAL" -- --operator sessions
expect_out "ID  SERIAL" -- --operator --control-socket "$sock" sessions --all
check "the socket carries no token" test -z "$(tail -n 1 "$log" | grep token)"
expect_out "role           operator" -- --operator whoami
expect_out "socket         $sock" -- --operator whoami
expect_out "ID  TIME                  ACTOR  ACTION            TARGET  RESULT             DETAILS" -- audit
check "audit shows the detail as key=value" grep -q "^ 1  2024-05-01 12:00:00   alice  login             alice   ok                 source=local method=pbkdf2$" <<<"$out"
check "an event without unix seconds shows its ISO time" grep -qE "^ -  2024-05-01T12:02:00Z  root   inventory_import  yaml    ok +-$" <<<"$out"
expect 0 "" -- audit --limit 5 --since 2024-05-01T14:00:00+02:00
check "audit sends limit and since in unix seconds" grep -q '"op":"audit","limit":5,"since":1714564800' "$log"
expect 0 "" -- audit --since 2024-05-01
check "a date alone is local midnight" grep -q '"since":1714521600' "$log"
expect 0 "" -- --json audit --since 1714564800
check "--json audit prints the events" json_ok "len(j) == 3 and j[1]['detail']['session'] == 12"

printf 'customers:\n  - name: acme\n' >"$tmp/inv.yaml"
printf 'serial,customer\nbad,\n' >"$tmp/bad.csv"
expect_out "systems        3" -- inventory import "$tmp/inv.yaml"
check "the file's text and format travel" grep -q '"op":"inventory_import","format":"yaml","text":"customers:\\n  - name: acme\\n"' "$log"
expect 1 "inventory import: $tmp/bad.csv:3:7: system[1]: serial: missing (bad_request)" -- inventory import "$tmp/bad.csv"
printf 'serial,customer\n"worse\n' >"$tmp/worse.csv"
expect 1 "inventory import: $tmp/worse.csv:2: the file ends inside a quoted field (bad_request)" -- inventory import "$tmp/worse.csv"
check "the format comes from the extension" grep -q '"format":"csv"' "$log"
cp "$tmp/inv.yaml" "$tmp/inv.txt"
expect 0 "" -- --json inventory import "$tmp/inv.txt" --format yaml
check "--json import prints the counts" json_ok "j == {'customers': 1, 'sites': 2, 'systems': 3}"
printf '\xff\xfe' >"$tmp/bin.csv"
expect 2 "is not UTF-8 text" -- inventory import "$tmp/bin.csv"

# ---- user revoke ----

expect 0 "" -- user revoke --help
expect 2 "missing user NAME" -- user revoke
expect_out "revoked every token of bob" -- --control-socket "$sock" user revoke bob
check "user revoke sends user_revoke naming the user" grep -q '"op":"user_revoke","user":"bob"' "$log"

# ---- logout ----

SPGATE_PASSWORD=secret expect 0 "" -- --server "$srv" --ca "$ca" login --user alice
expect_out "logged out of $srv" -- logout
check "logout asks the server to end the token" grep -q '"op":"logout"' "$log"
check "logout removes the token file" test ! -e "$SPGATE_TOKEN_FILE"
expect_out "not logged in" -- logout
expect 4 "not logged in" -- search CK

echo "spgatectl control-plane commands: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
