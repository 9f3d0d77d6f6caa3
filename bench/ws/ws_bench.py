#!/usr/bin/python3
"""bench/ws: web chat customers and agent desks over WebSockets through omniq_ws (real
kamailio, real redis-server), and the same client against a plain libwebsockets relay with
no omniq and no Redis (relay.c), in the same run.

    ws_bench.py customers agents rates seconds

ws_load (C, libwebsockets client) does the work and prints RESULT lines; this script starts
the servers, creates the agents (chat capacity to hold every customer), hands ws_load the
server pids whose private memory it measures, and prints both runs side by side, each step
with its messages counted once by sequence number (sent, skipped, delivered, lost, late,
duplicated), its latencies from when each message was due, whether it is clean and why not,
its CPU per message (server, Redis, client), then what 20,000 msg/s would take
(figures.py says what each figure means).
With OMNIQ_BENCH_PERF=<file>, omniq_ws' first rate step is profiled there (perf record).
OMNIQ_BENCH_WS_PROCESSES=<n>: omniq_ws processes (default 1, bench.cfg says why).
With OMNIQ_BENCH_LOGINS=<n>, an agent logs in to the desk n times a second (a password check
each) throughout omniq's rate steps, so that their latencies show what the checks cost the
customers; the logins' own statuses and latencies are printed.
"""
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from harness import RedisServer, Kamailio, cpu_by_thread, cpu_of, free_port, wait_for  # noqa: E402
import figures  # noqa: E402  (this directory's)

DESK_SECRET = "desk-secret-bench-0123456789"
KEY = "bench:bench-secret-0123456789"


def load(port, mode, customers, agents, rates, seconds, pids, on_served=None, redis_pids=(),
         node=None, forks=None):
    """ws_load's RESULT lines; on_served() runs once every session is served, before the
    rate steps. Each step also gets the CPU seconds that the server spent in it (its sending
    window and the 3 s after), Redis and the client, and the server's per thread name. The
    server is pids (the socket servers, whose memory ws_load measures) and node ({pid:
    description}: the server's other processes, such as omniq's dispatcher, which reads every
    event too; each counted under its description). forks() (optional): how many times Redis
    has forked so far, how long its last fork() stalled it (µs) and its resident memory
    (its AOF rewrites: each step gets how many came in it and the last one's stall, since
    fork() stops Redis for its while, longer the larger Redis is, and a rewrite's child
    competes for the same cores)."""
    node = node or {}
    argv = [os.path.join(HERE, "ws_load"), "127.0.0.1", str(port), mode, str(customers),
            str(agents), rates, str(seconds), DESK_SECRET] + [str(p) for p in pids]
    t0 = time.time()
    errf = tempfile.TemporaryFile(mode="w+")
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errf, text=True)
    out, cpu = [], []
    def probe():
        threads = cpu_by_thread(pids)
        for pid, desc in node.items():
            threads[desc] = threads.get(desc, 0) + cpu_of([pid])
        return (cpu_of(pids) + cpu_of(list(node)), cpu_of(redis_pids), cpu_of([p.pid]),
                threads, forks() if forks else (0, 0, 0))
    for line in p.stdout:
        out.append(line.rstrip("\n"))
        if line.startswith("RESULT open_s"):
            if on_served:
                on_served()
            cpu.append(probe())
        elif line.startswith("RESULT step "):
            cpu.append(probe())
    p.wait()
    errf.seek(0)
    res = figures.parse(out)
    res.update(wall=time.time() - t0, rc=p.returncode)
    for i, step in enumerate(res["steps"]):
        if i + 1 < len(cpu):
            step["cpu"] = [b - a for a, b in zip(cpu[i][:3], cpu[i + 1][:3])]
            step["threads"] = {n: v - cpu[i][3].get(n, 0) for n, v in cpu[i + 1][3].items()}
            step["forks"] = cpu[i + 1][4][0] - cpu[i][4][0]
            step["fork_ms"], step["redis_mb"] = cpu[i + 1][4][1] / 1e3, cpu[i + 1][4][2] >> 20
    errs = errf.read().strip().splitlines()
    if errs:
        res["stderr"] = "%d lines, e.g. %s" % (len(errs), errs[0])
    return res


def memory_by_family(r):
    """What Redis holds at the end of the run: its used memory, and the share of each key
    family (the key less its tenant prefix, ids made '*': s:*:tx is the transcripts), from
    MEMORY USAGE of every key: the size of a fork and of an AOF rewrite's work."""
    keys = list(r.scan_iter(count=1000))
    fam = {}
    for i in range(0, len(keys), 1000):
        p = r.pipeline(transaction=False)
        for key in keys[i:i + 1000]:
            p.memory_usage(key, samples=0)
        for key, b in zip(keys[i:i + 1000], p.execute()):
            name = ":".join(["*" if any(c.isdigit() for c in x) or len(x) > 24 else x
                             for x in key.split(":")[2:]]) or key
            n, t = fam.get(name, (0, 0))
            fam[name] = (n + 1, t + (b or 0))
    return (int(r.info("memory")["used_memory"]), len(keys),
            sorted(((b, n, name) for name, (n, b) in fam.items()), reverse=True)[:6])


def run_omniq(workdir, customers, agents, rates, seconds):
    rs = RedisServer(workdir).start()
    k = Kamailio(workdir, os.path.join(HERE, "bench.cfg"), rs.port, name="kam-ws",
                 defines={"OMNIQ_DESK_SECRET": '"%s"' % DESK_SECRET,
                          "OMNIQ_WS_PROCESSES": os.environ.get("OMNIQ_BENCH_WS_PROCESSES", "1")},
                 extra_args=["-x", "tlsf"])   # as docs/admin.md recommends
    try:
        k.start()
        wait_for(lambda: k.pids("omniq_ws") and http_up(k.http_port), timeout=20, what="omniq_ws")
        per_agent = (customers + agents - 1) // agents
        c = http.client.HTTPConnection("127.0.0.1", k.http_port, timeout=30)
        hdr = {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"}
        for i in range(agents):
            body = json.dumps({"name": "Agent %d" % i, "skills": "",
                               "caps": "voice=0,chat=%d,email=0,total=%d" % (per_agent, per_agent)})
            c.request("PUT", "/api/v1/agents/a%d" % i, body, hdr)
            r = c.getresponse()
            r.read()
            assert r.status == 200, (r.status, i)
        c.close()
        logins = Logins(k, float(os.environ.get("OMNIQ_BENCH_LOGINS") or 0))
        pids = k.pids("omniq_ws")
        node = {pid: desc for pid, desc in k.psx().items() if pid not in pids}
        others = [rs.proc.pid]
        cpu0 = cpu_of(pids) + cpu_of(list(node)), cpu_of(others)
        r = rs.client()
        perf = []

        def served():
            r.config_resetstat()
            if os.environ.get("OMNIQ_BENCH_PERF"):   # a profile of the first rate step
                perf.append(subprocess.Popen(
                    ["perf", "record", "-q", "-F", "499", "--call-graph", "dwarf,16384",
                     "-o", os.environ["OMNIQ_BENCH_PERF"], "-p", ",".join(map(str, pids)),
                     "--", "sleep", str(seconds)], stdout=subprocess.DEVNULL))
            logins.start()
        res = load(k.http_port, "omniq", customers, agents, rates, seconds, pids,
                   on_served=served, redis_pids=others, node=node,
                   forks=lambda: (int(r.info("stats")["total_forks"]),
                                  int(r.info("stats")["latest_fork_usec"]),
                                  int(r.info("memory")["used_memory_rss"])))
        logins.stop()
        for p in perf:
            p.wait()
        res["logins"] = logins.summary()
        res["cpu_server"] = cpu_of(pids) + cpu_of(list(node)) - cpu0[0]
        res["cpu_redis"] = cpu_of(others) - cpu0[1]
        res["server"] = ("kamailio: omniq_ws %d process(es) (+ their events and logins "
                         "threads) and %d others (the dispatcher's share shown), redis-server"
                         % (len(pids), len(node)))
        res["redis_memory"] = memory_by_family(r)
        stats = r.info("commandstats")   # the rate steps only (reset before them)
        res["redis_top"] = sorted(((v["usec"], k[8:], v["calls"], v["usec_per_call"])
                                   for k, v in stats.items()), reverse=True)[:6]
        return res
    finally:
        k.stop()
        rs.stop()


class Logins:
    """Desk logins of agent a0 at a steady rate (per second) from a thread, until stop()."""

    def __init__(self, k, rate):
        self.rate, self.port, self.took, self.status = rate, k.http_port, [], {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        if rate > 0:
            rc, out = k.rpc("omniq.agent_password", "a0", "bench password 0")
            assert rc == 0 and not out.startswith("error"), out

    def start(self):
        if self.rate > 0:
            self.thread.start()

    def run(self):
        body = json.dumps({"agent": "a0", "password": "bench password 0"})
        nxt = time.time()
        while not self.done.is_set():
            t0 = time.time()
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                c.request("POST", "/api/v1/desk/login", body,
                          {"Content-Type": "application/json"})
                r = c.getresponse()
                r.read()
                status = r.status
            except OSError as e:             # counted and shown, not a silent end of the logins
                status = type(e).__name__
            c.close()
            self.took.append(time.time() - t0)
            self.status[status] = self.status.get(status, 0) + 1
            nxt += 1 / self.rate
            self.done.wait(max(0, nxt - time.time()))

    def stop(self):
        self.done.set()
        if self.thread.is_alive():
            self.thread.join(30)

    def summary(self):
        if not self.took:
            return None
        t = sorted(self.took)
        return "%d at %g/s, statuses %s, latency p50 %.1f ms, max %.1f ms" % (
            len(t), self.rate, self.status, t[len(t) // 2] * 1e3, t[-1] * 1e3)


def http_up(port):
    import socket
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def run_relay(workdir, customers, agents, rates, seconds):
    port = free_port()
    p = subprocess.Popen([os.path.join(HERE, "relay"), str(port)], stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(workdir, "relay.log"), "w"))
    try:
        wait_for(lambda: http_up(port), timeout=10, what="relay")
        cpu0 = cpu_of([p.pid])
        res = load(port, "relay", customers, agents, rates, seconds, [p.pid])
        res["cpu_server"] = cpu_of([p.pid]) - cpu0
        res["cpu_redis"] = 0.0
        res["server"] = "relay: 1 process, no Redis"
        return res
    finally:
        p.terminate()
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def show(name, r, customers, agents):
    print("-- %s (%s), ws_load exit %s, %.0f s" % (name, r["server"], r["rc"], r["wall"]))
    print("   held: %s of %d customers, %s of %d agents (open when the memory was measured), "
          "failed %s, closed by the server %s; connect %s s" % (
              r.get("customers_held", "?"), customers, r.get("agents_held", "?"), agents,
              r.get("failed", "?"), r.get("closed", "?"), r.get("connect_s", "?")))
    per_conn = figures.bytes_per_open_conn(r)
    if per_conn is not None:
        print("   server private memory: %s kB with agents, %s kB with the customers idle: "
              "%.0f bytes per open customer connection" % (
                  r["server_private_kb_before"], r["server_private_kb_after"], per_conn))
    print("   sessions served %s in %s s" % (r.get("sessions_served", "?"), r.get("open_s", "?")))
    print("   each message counted once by its step and seq; latency from when it was due "
          "(p99 snd: from when the client sent it, which leaves out the client's own delay); "
          "msg/s: delivered within the step's window")
    print("   %7s %7s %5s %9s %5s %5s %4s %8s %7s %7s %7s %7s  %-25s %s" % (
        "rate/s", "sent", "skip", "delivered", "lost", "late", "dup", "msg/s", "p50 ms",
        "p99 ms", "max ms", "p99 snd", "CPU us/msg: srv+redis+cli", "clean"))
    for s in r["steps"]:
        c = s.get("cpu")
        per = ("%5.1f+%5.1f+%5.1f=%5.1f" % tuple(
            x * 1e6 / max(s["sent"], 1) for x in c + [sum(c)]) if c else "?")
        why = figures.unclean_reasons(s)
        print("   %7d %7d %5d %9d %5d %5s %4s %8.0f %7.2f %7.2f %7.2f %7.2f  %-25s %s%s" % (
            s["rate"], s["sent"], s["skipped"], s["delivered"], s["lost"], s.get("late", "?"),
            s.get("dup", "?"), s["msg_per_s"], s["p50_ms"], s["p99_ms"], s["max_ms"],
            s["p99_send_ms"], per,
            "no: " + ", ".join(why) if why else "yes",
            " (Redis forked %d time(s) in the step: an AOF rewrite; the last fork() stalled "
            "it %.1f ms at %d MB)" % (s["forks"], s["fork_ms"], s["redis_mb"])
            if s.get("forks") else ""))
    if r.get("bogus"):
        print("   %d messages named no step of the run (ws_load or the server altered them)"
              % r["bogus"])
    if r["steps"] and len(r["steps"][0].get("threads", {})) > 1:
        print("   server CPU us per message sent, by thread (omniq_ws' loop is 'kamailio'; "
              "another process by its description):")
        for s in r["steps"]:
            th = sorted(s.get("threads", {}).items(), key=lambda kv: -kv[1])
            print("   %8s   %s" % (s["rate"], ", ".join(
                "%s %.1f" % (n, v * 1e6 / max(s["sent"], 1)) for n, v in th if v > 0)))
    print("   CPU: server %.1f s, redis-server %.1f s" % (r["cpu_server"], r["cpu_redis"]))
    if r.get("redis_memory"):
        used, keys, fams = r["redis_memory"]
        print("   redis memory at the end: %d MB in %d keys; by key family: %s" % (
            used >> 20, keys, ", ".join("%s %.1f MB (%d keys)" % (name, b / 2**20, n)
                                        for b, n, name in fams)))
    for usec, cmd, calls, per in r.get("redis_top", []):
        print("   redis, rate steps only: %-8s %9d calls %6.1f s %7.1f us/call" % (
            cmd, calls, usec / 1e6, per))
    if r.get("logins"):
        print("   desk logins during the rate steps: %s" % r["logins"])
    if "stderr" in r:
        print("   ws_load stderr: %s" % r["stderr"])


def main():
    customers, agents = int(sys.argv[1]), int(sys.argv[2])
    rates, seconds = sys.argv[3], int(sys.argv[4])
    workdir = tempfile.mkdtemp(prefix="omniq-bench-ws.")
    print("== omniq ws bench: %d customers (/ws/chat), %d agents (/ws/agent), rates %s/s, "
          "%d s each, %d cores" % (customers, agents, rates, seconds, os.cpu_count()))
    om = run_omniq(workdir, customers, agents, rates, seconds)
    rl = run_relay(workdir, customers, agents, rates, seconds)
    show("omniq", om, customers, agents)
    show("relay (baseline)", rl, customers, agents)
    bo, br = figures.best(om), figures.best(rl)
    print("== summary")
    print("connections held     omniq %s + %s   relay %s + %s   (target 10,000 + 500)" % (
        om.get("customers_held"), om.get("agents_held"), rl.get("customers_held"),
        rl.get("agents_held")))
    fmt = lambda b: "%.0f" % b if b is not None else "?"  # noqa: E731
    print("bytes per open conn  omniq %s   relay %s   (target < 20,480)" % (
        fmt(figures.bytes_per_open_conn(om)), fmt(figures.bytes_per_open_conn(rl))))
    fmt = lambda b: ("%.0f msg/s (p50 %.2f ms, p99 %.2f ms)" % (  # noqa: E731
        b["msg_per_s"], b["p50_ms"], b["p99_ms"]) if b else "none of the rates")
    print("best clean rate      omniq %s   relay %s   (target 20,000 msg/s, p99 < 10 ms)" % (
        fmt(bo), fmt(br)))
    if bo and br:
        print("ratio omniq/relay    %.2f" % (bo["msg_per_s"] / br["msg_per_s"]))
    # What the target rate needs before omniq_ws does anything a bare relay does not: the
    # relay's own server and client CPU per message and omniq's Redis per message, from the
    # highest clean step of each run (where batching makes them cheapest).
    pr = figures.projection(om, rl)
    if pr:
        print("CPU at 20,000 msg/s  relay's server + client %.1f us (at %d msg/s) + omniq's "
              "Redis %.1f us (at %d msg/s) per message = %.2f cores, before omniq_ws' own work "
              "(this machine: %d)" % (pr[0], pr[4], pr[1], pr[3], pr[2], os.cpu_count()))
    else:
        print("CPU at 20,000 msg/s  not projected: a run has no clean step")
    if om["rc"] or rl["rc"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
