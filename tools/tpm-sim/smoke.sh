#!/usr/bin/env bash
# Smoke test of husk-tpm-sim with unmodified tpm2-tools, for each protocol
# (swtpm, mssim): startup, getrandom, PCR extend/read, createprimary,
# flushcontext, an NV index that must survive a power cycle through the
# control/platform port and a restart of the server from its state file,
# hostile clients (tools/tpm-sim/simctl.py hostile), clean stop and SIGTERM.
#
# Environment: BACKEND=libtpms|husk (default libtpms), PROTOCOLS (default
# "swtpm mssim"), HUSK_TPM_SIM (the binary; default build/host/tools/husk-tpm-sim).
# Prints one PASS/FAIL line per step; exits 1 if any failed.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${HUSK_TPM_SIM:-$ROOT/build/host/tools/husk-tpm-sim}
BACKEND=${BACKEND:-libtpms}
PROTOCOLS=${PROTOCOLS:-swtpm mssim}
SIMCTL=("${PYTHON:-python3}" "$HERE/simctl.py")
NV_INDEX=0x01500016
# PCR 16 after extending zeros with 32 bytes of 0xaa in SHA-256
PCR16_EXPECTED=0x9EF814B42FA0BE12D197C44D3E8E03441A4B1118237658368BA1351090E556ED
PCR16_ZERO=0x0000000000000000000000000000000000000000000000000000000000000000

passed=0
failed=0
failures=()
TMP=$(mktemp -d /tmp/husk-tpm-sim-smoke.XXXXXX)
SERVER_PID=

pass() {
	echo "PASS $1${2:+: $2}"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $1${2:+: $2}"
	failed=$((failed + 1))
	failures+=("$1")
}

# step NAME COMMAND...: PASS if the command succeeds, else FAIL with its output.
step() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$name"
	else
		fail "$name" "$(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
	fi
}

cleanup() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

# start_server PROTO PORT DIR [extra args]: runs the server in the background.
start_server() {
	local proto=$1 port=$2 dir=$3
	shift 3
	rm -f "$dir/pid"
	"$BIN" --protocol "$proto" --backend "$BACKEND" --port "$port" --state "$dir/state" \
		--pidfile "$dir/pid" --log-commands "$@" 2>>"$dir/server.log" &
	SERVER_PID=$!
	for _ in $(seq 100); do
		[ -s "$dir/pid" ] && return 0
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

# wait_exit NAME SECONDS: PASS if the server exits with status 0 in time.
# Runs in this shell, not through step: only the parent shell can wait.
wait_exit() {
	local rc
	for _ in $(seq $(($2 * 20))); do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			wait "$SERVER_PID"
			rc=$?
			SERVER_PID=
			if [ "$rc" -eq 0 ]; then
				pass "$1"
			else
				fail "$1" "exit status $rc"
			fi
			return
		fi
		sleep 0.05
	done
	fail "$1" "still running after $2 s"
}

check_getrandom() {
	local out
	out=$(tpm2_getrandom 8 --hex) || return 1
	[[ $out =~ ^[0-9a-f]{16}$ ]] || { echo "unexpected output '$out'"; return 1; }
	echo "$out"
}

check_pcr16() {
	local out
	out=$(tpm2_pcrread sha256:16) || return 1
	grep -q "16: $1" <<<"$out" || { echo "PCR16: $out"; return 1; }
}

check_nvread() {
	tpm2_nvread "$NV_INDEX" -C o -s 32 -o "$1/nvout" >/dev/null || return 1
	cmp "$1/nvdata" "$1/nvout"
}

# power_cycle PROTO CTRL_PORT: off and on through the control/platform port.
power_cycle() {
	if [ "$1" = swtpm ]; then
		if command -v swtpm_ioctl >/dev/null; then
			swtpm_ioctl --tcp "127.0.0.1:$2" --stop && swtpm_ioctl --tcp "127.0.0.1:$2" -i
		else
			"${SIMCTL[@]}" swtpm-ctrl "$2" stop init
		fi
	else
		"${SIMCTL[@]}" mssim "$2" power-off power-on
	fi
}

# stop_server PROTO CTRL_PORT: the protocol's own request to exit.
stop_server() {
	if [ "$1" = swtpm ]; then
		if command -v swtpm_ioctl >/dev/null; then
			swtpm_ioctl --tcp "127.0.0.1:$2" -s
		else
			"${SIMCTL[@]}" swtpm-ctrl "$2" shutdown
		fi
	else
		"${SIMCTL[@]}" mssim "$2" stop
	fi
}

state_file_ok() {
	[ -s "$1/state" ] || { echo "no state file"; return 1; }
	head -c 8 "$1/state" | grep -q HUSKTPMS || { echo "bad magic"; return 1; }
}

run_protocol() {
	local proto=$1 dir="$TMP/$1" port ctrl
	mkdir -p "$dir"
	head -c 32 /dev/urandom >"$dir/nvdata"
	port=$("${SIMCTL[@]}" free-port) || { fail "$proto/free-port"; return; }
	ctrl=$((port + 1))
	export TPM2TOOLS_TCTI="$proto:host=127.0.0.1,port=$port"
	echo "# $proto on 127.0.0.1:$port/$ctrl, $BACKEND engine, log $dir/server.log"

	if ! start_server "$proto" "$port" "$dir"; then
		fail "$proto/start" "$(tail -n 3 "$dir/server.log" | tr '\n' ' ')"
		return
	fi
	pass "$proto/start"
	step "$proto/startup" tpm2_startup -c
	step "$proto/getrandom" check_getrandom
	step "$proto/pcrextend" tpm2_pcrextend "16:sha256=$(printf 'aa%.0s' $(seq 32))"
	step "$proto/pcrread" check_pcr16 "$PCR16_EXPECTED"
	step "$proto/createprimary" tpm2_createprimary -C o -c "$dir/primary.ctx"
	step "$proto/flushcontext" tpm2_flushcontext -t
	step "$proto/nvdefine" tpm2_nvdefine "$NV_INDEX" -C o -s 32 -a "ownerread|ownerwrite"
	step "$proto/nvwrite" tpm2_nvwrite "$NV_INDEX" -C o -i "$dir/nvdata"
	step "$proto/shutdown" tpm2_shutdown -c
	step "$proto/power-cycle" power_cycle "$proto" "$ctrl"
	step "$proto/state-file-written" state_file_ok "$dir"
	step "$proto/startup-after-cycle" tpm2_startup -c
	step "$proto/pcr16-reset-by-cycle" check_pcr16 "$PCR16_ZERO"
	step "$proto/nvread-after-cycle" check_nvread "$dir"
	step "$proto/hostile-clients" "${SIMCTL[@]}" hostile "$proto" "$port" "$ctrl"
	step "$proto/alive-after-hostile" check_getrandom
	step "$proto/stop" stop_server "$proto" "$ctrl"
	wait_exit "$proto/exit-after-stop" 5

	# A new process boots from the state file alone.
	if ! start_server "$proto" "$port" "$dir"; then
		fail "$proto/restart" "$(tail -n 3 "$dir/server.log" | tr '\n' ' ')"
		return
	fi
	pass "$proto/restart"
	step "$proto/startup-after-restart" tpm2_startup -c
	step "$proto/nvread-after-restart" check_nvread "$dir"
	step "$proto/sigterm" kill -TERM "$SERVER_PID"
	wait_exit "$proto/exit-after-sigterm" 5
	step "$proto/pidfile-removed" test ! -e "$dir/pid"
	step "$proto/state-file-after-sigterm" state_file_ok "$dir"
	if [ "$failed" -gt 0 ]; then
		echo "# last lines of $dir/server.log:"
		tail -n 15 "$dir/server.log" | sed 's/^/#   /'
	fi
}

if [ ! -x "$BIN" ]; then
	echo "FAIL tpm-sim: $BIN not built (make $(realpath --relative-to="$ROOT" "$BIN" 2>/dev/null || echo "$BIN"))"
	exit 1
fi
for tool in tpm2_startup "${SIMCTL[0]}"; do
	command -v "$tool" >/dev/null || { echo "FAIL tpm-sim: $tool not installed"; exit 1; }
done
for proto in $PROTOCOLS; do
	run_protocol "$proto"
done
if [ "$failed" -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
