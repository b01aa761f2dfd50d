#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# with_pg.sh TEST...: runs the store-backed unit tests TEST... again, against PostgreSQL.
#
# Starts a throw-away cluster (initdb + pg_ctl from Debian's postgresql, as the postgres user:
# the server refuses to run as root) in a temporary directory, listening on a Unix socket in
# that directory only, sets SPG_TEST_PG_URL (ctl_test.h then gives every fresh store a schema
# of its own there), runs each test, and stops and removes the cluster however they end.
# Skipped (77, said in words) when not root or PostgreSQL is not installed.
set -u

pgbin=$(printf "%s\n" /usr/lib/postgresql/*/bin | sort -V | tail -n 1) # the newest installed
if [ "$(id -u)" != 0 ] || [ -z "$pgbin" ] || [ ! -x "$pgbin/pg_ctl" ] || ! id postgres >/dev/null 2>&1; then
	echo "SKIPPED: the store tests on PostgreSQL need root and Debian's postgresql package (initdb, pg_ctl, the postgres user)"
	exit 77
fi

dir=$(mktemp -d /tmp/spg-pg-XXXXXX)
chown postgres: "$dir"
stop() {
	runuser -u postgres -- "$pgbin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1
	rm -rf "$dir"
}
trap stop EXIT

as_pg() { runuser -u postgres -- "$@"; }
if ! as_pg "$pgbin/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1; then
	echo "FAIL: initdb:"; cat "$dir/initdb.log"; exit 1
fi
if ! as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
	-o "-c listen_addresses='' -k $dir -c fsync=off -c max_connections=50" start >/dev/null; then
	echo "FAIL: the PostgreSQL server did not start:"; cat "$dir/server.log"; exit 1
fi
export SPG_TEST_PG_URL="host=$dir user=postgres dbname=postgres"

failed=()
for t in "$@"; do
	echo "=== $(basename "$t") on PostgreSQL"
	"$t" || failed+=("$(basename "$t")")
done
if [ ${#failed[@]} -gt 0 ]; then
	echo "FAIL on PostgreSQL: ${failed[*]}"
	exit 1
fi
echo "all ${#} store tests passed on PostgreSQL"
