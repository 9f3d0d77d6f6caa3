"""Self-test of bench/sip's step accounting (step.py), fed sipp statistics files recorded here
(testdata/) and copies of them with counts edited. Run by bench/selftest.py."""
import os
import tempfile

import step

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "testdata")


def recorded(name):
    return step.read_sipp_stats(os.path.join(DATA, name))


def edited(name, **cols):
    """A copy of a recorded file whose last line has the given columns replaced."""
    with open(os.path.join(DATA, name)) as f:
        lines = [ln.rstrip("\n") for ln in f if ln.strip()]
    head, last = lines[0].split(";"), lines[-1].split(";")
    for col, val in cols.items():
        last[head.index(col)] = str(val)
    fd, path = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines[:-1] + [";".join(last)]) + "\n")
    try:
        return step.read_sipp_stats(path)
    finally:
        os.unlink(path)


def test_a_step_sipp_held_back_counts_at_the_rate_it_achieved():
    # recorded: bench/sip's caller asked for 800 calls at 400/s (a 2 s step) with at most 10
    # in flight (-l 10) against the agents' sipp: it took 8 s, every call succeeded
    slow = recorded("caller_400x2s_held_by_l10.csv")
    assert slow.ok == 800 and slow.failed == 0, slow
    v = step.verdict(400, 2, slow, sipp_rc=0)
    assert 85 < v.achieved < 95, v
    assert not v.clean and any("achieved" in r for r in v.reasons), v
    # the same rate placed on time (through kamailio's relay) counts at its target
    v = step.verdict(400, 2, recorded("relay_400x2s_clean.csv"), sipp_rc=0)
    assert v.clean and abs(v.achieved - 400) < 400 * step.RATE_TOLERANCE, v


def test_any_failed_call_makes_the_step_unclean():
    # 5,000 calls, 3 failed (0.06 %), on time
    st = edited("relay_400x2s_clean.csv", **{"SuccessfulCall(C)": 4997, "FailedCall(C)": 3,
                                            "TotalCallCreated": 5000})
    v = step.verdict(2500, 2, st, sipp_rc=1)
    assert not v.clean and "3 calls failed" in v.reasons, v


def test_a_session_left_open_makes_the_step_unclean():
    st = recorded("omniq_200x2s_clean.csv")
    v = step.verdict(200, 2, st, sipp_rc=0, sessions={"closed": 400})
    assert v.clean, v
    v = step.verdict(200, 2, st, sipp_rc=0, sessions={"closed": 399, "active": 1})
    assert not v.clean and "sessions not closed: 1 active" in v.reasons, v


def test_a_session_twice_or_missing_makes_the_step_unclean():
    st = recorded("omniq_200x2s_clean.csv")
    for sessions, why in (({"closed": 401}, "401 sessions for 400 calls"),
                          ({"closed": 399}, "399 sessions for 400 calls")):
        v = step.verdict(200, 2, st, sipp_rc=0, sessions=sessions)
        assert not v.clean and why in v.reasons, (sessions, v)


def test_sipp_ending_abnormally_makes_the_step_unclean():
    v = step.verdict(400, 2, recorded("relay_400x2s_clean.csv"), sipp_rc=255)
    assert not v.clean and "sipp exited 255" in v.reasons, v
