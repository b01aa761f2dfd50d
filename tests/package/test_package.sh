#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The Debian packages: builds spgate-gateway and spgate-agent with dpkg-buildpackage from a copy
# of this working tree (tracked and untracked files, not ignored ones: what a developer has is
# what gets built; in CI's clean clone that is HEAD) under /tmp, then checks them. No root
# needed beyond what dpkg-buildpackage needs (Rules-Requires-Root: no), no namespaces.
#
# Verified: the build itself (compiler lines carry the distro's hardening flags with -Werror,
# no -march=native, DPDK's packaged -march on the dataplane; no tests compiled); lintian
# reports no error; the control fields (names, architecture, shlibs Depends on DPDK, OpenSSL,
# libbpf); the file lists (binaries in sbin/bin, units, tmpfiles.d, sysusers.d, logrotate,
# MIB, example configs as conffiles, man pages); the maintainer scripts neither enable nor
# start a unit; both packages install together with `dpkg --root` into a throw-away root and
# admin directory, their real maintainer scripts run chrootless with DPKG_ROOT (debhelper's
# snippets honour it), and leave the spgate user and /run/spgate 1770 root:spgate there;
# `systemd-analyze verify --root` passes on the units in that root (the host's own units and
# /bin/kill copied in), so the binaries they start must come from the packages; the installed
# binaries start (--version, --help) with the host's libraries.
# Not verified: the services running under systemd (no systemd in the test environment;
# tests/integration covers the daemons themselves); dependency resolution against an archive
# (dpkg runs with --force-depends: the libraries are the host's, not the root's).
#
#   tests/package/test_package.sh
#   SPG_NO_MAN=1 ...   the tree has no man/ yet: drop the man pages from debian/*.install
#                      in the copy and skip their checks (reported as SKIP)
#   SPG_KEEP=1 ...     keep the state directory (sources, build log, .debs, unpacked root)
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
STATE=$(mktemp -d /tmp/spgate-package-test.XXXXXX)
# shellcheck source=tests/integration/common.sh
. "$SPG_REPO/tests/integration/common.sh"

teardown() { :; }
test_begin "$STATE" teardown dpkg-buildpackage "$STATE/build.log" 12 lintian "$STATE/lintian.log" 40

need_tools dpkg-buildpackage dpkg-deb lintian systemd-analyze systemd-sysusers systemd-tmpfiles git

VERSION=$(dpkg-parsechangelog -l "$SPG_REPO/debian/changelog" -S Version)
SRC=$STATE/src/spgate-$VERSION
ROOT=$STATE/root
ARCH=$(dpkg --print-architecture)
GW=$STATE/src/spgate-gateway_${VERSION}_$ARCH.deb
AGENT=$STATE/src/spgate-agent_${VERSION}_$ARCH.deb

section "build from a copy of the working tree"
mkdir -p "$SRC"
copy_tree() { # tracked and untracked files that exist (a deleted file is not listed)
	local f
	cd "$SPG_REPO" || return 1
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		tar -cf - --null --no-recursion -T - | tar -xf - -C "$SRC"
}
copy_tree || abort "the working tree copies to $SRC"
if [ "${SPG_NO_MAN:-0}" = 1 ]; then
	sed -i '\#^usr/share/man/#d' "$SRC"/debian/*.install
	skip "man pages (SPG_NO_MAN=1: removed from debian/*.install in the copy)"
fi
echo "building in $SRC (log: $STATE/build.log)"
(cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$STATE/build.log" 2>&1 ||
	abort "dpkg-buildpackage -us -uc -b builds the packages (tail of $STATE/build.log above)"
pass "dpkg-buildpackage -us -uc -b builds spgate-gateway and spgate-agent"
check "both .deb files are in the parent of the source tree" test -f "$GW" -a -f "$AGENT"

# ninja -v prints each compiler line: the package must be portable and hardened.
compile_lines() { grep -E '(^| )(cc|gcc|clang)(-[0-9]+)? .* -c ' "$STATE/build.log" | grep -v -- '-target bpf'; }
no_native() { [ "$(compile_lines | grep -c -- '-march=native')" = 0 ]; }
all_have() { [ "$(compile_lines | grep -vc -- "$1")" = 0 ] && [ "$(compile_lines | wc -l)" -gt 0 ]; }
dp_lines() { compile_lines | grep -E -- '-c \.\./dataplane/'; }
dp_baseline() { # DPDK's Cflags end with the -march it was packaged for
	local march
	march=$(pkg-config --cflags libdpdk | grep -o -- '-march=[^ ]*') || return 1
	[ "$(dp_lines | grep -vc -- "$march")" = 0 ] && [ "$(dp_lines | wc -l)" -gt 0 ]
}
check "no object is compiled with -march=native (-Dnative=false)" no_native
check "the dataplane is compiled for DPDK's packaged baseline ($(pkg-config --cflags libdpdk | grep -o -- '-march=[^ ]*'))" dp_baseline
check "every object is compiled with -Werror" all_have '-Werror'
check "every object is compiled with -D_FORTIFY_SOURCE=2" all_have '-D_FORTIFY_SOURCE=2'
check "every object is compiled with -fstack-protector-strong" all_have '-fstack-protector-strong'
check "every object is compiled with -Wformat -Werror=format-security" all_have '-Werror=format-security'
no_tests_built() { ! grep -qE 'test_[a-z_]+\.c\.o|spgate-bench|spgate-modemsim|sph_probe|auth_probe' "$STATE/build.log"; }
check "the build compiles no tests, probes, spgate-bench or spgate-modemsim (-Dtests=false)" no_tests_built

section "lintian"
lintian --no-tag-display-limit "$STATE"/src/spgate_"${VERSION}"_"$ARCH".changes >"$STATE/lintian.log" 2>&1
grep -E '^[EW]: ' "$STATE/lintian.log" | sed 's/^/  /'
no_lintian_errors() { ! grep -q '^E: ' "$STATE/lintian.log"; }
check "lintian reports no error (E:) on the packages" no_lintian_errors

section "control fields"
field() { dpkg-deb -f "$1" "$2"; }
check "spgate-gateway's Package field" test "$(field "$GW" Package)" = spgate-gateway
check "spgate-agent's Package field" test "$(field "$AGENT" Package)" = spgate-agent
check "spgate-gateway is built for $ARCH" test "$(field "$GW" Architecture)" = "$ARCH"
check "spgate-agent is built for $ARCH" test "$(field "$AGENT" Architecture)" = "$ARCH"
depends() { field "$1" Depends | grep -qE "$2"; }
check "spgate-gateway Depends on DPDK's libraries (shlibs)" depends "$GW" '(^|, )librte-[a-z_]+[0-9]'
check "spgate-gateway Depends on OpenSSL's libssl3 (shlibs)" depends "$GW" '(^|, )libssl3'
check "spgate-gateway Depends on libevent, libjansson, libsqlite3, libsnmp (shlibs)" \
	bash -c 'd=$(dpkg-deb -f "$1" Depends); for l in libevent libjansson4 libsqlite3 libsnmp; do
		grep -q "$l" <<<"$d" || exit 1; done' _ "$GW"
check "spgate-gateway Depends on systemd-sysusers for its postinst" depends "$GW" 'systemd \| systemd-standalone-sysusers'
check "spgate-agent Depends on libbpf1 and libssl3 (shlibs)" \
	bash -c 'd=$(dpkg-deb -f "$1" Depends); grep -q libbpf1 <<<"$d" && grep -q libssl3 <<<"$d"' _ "$AGENT"
check "spgate-agent does not Depend on DPDK" bash -c '! dpkg-deb -f "$1" Depends | grep -q librte' _ "$AGENT"

section "file lists"
dpkg-deb -c "$GW" | awk '{print $6}' | sed 's#^\./#/#' >"$STATE/gateway.files"
dpkg-deb -c "$AGENT" | awk '{print $6}' | sed 's#^\./#/#' >"$STATE/agent.files"
has() { grep -qxF "$2" "$STATE/$1.files"; }
for f in /usr/sbin/spgate-dp /usr/sbin/spgate-control /usr/bin/spgatectl \
	/lib/systemd/system/spgate-dp.service /lib/systemd/system/spgate-control.service \
	/usr/lib/tmpfiles.d/spgate.conf /usr/lib/sysusers.d/spgate.conf \
	/etc/logrotate.d/spgate-control /usr/share/snmp/mibs/SPGATE-MIB.txt \
	/etc/spgate/dp.example.yaml /etc/spgate/control.example.yaml \
	/usr/share/spgate/60-spgate-hugepages.conf; do
	check "spgate-gateway contains $f" has gateway "$f"
done
for f in /usr/sbin/spgate-agent /lib/systemd/system/spgate-agent.service \
	/etc/spgate/agent.example.yaml; do
	check "spgate-agent contains $f" has agent "$f"
done
if [ "${SPG_NO_MAN:-0}" != 1 ]; then
	for f in man8/spgate-dp.8 man8/spgate-control.8 man1/spgatectl.1 man5/spgate-dp.yaml.5 \
		man5/spgate-control.yaml.5 man5/spgate-inventory.5; do
		check "spgate-gateway contains the man page $f" has gateway "/usr/share/man/$f.gz"
	done
	for f in man8/spgate-agent.8 man5/spgate-agent.yaml.5; do
		check "spgate-agent contains the man page $f" has agent "/usr/share/man/$f.gz"
	done
fi
not_in() { ! grep -qE "$2" "$STATE/$1.files"; }
check "spgate-gateway ships no live configuration (only *.example.yaml in /etc/spgate)" \
	not_in gateway '^/etc/spgate/[^/]*[^e]\.yaml$|^/etc/spgate/[a-z-]+\.yaml$'
check "spgate-gateway ships no spgate-agent, spgate-bench or spgate-modemsim" \
	not_in gateway 'spgate-agent$|spgate-bench|spgate-modemsim'
check "spgate-agent ships no spgate-dp or spgate-control" not_in agent 'spgate-dp$|spgate-control$'
check "the example configurations and logrotate file are conffiles of spgate-gateway" \
	bash -c 'c=$(dpkg-deb --ctrl-tarfile "$1" | tar -xOf - ./conffiles); for f in \
		/etc/spgate/dp.example.yaml /etc/spgate/control.example.yaml /etc/logrotate.d/spgate-control; do
		grep -qxF "$f" <<<"$c" || exit 1; done' _ "$GW"
check "agent.example.yaml is a conffile of spgate-agent" \
	bash -c 'dpkg-deb --ctrl-tarfile "$1" | tar -xOf - ./conffiles | grep -qxF /etc/spgate/agent.example.yaml' _ "$AGENT"
check "spgate-gateway's postinst creates the spgate user through systemd-sysusers" \
	bash -c 'dpkg-deb --ctrl-tarfile "$1" | tar -xOf - ./postinst | grep -q "systemd-sysusers.*spgate.conf"' _ "$GW"
check "spgate-gateway's postinst creates /run/spgate through systemd-tmpfiles" \
	bash -c 'dpkg-deb --ctrl-tarfile "$1" | tar -xOf - ./postinst | grep -q "systemd-tmpfiles.*spgate.conf"' _ "$GW"
# --no-enable: enable only for an admin who enabled it before (debian-installed guard);
# --no-start: no deb-systemd-invoke start or restart anywhere
check "no postinst enables or starts a unit (a gateway is configured first)" \
	bash -c 'for d; do p=$(dpkg-deb --ctrl-tarfile "$d" | tar -xOf - ./postinst); for u in $(
		dpkg-deb -c "$d" | grep -o "lib/systemd/system/[^ ]*\.service" | xargs -n1 basename); do
		grep -q "deb-systemd-helper debian-installed .$u." <<<"$p" || exit 1; done
		grep -q "deb-systemd-invoke" <<<"$p" && exit 1; done; exit 0' _ "$GW" "$AGENT"

section "installed into a throw-away root"
# dpkg --root with --force-script-chrootless runs the real maintainer scripts on this host with
# DPKG_ROOT set; the ones debhelper generates (systemd-sysusers, systemd-tmpfiles,
# deb-systemd-helper) then act on the root alone. The dependencies are not in the root.
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates" "$ROOT/etc"
touch "$ROOT/var/lib/dpkg/status"
dpkg --root="$ROOT" --force-depends --force-not-root --force-script-chrootless -i "$GW" "$AGENT" \
	>"$STATE/dpkg.log" 2>&1
check "dpkg --root -i installs both packages, maintainer scripts included" \
	test -x "$ROOT/usr/sbin/spgate-dp" -a -x "$ROOT/usr/sbin/spgate-agent"
installed() { [ "$(dpkg --root="$ROOT" -s "$1" 2>/dev/null | sed -n 's/^Status: //p')" = "install ok installed" ]; }
check "dpkg records spgate-gateway as installed (its postinst succeeded)" installed spgate-gateway
check "dpkg records spgate-agent as installed (its postinst succeeded)" installed spgate-agent
no_script_errors() { ! grep -E 'Failed|rror|warning' "$STATE/dpkg.log" | grep -v 'dependency problems'; }
check "the maintainer scripts report no failure (e.g. an unknown group in tmpfiles.d)" no_script_errors
check "the postinst made the system user spgate, with no login shell" \
	bash -c 'IFS=: read -r _ _ uid _ _ home shell < <(grep "^spgate:" "$1/etc/passwd") &&
		[ "$uid" -lt 1000 ] && [ "$home" = /var/lib/spgate ] && [ "$shell" = /usr/sbin/nologin ]' _ "$ROOT"
run_dir_ok() {
	local gid
	gid=$(awk -F: '$1 == "spgate" {print $3}' "$ROOT/etc/group")
	[ -n "$gid" ] && [ "$(stat -c '%a %u %g' "$ROOT/run/spgate")" = "1770 0 $gid" ]
}
check "the postinst made /run/spgate 1770 root:spgate (tmpfiles.d)" run_dir_ok
not_enabled() { ! ls "$ROOT"/etc/systemd/system/*.wants/spgate-* >/dev/null 2>&1; }
check "no unit is enabled by the installation (a gateway is configured first)" not_enabled

# verify --root resolves everything in the root: the targets and units ours are ordered
# against, and ExecReload's /bin/kill, come from the host (what any Debian system has), the
# binaries the units start only from the packages.
cp -an /lib/systemd/system/. "$ROOT/lib/systemd/system/"
mkdir -p "$ROOT/bin"
cp "$(type -P kill)" "$ROOT/bin/kill"
for u in spgate-dp spgate-control spgate-agent; do
	systemd-analyze verify --man=no --root="$ROOT" "$ROOT/lib/systemd/system/$u.service" \
		>"$STATE/verify-$u.log" 2>&1
	check "systemd-analyze verify --root passes on $u.service" \
		bash -c '! [ -s "$1" ] || { sed "s/^/  /" "$1"; exit 1; }' _ "$STATE/verify-$u.log"
done
# The check has teeth: a unit naming a binary that is not in the root must fail.
sed 's#/usr/sbin/spgate-dp#/usr/sbin/spgate-dp-missing#' "$ROOT/lib/systemd/system/spgate-dp.service" \
	>"$ROOT/lib/systemd/system/spgate-broken.service"
check "systemd-analyze verify --root rejects a unit whose ExecStart binary is missing" \
	bash -c '! systemd-analyze verify --man=no --root="$1" "$1/lib/systemd/system/spgate-broken.service" >/dev/null 2>&1' _ "$ROOT"
rm -f "$ROOT/lib/systemd/system/spgate-broken.service"

section "the unpacked binaries start"
for b in usr/sbin/spgate-dp usr/sbin/spgate-control usr/sbin/spgate-agent; do
	check "$b --version prints $VERSION" \
		bash -c '"$1" --version 2>&1 | grep -qF "$2"' _ "$ROOT/$b" "$VERSION"
done
for b in usr/sbin/spgate-dp usr/sbin/spgate-control usr/bin/spgatectl usr/sbin/spgate-agent; do
	check "$b --help exits 0" bash -c '"$1" --help >/dev/null 2>&1' _ "$ROOT/$b"
done
check "spgate-agent checks its installed example configuration" \
	"$ROOT/usr/sbin/spgate-agent" --config "$ROOT/etc/spgate/agent.example.yaml" --check-config
