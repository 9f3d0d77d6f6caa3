"""The tenant invariant checker of tests/redis/harness.py (every session in exactly one place,
loads equal held sessions, load within capacity, indexes consistent), reused here on the Redis
that real kamailio nodes wrote; and its snapshot of a tenant's keys with their content."""
import importlib.util
import os

_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "redis", "harness.py")
_spec = importlib.util.spec_from_file_location("omniq_redis_harness", _path)
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)


def check_tenant(r, prefix):
    return _mod.check_invariants(r, prefix)


def agent(r, prefix, aid):
    """An agent as oq_agent_get shows it (its row spelled out as named fields): tests read
    agents through the library, never its row."""
    flat = r.fcall("oq_agent_get", 1, prefix, aid)
    return dict(zip(flat[0::2], flat[1::2]))


def snapshot(r, prefix):
    return _mod.snapshot(r, prefix)
