#!/usr/bin/python3
"""bench/route: the figures of issue 18's targets, derived from the raw counts route_bench
printed (its `RESULT key=value ...` lines, one per scenario), printed side by side and
ended by one line:

  RESULT us_per_cycle=<n> us_per_cycle_30skills=<n> floor_us_per_cycle=<n> cycles_per_s=<n>
         enqueue_p99_ms=<n> memory_ratio=<n>

  us_per_cycle          Redis function time of one assignment cycle (enqueue offered at once,
                        accept, close with pull), 100 idle agents with 10 skills each: the
                        usec INFO commandstats counted for FCALL over the run / cycles. Not
                        wall time: on a shared machine CPU time per cycle is what stays put.
  us_per_cycle_30skills the same with agents of 30 skills.
  floor_us_per_cycle    floor.lua's cycle timed the same way on the same server in the same
                        run: the session's hash, one event per state change, its id; no
                        customer, no agent, no routing. The engine / floor ratio is printed.
  cycles_per_s          the 10-skill run's cycles per second of wall time: one connection,
                        pipelined batches of 32, AOF everysec (end to end).
  enqueue_p99_ms        99th percentile of single enqueues (one call a round trip, send to
                        reply) while every agent is busy and the queue is long. The same
                        scenario then closes chats, each pulling a waiting session: its
                        function time per close is printed beside (no target).
  memory_ratio          used_memory after a soak of sessions that all passed their retention
                        and left, over used_memory before the first (agents and customers
                        there both times), each without the agents' lists of past sessions
                        (P:a:<aid>:past, capped at PAST_MAX: agent state that fills as the
                        agents serve, whose MEMORY USAGE the soak reads at both ends).

Beside them (issue 24: routing by value and region within the 10-skill target), when the run
has them: value_us_per_cycle, the 10-skill cycle of returning customers with tiers and
regions configured, and returning_us_per_cycle, the same customers without (what tiers and
regions cost is the difference).

    figures.py <file with the RESULT lines>
"""
import sys

TARGETS = {  # issue 18
    "us_per_cycle": 60, "us_per_cycle_30skills": 90, "engine_over_floor": 1.3,
    "cycles_per_s": 10000, "enqueue_p99_ms": 2, "memory_ratio": 1.1,
    "lat_agents": 10000, "lat_queued": 100000, "soak_sessions": 1000000,
}
FINAL = ("us_per_cycle", "us_per_cycle_30skills", "floor_us_per_cycle", "cycles_per_s",
         "enqueue_p99_ms", "memory_ratio")


def parse(lines):
    v = {}
    for line in lines:
        if line.startswith("RESULT "):
            for kv in line[7:].split():
                k, _, x = kv.partition("=")
                v[k] = float(x)
    return v


def compute(v):
    f = {
        "us_per_cycle": v["e10_fcall_us"] / v["e10_cycles"],
        "us_per_cycle_30skills": v["e30_fcall_us"] / v["e30_cycles"],
        "floor_us_per_cycle": v["floor_fcall_us"] / v["floor_cycles"],
        "cycles_per_s": v["e10_cycles"] / v["e10_wall_s"],
        "enqueue_p99_ms": v["lat_p99_ms"],
        # without the agents' past-session lists when the run measured them (capped agent
        # state that fills as agents serve: soak.c past_lists)
        "memory_ratio": (v["soak_mem_end"] - v.get("soak_past_end", 0))
        / (v["soak_mem_start"] - v.get("soak_past_start", 0)),
    }
    f["engine_over_floor"] = f["us_per_cycle"] / f["floor_us_per_cycle"]
    f["engine30_over_floor"] = f["us_per_cycle_30skills"] / f["floor_us_per_cycle"]
    for k in ("returning", "value"):
        if v.get(k + "_cycles"):
            f[k + "_us_per_cycle"] = v[k + "_fcall_us"] / v[k + "_cycles"]
            f[k + "_enqueue_us"] = v[k + "_enqueue_us"] / max(v[k + "_split_cycles"], 1)
    for k in ("e10", "e30", "floor"):
        if v.get(k + "_cpu_s", -1) >= 0:
            f[k + "_cpu_us"] = v[k + "_cpu_s"] * 1e6 / v[k + "_cycles"]
    # a session removed before its retention, or one still there at the end, voids the
    # memory figure: it would be low for the wrong reason, or not an end at all
    f["memory_valid"] = (v["soak_early"] == 0 and v["soak_retired"] == v["soak_sessions"]
                         and v["soak_keys_end"] - v.get("soak_past_keys_end", 0)
                         <= v["soak_keys_start"] - v.get("soak_past_keys_start", 0))
    return f


def verdict(ok):
    return "met" if ok else "NOT met"


def quick_note(v):
    """What the run measured below the targets' sizes (the quick form), or ''."""
    notes = []
    if v["lat_agents"] < TARGETS["lat_agents"] or v["lat_queued"] < TARGETS["lat_queued"]:
        notes.append("enqueue p99 at %d agents / %d queued, not 10,000 / 100,000"
                     % (v["lat_agents"], v["lat_queued"]))
    if v["soak_sessions"] < TARGETS["soak_sessions"]:
        notes.append("memory soak of %d sessions, not 1,000,000" % v["soak_sessions"])
    return "; ".join(notes)


def report(v):
    f = compute(v)
    t = TARGETS
    out = [
        "ENGINE, 10 skills   %.1f us of Redis function time per cycle (target <= %d: %s); "
        "redis-server CPU %.1f us" % (f["us_per_cycle"], t["us_per_cycle"],
                                      verdict(f["us_per_cycle"] <= t["us_per_cycle"]),
                                      f.get("e10_cpu_us", -1)),
        "ENGINE, 30 skills   %.1f us per cycle (target <= %d: %s); redis-server CPU %.1f us"
        % (f["us_per_cycle_30skills"], t["us_per_cycle_30skills"],
           verdict(f["us_per_cycle_30skills"] <= t["us_per_cycle_30skills"]),
           f.get("e30_cpu_us", -1)),
        "FLOOR               %.1f us per cycle (floor.lua: the session's hash, one event per "
        "state change, its id; no customer, no agent, no routing); redis-server CPU %.1f us"
        % (f["floor_us_per_cycle"], f.get("floor_cpu_us", -1)),
        "ENGINE / FLOOR      %.2f with 10 skills (target <= %.1f: %s), %.2f with 30" % (
            f["engine_over_floor"], t["engine_over_floor"],
            verdict(f["engine_over_floor"] <= t["engine_over_floor"]),
            f["engine30_over_floor"]),
        "END TO END          %.0f cycles/s (10 skills, wall, one connection, batches of 32, "
        "AOF everysec; target >= %d: %s)" % (f["cycles_per_s"], t["cycles_per_s"],
                                             verdict(f["cycles_per_s"] >= t["cycles_per_s"])),
        "ENQUEUE p99         %.3f ms one call at a time, %d agents all busy, %d queued (p50 "
        "%.3f; PING p99 %.3f on the same connection; target < %d ms: %s)" % (
            v["lat_p99_ms"], v["lat_agents"], v["lat_queued"], v["lat_p50_ms"],
            v["lat_ping_p99_ms"], t["enqueue_p99_ms"],
            verdict(v["lat_p99_ms"] < t["enqueue_p99_ms"])),
    ]
    if "value_us_per_cycle" in f and "returning_us_per_cycle" in f:
        out.append(
            "VALUE AND REGION    %.1f us per cycle, returning customers with tiers and regions "
            "(target <= %d: %s); %.1f without them, the same customers: %+.1f us (enqueue %.1f "
            "vs %.1f us)" % (
                f["value_us_per_cycle"], t["us_per_cycle"],
                verdict(f["value_us_per_cycle"] <= t["us_per_cycle"]),
                f["returning_us_per_cycle"],
                f["value_us_per_cycle"] - f["returning_us_per_cycle"],
                f["value_enqueue_us"], f["returning_enqueue_us"]))
    if v.get("lat_closes"):
        out.append(
            "CLOSE, BUSY HOUR    %.1f us of Redis function time per close that pulls (%d "
            "closed; %d agents all busy, %d waiting; no target: the cycles above close with "
            "nothing waiting)" % (v["lat_close_fcall_us"] / v["lat_closes"], v["lat_closes"],
                                  v["lat_agents"], v["lat_queued"] + v["lat_samples"]))
    past = ""
    if "soak_past_end" in v:
        past = ("; the agents' past-session lists (%.0f KB before, %.0f KB after) left out "
                "of both" % (v["soak_past_start"] / 1024, v["soak_past_end"] / 1024))
    out += [
        "MEMORY              %.3f: used_memory %.0f KB at the end over %.0f KB before the "
        "first of %d sessions (target <= %.1f: %s)%s; %d of %d samples removed before their "
        "retention" % (
            f["memory_ratio"], v["soak_mem_end"] / 1024, v["soak_mem_start"] / 1024,
            v["soak_sessions"], t["memory_ratio"],
            verdict(f["memory_valid"] and f["memory_ratio"] <= t["memory_ratio"]), past,
            v["soak_early"], v["soak_samples"]),
    ]
    if not f["memory_valid"]:
        out.append("MEMORY INVALID      %d sessions retired of %d, keys %d before and %d after, "
                   "%d removed early: the soak did not end where it should"
                   % (v["soak_retired"], v["soak_sessions"], v["soak_keys_start"],
                      v["soak_keys_end"], v["soak_early"]))
    note = quick_note(v)
    if note:
        out.append("QUICK FORM          " + note)
    out.append("RESULT " + " ".join("%s=%s" % (k, fmt(k, f[k])) for k in FINAL
                                    + ("returning_us_per_cycle", "value_us_per_cycle")
                                    if k in f))
    return out


def fmt(key, x):
    if key == "cycles_per_s":
        return "%.0f" % x
    if key in ("enqueue_p99_ms", "memory_ratio"):
        return "%.3f" % x
    return "%.1f" % x


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        print("\n".join(report(parse(fh))))
