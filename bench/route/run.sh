#!/usr/bin/env bash
# bench/route: the routing engine (the omniq function library in Redis) against issue 18's
# targets, every figure from one run on this machine:
#   - Redis function time per assignment cycle, 100 idle agents of 10 skills, then of 30
#     (route_bench cycles: INFO commandstats, not wall time), and the floor (floor.lua,
#     the least one cycle must write) timed the same way on the same server;
#   - the 10-skill cycle of returning customers (SMS), without and then with tiers and
#     regions configured (issue 24: routing by value within the cycle's target);
#   - cycles per second end to end (the 10-skill run's wall rate, one connection,
#     pipelined batches of 32, AOF everysec);
#   - enqueue p99, one call at a time, all agents busy (route_bench latency);
#   - a memory soak with the shortest retention (route_bench soak-prep, then soak: on a
#     server of its own, whose first sessions wait out their retention while the other
#     scenarios run).
# Two private redis-servers (AOF on, everysec) on free ports in a temp dir, the library
# built by modules/omniq/gen_lualib.sh exactly as the module embeds it. figures.py prints
# the figures and ends with the RESULT line.
#   bench/route/run.sh                 10,000 agents / 100,000 queued, 1,000,000 soaked
#   OMNIQ_BENCH_QUICK=1 bench/route/run.sh   smaller (under three minutes), says so
#   BENCH_SEED=<n>                     other random draws
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
make -s -C "$here" route_bench

form=""
if [ "${OMNIQ_BENCH_QUICK:-0}" != 0 ]; then
  form=", QUICK FORM"
  cycles=20000 lat_agents=1000 lat_queued=10000 lat_samples=2000 soak=50000 pool=2000
else
  cycles=100000 lat_agents=10000 lat_queued=100000 lat_samples=10000 soak=1000000 pool=10000
fi

dir=$(mktemp -d /tmp/omniq-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do while kill -0 "$p" 2>/dev/null; do sleep 0.1; done; done
  rm -rf "$dir"
}
trap cleanup EXIT

# start_server NAME: a redis-server in $dir/NAME; prints its port
start_server() {
  local d="$dir/$1" port
  mkdir -p "$d"
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  redis-server --port "$port" --bind 127.0.0.1 --dir "$d" --appendonly yes \
    --appendfsync everysec --save '' --daemonize yes --pidfile "$d/redis.pid" \
    --logfile "$d/redis.log" --loadmodule "$root/build/engine/omniq_engine.so"
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
  echo "$port"
}

"$root/modules/omniq/gen_lualib.sh" --lua > "$dir/lib.lua"
main=$(start_server main)
pids+=("$(cat "$dir/main/redis.pid")")
soakp=$(start_server soak)
pids+=("$(cat "$dir/soak/redis.pid")")
for p in "$main" "$soakp"; do
  redis-cli -p "$p" -x FUNCTION LOAD REPLACE < "$dir/lib.lua" >/dev/null
done
redis-cli -p "$main" -x FUNCTION LOAD REPLACE < "$here/floor.lua" >/dev/null

rb() { "$here/route_bench" 127.0.0.1 "$@" | tee -a "$dir/out.txt"; }
fresh() { redis-cli -p "$main" FLUSHALL >/dev/null; }

echo "== omniq route bench ($(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)," \
  "redis $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'), AOF everysec$form)"
t0=$(date +%s)
rb "$soakp" soak-prep "$pool"
fresh; rb "$main" cycles e10 engine 100 10 "$cycles" 32
fresh; rb "$main" cycles e30 engine 100 30 "$cycles" 32
fresh; rb "$main" cycles floor floor 100 10 "$cycles" 32
fresh; rb "$main" cycles returning returning 100 10 "$cycles" 32
fresh; rb "$main" cycles value value 100 10 "$cycles" 32
fresh; rb "$main" latency "$lat_agents" "$lat_queued" "$lat_samples"
rb "$soakp" soak "$soak" "$pool"
echo "== $(( $(date +%s) - t0 )) s in all; load average $(cut -d' ' -f1-3 /proc/loadavg)"
python3 "$here/figures.py" "$dir/out.txt"
# what the sweep's look at each ended session costs (its figures for the reports), beside
# the session's own cycle, on a server of its own
echo "== the sweep's look at ended sessions (bench/route/fold_alone.py)"
/usr/bin/python3 "$here/fold_alone.py" "${OMNIQ_BENCH_FOLD:-3000}"
