#!/usr/bin/env python3
"""make chaos: the faults drill's long form (tests/integration/drill.py) - five minutes of
calls and chats over two nodes while Redis is stopped and killed, its function library
flushed and a node killed and started again, each more than once; then the audit. Ends
with the plain summary line, "N passed, N failed"."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from drill import Drill  # noqa: E402


def test_drill_long_calls_and_chats_over_two_nodes_through_faults(ctx):
    d = Drill(ctx, "long")
    line = d.run()
    print(line, flush=True)
    assert not d.problems, "%s; first: %s" % (line, " | ".join(d.problems[:8]))
    assert d.logs["library reloads"] >= 3 and min(d.answered) > 0 and d.acked, line


if __name__ == "__main__":
    harness.TESTS[:] = [test_drill_long_calls_and_chats_over_two_nodes_through_faults]
    rc = harness.run()
    print("%d passed, %d failed" % (1 - rc, rc))
    sys.exit(rc)
