"""bench/sip: what one step of the ramp achieved, and whether it counts (clean).

A step asks sipp for rate x duration calls at `rate` calls/s. sipp may take far longer than
`duration` to place them (it holds at most `-l` calls in flight and waits up to `-timeout`),
so the target rate says nothing about what the server carried. A step therefore counts only
at the rate it really achieved, read from sipp's own statistics file:

  achieved = successful calls / the step's real duration

where the real duration is sipp's elapsed time (from its start to its last call's end, the
file's StartTime and last CurrentTime) less its calls' average length (CallLength(C): the
hold and the server's setup and teardown), which the last call adds after it is placed. A
step whose calls were placed and ended on time achieves its target within about a percent. A step is clean when every call it asked for succeeded, its achieved
rate is within RATE_TOLERANCE of the target, sipp ended normally, and (omniq) every session
the step created ended `closed`, one session per call.
"""
import collections

RATE_TOLERANCE = 0.03   # "within a few percent of the target"

SippStats = collections.namedtuple("SippStats", "ok failed created elapsed_s call_s")
Step = collections.namedtuple("Step", "achieved clean reasons")


def _epoch(field):
    """sipp writes a time as 'date<TAB>time<TAB>epoch'."""
    return float(field.split("\t")[-1])


def _duration(field):
    """sipp writes a duration as 'hh:mm:ss:microseconds'."""
    h, m, s, us = (int(x) for x in field.split(":"))
    return h * 3600 + m * 60 + s + us / 1e6


def read_sipp_stats(path):
    """The final counts and the elapsed time of a sipp -trace_stat file (';' separated, one
    header line, one line per period and a last one at exit)."""
    with open(path) as f:
        lines = [ln.rstrip("\n") for ln in f if ln.strip()]
    if len(lines) < 2:
        raise ValueError("%s: no statistics line after the header" % path)
    head = lines[0].split(";")
    last = lines[-1].split(";")
    col = lambda name: last[head.index(name)]  # noqa: E731
    return SippStats(ok=int(col("SuccessfulCall(C)")), failed=int(col("FailedCall(C)")),
                     created=int(col("TotalCallCreated")),
                     elapsed_s=_epoch(col("CurrentTime")) - _epoch(col("StartTime")),
                     call_s=_duration(col("CallLength(C)")))


def achieved_rate(stats):
    span = stats.elapsed_s - stats.call_s
    return stats.ok / span if span > 0 else 0.0


def verdict(rate, duration_s, stats, sipp_rc=0, sessions=None):
    """The step's achieved rate, whether it is clean, and why not. sessions: for an omniq
    step, the count of the step's sessions by their state once it is over."""
    calls = rate * duration_s
    achieved = achieved_rate(stats)
    reasons = []
    if stats.failed:
        reasons.append("%d calls failed" % stats.failed)
    if stats.ok + stats.failed != calls:
        reasons.append("%d of %d calls ended" % (stats.ok + stats.failed, calls))
    if abs(achieved - rate) > RATE_TOLERANCE * rate:
        reasons.append("achieved %.0f calls/s in %.1f s, not %d" % (
            achieved, stats.elapsed_s, rate))
    if sipp_rc not in (0, 1):     # 1: some calls failed, counted above
        reasons.append("sipp exited %s" % sipp_rc)
    if sessions is not None:
        left = {st: n for st, n in sessions.items() if st != "closed"}
        if left:
            reasons.append("sessions not closed: %s" % ", ".join(
                "%d %s" % (n, st) for st, n in sorted(left.items(), key=str)))
        made = sum(sessions.values())
        if made != calls:
            reasons.append("%d sessions for %d calls" % (made, calls))
    return Step(achieved, not reasons, reasons)
