#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A throw-away FreeRADIUS 3 for tests: a minimal configuration tree generated into a directory
# of the caller's (nothing read from /etc/freeradius), listening on 127.0.0.1 only.
#
#   radiusd.sh gen   DIR PORT [SECRET]   write the tree (client 127.0.0.1, secret testing123)
#   radiusd.sh start DIR                 run it in the background, wait (bounded) until it
#                                        answers; log in DIR/radiusd.log, pid in DIR/radiusd.pid
#   radiusd.sh stop  DIR                 stop it (TERM, then KILL after 5 s)
#   radiusd.sh free-port                 print a UDP port on 127.0.0.1 that is free right now
#
# Or source it and call radius_gen / radius_start / radius_stop / radius_free_port.
#
# Users (file "users", rlm_files + rlm_pap):
#   alice / alice-pw   Class "storage-eu"
#   bob   / bob-pw     Filter-Id "storage-globex"
#   carol / carol-pw   Class "storage-eu" and Class "storage-globex" (two values)
#   dave  / dave-pw    Class "storage-eu,storage-apac" (two groups in one value)
#   erin  / erin-pw    no group attribute
#   tina  / tina-pw    then an Access-Challenge (State, Reply-Message "Token code for tina: ")
#                      answered by the TOTP code of RADIUS_TOTP_SECRET (rlm_totp); Class
#                      "storage-eu"
#   uma   / uma-pw     the same challenge, then a second one ("PIN: ") answered by 4321
set -uo pipefail

RADIUS_BIN=${RADIUS_BIN:-$(command -v freeradius || command -v radiusd || echo freeradius)}
# base32 of "12345678901234567890" (RFC 6238's SHA1 test key): `oathtool --totp -b` takes it
RADIUS_TOTP_SECRET=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ

radius_free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

radius_gen() { # radius_gen DIR PORT [SECRET]
	local dir=$1 port=$2 secret=${3:-testing123}

	mkdir -p "$dir/log" "$dir/run" || return 1
	: >"$dir/dictionary" # the server's own dictionaries come from /usr/share/freeradius
	cat >"$dir/radiusd.conf" <<CONF
prefix = /usr
exec_prefix = /usr
sysconfdir = /etc
localstatedir = /var
sbindir = \${exec_prefix}/sbin
logdir = $dir/log
raddbdir = $dir
radacctdir = $dir/log
name = freeradius
confdir = $dir
modconfdir = $dir
run_dir = $dir/run
db_dir = $dir
libdir = /usr/lib/freeradius
pidfile = $dir/run/radiusd.pid
correct_escapes = true
max_request_time = 10
cleanup_delay = 1
max_requests = 1024
hostname_lookups = no

log {
	destination = files
	file = $dir/log/radius.log
	auth = yes
	auth_badpass = no
	auth_goodpass = no
}

security {
	allow_core_dumps = no
	max_attributes = 200
	# a test wants its answer now; production servers keep the default 1 s
	reject_delay = 0
	status_server = no
}

thread pool {
	start_servers = 2
	max_servers = 4
	min_spare_servers = 1
	max_spare_servers = 4
	max_requests_per_server = 0
}

# Requests without Message-Authenticator are dropped (spgate-control always sends one).
client spgate-test {
	ipaddr = 127.0.0.1
	secret = $secret
	require_message_authenticator = yes
}

modules {
	files {
		filename = $dir/users
	}
	pap {
		normalise = yes
	}
	# the challenge users' second factor (TOTP-Secret in control, TOTP-Password in request)
	totp {
	}
	# %{randstr:...}: a fresh State per challenge
	expr {
	}
	always reject {
		rcode = reject
	}
	always handled {
		rcode = handled
	}
	always ok {
		rcode = ok
	}
}

server default {
	listen {
		type = auth
		ipaddr = 127.0.0.1
		port = $port
	}
	authorize {
		files
		pap
	}
	authenticate {
		Auth-Type PAP {
			pap
		}
		# Password, then an Access-Challenge for a TOTP code (RFC 2865 4.4), then for uma
		# (control:Tmp-String-0 set) a second challenge for a PIN. The State names the round.
		Auth-Type spg-otp {
			if (!&request:State) {
				pap
				if (!ok) {
					reject
				}
				update reply {
					State := "otp1-%{randstr:hhhhhhhhhhhhhhhh}"
					Reply-Message := "Token code for %{User-Name}: "
					Message-Authenticator := 0x00
				}
				update control {
					Response-Packet-Type := Access-Challenge
				}
				handled
			}
			elsif ("%{string:request:State}" =~ /^otp1-/) {
				update request {
					TOTP-Password := "%{User-Password}"
				}
				totp
				if (!ok) {
					reject
				}
				if (&control:Tmp-String-0) {
					update reply {
						State := "otp2-%{randstr:hhhhhhhhhhhhhhhh}"
						Reply-Message := "PIN: "
						Message-Authenticator := 0x00
					}
					update control {
						Response-Packet-Type := Access-Challenge
					}
					handled
				}
				ok
			}
			elsif ("%{string:request:State}" =~ /^otp2-/ && &User-Password == &control:Tmp-String-0) {
				ok
			}
			else {
				reject
			}
		}
	}
	# FreeRADIUS 3.2.1 signs no reply by itself, whatever the client's setting: a
	# Message-Authenticator in the reply list is computed when the reply is encoded, which
	# spgate-control requires by default (auth.radius.require_message_authenticator,
	# CVE-2024-3596 BlastRADIUS).
	post-auth {
		update reply {
			Message-Authenticator := 0x00
		}
		Post-Auth-Type REJECT {
			update reply {
				Message-Authenticator := 0x00
			}
		}
	}
}
CONF
	cat >"$dir/users" <<USERS
alice	Cleartext-Password := "alice-pw"
	Class = "storage-eu"

bob	Cleartext-Password := "bob-pw"
	Filter-Id = "storage-globex"

carol	Cleartext-Password := "carol-pw"
	Class = "storage-eu",
	Class += "storage-globex"

dave	Cleartext-Password := "dave-pw"
	Class = "storage-eu,storage-apac"

erin	Cleartext-Password := "erin-pw"

tina	Cleartext-Password := "tina-pw", TOTP-Secret := "$RADIUS_TOTP_SECRET", Auth-Type := spg-otp
	Class = "storage-eu"

uma	Cleartext-Password := "uma-pw", TOTP-Secret := "$RADIUS_TOTP_SECRET", Tmp-String-0 := "4321", Auth-Type := spg-otp
	Class = "storage-eu"
USERS
	echo "$port" >"$dir/port"
	echo "$secret" >"$dir/secret"
}

# True once the server answers an Access-Request (accept or reject) within 1 s.
radius_answers() { # radius_answers DIR
	local dir=$1 out
	out=$(echo 'User-Name = "probe", User-Password = "probe", Message-Authenticator = 0x00' |
		timeout 3 radclient -r 1 -t 1 "127.0.0.1:$(cat "$dir/port")" auth "$(cat "$dir/secret")" 2>&1)
	grep -q -E 'Access-(Accept|Reject)' <<<"$out"
}

radius_start() { # radius_start DIR
	local dir=$1 pid i

	"$RADIUS_BIN" -f -d "$dir" -l stdout >"$dir/radiusd.log" 2>&1 &
	pid=$!
	echo "$pid" >"$dir/radiusd.pid"
	for i in $(seq 1 50); do # at most ~10 s
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "radiusd.sh: $RADIUS_BIN exited at start-up; its log:" >&2
			tail -n 30 "$dir/radiusd.log" >&2
			return 1
		fi
		radius_answers "$dir" && return 0
		sleep 0.2
	done
	echo "radiusd.sh: no answer on 127.0.0.1:$(cat "$dir/port") after 10 s" >&2
	radius_stop "$dir"
	return 1
}

radius_stop() { # radius_stop DIR
	local dir=$1 pid i

	[ -f "$dir/radiusd.pid" ] || return 0
	pid=$(cat "$dir/radiusd.pid")
	rm -f "$dir/radiusd.pid"
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	case ${1:-} in
	gen) shift; radius_gen "$@" ;;
	start) shift; radius_start "$@" ;;
	stop) shift; radius_stop "$@" ;;
	free-port) radius_free_port ;;
	*) sed -n '3,12p' "$0" >&2; exit 2 ;;
	esac
fi
