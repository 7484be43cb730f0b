#!/bin/sh
# Fetches memcached 1.6.18's source (its t/ test files) from Debian's
# archive with apt-get source, the only network fetch CI allows besides npm,
# and unpacks it into DEST/memcached-1.6.18. apt runs with a private source
# list and state directory, so the machine's apt configuration is untouched
# and no deb-src line needs enabling.
#
#   test/memcached-suite/fetch-source.sh DEST
#
# Prints the unpacked directory; exits non-zero (printing why) when apt
# cannot get it.
set -eu
DEST=$1
VERSION=1.6.18
if [ -f "$DEST/memcached-$VERSION/t/lib/MemcachedTest.pm" ]; then
  echo "$DEST/memcached-$VERSION"
  exit 0
fi
APT=$(mktemp -d "${TMPDIR:-/tmp}/gac-apt-src-XXXXXX")
trap 'rm -rf "$APT"' EXIT
mkdir -p "$APT/parts" "$APT/lists/partial" "$DEST"
cat > "$APT/parts/debian-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
opts="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$APT/parts -o Dir::State::Lists=$APT/lists -o Debug::NoLocking=1 -qq"
# shellcheck disable=SC2086
apt-get $opts update >&2
# shellcheck disable=SC2086
# No "=version": apt then looks for the installed binary's version
# (1.6.18-1+deb12u1, a binary-only update) among the sources and fails.
# bookworm's only source is 1.6.18-1; the tarball name below checks it.
(cd "$APT" && apt-get $opts source --download-only memcached >&2)
tar -xJf "$APT/memcached_$VERSION.orig.tar.xz" -C "$DEST"
[ -f "$DEST/memcached-$VERSION/t/lib/MemcachedTest.pm" ] || { echo "memcached-$VERSION.orig.tar.xz has no t/lib/MemcachedTest.pm" >&2; exit 1; }
echo "$DEST/memcached-$VERSION"
