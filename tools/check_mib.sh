#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Checks mib/SPGATE-MIB.txt with smilint (level 6: every warning) and snmptranslate. Both need
# the IETF modules it imports (SNMPv2-SMI, SNMPv2-TC, SNMPv2-CONF), which Debian ships apart
# (snmp-mibs-downloader, non-free, fetches them at install): give their directory as
# SPG_IETF_MIBS when they are not in /usr/share/snmp/mibs{,/ietf}. Without them the check is
# skipped (exit 77, meson's "skipped").
#
#   tools/check_mib.sh            0: clean, 1: smilint or snmptranslate complained, 77: skipped
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mib=$repo/mib/SPGATE-MIB.txt
ietf=""
for d in ${SPG_IETF_MIBS:-} /usr/share/snmp/mibs/ietf /usr/share/snmp/mibs /var/lib/mibs/ietf; do
	if [ -f "$d/SNMPv2-SMI" ] || [ -f "$d/SNMPv2-SMI.txt" ]; then ietf=$d; break; fi
done
if [ -z "$ietf" ]; then
	echo "SKIP: no SNMPv2-SMI found (install snmp-mibs-downloader or set SPG_IETF_MIBS)"
	exit 77
fi
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
out=$(snmptranslate -M "$ietf:/usr/share/snmp/mibs:$repo/mib" -m SPGATE-MIB -Tp SPGATE-MIB::spgateMIB 2>&1 >/dev/null)
tree=$(snmptranslate -M "$ietf:/usr/share/snmp/mibs:$repo/mib" -m SPGATE-MIB -Tp SPGATE-MIB::spgateMIB 2>/dev/null)
if [ -z "$out" ] && grep -q "spgSessionTable" <<<"$tree"; then
	echo "PASS: snmptranslate -Tp SPGATE-MIB::spgateMIB shows the tree"
else
	echo "$out" | head -20
	echo "FAIL: snmptranslate does not load SPGATE-MIB cleanly"
	rc=1
fi
exit $rc
