#!/usr/bin/env bash
# Starts a private redis-server (AOF on, everysec) on a free port in a temp
# dir, loads the omniq library exactly as the build embeds it, runs
# route_bench, measures on the same server the single-connection round-trip
# ceiling (redis-benchmark -c 1) and the floor (floor.lua, pipelined, with
# Redis' CPU for each step), then prints the figures (figures.py: what each
# means and what it is compared with), stops the server.
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
cpu() { redis-cli -p "$port" INFO cpu | tr -d '\r' | awk -F: '/^used_cpu_(sys|user):/{s+=$2} END{printf "%.3f", s}'; }
ping=$(rb -n 100000 -t ping)
evalr=$(rb -n 50000 eval 'return 1' 0)
echo "ceiling -c 1      PING ${ping} req/s   EVAL 'return 1' ${evalr} req/s   (one request per round trip, one connection)"

# The floor: floor.lua's three steps (offer, accept, close: the writes of one
# assignment cycle in this data model, no routing), each pipelined (-P 16) on
# the same server after the run, with Redis' CPU for each; the empty function
# for the call itself. One cycle costs the sum of its three steps' times.
redis-cli -p "$port" -x FUNCTION LOAD REPLACE < "$here/floor.lua" >/dev/null
n=200000
nop=$(rb -P 16 -n 400000 eval 'return 1' 0)
res="RESULT ping_per_s=${ping:-0} floor_n=$n"
for step in offer accept close; do
  c0=$(cpu)
  rate=$(rb -P 16 -r 1000000 -n $n fcall floor_$step 1 'oq:{floor}' __rand_int__)
  c1=$(cpu)
  res="$res floor_${step}_per_s=${rate:-0} floor_${step}_cpu_s=$(echo "$c1-$c0" | bc -l)"
  echo "floor (-P 16)     floor_$step ${rate}/s, Redis CPU $(echo "($c1-$c0)*1000000/$n" | bc -l | xargs printf '%.0f') us per call"
done
echo "floor (-P 16)     EVAL 'return 1' ${nop}/s"
echo "$res" | tee -a "$dir/out.txt"
python3 "$here/figures.py" "$dir/out.txt"
