#!/usr/bin/python3
"""Redis' CPU per web chat message with no omniq_ws: oq_append_many as omniq_ws' appender
sends it, and the event readers' XREADs, against a private redis-server (AOF on, the
library as the build embeds it: tests/redis/harness.py).

    append_alone.py [messages] [per call] [readers]     (default 64000 32 2)

1,000 sessions take the messages round robin (as the bench's customers do); after each call
every reader reads the events it has not read. Prints redis-server's CPU per message (from
/proc) and the commands that took the most of it (INFO commandstats).
"""
import os
import sys

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "redis"))
import harness  # noqa: E402
import redis  # noqa: E402

SESSIONS = 1000


def cpu_s(pid):
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def main():
    defaults = [64000, 32, 2]
    n, per_call, readers = [int(a) for a in sys.argv[1:4]] + defaults[len(sys.argv[1:4]):]
    s = harness.Server()
    try:
        t = harness.Tenant(s.r)
        sids = [t.enq()["sid"] for _ in range(SESSIONS)]
        key = t.P + ":events"
        rs = [redis.Redis(host="127.0.0.1", port=s.port) for _ in range(readers)]
        last = [r.xinfo_stream(key)["last-generated-id"] for r in rs]
        s.r.config_resetstat()
        c0, k = cpu_s(s.proc.pid), 0
        for _ in range(n // per_call):
            args = []
            for _ in range(per_call):
                args += [sids[k % SESSIONS], "in", "web:v1", "text", "b 1 %d 1234567890123" % k, ""]
                k += 1
            s.r.fcall("oq_append_many", 1, t.P, *args)
            for i, r in enumerate(rs):
                got = r.xread({key: last[i]}, count=512)
                if got:
                    last[i] = got[0][1][-1][0]
        used = cpu_s(s.proc.pid) - c0
        print("%d messages, %d a call, %d readers: redis-server %.1f us per message" % (
            k, per_call, readers, used * 1e6 / k))
        stats = s.r.info("commandstats")
        for name, v in sorted(stats.items(), key=lambda kv: -kv[1]["usec"])[:5]:
            print("  %-14s %8d calls %8.2f us a call %6.2f us per message" % (
                name[8:], v["calls"], v["usec_per_call"], v["usec"] / k))
    finally:
        s.stop()


if __name__ == "__main__":
    main()
