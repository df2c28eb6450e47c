#!/bin/sh
# Fetch the pinned mbedTLS source (Debian's 3.6 LTS source package) into third_party/.
#
# Gets mbedtls_3.6.6.orig.tar.bz2 from the Debian pool (or, if the pool has
# dropped it, with `apt-get source` from a temporary trixie deb-src entry),
# refuses it unless its SHA-256 matches the pinned one, and unpacks it to
# third_party/mbedtls-3.6.6/.  Idempotent: a stamp records what was unpacked.
#
# Environment (all optional):
#   HUSK_MBEDTLS_TARBALL  a local copy of the orig tarball to use instead of
#                         downloading (still verified against the pin)
#   HUSK_DEBIAN_MIRROR    Debian mirror base URL (default http://deb.debian.org/debian)
#   HUSK_MBEDTLS_URL      the tarball's URL (default: the mirror's pool path)
#   HUSK_MBEDTLS_FORCE=1  unpack again even if the stamp says it is done
set -eu

VERSION=3.6.6
DEB_VERSION=3.6.6-0.1~deb13u1
DEB_SUITE=trixie
TARBALL=mbedtls_${VERSION}.orig.tar.bz2
SHA256=8fb65fae8dcae5840f793c0a334860a411f884cc537ea290ce1c52bb64ca007a
MIRROR=${HUSK_DEBIAN_MIRROR:-http://deb.debian.org/debian}
POOL_URL=${HUSK_MBEDTLS_URL:-$MIRROR/pool/main/m/mbedtls/$TARBALL}

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TP=$ROOT/third_party
DEST=$TP/mbedtls-$VERSION
STAMP=$TP/mbedtls-$VERSION.stamp
APT_SRC=/etc/apt/sources.list.d/husk-mbedtls-$DEB_SUITE-src.sources

say() { echo "husk: mbedtls: $*" >&2; }
die() { say "$*"; exit 1; }

if [ "${HUSK_MBEDTLS_FORCE:-0}" != 1 ] && [ -d "$DEST/library" ] && [ -f "$STAMP" ] &&
	[ "$(cat "$STAMP")" = "$SHA256  $TARBALL" ]; then
	exit 0
fi

for tool in sha256sum tar bzip2; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' is missing (run scripts/deps.sh as root)"
done

mkdir -p "$TP"
WORK=$(mktemp -d "$TP/.fetch-mbedtls.XXXXXX")
cleanup() {
	rm -rf "$WORK"
	if [ -n "${APT_SRC_CREATED:-}" ]; then
		rm -f "$APT_SRC"
		apt-get update -qq >/dev/null 2>&1 || say "warning: apt-get update after removing $APT_SRC failed"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# verify FILE -> 0 if FILE has the pinned checksum
verify() {
	[ -f "$1" ] || return 1
	got=$(sha256sum "$1" | cut -d' ' -f1)
	if [ "$got" != "$SHA256" ]; then
		say "checksum MISMATCH for $1"
		say "  expected $SHA256"
		say "  got      $got"
		return 1
	fi
	return 0
}

# fetch_pool -> tarball in $WORK/$TARBALL, or nonzero
fetch_pool() {
	command -v curl >/dev/null 2>&1 || { say "curl is missing (run scripts/deps.sh as root)"; return 1; }
	say "downloading $POOL_URL"
	curl -fsSL --retry 3 --connect-timeout 20 -o "$WORK/$TARBALL" "$POOL_URL" || {
		say "download from the Debian pool failed"
		return 1
	}
}

# fetch_apt -> tarball in $WORK/$TARBALL via a temporary deb-src entry, or nonzero
fetch_apt() {
	if [ "$(id -u)" -ne 0 ]; then
		say "the fallback (apt-get source from a temporary deb-src entry) needs root"
		return 1
	fi
	command -v apt-get >/dev/null 2>&1 || { say "apt-get is not available"; return 1; }
	keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -f "$keyring" ] || { say "$keyring is missing (install debian-archive-keyring)"; return 1; }
	say "falling back to: apt-get source --download-only mbedtls=$DEB_VERSION ($DEB_SUITE)"
	APT_SRC_CREATED=1
	cat >"$APT_SRC" <<EOF
# Temporary, written by husk's scripts/fetch-mbedtls.sh; removed when it exits.
Types: deb-src
URIs: $MIRROR
Suites: $DEB_SUITE
Components: main
Signed-By: $keyring
EOF
	apt-get update -qq >/dev/null 2>&1 || { say "apt-get update with $APT_SRC failed"; return 1; }
	(cd "$WORK" && apt-get source -qq --download-only "mbedtls=$DEB_VERSION") >/dev/null 2>&1 || {
		say "apt-get source mbedtls=$DEB_VERSION failed"
		return 1
	}
	[ -f "$WORK/$TARBALL" ] || { say "apt-get source did not produce $TARBALL"; return 1; }
}

# 1. Get a verified tarball into third_party/.
if verify "$TP/$TARBALL" 2>/dev/null; then
	:
elif [ -n "${HUSK_MBEDTLS_TARBALL:-}" ]; then
	cp "$HUSK_MBEDTLS_TARBALL" "$WORK/$TARBALL"
	verify "$WORK/$TARBALL" || die "refusing $HUSK_MBEDTLS_TARBALL: it is not the pinned mbedTLS $VERSION tarball"
	mv "$WORK/$TARBALL" "$TP/$TARBALL"
else
	rm -f "$TP/$TARBALL"
	if fetch_pool; then
		verify "$WORK/$TARBALL" || die "refusing $POOL_URL: checksum does not match the pin in $0 (mirror tampering, or Debian replaced the file: check before changing the pin)"
	elif fetch_apt; then
		verify "$WORK/$TARBALL" || die "refusing apt-get source's $TARBALL: checksum does not match the pin in $0"
	else
		say "could not obtain $TARBALL. Do one of:"
		say "  - download it by hand (e.g. from https://snapshot.debian.org/package/mbedtls/$DEB_VERSION/)"
		say "    and run: HUSK_MBEDTLS_TARBALL=/path/to/$TARBALL $0"
		say "  - run this script as root, so it can use apt-get source from Debian $DEB_SUITE"
		say "  - to move to a newer mbedTLS, follow docs/crypto.md (\"Updating mbedTLS\")"
		exit 1
	fi
	mv "$WORK/$TARBALL" "$TP/$TARBALL"
fi

# 2. Unpack beside the destination, then move into place in one step.
say "unpacking $TARBALL"
mkdir "$WORK/src"
tar -xjf "$TP/$TARBALL" -C "$WORK/src" || die "cannot unpack $TP/$TARBALL"
top=$(ls "$WORK/src")
[ "$(echo "$top" | wc -l)" -eq 1 ] && [ -f "$WORK/src/$top/include/mbedtls/build_info.h" ] ||
	die "unexpected layout in $TARBALL (top level: $top)"
grep -q "MBEDTLS_VERSION_STRING *\"$VERSION\"" "$WORK/src/$top/include/mbedtls/build_info.h" ||
	die "$TARBALL does not contain mbedTLS $VERSION"
rm -rf "$DEST" "$STAMP"
mv "$WORK/src/$top" "$DEST"
echo "$SHA256  $TARBALL" >"$STAMP"
say "mbedTLS $VERSION ready in ${DEST#"$ROOT"/}"
