"""The omniq module in a running kamailio: RPC, cfg functions over SIP, event routes, KEMI."""
import os
import shutil
import socket
import time

from harness import test, sipp, wait_for, machine_lock, settled_keys

P = "oq:{default}"


def session_count(r):
    v = r.get(P + ":seq:s")
    return int(v or 0)


@test
def test_rpc_agent_session_lifecycle(ctx):
    rs = ctx.redis()
    k = ctx.kamailio("omniq.cfg", rs.port)
    r = rs.client()
    assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:8,en:5", "voice=1,chat=4")[0] == 0
    assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
    s = k.rpc_struct("omniq.enqueue", "web", "web:visitor-1", "sales", 0)
    assert s["state"] == "offered" and s["agent"] == "alice", s
    sid = s["sid"]
    assert k.rpc("omniq.accept", sid, "alice")[0] == 0
    assert r.hget("%s:s:%s" % (P, sid), "state") == "active"
    a = k.rpc_struct("omniq.agent", "alice")
    assert a.get("load:chat") == "1", a
    assert a.get("state") == "available", a      # chat room left: 1 of 4 used
    # "voice=1,chat=4": email 0 and a total of the sum, 5 (limits.def's rule, issue 18)
    assert k.rpc_struct("omniq.agents").get("alice") == "available 1/5"
    assert k.rpc("omniq.append", sid, "out", "alice", "How can I help?")[0] == 0
    assert r.xlen("%s:s:%s:tx" % (P, sid)) == 1
    assert k.rpc("omniq.close", sid, "resolved")[0] == 0
    # shipped cfg has wrapup_time 30: capacity held in wrap-up
    assert r.hget("%s:s:%s" % (P, sid), "state") == "wrapup"
    st = k.rpc_struct("omniq.session", sid)
    assert st["disposition"] == "resolved", st
    # survey answers: csat on the session becomes the customer's last CSAT
    rc, out = k.rpc("omniq.session_set", sid, "csat", "5", "nps", "9")
    assert rc == 0 and not out.startswith("error"), out
    c = k.rpc_struct("omniq.customer", "web:visitor-1")
    assert c.get("last_csat") == "5", c
    rc, out = k.rpc("omniq.session_set", sid, "csat", "7")
    assert "error" in out and "400" in out, out
    # node statistics count what this node did
    rc, out = k.rpc("stats.get_statistics", "omniq:")
    assert "omniq:enqueued = 1" in out and "omniq:accepted = 1" in out, out


@test
def test_rpc_errors_write_nothing(ctx):
    rs = ctx.redis()
    k = ctx.kamailio("omniq.cfg", rs.port)
    r = rs.client()
    before = settled_keys(r)      # once its start-up writes are over (slow under ASan)
    bad = [
        ("omniq.enqueue", "fax", "web:v1", "sales", 0),          # unknown channel
        ("omniq.enqueue", "web", "nokind", "sales", 0),          # bad identity
        ("omniq.enqueue", "web", "phone:12", "sales", 0),        # too short number
        ("omniq.enqueue", "web", "web:v1", "sa les", 0),         # bad skill
        ("omniq.enqueue", "web", "web:v1", ",".join("s%d" % i for i in range(17)), 0),
        ("omniq.enqueue", "web", "web:" + "x" * 300, "", 0),     # oversized identity
        ("omniq.enqueue", "web", "web:v1", "", 5000),            # priority out of range
        ("omniq.agent_set", "bob", "Bob", "sales:11", ""),       # level out of range
        ("omniq.agent_set", "b b", "Bob", "sales:1", ""),        # bad id
        ("omniq.agent_state", "bob", "sleeping"),
        ("omniq.accept", "abc", "bob"),
        ("omniq.close", "999", "resolved"),                      # unknown session
    ]
    for args in bad:
        rc, out = k.rpc(*args)
        assert rc != 0 or out.startswith("error"), "%s accepted: %s" % (args, out)
        # the fault's code is the HTTP status the REST API gives the same error
        want = "404" if args[0] == "omniq.close" or args[1] == "fax" else "400"
        assert out.startswith("error: " + want), (args, out)
    assert sorted(r.keys("*")) == before, "errors wrote keys: %s" % (set(r.keys("*")) - set(before))


@test
def test_sip_message_opens_session(ctx):
    rs = ctx.redis()
    k = ctx.kamailio("hammer.cfg", rs.port)
    r = rs.client()
    inf = os.path.join(ctx.dir, "in.csv")
    with open(inf, "w") as f:
        f.write("SEQUENTIAL\n")
        for i in range(20):
            f.write("sms;sms:+8613800%06d;sales\n" % i)
    rc = sipp("message.xml", k.sip_port, ctx.dir, calls=20, rate=50, inf=inf)
    assert rc == 0, "sipp exit %d" % rc
    assert session_count(r) == 20
    # sms: and phone: of one number are one customer
    assert k.rpc("omniq.agent_set", "x", "X", "s:", "s:")[0] == 0
    s = k.rpc_struct("omniq.enqueue", "phone", "phone:+8613800000003", "", 0)
    c = k.rpc_struct("omniq.customer", "sms:+8613800000003")
    assert c.get("id") == s["customer"], (c, s)


@test
def test_sip_bad_input_gets_400_and_writes_nothing(ctx):
    rs = ctx.redis()
    k = ctx.kamailio("hammer.cfg", rs.port)
    r = rs.client()
    inf = os.path.join(ctx.dir, "in.csv")
    with open(inf, "w") as f:
        f.write("SEQUENTIAL\nfax;sms:+8613800000001;sales\n")
    before = sorted(r.keys("*"))
    rc = sipp("message.xml", k.sip_port, ctx.dir, calls=1, rate=10, inf=inf,
              extra=["-timeout_error"], timeout=10)
    assert rc != 0, "unknown channel was accepted"
    assert sorted(r.keys("*")) == before
    # the refusal's log line may come just after its reply
    wait_for(lambda: "unknown" in k.text() or "channel" in k.text(), timeout=5,
             what="the log line saying why")


@test
def test_event_route_sees_offers(ctx):
    rs = ctx.redis()
    k = ctx.kamailio("omniq.cfg", rs.port)
    k.rpc("omniq.agent_set", "ann", "Ann", "billing:5", "s:")
    k.rpc("omniq.agent_state", "ann", "available")
    s = k.rpc_struct("omniq.enqueue", "email", "email:Someone@Example.COM", "billing", 0)
    assert s["agent"] == "ann"
    wait_for(lambda: "session %s (email) offered to agent ann" % s["sid"] in k.text(),
             timeout=5, what="event_route[omniq:offer] log line")


@test
def test_kemi_lua_routing_script(ctx):
    rs = ctx.redis()
    k = ctx.kamailio("kemi.cfg", rs.port,
                     defines={"OMNIQ_LUA": '"%s"' % os.path.join(os.path.dirname(__file__), "cfg", "kemi.lua")})
    inf = os.path.join(ctx.dir, "in.csv")
    with open(inf, "w") as f:
        f.write("SEQUENTIAL\nweb;web:kemi-1;\n")
    assert sipp("message.xml", k.sip_port, ctx.dir, calls=1, rate=10, inf=inf) == 0
    r = rs.client()
    assert r.hget(P + ":s:1", "channel") == "web"
    assert r.hget(P + ":s:1", "identity") == "web:kemi-1"
    # events reach the KEMI event_callback
    wait_for(lambda: "omniq event omniq:enqueue sid 1" in k.text(), timeout=5,
             what="KEMI event callback")


@test
def test_example_channel_module(ctx):
    """docs/examples/omniq_echo: a channel module bound through include/omniq/omniq_api.h."""
    rs = ctx.redis()
    outbox = os.path.join(ctx.dir, "outbox.txt")
    k = ctx.kamailio("echo.cfg", rs.port, defines={"OMNIQ_OUTBOX": '"%s"' % outbox})
    assert "channel driver 'echo' registered (class chat)" in k.text(), k.tail()
    k.rpc("omniq.agent_set", "eve", "Eve", "s:", "s:")
    k.rpc("omniq.agent_state", "eve", "available")
    inf = os.path.join(ctx.dir, "in.csv")
    with open(inf, "w") as f:
        f.write("SEQUENTIAL\necho;web:echo-visitor;\n")
    assert sipp("message.xml", k.sip_port, ctx.dir, calls=1, rate=10, inf=inf) == 0
    r = rs.client()
    assert r.hget(P + ":s:1", "channel") == "echo"
    assert r.hget(P + ":s:1", "class") == "chat"
    assert r.xlen(P + ":s:1:tx") == 1
    wait_for(lambda: os.path.exists(outbox) and
             "event offer session 1 state offered agent eve (pid " in open(outbox).read(),
             timeout=5, what="driver event hook")
    assert k.rpc("omniq.accept", "1", "eve")[0] == 0
    rc, out = k.rpc("omniq.reply", "1", "eve", "Hello from Eve")
    assert rc == 0 and not out.startswith("error"), out
    # delivered to the customer's identity on the channel, within the RPC: by the ctl handler
    line = "reply 1 from eve to web:echo-visitor (pid %d): Hello from Eve" % k.pids("ctl handler")[0]
    assert line in open(outbox).read().splitlines(), open(outbox).read()
    assert r.xlen(P + ":s:1:tx") == 2


@test
def test_make_run_starts_and_stops(ctx):
    """The README's run command: redis-server + kamailio in the foreground until Ctrl-C."""
    import signal
    import subprocess
    from harness import free_port, TOP
    rport = free_port()
    sport = free_port(socket.SOCK_DGRAM)
    hport = free_port()
    import tempfile
    ctldir = tempfile.mkdtemp(prefix="oq-ctl-")   # short: the log dir may be too deep for a socket
    env = dict(os.environ, OMNIQ_REDIS_PORT=str(rport), OMNIQ_SIP_LISTEN="udp:127.0.0.1:%d" % sport,
               OMNIQ_RUN_DIR=os.path.join(ctx.dir, "run"), OMNIQ_HTTP_PORT=str(hport),
               OMNIQ_CTL_SOCK=os.path.join(ctldir, "kamailio_ctl"))
    log = open(os.path.join(ctx.dir, "run.log"), "w")
    p = subprocess.Popen([os.path.join(TOP, "scripts", "run.sh")], env=env, stdout=log,
                         stderr=subprocess.STDOUT, start_new_session=True)
    ctl = "unix:" + os.path.join(ctldir, "kamailio_ctl")
    try:
        def up():
            r = subprocess.run(["kamcmd", "-s", ctl, "omniq.stats"], capture_output=True, text=True)
            return r.returncode == 0 and "enqueued" in r.stdout

        # Ctrl-C only once kamailio has forked everything: a SIGINT while it still forks its
        # last process (tcp main) leaves that process orphaned and spinning (Kamailio 5.6)
        def started():
            r = subprocess.run(["kamcmd", "-s", ctl, "core.psx"], capture_output=True, text=True)
            return "tcp main process" in r.stdout
        wait_for(up, timeout=20, what="make run to answer")
        wait_for(started, timeout=20, what="kamailio to start every process")
        def web():
            try:
                socket.create_connection(("127.0.0.1", hport), timeout=1).close()
                return True
            except OSError:
                return False
        wait_for(web, timeout=20, what="the web server")
        out = open(os.path.join(ctx.dir, "run.log")).read()
        assert "Redis     127.0.0.1:%d" % rport in out and "udp:127.0.0.1:%d" % sport in out, out
        assert "http://127.0.0.1:%d/desk/" % hport in out, out
        assert os.path.exists(os.path.join(ctx.dir, "run", "redis", "appendonlydir")), "AOF not on"
        # secrets of its own, made on the first start, readable by its owner only; the REST
        # key the banner shows works, the example key of cfg/omniq.cfg does not
        sec = os.path.join(ctx.dir, "run", "secrets")
        assert os.stat(sec).st_mode & 0o077 == 0, oct(os.stat(sec).st_mode)
        key = dict(l.split("=", 1) for l in open(sec).read().split())["key"]
        assert len(key) == 48 and "Authorization: Bearer local:%s" % key in out, out
        from test_ws import Api
        assert Api(hport, "local:" + key).call("GET", "/api/v1/stats")[0] == 200
        assert Api(hport, "local:example-key-change-me-0123").call("GET", "/api/v1/stats")[0] == 401
        # the SQL archive on SQLite, in the run directory: an ended session comes there
        import sqlite3
        db = os.path.join(ctx.dir, "run", "archive.sqlite")
        assert "Archive   sqlite:///%s " % db in out, out
        api = Api(hport, "local:" + key)
        st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": "web:run1",
                                                      "skills": "sales"})
        assert st == 201, s
        assert api.call("POST", "/api/v1/sessions/%s/abandon" % s["sid"])[0] in (200, 204)

        def archived():
            try:
                con = sqlite3.connect(db, timeout=5)
                try:
                    return con.execute("SELECT state FROM omniq_session WHERE sid = ?",
                                       (s["sid"],)).fetchall() == [("abandoned",)]
                finally:
                    con.close()
            except sqlite3.OperationalError:
                return False
        wait_for(archived, timeout=20, what="the abandoned session in run/archive.sqlite")
        # the banner tells the truth about the Redis it started; scripts/kamcmd reaches this
        # kamailio from another directory (its socket given as make run was given it)
        assert "Redis     127.0.0.1:%d  (started here: data %s/run/redis, AOF on" % (
            rport, ctx.dir) in out, out
        k = subprocess.run([os.path.join(TOP, "scripts", "kamcmd"), "omniq.stats"], cwd="/",
                           env=env, capture_output=True, text=True)
        assert k.returncode == 0 and "enqueued" in k.stdout, (k.stdout, k.stderr)
        k = subprocess.run([os.path.join(TOP, "scripts", "kamcmd"), "omniq.stats"], cwd="/",
                           env=dict(env, OMNIQ_CTL_SOCK="/nonexistent/ctl"),
                           capture_output=True, text=True)
        assert k.returncode == 2 and "no RPC socket at /nonexistent/ctl" in k.stderr, k.stderr
        # what the tests leave in the tree is not the tree's
        assert subprocess.run(["git", "-C", TOP, "check-ignore", "-q",
                               "tests/integration/__pycache__/x.pyc"]).returncode == 0
    finally:
        os.killpg(p.pid, signal.SIGINT)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            # kamailio runs in a session of its own (run.sh): found by its control socket
            subprocess.run(["pkill", "-KILL", "-f", ctldir])
            p.wait(5)
            raise AssertionError("make run did not stop within 20 s of Ctrl-C")
    assert subprocess.run(["redis-cli", "-p", str(rport), "ping"], capture_output=True).returncode != 0, \
        "redis-server still running after Ctrl-C"
    still = subprocess.run(["kamcmd", "-s", ctl, "core.version"], capture_output=True).returncode == 0
    shutil.rmtree(ctldir, ignore_errors=True)
    assert not still, "kamailio still running after Ctrl-C"


@test
def test_make_run_says_which_port_is_taken_by_what_and_what_moves_it(ctx):
    """make run on a machine where the SIP or the web port is held by another program, or
    a Redis without omniq's engine answers on its port: it stops at once with the port, the
    holder and the variable that moves it, and starts nothing."""
    import subprocess
    import tempfile
    from harness import free_port, TOP

    def run(env_extra):
        rport, sport, hport = free_port(), free_port(socket.SOCK_DGRAM), free_port()
        env = dict(os.environ, OMNIQ_REDIS_PORT=str(rport),
                   OMNIQ_SIP_LISTEN="udp:127.0.0.1:%d" % sport, OMNIQ_HTTP_PORT=str(hport),
                   OMNIQ_RUN_DIR=os.path.join(ctx.dir, "run"),
                   OMNIQ_CTL_SOCK=os.path.join(tempfile.mkdtemp(prefix="oq-ctl-"), "ctl"))
        env.update(env_extra)
        p = subprocess.run([os.path.join(TOP, "scripts", "run.sh")], env=env,
                           capture_output=True, text=True, timeout=60)
        return p, int(env["OMNIQ_REDIS_PORT"])
    # the web port held by a listening socket of this test
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen(1)
    hp = held.getsockname()[1]
    p, rport = run({"OMNIQ_HTTP_PORT": str(hp)})
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "tcp port %d is taken by python3 (pid %d): stop that, or set OMNIQ_HTTP_PORT" % (
        hp, os.getpid()) in p.stderr, p.stderr
    held.close()
    # the SIP port (UDP)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    up = u.getsockname()[1]
    p, rport = run({"OMNIQ_SIP_LISTEN": "udp:127.0.0.1:%d" % up})
    assert p.returncode == 2 and "udp port %d is taken by python3" % up in p.stderr and \
        "OMNIQ_SIP_LISTEN=udp:127.0.0.1:%d" % (up + 10) in p.stderr, p.stderr
    u.close()
    # a Redis of somebody else's (no omniq engine) on the Redis port
    other = ctx.redis(engine_loaded=False)
    p, _ = run({"OMNIQ_REDIS_PORT": str(other.port)})
    assert p.returncode == 2 and ("a Redis already answers on 127.0.0.1:%d" % other.port) in \
        p.stderr and "without omniq's engine loaded" in p.stderr and "OMNIQ_REDIS_PORT" in \
        p.stderr, p.stderr
    assert "omniq is starting" not in p.stdout
    assert other.client().ping()


@test
def test_deps_turns_off_the_services_packages_bring_and_leaves_the_machines_own(ctx):
    """scripts/services.sh, as scripts/deps.sh uses it around apt-get install: a service
    that appears enabled (a systemd unit, a SysV script) after the snapshot is disabled and
    named; one the machine had before stays as it was."""
    import subprocess
    from harness import TOP
    sh = os.path.join(TOP, "scripts", "services.sh")
    unit = "/etc/systemd/system/omniq-test-new.service"
    mine = "/etc/systemd/system/omniq-test-mine.service"
    sysv = "/etc/init.d/omniq-test-sysv"
    snap = os.path.join(ctx.dir, "before")
    body = "[Unit]\nDescription=omniq test\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n"

    def sh_run(*a):
        return subprocess.run(list(a), capture_output=True, text=True, timeout=60)
    lock = machine_lock()
    try:
        # the machine's own service, enabled before the snapshot
        open(mine, "w").write(body)
        assert sh_run("systemctl", "enable", "omniq-test-mine.service").returncode == 0
        assert sh_run(sh, "snapshot", snap).returncode == 0
        assert "omniq-test-mine.service" in open(snap).read()
        # what "the packages" bring: a unit and a SysV script, enabled for boot
        open(unit, "w").write(body)
        assert sh_run("systemctl", "enable", "omniq-test-new.service").returncode == 0
        open(sysv, "w").write("#!/bin/sh\n### BEGIN INIT INFO\n# Provides: omniq-test-sysv\n"
                              "# Required-Start:\n# Required-Stop:\n# Default-Start: 2 3 4 5\n"
                              "# Default-Stop: 0 1 6\n# Short-Description: test\n"
                              "### END INIT INFO\nexit 0\n")
        os.chmod(sysv, 0o755)
        assert sh_run("update-rc.d", "omniq-test-sysv", "defaults").returncode == 0
        assert any(f.endswith("omniq-test-sysv") for f in os.listdir("/etc/rc2.d"))
        p = sh_run(sh, "quiet", snap)
        assert p.returncode == 0, p.stderr
        assert set(p.stdout.split()) == {"omniq-test-new", "omniq-test-sysv"}, p.stdout
        assert sh_run("systemctl", "is-enabled", "omniq-test-new.service").stdout.strip() == \
            "disabled"
        assert not [f for f in os.listdir("/etc/rc2.d")
                    if f.startswith("S") and f.endswith("omniq-test-sysv")]
        assert sh_run("systemctl", "is-enabled", "omniq-test-mine.service").stdout.strip() == \
            "enabled"
        # nothing new: nothing touched, nothing said
        assert sh_run(sh, "snapshot", snap).returncode == 0
        assert sh_run(sh, "quiet", snap).stdout == ""
    finally:
        sh_run("systemctl", "disable", "omniq-test-new.service", "omniq-test-mine.service")
        sh_run("update-rc.d", "-f", "omniq-test-sysv", "remove")
        for f in (unit, mine, sysv):
            if os.path.exists(f):
                os.unlink(f)
        lock.close()


@test
def test_deps_installs_with_a_line_per_package_and_starts_no_service(ctx):
    """scripts/apt-install.sh, what scripts/deps.sh installs with, on a real Debian package
    that brings a network service (tinyproxy, an HTTP proxy on port 8888): a line per
    package as it is fetched, unpacked and set up; its service never started, not enabled
    for the next boot, and said so; removed again after."""
    import subprocess
    from harness import TOP
    pk = ["tinyproxy", "tinyproxy-bin"]
    lock = machine_lock()
    subprocess.run(["apt-get", "purge", "-y", "-qq"] + pk, capture_output=True, timeout=300)
    try:
        p = subprocess.run([os.path.join(TOP, "scripts", "apt-install.sh"), "tinyproxy"],
                           capture_output=True, text=True, timeout=600)
        assert p.returncode == 0, p.stderr
        lines = p.stderr.splitlines()
        assert lines[0] == "deps: installing 1 package(s) and what they need (this can take " \
            "minutes):", lines
        for step in ("Unpacking tinyproxy", "Setting up tinyproxy"):
            assert any(l.startswith("deps:   " + step) for l in lines), (step, lines)
        assert "deps: the packages' own services are off (not running, not started at boot): " \
            "tinyproxy" in p.stderr, p.stderr
        en = subprocess.run(["systemctl", "is-enabled", "tinyproxy"], capture_output=True,
                            text=True)
        assert en.stdout.strip() == "disabled", en.stdout
        assert not [f for f in os.listdir("/etc/rc2.d") if f.startswith("S") and "tinyproxy" in f]
        assert subprocess.run(["pgrep", "-x", "tinyproxy"]).returncode == 1
        assert not os.path.exists("/usr/sbin/policy-rc.d") or \
            "apt-install" not in open("/usr/sbin/policy-rc.d").read()
        # a package that does not exist: apt-get's words, and a failure
        p = subprocess.run([os.path.join(TOP, "scripts", "apt-install.sh"), "omniq-no-such-pkg"],
                           capture_output=True, text=True, timeout=300)
        assert p.returncode != 0 and "deps: apt-get: Unable to locate package omniq-no-such-pkg" \
            in p.stderr, (p.returncode, p.stderr)
    finally:
        subprocess.run(["apt-get", "purge", "-y", "-qq"] + pk, capture_output=True, timeout=300)
        lock.close()


@test
def test_integrator_guide_builds_the_echo_example_as_written(ctx):
    """docs/integrator.md's build command for a module outside the tree, run exactly as the
    guide writes it, from the top of the tree: it builds the echo example (it failed before:
    scripts/kamailio-src.sh printed a relative path that make -C read from elsewhere)."""
    import re
    import subprocess
    from harness import TOP
    guide = open(os.path.join(TOP, "docs", "integrator.md")).read()
    m = re.search(r"exactly as written\):\n\n```sh\n(.*?)\n```", guide, re.S)
    assert m, "the guide's build command is not where this test looks for it"
    cmd = m.group(1)
    assert cmd.startswith("make -C docs/examples/omniq_echo"), cmd
    p = subprocess.run(["bash", "-c", cmd], cwd=TOP, capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, (cmd, p.stdout[-1500:], p.stderr[-1500:])
    so = os.path.join(TOP, "docs", "examples", "omniq_echo", "omniq_echo.so")
    assert os.path.exists(so)
    # and from another directory, the way the guide's scripts/kamailio-src.sh is meant to
    # be used with an absolute cache
    out = subprocess.run([os.path.join(TOP, "scripts", "kamailio-src.sh"),
                          os.path.join(TOP, ".cache")], cwd="/", capture_output=True,
                         text=True, timeout=300).stdout.strip()
    assert os.path.isabs(out) and os.path.exists(os.path.join(out, "src", "Makefile.defs")), out


@test
def test_rpc_answer_too_large_for_kamcmd_is_a_fault(ctx):
    """kamcmd's transport (ctl's binrpc) keeps a struct within 8 KB: a listing that does not
    fit fails with a fault saying so, where it used to answer what fitted as if it were all
    (and ctl logged each of the hundreds of fields it refused)."""
    rs = ctx.redis()
    k = ctx.kamailio("omniq.cfg", rs.port)
    r = rs.client()
    with r.pipeline(transaction=False) as p:
        for i in range(400):
            p.fcall("oq_agent_set", 1, P, "agent%03d" % i, "Agent %d" % i, "sales:5",
                    "chat=2", "")
        p.execute()
    ctx.expect_log(r"omniq \[oq_rpc_util\.c:\d+\]: oq_rpc_too_large\(\): Redis function oq_agent_list "
                   r"answered 800 values, more than this RPC transport takes in one answer "
                   r"\(kamcmd: ctl's binrpc_struct_max_body_size and binrpc_max_body_size\)$")
    ctx.expect_log(r"ctl \[binrpc_run\.c:\d+\]: rpc_struct_add\(\): failed to add "
                   r"attribute-value \(s\)$")
    rc, out = k.rpc("omniq.agents")
    assert out.startswith("error: 500 - the answer of oq_agent_list (800 values) is too large "
                          "for this RPC transport"), out[:300]
    assert k.text().count("failed to add attribute-value") == 1, k.errors()
    listed = k.rpc_struct("omniq.agents", 0, 100)
    assert sorted(listed) == ["agent%03d" % i for i in range(100)], sorted(listed)[:3]
    assert listed["agent007"] == "offline 0/2", listed["agent007"]


@test
def test_rpc_queues_transcript_link(ctx):
    """Listings answer structures (empty lists too); identities link across channels."""
    rs = ctx.redis()
    k = ctx.kamailio("omniq.cfg", rs.port)
    rc, out = k.rpc("omniq.agents")
    assert rc == 0 and "error" not in out, "empty agent list: %s" % out
    s1 = k.rpc_struct("omniq.enqueue", "web", "web:q1", "sales", 5, "sales")
    s2 = k.rpc_struct("omniq.enqueue", "email", "email:Jane@Example.CN", "billing", 0, "support")
    assert s1["state"] == "queued" and s1["position"] == "1", s1
    q = k.rpc_struct("omniq.queues")
    assert q == {"sales": "1", "support": "1"}, q
    rc, out = k.rpc("omniq.queue", "sales")
    assert rc == 0 and "identity: web:q1" in out and "skills: sales" in out, out
    for body in ("hello", "I need help"):
        assert k.rpc("omniq.append", s1["sid"], "in", "web:q1", body)[0] == 0
    rc, out = k.rpc("omniq.transcript", s1["sid"])
    assert out.count("dir: in") == 2 and "body: I need help" in out, out
    # link web visitor and email address: one customer with both histories
    rc, out = k.rpc("omniq.link", "web:q1", "email:jane@example.cn")
    assert rc == 0 and "error" not in out, out
    c = k.rpc_struct("omniq.customer", "email:jane@example.cn")
    assert c["identities"] == "email:jane@example.cn,web:q1", c
    assert sorted(c["history"].split(",")) == sorted([s1["sid"], s2["sid"]]), c
    st = k.rpc_struct("omniq.stats")
    assert st["queued"] == "2" and st["enqueued"] == "2", st
