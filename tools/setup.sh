#!/usr/bin/env bash
# Installs what spgate needs to build, test and run its lab on Debian 12 (bookworm).
# Idempotent: installs only missing packages and runs `apt-get update` only if something is
# missing. Needs root (or sudo, used when there is one) for the installation itself. Then it
# checks that every command the project's scripts and tests call resolves.
#
#   tools/setup.sh                    install what is missing, check the commands
#   tools/setup.sh --print-commands   the commands list, one a line (tools/test.sh runs the
#                                     tests with a PATH that holds only these and coreutils)
set -euo pipefail

packages=(
	# build
	build-essential meson ninja-build pkg-config
	# libraries: DPDK 22.11 (+ the intel-ipsec-mb library behind crypto_aesni_mb), libyaml,
	# CUnit, OpenSSL
	# libipsec-mb-dev: esp_native.c calls intel-ipsec-mb's AES-GCM directly (outbound)
	libipsec-mb-dev
	libdpdk-dev dpdk libipsec-mb1 libyaml-dev libcunit1-dev libssl-dev
	# dpdk-dev ships dpdk-telemetry.py (and dpdk-testpmd, dpdk-proc-info)
	dpdk-dev
	# the sources of DPDK's examples: spgate-bench --peer ipsec-secgw builds
	# examples/ipsec-secgw from them to measure against
	dpdk-doc
	# spgatectl, spgate-control and spgate-agent: JSON, event loop, store, TLS certificates
	libjansson-dev libevent-dev libsqlite3-dev openssl
	# eBPF programs (clang -target bpf, skeletons with bpftool) and their loaders
	clang llvm bpftool libbpf-dev libxdp-dev
	# the fuzz targets (tests/fuzz): libFuzzer and clang's sanitizer runtimes (clang-14 only
	# recommends them)
	libclang-rt-14-dev
	# the control plane's tests authenticate against a real FreeRADIUS
	freeradius freeradius-utils
	# the integration tests and the lab: scapy's ESP as the SP-side peer, namespaces, captures
	python3 python3-scapy python3-cryptography iproute2 ethtool tcpdump iputils-ping
	procps psmisc curl netcat-openbsd
	# the lab's customer router (NAT in front of an SP) and the end-to-end test; jq reads
	# spgate-agent's --status in the agent test
	nftables jq
	# the modem test measures a dialed session's throughput with iperf3
	iperf3
	# SNMP: spgate-control's traps and AgentX subagent (net-snmp), and the real snmpd,
	# snmptrapd, snmpwalk and smilint the tests and the lab run against
	libsnmp-dev snmpd snmptrapd snmp smitools
	# installing spgate: man pages (scdoc sources, checked with man -l), the Debian packages
	# (debhelper, dpkg-buildpackage, lintian) and the systemd units (systemd-analyze verify)
	scdoc man-db debhelper dpkg-dev fakeroot lintian systemd git
	# the man page test renders with groff (man-db depends on it, named for the test) and
	# reads the example configs' keys with PyYAML
	groff-base python3-yaml
	# session recordings (issue 15): the dataplane test reads them back with tshark and
	# capinfos (wireshark-common, a dependency of tshark)
	tshark
	# second factor (issue 16): spgatectl draws the TOTP enrolment QR code with libqrencode;
	# the tests compute TOTP codes with oathtool (RFC 6238), also for FreeRADIUS's challenge
	libqrencode-dev oathtool
	# tools/pktgen's scripts are Lua for pktgen-dpdk, which links Lua 5.3: the unit test parses
	# them (luac5.3 -p) and runs them against a stand-in (tests/unit/pktgen)
	lua5.3
	# the web console's browser test (issue 18): headless Chromium driven by playwright-core
	# (tests/web, from npm with the lock file: npm ci below) under Debian's node
	chromium nodejs npm
	# a gateway fleet's shared store (issue 14): libpq for spgate-control, and the server the
	# store's unit tests (tests/unit/control/with_pg.sh) and the fleet lab start throw-away
	libpq-dev postgresql
)

# Every external command that the project's scripts, tests and lab call, beside coreutils and
# bash's builtins. tools/test.sh runs the tests and the lab with a PATH that holds only these
# (and coreutils), and fails when a script calls anything else: a command used without being
# listed here (and its package above) cannot slip through on a machine that happens to have it.
commands=(
	bash sed grep awk find xargs flock setsid prlimit      # bash sed grep mawk findutils util-linux
	mount umount                                           # mount: test_record.sh's read-only recordings directory
	ps kill pkill sysctl                                   # procps
	ip tc ss bridge ethtool nft tcpdump ping nc            # the namespaces and their traffic
	python3 jq iperf3 openssl curl                         # peers, JSON, load, PKI
	freeradius radclient                                   # FreeRADIUS and its probe
	oathtool                                               # TOTP codes in the MFA tests
	snmpd snmptrapd snmpwalk snmpget snmptranslate smilint # net-snmp, smitools
	dpdk-telemetry.py bpftool                              # dpdk-dev, bpftool
	meson ninja pkg-config dpkg-query apt-get              # build and setup
	make cc as ld                                          # spgate-bench --peer builds ipsec-secgw (build-essential, binutils)
	clang                                                  # the fuzz build (tools/fuzz.sh)
	scdoc man col groff nroff troff tbl preconv grotty perl # the man pages (scdoc, man-db, groff-base)
	git tar dpkg dpkg-deb dpkg-buildpackage lintian systemd-analyze # the package test
	tshark capinfos                                        # recordings (tshark, wireshark-common)
	lua5.3 luac5.3                                         # tools/pktgen's scripts (tests/unit/pktgen)
	node npm chromium                                      # the web console's browser test (nodejs, npm, chromium)
	runuser                                                # with_pg.sh runs initdb/pg_ctl (full paths) as postgres (util-linux)
)

if [ "${1:-}" = --print-commands ]; then
	printf '%s\n' "${commands[@]}"
	exit 0
fi

# web_modules: tests/web's playwright-core, exactly as package-lock.json pins it
web_modules() {
	local dir
	dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/web
	if [ -d "$dir/node_modules/playwright-core" ]; then
		echo "setup: tests/web's node modules are installed"
		return 0
	fi
	npm ci --prefix "$dir" --no-audit --no-fund || {
		echo "setup: npm ci --prefix tests/web failed (the npm registry must be reachable)" >&2
		return 1
	}
}

# check_commands: every listed command resolves; names the missing ones
check_commands() {
	local c missing_cmds=()
	for c in "${commands[@]}"; do
		# where Debian's packages put them: /usr/local or a pyenv do not count
		PATH=/usr/sbin:/usr/bin:/sbin:/bin type -P "$c" >/dev/null || missing_cmds+=("$c")
	done
	if [ ${#missing_cmds[@]} -gt 0 ]; then
		echo "setup: these commands are not on PATH after the install: ${missing_cmds[*]}" >&2
		echo "setup: add the package that has each to packages=(...) in tools/setup.sh" >&2
		return 1
	fi
	echo "setup: all ${#commands[@]} commands the scripts call resolve"
}

# pkg_present NAME: an installed package of that name, or an installed one that provides it
# (NodeSource's nodejs provides npm, and conflicts with Debian's npm package)
pkg_present() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$' && return 0
	dpkg-query -W -f='${Status}\t${Provides}\n' 2>/dev/null | grep '^install ok installed' | cut -f2 |
		tr ',' '\n' | sed -e 's/ *(.*//' -e 's/^ *//' | grep -x "$1" >/dev/null
	# not grep -q: it stops at the first match, sed dies of SIGPIPE and pipefail makes that
	# a failure (setup then tried to install npm over NodeSource's nodejs now and then)
}

missing=()
for p in "${packages[@]}"; do
	if ! pkg_present "$p"; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "setup: all ${#packages[@]} packages are installed"
	web_modules && check_commands
	exit
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "setup: missing packages (${missing[*]}): run tools/setup.sh as root" >&2
		exit 1
	fi
	sudo="sudo"
fi

echo "setup: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	"${missing[@]}"
echo "setup: installed: ${missing[*]}"
web_modules && check_commands
