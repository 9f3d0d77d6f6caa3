#!/usr/bin/env bash
# make coverage: the line and branch coverage of the C modules and of the Lua function library
# over the whole test suite (unit, redis, integration with its browser tests).
#
#   1. writes the counting variant of lua/*.lua to build/coverage/lua
#      (scripts/coverage/lua_instrument.py), copies modules/ and include/ to
#      build/coverage/src and builds the copy with gcov and that library
#      (scripts/coverage/gcov.mk, gcov_flush.c) into build/coverage/modules: the modules
#      admins load (build/modules) and their objects are never touched;
#   2. runs tests/run.sh with OMNIQ_BUILD=build/coverage, so kamailio loads the coverage
#      build, the unit tests are built with gcov, and (OMNIQ_COVERAGE_LUA) the redis suite
#      loads the counting library and both harnesses collect its counts (tests/lua_counts.py);
#   3. prints the figures per file and in total, and writes build/coverage/summary.txt and the
#      HTML report build/coverage/html/index.html (scripts/coverage/report.py).
# Exits non-zero when a test failed (the figures are still written) or the report failed.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
build="${BUILD:-$top/build}"     # where make builds (its modules, fixtures)
cov="$build/coverage"
copy="$cov/src"
ksrc=$(scripts/kamailio-src.sh "$top/.cache")

# 1. the coverage build, from what is in the working tree now (committed or not)
rm -rf "$copy" "$cov/modules" "$cov/test-modules" "$cov/unit" "$cov/lua" "$cov/html"
mkdir -p "$copy" "$cov/modules" "$cov/test-modules"
/usr/bin/python3 scripts/coverage/lua_instrument.py modules/omniq/lua "$cov/lua"
mkdir "$cov/lua/counts"
git ls-files -co --exclude-standard -z modules include | xargs -0 cp --parents -t "$copy"
for dir in modules/*/; do
  m=$(basename "$dir")
  [ -f "$dir/Makefile" ] || continue
  cp scripts/coverage/gcov_flush.c "$copy/modules/$m/"
  make --no-print-directory -C "$copy/modules/$m" COREPATH="$ksrc/src" quiet=silent \
    SRTP_PREFIX="$("$top/scripts/libsrtp.sh" openssl)" OMNIQ_COVERAGE_MK="$top/scripts/coverage/gcov.mk" OMNIQ_COVERAGE_LUA="$cov/lua"
  cp "$copy/modules/$m/$m.so" "$cov/modules/"
done
# the worked example and the test fixtures are not omniq's code: their plain build (make
# fixtures) goes beside the coverage modules, where the harness looks for them
for so in "$build"/modules/*.so; do
  [ -e "$cov/modules/$(basename "$so")" ] || cp "$so" "$cov/modules/"
done
cp "$build"/test-modules/*.so "$cov/test-modules/"
echo "coverage build: $(ls "$cov/modules" | tr '\n' ' ')-> $cov/modules"

# 2. the whole suite against it. The unit tests take CFLAGS from here: tests/unit/Makefile's
# own flags with -O0 and gcov (their objects go to build/coverage/unit).
set +e
OMNIQ_BUILD="$cov" OMNIQ_COVERAGE_LUA="$cov/lua" \
  CFLAGS="-std=gnu11 -Wall -Wextra -Werror -O0 -g --coverage -fprofile-abs-path" LDFLAGS="--coverage" \
  tests/run.sh
suite=$?
set -e

# 3. the figures
/usr/bin/python3 scripts/coverage/report.py --top "$top" --out "$cov" \
  --copy "$copy" --unit "$cov/unit" --lua-map "$cov/lua/map.json" --lua-counts "$cov/lua/counts"
[ "$suite" -eq 0 ] || { echo "coverage: the suite had failures (above); the figures cover the run as it went" >&2; exit "$suite"; }
