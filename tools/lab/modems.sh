# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# The lab's modem bank, as functions: spgate-modemsim in the gateway namespace plays the
# gateway's modems and the telephone network; tools/lab/modem-hook.sh makes a connected call
# carry the SP's traffic at the connect speed. Sourced after topology.sh (SPG_CONTROL=1).
#
#   modem lines   modem1..3: pseudo-terminals $SPG_STATE/modem1..3, peer topo_sp_addr of the
#                 modem SP (the address its agent listens on); modem2 has no dial tone and
#                 modem3 is dead (never answers; SPG_MODEM3_DEAD=false revives it), for the
#                 line-fault cases
#   SPs by modem  the SP numbers in SPG_MODEM_SPS: their WAN link is down until a call is up
#   numbers       modem_numbers writes them; modems_reload applies a new set (SIGHUP)
#
# The caller sets, besides topology.sh's variables:
#   SPG_MODEM_SPS  SP numbers reached by modem, space separated (default none)

: "${SPG_MODEM_SPS:=}"
SPG_MODEM_NUMBER=+15550100 # what the modem SPs answer on (the lab's inventory lists it)

modemsim_bin() { echo "${SPG_BUILD:-$SPG_REPO/build}/tools/modemsim/spgate-modemsim"; }
modem_device() { echo "$SPG_STATE/modem$1"; } # modem_device N
modem_config_path() { echo "$SPG_STATE/modemsim.yaml"; }

# modem_numbers [ENTRY...]: writes the modem bank's config; each ENTRY is one YAML flow
# mapping for the numbers list (default: the modem SP answers at 33600 bit/s)
modem_numbers() {
	local sp peer entry
	sp=${SPG_MODEM_SPS%% *}
	peer=$(topo_sp_addr "${sp:-1}")
	{
		echo "# spgate-modemsim of the lab (written by tools/lab/modems.sh)"
		echo "hook: $SPG_REPO/tools/lab/modem-hook.sh"
		echo "modems:"
		echo "  - { device: $(modem_device 1), peer: $peer }"
		echo "  - { device: $(modem_device 2), peer: $peer, dialtone: false }"
		echo "  - { device: $(modem_device 3), peer: $peer, dead: ${SPG_MODEM3_DEAD:-true} }"
		echo "numbers:"
		if [ $# -eq 0 ]; then
			set -- "{ number: \"$SPG_MODEM_NUMBER\", answer: 33600, ring: 0.5 }"
		fi
		for entry in "$@"; do
			echo "  - $entry"
		done
	} >"$(modem_config_path)"
}

modems_ready() { [ -e "$(modem_device 1)" ] && [ -e "$(modem_device 2)" ] && [ -e "$(modem_device 3)" ]; }

# modems_start: the modem SPs' links go down (no call yet), the modem bank starts
modems_start() {
	local i
	for i in $SPG_MODEM_SPS; do
		ip -n "$(topo_ns wan)" link set "wan-sp$i" down
	done
	[ -f "$(modem_config_path)" ] || modem_numbers
	SPG_NS=$SPG_NS topo_spawn modemsim "$(topo_ns gw)" "$(modemsim_bin)" --config "$(modem_config_path)"
	if ! wait_until 10 modems_ready; then
		topo_log "spgate-modemsim did not create its devices; its log:"
		tail -n 20 "$SPG_STATE/logs/modemsim.out"
		return 1
	fi
}

# modems_reload [ENTRY...]: new numbers, applied at once by SIGHUP
modems_reload() {
	modem_numbers "$@"
	kill -HUP "$(cat "$SPG_STATE/pids/modemsim.pid")"
	sleep 0.3
}

# The lines and the modem system for an inventory: the lab's, with this run's devices.
modem_inventory() { # modem_inventory SERIAL
	local sp peer
	sp=${SPG_MODEM_SPS%% *}
	peer=$(topo_sp_addr "${sp:-1}")
	cat <<INV
  - { id: modem1, type: modem, region: eu, device: $(modem_device 1), peer: $peer, init: "AT&F E0 V1 X4" }
  - { id: modem2, type: modem, region: eu, device: $(modem_device 2), peer: $peer, enabled: false }
  - { id: modem3, type: modem, region: eu, device: $(modem_device 3), peer: $peer, enabled: false }
INV
}

# modem_lab_inventory BASE: BASE (an inventory whose last section is lines:) with CK2100, the
# system reached by modem (acme, Paris; two numbers, as people write them), and the modem lines
modem_lab_inventory() {
	sed "s|^systems:|systems:\n  - { serial: CK2100, customer: acme, site: paris, connect: modem, address: [\"+1 555 0100\", \"+1-555-0199\"], profile: storage-default }|" "$1"
	modem_inventory
}
