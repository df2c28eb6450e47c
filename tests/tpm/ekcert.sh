#!/bin/bash
# EK certificates end to end, with real tools: openssl makes two CAs (EC
# P-256 in PEM, RSA 2048 in DER); husk-tpm-sim runs husk's TPM engine and
# provisions the EK certificates with --ek-ca-key/--ek-ca-cert; tpm2-tools
# read them (tpm2_nvreadpublic, tpm2_nvread, tpm2_getekcertificate) and
# create the EKs (tpm2_createek); openssl verifies the certificates against
# the CA and shows the TCG EK Credential Profile's fields.  Then: a power
# cycle and a restart from the state file leave them as they were, another
# CA replaces them, a CA key that is not the certificate's stops the start
# without touching the state, and the mssim protocol provisions at
# power-on.  One "PASS name" or "FAIL name" line per step (with the tail of
# its log); the exit status is the number of failed steps (at most 100).
#
# usage: ekcert.sh [--sim PATH] [--port N] [--keep]
set -u

SIM=build/host/tools/husk-tpm-sim
PORT=$((28000 + $$ % 4000))
KEEP=0
usage() {
	echo "usage: $0 [--sim PATH] [--port N] [--keep]" >&2
	exit 100
}
while [ $# -gt 0 ]; do
	case "$1" in
	--sim) SIM=$2; shift ;;
	--port) PORT=$2; shift ;;
	--keep) KEEP=1 ;;
	*) usage ;;
	esac
	shift
done
SIM=$(readlink -f "$SIM")
if [ ! -x "$SIM" ]; then
	echo "FAIL setup: no husk-tpm-sim at $SIM"
	exit 1
fi
CTRL=$((PORT + 1))
W=$(mktemp -d /tmp/husk-ekcert.XXXXXX)
STATE=$W/tpm.state
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$PORT"
export TSS2_LOG=all+none
PASS=0
FAIL=0
SIM_PID=

# The EK certificate NV indexes of the TCG EK Credential Profile and the
# attributes husk gives them (lib/tpm/tpm.h TPM_NV_EK_CERT_ATTRIBUTES plus
# written and writelocked).
RSA_INDEX=0x1c00002
ECC_INDEX=0x1c0000a
ATTRS=0x62072801
ATTRS_FRIENDLY="ppwrite|writelocked|writedefine|ppread|ownerread|authread|no_da|written|platformcreate"

cleanup() {
	stop_sim
	if [ "$KEEP" = 1 ]; then echo "work directory kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 100' INT TERM HUP

# start_sim LOG [ARGS...]: the simulator on $PORT with the state file; waits
# until it listens or has exited.
start_sim() {
	local log=$1
	shift
	rm -f "$W/sim.pid"
	"$SIM" --port "$PORT" --state "$STATE" --pidfile "$W/sim.pid" "$@" >"$W/$log" 2>&1 &
	SIM_PID=$!
	for _ in $(seq 600); do
		[ -s "$W/sim.pid" ] && return 0
		kill -0 "$SIM_PID" 2>/dev/null || return 0
		sleep 0.05
	done
}

stop_sim() {
	if [ -n "$SIM_PID" ]; then
		kill -TERM "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
		SIM_PID=
	fi
}

# step NAME FUNCTION: runs FUNCTION with errexit in a subshell, in $W.
step() {
	local name=$1 fn=$2 log=$W/step-$1.log
	local rc
	(cd "$W" || exit 1; set -xeo pipefail; "$fn") >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "PASS $name"
		PASS=$((PASS + 1))
	else
		echo "FAIL $name"
		sed 's/^/      | /' "$log" | tail -25
		FAIL=$((FAIL + 1))
	fi
	tpm2_flushcontext -t >/dev/null 2>&1 || true
}

# fails CMD...: CMD must fail.
fails() {
	if "$@"; then
		echo "unexpected success: $*" >&2
		return 1
	fi
	return 0
}

# has FILE TEXT: FILE contains the line fragment TEXT.
has() {
	grep -qF -- "$2" "$1" || { echo "missing in $1: $2" >&2; return 1; }
}

der2pem() {
	openssl x509 -inform DER -in "$1" -out "$2"
}

# ---- the CAs ----

make_cas() {
	openssl ecparam -name prime256v1 -genkey -noout -out ca-ec.key
	openssl req -x509 -new -key ca-ec.key -sha256 -days 3650 \
		-subj "/C=DE/O=husk e2e/CN=husk EK CA (EC P-256)" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" \
		-addext "subjectKeyIdentifier=hash" -out ca-ec.pem
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -outform DER -out ca-rsa.key.der
	openssl req -x509 -new -key ca-rsa.key.der -keyform DER -sha256 -days 3650 \
		-subj "/O=husk e2e/OU=attestation/CN=husk EK CA (RSA)" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign" -outform DER -out ca-rsa.der
	openssl x509 -inform DER -in ca-rsa.der -out ca-rsa.pem
	# The TPM's identity as tpm2-tools reads it (GetCapability).
	start_sim sim-getcap.log --manufacture
	trap stop_sim EXIT
	tpm2_startup -c
	tpm2_getcap properties-fixed >props.txt
	stop_sim
	rm -f "$STATE"
}

# ---- provisioning and reading ----

# (The simulator runs from the top level, between steps: a step is a
# subshell.)
started_ec() {
	has sim-ec.log "EK certificates written"
	tpm2_startup -c
}

nvreadpublic() {
	tpm2_nvreadpublic >nvpub.txt
	for idx in $RSA_INDEX $ECC_INDEX; do
		tpm2_nvreadpublic "$idx" >"nvpub-$idx.txt"
		has "nvpub-$idx.txt" "friendly: $ATTRS_FRIENDLY"
		has "nvpub-$idx.txt" "value: $ATTRS"
		has "nvpub-$idx.txt" "friendly: sha256"
	done
}

nvread() {
	# The index's own (empty) authorization, the owner's and the platform's.
	tpm2_nvread $RSA_INDEX -o rsa.der
	tpm2_nvread $ECC_INDEX -o ecc.der
	tpm2_nvread $RSA_INDEX -C o -o rsa-owner.der
	tpm2_nvread $ECC_INDEX -C p -o ecc-platform.der
	cmp rsa.der rsa-owner.der
	cmp ecc.der ecc-platform.der
	der2pem rsa.der rsa.pem
	der2pem ecc.der ecc.pem
	# Nobody writes them: write-locked for the platform, not writable by
	# the owner.
	echo x >one.bin
	fails tpm2_nvwrite $RSA_INDEX -C p -i one.bin
	fails tpm2_nvwrite $ECC_INDEX -C o -i one.bin
}

getekcertificate() {
	tpm2_getekcertificate --raw -o get-rsa.der -o get-ecc.der
	cmp get-rsa.der rsa.der
	cmp get-ecc.der ecc.der
}

verify_ec() {
	openssl verify -x509_strict -CAfile ca-ec.pem rsa.pem
	openssl verify -x509_strict -CAfile ca-ec.pem ecc.pem
	fails openssl verify -CAfile ca-rsa.pem ecc.pem
}

# check_fields CERT.pem CA.pem KEYUSAGE SIGALG: the profile's fields.
check_fields() {
	local cert=$1 ca=$2 ku=$3 sig=$4 t=$1.txt
	local manuf model fw
	openssl x509 -in "$cert" -noout -text >"$t"
	# Subject empty; issuer the CA's subject.
	grep -qE '^ +Subject: *$' "$t"
	[ "$(openssl x509 -in "$cert" -noout -issuer | sed 's/^issuer=//')" = \
	  "$(openssl x509 -in "$ca" -noout -subject | sed 's/^subject=//')" ]
	# subjectAltName, critical, naming the TPM as GetCapability does.
	manuf=$(awk '/TPM2_PT_MANUFACTURER:/ {f=1} f && /raw:/ {print toupper(substr($2, 3)); exit}' props.txt)
	model=$(awk '/TPM2_PT_VENDOR_STRING_1:/ {f=1} f && /value:/ {gsub(/"/, "", $2); print $2; exit}' props.txt)
	fw=$(awk '/TPM2_PT_FIRMWARE_VERSION_1:/ {f=1} f && /raw:/ {print toupper(substr($2, 3)); exit}' props.txt)
	[ -n "$manuf" ] && [ -n "$model" ] && [ -n "$fw" ]
	has "$t" "X509v3 Subject Alternative Name: critical"
	has "$t" "DirName:/2.23.133.2.1=id:$(printf '%08s' "$manuf" | tr ' ' 0)/2.23.133.2.2=$model/2.23.133.2.3=id:$(printf '%08s' "$fw" | tr ' ' 0)"
	has "$t" "X509v3 Basic Constraints: critical"
	grep -A1 "X509v3 Basic Constraints" "$t" | grep -q "CA:FALSE"
	has "$t" "X509v3 Key Usage: critical"
	grep -A1 "X509v3 Key Usage" "$t" | grep -qx " *$ku"
	grep -A1 "X509v3 Extended Key Usage" "$t" | grep -qx " *2.23.133.8.1"
	has "$t" "X509v3 Subject Directory Attributes"
	# authorityKeyIdentifier = the CA's subjectKeyIdentifier
	[ "$(grep -A1 'X509v3 Authority Key Identifier' "$t" | tail -1 | sed 's/^ *//; s/^keyid://')" = \
	  "$(openssl x509 -in "$ca" -noout -ext subjectKeyIdentifier | tail -1 | sed 's/^ *//')" ]
	# Validity: the CA's notBefore, no expiry.
	[ "$(openssl x509 -in "$cert" -noout -startdate)" = "$(openssl x509 -in "$ca" -noout -startdate)" ]
	has "$t" "Not After : Dec 31 23:59:59 9999 GMT"
	# Serial: 20 octets, positive.
	openssl x509 -in "$cert" -noout -serial | grep -qE '^serial=[4-7][0-9A-F]{39}$'
	has "$t" "Signature Algorithm: $sig"
	fails grep -q "X509v3 Subject Key Identifier" "$t"
}

fields_rsa() {
	check_fields rsa.pem ca-ec.pem "Key Encipherment" ecdsa-with-SHA256
	has rsa.pem.txt "Public Key Algorithm: rsaEncryption"
}

fields_ecc() {
	check_fields ecc.pem ca-ec.pem "Key Agreement" ecdsa-with-SHA256
	has ecc.pem.txt "ASN1 OID: prime256v1"
}

# The certificate's key is the EK tpm2_createek gets from the TPM.
keys() {
	tpm2_createek -c ek-rsa.ctx -G rsa -u ek-rsa.pem -f pem
	tpm2_flushcontext -t
	tpm2_createek -c ek-ecc.ctx -G ecc -u ek-ecc.pem -f pem
	tpm2_flushcontext -t
	openssl x509 -in rsa.pem -noout -pubkey | cmp - ek-rsa.pem
	openssl x509 -in ecc.pem -noout -pubkey | cmp - ek-ecc.pem
}

# ---- every boot ----

power_cycle() {
	tpm2_shutdown
	swtpm_ioctl --tcp 127.0.0.1:$CTRL --stop
	swtpm_ioctl --tcp 127.0.0.1:$CTRL -i
	tpm2_startup -c
	# Written once, at start; found in place at both power-ons since.
	[ "$(grep -c 'EK certificates written' sim-ec.log)" = 1 ]
	[ "$(grep -c 'EK certificates already' sim-ec.log)" = 2 ]
	tpm2_nvread $RSA_INDEX -o rsa-2.der
	tpm2_nvread $ECC_INDEX -o ecc-2.der
	cmp rsa.der rsa-2.der
	cmp ecc.der ecc-2.der
}

# shutdown_sim: TPM2_Shutdown and the swtpm control channel's CMD_SHUTDOWN
# (save and exit), from the top level.
shutdown_sim() {
	tpm2_shutdown >/dev/null 2>&1
	swtpm_ioctl --tcp 127.0.0.1:$CTRL -s >/dev/null 2>&1
	wait "$SIM_PID" 2>/dev/null
	SIM_PID=
}

restart_same_ca() {
	has sim-ec2.log "NV state loaded"
	has sim-ec2.log "EK certificates already"
	fails grep -q "EK certificates written" sim-ec2.log
	tpm2_startup -c
	tpm2_nvread $RSA_INDEX -o rsa-3.der
	tpm2_nvread $ECC_INDEX -o ecc-3.der
	cmp rsa.der rsa-3.der
	cmp ecc.der ecc-3.der
}

other_ca() {
	has sim-rsa.log "EK certificates written"
	tpm2_startup -c
	tpm2_getekcertificate --raw -o new-rsa.der -o new-ecc.der
	der2pem new-rsa.der new-rsa.pem
	der2pem new-ecc.der new-ecc.pem
	openssl verify -x509_strict -CAfile ca-rsa.pem new-rsa.pem
	openssl verify -x509_strict -CAfile ca-rsa.pem new-ecc.pem
	fails openssl verify -CAfile ca-ec.pem new-rsa.pem
	check_fields new-rsa.pem ca-rsa.pem "Key Encipherment" sha256WithRSAEncryption
	check_fields new-ecc.pem ca-rsa.pem "Key Agreement" sha256WithRSAEncryption
	# Same EKs: only the issuer changed.
	openssl x509 -in new-rsa.pem -noout -pubkey | cmp - ek-rsa.pem
	openssl x509 -in new-ecc.pem -noout -pubkey | cmp - ek-ecc.pem
}

# A CA key that is not the certificate's: the server does not start and
# the state file stays as it was.
bad_ca() {
	local before rc=0
	before=$(sha256sum <"$STATE")
	"$SIM" --port "$PORT" --state "$STATE" --ek-ca-key ca-ec.key --ek-ca-cert ca-rsa.pem \
		>sim-bad.log 2>&1 || rc=$?
	[ "$rc" = 1 ]
	has sim-bad.log "CA key does not belong to the CA certificate"
	[ "$(sha256sum <"$STATE")" = "$before" ]
	rc=0
	"$SIM" --port "$PORT" --state "$STATE" --ek-ca-key ca-ec.key >sim-bad2.log 2>&1 || rc=$?
	[ "$rc" = 2 ]
	rc=0
	"$SIM" --backend libtpms --port "$PORT" --ek-ca-key ca-ec.key --ek-ca-cert ca-ec.pem \
		>sim-bad3.log 2>&1 || rc=$?
	[ "$rc" = 2 ]
	[ "$(sha256sum <"$STATE")" = "$before" ]
}

# The MS-simulator protocol starts powered off: provisioning happens at the
# client's POWER_ON, on a fresh TPM here.
mssim() {
	local rc=0
	rm -f sim.pid
	"$SIM" --protocol mssim --port "$PORT" --state mssim.state --pidfile sim.pid --manufacture \
		--ek-ca-key ca-ec.key --ek-ca-cert ca-ec.pem >sim-mssim.log 2>&1 &
	SIM_PID=$!
	trap stop_sim EXIT
	for _ in $(seq 600); do [ -s sim.pid ] && break; sleep 0.05; done
	export TPM2TOOLS_TCTI="mssim:host=127.0.0.1,port=$PORT"
	tpm2_startup -c
	tpm2_getekcertificate --raw -o m-rsa.der -o m-ecc.der
	der2pem m-rsa.der m-rsa.pem
	der2pem m-ecc.der m-ecc.pem
	openssl verify -x509_strict -CAfile ca-ec.pem m-rsa.pem m-ecc.pem
	tpm2_createek -c m-ek.ctx -G ecc -u m-ek-ecc.pem -f pem
	openssl x509 -in m-ecc.pem -noout -pubkey | cmp - m-ek-ecc.pem
	kill -TERM "$SIM_PID"
	wait "$SIM_PID" || rc=$?
	SIM_PID=
	[ "$rc" = 0 ]
}

# Without a CA nothing is provisioned.
no_ca() {
	start_sim sim-none.log --manufacture
	trap stop_sim EXIT
	tpm2_startup -c
	fails tpm2_nvreadpublic $RSA_INDEX
	tpm2_nvreadpublic >none.txt
	fails grep -q "0x1c0000" none.txt
	stop_sim
}

step setup-cas make_cas
start_sim sim-ec.log --manufacture --ek-ca-key "$W/ca-ec.key" --ek-ca-cert "$W/ca-ec.pem"
step provision-at-start started_ec
step nvreadpublic nvreadpublic
step nvread nvread
step getekcertificate getekcertificate
step openssl-verify verify_ec
step fields-rsa fields_rsa
step fields-ecc fields_ecc
step key-is-createek keys
step power-cycle-idempotent power_cycle
shutdown_sim
start_sim sim-ec2.log --ek-ca-key "$W/ca-ec.key" --ek-ca-cert "$W/ca-ec.pem"
step restart-idempotent restart_same_ca
shutdown_sim
start_sim sim-rsa.log --ek-ca-key "$W/ca-rsa.key.der" --ek-ca-cert "$W/ca-rsa.der"
step other-ca-replaces other_ca
shutdown_sim
step bad-ca-refused bad_ca
step mssim-power-on mssim
step no-ca-no-certificate no_ca

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -gt 100 ] && exit 100
exit "$FAIL"
