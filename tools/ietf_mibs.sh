# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# Where the IETF MIB modules that SPGATE-MIB imports (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF) are.
# Debian's main archive lacks them (snmp-mibs-downloader, non-free, fetches them at install);
# the project's shared/mibs beside the repository has them. Sourced by tools/check_mib.sh and
# tools/lab/snmp.sh.

# ietf_mibs_dir REPO: the first directory holding SNMPv2-SMI: $SPG_IETF_MIBS, REPO/../shared/mibs,
# then where net-snmp and snmp-mibs-downloader put them; nothing (status 1) when none has it
ietf_mibs_dir() {
	local d
	for d in ${SPG_IETF_MIBS:-} "$1/../shared/mibs" /usr/share/snmp/mibs/ietf \
		/usr/share/snmp/mibs /var/lib/mibs/ietf; do
		if [ -f "$d/SNMPv2-SMI" ] || [ -f "$d/SNMPv2-SMI.txt" ]; then
			(cd "$d" && pwd)
			return 0
		fi
	done
	return 1
}
