-- SPDX-License-Identifier: BSD-3-Clause
--
-- spgate: vendor-side traffic over N sessions, for pktgen-dpdk 23.06.
--
-- pktgen port VENDOR_PORT plays the engineers' workstation and sends TCP to the service port
-- of every session's virtual address V_1 .. V_N in turn (range mode); pktgen port SP_PORT
-- plays the router in front of the SP sites and counts the ESP-in-UDP packets spgate-dp
-- sends there. Wiring, the matching spgate-dp configuration, the session installs and the
-- command line (pktgen must find its Pktgen.lua: LUA_PATH) are in tools/pktgen/README.md.

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
local RATE = 10                              -- percent of the vendor link (fractions allowed)
local DURATION = 10                          -- seconds of traffic
--------------------------------------------------------------------------------------------


local last_virtual = spg.int_to_ip(spg.ip_to_int(FIRST_VIRTUAL) + SESSIONS - 1)

pktgen.screen("off")
pktgen.stop("all")
pktgen.reset("all")

-- Both pktgen ports answer ARP for their addresses (spgate-dp asks again when an entry ages).
pktgen.set_ipaddr(VENDOR_PORT, "src", WORKSTATION)
pktgen.set_ipaddr(VENDOR_PORT, "dst", FIRST_VIRTUAL)
pktgen.set_ipaddr(SP_PORT, "src", NEXT_HOP)
pktgen.process("all", "on")
spg.send_arps_and_settle({ VENDOR_PORT, SP_PORT })

pktgen.set_mac(VENDOR_PORT, "dst", SPGATE_VENDOR_MAC)
pktgen.set(VENDOR_PORT, "size", FRAME_SIZE) -- the size pktgen's rate is computed from
pktgen.set(VENDOR_PORT, "rate", RATE)
pktgen.set(VENDOR_PORT, "count", 0)
pktgen.range.dst_mac(VENDOR_PORT, "start", SPGATE_VENDOR_MAC)
pktgen.range.ip_proto(VENDOR_PORT, "tcp")
local ws = spg.addr_only(WORKSTATION)
spg.range4(pktgen.range.src_ip, VENDOR_PORT, ws, "0.0.0.0", ws, ws)
spg.range4(pktgen.range.dst_ip, VENDOR_PORT, FIRST_VIRTUAL, "0.0.0.1", FIRST_VIRTUAL, last_virtual)
spg.range4(pktgen.range.src_port, VENDOR_PORT, CLIENT_PORT, 0, CLIENT_PORT, CLIENT_PORT)
spg.range4(pktgen.range.dst_port, VENDOR_PORT, SERVICE_PORT, 0, SERVICE_PORT, SERVICE_PORT)
spg.range4(pktgen.range.pkt_size, VENDOR_PORT, FRAME_SIZE, 0, FRAME_SIZE, FRAME_SIZE)
pktgen.set_range(VENDOR_PORT, "on")

local mbps = spg.link_mbps(VENDOR_PORT)
pktgen.clr()
printf("spgate vendor traffic: %d sessions %s .. %s, tcp/%d, %d-byte frames, %g%% of line rate, %g s\n",
	SESSIONS, FIRST_VIRTUAL, last_virtual, SERVICE_PORT, FRAME_SIZE, RATE, DURATION)
if mbps then
	printf("offered: %.3f Mpps (%d Mb/s link, %d + %d bytes a frame on the wire)\n",
		mbps * 1e6 * RATE / 100 / ((FRAME_SIZE + spg.WIRE_OVERHEAD) * 8) / 1e6, mbps, FRAME_SIZE, spg.WIRE_OVERHEAD)
end
pktgen.start(VENDOR_PORT)
pktgen.sleep(DURATION)
pktgen.stop(VENDOR_PORT)
pktgen.delay(spg.STATS_WAIT_MS)

local st = pktgen.portStats("all", "port")
local sent = st[tonumber(VENDOR_PORT)].opackets
local esp = st[tonumber(SP_PORT)].ipackets
printf("sent to V_i (port %s):     %d packets, %.3f Mpps\n", VENDOR_PORT, sent, sent / DURATION / 1e6)
printf("ESP out of spgate (port %s): %d packets, %.3f Mpps, %.2f %% of sent\n", SP_PORT, esp,
	esp / DURATION / 1e6, sent > 0 and 100.0 * esp / sent or 0)
printf("missed on the SP side: %d (NIC imissed %d); compare with 'spgatectl dp stats' and 'dp drops'\n",
	sent - esp, st[tonumber(SP_PORT)].imissed)
pktgen.screen("on")
