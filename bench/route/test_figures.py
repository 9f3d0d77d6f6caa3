"""Self-test of bench/route's figures (figures.py), fed the RESULT lines route_bench printed
in a quick run (OMNIQ_BENCH_QUICK=1 bench/route/run.sh, 2026-12-05, before the engine's
optimisation: its figures are far from the targets). Run by bench/selftest.py."""
import figures

RUN = [
    "RESULT e10_cycles=20000 e10_wall_s=4.791 e10_fcall_us=3874929 e10_cpu_s=4.550 e10_forks=0 "
    "e10_split_cycles=2000 e10_enqueue_us=240499 e10_accept_us=51296 e10_close_us=100042",
    "RESULT e30_cycles=20000 e30_wall_s=4.951 e30_fcall_us=3973884 e30_cpu_s=4.660 e30_forks=1 "
    "e30_split_cycles=2000 e30_enqueue_us=257596 e30_accept_us=54734 e30_close_us=108207",
    "RESULT floor_cycles=20000 floor_wall_s=1.375 floor_fcall_us=804888 floor_cpu_s=1.210 "
    "floor_forks=1 floor_split_cycles=2000 floor_enqueue_us=45316 floor_accept_us=19168 "
    "floor_close_us=20747",
    "RESULT lat_agents=1000 lat_queued=10000 lat_samples=2000 lat_p50_ms=0.129 lat_p99_ms=0.826 "
    "lat_max_ms=2.712 lat_ping_p50_ms=0.030 lat_ping_p99_ms=0.088 lat_fcall_us=172131",
    "RESULT soak_sessions=50000 soak_pool=2000 soak_mem_start=2382840 soak_mem_end=2433152 "
    "soak_mem_end_first=2432128 soak_mem_peak=31564544 soak_keys_start=2173 soak_keys_end=2173 "
    "soak_retired=50000 soak_samples=2000 soak_early=0 soak_max_late_ms=238 soak_pass_s=17.959",
]


def run(**change):
    v = figures.parse(RUN)
    v.update(change)
    return v


def test_a_cycle_costs_what_redis_counted_in_its_functions():
    # FCALL usec / cycles (193.7), not redis-server's CPU (4.55 s: 227.5) nor wall time
    # (4.791 s: 239.6)
    f = figures.compute(run())
    assert abs(f["us_per_cycle"] - 3874929 / 20000) < 1e-9, f["us_per_cycle"]
    assert abs(f["us_per_cycle_30skills"] - 3973884 / 20000) < 1e-9, f
    assert abs(f["e10_cpu_us"] - 4.550e6 / 20000) < 1e-9, f


def test_the_engine_is_divided_by_the_floor_of_the_same_run():
    f = figures.compute(run())
    assert abs(f["floor_us_per_cycle"] - 804888 / 20000) < 1e-9, f
    assert abs(f["engine_over_floor"] - 3874929 / 804888) < 1e-9, f["engine_over_floor"]
    assert abs(f["engine30_over_floor"] - 3973884 / 804888) < 1e-9, f


def test_cycles_per_second_are_the_10_skill_runs_wall_rate():
    f = figures.compute(run())
    assert abs(f["cycles_per_s"] - 20000 / 4.791) < 1e-9, f["cycles_per_s"]


def test_the_memory_ratio_is_the_end_over_the_start():
    f = figures.compute(run())
    assert abs(f["memory_ratio"] - 2433152 / 2382840) < 1e-12, f["memory_ratio"]
    assert f["memory_valid"]


def test_a_soak_that_removed_a_session_early_or_left_one_has_no_memory_figure():
    for change in ({"soak_early": 1}, {"soak_retired": 49999}, {"soak_keys_end": 2174}):
        v = run(**change)
        assert not figures.compute(v)["memory_valid"], change
        out = figures.report(v)
        assert any(line.startswith("MEMORY INVALID") for line in out), (change, out)
        memory = [line for line in out if line.startswith("MEMORY  ")][0]
        assert "NOT met" in memory, memory


def test_each_target_is_judged_at_its_bound():
    out = figures.report(run(e10_fcall_us=60 * 20000, e30_fcall_us=90.1 * 20000,
                             floor_fcall_us=60 / 1.3 * 20000, lat_p99_ms=2.0))
    line = {l.split("  ")[0]: l for l in out}
    assert "target <= 60: met" in line["ENGINE, 10 skills"], line
    assert "target <= 90: NOT met" in line["ENGINE, 30 skills"], line
    assert "target <= 1.3: met" in line["ENGINE / FLOOR"], line
    assert "target < 2 ms: NOT met" in line["ENQUEUE p99"], line
    assert "target >= 10000: NOT met" in line["END TO END"], line


def test_the_quick_form_says_what_it_measured_smaller():
    out = figures.report(run())
    quick = [l for l in out if l.startswith("QUICK FORM")]
    assert quick and "1000 agents / 10000 queued" in quick[0] and "50000 sessions" in quick[0], out
    full = figures.report(run(lat_agents=10000, lat_queued=100000, soak_sessions=1000000,
                              soak_retired=1000000))
    assert not [l for l in full if l.startswith("QUICK FORM")], full


def test_the_run_ends_with_the_issues_result_line():
    out = figures.report(run())
    assert out[-1] == ("RESULT us_per_cycle=193.7 us_per_cycle_30skills=198.7 "
                       "floor_us_per_cycle=40.2 cycles_per_s=4174 enqueue_p99_ms=0.826 "
                       "memory_ratio=1.021"), out[-1]


def test_the_busy_hour_close_is_its_function_time_per_close():
    # lat_close_fcall_us / lat_closes, printed with its sizes; absent from a run before it
    # was measured, the line is left out (no figure made up)
    out = figures.report(run(lat_closes=2000, lat_close_fcall_us=319357))
    line = [x for x in out if x.startswith("CLOSE, BUSY HOUR")]
    assert len(line) == 1 and line[0].startswith("CLOSE, BUSY HOUR    159.7 us"), out
    assert "(2000 closed; 1000 agents all busy, 12000 waiting;" in line[0], line
    assert not [x for x in figures.report(run()) if x.startswith("CLOSE")]


VALUE = [
    "RESULT returning_cycles=20000 returning_wall_s=1.043 returning_fcall_us=644866 "
    "returning_cpu_s=0.960 returning_forks=1 returning_split_cycles=2000 "
    "returning_enqueue_us=33834 returning_accept_us=12344 returning_close_us=13536",
    "RESULT value_cycles=20000 value_wall_s=0.974 value_fcall_us=1624027 value_cpu_s=0.900 "
    "value_forks=1 value_split_cycles=2000 value_enqueue_us=39197 value_accept_us=11991 "
    "value_close_us=11669",
]


def test_tiers_and_regions_are_judged_beside_the_same_customers_without_them():
    v = figures.parse(RUN + VALUE)
    line = {x[:20].strip(): x for x in figures.report(v)}
    got = line["VALUE AND REGION"]
    # 1624027 / 20000 = 81.2 > 60; 644866 / 20000 = 32.2; enqueue 39197 / 2000 = 19.6
    assert "81.2 us per cycle" in got and "target <= 60: NOT met" in got, got
    assert "32.2 without them" in got and "+49.0 us" in got and "enqueue 19.6 vs 16.9" in got, got
    assert "value_us_per_cycle=81.2" in figures.report(v)[-1]
    # a run without them says nothing of them
    assert not any(x.startswith("VALUE") for x in figures.report(figures.parse(RUN)))



def test_the_agents_past_lists_are_left_out_of_the_memory_figure():
    # the soak's end grew by three agents' lists (capped agent state): without them the
    # sessions left nothing; their keys do not void the figure
    past = ("RESULT soak_sessions=50000 soak_pool=2000 soak_mem_start=2684280 "
            "soak_mem_end=2938464 soak_mem_end_first=2939488 soak_mem_peak=38733896 "
            "soak_keys_start=2233 soak_keys_end=2236 soak_retired=50000 soak_samples=2000 "
            "soak_early=0 soak_max_late_ms=4451 soak_pass_s=6.607 soak_past_keys_start=97 "
            "soak_past_keys_end=100 soak_past_start=120000 soak_past_end=380000")
    v = figures.parse(RUN[:-1] + [past])
    f = figures.compute(v)
    assert f["memory_valid"]
    assert abs(f["memory_ratio"] - (2938464 - 380000) / (2684280 - 120000)) < 1e-9
    line = [x for x in figures.report(v) if x.startswith("MEMORY")][0]
    assert "0.998" in line and "target <= 1.1: met" in line and "left out" in line, line
