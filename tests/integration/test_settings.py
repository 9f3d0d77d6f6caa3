"""limits.def in a running kamailio: the tenant settings as modparams, one for each cfg line
with its range, pushed to every tenant's P:cfg at start; the capacity modparam as an agent's
capacities; a value as long as its limit reaching the cfg script whole."""
import os

from harness import test, wait_for
from test_ws import ws_kam

HERE = os.path.dirname(os.path.abspath(__file__))
LIMITS_DEF = os.path.join(HERE, "..", "..", "modules", "omniq", "limits.def")


def settings():
    """{name: (default, min, max)} from limits.def's cfg lines"""
    out = {}
    with open(LIMITS_DEF) as f:
        for line in f:
            w = line.split()
            if w and w[0] == "cfg":
                out[w[1]] = tuple(int(x) for x in w[2:5])
    assert out, "no cfg line in limits.def"
    return out


def settings_cfg(ctx, name, values, capacity=None):
    """policy.cfg (ctl, pv, omniq) with a modparam line for each of values, logging at info
    (so that a stop's 'Thank you for flying' is there to excuse the shutdown's noise)"""
    src = open(os.path.join(HERE, "cfg", "policy.cfg")).read()
    src = src.replace("log_stderror=yes\n", "log_stderror=yes\ndebug=2\n")
    line = 'modparam("omniq", "policy", OMNIQ_POLICY)\n'
    extra = "".join('modparam("omniq", "%s", %d)\n' % kv for kv in values.items())
    if capacity is not None:
        extra += 'modparam("omniq", "capacity", "%s")\n' % capacity
    assert line in src
    path = os.path.join(ctx.dir, name + ".cfg")
    with open(path, "w") as f:
        f.write(src.replace(line, line + extra))
    return path


@test
def test_every_setting_is_a_modparam_pushed_to_redis(ctx):
    """Each setting at the top of its range (and one at the bottom) reaches P:cfg, the new
    ones (retention, archive, events_keep) and the widened ones (offer_timeout 86400,
    max_misses 0) included."""
    rs = ctx.redis()
    for which, pick in (("max", lambda d, lo, hi: hi), ("min", lambda d, lo, hi: lo)):
        values = {n: pick(*r) for n, r in settings().items()}
        k = ctx.kamailio(settings_cfg(ctx, which, values), rs.port, name=which,
                         defines={"OMNIQ_POLICY": '"voice_exclusive"'})
        cfg = rs.client().hgetall("oq:{default}:cfg")
        got = {n: int(cfg.get(n, "-1")) for n in values}
        assert got == values, (which, got, values)
        assert cfg["policy"] == "voice_exclusive", cfg
        k.stop()


@test
def test_settings_outside_their_ranges_stop_kamailio(ctx):
    """A setting below its minimum or above its maximum: kamailio does not start, and its
    log names the parameter, the value and limits.def's range."""
    rs = ctx.redis()
    i = 0
    for name, (d, lo, hi) in settings().items():
        for v in (lo - 1, hi + 1):
            k = ctx.kamailio(settings_cfg(ctx, "bad%d" % i, {name: v}), rs.port, start=False,
                             name="bad%d" % i, defines={"OMNIQ_POLICY": '"blended"'})
            i += 1
            k.start(expect_ready=False)
            assert k.wait_exit(20) != 0, (name, v)
            says = "modparam %s = %d is outside %d..%d" % (name, v, lo, hi)
            assert says in k.text(), (says, k.tail())


@test
def test_omniq_integer_modparams_outside_their_ranges_stop_kamailio(ctx):
    """omniq's own integer modparams (not tenant settings) outside their ranges: kamailio
    does not start, and its log names the parameter, the value and the range."""
    rs = ctx.redis()
    for i, (name, v, rng) in enumerate((("sweep_interval", 9, "10..60000"),
                                        ("event_read_gap", -1, "0..50000"),
                                        ("event_read_gap", 50001, "0..50000"),
                                        ("redis_timeout", 60001, "10..60000"))):
        k = ctx.kamailio(settings_cfg(ctx, "badp%d" % i, {name: v}), rs.port, start=False,
                         name="badp%d" % i, defines={"OMNIQ_POLICY": '"blended"'})
        k.start(expect_ready=False)
        assert k.wait_exit(20) != 0, (name, v)
        says = "modparam %s = %d is outside %s" % (name, v, rng)
        assert says in k.text(), (says, k.tail())


@test
def test_capacity_modparam_is_read_as_any_capacity_list(ctx):
    """The capacity modparam is what an agent given no capacity gets; a class it leaves out
    is 0 and its total, left out, the sum. An empty one stops kamailio."""
    rs = ctx.redis()
    k = ctx.kamailio(settings_cfg(ctx, "cap", {}, capacity="voice=1,chat=4"), rs.port,
                     name="cap", defines={"OMNIQ_POLICY": '"blended"'})
    for aid, caps in (("a1", "s:"), ("a2", "chat=2")):   # "s:" is kamcmd's ""
        rc, out = k.rpc("omniq.agent_set", aid, "A", "s:", caps)
        assert rc == 0 and "error" not in out, out
    r = rs.client()
    got = {}
    for a in ("a1", "a2"):
        flat = r.execute_command("FCALL", "oq_agent_get", 1, "oq:{default}", a)
        fields = dict(zip(flat[::2], flat[1::2]))
        got[a] = tuple(int(fields["cap:" + c]) for c in ("voice", "chat", "email", "total"))
    assert got == {"a1": (1, 4, 0, 5), "a2": (0, 2, 0, 2)}, got
    k.stop()
    k = ctx.kamailio(settings_cfg(ctx, "nocap", {}, capacity=""), rs.port, start=False,
                     name="nocap", defines={"OMNIQ_POLICY": '"blended"'})
    k.start(expect_ready=False)
    assert k.wait_exit(20) != 0
    assert "modparam capacity: capacity list is empty" in k.text(), k.tail()


@test
def test_an_ext_at_its_limit_reaches_the_event_route_whole(ctx):
    """A session's ext may have TEXT_MAX bytes (the REST API's, the C API's): $oq(ext) in an
    event route holds all of them (its buffer held one byte less)."""
    with open(LIMITS_DEF) as f:
        text_max = next(int(w[2]) for w in (line.split() for line in f)
                        if w[:2] == ["num", "TEXT_MAX"])
    rs, k, api = ws_kam(ctx, defines={"OMNIQ_LOG_EXT": "1"})
    assert k.rpc("omniq.agent_set", "alice", "Alice", "s:", "chat=1")[0] == 0
    assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
    ext = "".join("%x" % (i % 16) for i in range(text_max))
    st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v-1",
                                                  "ext": ext})
    assert st == 201 and s["state"] == "offered", (st, s)
    wait_for(lambda: "offered with ext [" in k.text(), what="the offer's event route")
    assert "offered with ext [%s]" % ext in k.text(), k.tail()
    st, e = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:v-2",
                                                  "ext": ext + "x"})
    assert st == 400 and "ext has %d bytes, the limit is %d" % (text_max + 1, text_max) in \
        e["error"]["message"], (st, e)
