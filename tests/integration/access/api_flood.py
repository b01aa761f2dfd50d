#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Opens many idle TCP connections to spgate-control's engineer API from one source address
and reports what the server did with them (tests/integration/test_access.sh).

    api_flood.py SOURCE HOST PORT COUNT HOLD_S

Each connection sends nothing (no TLS ClientHello, no request): the idle attacker of issue 12,
finding 4. After HOLD_S seconds every socket still open is closed. Prints one JSON object:
  connected      connections the kernel completed
  refused_busy   closed by the server after its "busy" line (over a budget)
  closed_silent  closed by the server without a word (the pre-authentication deadline)
  still_open     open when HOLD_S ran out; under load these include connections the
                 server's kernel completed but its full accept queue never handed over
  pending        still connecting when HOLD_S ran out
  failed         connects that failed outright
"""
import errno
import json
import resource
import selectors
import socket
import sys
import time


def main():
    source, host, port, count, hold = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = count + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    sel = selectors.DefaultSelector()
    start = {}
    stats = dict(connected=0, refused_busy=0, closed_silent=0, still_open=0, pending=0, failed=0)
    got = {}
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.bind((source, 0))
        rc = s.connect_ex((host, port))
        if rc not in (0, errno.EINPROGRESS):
            stats["failed"] += 1
            s.close()
            continue
        sel.register(s, selectors.EVENT_WRITE, "connecting")
        start[s] = None
        got[s] = b""
    end = time.monotonic() + hold
    while sel.get_map() and time.monotonic() < end:
        for key, _ in sel.select(timeout=max(0.0, min(0.5, end - time.monotonic()))):
            s = key.fileobj
            if key.data == "connecting":
                err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err != 0:
                    stats["failed"] += 1
                    sel.unregister(s)
                    s.close()
                    continue
                stats["connected"] += 1
                start[s] = time.monotonic()
                sel.modify(s, selectors.EVENT_READ, "open")
                continue
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                got[s] += data
                continue
            # closed by the server
            if b'"busy"' in got[s]:
                stats["refused_busy"] += 1
            else:
                stats["closed_silent"] += 1
            sel.unregister(s)
            s.close()
    for key in list(sel.get_map().values()):
        if key.data == "open":
            stats["still_open"] += 1
        else:
            stats["pending"] += 1
        key.fileobj.close()
    print(json.dumps(stats), flush=True)


if __name__ == "__main__":
    main()
