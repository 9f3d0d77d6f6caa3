"""Self-test of bench/route's figures (figures.py), fed the RESULT lines of the 2026-12-05
default run in docs/performance.md (route_bench's as printed; run.sh's floor line rebuilt from
its printed rates and CPU per call). Run by bench/selftest.py."""
import figures

RUN = [
    "RESULT single_calls=10000 single_s=6.071 enqueue_p50_ms=0.512 enqueue_p99_ms=3.894 "
    "drain_cycles=86948 drain_pulled=33896 drain_s=53.960 drain_redis_cpu_s=42.295 "
    "drain_fcall_s=48.584 steady_offers=46842 steady_s=50.555 steady_redis_cpu_s=34.528 "
    "steady_fcall_s=44.708",
    "RESULT ping_per_s=48804.29 floor_n=200000 floor_offer_per_s=10654.73 floor_offer_cpu_s=14.2 "
    "floor_accept_per_s=12492.97 floor_accept_cpu_s=9.6 floor_close_per_s=17152.66 "
    "floor_close_cpu_s=8.8",
]


def test_the_drain_rate_counts_every_session_its_time_covers():
    # the drain's clock covers the accept and the close of all 86,948 sessions it carried,
    # 53,052 of them offered on arrival before it: 33,896 pulled / 53.96 s (628/s) left them
    # out of the count but not out of the time
    f = figures.compute(figures.parse(RUN))
    assert round(f["assign_per_s"]) == 1611, f["assign_per_s"]


def test_the_round_trip_ratio_compares_single_calls_with_ping():
    # one enqueue at a time (1,647/s) against one PING at a time (48,804/s); the steady
    # phase's offers/s (927, pipelined 512 deep) are not one round trip each
    f = figures.compute(figures.parse(RUN))
    assert abs(f["single_ratio"] - 10000 / 6.071 / 48804.29) < 1e-6, f["single_ratio"]


def test_the_engine_and_the_floor_compare_in_redis_cpu_per_cycle():
    # new figure (the floor was compared by hand before, in wall rates of different
    # pipelines): floor 71 + 48 + 44 = 163 us per cycle; the engine 34.528 s for 46,842 offers
    f = figures.compute(figures.parse(RUN))
    assert abs(f["floor_cpu_us"] - 163) < 1e-6, f["floor_cpu_us"]
    assert abs(f["steady_cpu_us"] - 34.528e6 / 46842) < 1e-6, f["steady_cpu_us"]
    assert abs(f["floor_over_engine_cpu"] - 163 / (34.528e6 / 46842)) < 1e-9, f
