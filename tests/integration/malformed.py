#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Sends malformed or unwanted frames at spgate-dp's ports, one case at a time, in bulk.

  malformed.py --list [vendor|wan]            cases and the drop reason each must raise
  malformed.py --iface ws0 --dst-mac MAC --case bad_ihl --count 20
  malformed.py --iface eth0 --dst-mac MAC --case esp_spoofed_inner --count 20 \\
      --spi 0x2004 --key HEX --esp-src 203.0.113.11

Vendor cases are sent from the workstation (W = --src) towards a session's virtual address
(--vdst); WAN cases from an SP site (--esp-src) to the gateway's SP port (--gw). Every frame
of a case is dropped for one reason, so that reason's counter must rise by --count. A
60-byte Ethernet minimum is not padded here: veth and af_packet carry short frames as they
are. Frames shorter than an Ethernet header cannot be sent on a veth at all (the kernel
refuses them), so malformed_l2 is left to the unit tests.
"""

import argparse
import struct
import sys

from scapy.compat import raw
from scapy.arch import get_if_hwaddr
from scapy.config import conf
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import Ether
from scapy.packet import Raw

CASES = {}
# Frames spgate-dp delivers rather than drops, for tests of what else they do (roaming):
# sent with --case like the others, never listed.
DELIVERED = {}


def case(name, side, reason, doc):
    def register(fn):
        CASES[name] = (side, reason, doc, fn)
        return fn
    return register


def ip_bytes(pkt):
    return raw(pkt)


def fix_ip_checksum(b):
    """Recomputes the IPv4 header checksum of raw bytes b (header length from IHL)."""
    b = bytearray(b)
    ihl = (b[0] & 0xF) * 4
    b[10:12] = b"\0\0"
    s = 0
    hdr = b[:ihl]
    if len(hdr) % 2:
        hdr += b"\0"
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    b[10:12] = struct.pack("!H", (~s) & 0xFFFF)
    return bytes(b)


def syn(a, k, dport=7000, **ip_kw):
    return IP(src=a.src, dst=a.vdst, **ip_kw) / TCP(sport=40000 + k, dport=dport, flags="S")


# ---- vendor side: W -> V_i ----

@case("not_ipv4", "vendor", "not_ipv4", "an IPv6 ethertype")
def _(a, k):
    return ("86dd", bytes(40))


@case("ip_truncated", "vendor", "malformed_ip", "10 bytes of an IPv4 header")
def _(a, k):
    return ("0800", ip_bytes(syn(a, k))[:10])


@case("bad_ihl", "vendor", "malformed_ip", "IHL 4 (16 bytes), checksum right for 16")
def _(a, k):
    b = bytearray(ip_bytes(syn(a, k)))
    b[0] = 0x44
    return ("0800", fix_ip_checksum(b))


@case("ihl_past_end", "vendor", "malformed_ip", "IHL 15 (60 bytes) in a 28-byte packet")
def _(a, k):
    b = bytearray(ip_bytes(IP(src=a.src, dst=a.vdst, proto=6) / Raw(bytes(8))))
    b[0] = 0x4F
    return ("0800", bytes(b))


@case("total_len_past_end", "vendor", "malformed_ip", "total length 1000 in a 40-byte packet")
def _(a, k):
    b = bytearray(ip_bytes(syn(a, k)))
    b[2:4] = struct.pack("!H", 1000)
    return ("0800", fix_ip_checksum(b))


@case("bad_version", "vendor", "malformed_ip", "version 5 under the IPv4 ethertype")
def _(a, k):
    b = bytearray(ip_bytes(syn(a, k)))
    b[0] = 0x55
    return ("0800", fix_ip_checksum(b))


@case("ip_checksum", "vendor", "ip_checksum", "a TCP SYN to an allowed port, header checksum off by one")
def _(a, k):
    b = bytearray(ip_bytes(syn(a, k)))
    b[10] ^= 0x01
    return ("0800", bytes(b))


@case("ip_options", "vendor", "ip_options", "a TCP SYN to an allowed port with a 4-byte NOP option")
def _(a, k):
    return ("0800", ip_bytes(syn(a, k, options=[b"\x01\x01\x01\x01"])))


@case("fragment_first", "vendor", "fragment", "first fragment (MF) of a TCP SYN")
def _(a, k):
    return ("0800", ip_bytes(syn(a, k, flags="MF")))


@case("fragment_later", "vendor", "fragment", "a fragment at offset 8")
def _(a, k):
    return ("0800", ip_bytes(IP(src=a.src, dst=a.vdst, proto=6, frag=1) / Raw(bytes(16))))


@case("tcp_truncated", "vendor", "malformed_l4", "TCP to an allowed port, 10 bytes of header")
def _(a, k):
    t = raw(TCP(sport=40000 + k, dport=7000, flags="S"))[:10]
    return ("0800", ip_bytes(IP(src=a.src, dst=a.vdst, proto=6) / Raw(t)))


@case("udp_truncated", "vendor", "malformed_l4", "UDP, 4 bytes of header")
def _(a, k):
    return ("0800", ip_bytes(IP(src=a.src, dst=a.vdst, proto=17) / Raw(b"\x9c\x40\x1f\x40")))


@case("icmp_truncated", "vendor", "malformed_l4", "ICMP, 2 bytes of header")
def _(a, k):
    return ("0800", ip_bytes(IP(src=a.src, dst=a.vdst, proto=1) / Raw(b"\x08\x00")))


@case("ttl_1", "vendor", "ttl_exceeded", "a TCP SYN to an allowed port with TTL 1")
def _(a, k):
    return ("0800", ip_bytes(syn(a, k, ttl=1)))


@case("not_for_us", "vendor", "not_for_us", "to an address outside the virtual pool")
def _(a, k):
    return ("0800", ip_bytes(IP(src=a.src, dst="198.51.100.99") /
                             TCP(sport=40000 + k, dport=7000, flags="S")))


@case("no_session", "vendor", "no_session", "to a pool address no session owns")
def _(a, k):
    return ("0800", ip_bytes(IP(src=a.src, dst=a.vdst_unused) /
                             TCP(sport=40000 + k, dport=7000, flags="S")))


@case("wrong_source", "vendor", "wrong_source", "to V_i from another workstation")
def _(a, k):
    return ("0800", ip_bytes(IP(src=a.other_src, dst=a.vdst) /
                             TCP(sport=40000 + k, dport=7000, flags="S")))


@case("proto_filtered", "vendor", "proto_filtered", "GRE (protocol 47) to V_i")
def _(a, k):
    return ("0800", ip_bytes(IP(src=a.src, dst=a.vdst, proto=47) / Raw(bytes(8))))


@case("port_filtered", "vendor", "port_filtered", "a TCP SYN to port 9999 of V_i")
def _(a, k):
    return ("0800", ip_bytes(syn(a, k, dport=9999)))


# ---- WAN side: E_i -> the gateway's SP port ----

def to_gw(a, l4):
    return ip_bytes(IP(src=a.esp_src, dst=a.gw) / l4)


def esp_udp(a, payload):
    return to_gw(a, UDP(sport=a.esp_sport, dport=a.esp_port) / Raw(payload))


@case("wan_ip_checksum", "wan", "ip_checksum", "ESP-in-UDP with a bad IPv4 header checksum")
def _(a, k):
    b = bytearray(esp_udp(a, struct.pack("!LL", 0xDEAD, 1) + bytes(40)))
    b[10] ^= 0x01
    return ("0800", bytes(b))


@case("wan_fragment", "wan", "fragment", "first fragment (MF) of an ESP-in-UDP datagram")
def _(a, k):
    b = bytearray(esp_udp(a, struct.pack("!LL", 0xDEAD, 1) + bytes(40)))
    b[6] |= 0x20
    return ("0800", fix_ip_checksum(b))


@case("wan_udp_truncated", "wan", "malformed_l4", "UDP to 4500 with 4 bytes of header")
def _(a, k):
    return ("0800", ip_bytes(IP(src=a.esp_src, dst=a.gw, proto=17) /
                             Raw(struct.pack("!HH", 4500, a.esp_port))))


@case("wan_not_esp_udp", "wan", "not_esp", "UDP to port 5000 of the gateway")
def _(a, k):
    return ("0800", to_gw(a, UDP(sport=4500, dport=5000) / Raw(bytes(32))))


@case("wan_not_esp_tcp", "wan", "not_esp", "a TCP SYN to port 22 of the gateway's SP port")
def _(a, k):
    return ("0800", to_gw(a, TCP(sport=40000 + k, dport=22, flags="S")))


@case("esp_too_short", "wan", "malformed_esp", "ESP-in-UDP of 6 bytes")
def _(a, k):
    return ("0800", esp_udp(a, b"\x00\x00\x20\x04\x00\x00"))


@case("esp_short_known_spi", "wan", "malformed_esp",
      "known SPI, 20 bytes: less than header + IV + ICV")
def _(a, k):
    return ("0800", esp_udp(a, struct.pack("!LL", a.spi, 1000000 + k) + bytes(12)))


@case("esp_unknown_spi", "wan", "no_sa", "64 bytes of ESP for SPI 0xdead")
def _(a, k):
    return ("0800", esp_udp(a, struct.pack("!LL", 0xDEAD, 1 + k) + bytes(56)))


@case("esp_garbage_known_spi", "wan", "bad_icv", "known SPI, new sequence number, 64 garbage bytes")
def _(a, k):
    return ("0800", esp_udp(a, struct.pack("!LL", a.spi, 1000000 + k) + bytes(range(56))))


def encrypted(a, k, inner):
    key = bytes.fromhex(a.key)
    sa = SecurityAssociation(ESP, spi=a.spi, crypt_algo="AES-GCM", crypt_key=key,
                             tunnel_header=IP(src=a.esp_src, dst=a.gw),
                             nat_t_header=UDP(sport=4500, dport=a.esp_port), esn_en=True)
    enc = sa.encrypt(inner, seq_num=a.seq_base + k)
    # scapy 2.5 computes the NAT-T UDP length before the ESP payload is attached (it says 8):
    # carry only its ESP and let a fresh UDP header count the length.
    return ("0800", esp_udp(a, raw(enc[ESP])))


@case("esp_spoofed_inner", "wan", "spoofed_inner",
      "authentic ESP whose inner packet comes from 192.0.2.99, not S")
def _(a, k):
    return encrypted(a, k, IP(src="192.0.2.99", dst=a.inner) /
                     TCP(sport=7000, dport=40000 + k, flags="SA"))


@case("esp_sp_initiated", "wan", "sp_initiated",
      "authentic ESP carrying a TCP SYN from S:7000 to G_in")
def _(a, k):
    return encrypted(a, k, IP(src=a.shared, dst=a.inner) /
                     TCP(sport=7000, dport=22, flags="S"))


def esp_reply(a, k):
    """Authentic ESP carrying a SYN-ACK from S:7000 to G_in: a reply the session delivers."""
    return encrypted(a, k, IP(src=a.shared, dst=a.inner) /
                     TCP(sport=7000, dport=40000 + k, flags="SA"))


DELIVERED["esp_reply"] = ("wan", "none", "authentic ESP carrying a SYN-ACK from S:7000 to G_in",
                          esp_reply)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--list", nargs="?", const="all", metavar="SIDE")
    ap.add_argument("--iface")
    ap.add_argument("--dst-mac")
    ap.add_argument("--case")
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--src", default="198.51.100.10", help="W")
    ap.add_argument("--other-src", default="198.51.100.20", help="a workstation not W")
    ap.add_argument("--vdst", default="198.19.0.1", help="a session's V_i")
    ap.add_argument("--vdst-unused", default="198.19.0.200", help="a pool address no session has")
    ap.add_argument("--gw", default="203.0.113.1", help="the gateway's SP port address")
    ap.add_argument("--esp-port", type=int, default=4500)
    ap.add_argument("--esp-src", default="203.0.113.11", help="E_i")
    ap.add_argument("--esp-sport", type=int, default=4500, help="E_i's UDP port")
    ap.add_argument("--spi", type=lambda s: int(s, 0), default=0x2004,
                    help="a gateway inbound SPI (SP -> gateway)")
    ap.add_argument("--key", help="hex key||salt of that SA (for the authentic ESP cases)")
    ap.add_argument("--seq-base", type=int, default=1,
                    help="first sequence number for authentic ESP cases")
    ap.add_argument("--shared", default="192.0.2.10", help="S")
    ap.add_argument("--inner", default="192.0.2.1", help="G_in")
    a = ap.parse_args()

    if a.list:
        for name, (side, reason, doc, _) in CASES.items():
            if a.list in ("all", side):
                print(f"{name} {side} {reason} {doc}")
        return 0
    if not (a.iface and a.dst_mac and a.case):
        ap.error("--iface, --dst-mac and --case are needed to send")
    if a.case not in CASES and a.case not in DELIVERED:
        ap.error(f"no case {a.case!r}; --list shows them")
    side, reason, doc, build = CASES.get(a.case) or DELIVERED[a.case]
    if a.case in ("esp_spoofed_inner", "esp_sp_initiated", "esp_reply") and not a.key:
        ap.error(f"{a.case} needs --key")
    src_mac = get_if_hwaddr(a.iface)
    frames = []
    for k in range(a.count):
        ethertype, payload = build(a, k)
        frames.append(raw(Ether(src=src_mac, dst=a.dst_mac, type=int(ethertype, 16))) + payload)
    s = conf.L2socket(iface=a.iface)
    try:
        for f in frames:
            s.send(f)
    finally:
        s.close()
    print(f"{a.case}: sent {len(frames)} ({doc}); expect {reason} +{len(frames)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
