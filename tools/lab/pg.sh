# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# shellcheck disable=SC2153 # SPG_PG_DIR is the caller's
# A throw-away PostgreSQL cluster (Debian's postgresql package, run as the postgres user), as
# functions: sourced by tools/lab/lab.sh (--gateways 2) and the integration tests that put
# spgate-control's store on PostgreSQL (test_store_pg.sh, test_fleet.sh, test_failover.sh).
# tests/unit/control/with_pg.sh does the same for the unit tests, on its own.
#
#   Unix socket  (SPG_PG_NS empty, the default) the server listens on no TCP address, only on
#                a socket in $SPG_PG_DIR: spgate-control in any namespace reaches it there
#   TCP          (SPG_PG_NS set) the server runs in namespace SPG_PG_NS, listening on
#                SPG_PG_ADDR:5432 as well as on the socket; pg_hba trusts the addresses in
#                SPG_PG_CLIENTS over TCP and nobody else. A fleet's hosts use this: cutting a
#                host's links then cuts it off the store too (tools/lab/topology.sh,
#                topo_host_cut), and its lease expires.
#
# The caller sets:
#   SPG_PG_DIR      the cluster's directory (made if missing; data/, the socket, server.log);
#                   its own, not the 0700 state directory: the server runs as postgres
#   SPG_PG_NS, SPG_PG_ADDR, SPG_PG_CLIENTS   for TCP, above
# psql_q runs SQL as the superuser on the socket; pg_url is what spgate-control's store.url
# gets (trust: no password, as docs/fleet.md says a URL holds none).

: "${SPG_PG_NS:=}"
: "${SPG_PG_ADDR:=}"
: "${SPG_PG_CLIENTS:=}"
SPG_PG_PORT=5432

# the newest installed server's binaries (empty: none)
pg_bin() { printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n 1 | grep -v '\*'; }

# pg_available: the server's binaries and the postgres user are there
pg_available() {
	local bin
	bin=$(pg_bin)
	[ -n "$bin" ] && [ -x "$bin/pg_ctl" ] && [ -x "$bin/initdb" ] && id postgres >/dev/null 2>&1
}

pg_as() { runuser -u postgres -- "$@"; } # pg_as CMD...: as the postgres user

# pg_ctl_run ARGS...: pg_ctl on the cluster; its start in SPG_PG_NS if set (the server listens
# there). Other commands signal the postmaster: they need no namespace, which may be gone.
pg_ctl_run() {
	if [ -n "$SPG_PG_NS" ] && [[ " $* " == *" start "* ]]; then
		ip netns exec "$SPG_PG_NS" runuser -u postgres -- "$(pg_bin)/pg_ctl" -D "$SPG_PG_DIR/data" "$@"
	else
		pg_as "$(pg_bin)/pg_ctl" -D "$SPG_PG_DIR/data" "$@"
	fi
}

# pg_init: a new cluster in $SPG_PG_DIR/data (trust), with the TCP clients' pg_hba lines
pg_init() {
	local a
	mkdir -p "$SPG_PG_DIR" && chown postgres: "$SPG_PG_DIR" || return 1
	if ! pg_as "$(pg_bin)/initdb" -D "$SPG_PG_DIR/data" -A trust -U postgres --no-sync \
		>"$SPG_PG_DIR/initdb.log" 2>&1; then
		tail -n 20 "$SPG_PG_DIR/initdb.log"
		return 1
	fi
	for a in $SPG_PG_CLIENTS; do
		echo "host all all $a/32 trust" >>"$SPG_PG_DIR/data/pg_hba.conf"
	done
}

# pg_start: starts the server (bounded: 30 s). Its pid is not among topology.sh's: the tests
# call topo_destroy to clear leftovers after starting it. The caller's teardown calls
# pg_destroy (or pg_stop).
pg_start() {
	local listen=""
	[ -n "$SPG_PG_NS" ] && listen=$SPG_PG_ADDR
	pg_ctl_run -l "$SPG_PG_DIR/server.log" -w -t 30 \
		-o "-c listen_addresses='$listen' -p $SPG_PG_PORT -k $SPG_PG_DIR -c fsync=off" start >/dev/null || {
		tail -n 20 "$SPG_PG_DIR/server.log" 2>/dev/null
		return 1
	}
}

# pg_stop: a fast shutdown (clients disconnected), bounded
pg_stop() {
	[ -d "$SPG_PG_DIR/data" ] || return 0
	pg_ctl_run -m fast -w -t 30 stop >/dev/null 2>&1
	return 0
}

# pg_ready: the server accepts connections on its socket
pg_ready() { pg_as "$(pg_bin)/pg_isready" -q -h "$SPG_PG_DIR" -p "$SPG_PG_PORT"; }

# psql_q SQL: one statement as the superuser, unaligned tuples only
psql_q() { pg_as "$(pg_bin)/psql" -h "$SPG_PG_DIR" -p "$SPG_PG_PORT" -Atc "$1" postgres; }

# pg_url: the store.url of spgate-control (TCP in a namespace, or the socket)
pg_url() {
	if [ -n "$SPG_PG_NS" ]; then
		echo "postgresql://postgres@$SPG_PG_ADDR:$SPG_PG_PORT/postgres"
	else
		echo "host=$SPG_PG_DIR port=$SPG_PG_PORT user=postgres dbname=postgres"
	fi
}

# pg_destroy [LOGDIR]: stops the server, keeps its log in LOGDIR (if given), deletes the cluster
pg_destroy() {
	pg_stop
	if [ -n "${1:-}" ] && [ -f "$SPG_PG_DIR/server.log" ]; then
		mkdir -p "$1" && cp "$SPG_PG_DIR/server.log" "$1/postgresql.log"
	fi
	rm -rf "$SPG_PG_DIR"
}
