"""make coverage's Lua side: reads the line and branch counts out of a redis-server that runs
the coverage build of the function library (scripts/coverage/lua_instrument.py), for the
tests' harnesses.

The counts live in the library's Lua state: they are gone when the server stops and start
again at zero when the library is loaded again (each kamailio start loads it), so the
harnesses call collect() just before either. Each call takes the counts (the reader sets them
back to zero, so nothing is counted twice) and writes the ones that are not zero to a file of
its own in $OMNIQ_COVERAGE_LUA/counts; scripts/coverage/report.py adds them up. Without that
variable (every run but make coverage) collect() does nothing.
"""
import itertools
import json
import os
import sys

import redis

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "coverage"))
from lua_instrument import READER  # noqa: E402  (the name of the counts' reader function)

# set by make coverage: where lua_instrument.py wrote the counting library; counts go below
OUT = os.path.join(os.environ["OMNIQ_COVERAGE_LUA"], "counts") if os.environ.get("OMNIQ_COVERAGE_LUA") else None
_seq = itertools.count()


def collect(port, why, out=OUT):
    """Take the counts of the redis-server on 127.0.0.1:port into out; why says when."""
    if not out:
        return
    name = os.path.join(out, "%d-%d" % (os.getpid(), next(_seq)))
    try:
        got = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5,
                          socket_connect_timeout=2).fcall(READER, 0)
    except redis.exceptions.ConnectionError:
        return   # no server: nothing ran since the last collect (a kamailio started first)
    except redis.exceptions.ResponseError as e:
        if "not found" in str(e).lower():
            return   # the library is not loaded yet: nothing to take
        _lost(name, port, why, e)
        return
    except redis.exceptions.RedisError as e:   # a stopped (SIGSTOP) or busy server
        _lost(name, port, why, e)
        return
    counts = {i: c for i, c in enumerate(got[1:], 1) if c}
    fp = got[0].decode() if isinstance(got[0], bytes) else got[0]
    with open(name + ".json", "w") as f:
        json.dump({"fingerprint": fp, "port": port, "when": why, "counts": counts}, f)


def _lost(name, port, why, err):
    """The report counts these: counts that could not be read are a hole in the figures."""
    with open(name + ".lost", "w") as f:
        f.write("redis %d, %s: %s\n" % (port, why, err))
