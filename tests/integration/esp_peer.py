#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The SP side of an spgate tunnel, built on scapy's ESP (the reference that is not ours).

Bridges a TUN device and ESP-in-UDP (RFC 3948) with AES-GCM (RFC 4106), tunnel mode, 64-bit
extended sequence numbers (their high half enters the AAD):

  UDP datagram from the gateway -> decrypt with the inbound SA -> inner IPv4 packet -> TUN
  IPv4 packet read from the TUN -> encrypt with the outbound SA -> UDP datagram to the gateway

SPIs and keys are named from this peer's point of view: --spi-in/--key-in decrypt what the
gateway sends (the gateway's spi-out/key-out), --spi-out/--key-out encrypt what we send (the
gateway's spi-in/key-in). Keys are hex key||salt, as spgatectl takes them (40 hex digits for
AES-128-GCM).

The TUN device gets --shared/32 (the SP address S), MTU --mtu and a host route to --inner
(the gateway's inner address G_in), as an SP's route service would set up.

Besides decrypting, every datagram's wire format is checked (RFC 4303 padding 1, 2, 3, ...,
next header 4, 4-byte alignment, a sane inner IPv4 header); deviations count as
format_errors, so a test can assert the gateway produces what the RFCs say.

Signals: SIGTERM/SIGINT stop (stats written), SIGUSR1 re-sends the last datagram sent (a
replay), SIGUSR2 flips one ciphertext byte of the next datagram sent (tampering), SIGHUP
writes the stats file now.
"""

import argparse
import fcntl
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from scapy.compat import raw
from scapy.layers.inet import IP, UDP
from scapy.layers.ipsec import ESP, SecurityAssociation, IPSecIntegrityError

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000

GCM_IV_LEN = 8
GCM_ICV_LEN = 16
ESP_HDR_LEN = 8
IPPROTO_IPIP = 4


class ReplayWindow:
    """RFC 4303 anti-replay with extended sequence numbers (appendix A2)."""

    def __init__(self, size):
        self.size = size
        self.top = 0  # highest 64-bit sequence number accepted
        self.bitmap = 0  # bit i: top - i was accepted

    def infer(self, seql):
        """The full 64-bit sequence number for a received low half, or None if impossible."""
        w = self.size
        tl = self.top & 0xFFFFFFFF
        th = self.top >> 32
        if tl >= w - 1:
            sh = th if seql >= tl - w + 1 else th + 1
        else:
            if seql >= ((tl - w + 1) & 0xFFFFFFFF):
                sh = th - 1
            else:
                sh = th
        if sh < 0:
            return None
        return (sh << 32) | seql

    def check(self, seq):
        """True if seq may be accepted (before authentication)."""
        if seq == 0:
            return False
        if seq > self.top:
            return True
        diff = self.top - seq
        if diff >= self.size:
            return False
        return not (self.bitmap >> diff) & 1

    def update(self, seq):
        """Marks seq as seen (after authentication)."""
        if seq > self.top:
            shift = seq - self.top
            self.bitmap = ((self.bitmap << shift) | 1) & ((1 << self.size) - 1)
            self.top = seq
        else:
            self.bitmap |= 1 << (self.top - seq)


def parse_key(text, what):
    try:
        key = bytes.fromhex(text[2:] if text.lower().startswith("0x") else text)
    except ValueError:
        raise SystemExit(f"{what}: {text!r} is not hex")
    if len(key) not in (16 + 4, 24 + 4, 32 + 4):
        raise SystemExit(f"{what}: {len(key)} bytes; expected key||salt of 20, 28 or 36 bytes")
    return key


def parse_spi(text, what):
    try:
        spi = int(text, 0)
    except ValueError:
        raise SystemExit(f"{what}: {text!r} is not a number")
    if not 256 <= spi <= 0xFFFFFFFF:
        raise SystemExit(f"{what}: {text!r} out of range 256..2^32-1")
    return spi


def open_tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    ifr = struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI)
    fcntl.ioctl(fd, TUNSETIFF, ifr)
    return fd


def run(cmd):
    subprocess.run(cmd, check=True)


def configure_tun(name, local_inner, remote_inner, mtu):
    # No IPv6 on the tun: router solicitations and MLD reports would only be noise.
    try:
        with open(f"/proc/sys/net/ipv6/conf/{name}/disable_ipv6", "w") as f:
            f.write("1")
    except OSError:
        pass
    run(["ip", "addr", "add", f"{local_inner}/32", "dev", name])
    run(["ip", "link", "set", "dev", name, "mtu", str(mtu), "up"])
    run(["ip", "route", "replace", f"{remote_inner}/32", "dev", name, "src", local_inner])


def ipv4_checksum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Peer:
    def __init__(self, args):
        self.args = args
        self.log_file = open(args.log, "a", buffering=1) if args.log else sys.stderr
        self.stats = {
            "received": 0,  # UDP datagrams from the gateway
            "decrypted": 0,
            "decrypt_failures": 0,  # ICV did not verify
            "replays": 0,  # rejected by our replay window
            "wrong_spi": 0,
            "malformed": 0,  # too short to be ESP
            "format_errors": 0,  # decrypted, but padding/next header/inner not as RFCs say
            "not_from_gateway": 0,
            "keepalives": 0,
            "encrypted": 0,  # packets read from the tun and sent
            "non_ipv4_from_tun": 0,
            "replayed": 0,  # SIGUSR1 re-sends
            "tampered": 0,  # SIGUSR2 flips done
            "tun_write_errors": 0,
            "send_errors": 0,
        }
        self.stats_dirty = True
        self.format_errors_logged = 0
        key_in = parse_key(args.key_in, "--key-in")
        key_out = parse_key(args.key_out, "--key-out")
        self.spi_in = parse_spi(args.spi_in, "--spi-in")
        self.spi_out = parse_spi(args.spi_out, "--spi-out")
        self.key_in_raw, self.salt_in = key_in[:-4], key_in[-4:]
        # Outbound: our packets go from E_i to the gateway, ESP in UDP 4500.
        self.sa_out = SecurityAssociation(
            ESP, spi=self.spi_out, crypt_algo="AES-GCM", crypt_key=key_out,
            auth_algo=None, tunnel_header=IP(src=args.local, dst=args.gateway),
            nat_t_header=UDP(sport=args.port, dport=args.gateway_port), esn_en=True, esn=0)
        self.sa_in = SecurityAssociation(
            ESP, spi=self.spi_in, crypt_algo="AES-GCM", crypt_key=key_in,
            auth_algo=None, tunnel_header=IP(src=args.gateway, dst=args.local),
            nat_t_header=UDP(sport=args.gateway_port, dport=args.port), esn_en=True, esn=0)
        self.window = ReplayWindow(args.replay_window)
        self.out_seq = 1  # 64-bit; scapy's SA holds the low half in seq_num, high in esn
        self.last_sent = None
        self.tamper_next = False
        self.stop = False
        self.pending_signals = []

    def log(self, msg):
        ts = time.strftime("%H:%M:%S")
        self.log_file.write(f"{ts} esp_peer[{os.getpid()}] {msg}\n")
        self.log_file.flush()

    def count(self, name, n=1):
        self.stats[name] += n
        self.stats_dirty = True

    def write_stats(self):
        if not self.args.stats or not self.stats_dirty:
            return
        tmp = self.args.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.stats, f, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.args.stats)
        self.stats_dirty = False

    def format_error(self, why):
        self.count("format_errors")
        if self.format_errors_logged < 10:
            self.format_errors_logged += 1
            self.log(f"wire format error: {why}")

    def check_wire_format(self, esp_bytes, seq64):
        """Independent look at the decrypted trailer, which scapy does not check."""
        ct = esp_bytes[ESP_HDR_LEN + GCM_IV_LEN:]
        if (len(ct) - GCM_ICV_LEN) % 4 != 0:
            self.format_error(f"ESP payload of {len(ct) - GCM_ICV_LEN} bytes is not 4-aligned")
            return
        iv = esp_bytes[ESP_HDR_LEN:ESP_HDR_LEN + GCM_IV_LEN]
        aad = struct.pack("!LLL", self.spi_in, seq64 >> 32, seq64 & 0xFFFFFFFF)
        try:
            plain = AESGCM(self.key_in_raw).decrypt(self.salt_in + iv, ct, aad)
        except InvalidTag:
            self.format_error("scapy accepted an ICV that AESGCM rejects")
            return
        padlen, nh = plain[-2], plain[-1]
        if nh != IPPROTO_IPIP:
            self.format_error(f"next header {nh}, expected 4 (IPv4, tunnel mode)")
            return
        if padlen + 2 > len(plain):
            self.format_error(f"pad length {padlen} longer than the payload")
            return
        pad = plain[len(plain) - 2 - padlen:len(plain) - 2]
        if pad != bytes(range(1, padlen + 1)):
            self.format_error(f"padding {pad.hex()} is not 1, 2, 3, ... (RFC 4303 2.4)")
        inner = plain[:len(plain) - 2 - padlen]
        if len(inner) < 20 or inner[0] >> 4 != 4:
            self.format_error("inner packet is not IPv4")
            return
        ihl = (inner[0] & 0xF) * 4
        tot = struct.unpack("!H", inner[2:4])[0]
        if tot != len(inner):
            self.format_error(f"inner total length {tot} != {len(inner)} bytes carried")
        if ihl < 20 or ipv4_checksum(inner[:ihl]) != 0:
            self.format_error("inner IPv4 header checksum wrong")

    def on_datagram(self, data, addr, tun_fd):
        if addr[0] != self.args.gateway:
            self.count("not_from_gateway")
            return
        if data == b"\xff":  # RFC 3948 NAT-keepalive
            self.count("keepalives")
            return
        self.count("received")
        if len(data) < ESP_HDR_LEN + GCM_IV_LEN + GCM_ICV_LEN or data[:4] == b"\0\0\0\0":
            self.count("malformed")
            return
        spi, seql = struct.unpack("!LL", data[:8])
        if spi != self.spi_in:
            self.count("wrong_spi")
            return
        seq64 = self.window.infer(seql)
        if seq64 is None or not self.window.check(seq64):
            self.count("replays")
            return
        pkt = IP(src=self.args.gateway, dst=self.args.local, proto=50) / ESP(data)
        try:
            inner = self.sa_in.decrypt(pkt, esn=seq64 >> 32)
        except IPSecIntegrityError:
            self.count("decrypt_failures")
            return
        except Exception as e:  # scapy raises assorted errors on garbage
            self.count("malformed")
            self.log(f"cannot decrypt a datagram: {e!r}")
            return
        self.window.update(seq64)
        self.count("decrypted")
        if self.args.check_format:
            self.check_wire_format(data, seq64)
        try:
            os.write(tun_fd, raw(inner))
        except OSError as e:
            self.count("tun_write_errors")
            self.log(f"tun write failed: {e}")

    def send_esp(self, sock, payload):
        try:
            sock.sendto(payload, (self.args.gateway, self.args.gateway_port))
        except OSError as e:
            self.count("send_errors")
            self.log(f"send failed: {e}")

    def on_tun_packet(self, data, sock):
        if len(data) < 20 or data[0] >> 4 != 4:
            self.count("non_ipv4_from_tun")
            return
        self.sa_out.esn = self.out_seq >> 32
        enc = self.sa_out.encrypt(IP(data), seq_num=self.out_seq & 0xFFFFFFFF)
        self.out_seq += 1
        payload = bytearray(raw(enc[ESP]))
        self.last_sent = bytes(payload)
        if self.tamper_next:
            self.tamper_next = False
            payload[ESP_HDR_LEN + GCM_IV_LEN] ^= 0x01
            self.count("tampered")
            self.log(f"tampered with the datagram of sequence number {self.out_seq - 1}")
        self.send_esp(sock, bytes(payload))
        self.count("encrypted")

    def on_signal(self, signum, sock):
        if signum in (signal.SIGTERM, signal.SIGINT):
            self.log(f"signal {signum}: stopping")
            self.stop = True
        elif signum == signal.SIGUSR1:
            if self.last_sent is None:
                self.log("SIGUSR1: nothing sent yet, nothing to replay")
                return
            seq = struct.unpack("!L", self.last_sent[4:8])[0]
            self.log(f"SIGUSR1: replaying the datagram of sequence number {seq}")
            self.send_esp(sock, self.last_sent)
            self.count("replayed")
        elif signum == signal.SIGUSR2:
            self.log("SIGUSR2: the next datagram sent will have a ciphertext byte flipped")
            self.tamper_next = True
        elif signum == signal.SIGHUP:
            self.stats_dirty = True
            self.write_stats()

    def serve(self):
        args = self.args
        tun_fd = open_tun(args.tun)
        configure_tun(args.tun, args.shared, args.inner, args.mtu)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((args.local, args.port))
        # Signals are turned into bytes on a pipe, so the select loop sees them at once.
        rd, wr = os.pipe()
        os.set_blocking(wr, False)
        os.set_blocking(rd, False)
        signal.set_wakeup_fd(wr)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2,
                  signal.SIGHUP):
            signal.signal(s, lambda *_: None)
        if args.pidfile:
            with open(args.pidfile, "w") as f:
                f.write(f"{os.getpid()}\n")
        self.log(f"up: {args.local}:{args.port} <-> gateway {args.gateway}:{args.gateway_port},"
                 f" tun {args.tun} {args.shared} -> {args.inner} mtu {args.mtu},"
                 f" spi in 0x{self.spi_in:x} out 0x{self.spi_out:x}")
        next_stats = 0.0
        while not self.stop:
            ready, _, _ = select.select([sock, tun_fd, rd], [], [], 0.5)
            for r in ready:
                if r is rd:
                    for b in os.read(rd, 64):
                        self.on_signal(b, sock)
                elif r is sock:
                    for _ in range(64):  # drain a burst, bounded
                        try:
                            data, addr = sock.recvfrom(65535, socket.MSG_DONTWAIT)
                        except BlockingIOError:
                            break
                        self.on_datagram(data, addr, tun_fd)
                else:
                    data = os.read(tun_fd, 65535)
                    self.on_tun_packet(data, sock)
            now = time.monotonic()
            if now >= next_stats:
                self.write_stats()
                next_stats = now + 0.5
        self.stats_dirty = True
        self.write_stats()
        self.log("stats " + json.dumps(self.stats, sort_keys=True))
        os.close(tun_fd)
        sock.close()
        if args.pidfile:
            try:
                os.unlink(args.pidfile)
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--local", required=True, help="our outer address E_i")
    ap.add_argument("--port", type=int, default=4500, help="our ESP-in-UDP port")
    ap.add_argument("--gateway", default="203.0.113.1", help="the gateway's outer address")
    ap.add_argument("--gateway-port", type=int, default=4500)
    ap.add_argument("--spi-in", required=True, help="SPI we receive (the gateway's spi-out)")
    ap.add_argument("--spi-out", required=True, help="SPI we send (the gateway's spi-in)")
    ap.add_argument("--key-in", required=True, help="hex key||salt we decrypt with")
    ap.add_argument("--key-out", required=True, help="hex key||salt we encrypt with")
    ap.add_argument("--tun", default="sptun0", help="TUN device name")
    ap.add_argument("--shared", default="192.0.2.10", help="our inner address (S) on the tun")
    ap.add_argument("--inner", default="192.0.2.1", help="the gateway's inner address G_in")
    ap.add_argument("--mtu", type=int, default=1438, help="tun MTU")
    ap.add_argument("--replay-window", type=int, default=128)
    ap.add_argument("--no-check-format", dest="check_format", action="store_false",
                    help="do not check padding/next header of what we decrypt")
    ap.add_argument("--pidfile")
    ap.add_argument("--stats", help="JSON counters, rewritten every 0.5 s and at exit")
    ap.add_argument("--log", help="log file (default stderr)")
    args = ap.parse_args()
    peer = Peer(args)
    try:
        peer.serve()
    except Exception as e:
        peer.log(f"fatal: {e!r}")
        raise


if __name__ == "__main__":
    main()
