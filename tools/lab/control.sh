# SPDX-License-Identifier: BSD-3-Clause
# shellcheck shell=bash
# The lab's gateway control plane, as functions: FreeRADIUS and spgate-control in the gateway
# namespace, the engineers' spgatectl in the workstation namespace, the operator's on the
# host. Sourced by tools/lab/lab.sh and tests/integration/test_e2e.sh after topology.sh.
#
#   FreeRADIUS      127.0.0.1:18120 in <ns>gw (tests/integration/radius/radiusd.sh's tree in
#                   $SPG_STATE/radius, users below), secret "spgate-lab-secret"
#   spgate-control  in <ns>gw, config $SPG_STATE/control.yaml made from
#                   config/lab-control.yaml with the state directory, spgate-dp's socket and
#                   the caller's overrides; engineer API on $SPG_MGMT:8443 (TLS, certificate
#                   from tools/lab/pki.sh), operators on $SPG_STATE/control.sock
#
# The caller sets, besides topology.sh's variables:
#   SPG_PKI             tools/lab/pki.sh's directory
#   SPG_CONTROL_CONFIG  the template (default config/lab-control.yaml)

: "${SPG_CONTROL_CONFIG:=$SPG_REPO/config/lab-control.yaml}"
SPG_RADIUS_PORT=18120
SPG_RADIUS_SECRET=spgate-lab-secret
SPG_API_PORT=8443

ctl_bin() { echo "${SPG_BUILD:-$SPG_REPO/build}/tools/spgatectl/spgatectl"; }
control_bin() { echo "${SPG_BUILD:-$SPG_REPO/build}/control/spgate-control"; }
control_socket() { echo "$SPG_STATE/control.sock"; }

# ---- FreeRADIUS ----

# The engineers (config/lab-inventory.yaml says what each may reach). tess enrols spgate's
# TOTP factor after her RADIUS password (spgatectl mfa enroll). dan answers an
# Access-Challenge after his password: the TOTP code of radiusd.sh's RADIUS_TOTP_SECRET
# (oathtool --totp -b GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ), checked by FreeRADIUS's rlm_totp.
# gina approves globex's sessions (its approvers group), in the web console or spgatectl.
radius_users() {
	cat <<'USERS'
alice	Cleartext-Password := "alice-pw"
	Class = "storage-eu"

bob	Cleartext-Password := "bob-pw"
	Class = "storage-globex"

carol	Cleartext-Password := "carol-pw"
	Class = "support-admins,approvers"

tess	Cleartext-Password := "tess-lab-pw"
	Class = "storage-eu"

dan	Cleartext-Password := "dan-pw", TOTP-Secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", Auth-Type := spg-otp
	Class = "storage-eu"

gina	Cleartext-Password := "gina-pw"
	Class = "globex-approvers"
USERS
}

radius_dir() { echo "$SPG_STATE/radius"; }

radius_ns() { # radius_ns CMD...: radiusd.sh's command CMD in the gateway namespace
	ip netns exec "$(topo_ns gw)" bash "$SPG_REPO/tests/integration/radius/radiusd.sh" "$@"
}

# control_radius_start: writes the tree (once) and starts FreeRADIUS; its pid goes to
# $SPG_STATE/pids/radius.pid too, so topo_stop_all stops it.
control_radius_start() {
	local dir
	dir=$(radius_dir)
	mkdir -p "$SPG_STATE/logs"
	if [ ! -f "$dir/radiusd.conf" ]; then
		radius_ns gen "$dir" "$SPG_RADIUS_PORT" "$SPG_RADIUS_SECRET" >/dev/null || return 1
		radius_users >"$dir/users"
	fi
	if ! radius_ns start "$dir" >"$SPG_STATE/logs/radius-start.out" 2>&1; then
		cat "$SPG_STATE/logs/radius-start.out"
		return 1
	fi
	mkdir -p "$SPG_STATE/pids"
	cp "$dir/radiusd.pid" "$SPG_STATE/pids/radius.pid"
}

control_radius_stop() {
	bash "$SPG_REPO/tests/integration/radius/radiusd.sh" stop "$(radius_dir)" >/dev/null 2>&1
	rm -f "$SPG_STATE/pids/radius.pid"
}

# ---- spgate-control ----

# SNMP stays off unless the caller runs snmpd and snmptrapd (tools/lab/snmp.sh, SPG_SNMP=1);
# "enabled:" is the snmp section's key alone in config/lab-control.yaml.
control_snmp_sed() {
	if [ "${SPG_SNMP:-0}" = 1 ]; then echo ''; else echo 's/^\([[:space:]]*enabled:\) true/\1 false/'; fi
}

# control_config_make [SED-ARGS...]: $SPG_STATE/control.yaml from the template, with the
# state directory, spgate-dp's socket, the API address and RADIUS of this lab, then the
# caller's sed arguments (e.g. -e 's/^\( *approval_timeout:\).*/\1 10/')
# shellcheck disable=SC2120 # the e2e test passes arguments, the lab none
control_config_make() {
	local out=$SPG_STATE/control.yaml
	sed -e "s|/run/spgate-lab|$SPG_STATE|g" \
		-e "s|^\([[:space:]]*dataplane_socket:\).*|\1 $SPG_SOCK|" \
		-e "s|^\([[:space:]]*listen:\).*|\1 $SPG_MGMT:$SPG_API_PORT|" \
		-e "s|{ address: 127.0.0.1:[0-9]*, secret: \"[^\"]*\" }|{ address: 127.0.0.1:$SPG_RADIUS_PORT, secret: \"$SPG_RADIUS_SECRET\" }|" \
		-e "$(control_snmp_sed)" "$@" "$SPG_CONTROL_CONFIG" >"$out" || return 1
	"$(control_bin)" --check-config "$out" >"$SPG_STATE/logs/control-check.out" 2>&1 || {
		cat "$SPG_STATE/logs/control-check.out"
		return 1
	}
}

# control_web_config PORT [SESSION-TIMEOUT]: the web console (issue 18) on $SPG_MGMT:PORT in
# $SPG_STATE/control.yaml, with the engineer API's certificate from tools/lab/pki.sh (its SAN
# is the management address) and the repository's pages. Appended after control_config_make,
# whose sed rewrites every listen: line.
control_web_config() {
	cat >>"$SPG_STATE/control.yaml" <<YAML

web:
  listen: $SPG_MGMT:$1
  certificate: $SPG_PKI/control.crt
  key: $SPG_PKI/control.key
  static_dir: $SPG_REPO/web
  session_timeout: ${2:-10m}
YAML
}

# operator: spgatectl on the operators' socket (uid 0 is an operator)
op_ctl() { "$(ctl_bin)" --operator --control-socket "$(control_socket)" "$@"; }

# eng_via TOKEN_DIR SERVER USER ARGS...: spgatectl as engineer USER from the workstation,
# against SERVER (host:port), with a token file per user in TOKEN_DIR
eng_via() {
	local dir=$1 server=$2 user=$3
	shift 3
	ip netns exec "$(topo_ns ws)" env SPGATE_TOKEN_FILE="$dir/$user" \
		SPGATE_SERVER="$server" SPGATE_CA="$SPG_PKI/ca.crt" "$(ctl_bin)" "$@"
}

# eng USER ARGS...: spgatectl as engineer USER from the workstation, against this host
eng() {
	local user=$1
	shift
	eng_via "$SPG_STATE/tokens" "$SPG_MGMT:$SPG_API_PORT" "$user" "$@"
}

# eng_login USER PASSWORD: logs USER in; spgatectl's exit code
eng_login() {
	mkdir -p "$SPG_STATE/tokens"
	SPGATE_PASSWORD=$2 eng "$1" login --user "$1"
}

control_answers() { op_ctl whoami >/dev/null 2>&1; }
control_api_listens() {
	ip netns exec "$(topo_ns gw)" ss -Htln "sport = :$SPG_API_PORT" | grep -q .
}
control_alive() { topo_pid_alive control; }

# control_start [TIMEOUT]: starts spgate-control (config made if missing) and waits until
# both APIs answer
control_start() {
	local t=${1:-30} deadline
	# shellcheck disable=SC2119
	[ -f "$SPG_STATE/control.yaml" ] || control_config_make || return 1
	topo_spawn control "$(topo_ns gw)" "$(control_bin)" --config "$SPG_STATE/control.yaml"
	deadline=$((SECONDS + t))
	while [ $SECONDS -lt $deadline ]; do
		if ! control_alive; then
			topo_log "spgate-control exited during start-up; its log:"
			tail -n 20 "$SPG_STATE/logs/control.out"
			return 1
		fi
		if control_answers && control_api_listens; then
			return 0
		fi
		sleep 0.3
	done
	topo_log "spgate-control did not answer within ${t}s; its log:"
	tail -n 20 "$SPG_STATE/logs/control.out"
	return 1
}

# control_stop: SIGTERM (sessions live on), bounded. A restart's topo_spawn truncates
# control.out: the stopped run's log is appended to control-earlier.out first.
control_stop() {
	topo_stop control 10
	[ -f "$SPG_STATE/logs/control.out" ] &&
		cat "$SPG_STATE/logs/control.out" >>"$SPG_STATE/logs/control-earlier.out"
	return 0
}

# control_import FILE: the operator imports the inventory
control_import() {
	op_ctl inventory import "$1" --format yaml
}
