#!/usr/bin/python3
"""bench/sip: the highest call rate kamailio carries cleanly, through plain stateful relay
and through omniq routing, measured in the same run on the same kamailio.

One redis-server, one kamailio (bench.cfg), one sipp UAS playing every agent's phone (all
agents register their AOR with that sipp as contact), one sipp UAC as callers. At each rate
the caller places rate x duration calls (INVITE, 200, ACK, hold, BYE):
  relay  sip:relay-<agent>@  lookup("location") + t_relay, calls spread over the agents
  omniq  sip:bench@          omniq_call("bench"): session, routing to a free agent (voice
                             capacity 1), relay, accept on 200, close on BYE
Each step counts at the rate it really achieved (step.py: successful calls over sipp's real
elapsed time), and is clean only when every call succeeded, that rate is within 3 % of the
target and, for omniq, every session of the step ended `closed` (read from Redis after it).
Prints per step: the target and achieved rates, calls, failed, why it is not clean, and the
CPU seconds of kamailio (and of that, its omniq dispatcher process), redis-server, the
agents' sipp (uas) and the callers' sipp (uac), and for omniq Redis' busiest commands per
call; then the highest clean step of each path at its achieved rate, their ratio, and the
CPU that 80 % of the relay's rate would take with omniq's Redis cost alone.
kamailio runs with -x tlsf, as docs/admin.md recommends.

    sip_bench.py [rates] [duration_s] [hold_ms] [agents]
    e.g. sip_bench.py 100,200,400,800 5 100 600
"""
import collections
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True   # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.join(TOP, "tests", "integration"))
from harness import RedisServer, Kamailio, cpu_of, free_port  # noqa: E402
import step  # noqa: E402  (this directory's)

P = "oq:{default}"


def kam_pids(k):
    out = subprocess.run(["pgrep", "-s", str(k.proc.pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def dispatcher_pid(k):
    """The omniq dispatcher process, from core.psx (its CPU is reported on its own)."""
    pids = k.pids("omniq dispatcher")
    return pids[0] if pids else None


def redis_per_call(r, calls):
    """Redis' busiest commands of the step (stats reset before it), per call. Commands that
    run inside a function count both on their own and in the function's FCALL."""
    rows = sorted(((v["usec"], k[8:], v["calls"]) for k, v in r.info("commandstats").items()),
                  reverse=True)[:8]
    return "redis per call: " + ", ".join(
        "%s %.2fx %.0fus" % (name, n / max(calls, 1), us / max(calls, 1)) for us, name, n in rows)


FINAL_STATES = ("closed", "abandoned", "expired")


def session_states(r, first, last, wait_s=15.0):
    """Sessions first..last by state, once none is still on its way to an end (a session
    closes when kamailio handles the BYE, which may come a moment after sipp's last 200),
    or after wait_s: a session still open then is counted as it is."""
    end = time.monotonic() + wait_s
    while True:
        pipe = r.pipeline(transaction=False)
        for i in range(first, last + 1):
            pipe.hget("%s:s:%d" % (P, i), "state")
        states = collections.Counter(pipe.execute())
        if set(states) <= set(FINAL_STATES) or time.monotonic() > end:
            return dict(states)
        time.sleep(0.2)


def main():
    rates = [int(x) for x in (sys.argv[1] if len(sys.argv) > 1 else
                              "100,200,300,400,600,800,1000,1200").split(",")]
    duration = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    hold_ms = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    n_agents = int(sys.argv[4]) if len(sys.argv) > 4 else 600
    work = tempfile.mkdtemp(prefix="omniq-sipbench.")
    servers = []
    try:
        rs = RedisServer(work).start()
        servers.append(rs)
        k = Kamailio(work, os.path.join(HERE, "bench.cfg"), rs.port, name="kam",
                     extra_args=["-m", "1024", "-M", "32", "-x", "tlsf"])  # docs/admin.md
        k.start()
        servers.append(k)
        r = rs.client()

        # the agents' phones: one sipp UAS, every agent's contact
        aport = free_port(socket.SOCK_DGRAM)
        agents = subprocess.Popen(
            ["sipp", "-sf", os.path.join(HERE, "agent.xml"), "-i", "127.0.0.1", "-p", str(aport),
             "-nostdin", "-trace_err",
             "-error_file", os.path.join(work, "agents_err.log")],
            cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        reg = os.path.join(work, "agents.csv")
        with open(reg, "w") as f:
            f.write("SEQUENTIAL\n")
            for i in range(n_agents):
                f.write("agent%d;127.0.0.1:%d\n" % (i, aport))
        rc = subprocess.run(
            ["sipp", "127.0.0.1:%d" % k.sip_port, "-sf", os.path.join(HERE, "register.xml"),
             "-inf", reg, "-m", str(n_agents), "-r", "500", "-i", "127.0.0.1",
             "-p", str(free_port(socket.SOCK_DGRAM)), "-nostdin", "-timeout", "60",
             "-timeout_error"], cwd=work, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL).returncode
        if rc != 0:
            raise SystemExit("sip_bench: agent registration failed")
        pipe = r.pipeline(transaction=False)
        for i in range(n_agents):
            pipe.fcall("oq_agent_set", 1, P, "agent%d" % i, "Agent %d" % i, "sales:5",
                       "voice=1,chat=0,email=0,total=1", "")
            pipe.fcall("oq_agent_state", 1, P, "agent%d" % i, "available")
        pipe.execute()

        relay_inf = os.path.join(work, "relay.csv")
        with open(relay_inf, "w") as f:
            f.write("SEQUENTIAL\n")
            for i in range(n_agents):
                f.write("relay-agent%d;\n" % i)
        omniq_inf = os.path.join(work, "omniq.csv")
        with open(omniq_inf, "w") as f:
            f.write("SEQUENTIAL\nbench;\n")
        scen = os.path.join(work, "caller.xml")
        with open(os.path.join(HERE, "caller.xml")) as f:
            xml = f.read().replace("HOLD_MS", str(hold_ms))
        with open(scen, "w") as f:
            f.write(xml)

        print("== bench/sip: %d agents, hold %d ms, %d s per step, kamailio children=4, "
              "sipp UAC + UAS on the same %d cores" % (n_agents, hold_ms, duration,
                                                        os.cpu_count()))
        print("%-6s %6s %8s %7s %7s %9s %9s %9s %8s %8s" % (
            "path", "rate", "achieved", "calls", "failed", "kam cpu", "(dispatch)", "redis cpu",
            "uas cpu", "uac cpu"))
        best = {"relay": 0.0, "omniq": 0.0}
        per_call = {}
        dead = {"relay": False, "omniq": False}
        sessions_before = 0
        for rate in rates:
            for path, inf in (("relay", relay_inf), ("omniq", omniq_inf)):
                if dead[path]:
                    continue
                calls = rate * duration
                stf = os.path.join(work, "stat_%s_%d.csv" % (path, rate))
                kp = kam_pids(k)
                dp = [dispatcher_pid(k)]
                c0 = (cpu_of(kp), cpu_of([rs.proc.pid]), cpu_of([agents.pid]), cpu_of(dp))
                ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                r.config_resetstat()
                caller = subprocess.Popen(
                    ["sipp", "127.0.0.1:%d" % k.sip_port, "-sf", scen, "-inf", inf,
                     "-m", str(calls), "-r", str(rate), "-l", str(max(rate * 2, 100)),
                     "-i", "127.0.0.1", "-p", str(free_port(socket.SOCK_DGRAM)), "-nostdin",
                     "-timeout", str(duration + 40), "-trace_stat", "-stf", stf, "-fd", "1",
                     "-recv_timeout", "10000", "-trace_err",
                     "-error_file", os.path.join(work, "err_%s_%d.log" % (path, rate))],
                    cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                sipp_rc = caller.wait(duration + 90)
                c1 = (cpu_of(kp), cpu_of([rs.proc.pid]), cpu_of([agents.pid]), cpu_of(dp))
                ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                uac_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
                st = step.read_sipp_stats(stf)
                states = None
                if path == "omniq":
                    # every session of the step must have ended: nothing stuck, nothing lost
                    n = int(r.get(P + ":seq:s") or 0)
                    states = session_states(r, sessions_before + 1, n)
                    sessions_before = n
                v = step.verdict(rate, duration, st, sipp_rc, states)
                print("%-6s %6d %8.0f %7d %7d %8.1fs %9.1fs %8.1fs %8.1fs %7.1fs%s" % (
                    path, rate, v.achieved, st.ok + st.failed, st.failed, c1[0] - c0[0],
                    c1[3] - c0[3], c1[1] - c0[1], c1[2] - c0[2], uac_cpu,
                    "" if v.clean else "  (not clean: %s)" % "; ".join(v.reasons)), flush=True)
                if v.clean:
                    best[path] = max(best[path], v.achieved)
                    # CPU per call at the best clean rate: (kamailio + both sipps, redis)
                    per_call[path] = ((c1[0] - c0[0] + c1[2] - c0[2] + uac_cpu) / calls,
                                      (c1[1] - c0[1]) / calls)
                else:
                    dead[path] = True
                if path == "omniq":
                    print("       " + redis_per_call(r, st.ok + st.failed), flush=True)
                time.sleep(1.0)   # the box settles between steps
            if dead["relay"] and dead["omniq"]:
                break
        if not dead["relay"]:
            print("relay clean at every rate of the ramp: its ceiling is higher, so the ratio "
                  "below is an upper bound")
        if not dead["omniq"]:
            print("omniq clean at every rate of the ramp: its ceiling is higher")
        if "relay" in per_call and "omniq" in per_call:
            # what 80 % of the relay's rate needs before kamailio does any omniq work: the
            # relay's own CPU per call (kamailio, both sipps) and omniq's Redis per call
            want = 0.8 * best["relay"]
            print("CPU at 80%% of relay (%.0f calls/s): relay's own %.3f ms + omniq's Redis %.3f ms "
                  "per call = %.2f cores, before kamailio's omniq work (this machine: %d)" % (
                      want, per_call["relay"][0] * 1e3, per_call["omniq"][1] * 1e3,
                      want * (per_call["relay"][0] + per_call["omniq"][1]), os.cpu_count()))
        print("RESULT relay_max_clean_cps=%.0f omniq_max_clean_cps=%.0f ratio=%.2f "
              "(targets: ratio >= 0.80, omniq >= 1000 cps)" % (
                  best["relay"], best["omniq"],
                  best["omniq"] / best["relay"] if best["relay"] else 0.0))
        agents.kill()
        agents.wait()
    finally:
        for s in reversed(servers):
            getattr(s, "cleanup", s.stop)()


if __name__ == "__main__":
    main()
