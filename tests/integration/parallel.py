"""The integration tests run by several worker processes at once, then the lone ones alone.

Most tests spend their time waiting: on a kamailio to start, on a timer, on a peer. One at a
time the suite used about a third of this machine's two cores and 17 of `make test`'s 27
minutes. OMNIQ_JOBS workers (run.py --worker) each take the next test's name from us when
they end one and print its PASS/FAIL line; ours are passed on as they come.

A worker's tests are apart from the others': each has its own directory, its own
redis-servers and kamailios, and probes ports only in its own slice of the range
(OMNIQ_PORT_SLICE, tests/ports.py), so two workers never hand out the same port. Tests that
measure time or rates, or load the machine themselves (harness.alone), run after the workers
have ended, one by one in this process, as the whole suite used to.

A worker that dies mid-test fails that test with what it printed last, and another worker
takes its place; the run goes on.
"""
import os
import selectors
import subprocess
import sys

import harness

DONE = "@@omniq-test-done"
HERE = os.path.dirname(os.path.abspath(__file__))


def worker():
    """run.py --worker: run each name read from stdin, then say DONE on stdout."""
    for line in sys.stdin:
        name = line.strip()
        if name:
            harness.run([name])
        print(DONE, flush=True)
    return 0


class _Worker:
    def __init__(self, slot, jobs):
        env = dict(os.environ, OMNIQ_PORT_SLICE="%d/%d" % (slot, jobs))
        self.slot = slot
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "run.py"), "--worker"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        self.name = None
        self.last = ""
        self.buf = b""

    def give(self, name):
        self.name = name
        self.proc.stdin.write((name + "\n").encode())
        self.proc.stdin.flush()

    def end(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.wait()


def run(selected, jobs):
    """Every selected test (all when None); 1 if any failed."""
    failed = harness.unknown_names(selected)
    chosen = [fn for fn in harness.TESTS if not selected or harness.name_of(fn) in selected]
    lone = [harness.name_of(fn) for fn in chosen if getattr(fn, "alone", False)]
    todo = [harness.name_of(fn) for fn in chosen if not getattr(fn, "alone", False)]
    if len(todo) < 2:
        return 1 if harness.run(lone + todo) or failed else 0
    sel = selectors.DefaultSelector()
    workers = []
    for slot in range(min(jobs, len(todo))):
        w = _Worker(slot, jobs)
        workers.append(w)
        sel.register(w.proc.stdout, selectors.EVENT_READ, w)
        w.give(todo.pop(0))
    busy = len(workers)
    while busy:
        for key, _ in sel.select():
            w = key.data
            # os.read, not readline: a file object's buffer could hold a line select() no
            # longer sees
            data = os.read(w.proc.stdout.fileno(), 65536)
            if not data:      # the worker died: its test failed, a new one takes its slot
                sel.unregister(w.proc.stdout)
                w.end()
                failed += 1
                print("FAIL %s/%s: its worker process ended (exit %s) in the test; last line: %s"
                      % (harness.SUITE, w.name, w.proc.returncode, w.last.strip()[:300]),
                      flush=True)
                harness.recap(w.name, "its worker process ended (exit %s)" % w.proc.returncode)
                busy -= 1
                if todo:
                    w = _Worker(w.slot, jobs)
                    workers.append(w)
                    sel.register(w.proc.stdout, selectors.EVENT_READ, w)
                    w.give(todo.pop(0))
                    busy += 1
                continue
            w.buf += data
            while b"\n" in w.buf:
                raw, w.buf = w.buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace")
                if line != DONE:
                    w.last = line
                    if line.startswith("FAIL "):
                        failed += 1
                    print(line, flush=True)
                elif todo:
                    w.give(todo.pop(0))
                else:
                    sel.unregister(w.proc.stdout)
                    w.end()
                    busy -= 1
    if lone and harness.run(lone):
        failed += 1
    return 1 if failed else 0
