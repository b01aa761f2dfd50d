#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The lab's keys and certificates, made with the openssl CLI (throw-away: lab and tests only).
#
#   pki.sh DIR [--api-ip A.B.C.D] [SERIAL=ADDR ...]
#
# writes into DIR (created 0700; private keys 0600):
#   ca.crt ca.key                 the CA engineers' spgatectl trusts (--ca) for the engineer API
#   control.crt control.key       spgate-control's engineer API certificate (SAN IP --api-ip,
#                                 default 198.51.100.2, the lab's management address)
#   agent-ca.crt agent-ca.key     the CA that signs the agents' certificates (control: agent.ca)
#   agent-SERIAL.crt/.key         one per SERIAL=ADDR: CN SERIAL, SAN URI spgate:sp:SERIAL (the
#                                 identity spgate-control checks), DNS SERIAL, IP ADDR
#   gateway-ca.crt gateway-ca.key the CA of the gateways' client certificates (agents:
#                                 tls.gateway_ca)
#   gateway.crt gateway.key       this gateway's client certificate for the agents (control:
#                                 agent.client_certificate / agent.client_key)
#   vendor-ed25519.key/.pub       the vendor key that signs grants (control: grant.signing_key;
#                                 agents: vendor_key)
# Existing files are kept, so a second run only adds what is missing.
#
# Or source it and call pki_make DIR API_IP [SERIAL=ADDR ...] / pki_agent DIR SERIAL ADDR /
# pki_gateway DIR [NAME] (another gateway of the fleet, e.g. for tests).
set -uo pipefail

pki_quiet() { # pki_quiet CMD...: runs CMD, prints its output only if it fails
	local out
	out=$("$@" 2>&1) || {
		echo "pki.sh: $* failed:" >&2
		echo "$out" >&2
		return 1
	}
}

pki_ca() { # pki_ca DIR NAME CN: a self-signed EC P-256 CA NAME.crt / NAME.key
	local dir=$1 name=$2 cn=$3
	[ -s "$dir/$name.crt" ] && [ -s "$dir/$name.key" ] && return 0
	pki_quiet openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/$name.key" -out "$dir/$name.crt" -days 30 -subj "/CN=$cn" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign ||
		return 1
	chmod 600 "$dir/$name.key"
}

pki_leaf() { # pki_leaf DIR CA NAME CN SAN [EKU]: NAME.crt / NAME.key signed by CA.crt
	local dir=$1 ca=$2 name=$3 cn=$4 san=$5 eku=${6:-serverAuth}
	[ -s "$dir/$name.crt" ] && [ -s "$dir/$name.key" ] && return 0
	pki_quiet openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/$name.key" -out "$dir/$name.csr" -subj "/CN=$cn" || return 1
	chmod 600 "$dir/$name.key"
	printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=%s\n' \
		"$san" "$eku" >"$dir/$name.ext"
	pki_quiet openssl x509 -req -in "$dir/$name.csr" -CA "$dir/$ca.crt" -CAkey "$dir/$ca.key" \
		-CAcreateserial -out "$dir/$name.crt" -days 30 -extfile "$dir/$name.ext" || return 1
	rm -f "$dir/$name.csr" "$dir/$name.ext"
}

pki_vendor_key() { # pki_vendor_key DIR [NAME]: NAME.key (Ed25519, PKCS#8 PEM) and NAME.pub
	local dir=$1 name=${2:-vendor-ed25519}
	[ -s "$dir/$name.key" ] && [ -s "$dir/$name.pub" ] && return 0
	pki_quiet openssl genpkey -algorithm ed25519 -out "$dir/$name.key" || return 1
	chmod 600 "$dir/$name.key"
	pki_quiet openssl pkey -in "$dir/$name.key" -pubout -out "$dir/$name.pub"
}

# pki_recording DIR CUSTOMER: CUSTOMER-recording.crt / .key, the customer's own certificate that
# session recordings are sealed to (inventory customers[].recording_cert). RSA: CMS key
# transport, which `openssl cms -decrypt -inkey` opens. Self-signed: the customer's, not our CA's.
pki_recording() {
	local dir=$1 name=$2-recording
	[ -s "$dir/$name.crt" ] && [ -s "$dir/$name.key" ] && return 0
	pki_quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/$name.key" -out "$dir/$name.crt" \
		-days 30 -subj "/CN=$2 session recordings" || return 1
	chmod 600 "$dir/$name.key"
}

pki_agent() { # pki_agent DIR SERIAL ADDR
	# a certificate from before the SP identity check (no URI) is made again
	if [ -s "$1/agent-$2.crt" ] &&
		! openssl x509 -in "$1/agent-$2.crt" -noout -ext subjectAltName 2>/dev/null |
		grep -q "URI:spgate:sp:$2\b"; then
		rm -f "$1/agent-$2.crt" "$1/agent-$2.key"
	fi
	pki_leaf "$1" agent-ca "agent-$2" "$2" "URI:spgate:sp:$2,DNS:$2,IP:$3"
}

pki_gateway() { # pki_gateway DIR [NAME]: NAME.crt / NAME.key, a client certificate of gateway-ca
	local name=${2:-gateway}
	pki_ca "$1" gateway-ca "spgate lab gateway CA" || return 1
	pki_leaf "$1" gateway-ca "$name" "spgate-$name" "DNS:spgate-$name" clientAuth
}

pki_make() { # pki_make DIR API_IP [SERIAL=ADDR ...]
	local dir=$1 api_ip=$2 pair
	shift 2
	mkdir -p "$dir" && chmod 700 "$dir" || return 1
	pki_ca "$dir" ca "spgate lab engineer API CA" || return 1
	pki_leaf "$dir" ca control "spgate-control" "IP:$api_ip,DNS:spgate-control" || return 1
	pki_ca "$dir" agent-ca "spgate lab agent CA" || return 1
	pki_gateway "$dir" || return 1
	pki_vendor_key "$dir" || return 1
	for pair in "$@"; do
		pki_agent "$dir" "${pair%%=*}" "${pair#*=}" || return 1
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	if [ $# -lt 1 ] || [ "${1#-}" != "$1" ]; then
		sed -n '3,23p' "$0" >&2
		exit 2
	fi
	dir=$1
	shift
	api_ip=198.51.100.2
	if [ "${1:-}" = --api-ip ]; then
		api_ip=${2:?--api-ip needs an address}
		shift 2
	fi
	pki_make "$dir" "$api_ip" "$@" || exit 1
	echo "pki.sh: keys and certificates in $dir"
fi
