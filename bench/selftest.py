#!/usr/bin/python3
"""The benches' own accounting, tested without running a bench (a few seconds, in `make test`).

Every figure a bench publishes comes from small functions: a sip step's achieved rate and
verdict (sip/step.py), ws' per-step delivery by sequence number and latency from the schedule
(ws/delivery.c), ws' clean steps, CPU projection and memory per open connection
(ws/figures.py), route's ratios (route/figures.py). Their cases are fed recorded or synthetic
outputs and live beside them:
  bench/<dir>/test_<name>.py  every test_* function, run with <dir> on sys.path;
  bench/<dir>/test_<name>.c   compiled with <dir>/<name>.c (ASan, UBSan) and run; it prints
                              its own PASS/FAIL lines (CHECK and RUN of bench/selftest.h).
Output: `PASS bench/<dir>.<file>.<case>` or `FAIL ...: <why>` per case; exit 1 if any failed.
Optional argument: a substring to select cases.
"""
import glob
import importlib.util
import os
import subprocess
import sys
import tempfile
import traceback

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))


def run_python(path, pattern):
    d, stem = os.path.dirname(path), os.path.basename(path)[:-3]
    prefix = "bench/%s.%s." % (os.path.basename(d), stem[5:])
    before = set(sys.modules)
    sys.path.insert(0, d)
    try:
        spec = importlib.util.spec_from_file_location("selftest_" + stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        results = []
        for name, fn in vars(mod).items():
            if not name.startswith("test_") or not callable(fn) or pattern not in prefix + name:
                continue
            try:
                fn()
                results.append((True, prefix + name[5:], None))
            except Exception as e:  # noqa: BLE001 - every failure is reported
                line = traceback.extract_tb(sys.exc_info()[2])[-1]
                results.append((False, prefix + name[5:], "%s: %s (%s:%s)" % (
                    type(e).__name__, str(e)[:400], os.path.basename(line.filename),
                    line.lineno)))
        return results
    finally:
        sys.path.remove(d)
        for m in set(sys.modules) - before:   # a bench's module names may repeat in another
            del sys.modules[m]


def run_c(path, pattern, build):
    d, stem = os.path.dirname(path), os.path.basename(path)[:-2]
    prefix = "bench/%s.%s." % (os.path.basename(d), stem[5:])
    exe = os.path.join(build, stem)
    cc = ["cc", "-std=gnu99", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-I", HERE,
          "-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-o", exe, path,
          os.path.join(d, stem[5:] + ".c")]
    p = subprocess.run(cc, capture_output=True, text=True)
    if p.returncode:
        return [(False, prefix + "build", p.stderr.strip()[:400])]
    p = subprocess.run([exe], capture_output=True, text=True, timeout=60)
    results = []
    for line in p.stdout.splitlines():
        ok, _, rest = line.partition(" ")
        if ok in ("PASS", "FAIL"):
            name, _, why = rest.partition(": ")
            if pattern in prefix + name:
                results.append((ok == "PASS", prefix + name, why))
    if p.returncode and all(ok for ok, _, _ in results):
        results.append((False, prefix + "exit", "exited %d: %s" % (
            p.returncode, p.stderr.strip()[-400:])))
    return results


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else ""
    results = []
    with tempfile.TemporaryDirectory(prefix="omniq-bench-selftest.") as build:
        for path in sorted(glob.glob(os.path.join(HERE, "*", "test_*.py"))):
            results += run_python(path, pattern)
        for path in sorted(glob.glob(os.path.join(HERE, "*", "test_*.c"))):
            results += run_c(path, pattern, build)
    for ok, name, why in results:
        print("PASS " + name if ok else "FAIL %s: %s" % (name, why), flush=True)
    failed = sum(1 for ok, _, _ in results if not ok)
    print("# %d passed, %d failed" % (len(results) - failed, failed), file=sys.stderr)
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
