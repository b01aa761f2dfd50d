#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""spgate-bench --peer ipsec-secgw: spgate-dp against DPDK's examples/ipsec-secgw, whole processes.

Both gateways run as whole processes, one after the other and alternately, on the same ports.
Outbound: the plaintext port (net_pcap) replays the same generated frames from memory
(infinite_rx), the ESP port drops what it sends (no tx_pcap); 64-byte inner IPv4/TCP packets
spread at random over the sessions, AES-128-GCM with ESN, one worker lcore each,
crypto_aesni_mb through the CPU-crypto path (spgate-dp's own choice; ipsec-secgw's
`type cpu-crypto` with librte_ipsec, -l). Rates come from each process's port counters
(DPDK telemetry, /ethdev/stats) over the measured interval; because the host may be shared,
the worker thread's CPU time over the same interval is read from /proc and the rate per
CPU-second printed beside the wall-clock rate. Before any measurement, one short run of each
writes its output port to a pcap (tx_pcap) and a sample of it is checked: outbound it must
decrypt with scapy (an implementation that is neither's) to the packets that went in.

Inbound (peer_secgw_in.py): a generator process (spgate-espgen) seals ESP as it sends, with
fresh sequence numbers, over net_memif to the gateway's ESP port; both gateways' replay windows
are on, 128 wide. Replaying the same ESP frames from memory would repeat sequence numbers.

Called by spgate-bench (main.c) with the build's paths; exit 0 when every run was measured
and every sample decrypted, 1 otherwise, 77 when dpdk-doc's sources are missing.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SECGW_SRC = "/usr/share/dpdk/examples"
# EAL file prefixes of our own, so that runs from two build trees never share DPDK's runtime files
DP_PREFIX = f"spgbp-dp-{os.getpid()}"
GW_PREFIX = f"spgbp-gw-{os.getpid()}"
SKIP = 77

VENDOR_ADDR = "198.51.100.1"
SP_ADDR = "203.0.113.1"
NEXT_HOP = "203.0.113.254"
NEXT_HOP_MAC = "02:00:00:00:02:fe"
SHARED = "192.0.2.10"
INNER = "192.0.2.1"
SERVICE_PORT = 443
CLIENT_PORT = 40022
PAYLOAD = bytes(range(24))
# net_pcap's MAC for the first pcap port a process creates (02:70:63:61:70 is "\x02pcap"):
# spgate-dp takes only frames for its port's MAC.
PLAIN_PORT_MAC = "02:70:63:61:70:00"  # inner IPv4 64 bytes = 20 IP + 20 TCP + 24


def log(msg):
    print(f"peer: {msg}", file=sys.stderr, flush=True)


def ip4(base, i):
    a = [int(x) for x in base.split(".")]
    v = ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) + i
    return ".".join(str((v >> s) & 255) for s in (24, 16, 8, 0))


class Session:
    def __init__(self, i, rng):
        self.i = i
        self.virtual = ip4("198.18.0.1", i)
        self.workstation = ip4("198.51.100.16", i % 224)
        self.peer = ip4("198.19.0.1", i)
        self.spi_out = 0x1000 + i
        self.spi_in = 0x100000 + i
        self.key_out = bytes(rng.getrandbits(8) for _ in range(20))  # key + salt
        self.key_in = bytes(rng.getrandbits(8) for _ in range(20))


def build_secgw(build_dir):
    """Builds examples/ipsec-secgw from dpdk-doc's sources into build_dir; returns the binary."""
    src = os.path.join(build_dir, "src")
    binary = os.path.join(src, "ipsec-secgw", "build", "ipsec-secgw")
    if os.path.exists(binary):
        return binary
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    for d in ("ipsec-secgw", "common"):
        shutil.copytree(os.path.join(SECGW_SRC, d), os.path.join(src, d))
    # The one change to the example: it asks every port for RX checksum offloads, which
    # net_pcap has not, and refuses to start without them. It never reads their results.
    main_c = os.path.join(src, "ipsec-secgw", "ipsec-secgw.c")
    with open(main_c) as f:
        text = f.read()
    old = ".offloads = RTE_ETH_RX_OFFLOAD_CHECKSUM,"
    if text.count(old) != 1:
        log(f"{main_c}: expected one '{old}' to drop for net_pcap, found {text.count(old)}")
        return None
    with open(main_c, "w") as f:
        f.write(text.replace(old, ".offloads = 0, /* spgate-bench: net_pcap has no checksum offloads */"))
    log(f"building ipsec-secgw from {SECGW_SRC}/ipsec-secgw into {src} (a minute or two)")
    try:
        r = subprocess.run(["make", "-C", os.path.join(src, "ipsec-secgw")], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    except OSError as e:
        log(f"cannot run make to build ipsec-secgw: {e}")
        return None
    if r.returncode != 0 or not os.path.exists(binary):
        log("building ipsec-secgw failed:\n" + r.stdout[-3000:])
        return None
    return binary


def write_pcaps(work, sessions, n_frames, rng):
    from scapy.all import ARP, Ether, IP, TCP, Raw, wrpcap
    frames = []
    for _ in range(n_frames):
        s = sessions[rng.randrange(len(sessions))]
        frames.append(Ether(src="02:00:00:00:01:10", dst=PLAIN_PORT_MAC) /
                      IP(src=s.workstation, dst=s.virtual, ttl=64, id=0) /
                      TCP(sport=CLIENT_PORT, dport=SERVICE_PORT, flags="A", seq=1, ack=1) / Raw(PAYLOAD))
    plain = os.path.join(work, "plain.pcap")
    wrpcap(plain, frames)
    # The next hop announces itself on the ESP port (spgate-dp learns on-link ARP senders).
    arp = os.path.join(work, "arp.pcap")
    wrpcap(arp, [Ether(src=NEXT_HOP_MAC, dst="ff:ff:ff:ff:ff:ff") /
                 ARP(op=2, hwsrc=NEXT_HOP_MAC, psrc=NEXT_HOP, hwdst="ff:ff:ff:ff:ff:ff", pdst=NEXT_HOP)])
    return plain, arp


def port_args(plain, arp, out_pcap):
    vendor = f"net_pcap0,rx_pcap={plain},infinite_rx=1"
    sp = f"net_pcap1,rx_pcap={arp}" + (f",tx_pcap={out_pcap}" if out_pcap else "")
    return vendor, sp


# ---- spgate-dp ----

def spgate_config(work, o, vendor, sp, n_sessions):
    cfg = os.path.join(work, "spgate-dp.yaml")
    sock = os.path.join(work, "dp.sock")
    with open(cfg, "w") as f:
        f.write(f"""dataplane:
  lcores:
    main: {o.main_lcore}
    workers: [{o.lcore}]
  max_sessions: {max(64, n_sessions)}
  control_socket: {sock}
  idle_sleep_us: 0
  mbufs: 65535
  eal:
    no_huge: true
    memory_mb: 1024
    file_prefix: {DP_PREFIX}
ports:
  vendor:
    devargs: "{vendor}"
    address: {VENDOR_ADDR}/24
  sp:
    devargs: "{sp}"
    address: {SP_ADDR}/24
    next_hop: {NEXT_HOP}
sp:
  shared_address: {SHARED}
  inner_address: {INNER}
vendor:
  virtual_pool: 198.18.0.0/17
esp:
  cipher: aes-128-gcm
  crypto_device: crypto_aesni_mb
""")
    return cfg, sock


def spgate_start(work, o, sessions, vendor, sp):
    cfg, sock = spgate_config(work, o, vendor, sp, len(sessions))
    logf = open(os.path.join(work, "spgate-dp.log"), "w")
    p = subprocess.Popen([o.spgate_dp, "--config", cfg], stdout=logf, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while not os.path.exists(sock):
        if p.poll() is not None or time.time() > deadline:
            stop(p)
            log(f"spgate-dp did not come up; its log: {os.path.join(work, 'spgate-dp.log')}")
            return None
        time.sleep(0.2)
    batch = os.path.join(work, "sessions.txt")
    with open(batch, "w") as f:
        for s in sessions:
            f.write(f"--id {s.i + 1} --virtual {s.virtual} --workstation {s.workstation} "
                    f"--peer {s.peer}:4500 --spi-out {s.spi_out:#x} --spi-in {s.spi_in:#x} "
                    f"--key-out {s.key_out.hex()} --key-in {s.key_in.hex()} --ports tcp:{SERVICE_PORT}\n")
    env = dict(os.environ, SPGATE_DP_SOCKET=sock)
    r = subprocess.run([o.spgatectl, "dp", "session", "add", "--batch", batch], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    if r.returncode != 0:
        log("spgatectl could not add the sessions: " + r.stdout[-1000:])
        stop(p)
        return None
    return p


# ---- ipsec-secgw ----

def secgw_start(work, o, sessions, vendor, sp):
    cfg = os.path.join(work, "secgw.cfg")
    with open(cfg, "w") as f:
        for s in sessions:
            key = ":".join(f"{b:02x}" for b in s.key_out)
            f.write(f"sp ipv4 out esp protect {s.spi_out} pri 1 dst {s.virtual}/32 sport 0:65535 dport 0:65535\n")
            f.write(f"sa out {s.spi_out} aead_algo aes-128-gcm aead_key {key} mode ipv4-tunnel "
                    f"src {SP_ADDR} dst {s.peer} type cpu-crypto\n")
            # ipsec-secgw refuses an unprotected port without inbound SAs; this traffic uses none.
            key = ":".join(f"{b:02x}" for b in s.key_in)
            f.write(f"sp ipv4 in esp protect {s.spi_in} pri 1 dst {s.workstation}/32 sport 0:65535 dport 0:65535\n")
            f.write(f"sa in {s.spi_in} aead_algo aes-128-gcm aead_key {key} mode ipv4-tunnel "
                    f"src {s.peer} dst {SP_ADDR} type cpu-crypto\n")
        f.write("rt ipv4 dst 198.19.0.0/16 port 1\n")
        f.write(f"neigh port 1 {NEXT_HOP_MAC}\n")
        f.write("neigh port 0 02:00:00:00:01:10\n")
    logf = open(os.path.join(work, "secgw.log"), "w")
    # One lcore: with -l N that lcore is the main one and runs the poll loop for both ports.
    cmd = [o.secgw, "-l", str(o.lcore), "-n", "4", "--no-huge", "-m", "1024", "--file-prefix", GW_PREFIX,
           "--no-pci", "--vdev", "crypto_aesni_mb0", "--vdev", vendor, "--vdev", sp, "--",
           "-p", "0x3", "-u", "0x2", "-P", "-l", "-e", "-w", "64", "-s", "65535",
           # net_pcap offers no checksum offloads; the default asks for them
           "--rxoffload", "0", "--txoffload", "0",
           "--config", f"(0,0,{o.lcore}),(1,0,{o.lcore})", "-f", cfg]
    p = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
    return p


# ---- measuring ----

def telemetry(prefix, cmds):
    path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(5)
    s.connect(path)
    info = json.loads(s.recv(4096))
    out = []
    for c in cmds:
        s.send(c.encode())
        out.append(json.loads(s.recv(info.get("max_output_len", 16384))))
    s.close()
    return out


def port_opackets(prefix, name):
    """opackets of the port called name in the process with EAL file prefix prefix."""
    ids = telemetry(prefix, ["/ethdev/list"])[0]["/ethdev/list"]
    infos = telemetry(prefix, [f"/ethdev/info,{i}" for i in ids])
    for i, inf in zip(ids, infos):
        if inf["/ethdev/info"]["name"] == name:
            return telemetry(prefix, [f"/ethdev/stats,{i}"])[0]["/ethdev/stats"]["opackets"]
    raise RuntimeError(f"{prefix}: no port {name}")


def esp_port_opackets(prefix):
    """opackets of the port named net_pcap1 (the ESP side in both gateways, outbound)."""
    return port_opackets(prefix, "net_pcap1")


def thread_cpu(pid):
    """CPU ticks (utime + stime) per thread of pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            out[tid] = int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return out


def wait_forwarding(p, prefix, timeout=60, opackets=None):
    """Until the port opackets counts (default: the ESP port's) grows while p runs."""
    opackets = opackets or esp_port_opackets
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if p.poll() is not None:
            return False
        try:
            n = opackets(prefix)
            if last is not None and n > last:
                return True
            last = n
        except (OSError, RuntimeError, KeyError, ValueError):
            pass
        time.sleep(0.5)
    return False


def measure(p, prefix, seconds):
    hz = os.sysconf("SC_CLK_TCK")
    c0, n0, t0 = thread_cpu(p.pid), esp_port_opackets(prefix), time.time()
    time.sleep(seconds)
    c1, n1, t1 = thread_cpu(p.pid), esp_port_opackets(prefix), time.time()
    busiest = max((c1[t] - c0.get(t, 0) for t in c1), default=0) / hz  # the polling worker
    pkts = n1 - n0
    return {"packets": pkts, "seconds": t1 - t0, "pps": pkts / (t1 - t0),
            "worker_cpu_s": busiest, "pps_per_cpu_s": pkts / busiest if busiest > 0 else 0.0}


def stop(p):
    if p is None or p.poll() is not None:
        return
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


# ---- checking the output ----

def check_output(pcap, sessions, name, sample=64):
    """A sample of the ESP port's frames decrypts to the inner packets that went in."""
    from scapy.all import PcapReader, Ether, IP, UDP, TCP
    from scapy.layers.ipsec import ESP, SecurityAssociation
    by_spi = {s.spi_out: s for s in sessions}
    frames = []
    with PcapReader(pcap) as r:
        for pkt in r:
            frames.append(pkt)
            if len(frames) >= 4096:
                break
    if not frames:
        return f"{name}: no frame in its output"
    picked = random.Random(7).sample(frames, min(sample, len(frames)))
    bad = []
    for f in picked:
        ip = f[IP] if IP in f else None
        if ip is None:
            bad.append("not IPv4")
            continue
        if UDP in ip and ip[UDP].dport == 4500:
            esp = ESP(bytes(ip[UDP].payload))
        elif ip.proto == 50:
            esp = ip[ESP] if ESP in ip else ESP(bytes(ip.payload))
        else:
            bad.append(f"neither ESP nor ESP in UDP: {ip.summary()}")
            continue
        sent_sum = ip.chksum
        del ip.chksum
        if IP(bytes(ip)).chksum != sent_sum:
            bad.append(f"outer IPv4 checksum {sent_sum:#x} is wrong")
            continue
        s = by_spi.get(esp.spi)
        if s is None:
            bad.append(f"unknown SPI {esp.spi:#x}")
            continue
        sa = SecurityAssociation(ESP, spi=s.spi_out, crypt_algo="AES-GCM", crypt_key=s.key_out,
                                 auth_algo=None, tunnel_header=IP(src=SP_ADDR, dst=s.peer), esn_en=True, esn=0)
        try:
            inner = sa.decrypt(IP(src=ip.src, dst=ip.dst, proto=50) / esp)
        except Exception as e:  # scapy raises assorted errors on garbage
            bad.append(f"SPI {esp.spi:#x} does not decrypt: {e!r}")
            continue
        if TCP not in inner or inner[TCP].dport != SERVICE_PORT or bytes(inner[TCP].payload)[:24] != PAYLOAD:
            bad.append(f"SPI {esp.spi:#x}: unexpected inner packet {inner.summary()}")
            continue
        if ip.dst != s.peer:
            bad.append(f"SPI {esp.spi:#x}: outer destination {ip.dst}, session's peer {s.peer}")
    if bad:
        return f"{name}: {len(bad)} of {len(picked)} sampled frames wrong, first: {bad[0]}"
    return None


# ---- the runs ----

def run_one(kind, o, work, sessions, plain, arp, seconds=None, out_pcap=None):
    vendor, sp = port_args(plain, arp, out_pcap)
    prefix = DP_PREFIX if kind == "spgate-dp" else GW_PREFIX
    p = spgate_start(work, o, sessions, vendor, sp) if kind == "spgate-dp" else secgw_start(work, o, sessions, vendor, sp)
    if p is None:
        return None
    try:
        if not wait_forwarding(p, prefix):
            log(f"{kind} forwards nothing; its log is in {work}")
            return None
        if out_pcap:
            time.sleep(0.5)
            return {}
        time.sleep(o.warmup)
        return measure(p, prefix, seconds)
    finally:
        stop(p)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spgate-dp", required=True)
    ap.add_argument("--spgatectl", required=True)
    ap.add_argument("--espgen", help="spgate-espgen, the inbound runs' generator")
    ap.add_argument("--direction", choices=("outbound", "inbound", "both"), default="both")
    ap.add_argument("--build-dir", required=True, help="where ipsec-secgw is built and the runs keep their files")
    ap.add_argument("--sessions", default="1,1024")
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=2, help="alternations of the two processes per session count")
    ap.add_argument("--lcore", type=int, default=1)
    ap.add_argument("--main-lcore", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    o = ap.parse_args()

    if not os.path.isfile(os.path.join(SECGW_SRC, "ipsec-secgw", "ipsec-secgw.c")):
        print(f"SKIP: DPDK's example sources are missing ({SECGW_SRC}/ipsec-secgw): "
              "install dpdk-doc (tools/setup.sh does)")
        return SKIP
    o.build_dir = os.path.abspath(o.build_dir)
    os.makedirs(o.build_dir, exist_ok=True)
    o.secgw = build_secgw(o.build_dir)
    if o.secgw is None:
        return 1
    if o.direction != "outbound" and not o.espgen:
        log("--direction inbound needs --espgen (spgate-bench passes it)")
        return 2
    counts = [int(x) for x in o.sessions.split(",")]
    rng = random.Random(o.seed)
    results, failures = [], []
    load_before = loadavg()
    for n in counts:
        work = tempfile.mkdtemp(prefix=f"peer-{n}-", dir=o.build_dir)
        sessions = [Session(i, rng) for i in range(n)]
        if o.direction in ("outbound", "both"):
            results.append(summarise(n, run_outbound(o, work, sessions, rng, failures), "outbound"))
        if o.direction in ("inbound", "both"):
            import peer_secgw_in
            results.append(summarise(n, peer_secgw_in.run_count(o, work, sessions, failures), "inbound"))
            peer_secgw_in.cleanup()
        if not failures:
            shutil.rmtree(work, ignore_errors=True)  # kept with the logs when something failed
    for prefix in (DP_PREFIX, GW_PREFIX):
        shutil.rmtree(f"/var/run/dpdk/{prefix}", ignore_errors=True)
    report(o, results, failures, load_before)
    return 1 if failures else 0


def run_outbound(o, work, sessions, rng, failures):
    """The sample check and the alternated outbound runs of one session count."""
    n = len(sessions)
    plain, arp = write_pcaps(work, sessions, max(1024, 8 * n), rng)
    for kind in ("spgate-dp", "ipsec-secgw"):
        out = os.path.join(work, f"{kind}-out.pcap")
        if run_one(kind, o, work, sessions, plain, arp, out_pcap=out) is None:
            failures.append(f"{n} sessions: {kind} did not run")
            continue
        err = check_output(out, sessions, f"{kind}, {n} sessions")
        if err:
            failures.append(err)
        else:
            log(f"{kind}, {n} sessions: a sample of 64 output frames decrypts (scapy)")
        os.unlink(out)
    runs = {"spgate-dp": [], "ipsec-secgw": []}
    for r in range(o.rounds):
        for kind in (("spgate-dp", "ipsec-secgw") if r % 2 == 0 else ("ipsec-secgw", "spgate-dp")):
            m = run_one(kind, o, work, sessions, plain, arp, seconds=o.duration)
            if m is None:
                failures.append(f"{n} sessions: {kind} was not measured")
                continue
            m["loadavg"] = loadavg()
            runs[kind].append(m)
            log(f"{kind}, {n} sessions, round {r + 1}: {m['pps'] / 1e6:.3f} Mpps, "
                f"worker CPU {m['worker_cpu_s']:.2f} s of {m['seconds']:.2f} s, load {m['loadavg']}")
    return runs


def summarise(n, runs, direction):
    row = {"direction": direction, "sessions": n, "runs": runs}
    for kind, ms in runs.items():
        row[kind] = {
            "mpps": sum(m["pps"] for m in ms) / len(ms) / 1e6 if ms else 0.0,
            "mpps_per_cpu": sum(m["pps_per_cpu_s"] for m in ms) / len(ms) / 1e6 if ms else 0.0,
            "worker_cpu_share": sum(m["worker_cpu_s"] / m["seconds"] for m in ms) / len(ms) if ms else 0.0,
        }
    a, b = row["spgate-dp"], row["ipsec-secgw"]
    row["ratio"] = a["mpps"] / b["mpps"] if b["mpps"] > 0 else 0.0
    row["ratio_per_cpu"] = a["mpps_per_cpu"] / b["mpps_per_cpu"] if b["mpps_per_cpu"] > 0 else 0.0
    if direction == "inbound":
        # the generator: its own rate, and how much it waited on the gateway (fair when high)
        for kind, ms in runs.items():
            for k in ("gen_mpps_own", "gen_wait_share", "delivered_share", "gen_cpu_share"):
                row[kind][k] = min((m[k] for m in ms), default=0.0)
    return row


def report(o, results, failures, load_before):
    if o.json:
        print(json.dumps({"direction": o.direction, "size": 64, "cipher": "aes-128-gcm",
                          "loadavg_before": load_before, "loadavg_after": loadavg(), "nproc": os.cpu_count(),
                          "results": results, "failures": failures}, indent=1))
        return
    print(f"spgate-dp against DPDK's ipsec-secgw (examples, {SECGW_SRC}): whole processes, "
          f"64 B inner, aes-128-gcm + ESN, one worker lcore each, crypto_aesni_mb CPU crypto; "
          f"{o.rounds} alternated runs of {o.duration:g} s each, means. Outbound: net_pcap ports replaying "
          f"the same frames. Inbound: spgate-espgen sealing fresh sequence numbers over net_memif, "
          f"replay windows of 128 on")
    print(f"machine: {os.cpu_count()} CPUs, load average {load_before} before, {loadavg()} after")
    print("On a shared host compare ratio/CPU (packets per worker CPU-second): the wall-clock rate mostly "
          "says how much CPU each process got.")
    print(f"{'direction':>9} | {'sessions':>9} | {'spgate-dp Mpps':>14} | {'secgw Mpps':>10} | {'ratio':>5} | "
          f"{'spgate-dp Mpps/CPU-s':>20} | {'secgw Mpps/CPU-s':>16} | {'ratio/CPU':>9} | worker CPU share (dp, gw)")
    for r in results:
        a, b = r["spgate-dp"], r["ipsec-secgw"]
        print(f"{r['direction']:>9} | {r['sessions']:>9} | {a['mpps']:>14.3f} | {b['mpps']:>10.3f} | "
              f"{r['ratio']:>5.2f} | {a['mpps_per_cpu']:>20.3f} | {b['mpps_per_cpu']:>16.3f} | "
              f"{r['ratio_per_cpu']:>9.2f} | {a['worker_cpu_share']:.2f}, {b['worker_cpu_share']:.2f}")
    for r in results:
        if r["direction"] != "inbound":
            continue
        for kind in ("spgate-dp", "ipsec-secgw"):
            g = r[kind]
            if g["gen_wait_share"] <= 0.05:
                verdict = "NOT faster than the gateway: its rx may have idled, per-CPU figures unfair"
            elif g["gen_cpu_share"] < 0.9:
                verdict = "faster, but kept off its CPU for a while (shared host): the gateway's ring ran dry meanwhile"
            else:
                verdict = "faster than the gateway, and ran throughout"
            print(f"inbound, {r['sessions']} sessions, against {kind}: generator {g['gen_mpps_own']:.2f} Mpps "
                  f"per CPU-second of its own work, waited on a full ring {100 * g['gen_wait_share']:.0f} % of "
                  f"its time, ran {100 * g['gen_cpu_share']:.0f} % of it (least of the runs): {verdict}; "
                  f"{100 * g['delivered_share']:.1f} % of what it sent came out")
    for f in failures:
        print("FAIL:", f)


if __name__ == "__main__":
    sys.exit(main())
