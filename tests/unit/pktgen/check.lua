-- SPDX-License-Identifier: BSD-3-Clause
--
-- Runs tools/pktgen/*.lua against the STAND-IN Pktgen.lua beside this file (pktgen-dpdk cannot
-- run here: it is not packaged in Debian 12) and checks what issue 17 found wrong when they ran
-- in a real pktgen-dpdk 23.06.1: rates for any frame size, fractional RATE, ARPs out before the
-- traffic, counters read after pktgen's refresh, mixed_ports' expected counts and per-session
-- port coverage, latency.lua's probe port and hint. The first checks show that the stand-in
-- reproduces each defect, so that the later ones passing means something.
--
--   lua5.3 tests/unit/pktgen/check.lua tests/unit/pktgen tools/pktgen
--
-- Prints one line a check and "N passed, N failed" last; exits 1 when a check failed.

local standin_dir, scripts_dir = arg[1], arg[2]
assert(standin_dir and scripts_dir, "usage: check.lua STANDIN_DIR SCRIPTS_DIR")
package.path = standin_dir .. "/?.lua;" .. package.path

local passed, failed = 0, 0

local function check(name, ok, detail)
	if ok then
		passed = passed + 1
		print("ok   " .. name)
	else
		failed = failed + 1
		print("FAIL " .. name .. (detail and (": " .. detail) or ""))
	end
end

local function config(over)
	local c = {
		link_mbps = 100,
		-- pktgen's stats timer runs on its own clock: any phase; this one makes a 500 ms
		-- wait after the last packet too short
		refresh_phase_ms = 750,
		dut = {
			vendor_mac = "02:00:00:00:00:01",
			workstation = "192.0.2.10",
			next_hop = "198.51.100.254",
			first_virtual = "198.18.0.1",
			sessions = 1024,
			allowed = { ["tcp:22"] = true, ["tcp:443"] = true, ["udp:1028"] = true },
			sp_echo = { ["udp:1028"] = true },
			learn_ms = 10,
			solicit_ms = 100,
			rtt_us = 42,
		},
	}
	for k, v in pairs(over or {}) do
		if k == "dut" then
			for dk, dv in pairs(v) do
				c.dut[dk] = dv
			end
		else
			c[k] = v
		end
	end
	return c
end

-- run_text: runs a script's text against a fresh stand-in; returns the record and the error
local function run_text(text, name, cfg)
	SPG_STANDIN = { cfg = cfg }
	package.loaded.Pktgen = nil
	pktgen, printf = nil, nil
	local chunk, err = load(text, "@" .. name)
	if not chunk then
		return SPG_STANDIN, err
	end
	local ok, why = pcall(chunk)
	local S = SPG_STANDIN
	S.output = table.concat(S.out or {})
	return S, not ok and tostring(why) or nil
end

-- run_script: a tools/pktgen script with some of its parameters (the `local NAME = value`
-- lines at its top) set otherwise, as an operator edits them
local function run_script(file, params, cfg)
	local path = scripts_dir .. "/" .. file
	local f = assert(io.open(path))
	local text = "\n" .. f:read("a")
	f:close()
	for name, value in pairs(params or {}) do
		local n
		text, n = text:gsub("\nlocal " .. name .. " = [^\n]-( *%-%-[^\n]*)\n", "\nlocal " .. name .. " = " ..
			value .. "%1\n", 1)
		if n == 0 then
			text, n = text:gsub("\nlocal " .. name .. " = [^\n]*\n", "\nlocal " .. name .. " = " .. value .. "\n", 1)
		end
		assert(n == 1, file .. ": no parameter " .. name)
	end
	return run_text(text, path, cfg)
end

local function first_call(S, name, arg1)
	for _, c in ipairs(S.calls) do
		if c.name == name and (arg1 == nil or tostring(c.args[1]) == arg1) then
			return c
		end
	end
end

local function drops(S, why)
	return S.dut.drops[why] or 0
end

local function line_rate_pps(cfg, frame, rate)
	return cfg.link_mbps * 1e6 * rate / 100 / ((frame + 20) * 8)
end

-- 1. The stand-in shows each defect ------------------------------------------------------
local PROLOGUE = [[
require "Pktgen"
pktgen.set_ipaddr("0", "src", "192.0.2.10/24")
pktgen.set_ipaddr("0", "dst", "198.18.0.1")
pktgen.set_ipaddr("1", "src", "198.51.100.254/24")
pktgen.process("all", "on")
pktgen.set_mac("0", "dst", "02:00:00:00:00:01")
pktgen.set("0", "dport", 443)
pktgen.set("0", "rate", 10)
]]

do
	local S = run_text(PROLOGUE .. [[
pktgen.send_arp("0", "g")
pktgen.send_arp("1", "g")
pktgen.delay(1000)
pktgen.start("0")
pktgen.sleep(1)
pktgen.stop("0")
]], "standin-arp", config())
	check("stand-in: ARPs queued by send_arp leave with the first burst, so the first packets die as no_neighbor",
		drops(S, "no_neighbor") > 0 and S.arp_out[0] == S.started[0],
		string.format("no_neighbor %d", drops(S, "no_neighbor")))
end

do
	local S = run_text(PROLOGUE .. [[
pktgen.start("0")
pktgen.sleep(2)
pktgen.stop("0")
pktgen.delay(300)
stale = pktgen.portStats("0", "port")[0].opackets
]], "standin-stale", config())
	check("stand-in: counters read 300 ms after stop miss packets (pktgen refreshes them once a second)",
		stale ~= nil and stale < S.ports[0].live.opackets,
		string.format("read %s of %d", tostring(stale), S.ports[0].live.opackets))
end

do
	local cfg = config()
	local S, err = run_text(PROLOGUE .. [[
for _, w in ipairs({ "start", "min", "max" }) do pktgen.range.pkt_size("0", w, 512) end
pktgen.range.pkt_size("0", "inc", 0)
pktgen.set_range("0", "on")
pktgen.start("0")
pktgen.sleep(1)
pktgen.stop("0")
]], "standin-size", cfg)
	local sent, want64 = S.ports[0].live.opackets, line_rate_pps(cfg, 64, 10)
	check("stand-in: a range of 512-byte frames is sent at the 64-byte packet rate without set size",
		err == nil and math.abs(sent - want64) < want64 * 0.01,
		err or string.format("%d sent, %.0f expected", sent, want64))
end

do
	local _, err = run_text('require "Pktgen"\nprintf("%d%%\\n", 2.5)\n', "standin-format", config())
	check("stand-in: %d with a fractional RATE raises, as it did in pktgen", err ~= nil and
		err:find("integer representation") ~= nil, err)
end

do
	local S = run_text(PROLOGUE .. [[
pktgen.range.dst_ip("0", "start", "198.18.0.1")
pktgen.range.dst_ip("0", "inc", "0.0.0.1")
pktgen.range.dst_ip("0", "min", "198.18.0.1")
pktgen.range.dst_ip("0", "max", "198.18.4.0")
pktgen.range.dst_port("0", "start", 440)
pktgen.range.dst_port("0", "inc", 1)
pktgen.range.dst_port("0", "min", 440)
pktgen.range.dst_port("0", "max", 443)
pktgen.set_range("0", "on")
pktgen.start("0")
pktgen.sleep(1)
]], "standin-cycle", config())
	local both = 0
	for _, seen in pairs(S.dut.seen) do
		both = both + ((seen.allowed and seen.refused) and 1 or 0)
	end
	check("stand-in: 1024 sessions and a cycle of 4 ports show each session a single port", both == 0,
		both .. " sessions saw both kinds")
end

-- 2. vendor_sessions.lua --------------------------------------------------------------------
local function sent_line(out, label)
	return tonumber(out:match(label .. "[^\n]-:%s+(%d+) packets"))
end

for _, frame in ipairs({ 64, 512, 1518 }) do
	for _, rate in ipairs({ "10", "2.5" }) do
		local cfg = config()
		local what = string.format("vendor_sessions FRAME_SIZE=%d RATE=%s: ", frame, rate)
		local S, err = run_script("vendor_sessions.lua", { FRAME_SIZE = frame, RATE = rate, DURATION = 2 }, cfg)
		check(what .. "runs to the end", err == nil, err)
		if err == nil then
			local sent = S.ports[0].live.opackets
			local want = line_rate_pps(cfg, frame, tonumber(rate)) * 2
			check(what .. "sends RATE % of the line for this frame size", math.abs(sent - want) <= want * 0.01,
				string.format("%d sent, %.0f expected", sent, want))
			check(what .. "prints the counters after pktgen's refresh",
				sent_line(S.output, "sent to V_i") == sent and
				sent_line(S.output, "ESP out of spgate") == S.ports[1].live.ipackets,
				S.output)
			local start = first_call(S, "start", "0").t
			check(what .. "both ARPs left and were learned before the traffic",
				S.arp_out[0] and S.arp_out[1] and S.dut.neigh.W <= start and S.dut.neigh.next_hop <= start,
				string.format("ARPs out at %s/%s, traffic at %d", tostring(S.arp_out[0]), tostring(S.arp_out[1]), start))
			check(what .. "nothing dropped, everything forwarded, no warm-up packet reached spgate-dp",
				next(S.dut.drops) == nil and S.dut.forwarded == sent and S.dut.rx_before_start == 0,
				string.format("forwarded %d of %d, %d before start", S.dut.forwarded, sent, S.dut.rx_before_start))
		end
	end
end

-- 3. mixed_ports.lua ------------------------------------------------------------------------
local function printed(out, pattern)
	return tonumber(out:match(pattern))
end

for _, n in ipairs({ 1024, 1000, 12, 7, 4, 1 }) do
	for _, lose in ipairs({ false, 50 }) do
		local cfg = config({ dut = { sessions = n, lose_every = lose or nil } })
		local what = string.format("mixed_ports N=%d%s: ", n, lose and ", 1 in 50 forwardable lost" or "")
		local S, err = run_script("mixed_ports.lua", { SESSIONS = n, RATE = "12.5", DURATION = 2 }, cfg)
		check(what .. "runs to the end", err == nil, err)
		if err == nil then
			local both = 0
			for _, seen in pairs(S.dut.seen) do
				both = both + ((seen.allowed and seen.refused) and 1 or 0)
			end
			check(what .. "every session sees an allowed and a refused port", both == n,
				string.format("%d of %d", both, n))
			local cycle = printed(S.output, "port_filtered = %d+ %(sent x %d+/(%d+)")
			local filtered = printed(S.output, "port_filtered = (%d+)")
			local other = printed(S.output, "allowed but not out as ESP: (%-?%d+)")
			local lost = drops(S, "tx_full")
			check(what .. "expected port_filtered is spgate-dp's port_filtered", cycle and filtered and
				math.abs(filtered - drops(S, "port_filtered")) <= cycle,
				string.format("printed %s, counted %d", tostring(filtered), drops(S, "port_filtered")))
			check(what .. "the allowed packets that did not come out are the other losses", other and
				math.abs(other - lost) <= cycle and (lose or not S.output:find("not expected")),
				string.format("printed %s, tx_full %d", tostring(other), lost))
		end
	end
end

-- 4. latency.lua ----------------------------------------------------------------------------
local function samples(out)
	local last
	for v in out:gmatch("\n%s+%d+%s+(%d+)%s+[%d%.]+") do
		last = tonumber(v)
	end
	return last
end

do
	local S, err = run_script("latency.lua", { SAMPLES = 3 }, config({ dut = { sessions = 1, router_answers = true } }))
	check("latency: against a session allowing udp:1028 and an SP echo, runs to the end", err == nil, err)
	check("latency: samples come back, about one a millisecond",
		err == nil and (samples(S.output) or 0) > 0 and not S.output:find("no samples") and
		S.ports[0].latency.num_pkts > 3 * 2 * 500, S.output)
end

do
	local cfg = config({ dut = { sessions = 1, router_answers = true, allowed = { ["tcp:443"] = true, ["udp:7"] = true } } })
	local S, err = run_script("latency.lua", { SAMPLES = 2 }, cfg)
	check("latency: with udp:1028 not allowed the probes are port_filtered",
		err == nil and drops(S, "port_filtered") > 0, err)
	check("latency: and the hint names udp:1028 and the echo it needs, not udp:7", err == nil and
		S.output:find("no samples") and S.output:find("udp:1028", 1, true) and S.output:find("socat", 1, true) and
		not S.output:find("udp:7", 1, true) and not S.output:find("udp/7", 1, true), S.output)
end

do
	local S, err = run_script("latency.lua", { SAMPLES = 2 }, config({ dut = { sessions = 1, router_answers = true, sp_echo = {} } }))
	check("latency: without an SP echo it says what it needs", err == nil and S.output:find("no samples") and
		S.output:find("echo udp/1028", 1, true), S.output)
end

print(string.format("%d passed, %d failed", passed, failed))
os.exit(failed == 0 and 0 or 1)
