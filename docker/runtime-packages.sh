#!/bin/sh
# The Debian packages whose libraries omniq's built files link (ldd), one per line: what the
# image's runtime stage installs, no more (docker/Dockerfile). Run in the build stage, from
# the top of the tree, after make.
set -eu
{
  for f in build/modules/*.so build/engine/omniq_engine.so build/bin/omniq-deliver; do
    ldd "$f" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'
  done
  # what is loaded by name at run time, which ldd does not see: libwebsockets' libuv event
  # loop plugin (omniq_ws' HTTP server cannot start without it)
  ls /usr/lib/*/libwebsockets-evlib_uv.so
} | sort -u | while read -r lib; do
  # the file as dpkg knows it (usrmerge: /lib and /usr/lib are one)
  dpkg -S "$lib" 2>/dev/null || dpkg -S "$(readlink -f "$lib")" 2>/dev/null \
    || dpkg -S "${lib#/usr}" 2>/dev/null || { echo "runtime-packages: no package has $lib" >&2; exit 1; }
done | cut -d: -f1 | sort -u | grep -v -x -e libc6 -e kamailio
