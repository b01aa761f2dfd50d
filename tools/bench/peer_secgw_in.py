# SPDX-License-Identifier: BSD-3-Clause
"""spgate-bench --peer ipsec-secgw, inbound: both gateways decrypt the same sealed-as-sent ESP.

net_pcap's infinite_rx would replay the same ESP frames, repeating their sequence numbers, which
an anti-replay window rightly drops. So a generator process (spgate-espgen, tools/bench/espgen.c)
seals every packet afresh (per SA increasing sequence numbers, ESN, AES-128-GCM with the keys
both gateways hold) and sends it over net_memif: the generator is the memif server, the
gateway's ESP port the client. The gateway's plaintext port is net_pcap dropping what it sends
(tx_pcap only for the sample check). The generator runs on the other CPU than the gateway's
worker; both gateways' main lcores sleep (ipsec-secgw has one lcore: its worker).

The same SAs for both, with their replay windows on and the same size (spgate-dp's default,
128; ipsec-secgw -w 128 -e). The inner packets are the SP's replies S -> G_in from TCP port 443
(what spgate-dp's session allows) to a destination port of the SA's own, so that ipsec-secgw's
inbound policy (one `sp ipv4 in ... protect SPI` per SA, checked against the SA that decrypted)
can tell the SAs apart; spgate-dp translates them to V_i -> W. The one difference: spgate-dp
takes ESP in UDP (RFC 3948) only, ipsec-secgw's cpu-crypto SAs plain ESP only (its udp-encap is
for inline and lookaside-protocol SAs), so the generator frames for each (8 bytes apart).

Measured: the plaintext port's opackets and the gateway worker thread's CPU time over the
interval, as outbound; and the generator's own counters (/espgen/stats): its rate per CPU-second
of its own work, the share of its time it waited on a full ring (the gateway's rx then always
finds a full burst, so its worker never idles: per-CPU-second figures are fair), and the share
of the interval it ran at all: a generator that other tenants keep off its CPU leaves the
gateway's ring empty meanwhile, and that run says little (the report marks it).
"""
import json
import os
import subprocess
import time

import peer_secgw as c

GEN_PREFIX = f"spgbp-gen-{os.getpid()}"
GW_MEMIF_MAC = "02:00:00:00:03:01"
ESP_UDP_PORT = 4500
REPLAY_WINDOW = 128  # spgate-dp's default (dataplane.replay_window)
GEN_NICE = -5


def dport(s):
    """The inner destination port of session s's packets (ipsec-secgw's policy tells SAs apart by it)."""
    return 10000 + s.i % 55000


def write_files(work, sessions):
    """The generator's SA file and the workstations' ARP announcements for the plaintext port."""
    from scapy.all import ARP, Ether, wrpcap
    sa_file = os.path.join(work, "espgen-sas.txt")
    with open(sa_file, "w") as f:
        for s in sessions:
            f.write(f"{s.spi_in:#x} {s.key_in.hex()} {s.peer} {dport(s)}\n")
    seen, frames = set(), []
    for s in sessions:
        if s.workstation in seen:
            continue
        seen.add(s.workstation)
        k = len(seen)
        mac = f"02:00:00:00:01:{k & 0xff:02x}"
        frames.append(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
                      ARP(op=2, hwsrc=mac, psrc=s.workstation, hwdst="ff:ff:ff:ff:ff:ff", pdst=s.workstation))
    arp = os.path.join(work, "ws-arp.pcap")
    wrpcap(arp, frames)
    return sa_file, arp


def memif_socket(work):
    return os.path.join(work, "memif.sock")


def gen_start(work, o, sa_file, plain_esp):
    sock = memif_socket(work)
    if os.path.exists(sock):
        os.unlink(sock)
    cmd = [o.espgen, "-l", str(o.main_lcore), "--no-huge", "-m", "256", "--file-prefix", GEN_PREFIX, "--no-pci",
           "--vdev", f"net_memif0,role=server,socket={sock},socket-abstract=no,id=0", "--",
           "--sa-file", sa_file, "--dst-mac", GW_MEMIF_MAC, "--gateway", c.SP_ADDR,
           "--inner-src", c.SHARED, "--inner-dst", c.INNER, "--inner-sport", str(c.SERVICE_PORT),
           "--udp-port", "0" if plain_esp else str(ESP_UDP_PORT), "--seed", str(o.seed)]
    out = open(os.path.join(work, "espgen.out"), "w")
    err = open(os.path.join(work, "espgen.log"), "w")
    # A little ahead of other tenants on a shared host (nice -5; it runs for seconds): a
    # generator kept off its CPU leaves the gateway's ring dry, and that gateway idles.
    p = subprocess.Popen(cmd, stdout=out, stderr=err, preexec_fn=lambda: os.nice(GEN_NICE))
    deadline = time.time() + 30
    while not os.path.exists(sock):
        if p.poll() is not None or time.time() > deadline:
            c.stop(p)
            c.log(f"spgate-espgen did not come up; its log: {os.path.join(work, 'espgen.log')}")
            return None
        time.sleep(0.1)
    return p


def gen_stop(p, work):
    """Stops the generator; its final counters (the JSON line it prints) or {}."""
    c.stop(p)
    try:
        with open(os.path.join(work, "espgen.out")) as f:
            lines = [ln for ln in f.read().splitlines() if ln.startswith("{")]
        return json.loads(lines[-1]) if lines else {}
    except (OSError, ValueError):
        return {}


def gen_stats():
    return c.telemetry(GEN_PREFIX, ["/espgen/stats"])[0]["/espgen/stats"]


def port_args(work, arp, out_pcap):
    vendor = f"net_pcap0,rx_pcap={arp}" + (f",tx_pcap={out_pcap}" if out_pcap else "")
    sp = f"net_memif0,role=client,socket={memif_socket(work)},socket-abstract=no,id=0,mac={GW_MEMIF_MAC}"
    return vendor, sp


def secgw_start(work, o, sessions, vendor, sp):
    cfg = os.path.join(work, "secgw-in.cfg")
    with open(cfg, "w") as f:
        for s in sessions:
            key = ":".join(f"{b:02x}" for b in s.key_in)
            f.write(f"sp ipv4 in esp protect {s.spi_in} pri 1 src {c.SHARED}/32 dst {c.INNER}/32 "
                    f"sport {c.SERVICE_PORT}:{c.SERVICE_PORT} dport {dport(s)}:{dport(s)}\n")
            f.write(f"sa in {s.spi_in} aead_algo aes-128-gcm aead_key {key} mode ipv4-tunnel "
                    f"src {s.peer} dst {c.SP_ADDR} type cpu-crypto\n")
            key = ":".join(f"{b:02x}" for b in s.key_out)
            f.write(f"sp ipv4 out esp protect {s.spi_out} pri 1 dst {s.virtual}/32 sport 0:65535 dport 0:65535\n")
            f.write(f"sa out {s.spi_out} aead_algo aes-128-gcm aead_key {key} mode ipv4-tunnel "
                    f"src {c.SP_ADDR} dst {s.peer} type cpu-crypto\n")
        f.write(f"rt ipv4 dst {c.INNER}/32 port 0\n")
        f.write("rt ipv4 dst 198.19.0.0/16 port 1\n")
        f.write("neigh port 0 02:00:00:00:01:10\n")
        f.write(f"neigh port 1 {c.NEXT_HOP_MAC}\n")
    logf = open(os.path.join(work, "secgw.log"), "w")
    cmd = [o.secgw, "-l", str(o.lcore), "-n", "4", "--no-huge", "-m", "1024", "--file-prefix", c.GW_PREFIX,
           "--no-pci", "--vdev", "crypto_aesni_mb0", "--vdev", vendor, "--vdev", sp, "--",
           "-p", "0x3", "-u", "0x2", "-P", "-l", "-e", "-w", str(REPLAY_WINDOW), "-s", "65535",
           "--rxoffload", "0", "--txoffload", "0",
           "--config", f"(0,0,{o.lcore}),(1,0,{o.lcore})", "-f", cfg]
    return subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)


def plain_port_opackets(prefix):
    return c.port_opackets(prefix, "net_pcap0")


def measure(p, gen, prefix, seconds):
    hz = os.sysconf("SC_CLK_TCK")
    c0, q0, g0, n0, t0 = c.thread_cpu(p.pid), c.thread_cpu(gen.pid), gen_stats(), plain_port_opackets(prefix), time.time()
    time.sleep(seconds)
    c1, q1, g1, n1, t1 = c.thread_cpu(p.pid), c.thread_cpu(gen.pid), gen_stats(), plain_port_opackets(prefix), time.time()
    busiest = max((c1[t] - c0.get(t, 0) for t in c1), default=0) / hz
    gen_cpu = max((q1[t] - q0.get(t, 0) for t in q1), default=0) / hz
    pkts = n1 - n0
    d = {k: g1[k] - g0[k] for k in ("sent", "tx_calls", "tx_full", "seal_cycles", "tx_cycles", "wait_cycles")}
    cycles = d["seal_cycles"] + d["tx_cycles"] + d["wait_cycles"]
    wait_share = d["wait_cycles"] / cycles if cycles else 0.0
    # The generator's own rate: what it sent per CPU-second it spent sealing and sending (its
    # CPU time less the share it spun on a full ring; the TSC shares stand for CPU shares,
    # preemption stretching both alike).
    own_cpu = gen_cpu * (1 - wait_share)
    return {"packets": pkts, "seconds": t1 - t0, "pps": pkts / (t1 - t0),
            "worker_cpu_s": busiest, "pps_per_cpu_s": pkts / busiest if busiest > 0 else 0.0,
            "gen_sent": d["sent"], "gen_cpu_s": gen_cpu, "gen_cpu_share": gen_cpu / (t1 - t0),
            "gen_mpps_own": d["sent"] / own_cpu / 1e6 if own_cpu > 0 else 0.0,
            "gen_wait_share": wait_share,
            "gen_full_share": d["tx_full"] / d["tx_calls"] if d["tx_calls"] else 0.0,
            "delivered_share": pkts / d["sent"] if d["sent"] else 0.0}


def run_one(kind, o, work, sessions, sa_file, arp, seconds=None, out_pcap=None):
    gen = gen_start(work, o, sa_file, plain_esp=(kind == "ipsec-secgw"))
    if gen is None:
        return None
    vendor, sp = port_args(work, arp, out_pcap)
    prefix = c.DP_PREFIX if kind == "spgate-dp" else c.GW_PREFIX
    p = None
    try:
        p = (c.spgate_start(work, o, sessions, vendor, sp) if kind == "spgate-dp"
             else secgw_start(work, o, sessions, vendor, sp))
        if p is None:
            return None
        if not c.wait_forwarding(p, prefix, opackets=plain_port_opackets):
            c.log(f"{kind} (inbound) forwards nothing; its log and espgen.log are in {work}")
            return None
        if out_pcap:
            time.sleep(0.5)
            return {}
        time.sleep(o.warmup)
        return measure(p, gen, prefix, seconds)
    finally:
        c.stop(p)
        final = gen_stop(gen, work)
        if final:
            c.log(f"espgen ({kind}): {final}")


def check_output(pcap, sessions, kind, label, sample=64):
    """A sample of the plaintext port's frames are the inner packets the generator sealed, as
    each gateway delivers them: spgate-dp translated to V_i -> W, ipsec-secgw unchanged."""
    import random
    from scapy.all import PcapReader, IP, TCP
    by_port = {dport(s): s for s in sessions}
    frames = []
    with PcapReader(pcap) as r:
        for pkt in r:
            frames.append(pkt)
            if len(frames) >= 4096:
                break
    if not frames:
        return f"{label}: no frame on its plaintext port"
    bad = []
    for f in random.Random(7).sample(frames, min(sample, len(frames))):
        if IP not in f or TCP not in f:
            bad.append(f"not IPv4/TCP: {f.summary()}")
            continue
        ip, tcp = f[IP], f[TCP]
        s = by_port.get(tcp.dport)
        if s is None or tcp.sport != c.SERVICE_PORT:
            bad.append(f"unexpected ports {tcp.sport} -> {tcp.dport}")
            continue
        want = (s.virtual, s.workstation) if kind == "spgate-dp" else (c.SHARED, c.INNER)
        if (ip.src, ip.dst) != want:
            bad.append(f"{ip.src} -> {ip.dst}, expected {want[0]} -> {want[1]} (port {tcp.dport})")
            continue
        if bytes(tcp.payload)[:24] != bytes(range(24)):
            bad.append(f"payload differs: {bytes(tcp.payload)[:24].hex()}")
            continue
        sent_ip, sent_tcp = ip.chksum, tcp.chksum
        del ip.chksum, tcp.chksum
        again = IP(bytes(ip))
        if again.chksum != sent_ip or again[TCP].chksum != sent_tcp:
            bad.append(f"checksums IPv4 {sent_ip:#x} TCP {sent_tcp:#x} are wrong")
    if bad:
        return f"{label}: {len(bad)} of {min(sample, len(frames))} sampled frames wrong, first: {bad[0]}"
    return None


def run_count(o, work, sessions, failures):
    """The sample check and the alternated runs of one session count; {kind: [measurements]}."""
    n = len(sessions)
    sa_file, arp = write_files(work, sessions)
    for kind in ("spgate-dp", "ipsec-secgw"):
        out = os.path.join(work, f"{kind}-in-out.pcap")
        if run_one(kind, o, work, sessions, sa_file, arp, out_pcap=out) is None:
            failures.append(f"inbound, {n} sessions: {kind} did not run")
            continue
        err = check_output(out, sessions, kind, f"{kind}, inbound, {n} sessions")
        if err:
            failures.append(err)
        else:
            c.log(f"{kind}, inbound, {n} sessions: a sample of 64 plaintext frames is what was sealed")
        os.unlink(out)
    runs = {"spgate-dp": [], "ipsec-secgw": []}
    for r in range(o.rounds):
        for kind in (("spgate-dp", "ipsec-secgw") if r % 2 == 0 else ("ipsec-secgw", "spgate-dp")):
            m = run_one(kind, o, work, sessions, sa_file, arp, seconds=o.duration)
            if m is None:
                failures.append(f"inbound, {n} sessions: {kind} was not measured")
                continue
            m["loadavg"] = c.loadavg()
            runs[kind].append(m)
            c.log(f"{kind}, inbound, {n} sessions, round {r + 1}: {m['pps'] / 1e6:.3f} Mpps, "
                  f"worker CPU {m['worker_cpu_s']:.2f} s of {m['seconds']:.2f} s, load {m['loadavg']}; "
                  f"generator {m['gen_mpps_own']:.2f} Mpps per CPU-s of its own work, waited "
                  f"{100 * m['gen_wait_share']:.0f} % of its time on a full ring, "
                  f"{100 * m['delivered_share']:.1f} % of what it sent delivered, it ran "
                  f"{100 * m['gen_cpu_share']:.0f} % of the time")
    return runs


def cleanup():
    import shutil
    shutil.rmtree(f"/var/run/dpdk/{GEN_PREFIX}", ignore_errors=True)

