#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Keeps asking SP services for their names, as an engineer would, and counts the answers.

  traffic.py --stats FILE [--interval S] [--duration S] ADDR:PORT=NAME ...

Every INTERVAL seconds it opens one TCP connection to each ADDR:PORT in turn, reads the
answer and counts it as ok when it is NAME, else as failed. FILE is rewritten after every
round: {"rounds": n, "ok": n, "failed": n, "last_failure": "...", "targets": {...}}.
Stops on SIGTERM/SIGINT or after DURATION seconds (default 120), whichever comes first.
"""

import argparse
import json
import os
import signal
import socket
import sys
import time

stopping = False


def stop(signum, frame):
    global stopping
    stopping = True


def ask(addr, port, timeout):
    with socket.create_connection((addr, port), timeout=timeout) as s:
        s.settimeout(timeout)
        data = b""
        while len(data) < 256:
            chunk = s.recv(256)
            if not chunk:
                break
            data += chunk
        return data.decode(errors="replace").strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stats", required=True)
    ap.add_argument("--interval", type=float, default=0.3)
    ap.add_argument("--duration", type=float, default=120)
    ap.add_argument("--timeout", type=float, default=2)
    ap.add_argument("targets", nargs="+", help="ADDR:PORT=NAME")
    args = ap.parse_args()

    targets = []
    for t in args.targets:
        where, name = t.split("=", 1)
        addr, port = where.rsplit(":", 1)
        targets.append((addr, int(port), name, t))
    stats = {"rounds": 0, "ok": 0, "failed": 0, "last_failure": None,
             "targets": {t[3]: {"ok": 0, "failed": 0} for t in targets}}
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    end = time.monotonic() + args.duration
    while not stopping and time.monotonic() < end:
        for addr, port, name, key in targets:
            try:
                got = ask(addr, port, args.timeout)
            except OSError as e:
                got = f"<{e.__class__.__name__}: {e}>"
            if got == name:
                stats["ok"] += 1
                stats["targets"][key]["ok"] += 1
            else:
                stats["failed"] += 1
                stats["targets"][key]["failed"] += 1
                stats["last_failure"] = f"{time.strftime('%H:%M:%S')} {key}: got {got!r}"
        stats["rounds"] += 1
        tmp = args.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(stats, f)
        os.replace(tmp, args.stats)
        time.sleep(args.interval)
    return 0


if __name__ == "__main__":
    sys.exit(main())
