#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A long-running TCP stream through a session, for the failover test (issue 14 item 7).

  stream_echo.py server --port 7001 [--address 0.0.0.0]
  stream_echo.py client --connect 198.19.0.1:7001 --status FILE [--interval 0.1]
                        [--duration 300] [--stop-file FILE]

The server (on the SP) echoes every line it gets. The client (on the workstation) sends a
counter every INTERVAL and waits for its echo on ONE connection, so a gap in the path (a
gateway host dying, another taking over) shows as a pause that TCP's retransmissions bridge,
or as a broken connection. It writes its status as JSON to FILE after every echo (echoes,
largest gap between consecutive echoes, the connection alive) and, at the end (the stop file
appears, the duration ends, or the connection breaks; a stream with no echo in its last
INTERVAL + 2 s counts as broken, the stall as a gap), prints

  stream: N echoes, largest gap X.XX s, connection survived: yes|no

and exits 0 only if the connection survived and every echo matched what was sent.
"""

import argparse
import json
import os
import socket
import sys
import threading
import time


def serve_one(conn):
    with conn:
        buf = b""
        while True:
            data = conn.recv(4096)
            if not data:
                return
            buf += data
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                conn.sendall(line + b"\n")


def server(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.address, args.port))
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve_one, args=(conn,), daemon=True).start()


def write_status(path, st):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(st, f)
    os.replace(tmp, path)


def read_line(sock, buf, deadline):
    """One line from sock, waiting until deadline; (line or None, rest of buf)."""
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, buf
        sock.settimeout(min(left, 1.0))
        try:
            data = sock.recv(4096)
        except socket.timeout:
            continue
        if not data:
            raise ConnectionError("closed by the peer")
        buf += data
    line, buf = buf.split(b"\n", 1)
    return line, buf


def client(args):
    host, port = args.connect.rsplit(":", 1)
    st = {"echoes": 0, "max_gap": 0.0, "alive": True, "error": None, "mismatch": 0}
    end = time.monotonic() + args.duration
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    last = time.monotonic()
    buf = b""
    n = 0
    try:
        while time.monotonic() < end:
            if args.stop_file and os.path.exists(args.stop_file):
                break
            n += 1
            sock.sendall(b"%d\n" % n)
            line = None
            # wait for this echo; TCP retransmits across a gap, so no resend here
            while line is None and time.monotonic() < end:
                line, buf = read_line(sock, buf, min(end, time.monotonic() + 1.0))
                if line is None and args.stop_file and os.path.exists(args.stop_file):
                    break
            if line is None:
                break
            now = time.monotonic()
            st["max_gap"] = max(st["max_gap"], now - last)
            last = now
            st["echoes"] += 1
            if line != b"%d" % n:
                st["mismatch"] += 1
            write_status(args.status, st)
            time.sleep(args.interval)
    except (OSError, ConnectionError) as e:
        st["alive"] = False
        st["error"] = str(e)
    finally:
        sock.close()
    # a stream stalled at the end did not survive either: its echoes stopped
    st["stalled"] = time.monotonic() - last
    st["max_gap"] = max(st["max_gap"], st["stalled"])
    if st["alive"] and st["stalled"] > args.interval + 2.0:
        st["alive"] = False
        st["error"] = "no echo in the last %.1f s" % st["stalled"]
    write_status(args.status, st)
    print("stream: %d echoes, largest gap %.2f s, connection survived: %s%s" % (
        st["echoes"], st["max_gap"], "yes" if st["alive"] else "no",
        "" if st["alive"] else " (%s)" % st["error"]))
    return 0 if st["alive"] and st["mismatch"] == 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--address", default="0.0.0.0")
    c = sub.add_parser("client")
    c.add_argument("--connect", required=True, help="ADDRESS:PORT")
    c.add_argument("--status", required=True, help="JSON status file, rewritten per echo")
    c.add_argument("--interval", type=float, default=0.1)
    c.add_argument("--duration", type=float, default=300)
    c.add_argument("--stop-file")
    args = ap.parse_args()
    if args.mode == "server":
        server(args)
        return 0
    return client(args)


if __name__ == "__main__":
    sys.exit(main())
