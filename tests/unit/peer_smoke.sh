#!/usr/bin/env bash
# spgate-bench --peer ipsec-secgw runs and its report is sane, in both directions: both gateways
# were measured (packets per second above zero, wall-clock and per worker CPU-second), the
# ratios agree with the rates, a sample of each one's output checked (outbound: decrypted;
# inbound: the inner packets the generator sealed; no failure listed), and inbound the
# generator (spgate-espgen over net_memif) reported its own rate and delivered packets. No speed is
# required: this machine is shared. Skips (77) when DPDK's example sources (dpdk-doc) are
# missing. The first run builds ipsec-secgw into the build tree (a minute or two).
#
#   tests/unit/peer_smoke.sh PATH/TO/spgate-bench
set -u

bench=${1:?usage: $0 PATH/TO/spgate-bench}
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

"$bench" --peer ipsec-secgw --sessions 1 --duration 1 --warmup 0.3 --peer-rounds 1 --json >"$out" 2>"$err"
rc=$?
if [ $rc -eq 77 ]; then
	cat "$out"
	exit 77
fi
if [ $rc -ne 0 ]; then
	echo "FAIL: spgate-bench --peer ipsec-secgw exited with $rc:"
	tail -n 20 "$err"
	cat "$out"
	exit 1
fi

/usr/bin/python3 - "$out" <<'PY'
import json
import math
import sys

with open(sys.argv[1]) as f:
    report = json.load(f)
failures = list(report["failures"])


def positive(x):
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


dirs = sorted(r["direction"] for r in report["results"])
if dirs != ["inbound", "outbound"]:
    failures.append(f"expected one session count in each direction, got {dirs}")
for r in report["results"]:
    if r["direction"] == "inbound":
        for kind in ("spgate-dp", "ipsec-secgw"):
            for k in ("gen_mpps_own", "delivered_share"):
                if not positive(r[kind][k]):
                    failures.append(f"inbound: generator against {kind}: {k} = {r[kind][k]}")
    for kind in ("spgate-dp", "ipsec-secgw"):
        for k in ("mpps", "mpps_per_cpu"):
            if not positive(r[kind][k]):
                failures.append(f"{r['sessions']} sessions: {kind} {k} = {r[kind][k]}")
    for ratio, k in (("ratio", "mpps"), ("ratio_per_cpu", "mpps_per_cpu")):
        want = r["spgate-dp"][k] / r["ipsec-secgw"][k] if positive(r["ipsec-secgw"][k]) else 0
        if not positive(r[ratio]) or abs(r[ratio] - want) > 1e-6 * max(want, 1):
            failures.append(f"{r['sessions']} sessions: {ratio} {r[ratio]} is not the rates' ratio {want}")
for f in failures:
    print("FAIL:", f)
print(f"peer_smoke: {len(report['results'])} session counts, {len(failures)} failures")
sys.exit(1 if failures else 0)
PY
