-- SPDX-License-Identifier: BSD-3-Clause
--
-- spgate: round-trip latency through a session, for pktgen-dpdk 23.06.
--
-- pktgen's latency packets (UDP, a timestamp in the payload) go to V_1's echo port; spgate-dp
-- encrypts them towards the SP, whose echo service (UDP port 7, reached through the tunnel
-- that spgate-agent terminates) sends them back to G_in; spgate-dp decrypts them, translates
-- S -> V_1 and G_in -> W and delivers them to this port, where pktgen finds its timestamp.
-- The figure is both directions of the pipeline, the wire to the SP and back, and the SP's
-- UDP stack. Needs the session to allow udp:7 and an SP that echoes (README.md). Background
-- traffic from vendor_sessions.lua may run on other sessions at the same time.

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

-- Parameters ------------------------------------------------------------------------------
local VENDOR_PORT = "0"
local SPGATE_VENDOR_MAC = "02:00:00:00:00:01"
local WORKSTATION = "192.0.2.10/24"
local VIRTUAL = "198.18.0.1"       -- the session whose SP echoes
local ECHO_PORT = 7
local CLIENT_PORT = 40007
local FRAME_SIZE = 128             -- room for pktgen's latency header after UDP
local LATENCY_INTERVAL_US = 1000   -- one latency packet per millisecond
local SAMPLES = 10                 -- print this many samples ...
local INTERVAL = 2                 -- ... this many seconds apart
--------------------------------------------------------------------------------------------

pktgen.screen("off")
pktgen.stop(VENDOR_PORT)
pktgen.reset(VENDOR_PORT)
pktgen.set_ipaddr(VENDOR_PORT, "src", WORKSTATION)
pktgen.set_ipaddr(VENDOR_PORT, "dst", VIRTUAL)
pktgen.set_mac(VENDOR_PORT, "dst", SPGATE_VENDOR_MAC)
pktgen.set_proto(VENDOR_PORT, "udp")
pktgen.set(VENDOR_PORT, "sport", CLIENT_PORT)
pktgen.set(VENDOR_PORT, "dport", ECHO_PORT)
pktgen.set(VENDOR_PORT, "size", FRAME_SIZE)
-- Only latency packets: the single-packet stream itself stays off the wire.
pktgen.set(VENDOR_PORT, "rate", 0)
pktgen.process(VENDOR_PORT, "on")
pktgen.send_arp(VENDOR_PORT, "g")

pktgen.latency(VENDOR_PORT, "rate", LATENCY_INTERVAL_US)
pktgen.latency(VENDOR_PORT, "enable")
pktgen.delay(1000)
pktgen.clr()
pktgen.start(VENDOR_PORT)

printf("round trip through %s:%d (both pipeline directions + SP echo)\n", VIRTUAL, ECHO_PORT)
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
	printf("no samples: check 'spgatectl dp drops' (port_filtered: udp:%d not allowed; no_neighbor:\n" ..
		"W not resolved) and that the SP echoes on udp/%d\n", ECHO_PORT, ECHO_PORT)
end
pktgen.screen("on")
