#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The man pages (man/*.scd, rendered by meson into build/man): each renders with man(1)
# without a warning and has its NAME; and each is complete, so that an option, a command or
# a config key added without its documentation fails here:
#   - every long option in the --help of spgate-dp, spgate-control and spgate-agent is in
#     the program's page;
#   - every spgatectl command, subcommand and option (walked through `--help` from
#     `spgatectl --help` down) is in spgatectl(1);
#   - every key of the config parsers' key tables, and every key of the example configs as
#     its dotted path (dataplane.lcores.main), is in the config file's page.
# No root needed. The last line is "N passed, N failed".
#
#   tests/man/test_man.sh          after meson setup build && ninja -C build
#   SPG_KEEP=1 ...                 keep the rendered pages (in a /tmp directory)
set -uo pipefail

SPG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$SPG_REPO/tests/man
MAN_DIR=$SPG_REPO/build/man
PY=/usr/bin/python3
STATE=$(mktemp -d /tmp/spgate-man-test.XXXXXX)
# shellcheck source=tests/integration/common.sh
. "$SPG_REPO/tests/integration/common.sh"

PAGES=(spgate-dp.8 spgate-control.8 spgate-agent.8 spgatectl.1
	spgate-dp.yaml.5 spgate-control.yaml.5 spgate-agent.yaml.5 spgate-inventory.5)
CTL=$SPG_REPO/build/tools/spgatectl/spgatectl

teardown() { :; }
test_begin "$STATE" teardown

# render PAGE: man's output for people (80 columns) to $STATE/PAGE.txt, its stderr to .err
render() {
	LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$MAN_DIR/$1" >"$STATE/$1.txt" 2>"$STATE/$1.err"
}

# flat PAGE: the page as one line of words for the searches: rendered without hyphenation,
# words broken after their own hyphen at a line end joined again, white space squeezed
flat() {
	LC_ALL=C.UTF-8 MANWIDTH=80 MANROFFOPT=-rHY=0 man -l "$MAN_DIR/$1" 2>/dev/null |
		perl -CSD -0pe 's/(?<=\S)\x{2010}\n\s+//g; s/(?<=\S-)\n\s+//g; s/\s+/ /g' >"$STATE/$1.flat"
}

# documents PAGE ITEM...: every ITEM (an option, a command, a key path) stands in PAGE as a
# whole word, not inside a longer name (--ca is not found in --cache, max in max_sessions);
# says which do not. One perl for all the items: a process per item is slow on a busy host.
documents() {
	local page=$1 missing
	shift
	[ $# -gt 0 ] || { echo "  (nothing to look for)"; return 1; }
	missing=$(perl -CSD -e '
		local $/; open(my $f, "<", shift) or die "$!\n"; my $text = <$f>;
		print join(" ", grep { $text !~ /(?<![A-Za-z0-9_-])\Q$_\E(?![A-Za-z0-9_-])/ } @ARGV);
	' "$STATE/$page.flat" "$@") || { echo "  cannot read $page.flat"; return 1; }
	[ -z "$missing" ] && return 0
	echo "  $page lacks: $missing"
	return 1
}

# has_sections PAGE SECTION...: the rendered PAGE has each SECTION heading
has_sections() {
	local page=$1 heading
	shift
	for heading in "$@"; do
		grep -qx "$heading" "$STATE/$page.txt" || { echo "  $page has no $heading"; return 1; }
	done
}

# long_options TEXT: the --options a usage text names, one a line
long_options() {
	grep -oE -- '--[a-z][a-z0-9-]*' <<<"$1" | sort -u
}

need_tools man groff scdoc perl
$PY -c 'import yaml' 2>/dev/null || abort "python3-yaml is installed (tools/setup.sh)"
need_built dataplane/spgate-dp control/spgate-control tools/agent/spgate-agent tools/spgatectl/spgatectl

section "the checks themselves catch what they must"
printf '.TH BROKEN 1\n.SH NAME\nbroken \\- a page with an unknown macro\n.XX what\n' >"$STATE/broken.1"
LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$STATE/broken.1" >/dev/null 2>"$STATE/broken.err"
check "man --warnings reports an unknown macro (so a clean stderr means something)" \
	grep -q "macro 'XX' not defined" "$STATE/broken.err"
for page in "${PAGES[@]}"; do
	[ -f "$MAN_DIR/$page" ] && flat "$page"
done
# not_documented PAGE ITEM...: documents says no
not_documented() { ! documents "$@" >/dev/null; }
check "an option spgate-dp does not have is not found in spgate-dp(8)" \
	not_documented spgate-dp.8 --config --no-such-option
check "a key found only inside a longer name does not count (\"mbuf\" in dataplane.mbufs)" \
	not_documented spgate-dp.yaml.5 dataplane.mbufs dataplane.mbuf
check "the missing items are named" \
	grep -q "lacks: --no-such-option dataplane.mbuf$" <(documents spgate-dp.8 --config --no-such-option dataplane.mbuf)

section "every page is built and renders cleanly"
for page in "${PAGES[@]}"; do
	name=${page%.*}
	if [ ! -f "$MAN_DIR/$page" ]; then
		fail "build/man/$page is built (meson: -Dman=enabled needs scdoc)"
		continue
	fi
	render "$page"
	if [ -s "$STATE/$page.err" ]; then
		fail "$page renders with no warnings"
		sed 's/^/  /' "$STATE/$page.err"
	else
		pass "$page renders with no warnings"
	fi
	check "$page has a NAME section naming $name" \
		grep -qE "^ +${name//./\\.} - " "$STATE/$page.txt"
	check "$page has NAME, SYNOPSIS, DESCRIPTION and SEE ALSO sections" \
		has_sections "$page" NAME SYNOPSIS DESCRIPTION "SEE ALSO"
done

section "the daemons' pages: every option of --help, and the daemon sections"
for prog in dataplane/spgate-dp control/spgate-control tools/agent/spgate-agent; do
	page=$(basename "$prog").8
	mapfile -t opts < <(long_options "$("$SPG_REPO/build/$prog" --help 2>&1)")
	check "$page documents the ${#opts[@]} long options of $(basename "$prog") --help" \
		documents "$page" "${opts[@]}"
	check "$page has OPTIONS, SIGNALS, FILES, EXIT STATUS and EXAMPLES" \
		has_sections "$page" OPTIONS SIGNALS FILES "EXIT STATUS" EXAMPLES
	check "$page names SIGTERM and SIGHUP" documents "$page" SIGTERM SIGHUP
done

section "spgatectl(1): every command, subcommand and option"
ctl_help=$("$CTL" --help 2>&1)
mapfile -t commands < <(sed -n '/^commands:/,/^$/p' <<<"$ctl_help" | sed -nE 's/^  ([a-z]+) .*/\1/p')
check "spgatectl --help lists commands (${#commands[@]})" test "${#commands[@]}" -ge 10
mapfile -t opts < <(long_options "$ctl_help")
check "spgatectl.1 documents the ${#opts[@]} global options" documents spgatectl.1 "${opts[@]}"
check "spgatectl.1 documents the ${#commands[@]} commands of spgatectl --help" \
	documents spgatectl.1 "${commands[@]}"
mapfile -t vars < <(grep -ohE '"SPGATE_[A-Z_]+"' "$SPG_REPO"/tools/spgatectl/*.c | tr -d '"' | sort -u)
check "spgatectl.1 documents the ${#vars[@]} SPGATE_ variables the code reads" documents spgatectl.1 "${vars[@]}"
check "spgatectl.1 has ENVIRONMENT, FILES, EXIT STATUS and EXAMPLES" \
	has_sections spgatectl.1 ENVIRONMENT FILES "EXIT STATUS" EXAMPLES

# subcommands PATH HELP: the subcommands a group's --help names: its "commands:" section's
# first words, or the a|b|c right after PATH on the usage line ("line enable|disable ID")
subcommands() {
	local path=$1 help=$2
	sed -n '/^commands:/,/^$/p' <<<"$help" | sed -nE 's/^  ([a-z]+)( .*)?$/\1/p'
	sed -nE "1s/^usage: spgatectl .*\\b$path ([a-z]+(\\|[a-z]+)+)( .*)?$/\\1/p" <<<"$help" | tr '|' '\n'
}

# walk PATH...: checks the command PATH (its words) and its options, then its subcommands
walk() {
	local help sub
	local -a opts subs
	help=$("$CTL" "$@" --help 2>&1) || { fail "spgatectl $* --help exits 0"; return; }
	mapfile -t opts < <(long_options "$help")
	check "spgatectl.1 documents '$*' and its options (${#opts[@]})" documents spgatectl.1 "$*" "${opts[@]}"
	mapfile -t subs < <(subcommands "$*" "$help" | sort -u)
	[ $# -lt 3 ] || return 0
	for sub in "${subs[@]}"; do
		walk "$@" "$sub"
	done
}
for command in "${commands[@]}"; do
	walk "$command"
done

section "the config pages: every key of the parsers' tables and of the example configs"
# page:parser files:example configs
configs=(
	"spgate-dp.yaml.5:dataplane/config.c:config/dp.example.yaml config/lab-dp.yaml"
	"spgate-control.yaml.5:control/config.c control/config_snmp.c control/config_recordings.c control/config_web.c control/config_fleet.c:config/control.example.yaml config/lab-control.yaml"
	"spgate-agent.yaml.5:tools/agent/config.c:tools/agent/agent.example.yaml"
	"spgate-inventory.5:control/inventory_record.c:config/lab-inventory.yaml tests/unit/control/data/inventory.yaml"
)
for entry in "${configs[@]}"; do
	IFS=: read -r page parser_list example_list <<<"$entry"
	read -ra parsers <<<"$parser_list"
	read -ra examples <<<"$example_list"
	mapfile -t keys < <(cd "$SPG_REPO" && $PY "$HERE/man_items.py" keys "${parsers[@]}")
	check "$page documents the ${#keys[@]} keys of the key tables in $parser_list" documents "$page" "${keys[@]}"
	mapfile -t paths < <(cd "$SPG_REPO" && $PY "$HERE/man_items.py" paths "${examples[@]}")
	check "$page documents the ${#paths[@]} keys (dotted paths) of $example_list" documents "$page" "${paths[@]}"
done
