"""bench/ws: the figures ws_bench.py prints, from ws_load's RESULT lines.

ws_load counts each message once by its step and sequence number (delivery.h); this file
decides what those counts mean:
  clean step       every message it scheduled was sent, each delivered exactly once within
                   the step (nothing skipped, lost, late, duplicated or bogus), and the p99
                   of the latencies, counted from when each message was due, is < 10 ms;
  best             the highest clean step;
  CPU projection   what 20,000 msg/s needs before omniq_ws does anything a bare relay does
                   not, from the highest *clean* step of each run: a step that was not
                   clean says what a server that failed cost, not what it would cost;
  memory per open connection
                   the server's private memory grown while the customers connected,
                   divided by the customers still open when it was measured (a connection
                   the server closed costs it nothing by then).
"""

P99_CLEAN_MS = 10.0
TARGET_RATE = 20000


def _value(v):
    v = v.rstrip("%")
    for kind in (int, float):
        try:
            return kind(v)
        except ValueError:
            pass
    return v


def parse(lines):
    """ws_load's output: RESULT <key> <value> lines, a `step` line per rate step and a
    `final` line per step at the end, whose counts (late, dup, bogus, lost as the run ended)
    replace the step line's."""
    res = {"steps": []}
    finals = []
    for line in lines:
        if not line.startswith("RESULT "):
            continue
        key, _, val = line[7:].partition(" ")
        if key in ("step", "final"):
            kv = {k: _value(v) for k, v in (x.split("=", 1) for x in val.split())}
            (res["steps"] if key == "step" else finals).append(kv)
        else:
            res[key] = _value(val)
    for f in finals:
        if 0 <= f["step"] < len(res["steps"]):
            s = res["steps"][f["step"]]
            s.update({k: f[k] for k in ("late", "dup", "bogus", "lost")})
    return res


def unclean_reasons(step):
    why = ["%d %s" % (step.get(k, 0), k) for k in ("skipped", "lost", "late", "dup", "bogus")
           if step.get(k, 0)]
    if "late" not in step:
        why.append("no final count")
    if step["p99_ms"] < 0:
        why.append("none delivered")
    elif step["p99_ms"] >= P99_CLEAN_MS:
        why.append("p99 %.1f ms" % step["p99_ms"])
    return why


def best(res):
    ok = [s for s in res["steps"] if not unclean_reasons(s)]
    return max(ok, key=lambda s: s["rate"]) if ok else None


def top_clean(res):
    """The highest clean step whose CPU was measured."""
    ok = [s for s in res["steps"] if s.get("cpu") and not unclean_reasons(s)]
    return max(ok, key=lambda s: s["rate"]) if ok else None


def bytes_per_open_conn(res):
    held = res.get("customers_held") or 0
    if "server_private_kb_after" not in res or held <= 0:
        return None
    return (res["server_private_kb_after"] - res["server_private_kb_before"]) * 1024.0 / held


def projection(omniq, relay, rate=TARGET_RATE):
    """(relay's server + client us per message, omniq's Redis us per message, the cores
    those take at rate, omniq's step, the relay's step), from the top clean step of each
    run; None when either has none."""
    to, tr = top_clean(omniq), top_clean(relay)
    if not to or not tr:
        return None
    relay_us = (tr["cpu"][0] + tr["cpu"][2]) * 1e6 / max(tr["sent"], 1)
    redis_us = to["cpu"][1] * 1e6 / max(to["sent"], 1)
    return relay_us, redis_us, (relay_us + redis_us) * rate / 1e6, to["rate"], tr["rate"]
