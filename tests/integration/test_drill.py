"""The faults drill's short form (tests/integration/drill.py; the long one is `make chaos`)."""
from drill import Drill
from harness import alone, test


@test
@alone
def test_drill_calls_and_chats_over_two_nodes_through_faults(ctx):
    d = Drill(ctx, "short")
    line = d.run()
    print(line, flush=True)
    assert not d.problems, "%s; first: %s" % (line, " | ".join(d.problems[:8]))
    # the faults met the load: the library was loaded again, connections were made again,
    # calls were answered on both nodes and chats acknowledged
    assert d.logs["library reloads"] >= 1 and d.logs["reconnects"] >= 2, line
    assert min(d.answered) > 0 and d.acked, line
