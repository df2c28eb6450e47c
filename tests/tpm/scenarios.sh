#!/bin/bash
# The tpm2-tools scenario suite: unmodified tpm2-tools drive a TPM served by
# husk-tpm-sim (or, through a relay, the vTPM inside husk) step by step.
# Each step prints "PASS name" or "FAIL name" with the tail of its log; the
# exit status is the number of failed steps (capped at 100).
#
# usage: scenarios.sh [--sim PATH] [--backend husk|libtpms] [--protocol swtpm|mssim]
#                     [--port N] [--keep]
#                     [--relay-image IGVM [--launch PATH] [--smp N] | --relay-fake]
#
# Relay modes: the tools reach the TPM through husk-tpm-sim's relay backend
# and husk's test guest in relay mode (docs/guest.md).  --relay-image boots
# IGVM (husk with the guest as payload) under husk-launch with
# "guest.mode=relay" and the guest's COM2 on a unix socket; --relay-fake
# puts tests/tpm/fake_relay_guest.py in the guest's place, in front of a
# second husk-tpm-sim with --backend.  husk refuses power cycles from the
# guest side, so in relay modes the power-cycle steps become one step that
# checks the refusal and that nothing changed.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
SIM=build/host/tools/husk-tpm-sim
LAUNCH=build/host/tools/husk-launch
BACKEND=husk
PROTOCOL=swtpm
PORT=$((24000 + $$ % 4000))
KEEP=0
RELAY=
RELAY_IMAGE=
SMP=2
# Seconds the relay may take: husk and the guest boot under TCG, and husk's
# engine runs RSA key generation inside it.
RELAY_TIMEOUT=600
usage() {
	echo "usage: $0 [--sim PATH] [--backend husk|libtpms] [--protocol swtpm|mssim] [--port N] [--keep]" >&2
	echo "          [--relay-image IGVM [--launch PATH] [--smp N] | --relay-fake]" >&2
	exit 100
}
while [ $# -gt 0 ]; do
	case "$1" in
	--sim) SIM=$2; shift ;;
	--backend) BACKEND=$2; shift ;;
	--protocol) PROTOCOL=$2; shift ;;
	--port) PORT=$2; shift ;;
	--keep) KEEP=1 ;;
	--relay-image) RELAY=image; RELAY_IMAGE=$(readlink -f "$2"); shift ;;
	--relay-fake) RELAY=fake ;;
	--launch) LAUNCH=$2; shift ;;
	--smp) SMP=$2; shift ;;
	*) usage ;;
	esac
	shift
done
SIM=$(readlink -f "$SIM")
LAUNCH=$(readlink -f "$LAUNCH")
W=$(mktemp -d /tmp/husk-tpm-scenarios.XXXXXX)
STATE=$W/tpm.state
COM2=$W/com2.sock
# The TPM behind the fake guest: the next free port pair after ours.
INNER_PORT=$((PORT + 2))
export TPM2TOOLS_TCTI="$PROTOCOL:host=127.0.0.1,port=$PORT"
# tpm2-tss writes its own warnings to stderr; keep them in the step logs.
export TSS2_LOG=all+none
PASS=0
FAIL=0
SIM_PID=
GUEST_PID=
INNER_PID=

cleanup() {
	stop_sim
	stop_guest
	if [ "$KEEP" = 1 ]; then echo "work directory kept: $W"; else rm -rf "$W"; fi
}
trap cleanup EXIT
trap 'exit 100' INT TERM HUP

start_sim() {
	local wait=100
	if [ -n "$RELAY" ]; then
		"$SIM" --protocol "$PROTOCOL" --relay "$COM2" --relay-timeout "$RELAY_TIMEOUT" \
			--relay-end --port "$PORT" --pidfile "$W/sim.pid" >>"$W/sim.log" 2>&1 &
		# the pidfile appears once the guest's banner has come
		wait=$((RELAY_TIMEOUT * 20))
	else
		"$SIM" --protocol "$PROTOCOL" --backend "$BACKEND" --port "$PORT" --state "$STATE" \
			--pidfile "$W/sim.pid" >>"$W/sim.log" 2>&1 &
	fi
	SIM_PID=$!
	for _ in $(seq "$wait"); do
		[ -s "$W/sim.pid" ] && break
		kill -0 "$SIM_PID" 2>/dev/null || break
		sleep 0.05
	done
	rm -f "$W/sim.pid"
	tpm2_startup -c >/dev/null 2>&1 || true
}

stop_sim() {
	if [ -n "$SIM_PID" ]; then
		kill -TERM "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null
		SIM_PID=
	fi
}

# The relay's far end: husk and its guest under QEMU, or the fake guest in
# front of a second simulator.
start_guest() {
	if [ "$RELAY" = image ]; then
		# Its own process group, so that cleanup reaches QEMU too.
		setsid "$LAUNCH" --smp "$SMP" --timeout $((RELAY_TIMEOUT * 6)) --cmdline "guest.mode=relay" \
			--qemu-arg -chardev --qemu-arg "socket,id=com2,path=$COM2,server=on,wait=off" \
			--qemu-arg -serial --qemu-arg chardev:com2 \
			--qemu-arg -pidfile --qemu-arg "$W/qemu.pid" \
			"$RELAY_IMAGE" >"$W/qemu.log" 2>&1 &
		GUEST_PID=$!
	else
		"$SIM" --protocol swtpm --backend "$BACKEND" --port "$INNER_PORT" \
			--pidfile "$W/inner.pid" >"$W/inner.log" 2>&1 &
		INNER_PID=$!
		for _ in $(seq 100); do
			[ -s "$W/inner.pid" ] && break
			sleep 0.05
		done
		"${PYTHON:-python3}" "$HERE/fake_relay_guest.py" --socket "$COM2" \
			--tpm-port "$INNER_PORT" >"$W/qemu.log" 2>&1 &
		GUEST_PID=$!
	fi
}

# Waits up to $1 seconds for the far end to finish; its exit status, or
# 124 if it had to be killed.
wait_guest() {
	local rc=124
	for _ in $(seq $(($1 * 10))); do
		kill -0 "$GUEST_PID" 2>/dev/null || break
		sleep 0.1
	done
	if ! kill -0 "$GUEST_PID" 2>/dev/null; then
		wait "$GUEST_PID" 2>/dev/null
		rc=$?
		GUEST_PID=
	fi
	return $rc
}

stop_guest() {
	if [ -n "$GUEST_PID" ]; then
		if [ "$RELAY" = image ]; then
			kill -TERM -- -"$GUEST_PID" 2>/dev/null
		else
			kill -TERM "$GUEST_PID" 2>/dev/null
		fi
		wait "$GUEST_PID" 2>/dev/null
		GUEST_PID=
	fi
	# QEMU removes its pidfile as it exits: gone is fine.
	local qpid
	qpid=$(cat "$W/qemu.pid" 2>/dev/null) && kill -KILL "$qpid" 2>/dev/null
	rm -f "$W/qemu.pid"
	if [ -n "$INNER_PID" ]; then
		kill -TERM "$INNER_PID" 2>/dev/null
		wait "$INNER_PID" 2>/dev/null
		INNER_PID=
	fi
}

# step NAME FUNCTION: runs FUNCTION with errexit in a subshell, in $W.
step() {
	local name=$1 fn=$2 log=$W/$1.log
	local rc
	# errexit must not be suspended: bash ignores -e in anything run as an
	# if condition, in an && list or after !, so the status is taken apart.
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
	tpm2_flushcontext -s >/dev/null 2>&1 || true
}

# Without a resource manager, objects a tool loads from a context file stay
# loaded; a TPM has few slots.  T runs a tool and then flushes transient
# objects, as a resource manager would (the context files stay valid).
T() {
	local rc=0
	"$@" || rc=$?
	tpm2_flushcontext -t >/dev/null 2>&1 || true
	return $rc
}

# fails CMD...: CMD must fail (a plain "! CMD" would not stop a step under -e).
fails() {
	if "$@"; then
		echo "expected to fail: $*"
		return 1
	fi
	return 0
}

hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }
sha256hex() { sha256sum "$1" | cut -d' ' -f1; }
# The PCR value after extending a zero PCR with digest $1 (hex).
extend_zero() { printf '%064d%s' 0 "$1" | xxd -r -p | sha256sum | cut -d' ' -f1; }

s_getrandom() {
	out=$(T tpm2_getrandom 16 --hex)
	[ ${#out} -eq 32 ]
	a=$(T tpm2_getrandom 16 --hex)
	[ "$out" != "$a" ]
}

s_pcr() {
	T tpm2_pcrreset 16
	T tpm2_pcrread sha256:16 -o p0.bin >/dev/null
	zero=$(hex p0.bin)
	[ "$zero" = "$(printf '%064d' 0)" ]
	d=$(printf 'husk' | sha256sum | cut -d' ' -f1)
	T tpm2_pcrextend "16:sha256=$d"
	T tpm2_pcrread sha256:16 -o p1.bin
	[ "$(hex p1.bin)" = "$(extend_zero "$d")" ]
	printf 'event data' >event.bin
	T tpm2_pcrevent 16 event.bin
	T tpm2_pcrread sha256:16 -o p2.bin
	expect=$( (xxd -r -p <<<"$(hex p1.bin)"; printf 'event data' | sha256sum | cut -d' ' -f1 | xxd -r -p) | sha256sum | cut -d' ' -f1)
	[ "$(hex p2.bin)" = "$expect" ]
	T tpm2_pcrreset 16
	T tpm2_pcrread sha256:16 -o p3.bin
	[ "$(hex p3.bin)" = "$zero" ]
	# every allocated bank and a multi-bank read
	T tpm2_pcrread sha1:0,1,2+sha256:0,1,2+sha384:0
}

s_createprimary() {
	T tpm2_createprimary -C o -g sha256 -G rsa -c rsa_o.ctx
	T tpm2_readpublic -c rsa_o.ctx -o rsa_o.pem -f pem
	openssl pkey -pubin -in rsa_o.pem -noout -text >rsa_o.txt
	grep -q 'Public-Key: (2048 bit)' rsa_o.txt
	tpm2_flushcontext -t
	T tpm2_createprimary -C o -g sha256 -G ecc -c ecc_o.ctx
	T tpm2_readpublic -c ecc_o.ctx -o ecc_o.pem -f pem
	openssl pkey -pubin -in ecc_o.pem -noout -text >ecc_o.txt
	grep -q 'prime256v1' ecc_o.txt
	tpm2_flushcontext -t
	T tpm2_createprimary -C e -g sha256 -G ecc -c ecc_e.ctx
	T tpm2_readpublic -c ecc_e.ctx -o ecc_e.pem -f pem
	fails cmp -s ecc_o.pem ecc_e.pem
	tpm2_flushcontext -t
	# The same template in the same hierarchy gives the same key.
	T tpm2_createprimary -C o -g sha256 -G ecc -c ecc_o2.ctx
	T tpm2_readpublic -c ecc_o2.ctx -o ecc_o2.pem -f pem
	cmp ecc_o.pem ecc_o2.pem
	tpm2_flushcontext -t
	# TCG EK templates (RSA 2048 and ECC P-256)
	T tpm2_createek -G rsa -u ek_rsa.pub -c ek_rsa.ctx
	T tpm2_readpublic -c ek_rsa.ctx -o ek_rsa.pem -f pem
	tpm2_flushcontext -t
	T tpm2_createek -G ecc -u ek_ecc.pub -c ek_ecc.ctx
	T tpm2_readpublic -c ek_ecc.ctx -o ek_ecc.pem -f pem
	}

sign_with() {
	alg=$1
	T tpm2_createprimary -C o -c prim.ctx
	T tpm2_create -C prim.ctx -G "$alg" -u k.pub -r k.priv
	T tpm2_load -C prim.ctx -u k.pub -r k.priv -c k.ctx
	printf 'message to sign' >msg
	T tpm2_sign -c k.ctx -g sha256 -o sig.tss msg
	T tpm2_verifysignature -c k.ctx -g sha256 -m msg -s sig.tss
	T tpm2_sign -c k.ctx -g sha256 -f plain -o sig.raw msg
	T tpm2_readpublic -c k.ctx -f pem -o k.pem
	openssl dgst -sha256 -verify k.pem -signature sig.raw msg
	printf 'other message' >msg2
	fails openssl dgst -sha256 -verify k.pem -signature sig.raw msg2
	fails T tpm2_verifysignature -c k.ctx -g sha256 -m msg2 -s sig.tss
}
s_sign_rsa() { sign_with rsa2048; }
s_sign_ecc() { sign_with ecc256; }

s_quote() {
	T tpm2_createek -G rsa -u ek.pub -c ek.ctx
	T tpm2_createak -C ek.ctx -c ak.ctx -G rsa -g sha256 -s rsassa -u ak.pub -f pem -n ak.name
	T tpm2_quote -c ak.ctx -l sha256:0,1,16 -q abcdef0123 -m q.msg -s q.sig -o q.pcrs -g sha256
	T tpm2_checkquote -u ak.pub -m q.msg -s q.sig -f q.pcrs -g sha256 -q abcdef0123
	fails T tpm2_checkquote -u ak.pub -m q.msg -s q.sig -f q.pcrs -g sha256 -q abcdef0124
}

s_seal_pcr_policy() {
	T tpm2_pcrreset 16
	T tpm2_startauthsession -S trial.ctx
	T tpm2_policypcr -S trial.ctx -l sha256:16 -L pol.dat
	tpm2_flushcontext trial.ctx
	T tpm2_createprimary -C o -c prim.ctx
	printf 'sealed secret' | T tpm2_create -C prim.ctx -L pol.dat -i- -u seal.pub -r seal.priv
	T tpm2_load -C prim.ctx -u seal.pub -r seal.priv -c seal.ctx
	[ "$(T tpm2_unseal -c seal.ctx -p pcr:sha256:16)" = "sealed secret" ]
	T tpm2_pcrextend "16:sha256=$(printf '%064d' 1)"
	fails T tpm2_unseal -c seal.ctx -p pcr:sha256:16
	T tpm2_pcrreset 16
	[ "$(T tpm2_unseal -c seal.ctx -p pcr:sha256:16)" = "sealed secret" ]
}

s_nv() {
	T tpm2_nvdefine 0x1500016 -C o -s 32 -a "ownerread|ownerwrite|authread|authwrite"
	head -c 32 /dev/urandom >nvdata
	T tpm2_nvwrite 0x1500016 -C o -i nvdata
	T tpm2_nvread 0x1500016 -C o -s 32 -o nvout
	cmp nvdata nvout
	T tpm2_nvreadpublic 0x1500016 >nvpub.txt
	grep -q 0x1500016 nvpub.txt
	T tpm2_nvdefine 0x1500017 -C o -s 8 -a "nt=counter|ownerread|ownerwrite"
	T tpm2_nvincrement 0x1500017 -C o
	T tpm2_nvread 0x1500017 -C o -s 8 -o c1
	T tpm2_nvincrement 0x1500017 -C o
	T tpm2_nvread 0x1500017 -C o -s 8 -o c2
	[ $((0x$(hex c2))) -eq $((0x$(hex c1) + 1)) ]
	T tpm2_nvdefine 0x1500018 -C o -g sha256 -a "nt=extend|ownerread|ownerwrite"
	printf 'extend me' >ext
	T tpm2_nvextend 0x1500018 -C o -i ext
	T tpm2_nvread 0x1500018 -C o -s 32 -o extout
	# NV_Extend: H(old || data), old = zeros for a new index
	[ "$(hex extout)" = "$( (printf '%064d' 0 | xxd -r -p; cat ext) | sha256sum | cut -d' ' -f1)" ]
	T tpm2_nvdefine 0x1500019 -C o -s 8 -a "nt=bits|ownerread|ownerwrite"
	T tpm2_nvsetbits 0x1500019 -C o -i 0x5
	T tpm2_nvsetbits 0x1500019 -C o -i 0x10
	T tpm2_nvread 0x1500019 -C o -s 8 -o bits
	[ "$(hex bits)" = "0000000000000015" ]
	for i in 16 17 18 19; do T tpm2_nvundefine 0x15000$i -C o; done
	fails T tpm2_nvreadpublic 0x1500016
}

s_hash_hmac() {
	printf 'hash this' >h.in
	T tpm2_hash -g sha256 -o h.out h.in
	[ "$(hex h.out)" = "$(sha256hex h.in)" ]
	head -c 5000 /dev/urandom >big.in     # larger than one command: a sequence
	T tpm2_hash -g sha256 -o big.out big.in
	[ "$(hex big.out)" = "$(sha256hex big.in)" ]
	T tpm2_createprimary -C o -c prim.ctx
	T tpm2_create -C prim.ctx -G hmac -c hmac.ctx
	a=$(T tpm2_hmac -c hmac.ctx --hex h.in)
	b=$(T tpm2_hmac -c hmac.ctx --hex h.in)
	c=$(T tpm2_hmac -c hmac.ctx --hex big.in)
	[ "$a" = "$b" ] && [ "$a" != "$c" ] && [ ${#a} -eq 64 ]
}

s_rsa_encrypt() {
	T tpm2_createprimary -C o -c prim.ctx
	T tpm2_create -C prim.ctx -G rsa2048 -u k.pub -r k.priv -a "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|decrypt"
	T tpm2_load -C prim.ctx -u k.pub -r k.priv -c k.ctx
	printf 'plaintext' >pt
	T tpm2_rsaencrypt -c k.ctx -o ct pt
	T tpm2_rsadecrypt -c k.ctx -o pt2 ct
	cmp pt pt2
	# Encrypted outside the TPM with OpenSSL (PKCS#1 v1.5), decrypted inside.
	T tpm2_readpublic -c k.ctx -f pem -o k.pem
	openssl pkeyutl -encrypt -pubin -inkey k.pem -in pt -out ct2
	T tpm2_rsadecrypt -c k.ctx -s rsaes -o pt3 ct2
	cmp pt pt3
}

s_evictcontrol() {
	T tpm2_createprimary -C o -g sha256 -G ecc -c prim.ctx
	T tpm2_evictcontrol -C o -c prim.ctx 0x81000010
	T tpm2_readpublic -c 0x81000010 -o persist.pem -f pem
	T tpm2_getcap handles-persistent >persistent.txt
	grep -q 0x81000010 persistent.txt
	T tpm2_create -C 0x81000010 -G ecc -u c.pub -r c.priv
	T tpm2_load -C 0x81000010 -u c.pub -r c.priv -c c.ctx
}

s_getcap() {
	for cap in algorithms commands pcrs properties-fixed properties-variable ecc-curves \
		handles-transient handles-persistent handles-permanent handles-pcr handles-nv-index \
		handles-loaded-session handles-saved-session; do
		echo "== $cap"
		T tpm2_getcap "$cap"
	done
	T tpm2_getcap properties-fixed >props.txt
	grep -q TPM2_PT_FAMILY_INDICATOR props.txt
}

s_before_power_cycle() {
	T tpm2_nvdefine 0x1500020 -C o -s 16 -a "ownerread|ownerwrite"
	printf 'survives reboots' >keep
	T tpm2_nvwrite 0x1500020 -C o -i keep
	T tpm2_createek -G rsa -u ek1.pub -c ek1.ctx
	T tpm2_readpublic -c ek1.ctx -o ek1.pem -f pem
	tpm2_flushcontext -t
	T tpm2_shutdown -c
}

s_after_power_cycle() {
	T tpm2_readpublic -c 0x81000010 -o persist2.pem -f pem
	cmp "$W/persist.pem" persist2.pem
	T tpm2_nvread 0x1500020 -C o -s 16 -o keep2
	cmp keep keep2
	T tpm2_createek -G rsa -u ek2.pub -c ek2.ctx
	T tpm2_readpublic -c ek2.ctx -o ek2.pem -f pem
	cmp ek1.pem ek2.pem
}

# Relay modes: state before the (refused) power cycle, without
# TPM2_Shutdown: the vTPM is not going to be reset.
s_relay_before() {
	T tpm2_nvdefine 0x1500020 -C o -s 16 -a "ownerread|ownerwrite"
	printf 'survives reboots' >keep
	T tpm2_nvwrite 0x1500020 -C o -i keep
	T tpm2_createek -G rsa -u ek1.pub -c ek1.ctx
	T tpm2_readpublic -c ek1.ctx -o ek1.pem -f pem
}

# The client's power cycle is refused (husk never lets the guest side reset
# its vTPM's PCRs), and nothing changed: PCR 16, the persistent key, the NV
# index, the EK.
s_power_cycle_refused() {
	T tpm2_pcrextend "16:sha256=$(printf 'relay' | sha256sum | cut -d' ' -f1)"
	T tpm2_pcrread sha256:16 -o pcr_before.bin
	[ "$(hex pcr_before.bin)" != "$(printf '%064d' 0)" ]
	if [ "$PROTOCOL" = swtpm ]; then
		fails "${PYTHON:-python3}" "$HERE/../../tools/tpm-sim/simctl.py" swtpm-ctrl $((PORT + 1)) init
		fails "${PYTHON:-python3}" "$HERE/../../tools/tpm-sim/simctl.py" swtpm-ctrl $((PORT + 1)) stop
	else
		fails "${PYTHON:-python3}" "$HERE/../../tools/tpm-sim/simctl.py" mssim $((PORT + 1)) power-off
		fails "${PYTHON:-python3}" "$HERE/../../tools/tpm-sim/simctl.py" mssim $((PORT + 1)) reset
	fi
	grep -q 'husk refused the power cycle' "$W/sim.log"
	T tpm2_pcrread sha256:16 -o pcr_after.bin
	cmp pcr_before.bin pcr_after.bin
	T tpm2_readpublic -c 0x81000010 -o persist2.pem -f pem
	cmp "$W/persist.pem" persist2.pem
	T tpm2_nvread 0x1500020 -C o -s 16 -o keep2
	cmp keep keep2
	T tpm2_createek -G rsa -u ek2.pub -c ek2.ctx
	T tpm2_readpublic -c ek2.ctx -o ek2.pem -f pem
	cmp ek1.pem ek2.pem
}

s_clear() {
	T tpm2_clear -c l
	fails T tpm2_readpublic -c 0x81000010
	fails T tpm2_nvreadpublic 0x1500020
	T tpm2_createprimary -C o -g sha256 -G ecc -c after.ctx
	T tpm2_readpublic -c after.ctx -o after.pem -f pem
	fails cmp -s after.pem "$W/persist.pem"     # new storage seed
	tpm2_flushcontext -t
	T tpm2_createek -G rsa -u ek3.pub -c ek3.ctx
	T tpm2_readpublic -c ek3.ctx -o ek3.pem -f pem
	cmp ek3.pem ek2.pem                     # the endorsement seed stays
}

case "$RELAY" in
image) echo "tpm2-tools scenarios: husk's vTPM through the test guest ($RELAY_IMAGE), protocol $PROTOCOL, port $PORT" ;;
fake) echo "tpm2-tools scenarios: backend $BACKEND behind the fake relay guest, protocol $PROTOCOL, port $PORT" ;;
*) echo "tpm2-tools scenarios: backend $BACKEND, protocol $PROTOCOL, port $PORT" ;;
esac
if [ -n "$RELAY" ]; then
	start_guest
fi
start_sim
if [ -z "$SIM_PID" ] || ! kill -0 "$SIM_PID" 2>/dev/null; then
	echo "FAIL start: husk-tpm-sim did not come up"
	sed 's/^/      | /' "$W/sim.log" | tail -25
	[ -n "$RELAY" ] && sed 's/^/      | /' "$W/qemu.log" | tail -40
	exit 100
fi
step getrandom s_getrandom
step pcr_read_extend_event_reset s_pcr
step createprimary_rsa_ecc_owner_endorsement_ek s_createprimary
step sign_verify_openssl_rsa s_sign_rsa
step sign_verify_openssl_ecc s_sign_ecc
step ak_quote_checkquote s_quote
step seal_unseal_pcr_policy s_seal_pcr_policy
step nv_define_write_read_increment_extend_setbits_undefine s_nv
step hash_hmac s_hash_hmac
step rsa_encrypt_decrypt s_rsa_encrypt
step evictcontrol_persistent_parent s_evictcontrol
step getcap_every_capability s_getcap
if [ -n "$RELAY" ]; then
	step state_before_power_cycle s_relay_before
	step power_cycle_refused_state_unchanged s_power_cycle_refused
	step clear s_clear
	# The relay ends relay mode as it exits; the guest then ends the VM
	# (husk-launch exit 0) or the fake guest exits 0.
	stop_sim
	if wait_guest 120; then
		echo "PASS relay_end_guest_exits_cleanly"
		PASS=$((PASS + 1))
	else
		echo "FAIL relay_end_guest_exits_cleanly"
		sed 's/^/      | /' "$W/qemu.log" | tail -25
		FAIL=$((FAIL + 1))
	fi
else
	step state_before_power_cycle s_before_power_cycle
	# A power cycle: the simulator saves its NV state at SIGTERM and loads it
	# when it starts again.
	stop_sim
	start_sim
	step power_cycle_state_kept s_after_power_cycle
	step clear s_clear
fi
echo "scenarios: $PASS passed, $FAIL failed"
[ "$FAIL" -gt 100 ] && FAIL=100
exit "$FAIL"
