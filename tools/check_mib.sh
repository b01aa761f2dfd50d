#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Checks mib/SPGATE-MIB.txt with smilint (level 6: every warning) and snmptranslate. Both need
# the IETF modules it imports (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF): tools/ietf_mibs.sh finds
# them ($SPG_IETF_MIBS, the project's shared/mibs beside the repository, or where Debian's
# non-free snmp-mibs-downloader puts them). Without them the check is skipped, loudly (exit 77,
# meson's "skipped"); SPG_REQUIRE_MIBS=1 (set by tools/test.sh when shared/mibs is there)
# turns the skip into a failure.
#
#   tools/check_mib.sh            0: clean, 1: smilint or snmptranslate complained, 77: skipped
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mib=$repo/mib/SPGATE-MIB.txt
# shellcheck source=tools/ietf_mibs.sh
. "$repo/tools/ietf_mibs.sh"
if ! ietf=$(ietf_mibs_dir "$repo"); then
	echo "SKIP: SPGATE-MIB NOT CHECKED: no SNMPv2-SMI found (set SPG_IETF_MIBS to the IETF modules' directory)"
	[ "${SPG_REQUIRE_MIBS:-0}" = 1 ] && { echo "FAIL: SPG_REQUIRE_MIBS=1"; exit 1; }
	exit 77
fi
echo "IETF modules from $ietf"
smi() { for f in "$ietf"/$1 "$ietf"/$1.txt; do [ -f "$f" ] && echo "$f" && return; done; }
rc=0
out=$(smilint -l 6 -p "$(smi SNMPv2-SMI)" -p "$(smi SNMPv2-TC)" -p "$(smi SNMPv2-CONF)" \
	-p /usr/share/snmp/mibs/NET-SNMP-MIB.txt "$mib" 2>&1 | grep "SPGATE-MIB")
if [ -n "$out" ]; then
	echo "$out"
	echo "FAIL: smilint -l 6 reports the lines above"
	rc=1
else
	echo "PASS: smilint -l 6 mib/SPGATE-MIB.txt is clean"
fi
# the tree on stdout, complaints on stderr
# (net-snmp says "Created directory: ..." on its first run on a machine: not a complaint)
out=$(snmptranslate -M "$ietf:/usr/share/snmp/mibs:$repo/mib" -m SPGATE-MIB -Tp SPGATE-MIB::spgateMIB 2>&1 >/dev/null | grep -v "^Created directory:")
tree=$(snmptranslate -M "$ietf:/usr/share/snmp/mibs:$repo/mib" -m SPGATE-MIB -Tp SPGATE-MIB::spgateMIB 2>/dev/null)
if [ -z "$out" ] && grep -q "spgSessionTable" <<<"$tree"; then
	echo "PASS: snmptranslate -Tp SPGATE-MIB::spgateMIB shows the tree"
else
	echo "$out" | head -20
	echo "FAIL: snmptranslate does not load SPGATE-MIB cleanly"
	rc=1
fi
exit $rc
