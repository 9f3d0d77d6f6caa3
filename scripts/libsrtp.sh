#!/usr/bin/env bash
# libsrtp2 from Debian's own source package (apt-get source libsrtp2, with Debian's patches
# and compiler flags) built with another crypto backend than Debian's NSS, into a prefix of
# its own under the cache (.cache/media-srtp) -- never installed system-wide. omniq_media
# links the openssl one into itself (its Makefile: SRTP_PREFIX, the static libsrtp2.a, no
# srtp_ symbol exported); bench/media compares the builds (FINDINGS.md says why: Debian's
# NSS backend costs more per packet the more streams a process holds).
#
#   libsrtp.sh openssl [CACHE]   --enable-openssl: AES (AES-NI), HMAC-SHA1 and GCM from libcrypto
#   libsrtp.sh builtin [CACHE]   no crypto library: libsrtp's own C AES and SHA-1 (no GCM)
#
# Prints the prefix (on stdout) and exits 0 when the library is there; exits non-zero with a
# reason on stderr when it cannot be built (no deb-src, no libssl-dev...). Idempotent: a
# prefix whose stamp names the same source version and flags is kept as it is. The prefix
# has libsrtp2.so.1 (what media_bench links) and libsrtp2.a (position-independent: what a
# module would link into itself, FINDINGS.md).
set -euo pipefail
variant=${1:?usage: libsrtp.sh openssl|builtin [CACHE]}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
cache="${2:-$root/.cache}/media-srtp"
prefix="$cache/$variant"
log="$cache/$variant.log"

case "$variant" in
  openssl) backend=(--enable-openssl) ;;
  builtin) backend=() ;;
  *) echo "libsrtp.sh: no variant $variant (openssl|builtin)" >&2; exit 2 ;;
esac
# Debian's configure flags (debian/rules) with its --enable-nss replaced by the backend
flags="--disable-stdout --enable-syslog --disable-debug ${backend[*]}"

mkdir -p "$cache"
src_dir() { find "$cache/src" -mindepth 1 -maxdepth 1 -type d -name 'libsrtp2-*' 2>/dev/null | head -1 || true; }
want_ver=$(dpkg-query -W -f='${Version}' libsrtp2-1 2>/dev/null || true)
stamp="libsrtp2 ${want_ver:-?} $flags static+shared"
if [ -f "$prefix/lib/libsrtp2.so.1" ] && [ "$(cat "$prefix/.stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$prefix"
  exit 0
fi

if [ "$variant" = openssl ] && ! pkg-config --exists libcrypto; then
  echo "libsrtp.sh: no libcrypto development files (apt-get install libssl-dev)" >&2
  exit 1
fi

# the source: Debian's package of the version installed (its patches applied by dpkg-source)
s=$(src_dir)
if [ -z "$s" ] || [ "$(cat "$cache/src/.version" 2>/dev/null)" != "$want_ver" ]; then
  rm -rf "$cache/src"
  mkdir -p "$cache/src"
  if ! (cd "$cache/src" && apt-get source "libsrtp2${want_ver:+=$want_ver}") >"$cache/src.log" 2>&1; then
    echo "libsrtp.sh: apt-get source libsrtp2 failed (deb-src enabled? see $cache/src.log)" >&2
    exit 1
  fi
  echo "$want_ver" >"$cache/src/.version"
  s=$(src_dir)
fi

# a build tree per variant (configure writes into the tree), Debian's CFLAGS as in its rules:
# dpkg-buildflags, -O2 replaced by -O4 -fexpensive-optimizations -funroll-loops, -D_REENTRANT
b="$cache/build-$variant"
rm -rf "$b" "$prefix"
cp -a "$s" "$b"
cflags="$(dpkg-buildflags --get CFLAGS | sed 's/-O2//') -D_REENTRANT -O4 -fexpensive-optimizations -funroll-loops"
echo "libsrtp.sh: building libsrtp2 ($variant) in $b (log: $log)" >&2
if ! (cd "$b" && CFLAGS="$cflags" LDFLAGS="$(dpkg-buildflags --get LDFLAGS)" \
        ./configure --prefix="$prefix" $flags \
      && make -j"$(nproc)" libsrtp2.a shared_library \
      && make install) >"$log" 2>&1; then
  echo "libsrtp.sh: the $variant build failed (see $log)" >&2
  rm -rf "$prefix"
  exit 1
fi
echo "$stamp" >"$prefix/.stamp"
echo "$prefix"
