#!/usr/bin/env bash
# bench/sip: highest clean call rate, plain relay vs omniq routing, same kamailio, same run.
#   bench/sip/run.sh [rates] [duration_s] [hold_ms] [agents]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
exec /usr/bin/python3 "$here/sip_bench.py" "${1:-200,400,600,800,1000,1200,1400,1600,2000,2400,2800,3200,3600,4000,4800,5600,6400,8000}" "${2:-5}" "${3:-100}" "${4:-600}"
