#!/usr/bin/python3
"""Redis' CPU per web chat message with no omniq_ws, against a private redis-server (AOF on,
the engine and the library as the build makes them: tests/redis/harness.py), three ways in
the same run:

- `engine`: OMNIQ.APPEND_MANY, what omniq_ws' appender sends (engine/append.c);
- `fcall`: the same through the library's FCALL name oq_append_many (a Lua call in front);
- `floor`: the plain commands the append amounts to, sent in one pipeline per call and
  with no check at all (per message HMGET state channel ext, XADD of the entry, XADD of
  its event with id, author and body): what no implementation of the same writes beats.

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


def send(way, r, P, msgs):
    if way == "engine":
        r.execute_command("OMNIQ.APPEND_MANY", P, *[x for m in msgs for x in m])
    elif way == "fcall":
        r.fcall("oq_append_many", 1, P, *[x for m in msgs for x in m])
    else:
        p = r.pipeline(transaction=False)
        for sid, d, frm, typ, body, _ in msgs:
            p.hmget(P + ":s:" + sid, "state", "channel", "ext")
            p.xadd(P + ":s:" + sid + ":tx", {"dir": d, "from": frm, "type": typ, "body": body})
            p.xadd(P + ":events", {"type": "message", "sid": sid, "agent": "", "state": d,
                                   "channel": "web", "ext": "", "id": "1-1", "from": frm,
                                   "body": body})
        p.execute()


def run(s, way, n, per_call, readers):
    t = harness.Tenant(s.r)
    sids = [t.enq()["sid"] for _ in range(SESSIONS)]
    key = t.P + ":events"
    rs = [redis.Redis(host="127.0.0.1", port=s.port) for _ in range(readers)]
    last = [r.xinfo_stream(key)["last-generated-id"] for r in rs]
    s.r.config_resetstat()
    c0, k = cpu_s(s.proc.pid), 0
    for _ in range(n // per_call):
        msgs = []
        for _ in range(per_call):
            msgs.append((sids[k % SESSIONS], "in", "web:v1", "text", "b 1 %d 1234567890123" % k, ""))
            k += 1
        send(way, s.r, t.P, msgs)
        for i, r in enumerate(rs):
            got = r.xread({key: last[i]}, count=512)
            if got:
                last[i] = got[0][1][-1][0]
    used = cpu_s(s.proc.pid) - c0
    print("%-6s %d messages, %d a call, %d readers: redis-server %.1f us per message" % (
        way, k, per_call, readers, used * 1e6 / k))
    stats = s.r.info("commandstats")
    for name, v in sorted(stats.items(), key=lambda kv: -kv[1]["usec"])[:4]:
        print("         %-18s %8d calls %8.2f us a call %6.2f us per message" % (
            name[8:], v["calls"], v["usec_per_call"], v["usec"] / k))
    return used * 1e6 / k


def main():
    defaults = [64000, 32, 2]
    n, per_call, readers = [int(a) for a in sys.argv[1:4]] + defaults[len(sys.argv[1:4]):]
    s = harness.Server()
    try:
        got = {way: run(s, way, n, per_call, readers) for way in ("floor", "engine", "fcall")}
        print("engine / floor: %.2f, fcall / floor: %.2f" % (
            got["engine"] / got["floor"], got["fcall"] / got["floor"]))
    finally:
        s.stop()


if __name__ == "__main__":
    main()
