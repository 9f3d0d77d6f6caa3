"""The omniq function library made wrong on demand (badlib.lua), in a test's redis-server:
loaded in place of the real one after kamailio has loaded that, and the real one put back
after. Also what a test compares to show that nothing was written."""
import os

import redis

import invariants

HERE = os.path.dirname(os.path.abspath(__file__))

# every shape badlib.lua answers (its `shapes` table)
MODES = ["nil", "int", "huge", "negative", "string", "empty_string", "status", "empty", "short",
         "ints", "nested", "nils", "long", "bigstr", "binary", "odd", "badsid", "longsid",
         "longagent", "nostate", "badflag", "error", "error_oq", "raise"]


def _pairs(x):
    """A RESP map as redis-py gives it (a dict, or a flat list of name, value)."""
    return x if isinstance(x, dict) else dict(zip(x[::2], x[1::2]))


class BadLibrary:
    def __init__(self, rs):
        self.raw = redis.Redis(host="127.0.0.1", port=rs.port, socket_timeout=30)
        code = None
        self.readers = set()    # the functions flagged no-writes: they cannot write
        for lib in self.raw.execute_command("FUNCTION", "LIST", "LIBRARYNAME", "omniq",
                                            "WITHCODE"):
            lib = {k.decode(): v for k, v in _pairs(lib).items()}
            if lib["library_name"] == b"omniq":
                code = lib["library_code"].decode()
                for f in lib["functions"]:
                    f = _pairs(f)
                    if b"no-writes" in (f[b"flags"] or []):
                        self.readers.add(f[b"name"].decode())
        assert code and "redis.register_function" in code, "no omniq library in Redis"
        self.real = self.raw.execute_command("FUNCTION", "DUMP")
        with open(os.path.join(HERE, "badlib.lua")) as f:
            prelude = f.read()
        shebang, body = code.split("\n", 1)
        self.code = "\n".join((shebang, prelude,
                               body.replace("redis.register_function", "oq_bad_register")))

    def load(self):
        """In place of the real library; every function answers as the real one until set()
        gives it a shape."""
        self.raw.delete("bad:mode", "bad:calls")
        self.raw.execute_command("FUNCTION", "LOAD", "REPLACE", self.code)
        # the engine's faulty build (engine/faults.c) answers the same way for the steps
        # the Kamailio side sends it directly (omniq/omniq_engine_steps.h)
        self.raw.set("bad:engine", "1")

    def set(self, fn, mode):
        """fn answers mode from now on ("real": as the real function)."""
        self.raw.hset("bad:mode", fn, mode)

    def calls(self, start=0):
        """The library's calls since the start-th, in order: the C side writes to Redis only
        through them, so this is also every write it made."""
        return [c.decode() for c in self.raw.lrange("bad:calls", start, -1)]

    def restore(self):
        self.raw.execute_command("FUNCTION", "RESTORE", self.real, "REPLACE")
        self.raw.delete("bad:mode", "bad:calls", "bad:engine")


def snapshot(r):
    """Every omniq key (every tenant's) with its content: what a call must leave as it was
    (the library's own bad:* aside, and the nodes' leases in P:nodes, which omniq_sip renews
    each second whatever a call does). By content, not DUMP, as a stream's group notes when
    its readers last read."""
    return {k: v for k, v in invariants.snapshot(r, "oq").items() if not k.endswith(":nodes")}
