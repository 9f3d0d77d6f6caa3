#!/usr/bin/python3
"""bench/route: the figures run.sh prints, derived from what route_bench and run.sh measured
(their `RESULT key=value ...` lines), each compared only with its like:

  assign_per_s       the drain: sessions carried from offered to closed per second of the
                     drain. Its clock covers the accept and the close of every session it
                     carries, those offered on arrival before it and those its closes pull
                     from the queue, so it counts them all (it used to count only the
                     pulled ones, over a time that also served the others).
  steady_offers_per_s  arrivals and completions interleaved: offers made (at enqueue, or
                     pulled by a close) per second.
  single_ratio       enqueues made one call at a time per second ÷ PING's, one call at a
                     time on one connection (redis-benchmark -c 1): both one request per
                     round trip. The pipelined rates above are not compared with PING: a
                     pipeline does not wait for round trips.
  engine and floor   Redis' CPU per assignment cycle (INFO cpu): the engine's in the steady
                     phase (each offer there is a whole cycle: an enqueue, an accept, a
                     close) and floor.lua's (its offer, accept and close, each pipelined by
                     redis-benchmark); their quotient says how far the engine is from the
                     floor whatever the pipelining. Beside it, the wall rates, both
                     pipelined on one connection: steady offers/s ÷ the floor's cycles/s.

    figures.py <file with the RESULT lines>
"""
import sys


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
        "assign_per_s": v["drain_cycles"] / v["drain_s"],
        "drain_pulled": v["drain_pulled"],
        "steady_offers_per_s": v["steady_offers"] / v["steady_s"],
        "single_per_s": v["single_calls"] / v["single_s"],
        "drain_cpu_us": v["drain_redis_cpu_s"] * 1e6 / v["drain_cycles"],
        "steady_cpu_us": v["steady_redis_cpu_s"] * 1e6 / v["steady_offers"],
    }
    if v.get("ping_per_s"):
        f["single_ratio"] = f["single_per_s"] / v["ping_per_s"]
    steps = ("floor_offer", "floor_accept", "floor_close")
    if all(v.get(s + "_per_s") for s in steps):
        f["floor_cycles_per_s"] = 1 / sum(1 / v[s + "_per_s"] for s in steps)
        f["floor_cpu_us"] = sum(v[s + "_cpu_s"] for s in steps) * 1e6 / v["floor_n"]
        f["floor_over_engine_cpu"] = f["floor_cpu_us"] / f["steady_cpu_us"]
        f["engine_over_floor_wall"] = f["steady_offers_per_s"] / f["floor_cycles_per_s"]
    return f


def report(v):
    f = compute(v)
    out = [
        "ASSIGNMENTS/S     %.0f  (drain: sessions carried from offered to closed per second "
        "of the drain; %d of %d were pulled from the queue by its closes, the rest offered on "
        "arrival before it)" % (f["assign_per_s"], v["drain_pulled"], v["drain_cycles"]),
        "OFFERS/S (steady) %.0f  (arrivals and completions interleaved: offers made at "
        "enqueue or pulled by closes, per second)" % f["steady_offers_per_s"],
        "REDIS CPU         %.0f us per offer in the steady phase (a cycle: enqueue, accept, "
        "close), %.0f us per session in the drain (its accept and close, and the close's pull)"
        % (f["steady_cpu_us"], f["drain_cpu_us"]),
    ]
    if "single_ratio" in f:
        out.append("RATIO (single)    enqueue one call at a time %.0f/s / PING -c 1 %.0f/s = "
                   "%.3f  (issue target >= 0.5: both one request per round trip)" % (
                       f["single_per_s"], v["ping_per_s"], f["single_ratio"]))
    if "floor_cycles_per_s" in f:
        out.append("FLOOR             %.0f cycles/s pipelined (-P 16: offer, accept and close, "
                   "no routing), Redis CPU %.0f us per cycle" % (
                       f["floor_cycles_per_s"], f["floor_cpu_us"]))
        out.append("ENGINE vs FLOOR   Redis CPU per cycle: floor %.0f / engine %.0f us = %.2f; "
                   "wall, both pipelined: steady offers/s / floor cycles/s = %.2f" % (
                       f["floor_cpu_us"], f["steady_cpu_us"], f["floor_over_engine_cpu"],
                       f["engine_over_floor_wall"]))
    out.append("RESULT " + " ".join("%s=%s" % (k, ("%.3f" % x) if x < 10 else "%.0f" % x)
                                    for k, x in sorted(f.items())))
    return out


if __name__ == "__main__":
    with open(sys.argv[1]) as fh:
        print("\n".join(report(parse(fh))))
