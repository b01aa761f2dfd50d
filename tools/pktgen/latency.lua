-- SPDX-License-Identifier: BSD-3-Clause
--
-- spgate: round-trip latency through a session, for pktgen-dpdk 23.06.
--
-- pktgen 23.06 sends its latency probes (UDP, a timestamp in the payload) to UDP port 1028 of
-- the port's destination address, here V_1, and only alongside a data burst: a small stream
-- to the same port carries them. spgate-dp encrypts them towards the SP, whose echo service on
-- UDP 1028 of S (reached through the tunnel that spgate-agent terminates) sends them back to
-- G_in; spgate-dp decrypts them, translates S -> V_1 and G_in -> W and delivers them to this
-- port, where pktgen finds its timestamp. The figure is both directions of the pipeline, the
-- wire to the SP and back, and the SP's UDP stack.
--
-- Needs: session 1 allowing udp:1028 ('spgatectl dp session add ... --ports ...,udp:1028'),
-- and on the SP a UDP echo on port 1028 of S, e.g. 'socat UDP4-RECVFROM:1028,fork PIPE'
-- (README.md). Background traffic from vendor_sessions.lua may run on other sessions.

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
local found, why = pcall(require, "Pktgen")
if not found then
	error("Pktgen.lua not found: run pktgen from its source folder, or set " ..
		"LUA_PATH='/path/to/Pktgen-DPDK/?.lua;;' (tools/pktgen/README.md)\n" .. tostring(why))
end

-- What the scripts share, from spgate_pktgen.lua beside this file (no LUA_PATH needed for it).
package.path = (debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./") .. "?.lua;" .. package.path
local spg = require "spgate_pktgen"

-- Parameters ------------------------------------------------------------------------------
local VENDOR_PORT = "0"
local SPGATE_VENDOR_MAC = "02:00:00:00:00:01"
local WORKSTATION = "192.0.2.10/24"
local VIRTUAL = "198.18.0.1"       -- the session whose SP echoes
local CLIENT_PORT = 40007
local FRAME_SIZE = 64              -- the carrier stream's frames (probes have pktgen's size)
local LATENCY_INTERVAL_US = 1000   -- one probe per millisecond ...
local CARRIER_PPS = 2000           -- ... needs at least as many one-packet bursts a second
local SAMPLES = 10                 -- print this many samples ...
local INTERVAL = 2                 -- ... this many seconds apart
--------------------------------------------------------------------------------------------

-- pktgen 23.06's fixed destination port of latency probes (LATENCY_DPORT).
local PROBE_PORT = 1028

-- carrier_rate: the percent of line rate that sends `pps` frames of `size` bytes a second
local function carrier_rate(port, pps, size)
	local mbps = spg.link_mbps(port)
	if mbps == nil then
		error("port " .. port .. " has no link: the latency run needs it up")
	end
	return 100.0 * pps * (size + spg.WIRE_OVERHEAD) * 8 / (mbps * 1e6)
end

pktgen.screen("off")
pktgen.stop(VENDOR_PORT)
pktgen.reset(VENDOR_PORT)
pktgen.set_ipaddr(VENDOR_PORT, "src", WORKSTATION)
pktgen.set_ipaddr(VENDOR_PORT, "dst", VIRTUAL)
pktgen.process(VENDOR_PORT, "on")
-- spgate-dp learns W's MAC from the gratuitous ARP, which the echoes need on their way back.
spg.send_arps_and_settle({ VENDOR_PORT })

pktgen.set_mac(VENDOR_PORT, "dst", SPGATE_VENDOR_MAC)
pktgen.set_proto(VENDOR_PORT, "udp")
pktgen.set(VENDOR_PORT, "sport", CLIENT_PORT)
pktgen.set(VENDOR_PORT, "dport", PROBE_PORT) -- the carrier goes where the probes go
pktgen.set(VENDOR_PORT, "size", FRAME_SIZE)
pktgen.set(VENDOR_PORT, "burst", 1)
pktgen.set(VENDOR_PORT, "count", 0)
pktgen.set(VENDOR_PORT, "rate", carrier_rate(VENDOR_PORT, CARRIER_PPS, FRAME_SIZE))
pktgen.latency(VENDOR_PORT, "rate", LATENCY_INTERVAL_US)
pktgen.latency(VENDOR_PORT, "enable")
pktgen.clr()
pktgen.start(VENDOR_PORT)

printf("round trip through %s, udp/%d (both pipeline directions + SP echo)\n", VIRTUAL, PROBE_PORT)
printf("%6s %10s %10s %10s %10s\n", "time", "samples", "min_us", "avg_us", "max_us")
local total = 0
for i = 1, SAMPLES do
	pktgen.sleep(INTERVAL)
	local lat = pktgen.pktStats(VENDOR_PORT)[tonumber(VENDOR_PORT)].latency
	if lat == nil then
		printf("this pktgen has no latency table in pktStats (needs 23.06 or later)\n")
		break
	end
	printf("%6d %10d %10.2f %10.2f %10.2f\n", i * INTERVAL, lat.num_pkts, lat.min_us, lat.avg_us, lat.max_us)
	total = total + lat.num_pkts
end

pktgen.stop(VENDOR_PORT)
pktgen.latency(VENDOR_PORT, "disable")
if total == 0 then
	printf("no samples. The probes go to udp/%d of %s and must come back:\n" ..
		"  - session 1 must allow udp:%d ('spgatectl dp session add ... --ports ...,udp:%d');\n" ..
		"    'spgatectl dp drops' shows port_filtered when it does not\n" ..
		"  - the SP must echo udp/%d on S, e.g. 'socat UDP4-RECVFROM:%d,fork PIPE'\n" ..
		"  - no_neighbor in 'spgatectl dp drops': spgate-dp has no MAC for W or its next hop\n",
		PROBE_PORT, VIRTUAL, PROBE_PORT, PROBE_PORT, PROBE_PORT, PROBE_PORT)
end
pktgen.screen("on")
