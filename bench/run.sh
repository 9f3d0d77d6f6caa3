#!/usr/bin/env bash
# `make bench`: every benchmark under bench/*/run.sh, one after the other (never in parallel:
# on 2 cores they would measure each other). Each prints its figures and its baseline from
# the same run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME"), $(date -u +%F)"
for b in "$here"/*/run.sh; do
  echo "== bench/$(basename "$(dirname "$b")")"
  "$b"
done
