#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A stand-in for an SP's service: answers every TCP connection with "NAME\\n" and closes it.

  sp_service.py --name sp1 --port 7000 --log /run/spgate-lab/sp1-7000.log

Each connection is recorded in the log as "HH:MM:SS connection from ADDR:PORT to :PORT", so a
listener on a port the gateway must filter (9999) proves by an empty log that nobody reached
it. Stops on SIGTERM/SIGINT.
"""

import argparse
import os
import signal
import socketserver
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--name", required=True, help="what to answer, e.g. sp1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--address", default="0.0.0.0", help="address to listen on")
    ap.add_argument("--log", help="connection log (default: stdout)")
    ap.add_argument("--pidfile")
    args = ap.parse_args()

    log = open(args.log, "a", buffering=1) if args.log else sys.stdout
    lock = threading.Lock()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            peer = self.client_address
            with lock:
                log.write(f"{time.strftime('%H:%M:%S')} connection from {peer[0]}:{peer[1]}"
                          f" to :{args.port}\n")
                log.flush()
            self.request.settimeout(5)
            try:
                self.request.sendall(f"{args.name}\n".encode())
            except OSError:
                pass

    class Server(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

    server = Server((args.address, args.port), Handler)

    def stop(*_):
        # shutdown() waits for serve_forever to return: call it from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.pidfile:
        with open(args.pidfile, "w") as f:
            f.write(f"{os.getpid()}\n")
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if args.pidfile:
            try:
                os.unlink(args.pidfile)
            except OSError:
                pass


if __name__ == "__main__":
    main()
