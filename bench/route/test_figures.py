"""Self-test of bench/route's figures (figures.py), fed RESULT lines in the shape route_bench
and run.sh print them (the counts of the 2026-12-03 run in docs/performance.md where it has
them). Run by bench/selftest.py."""
import figures

RUN = [
    "RESULT single_calls=10000 single_s=12.136 enqueue_p50_ms=1.098 enqueue_p99_ms=3.467 "
    "drain_cycles=146790 drain_pulled=93724 drain_s=116.710 drain_redis_cpu_s=80.0 "
    "drain_fcall_s=95.0 steady_offers=47000 steady_s=33.985 steady_redis_cpu_s=30.0 "
    "steady_fcall_s=32.0",
    "RESULT ping_per_s=5500 floor_n=200000 floor_offer_per_s=7670 floor_offer_cpu_s=26.0 "
    "floor_accept_per_s=11359 floor_accept_cpu_s=17.6 floor_close_per_s=12195 "
    "floor_close_cpu_s=16.4",
]


def test_the_drain_rate_counts_every_session_its_time_covers():
    # the drain's clock covers the accept and the close of all 146,790 sessions it carried,
    # 53,066 of them offered on arrival before it: 93,724 pulled / 116.7 s (803/s) left them
    # out of the count but not out of the time
    f = figures.compute(figures.parse(RUN))
    assert round(f["assign_per_s"]) == 1258, f["assign_per_s"]


def test_the_round_trip_ratio_compares_single_calls_with_ping():
    # one enqueue at a time (824/s) against one PING at a time (5,500/s); the steady phase's
    # offers/s (1,383, pipelined 512 deep) are not one round trip each
    f = figures.compute(figures.parse(RUN))
    assert abs(f["single_ratio"] - 824 / 5500) < 0.001, f["single_ratio"]


def test_the_engine_and_the_floor_compare_in_redis_cpu_per_cycle():
    # new figure (the floor was compared by hand before, wall rates of different pipelines):
    # floor 130 + 88 + 82 = 300 us per cycle; the engine 30 s for 47,000 offers = 638 us
    f = figures.compute(figures.parse(RUN))
    assert abs(f["floor_cpu_us"] - 300) < 1e-6, f["floor_cpu_us"]
    assert abs(f["steady_cpu_us"] - 30e6 / 47000) < 1e-6, f["steady_cpu_us"]
    assert abs(f["floor_over_engine_cpu"] - 300 / (30e6 / 47000)) < 1e-9, f
