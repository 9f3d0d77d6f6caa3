"""Self-test of bench/ws' figures (figures.py), fed synthetic ws_load outputs in the shape
ws_load prints. Run by bench/selftest.py."""
import figures


def step_line(rate, sent, p99=2.0, skipped=0, delivered=None, lost=0):
    delivered = sent - lost if delivered is None else delivered
    return ("RESULT step rate=%d sent=%d skipped=%d delivered=%d in_window=%d dup=0 bogus=0 "
            "lost=%d msg_per_s=%d p50_ms=1.00 p99_ms=%.2f max_ms=%.2f client_cpu=40%%" % (
                rate, sent, skipped, delivered, delivered, lost, delivered // 5, p99, p99 * 2))


def final_line(i, delivered, late=0, dup=0, bogus=0, lost=0):
    return "RESULT final step=%d delivered=%d late=%d dup=%d bogus=%d lost=%d" % (
        i, delivered, late, dup, bogus, lost)


def run(*steps, finals=(), cpu=None, **keys):
    """A parsed run: step lines, their final lines (all-clean ones unless given), CPU
    seconds per step as ws_bench.py attaches them (server, redis, client)."""
    lines = ["RESULT %s %s" % kv for kv in keys.items()] + list(steps)
    given = {f.split()[2] for f in finals}
    lines += list(finals) + [final_line(i, int(s.split()[3].split("=")[1]))
                             for i, s in enumerate(steps) if "step=%d" % i not in given]
    res = figures.parse(lines)
    for s, c in zip(res["steps"], cpu or []):
        s["cpu"] = c
    return res


def test_a_step_with_a_late_or_duplicated_message_is_not_clean():
    for bad in (dict(late=1), dict(dup=1)):
        # step 1: 10,000 sent; one arrived after the step (late: counted lost in its line,
        # not lost at the end), or one twice (delivered exactly once all the same)
        late = bad.get("late", 0)
        res = run(step_line(5000, 25000), step_line(10000, 50000, lost=late),
                  finals=[final_line(1, 50000 - late, **bad)])
        assert figures.unclean_reasons(res["steps"][1]) == ["1 %s" % list(bad)[0]], res
        assert figures.best(res)["rate"] == 5000, (bad, figures.best(res))


def test_the_cpu_projection_uses_the_top_clean_step():
    # omniq's top step (20,000) is not clean: its Redis cost per message is not what a
    # server carrying 20,000 msg/s would pay
    om = run(step_line(5000, 25000), step_line(20000, 100000, p99=750.0),
             cpu=[[2.0, 1.0, 2.0], [3.0, 2.0, 2.0]])
    rl = run(step_line(5000, 25000), step_line(20000, 100000),
             cpu=[[1.0, 0.0, 1.0], [2.0, 0.0, 2.0]])
    relay_us, redis_us, cores, at_omniq, at_relay = figures.projection(om, rl)
    assert (at_omniq, at_relay) == (5000, 20000), (at_omniq, at_relay)
    assert abs(redis_us - 40.0) < 1e-9 and abs(relay_us - 40.0) < 1e-9, (relay_us, redis_us)
    assert abs(cores - 1.6) < 1e-9, cores
    # and none when a run has no clean step
    assert figures.projection(run(step_line(20000, 100000, p99=750.0),
                                  cpu=[[3.0, 2.0, 2.0]]), rl) is None


def test_memory_is_per_connection_still_open():
    # 10,000 customers welcomed, 2,000 of them closed by the server before the measure:
    # 60,000 kB grown over the 8,000 open
    res = run(step_line(1000, 5000), customers_held=8000, closed=2000,
              server_private_kb_before=5000, server_private_kb_after=65000)
    assert figures.bytes_per_open_conn(res) == 60000 * 1024 / 8000, figures.bytes_per_open_conn(res)
