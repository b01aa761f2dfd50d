#!/usr/bin/env bash
# spgate-bench runs for a few seconds and its report is sane: every case was measured
# (Mpps and cycles per packet above zero for the pipeline and both limits), the ratios are
# computed, finite and agree with the rates, every packet offered was forwarded, and the
# memory, install and control-socket sections are filled in. No speed is required: this
# machine is shared and the numbers are not the point here.
#
#   tests/unit/bench_smoke.sh PATH/TO/spgate-bench
#
# Exits 0 when all held, 1 otherwise.
set -u

bench=${1:?usage: $0 PATH/TO/spgate-bench}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

if ! "$bench" --sessions 1,1024 --sizes 64 --duration 0.1 --warmup 0.05 \
	--ctl-installs 2000 --ctl-existing 64 --json >"$out" 2>"$err"; then
	echo "FAIL: spgate-bench exited with an error:"
	cat "$err"
	exit 1
fi

"$py" - "$out" <<'PY'
import json
import math
import sys

with open(sys.argv[1]) as f:
    report = json.load(f)

failures = []


def check(ok, what):
    if not ok:
        failures.append(what)


def positive(x):
    return isinstance(x, (int, float)) and math.isfinite(x) and x > 0


cases = report["cases"]
# both directions x one size x two session counts x two ciphers (recorded cases are apart)
check(len(cases) == 8, f"expected 8 cases, got {len(cases)}")
for c in cases:
    name = f'{c["direction"]} {c["size"]} B {c["sessions"]} sessions {c["cipher"]}'
    for loop in ("pipeline", "bare", "crypto"):
        check(positive(c[loop]["mpps"]), f"{name}: {loop} mpps {c[loop]['mpps']}")
        check(positive(c[loop]["cycles_per_packet"]), f"{name}: {loop} cycles {c[loop]['cycles_per_packet']}")
    check(positive(c["mpps"]) and positive(c["cycles_per_packet"]), f"{name}: mpps/cycles")
    for r, limit in (("ratio_bare", "bare"), ("ratio_crypto", "crypto")):
        check(positive(c[r]), f"{name}: {r} = {c[r]}")
        if positive(c[r]) and positive(c[limit]["mpps"]):
            expect = c["mpps"] / c[limit]["mpps"]
            check(abs(c[r] - expect) <= 1e-3 * expect, f"{name}: {r} {c[r]} is not mpps / {limit} mpps {expect}")
    check(c["offered"] > 0, f"{name}: nothing offered")
    check(c["forwarded"] == c["offered"], f'{name}: forwarded {c["forwarded"]} of {c["offered"]}, drops {c["drops"]}')
    check(c["crypto_len"] % 4 == 0 and c["crypto_len"] >= c["size"] + 2, f"{name}: crypto_len {c['crypto_len']}")

# issue 15: the recorded-sessions section, 1 and 1024 recorded sessions beside the plain pipeline
rec = report.get("recorded")
check(isinstance(rec, list), "recorded: the section is missing")
rec = rec if isinstance(rec, list) else []
check(len(rec) == 8, f"recorded: expected 8 cases (both directions x 1 and 1024 sessions x two ciphers), got {len(rec)}")
check(sorted({c["sessions"] for c in rec}) == [1, 1024], f"recorded: session counts {sorted({c['sessions'] for c in rec})}")
for c in rec:
    name = f'recorded {c["direction"]} {c["size"]} B {c["sessions"]} sessions {c["cipher"]}'
    check(positive(c["mpps"]) and positive(c["plain_mpps"]) and positive(c["ratio_plain"]), f"{name}: rates {c}")
    if positive(c["plain_mpps"]):
        expect = c["mpps"] / c["plain_mpps"]
        check(abs(c["ratio_plain"] - expect) <= 1e-3 * expect, f"{name}: ratio_plain is not mpps / plain_mpps")
    check(c["forwarded"] == c["offered"] and c["offered"] > 0, f"{name}: forwarded {c['forwarded']} of {c['offered']}")
    # every forwarded packet was copied: the ring is emptied after each burst
    check(c["copies"] >= c["forwarded"] and c["copies_dropped"] == 0,
          f"{name}: copies {c['copies']} for {c['forwarded']} packets, {c['copies_dropped']} dropped")

check(len(report["memory"]) == 2, "memory: one entry per cipher")
for m in report["memory"]:
    check(m["installed"] == 1024, f"memory: installed {m['installed']}")
    for k in ("crypto_library_per_session", "spgate_per_session", "table_per_slot"):
        check(positive(m[k]), f"memory: {k} = {m[k]}")
    # an SA decrypted and encrypted by esp_native*.c holds no rte_ipsec_sa (both directions
    # native: none at all); every other SA does
    if m["native_sas"] == 2:
        check(m["ipsec_library_per_session"] == 0, f"memory: ipsec_library_per_session = {m['ipsec_library_per_session']} with both SAs native")
    else:
        check(positive(m["ipsec_library_per_session"]), f"memory: ipsec_library_per_session = {m['ipsec_library_per_session']}")

check(len(report["installs"]) == 4, "installs: two steps per cipher")
for i in report["installs"]:
    check(positive(i["per_second"]), f"installs: {i}")

ctl = report["control_socket"]
check(ctl is not None, "control_socket: missing")
if ctl is not None:
    check(ctl["failed"] == 0, f"control_socket: {ctl['failed']} adds refused")
    check(positive(ctl["sync_per_second"]) and positive(ctl["pipelined_per_second"]), "control_socket: rates")
    check(ctl["offered"] > 0 and ctl["forwarded"] == ctl["offered"] and ctl["dropped"] == 0,
          f"control_socket: worker forwarded {ctl['forwarded']} of {ctl['offered']}, dropped {ctl['dropped']}")

check(all(isinstance(t["met"], bool) and math.isfinite(t["value"]) for t in report["targets"]), "targets")

for f in failures:
    print("FAIL:", f)
print(f"bench_smoke: {len(cases)} cases, {len(failures)} failures")
sys.exit(1 if failures else 0)
PY
