#!/usr/bin/env bash
# bench/ws: customers and agent desks on WebSockets through omniq_ws, and the same load
# through a plain libwebsockets relay (no omniq, no Redis) in the same run.
#   bench/ws/run.sh [customers] [agents] [rates] [seconds]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
make -s -C "$here"
# 10,000 customers and 500 agents need more descriptors than a shell's default 1024
ulimit -n "$(ulimit -Hn)"
# the steps above 10,000 msg/s are 2,000 apart: the clean rates of omniq and of the relay
# are compared (docs/performance.md, "bench/ws"), and 10,000 then 20,000 could only tell
# 0.5 or 1
exec /usr/bin/python3 "$here/ws_bench.py" "${1:-10000}" "${2:-500}" \
  "${3:-1000,2000,5000,10000,12000,14000,16000,18000,20000}" "${4:-5}"
