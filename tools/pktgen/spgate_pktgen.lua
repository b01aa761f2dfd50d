-- SPDX-License-Identifier: BSD-3-Clause
--
-- spgate: what tools/pktgen's scripts share. Each script finds this file beside itself (see
-- their first lines), so only pktgen's own Pktgen.lua needs LUA_PATH.

local M = {}

-- pktgen sends its ARPs only with a port's next burst: a one-packet "prime" burst to this
-- documentation MAC (RFC 7042), which spgate-dp's NICs drop unseen, carries them out.
M.FLUSH_MAC = "00:00:5e:00:53:01"
-- spgate-dp's control thread learns the MACs from those ARPs well within this.
M.SETTLE_MS = 1000
-- portStats is pktgen's copy of the NIC counters, refreshed once a second: read it only
-- after a refresh has seen the last packet.
M.STATS_WAIT_MS = 1500
-- pktgen's percent of line rate counts each frame's size plus 20 bytes of preamble and
-- inter-frame gap, and takes the size from the single-packet setup even in range mode.
M.WIRE_OVERHEAD = 20

function M.ip_to_int(s)
	local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
	return ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
end

function M.int_to_ip(n)
	return string.format("%d.%d.%d.%d", (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)
end

function M.addr_only(prefix)
	return prefix:match("^([%d%.]+)")
end

-- range4: one field of pktgen's range mode, all four of its settings
function M.range4(fn, port, start, inc, min, max)
	fn(port, "start", start)
	fn(port, "inc", inc)
	fn(port, "min", min)
	fn(port, "max", max)
end

-- link_mbps: the port's speed from pktgen's link state ("<UP-10000-FD>"), nil when down
function M.link_mbps(port)
	local state = pktgen.linkState(port)[tonumber(port)]
	return state and tonumber(tostring(state):match("UP%-(%d+)"))
end

-- send_arps_and_settle: gratuitous ARPs from the ports, pushed out by a one-packet burst on
-- each, then time for spgate-dp to learn W and its next hop before any measured packet.
function M.send_arps_and_settle(ports)
	for _, port in ipairs(ports) do
		pktgen.set_mac(port, "dst", M.FLUSH_MAC)
		pktgen.set(port, "prime", 1)
		pktgen.send_arp(port, "g")
		pktgen.prime(port)
	end
	pktgen.delay(M.SETTLE_MS)
end

return M
