#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""A hostile or broken RADIUS server on 127.0.0.1 for tests of the client's checks.

    forger.py PORT MODE SECRET LIFETIME_S

MODE: accept-forged  answers Access-Accept (Class "admins") with a random Response Authenticator
      accept-signed  the same Accept, correctly signed with SECRET, with a correct
                     Message-Authenticator (proves the forger works)
      accept-no-ma   the Accept correctly signed but without Message-Authenticator: the shape
                     a BlastRADIUS (CVE-2024-3596) forgery has
      challenge-no-state  a signed Access-Challenge without State: it cannot be answered
      challenge-forged    an Access-Challenge (with State) and a random Response Authenticator
      silent         reads requests and never answers (a server that is up but mute)
Exits by itself after LIFETIME_S seconds. Prints "ready" once bound.
"""
import hashlib
import hmac
import os
import socket
import struct
import sys
import time


def answer(data, mode, secret):
    ident, req_auth = data[1], data[4:20]
    code, signed = 2, mode in ("accept-signed", "challenge-no-state")
    attrs = bytes([25, 2 + 6]) + b"admins"  # Class = "admins"
    if mode.startswith("challenge"):
        code, attrs = 11, bytes([18, 2 + 5]) + b"Code:"  # Reply-Message
        if mode == "challenge-forged":
            attrs += bytes([24, 2 + 4]) + b"st01"  # State
    if signed:
        attrs += bytes([80, 18]) + bytes(16)  # Message-Authenticator, zero while computed
    length = 20 + len(attrs)
    head = bytes([code, ident]) + struct.pack("!H", length)
    if signed:
        # RFC 3579 3.2: HMAC-MD5 over the reply with the request's authenticator
        ma = hmac.new(secret, head + req_auth + attrs, hashlib.md5).digest()
        attrs = attrs[:-16] + ma
    if signed or mode == "accept-no-ma":
        auth = hashlib.md5(head + req_auth + attrs + secret).digest()
    else:
        auth = os.urandom(16)
    return head + auth + attrs


def main():
    port, mode, secret, lifetime = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), float(sys.argv[4])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    print("ready", flush=True)
    end = time.monotonic() + lifetime
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        s.settimeout(left)
        try:
            data, peer = s.recvfrom(4096)
        except socket.timeout:
            return
        if mode != "silent" and len(data) >= 20:
            s.sendto(answer(data, mode, secret), peer)


if __name__ == "__main__":
    main()
