# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# The set-up the tests of the whole system (test_e2e.sh, test_modem.sh, test_snmp.sh) share,
# sourced once they have set SPG_REPO, the topology's settings (SPG_NS, SPG_N_SP, ...) and
# SPG_TEST (e2e, modem or snmp): a state directory /tmp/spgate-$SPG_TEST.XXXXXX holding the
# PKI and spgate-dp's config and socket, the EAL file prefix spgate-$SPG_TEST (so the test
# runs beside the lab and the other tests), then the libraries of tools/lab and of the tests.

SPG_PY=/usr/bin/python3
SPG_STATE=$(mktemp -d "/tmp/spgate-$SPG_TEST.XXXXXX")
SPG_PKI=$SPG_STATE/pki
SPG_DP_CONFIG=$SPG_STATE/dp.yaml
SPG_SOCK=$SPG_STATE/dp.sock
FILE_PREFIX=spgate-$SPG_TEST
# shellcheck source=tools/lab/topology.sh
. "$SPG_REPO/tools/lab/topology.sh"
# shellcheck source=tools/lab/agents.sh
. "$SPG_REPO/tools/lab/agents.sh"
# shellcheck source=tools/lab/control.sh
. "$SPG_REPO/tools/lab/control.sh"
# shellcheck source=tools/lab/pki.sh
. "$SPG_REPO/tools/lab/pki.sh"
# shellcheck source=tools/lab/json.sh
. "$SPG_REPO/tools/lab/json.sh"
# shellcheck source=tests/integration/common.sh
. "$SPG_REPO/tests/integration/common.sh"
# shellcheck source=tests/integration/e2e/lib.sh
. "$SPG_REPO/tests/integration/e2e/lib.sh"

# dp_config_make: config/lab-dp.yaml with the test's own control socket and EAL file prefix
dp_config_make() {
	sed -e "s|^\([[:space:]]*control_socket:\).*|\1 $SPG_SOCK|" \
		-e "s|^\([[:space:]]*file_prefix:\).*|\1 $FILE_PREFIX|" \
		"$SPG_REPO/config/lab-dp.yaml" >"$SPG_DP_CONFIG"
}

# ---- a second workstation (test_join.sh; topology.sh's topo_ws2_create makes it) ----

# fetch2 ADDR [PORT]: what the service at ADDR:PORT answers the second workstation
fetch2() {
	ip netns exec "$(topo_ns ws2)" timeout 6 nc -w 4 "$1" "${2:-7000}" </dev/null 2>/dev/null
}
fetch2_is() { [ "$(fetch2 "$1" "${2:-7000}")" = "$3" ]; } # ADDR PORT NAME
