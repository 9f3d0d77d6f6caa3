#!/usr/bin/python3
"""What the sweep's look at an ended session costs Redis (its figures for the reports,
lua/76_report.lua; its follow-up rules and survey checks), beside what the session's own
cycle cost (enqueue, accept, close), in the same run, on a private redis-server (AOF on, the
engine and the library as the build makes them: tests/redis/harness.py).

    fold_alone.py [sessions]     (default 3000)

Prints redis-server's CPU (from /proc) and the functions' time (INFO commandstats) per
session for the cycle and for the sweep that folds them, and their ratio.
"""
import os
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "redis"))
import harness  # noqa: E402


def cpu_s(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def measured(s, what):
    """(redis CPU s, function usec) spent in what()"""
    s.r.config_resetstat()
    c0 = cpu_s(s.proc.pid)
    what()
    usec = sum(v["usec"] for k, v in s.r.info("commandstats").items() if k.startswith("cmdstat_fcall"))
    return cpu_s(s.proc.pid) - c0, usec


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    s = harness.Server()
    try:
        t = harness.Tenant(s.r)
        for i in range(50):
            t.agent("a%d" % i, "", caps="voice=0,chat=100,email=0,total=100")

        def cycles():
            for i in range(n):
                r = t.fc("oq_enqueue", "web", "", "web:v%d" % i, "", 0, "support", "")
                t.fc("oq_accept", r[0], r[2])
                t.fc("oq_close", r[0], "resolved" if i % 2 else "complaint")

        def sweeps():
            while s.r.zcard(t.P + ":look"):
                t.fc("oq_sweep", 1000)
        cyc = measured(s, cycles)
        fold = measured(s, sweeps)
        print("cycle (enqueue, accept, close) %d sessions: redis-server %.1f us, functions %.1f us a session"
              % (n, cyc[0] * 1e6 / n, cyc[1] / n))
        print("sweep's look at them ended:    redis-server %.1f us, functions %.1f us a session"
              % (fold[0] * 1e6 / n, fold[1] / n))
        print("look / cycle (functions): %.2f" % (fold[1] / max(cyc[1], 1)))
    finally:
        s.stop()


if __name__ == "__main__":
    main()
