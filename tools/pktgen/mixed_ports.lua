-- SPDX-License-Identifier: BSD-3-Clause
--
-- spgate: allowed and disallowed SP ports mixed, over N sessions, for pktgen-dpdk 23.06.
--
-- The destination port walks DISALLOWED_PER_ALLOWED ports just below SERVICE_PORT and then
-- SERVICE_PORT itself, so 1 in (DISALLOWED_PER_ALLOWED + 1) packets is allowed: spgate-dp must
-- forward exactly those as ESP and count every other one as port_filtered. The ports below
-- SERVICE_PORT must not be allowed in the sessions (see README.md). Wiring as for
-- vendor_sessions.lua.

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

-- Parameters ------------------------------------------------------------------------------
local VENDOR_PORT = "0"
local SP_PORT = "1"
local SPGATE_VENDOR_MAC = "02:00:00:00:00:01"
local WORKSTATION = "192.0.2.10/24"
local NEXT_HOP = "198.51.100.254/24"
local FIRST_VIRTUAL = "198.18.0.1"
local SESSIONS = 1024
local SERVICE_PORT = 443          -- allowed
local DISALLOWED_PER_ALLOWED = 3  -- ports 440, 441, 442 are not allowed: 25 % pass
local CLIENT_PORT = 40022
local FRAME_SIZE = 128
local RATE = 10
local DURATION = 10
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

local function range4(fn, port, start, inc, min, max)
	fn(port, "start", start)
	fn(port, "inc", inc)
	fn(port, "min", min)
	fn(port, "max", max)
end

local last_virtual = int_to_ip(ip_to_int(FIRST_VIRTUAL) + SESSIONS - 1)
local low_port = SERVICE_PORT - DISALLOWED_PER_ALLOWED
local ws = addr_only(WORKSTATION)

pktgen.screen("off")
pktgen.stop("all")
pktgen.reset("all")
pktgen.set_ipaddr(VENDOR_PORT, "src", WORKSTATION)
pktgen.set_ipaddr(SP_PORT, "src", NEXT_HOP)
pktgen.process("all", "on")
pktgen.send_arp(VENDOR_PORT, "g")
pktgen.send_arp(SP_PORT, "g")

pktgen.set(VENDOR_PORT, "rate", RATE)
pktgen.set(VENDOR_PORT, "count", 0)
pktgen.range.dst_mac(VENDOR_PORT, "start", SPGATE_VENDOR_MAC)
pktgen.range.ip_proto(VENDOR_PORT, "tcp")
range4(pktgen.range.src_ip, VENDOR_PORT, ws, "0.0.0.0", ws, ws)
range4(pktgen.range.dst_ip, VENDOR_PORT, FIRST_VIRTUAL, "0.0.0.1", FIRST_VIRTUAL, last_virtual)
range4(pktgen.range.src_port, VENDOR_PORT, CLIENT_PORT, 0, CLIENT_PORT, CLIENT_PORT)
-- Port and address advance together, so with N not a multiple of the port cycle every
-- session sees every port over time.
range4(pktgen.range.dst_port, VENDOR_PORT, low_port, 1, low_port, SERVICE_PORT)
range4(pktgen.range.pkt_size, VENDOR_PORT, FRAME_SIZE, 0, FRAME_SIZE, FRAME_SIZE)
pktgen.set_range(VENDOR_PORT, "on")
pktgen.delay(1000)

pktgen.clr()
printf("spgate mixed ports: %d sessions, tcp/%d..%d of which only %d is allowed, %d s\n", SESSIONS, low_port,
	SERVICE_PORT, SERVICE_PORT, DURATION)
pktgen.start(VENDOR_PORT)
pktgen.sleep(DURATION)
pktgen.stop(VENDOR_PORT)
pktgen.delay(500)

local st = pktgen.portStats("all", "port")
local sent = st[tonumber(VENDOR_PORT)].opackets
local esp = st[tonumber(SP_PORT)].ipackets
local share = 1.0 / (DISALLOWED_PER_ALLOWED + 1)
printf("sent: %d; ESP out of spgate: %d (%.2f %%, expected %.2f %%)\n", sent, esp,
	sent > 0 and 100.0 * esp / sent or 0, 100.0 * share)
printf("expected in 'spgatectl dp drops': port_filtered = %d (sent - ESP), nothing else\n", sent - esp)
pktgen.screen("on")
