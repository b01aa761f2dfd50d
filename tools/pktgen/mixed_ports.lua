-- SPDX-License-Identifier: BSD-3-Clause
--
-- spgate: allowed and disallowed SP ports mixed, over N sessions, for pktgen-dpdk 23.06.
--
-- The destination port walks the K ports just below SERVICE_PORT and then SERVICE_PORT
-- itself, so 1 in K + 1 packets is allowed: spgate-dp must forward exactly those as ESP and
-- count every other one as port_filtered. The ports below SERVICE_PORT must not be allowed in
-- the sessions (see README.md). Wiring and command line as for vendor_sessions.lua.
--
-- pktgen's range mode steps address and port together, packet by packet: session i only ever
-- sees the ports at positions i, i + N, i + 2N, ... of the port cycle. When N and the cycle
-- length K + 1 share a factor (N = 1024 and K = 3), each session sees one port only, always
-- allowed or always refused. So K is raised until the two are coprime, and every session sees
-- every port.

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
local SP_PORT = "1"
local SPGATE_VENDOR_MAC = "02:00:00:00:00:01"
local WORKSTATION = "192.0.2.10/24"
local NEXT_HOP = "198.51.100.254/24"
local FIRST_VIRTUAL = "198.18.0.1"
local SESSIONS = 1024
local SERVICE_PORT = 443          -- allowed
local DISALLOWED_PER_ALLOWED = 4  -- K: ports 439 .. 442 are not allowed, 20 % pass
local CLIENT_PORT = 40022
local FRAME_SIZE = 128
local RATE = 10                   -- percent of the vendor link (fractions allowed)
local DURATION = 10
--------------------------------------------------------------------------------------------


local function gcd(a, b)
	while b ~= 0 do
		a, b = b, a % b
	end
	return a
end

-- coprime_cycle: the smallest port cycle length >= k + 1 that shares no factor with n
local function coprime_cycle(n, k)
	local cycle = k + 1
	while gcd(n, cycle) ~= 1 do
		cycle = cycle + 1
	end
	return cycle
end

local cycle = coprime_cycle(SESSIONS, DISALLOWED_PER_ALLOWED)
local disallowed = cycle - 1
local low_port = SERVICE_PORT - disallowed
local last_virtual = spg.int_to_ip(spg.ip_to_int(FIRST_VIRTUAL) + SESSIONS - 1)
local ws = spg.addr_only(WORKSTATION)

pktgen.screen("off")
pktgen.stop("all")
pktgen.reset("all")
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
spg.range4(pktgen.range.src_ip, VENDOR_PORT, ws, "0.0.0.0", ws, ws)
spg.range4(pktgen.range.dst_ip, VENDOR_PORT, FIRST_VIRTUAL, "0.0.0.1", FIRST_VIRTUAL, last_virtual)
spg.range4(pktgen.range.src_port, VENDOR_PORT, CLIENT_PORT, 0, CLIENT_PORT, CLIENT_PORT)
spg.range4(pktgen.range.dst_port, VENDOR_PORT, low_port, 1, low_port, SERVICE_PORT)
spg.range4(pktgen.range.pkt_size, VENDOR_PORT, FRAME_SIZE, 0, FRAME_SIZE, FRAME_SIZE)
pktgen.set_range(VENDOR_PORT, "on")

pktgen.clr()
if disallowed ~= DISALLOWED_PER_ALLOWED then
	printf("%d disallowed ports, not %d: with %d sessions a cycle of %d ports would show each session " ..
		"only one of them\n", disallowed, DISALLOWED_PER_ALLOWED, SESSIONS, DISALLOWED_PER_ALLOWED + 1)
end
printf("spgate mixed ports: %d sessions, tcp/%d..%d of which only %d is allowed, %g%% of line rate, %g s\n",
	SESSIONS, low_port, SERVICE_PORT, SERVICE_PORT, RATE, DURATION)
pktgen.start(VENDOR_PORT)
pktgen.sleep(DURATION)
pktgen.stop(VENDOR_PORT)
pktgen.delay(spg.STATS_WAIT_MS)

local st = pktgen.portStats("all", "port")
local sent = st[tonumber(VENDOR_PORT)].opackets
local esp = st[tonumber(SP_PORT)].ipackets
-- Which packets are refused follows from the port cycle alone, whatever else is lost: one in
-- `cycle` is allowed (up to one cycle off, as pktgen hands out its prepared packets).
local filtered = sent - sent // cycle
local other_lost = sent - filtered - esp
printf("sent: %d; ESP out of spgate: %d (%.2f %%, expected %.2f %%)\n", sent, esp,
	sent > 0 and 100.0 * esp / sent or 0, 100.0 / cycle)
printf("expected in 'spgatectl dp drops': port_filtered = %d (sent x %d/%d, within %d)\n", filtered,
	disallowed, cycle, cycle)
printf("allowed but not out as ESP: %d; these are under other reasons in 'dp drops'%s\n", other_lost,
	other_lost > cycle and " (not expected)" or "")
pktgen.screen("on")
