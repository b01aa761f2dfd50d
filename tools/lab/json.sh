# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Reading spgatectl's and the agents' JSON in shell: sourced by tools/lab/lab.sh and, through
# tests/integration/e2e/system.sh, by the tests of the whole system.

: "${SPG_PY:=/usr/bin/python3}"

# jv EXPR: evaluates the Python expression EXPR with d = the JSON on stdin; lists are printed
# comma-joined, None as "null", nothing at all on bad JSON
jv() {
	"$SPG_PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)
    v = eval(sys.argv[1])
except Exception:
    sys.exit(1)
if isinstance(v, bool):
    v = "true" if v else "false"
print("null" if v is None else ",".join(str(x) for x in v) if isinstance(v, list) else v)' "$1"
}
jf() { jv "$2" <"$1"; } # jf FILE EXPR
