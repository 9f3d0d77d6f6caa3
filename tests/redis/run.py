#!/usr/bin/python3
"""Run every tests/redis/test_*.py case against a private redis-server.

Output: one line per case, `PASS redis/<file>.<case>` or
`FAIL redis/<file>.<case>: <why>`; exit status 1 if any case failed.
After each case the data-model invariants are checked on every tenant the
case used (a case that passes its own asserts but leaves Redis inconsistent
fails). Optional argument: a substring to select cases.
"""

import importlib
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness  # noqa: E402


class Ctx:
    """What a test case receives: the server and a tenant factory."""

    def __init__(self, server):
        self.server = server
        self.r = server.r
        self.tenants = []

    def advance(self, ms):
        """Time passes for the library (its test clock), not for the test."""
        self.server.advance(ms)

    def tenant(self, **cfg):
        t = harness.Tenant(self.r)
        if cfg:
            t.cfg(**cfg)
        self.tenants.append(t)
        return t


def main():
    pattern = sys.argv[1] if len(sys.argv) > 1 else ''
    files = sorted(f for f in os.listdir(HERE) if f.startswith('test_') and f.endswith('.py'))
    server = harness.Server()
    failed = passed = 0
    try:
        for f in files:
            mod = importlib.import_module(f[:-3])
            stem = f[5:-3]
            for name, fn in list(vars(mod).items()):
                if not name.startswith('test_') or not callable(fn):
                    continue
                case = 'redis/%s.%s' % (stem, name[5:])
                if pattern and pattern not in case:
                    continue
                ctx = Ctx(server)
                why = None
                try:
                    fn(ctx)
                except Exception as e:  # noqa: BLE001 - report every failure
                    tb = traceback.extract_tb(sys.exc_info()[2])
                    line = next((fr.lineno for fr in reversed(tb) if fr.filename.endswith(f)), '?')
                    why = '%s: %s (%s:%s)' % (type(e).__name__, str(e).replace('\n', ' ')[:400], f, line)
                if why is None:
                    for t in ctx.tenants:
                        errs = harness.check_invariants(server.r, t.P, t.allow_overcap)
                        if errs:
                            why = 'invariants of %s: %s' % (t.P, '; '.join(errs[:5]))
                            break
                if why is None:
                    passed += 1
                    print('PASS ' + case, flush=True)
                else:
                    failed += 1
                    print('FAIL %s: %s' % (case, why), flush=True)
    finally:
        server.stop()
    print('# %d passed, %d failed' % (passed, failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
