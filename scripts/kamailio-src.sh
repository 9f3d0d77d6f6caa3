#!/usr/bin/env bash
# Prints the path of a configured Kamailio source tree matching the installed kamailio binary,
# fetching it from Debian's source package into the cache directory on first use.
#   KAMAILIO_SRC=/path  use that tree instead (it must have had `make cfg`).
set -euo pipefail
cache="${1:?usage: $0 CACHE_DIR}"
# absolute, so that what it prints works from any directory (make -C, docs/integrator.md)
cache=$(mkdir -p "$cache" && cd "$cache" && pwd)

if [ -n "${KAMAILIO_SRC:-}" ]; then
  [ -f "$KAMAILIO_SRC/src/config.mak" ] || { echo "KAMAILIO_SRC=$KAMAILIO_SRC: no src/config.mak, run 'make cfg' there" >&2; exit 1; }
  echo "$KAMAILIO_SRC"; exit 0
fi

ver=$(dpkg-query -W -f='${Version}' kamailio 2>/dev/null) || { echo "kamailio is not installed (scripts/deps.sh build)" >&2; exit 1; }
upstream=${ver%-*}; upstream=${upstream#*:}
tree="$cache/kamailio-$upstream"
if [ ! -f "$tree/.omniq-configured-$ver" ]; then
  mkdir -p "$cache"
  rm -rf "$tree"
  ( cd "$cache" && apt-get source -qq "kamailio=$ver" >/dev/null 2>"$cache/apt-source.log" ) || {
    echo "apt-get source kamailio=$ver failed (see $cache/apt-source.log); is deb-src enabled (scripts/deps.sh)?" >&2; exit 1; }
  # Configure exactly as debian/rules does, so MODULE_VERSION and the compile flags string
  # match the installed core and kamailio loads our modules without complaint.
  cc_extra="$(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get CFLAGS) -DVERSION_NODATE"
  ld_extra="$(dpkg-buildflags --get LDFLAGS)"
  ( cd "$tree" && make cfg quiet=silent prefix=/usr cfg_target=/etc/kamailio/ FLAVOUR=kamailio \
      CC_EXTRA_OPTS="$cc_extra" LD_EXTRA_OPTS="$ld_extra" group_include=kstandard >"$cache/make-cfg.log" 2>&1 ) || {
    echo "make cfg in $tree failed (see $cache/make-cfg.log)" >&2; exit 1; }
  touch "$tree/.omniq-configured-$ver"
fi
echo "$tree"
