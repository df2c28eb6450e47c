#!/bin/sh
# Make sure the Debian packages husk builds and tests with are installed.
# As root: installs what is missing with apt-get.  Otherwise: says what to run.
set -eu

PKGS="gcc make binutils libc6-dev clang libclang-rt-14-dev llvm libcmocka-dev \
qemu-system-x86 python3 curl bzip2 ca-certificates \
libtss2-dev tpm2-tools swtpm swtpm-tools libtpms-dev openssl valgrind \
libjsmn-dev python3-cryptography libcurl4-openssl-dev"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "husk: missing Debian packages:$missing" >&2
	echo "husk: run as root:  apt-get install -y$missing   (or: sudo make deps)" >&2
	exit 1
fi

echo "husk: installing Debian packages:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || { echo "husk: apt-get update failed; check network/apt sources" >&2; exit 1; }
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
	echo "husk: apt-get install failed for:$missing" >&2; exit 1; }
