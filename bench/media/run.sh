#!/usr/bin/env bash
# bench/media: CPU per SRTP announcement packet, omniq_media's path against raw libsrtp in
# the same run (media_bench.c says what each side does).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build="$here/../../build/bench/media"
make -s -C "$here" BUILD="$build"
"$build/media_bench" "${MEDIA_STREAMS:-2000}" "${MEDIA_TICKS:-50}"
