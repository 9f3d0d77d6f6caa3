#!/usr/bin/env bash
# Runs every test suite and ends with one plain summary line, "N passed, N failed".
# Each suite prints `PASS <name>` / `FAIL <name>: <why>` lines; a suite that exits non-zero
# without printing a FAIL line counts as one failure of its own, so nothing fails silently.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export OMNIQ_TOP="$top" OMNIQ_BUILD="${OMNIQ_BUILD:-$top/build}"
out="$OMNIQ_BUILD/test-logs"
mkdir -p "$out"
PY=/usr/bin/python3

suites=(
  "unit|make --no-print-directory -C tests/unit check BUILD=$OMNIQ_BUILD/unit"
  "fuzz|make --no-print-directory -s -C tests/fuzz run BUILD=$OMNIQ_BUILD/fuzz"
  "redis|$PY tests/redis/run.py"
  "bench|$PY bench/selftest.py"
  "integration|$PY tests/integration/run.py"
  "asan|scripts/asan.sh core"
)
# OMNIQ_SUITES="unit redis" runs those suites only; a name that is no suite's stops the run
# before anything runs (a typo would otherwise run nothing and pass)
if [ -n "${OMNIQ_SUITES:-}" ]; then
  names=" ${suites[*]%%|*} "
  for want in $OMNIQ_SUITES; do
    [[ "$names" == *" $want "* ]] || { echo "FAIL run: unknown suite '$want' in OMNIQ_SUITES (suites:$names)"; echo "0 passed, 1 failed"; exit 1; }
  done
  sel=(); for s in "${suites[@]}"; do [[ " $OMNIQ_SUITES " == *" ${s%%|*} "* ]] && sel+=("$s"); done; suites=("${sel[@]}")
fi

# the suites' failures in full (tests/integration/harness.py recap), printed before the
# summary line so that the tail of a CI log holds them
export OMNIQ_FAIL_RECAP="$out/failures.txt"
rm -f "$OMNIQ_FAIL_RECAP"
passed=0; failed=0
# a suite's count from its log (rc: its exit status; show 1: its PASS/FAIL lines first)
tally() {
  local name=$1 rc=$2 start=$3 show=${4:-0} end=${5:-$(date +%s)} p f
  [ "$show" = 1 ] && grep -E '^(PASS|FAIL) ' "$out/$name.log"
  p=$(grep -cE '^PASS ' "$out/$name.log"); f=$(grep -cE '^FAIL ' "$out/$name.log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL $name: suite exited $rc without a FAIL line (see $out/$name.log)"; tail -20 "$out/$name.log"; f=1
  fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL $name: suite ran no test (see $out/$name.log)"; f=1
  fi
  echo "== $name: $p passed, $f failed in $(( end - start ))s"
  passed=$((passed + p)); failed=$((failed + f))
}
# The suites that measure no time and hold no port run side by side first (unit, fuzz,
# redis, bench: CPU-bound, on every core), each into its own log, reported when all are
# done; then the others one after the other (integration runs its own workers). With
# OMNIQ_SERIAL=1 every suite runs alone, its lines as they come.
side=" unit fuzz redis bench "
[ "${OMNIQ_SERIAL:-0}" != 0 ] && side=" "
declare -A pid started
for s in "${suites[@]}"; do
  name=${s%%|*}; cmd=${s#*|}
  [[ "$side" == *" $name "* ]] || continue
  echo "== $name (side by side): $cmd"
  started[$name]=$(date +%s)
  ( bash -c "$cmd" > "$out/$name.log" 2>&1; rc=$?; date +%s > "$out/$name.end"; exit $rc ) &
  pid[$name]=$!
done
for s in "${suites[@]}"; do
  name=${s%%|*}
  [[ "$side" == *" $name "* ]] || continue
  wait "${pid[$name]}"; rc=$?
  tally "$name" "$rc" "${started[$name]}" 1 "$(cat "$out/$name.end" 2>/dev/null)"
done
for s in "${suites[@]}"; do
  name=${s%%|*}; cmd=${s#*|}
  [[ "$side" == *" $name "* ]] && continue
  echo "== $name: $cmd"
  start=$(date +%s)
  bash -c "$cmd" 2>&1 | tee "$out/$name.log" | grep -E '^(PASS|FAIL) '
  rc=${PIPESTATUS[0]}
  tally "$name" "$rc" "$start"
done
if [ -s "$OMNIQ_FAIL_RECAP" ]; then
  echo "== the failures in full ($OMNIQ_FAIL_RECAP):"
  head -150 "$OMNIQ_FAIL_RECAP"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
