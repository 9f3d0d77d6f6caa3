#!/usr/bin/env bash
# Starts a private redis-server (AOF on, everysec) on a free port in a temp
# dir, loads the omniq library exactly as the build embeds it, runs
# route_bench, measures the single-connection round-trip ceiling on the same
# server with redis-benchmark, prints both side by side, stops the server.
#   bench/route/run.sh [agents sessions sample seed steady]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
make -s -C "$here" route_bench

dir=$(mktemp -d /tmp/omniq-bench.XXXXXX)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --appendonly yes --save '' \
  --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
cleanup() {
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  sleep 0.2; rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done

{ printf '#!lua name=omniq\n'; cat $(ls "$root"/modules/omniq/lua/*.lua | LC_ALL=C sort); } > "$dir/lib.lua"
redis-cli -p "$port" -x FUNCTION LOAD REPLACE < "$dir/lib.lua" >/dev/null

echo "== omniq route bench ($(nproc) cores, redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), AOF everysec)"
start_cpu=$(awk '{print $14+$15}' /proc/$(cat "$dir/redis.pid")/stat)
t0=$(date +%s.%N)
"$here/route_bench" 127.0.0.1 "$port" "$@" | tee "$dir/out.txt"
t1=$(date +%s.%N)
end_cpu=$(awk '{print $14+$15}' /proc/$(cat "$dir/redis.pid")/stat)
hz=$(getconf CLK_TCK)
echo "redis-server CPU  $(echo "($end_cpu-$start_cpu)/$hz" | bc -l | xargs printf '%.1f') s of $(echo "$t1-$t0" | bc -l | xargs printf '%.1f') s wall"

rb() { redis-benchmark -p "$port" -c 1 -q "$@" 2>/dev/null | tr '\r' '\n' | grep 'requests per second' | tail -1 | awk -F': ' '{print $2}' | awk '{print $1}' || true; }
ping=$(rb -n 100000 -t ping)
evalr=$(rb -n 50000 eval 'return 1' 0)
assign=$(sed -n 's/.*assign_per_s=\([0-9]*\).*/\1/p' "$dir/out.txt")
echo "ceiling           PING -c 1: ${ping} req/s   EVAL 'return 1' -c 1: ${evalr} req/s"
fcalls=$(sed -n 's/^FCALL\/S (drain) *\([0-9]*\).*/\1/p' "$dir/out.txt")
steady=$(sed -n 's/.*steady_offers_per_s=\([0-9]*\).*/\1/p' "$dir/out.txt")
if [ -n "$ping" ] && [ -n "$steady" ]; then
  echo "RATIO (steady)    offers/s / PING ceiling = $(echo "$steady/$ping" | bc -l | xargs printf '%.3f')   (issue target: >= 0.5 and >= 20000/s)"
fi
if [ -n "$ping" ] && [ -n "$assign" ]; then
  echo "RATIO             assignments/s / PING ceiling = $(echo "$assign/$ping" | bc -l | xargs printf '%.3f')   drain FCALL/s / PING ceiling = $(echo "$fcalls/$ping" | bc -l | xargs printf '%.3f')"
fi

# The floor: floor.lua's three steps (offer, accept, close: the writes of one
# assignment cycle in this data model, no routing), each pipelined (-P 16) on
# the same server after the run, and the empty function for the call itself.
# One cycle costs the sum of its three steps' times, so the cycles/s below
# bound the assignments/s of any design made of Redis functions here.
redis-cli -p "$port" -x FUNCTION LOAD REPLACE < "$here/floor.lua" >/dev/null
nop=$(rb -P 16 -n 400000 eval 'return 1' 0)
f_off=$(rb -P 16 -r 1000000 -n 200000 fcall floor_offer 1 'oq:{floor}' __rand_int__)
f_acc=$(rb -P 16 -r 1000000 -n 200000 fcall floor_accept 1 'oq:{floor}' __rand_int__)
f_clo=$(rb -P 16 -r 1000000 -n 200000 fcall floor_close 1 'oq:{floor}' __rand_int__)
if [ -n "$f_off" ] && [ -n "$f_acc" ] && [ -n "$f_clo" ]; then
  cyc=$(echo "1/(1/$f_off+1/$f_acc+1/$f_clo)" | bc -l | xargs printf '%.0f')
  echo "floor (-P 16)     EVAL 'return 1': ${nop}/s   floor_offer ${f_off}/s  floor_accept ${f_acc}/s  floor_close ${f_clo}/s"
  echo "FLOOR             ${cyc} assignment cycles/s (offer+accept+close, no routing): the most any Redis-function design reaches here"
fi
