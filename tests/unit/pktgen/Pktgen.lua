-- SPDX-License-Identifier: BSD-3-Clause
--
-- A STAND-IN for pktgen-dpdk 23.06's Lua API and for the spgate-dp it drives, so that
-- tools/pktgen/*.lua can be run here, where pktgen (not packaged in Debian 12) cannot. It is
-- not pktgen: it records every call and models only what the scripts depend on, as read in
-- pktgen 23.06's app/lpktgenlib.c, app/pktgen.c and app/pktgen-latency.h:
--   - the percent-of-line rate counts the single packet's frame size plus 20 bytes of
--     preamble and inter-frame gap, also when range mode sends frames of another size;
--   - send_arp queues the ARP; it leaves with the port's next data burst (prime sends one);
--   - portStats shows counters as of pktgen's last once-a-second refresh;
--   - latency probes go to UDP 1028, only alongside data bursts, at most one a burst;
--   - range mode steps every field one increment per packet, together;
--   - arguments are checked the way lpktgenlib checks them (counts, integers).
-- spgate-dp is modelled as: learns MACs from any ARP it receives (a little later), drops as
-- no_neighbor what it cannot send on yet (and then asks; pktgen answers with "process on"),
-- port_filtered what a session does not allow, no_session outside V_1 .. V_N, and optionally
-- loses every k-th forwardable packet as tx_full ("other losses").
--
-- tests/unit/pktgen/check.lua sets the global SPG_STANDIN (configuration in, record out)
-- before each script runs; this module fills it in.

local S = assert(SPG_STANDIN, "SPG_STANDIN not set: this stand-in is driven by check.lua")
local cfg = S.cfg

local STEP_MS = 10
local WIRE_OVERHEAD = 20
local LATENCY_DPORT = 1028

S.t = 0
S.calls = {}
S.out = {}
S.arp_out = {}
S.started = {}
S.dut = { drops = {}, forwarded = 0, rx = 0, rx_before_start = 0, seen = {}, neigh = {} }
S.ports = {}

local function ip_to_int(s)
	local a, b, c, d = tostring(s):match("^(%d+)%.(%d+)%.(%d+)%.(%d+)")
	assert(a, "stand-in: not an IPv4 address: " .. tostring(s))
	return ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
end

local function new_port()
	return {
		single = { size = 64, dst_mac = "00:00:00:00:00:00", proto = "tcp", sport = 1234, dport = 5678 },
		rate = 100, burst = 32, count = 0, prime = 1, range_on = false, sending = false,
		arp_queued = false, process = false, acc = 0, j = 0, range = {},
		latency = { enabled = false, rate_us = 10000, due = 0, num_pkts = 0, sum_us = 0 },
		live = { opackets = 0, ipackets = 0 }, shown = { opackets = 0, ipackets = 0 },
	}
end
for p = 0, 1 do
	S.ports[p] = new_port()
end

local function record(name, ...)
	S.calls[#S.calls + 1] = { t = S.t, name = name, args = table.pack(...) }
end

local function nargs(name, n, ...)
	local got = select("#", ...)
	for _, want in ipairs(type(n) == "table" and n or { n }) do
		if got == want then
			return
		end
	end
	error(name .. ", wrong number of arguments", 3)
end

local function checkinteger(name, v)
	local i = math.tointeger(type(v) == "string" and tonumber(v) or v)
	if i == nil then
		error("bad argument to '" .. name .. "' (number has no integer representation)", 3)
	end
	return i
end

local function portlist(s)
	local list = {}
	s = tostring(s)
	if s == "all" then
		return { 0, 1 }
	end
	for part in s:gmatch("[^,]+") do
		local a, b = part:match("^(%d+)%-(%d+)$")
		for p = tonumber(a or part), tonumber(b or part) do
			assert(S.ports[p], "stand-in: no port " .. p)
			list[#list + 1] = p
		end
	end
	return list
end

local function each(ports, fn)
	for _, p in ipairs(portlist(ports)) do
		fn(S.ports[p], p)
	end
end

-- spgate-dp ---------------------------------------------------------------------------------
local function drop(why)
	S.dut.drops[why] = (S.dut.drops[why] or 0) + 1
end

local function neigh_known(which)
	local at = S.dut.neigh[which]
	return at ~= nil and at <= S.t
end

-- solicit: spgate-dp asks for a MAC; pktgen answers with "process on", and so does a real
-- router (cfg.dut.router_answers) in front of a real SP
local function solicit(which, port)
	local answers = S.ports[port].process or (which == "next_hop" and cfg.dut.router_answers)
	if S.dut.neigh[which] == nil and answers then
		S.dut.neigh[which] = S.t + cfg.dut.solicit_ms
	end
end

-- dut_forward: one packet from W to V_i on spgate-dp's vendor port; true when it left as ESP
local function dut_forward(pkt)
	local d = cfg.dut
	local session = ip_to_int(pkt.dst_ip) - ip_to_int(d.first_virtual)
	if session < 0 or session >= d.sessions then
		drop("no_session")
		return false
	end
	local seen = S.dut.seen[session] or {}
	S.dut.seen[session] = seen
	if not d.allowed[pkt.proto .. ":" .. pkt.dport] then
		seen.refused = true
		drop("port_filtered")
		return false
	end
	seen.allowed = true
	if not neigh_known("next_hop") then
		solicit("next_hop", 1)
		drop("no_neighbor")
		return false
	end
	S.dut.forwardable = (S.dut.forwardable or 0) + 1
	if d.lose_every and S.dut.forwardable % d.lose_every == 0 then
		drop("tx_full")
		return false
	end
	S.dut.forwarded = S.dut.forwarded + 1
	S.ports[1].live.ipackets = S.ports[1].live.ipackets + 1
	return true
end

-- dut_echo: a probe that left as ESP comes back from the SP's echo, if there is one, to W
local function dut_echo(pkt)
	if not cfg.dut.sp_echo[pkt.proto .. ":" .. pkt.dport] then
		return false
	end
	if not neigh_known("W") then
		solicit("W", 0)
		drop("no_neighbor")
		return false
	end
	S.ports[0].live.ipackets = S.ports[0].live.ipackets + 1
	return true
end

local function dut_receive(port, pkt)
	if port ~= 0 or pkt.dst_mac:lower() ~= cfg.dut.vendor_mac then
		return -- not spgate-dp's MAC: its NIC drops the frame unseen
	end
	S.dut.rx = S.dut.rx + 1
	if S.started[0] == nil then
		S.dut.rx_before_start = S.dut.rx_before_start + 1
	end
	if dut_forward(pkt) then
		dut_echo(pkt)
	end
end

-- pktgen's transmit side --------------------------------------------------------------------
local function range_value(r, j, conv)
	local start, inc, min, max = conv(r.start), conv(r.inc), conv(r.min), conv(r.max)
	local span = max - min + 1
	return min + ((start - min) + j * inc) % span
end

local function int_to_ip(n)
	return string.format("%d.%d.%d.%d", (n >> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255)
end

local function next_packet(port)
	local P = S.ports[port]
	if not P.range_on then
		local s = P.single
		return { dst_mac = s.dst_mac, dst_ip = s.dst_ip or "0.0.0.0", proto = s.proto, dport = s.dport,
			size = s.size }
	end
	-- what a script leaves unset stays at the single packet's value (a fixed range)
	local r, j, s = P.range, P.j, P.single
	local function fixed(v, zero) return { start = v, inc = zero, min = v, max = v } end
	P.j = j + 1
	return {
		dst_mac = (r.dst_mac or {}).start or s.dst_mac,
		dst_ip = int_to_ip(range_value(r.dst_ip or fixed(s.dst_ip or "0.0.0.0", "0.0.0.0"), j, ip_to_int)),
		proto = r.proto or s.proto,
		dport = range_value(r.dst_port or fixed(s.dport, 0), j, tonumber),
		size = range_value(r.pkt_size or fixed(s.size, 0), j, tonumber),
	}
end

local function arp_leaves(port)
	local P = S.ports[port]
	if not P.arp_queued then
		return
	end
	P.arp_queued = false
	S.arp_out[port] = S.arp_out[port] or S.t
	-- spgate-dp learns the sender if it is on the link it faces
	local src, which = P.single.src_ip, port == 0 and "W" or "next_hop"
	local want = port == 0 and cfg.dut.workstation or cfg.dut.next_hop
	if src and ip_to_int(src) == ip_to_int(want) then
		local at = S.t + cfg.dut.learn_ms
		if S.dut.neigh[which] == nil or S.dut.neigh[which] > at then
			S.dut.neigh[which] = at
		end
	end
end

local function send_packets(port, n)
	local P = S.ports[port]
	if n <= 0 then
		return
	end
	arp_leaves(port)
	for _ = 1, n do
		local pkt = next_packet(port)
		P.live.opackets = P.live.opackets + 1
		dut_receive(port, pkt)
	end
end

local function probe(port, n)
	local P = S.ports[port]
	local s = P.single
	for _ = 1, n do
		local pkt = { dst_mac = s.dst_mac, dst_ip = s.dst_ip or "0.0.0.0", proto = "udp", dport = LATENCY_DPORT }
		P.live.opackets = P.live.opackets + 1
		if port == 0 and pkt.dst_mac:lower() == cfg.dut.vendor_mac and dut_forward(pkt) and dut_echo(pkt) then
			P.latency.num_pkts = P.latency.num_pkts + 1
			P.latency.sum_us = P.latency.sum_us + cfg.dut.rtt_us
		end
	end
end

local function pps(P, port)
	return cfg.link_mbps * 1e6 * P.rate / 100 / ((P.single.size + WIRE_OVERHEAD) * 8)
end

local function transmit(dt)
	for port, P in pairs(S.ports) do
		if P.sending then
			P.acc = P.acc + pps(P, port) * dt / 1000
			local n = math.floor(P.acc)
			P.acc = P.acc - n
			send_packets(port, n)
			local lat = P.latency
			if lat.enabled and n > 0 then
				local bursts = math.max(1, n // P.burst)
				local due = math.floor((S.t + dt - lat.due) * 1000 / lat.rate_us)
				local k = math.min(bursts, math.max(due, 0))
				if k > 0 then
					probe(port, k)
					lat.due = S.t + dt
				end
			end
		end
	end
end

local function refresh()
	for _, P in pairs(S.ports) do
		P.shown.opackets, P.shown.ipackets = P.live.opackets, P.live.ipackets
	end
end

-- advance: let time pass; traffic flows and pktgen's stats timer fires once a second
local function advance(ms)
	local stop = S.t + ms
	while S.t < stop do
		local next_tick = (math.floor((S.t - cfg.refresh_phase_ms) / 1000) + 1) * 1000 + cfg.refresh_phase_ms
		local dt = math.min(STEP_MS, stop - S.t, next_tick - S.t)
		transmit(dt)
		S.t = S.t + dt
		if S.t >= next_tick then
			refresh()
		end
	end
end

-- the API -----------------------------------------------------------------------------------
local api = {}

function api.screen(...) nargs("screen", 1, ...); record("screen", ...) end

function api.stop(...)
	nargs("stop", 1, ...)
	record("stop", ...)
	each(..., function(P) P.sending = false end)
end

function api.start(...)
	nargs("start", 1, ...)
	record("start", ...)
	each(..., function(P, p)
		P.sending = true
		S.started[p] = S.started[p] or S.t
	end)
end

function api.reset(...)
	nargs("reset", 1, ...)
	record("reset", ...)
	each(..., function(_, p)
		local fresh = new_port()
		fresh.live, fresh.shown = S.ports[p].live, S.ports[p].shown
		S.ports[p] = fresh
	end)
end

function api.clr(...)
	nargs("clr", 0, ...)
	record("clr")
	S.cleared_at = S.t
	for _, P in pairs(S.ports) do
		P.live = { opackets = 0, ipackets = 0 }
		P.shown = { opackets = 0, ipackets = 0 }
	end
end

function api.set(...)
	nargs("set", 3, ...)
	record("set", ...)
	local ports, what, value = ...
	if type(value) ~= "number" and tonumber(value) == nil then
		error("bad argument #3 to 'set' (number expected)", 2)
	end
	value = tonumber(value)
	each(ports, function(P)
		if what == "rate" then
			P.rate = value
		elseif what == "size" then
			P.single.size = checkinteger("set", value)
		elseif what == "count" or what == "burst" or what == "prime" then
			P[what] = checkinteger("set", value)
		elseif what == "sport" or what == "dport" then
			P.single[what] = checkinteger("set", value)
		else
			error("set does not support " .. tostring(what), 3)
		end
	end)
end

function api.set_mac(...)
	nargs("set_mac", 3, ...)
	record("set_mac", ...)
	local ports, which, mac = ...
	each(ports, function(P) P.single[which .. "_mac"] = mac end)
end

function api.set_ipaddr(...)
	nargs("set_ipaddr", 3, ...)
	record("set_ipaddr", ...)
	local ports, which, addr = ...
	ip_to_int(addr)
	each(ports, function(P) P.single[(which:sub(1, 1) == "s" and "src" or "dst") .. "_ip"] = addr end)
end

function api.set_proto(...)
	nargs("set_proto", 2, ...)
	record("set_proto", ...)
	local ports, proto = ...
	each(ports, function(P) P.single.proto = proto end)
end

function api.process(...)
	nargs("process", 2, ...)
	record("process", ...)
	local ports, state = ...
	each(ports, function(P) P.process = (state == "on" or state == "enable") end)
end

function api.send_arp(...)
	nargs("send_arp", 2, ...)
	record("send_arp", ...)
	each(..., function(P) P.arp_queued = true end)
end

function api.prime(...)
	nargs("prime", 1, ...)
	record("prime", ...)
	each(..., function(P, p) send_packets(p, P.prime) end)
end

function api.set_range(...)
	nargs("set_range", 2, ...)
	record("set_range", ...)
	local ports, state = ...
	each(ports, function(P) P.range_on = (state == "on" or state == "enable") end)
end

function api.delay(...)
	nargs("delay", 1, ...)
	record("delay", ...)
	advance(checkinteger("delay", ...))
end

function api.sleep(...)
	nargs("sleep", 1, ...)
	record("sleep", ...)
	advance(checkinteger("sleep", ...) * 1000)
end

function api.latency(...)
	nargs("latency", { 2, 3 }, ...)
	record("latency", ...)
	local ports, what, value = ...
	each(ports, function(P)
		if what == "enable" then
			P.latency.enabled = true
		elseif what == "disable" then
			P.latency.enabled = false
		elseif what == "rate" then
			P.latency.rate_us = checkinteger("latency", value)
		else
			error("latency does not support " .. tostring(what), 3)
		end
	end)
end

function api.linkState(...)
	nargs("linkState", 1, ...)
	local t = { n = 0 }
	each(..., function(_, p)
		t[p] = string.format("<UP-%d-FD>", cfg.link_mbps)
		t.n = t.n + 1
	end)
	return t
end

function api.portStats(...)
	nargs("portStats", 2, ...)
	record("portStats", ...)
	local t = { n = 0 }
	each(..., function(P, p)
		t[p] = { opackets = P.shown.opackets, ipackets = P.shown.ipackets, imissed = 0, ierrors = 0,
			oerrors = 0, rx_nombuf = 0 }
		t.n = t.n + 1
	end)
	return t
end

function api.pktStats(...)
	nargs("pktStats", 1, ...)
	record("pktStats", ...)
	local t = { n = 0 }
	each(..., function(P, p)
		local lat = P.latency
		local avg = lat.num_pkts > 0 and lat.sum_us / lat.num_pkts or 0
		t[p] = { latency = { num_pkts = lat.num_pkts, num_skipped = 0, min_us = avg, avg_us = avg, max_us = avg } }
		t.n = t.n + 1
	end)
	return t
end

local range = {}
local function range_setter(field, conv)
	return function(...)
		nargs(field, 3, ...)
		record("range." .. field, ...)
		local ports, which, value = ...
		conv(value)
		each(ports, function(P)
			P.range[field] = P.range[field] or {}
			P.range[field][which] = value
		end)
	end
end
range.dst_mac = range_setter("dst_mac", tostring)
range.src_ip = range_setter("src_ip", ip_to_int)
range.dst_ip = range_setter("dst_ip", ip_to_int)
range.src_port = range_setter("src_port", function(v) return checkinteger("src_port", v) end)
range.dst_port = range_setter("dst_port", function(v) return checkinteger("dst_port", v) end)
range.pkt_size = range_setter("pkt_size", function(v) return checkinteger("pkt_size", v) end)
function range.ip_proto(...)
	nargs("ip_proto", 2, ...)
	record("range.ip_proto", ...)
	local ports, proto = ...
	each(ports, function(P) P.range.proto = proto end)
end
api.range = range

local function strict(t, what)
	return setmetatable(t, {
		__index = function(_, k)
			error("stand-in: " .. what .. k .. " is not modelled (not in pktgen 23.06's Lua API as used here)", 2)
		end,
	})
end

pktgen = strict(api, "pktgen.")
strict(range, "pktgen.range.")

-- Pktgen.lua's printf; string.format raises on %d with a fractional number, as in pktgen
function printf(...)
	S.out[#S.out + 1] = string.format(...)
end

S.advance = advance
return pktgen
