-- SPDX-License-Identifier: BSD-3-Clause
--
-- spgate: vendor-side traffic over N sessions, for pktgen-dpdk 23.06.
--
-- pktgen port VENDOR_PORT plays the engineers' workstation and sends TCP to the service port
-- of every session's virtual address V_1 .. V_N in turn (range mode); pktgen port SP_PORT
-- plays the router in front of the SP sites and counts the ESP-in-UDP packets spgate-dp
-- sends there. Wiring, the matching spgate-dp configuration and the session installs are in
-- tools/pktgen/README.md.
--
--   pktgen -l 0-4 -n 4 -a 0000:81:00.0 -a 0000:81:00.1 -- -P -m "[1:2].0,[3:4].1" \
--          -f tools/pktgen/vendor_sessions.lua

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

-- Parameters ------------------------------------------------------------------------------
local VENDOR_PORT = "0"                      -- wired to spgate-dp's vendor port
local SP_PORT = "1"                          -- wired to spgate-dp's SP port
local SPGATE_VENDOR_MAC = "02:00:00:00:00:01" -- spgate-dp's vendor port (its start-up log)
local WORKSTATION = "192.0.2.10/24"          -- the sessions' workstation W (this port)
local NEXT_HOP = "198.51.100.254/24"         -- ports.sp.next_hop (pktgen answers its ARP)
local FIRST_VIRTUAL = "198.18.0.1"           -- V_1; sessions use V_1 .. V_N consecutively
local SESSIONS = 1024                        -- N
local SERVICE_PORT = 443                     -- an allowed TCP port of every session
local CLIENT_PORT = 40022
local FRAME_SIZE = 64                        -- Ethernet frame with FCS: inner IPv4 = size - 18
local RATE = 10                              -- percent of the vendor link
local DURATION = 10                          -- seconds of traffic
--------------------------------------------------------------------------------------------

local function ip_to_int(s)
	local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
	return ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
end

local function int_to_ip(n)
	return string.format("%d.%d.%d.%d", (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)
end

local function addr_only(prefix)
	return prefix:match("^([%d%.]+)")
end

local last_virtual = int_to_ip(ip_to_int(FIRST_VIRTUAL) + SESSIONS - 1)

pktgen.screen("off")
pktgen.stop("all")
pktgen.reset("all")

-- Both pktgen ports answer ARP for their addresses: spgate-dp resolves W and its next hop.
pktgen.set_ipaddr(VENDOR_PORT, "src", WORKSTATION)
pktgen.set_ipaddr(SP_PORT, "src", NEXT_HOP)
pktgen.process("all", "on")
pktgen.send_arp(VENDOR_PORT, "g")
pktgen.send_arp(SP_PORT, "g")

pktgen.set(VENDOR_PORT, "rate", RATE)
pktgen.set(VENDOR_PORT, "count", 0)

pktgen.range.dst_mac(VENDOR_PORT, "start", SPGATE_VENDOR_MAC)
pktgen.range.ip_proto(VENDOR_PORT, "tcp")

pktgen.range.src_ip(VENDOR_PORT, "start", addr_only(WORKSTATION))
pktgen.range.src_ip(VENDOR_PORT, "inc", "0.0.0.0")
pktgen.range.src_ip(VENDOR_PORT, "min", addr_only(WORKSTATION))
pktgen.range.src_ip(VENDOR_PORT, "max", addr_only(WORKSTATION))

pktgen.range.dst_ip(VENDOR_PORT, "start", FIRST_VIRTUAL)
pktgen.range.dst_ip(VENDOR_PORT, "inc", "0.0.0.1")
pktgen.range.dst_ip(VENDOR_PORT, "min", FIRST_VIRTUAL)
pktgen.range.dst_ip(VENDOR_PORT, "max", last_virtual)

pktgen.range.src_port(VENDOR_PORT, "start", CLIENT_PORT)
pktgen.range.src_port(VENDOR_PORT, "inc", 0)
pktgen.range.src_port(VENDOR_PORT, "min", CLIENT_PORT)
pktgen.range.src_port(VENDOR_PORT, "max", CLIENT_PORT)

pktgen.range.dst_port(VENDOR_PORT, "start", SERVICE_PORT)
pktgen.range.dst_port(VENDOR_PORT, "inc", 0)
pktgen.range.dst_port(VENDOR_PORT, "min", SERVICE_PORT)
pktgen.range.dst_port(VENDOR_PORT, "max", SERVICE_PORT)

pktgen.range.pkt_size(VENDOR_PORT, "start", FRAME_SIZE)
pktgen.range.pkt_size(VENDOR_PORT, "inc", 0)
pktgen.range.pkt_size(VENDOR_PORT, "min", FRAME_SIZE)
pktgen.range.pkt_size(VENDOR_PORT, "max", FRAME_SIZE)

pktgen.set_range(VENDOR_PORT, "on")
pktgen.delay(1000) -- let spgate-dp's ARP requests be answered

pktgen.clr()
printf("spgate vendor traffic: %d sessions %s .. %s, tcp/%d, %d-byte frames, %d%% of line rate, %d s\n",
	SESSIONS, FIRST_VIRTUAL, last_virtual, SERVICE_PORT, FRAME_SIZE, RATE, DURATION)
pktgen.start(VENDOR_PORT)
pktgen.sleep(DURATION)
pktgen.stop(VENDOR_PORT)
pktgen.delay(500) -- the last packets drain

local st = pktgen.portStats("all", "port")
local sent = st[tonumber(VENDOR_PORT)].opackets
local esp = st[tonumber(SP_PORT)].ipackets
printf("sent to V_i (port %s):     %d packets, %.3f Mpps\n", VENDOR_PORT, sent, sent / DURATION / 1e6)
printf("ESP out of spgate (port %s): %d packets, %.3f Mpps, %.2f %% of sent\n", SP_PORT, esp,
	esp / DURATION / 1e6, sent > 0 and 100.0 * esp / sent or 0)
printf("missed on the SP side: %d (NIC imissed %d); compare with 'spgatectl dp stats' and 'dp drops'\n",
	sent - esp, st[tonumber(SP_PORT)].imissed)
pktgen.screen("on")
