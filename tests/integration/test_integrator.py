"""docs/integrator.md as the code behaves (issue 28): which process runs a channel driver's
deliver() and event(); every event type the engine and the function library write, with
what state and agent say, against the guide's table (read from the code, and seen through
the worked example's driver); the worked example's ingest; and the guide's commands run
exactly as written: make run loading a module built outside the tree, a cfg of one's own,
the webhook check. docs/first-hour.md's table of make run's variables against the script."""
import glob
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
import uuid

import procwatch
from harness import TOP, alone, free_port, psx_of, test, wait_for
from test_hooks import Hook
from test_ws import ws_kam

GUIDE = os.path.join(TOP, "docs", "integrator.md")
FIRST_HOUR = os.path.join(TOP, "docs", "first-hour.md")
ECHO_DIR = os.path.join(TOP, "docs", "examples", "omniq_echo")
ECHO_C = os.path.join(ECHO_DIR, "omniq_echo.c")
RUN_SH = os.path.join(TOP, "scripts", "run.sh")
P = "oq:{default}"

# the echo module's outbox lines (docs/examples/omniq_echo/omniq_echo.c)
REPLY = re.compile(r"^reply (\S+) from (\S*) to (\S+) \(pid (\d+)\): (.*)$")
EVENT = re.compile(r"^event (\S+) session (\S*) state (\S*) agent (\S*) \(pid (\d+)\)$")


def outbox(path):
    """The echo module's outbox: (replies, events), each a list of dicts in the file's order;
    a line of neither shape fails."""
    replies, events = [], []
    if not os.path.exists(path):
        return replies, events
    for line in open(path).read().splitlines():
        m = REPLY.match(line)
        if m:
            replies.append(dict(zip(("sid", "from", "to", "pid", "body"), m.groups()),
                                pid=int(m.group(4))))
            continue
        m = EVENT.match(line)
        assert m, "an outbox line of neither shape: %r" % line
        events.append(dict(zip(("type", "sid", "state", "agent"), m.groups()),
                           pid=int(m.group(5))))
    return replies, events


def section(text, start, end):
    """The text of a document from the line `start` up to the line `end`."""
    i = text.index(start)
    return text[i:text.index(end, i + len(start))]


def event_table():
    """The guide's event table ("### Events"): {type: row}, a row's `states` the backticked
    values of its state cell (none: the cell describes the value), `state`, `agent` and
    `to_event` its cells."""
    rows = {}
    for line in section(open(GUIDE).read(), "### Events", "### Limits").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[0].startswith("`"):
            continue
        for t in re.findall(r"`([a-z0-9_]+)`", cells[0]):
            assert t not in rows, "the guide's event table lists %s twice" % t
            rows[t] = {"states": set(re.findall(r"`([^`]+)`", cells[2])), "state": cells[2],
                       "agent": cells[3], "to_event": cells[4]}
    assert len(rows) > 20, "the guide's event table is not where this test looks: %s" % rows
    return rows


def as_the_table_says(table, ev):
    """An event a driver got is one the guide's table lists as reaching event(), with a
    state and an agent as its row says."""
    row = table.get(ev["type"])
    assert row, "event %s reached the driver; the guide's table has no row for it" % ev
    assert not row["to_event"].startswith("no"), \
        "event %s reached the driver; the guide says: %s" % (ev, row["to_event"])
    if row["states"]:
        assert ev["state"] in row["states"], \
            "event %s: the guide's state is %s" % (ev, row["state"])
    elif row["state"] == "empty":
        assert ev["state"] == "", "event %s: the guide says its state is empty" % ev
    if ev["agent"] == "":
        assert "empty" in row["agent"], "event %s: the guide's agent is %r, never empty" % (
            ev, row["agent"])
    else:
        assert row["agent"] != "empty", "event %s: the guide says its agent is empty" % ev


def code_event_types():
    """Every event type written to a tenant's event stream, read from the code: the engine's
    oqe_emit()/oqe_emit_x() (engine/*.c) and the library's X.emit() (modules/omniq/lua),
    with the types S.terminate and S.requeue_apply pass it. {type: [files]}. A call whose
    type this cannot read fails: teach it the new way rather than miss a type."""
    found = {}

    def add(t, f):
        found.setdefault(t, []).append(os.path.relpath(f, TOP))
    for f in sorted(glob.glob(os.path.join(TOP, "modules", "omniq", "lua", "*.lua"))):
        src, base = open(f).read(), os.path.basename(f)
        for m in re.finditer(r"(?<!function )\bX\.emit\(ctx,\s*([^,]+),", src):
            arg = m.group(1).strip()
            lit = re.fullmatch(r"'([a-z0-9_]+)'", arg)
            if lit:
                add(lit.group(1), f)
            elif base == "40_session.lua" and arg == "typ":
                pass   # S.terminate's and S.requeue_apply's: their callers' types, below
            elif base == "80_sla.lua" and arg == "'sla' .. lvl":
                for lvl in (1, 2, 3):   # a policy's three alert levels (78_sla_policy.lua)
                    add("sla%d" % lvl, f)
            else:
                raise AssertionError("%s emits an event type this test cannot read: %s"
                                     % (base, arg))
        for fn, pat in (("S.terminate", r"\bS\.terminate\(ctx,\s*\w+,\s*'[a-z]+',\s*'([a-z_]+)'"),
                        ("S.requeue_apply",
                         r"\bS\.requeue_apply\(ctx,\s*\w+,\s*\w+,\s*'([a-z_]+)'")):
            calls = len(re.findall(r"\b%s\(" % re.escape(fn), src)) - \
                len(re.findall(r"function %s\(" % re.escape(fn), src))
            types = re.findall(pat, src)
            assert len(types) == calls, "%s: a call of %s whose type this test cannot read" % (
                base, fn)
            for t in types:
                add(t, f)
        if base != "04_ctx.lua":
            assert not re.search(r"'XADD',[^\n]*:events'", src), \
                "%s writes the event stream itself (not X.emit)" % base
    for f in sorted(glob.glob(os.path.join(TOP, "engine", "*.c"))):
        src, base = open(f).read(), os.path.basename(f)
        for m in re.finditer(r"\boqe_emit(?:_x)?\(\s*([^,]+),\s*([^,]+),", src):
            if m.group(1).startswith(("oqe_call", "&c", "c")) and m.group(2).strip() in (
                    "const char *type", "type"):
                continue   # oqe_emit's own definition and its call of oqe_emit_x (call.c)
            lit = re.fullmatch(r'"([a-z0-9_]+)"', m.group(2).strip())
            assert lit, "%s emits an event type this test cannot read: %s" % (base, m.group(2))
            add(lit.group(1), f)
        if base != "call.c":
            assert '":events"' not in src, "%s writes the event stream itself" % base
    return found


@test
def test_event_types_of_the_code_are_the_guides(ctx):
    """docs/integrator.md lists every event type the code writes, and none it does not; the
    dispatcher knows each (event_route[omniq:<type>]) but typing, which it skips."""
    code = code_event_types()
    table = event_table()
    missing = sorted(set(code) - set(table))
    assert not missing, "the code writes event types the guide's table does not list: %s" % {
        t: code[t] for t in missing}
    stale = sorted(set(table) - set(code) - {"resync"})
    assert not stale, "the guide's table lists types the code never writes: %s" % stale
    assert table["typing"]["to_event"].startswith("no"), table["typing"]
    disp = open(os.path.join(TOP, "modules", "omniq", "oq_dispatch.c")).read()
    m = re.search(r"event_types\[\]\s*=\s*\{(.*?)\};", disp, re.S)
    assert m, "oq_dispatch.c's event_types[] is not where this test looks"
    known = set(re.findall(r'"([a-z0-9_]+)"', m.group(1)))
    assert known == (set(code) - {"typing"}) | {"resync"}, (
        "the dispatcher's event routes and the types written differ: routes without a type "
        "%s, types without a route %s" % (sorted(known - set(code)),
                                          sorted(set(code) - known - {"typing"})))
    # the message event says its direction in state, as the engine writes it
    assert table["message"]["states"] == {"in", "out", "sys", "note"}, table["message"]


@test
def test_guide_worked_example_is_the_example(ctx):
    """The guide's 'essential part' is the example's own code (every line it shows, in the
    file's order), uses ingest(), and the guide states no line count that would rot."""
    guide = open(GUIDE).read()
    part = section(guide, "## A worked example: `omniq_echo`", "## Rules for channel modules")
    m = re.search(r"The essential part[^\n]*\n\n```c\n(.*?)\n```", part, re.S)
    assert m, "the guide's essential part is not where this test looks"
    snippet = m.group(1)
    assert "oq.ingest(" in snippet and "oq.open(" not in snippet and "oq.append(" not in snippet
    src = [l.strip() for l in open(ECHO_C).read().splitlines()]
    at = 0
    for line in snippet.splitlines():
        l = line.strip()
        if not l or l == "..." or l.startswith("/*"):
            continue
        try:
            at = src.index(l, at) + 1
        except ValueError:
            raise AssertionError("the guide's snippet line %r is not in %s (after line %d)"
                                 % (l, ECHO_C, at))
    assert not re.search(r"\b\d+ lines\b", part), "the guide states a line count"
    assert "echo_open" not in snippet
    # the cfg function every cfg of the guide calls is the module's
    for cfg in re.findall(r"```\n(.*?)\n```", part, re.S):
        for fn in re.findall(r"\b(echo_\w+)\(", cfg):
            assert '{"%s",' % fn in open(ECHO_C).read(), fn


def sip_message(port, identity, text, call_id, headers=()):
    """One SIP MESSAGE over UDP to kamailio at port, from a socket of its own: the final
    answer's status and its headers (names lowercased)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(10)
    me = s.getsockname()[1]
    body = text.encode()
    head = ["MESSAGE sip:echo@127.0.0.1:%d SIP/2.0" % port,
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK%s" % (me, uuid.uuid4().hex),
            "From: <sip:customer@127.0.0.1>;tag=%s" % uuid.uuid4().hex[:8],
            "To: <sip:echo@127.0.0.1>", "Call-ID: %s" % call_id, "CSeq: 1 MESSAGE",
            "Max-Forwards: 70", "X-Identity: %s" % identity, "X-Skills: "] + list(headers) + \
           ["Content-Type: text/plain", "Content-Length: %d" % len(body), "", ""]
    try:
        s.sendto("\r\n".join(head).encode() + body, ("127.0.0.1", port))
        while True:
            data = s.recv(65535).decode()
            status = int(data.split(" ", 2)[1])
            if status >= 200:
                break
    finally:
        s.close()
    got = {}
    for l in data.split("\r\n\r\n")[0].split("\r\n")[1:]:
        k, _, v = l.partition(":")
        got[k.strip().lower()] = v.strip()
    return status, got


@test
def test_echo_events_and_ingest_are_as_the_guide_says(ctx):
    """A session run through the worked example (echo.cfg: SIP MESSAGEs ingested): what its
    driver's event() gets is, type by type, what the guide's table says (state, agent, and
    that it reaches event() at all), in the dispatcher process; echo_ingest answers 3
    opened, 2 duplicate (the same Call-ID: a retransmission), 1 appended, a message needs a
    text; echo_open, its deprecated name, does the same."""
    rs = ctx.redis()
    box = os.path.join(ctx.dir, "outbox.txt")
    k = ctx.kamailio("echo.cfg", rs.port, defines={"OMNIQ_OUTBOX": '"%s"' % box})
    r = rs.client()
    table = event_table()
    for aid in ("eve", "bob"):
        assert k.rpc("omniq.agent_set", aid, aid.title(), "s:", "s:")[0] == 0
    assert k.rpc("omniq.agent_state", "eve", "available")[0] == 0

    def say(identity, text, call_id, *headers):
        return sip_message(k.sip_port, identity, text, call_id, headers)
    st, h = say("chan:echo:ann", "Hello", "c-1")
    assert (st, h.get("x-echo-rc")) == (200, "3"), (st, h)       # opened
    st, h = say("chan:echo:ann", "Hello", "c-1")
    assert (st, h.get("x-echo-rc")) == (200, "2"), (st, h)       # duplicate: nothing written
    st, h = say("chan:echo:ann", "Still there?", "c-2")
    assert (st, h.get("x-echo-rc")) == (200, "1"), (st, h)       # appended to the live session
    assert [f["body"] for _, f in r.xrange(P + ":s:1:tx")] == ["Hello", "Still there?"]
    assert r.hget(P + ":s:1", "identity") == "chan:echo:ann"
    # ingest() without ext: the identity is the session's ext
    assert r.hget(P + ":s:1", "ext") == "chan:echo:ann"
    # a message needs a text; a bad identity is refused, nothing written
    assert say("chan:echo:ann", "", "c-3")[0] == 400
    assert say("chan:Echo:x", "hi", "c-4")[0] == 400
    assert r.get(P + ":seq:s") == "1"
    assert k.rpc("omniq.decline", "1", "eve")[0] == 0
    assert k.rpc("omniq.agent_state", "bob", "available")[0] == 0    # pulls the session
    wait_for(lambda: r.hget(P + ":s:1", "agent") == "bob", what="session 1 offered to bob")
    assert k.rpc("omniq.accept", "1", "bob")[0] == 0
    rc, out = k.rpc("omniq.reply", "1", "bob", "Hello Ann")
    assert rc == 0 and not out.startswith("error"), out
    assert k.rpc("omniq.close", "1", "resolved")[0] == 0
    # echo_open: the deprecated name of the same function
    st, h = say("chan:echo:cy", "Hi", "c-5", "X-Old: 1")
    assert (st, h.get("x-echo-rc")) == (200, "3"), (st, h)
    st, h = say("chan:echo:cy", "Hi again", "c-6", "X-Old: 1")
    assert (st, h.get("x-echo-rc")) == (200, "1"), (st, h)         # the live session: no new one
    assert k.rpc("omniq.abandon", "2")[0] == 0
    # nobody available: queued, then abandoned with no agent
    assert k.rpc("omniq.agent_state", "eve", "away")[0] == 0
    assert k.rpc("omniq.agent_state", "bob", "away")[0] == 0
    st, h = say("chan:echo:dee", "Anyone?", "c-7")
    assert (st, h.get("x-echo-rc")) == (200, "3"), (st, h)
    assert k.rpc("omniq.abandon", "3")[0] == 0
    want = [("enqueue", "1", "queued", ""), ("offer", "1", "offered", "eve"),
            ("message", "1", "in", ""), ("message", "1", "in", ""),
            ("decline", "1", "queued", "eve"), ("offer", "1", "offered", "bob"),
            ("accept", "1", "active", "bob"), ("message", "1", "out", ""),
            ("close", "1", "closed", "bob"),
            ("enqueue", "2", "queued", ""), ("offer", "2", "offered", "eve"),
            ("message", "2", "in", ""), ("message", "2", "in", ""),
            ("abandon", "2", "abandoned", "eve"),
            ("enqueue", "3", "queued", ""), ("message", "3", "in", ""),
            ("abandon", "3", "abandoned", "")]
    wait_for(lambda: len(outbox(box)[1]) >= len(want), timeout=10,
             what="%d events in the outbox" % len(want))
    time.sleep(0.3)   # nothing more comes (presence events have no channel)
    replies, events = outbox(box)
    assert [(e["type"], e["sid"], e["state"], e["agent"]) for e in events] == want, events
    for e in events:
        as_the_table_says(table, e)
    # event() in the dispatcher; deliver() in the process that took the RPC
    disp = k.pids("omniq dispatcher")
    assert len(disp) == 1 and {e["pid"] for e in events} == set(disp), (disp, events)
    ctl = k.pids("ctl handler")
    assert [(x["sid"], x["from"], x["to"], x["pid"], x["body"]) for x in replies] == \
        [("1", "bob", "chan:echo:ann", ctl[0], "Hello Ann")], (replies, ctl)


@test
def test_deliver_runs_in_the_process_that_called_reply(ctx):
    """A driver's deliver() runs in the process that called reply(), within that call: the
    ctl handler for a kamcmd, an omniq_ws process for a REST reply, a SIP worker for the cfg
    script's omniq_reply; never the dispatcher, which runs event() alone. Each reply names
    the customer's identity on the channel (omniq_delivery_t.identity)."""
    rs, k, api = ws_kam(ctx, {"OMNIQ_ECHO": '"%s"' % os.path.join(ctx.dir, "echo.out")})
    box = os.path.join(ctx.dir, "echo.out")
    assert k.rpc("omniq.agent_set", "eve", "Eve", "s:", "s:")[0] == 0
    assert k.rpc("omniq.agent_state", "eve", "available")[0] == 0
    st, _, a = Hook(k.http_port).say("Hello", identity="chan:echo:ann", mid="m-1")
    assert st == 201 and a["how"] == "opened", (st, a)
    sid = a["sid"]
    assert k.rpc("omniq.accept", sid, "eve")[0] == 0
    psx = k.psx()

    def procs(word):
        return {p for p, d in psx.items() if word in d}
    disp, ctl = procs("omniq dispatcher"), procs("ctl handler")
    web, sip = procs("omniq_ws http"), procs("udp receiver")
    assert len(disp) == 1 and len(ctl) == 1 and web and sip, psx

    def delivered(body):
        got = wait_for(lambda: [x for x in outbox(box)[0] if x["body"] == body],
                       what="the reply %r in the outbox" % body)
        assert len(got) == 1 and (got[0]["sid"], got[0]["from"], got[0]["to"]) == \
            (sid, "eve", "chan:echo:ann"), got
        return got[0]["pid"]
    rc, out = k.rpc("omniq.reply", sid, "eve", "by kamcmd")
    assert rc == 0 and not out.startswith("error"), out
    assert delivered("by kamcmd") in ctl
    st, ok = api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                      {"dir": "out", "from": "eve", "body": "by REST"})
    assert st == 201, (st, ok)
    assert delivered("by REST") in web
    st, h = sip_message(k.sip_port, "-", "by the cfg script", "r-1",
                        ("X-Reply-Sid: %s" % sid, "X-From: eve"))
    assert st == 200, (st, h)
    assert delivered("by the cfg script") in sip
    events = outbox(box)[1]
    assert events and {e["pid"] for e in events} == disp, events
    assert not [x for x in outbox(box)[0] if x["pid"] in disp]


def guide_block(after, lang="sh"):
    """The first code block of the guide after the text `after`, as a reader copies it (a
    block in a list item without the item's indentation)."""
    guide = open(GUIDE).read()
    i = guide.index(after)
    m = re.compile(r"^( *)```%s\n(.*?)\n *```" % lang, re.S | re.M).search(guide, i)
    assert m, "no ```%s block after %r in the guide" % (lang, after)
    return textwrap.dedent(m.group(2))


class MakeRun:
    """make run (or the command given) on ports and directories of the test's own, in a
    process group of its own; stop() is its Ctrl-C."""

    def __init__(self, ctx, argv, name="run", **env):
        self.rport, self.hport = free_port(), free_port()
        self.sport = free_port(socket.SOCK_DGRAM)
        self.ctldir = tempfile.mkdtemp(prefix="oq-ctl-")
        self.rundir = os.path.join(ctx.dir, name)
        self.ctl = os.path.join(self.ctldir, "kamailio_ctl")
        self.env = dict(os.environ, OMNIQ_REDIS_PORT=str(self.rport),
                        OMNIQ_SIP_LISTEN="udp:127.0.0.1:%d" % self.sport,
                        OMNIQ_HTTP_PORT=str(self.hport), OMNIQ_RUN_DIR=self.rundir,
                        OMNIQ_CTL_SOCK=self.ctl, **env)
        self.logpath = os.path.join(ctx.dir, name + ".log")
        self.names = {}
        self.log = open(self.logpath, "w")
        self.p = subprocess.Popen(argv, cwd=TOP, env=self.env, stdout=self.log,
                                  stderr=subprocess.STDOUT, start_new_session=True)

    def kamcmd(self, *args):
        r = subprocess.run(["kamcmd", "-s", "unix:" + self.ctl] + list(args),
                           capture_output=True, text=True, timeout=30)
        return r.returncode, r.stdout + r.stderr

    def psx(self):
        return psx_of(self.kamcmd("core.psx")[1])

    def wait_up(self, timeout=300):
        """Until kamailio answers and has forked every process and the web port listens
        (make run builds first: its timeout is the build's)."""
        def up():
            assert self.p.poll() is None, "it ended (%s): %s" % (self.p.returncode,
                                                                self.text()[-3000:])
            return "tcp main process" in self.kamcmd("core.psx")[1]
        wait_for(up, timeout=timeout, step=0.3, what="make run's kamailio to start")

        def web():
            try:
                socket.create_connection(("127.0.0.1", self.hport), timeout=1).close()
                return True
            except OSError:
                return False
        wait_for(web, timeout=20, what="the web port")
        self.names = self.psx()     # who is who, should one of them not stop

    def text(self):
        return open(self.logpath).read()

    def stop(self):
        try:
            if self.p.poll() is None:
                os.killpg(self.p.pid, signal.SIGINT)
                try:
                    self.p.wait(30)
                except subprocess.TimeoutExpired:
                    kam = [p for p in self.names if os.path.exists("/proc/%d" % p)]
                    where = procwatch.stacks(set(procwatch.group_of(self.p.pid)) | set(kam),
                                             self.names, log=self.logpath)
                    os.killpg(self.p.pid, signal.SIGKILL)
                    for p in kam:         # kamailio runs in a session of its own
                        try:
                            os.kill(p, signal.SIGKILL)
                        except OSError:
                            pass
                    self.p.wait(5)
                    raise AssertionError("make run did not stop within 30 s of Ctrl-C; its "
                                         "processes:\n" + where)
            assert self.kamcmd("core.version")[0] != 0, "kamailio still running after Ctrl-C"
            assert subprocess.run(["redis-cli", "-p", str(self.rport), "ping"],
                                  capture_output=True).returncode != 0, "redis still running"
        finally:
            shutil.rmtree(self.ctldir, ignore_errors=True)


@test
@alone   # make run builds: it copies every module into build/modules, which others load
def test_integrator_guide_loads_the_echo_example_as_written(ctx):
    """docs/integrator.md's load step, exactly as the guide writes it, from the top of the
    tree (make run on the test's own ports and directories): the module built outside the
    tree is loaded, its banner says so, and the guide's second-terminal commands, run as
    written (the web port and run directory the test's), take a customer's message over the
    module's hook (201, opened) and deliver the agent's reply to the outbox, from the ctl
    process that served the kamcmd."""
    cmd = guide_block("a test runs the command below exactly as\n"
                      "written, from the top of the tree):")
    assert cmd.startswith("OMNIQ_MODULES=") and cmd.endswith("make run"), cmd
    so = os.path.realpath(os.path.join(ECHO_DIR, "omniq_echo.so"))
    run = MakeRun(ctx, ["bash", "-c", cmd])
    try:
        run.wait_up()
        out = run.text()
        assert "Modules   %s  (OMNIQ_MODULES)" % so in out, out[-3000:]
        assert "channel driver 'echo' registered (class chat)" in out, out[-3000:]
        assert "echo outbox: %s/omniq_echo.out" % run.rundir in out, out[-3000:]
        block = guide_block("From a second terminal, an agent")
        lines = block.splitlines()
        assert len(lines) == 6 and lines[-1] == "cat run/omniq_echo.out", lines
        said = []
        for line in lines:
            line = line.replace("127.0.0.1:8080", "127.0.0.1:%d" % run.hport) \
                       .replace("run/omniq_echo.out", run.rundir + "/omniq_echo.out")
            p = subprocess.run(["bash", "-c", line], cwd=TOP, env=run.env,
                               capture_output=True, text=True, timeout=60)
            assert p.returncode == 0 and not p.stdout.startswith("error"), (line, p.stdout,
                                                                             p.stderr)
            said.append(p.stdout)
        hook = json.loads(said[2])
        assert hook == {"sid": "1", "state": "offered", "how": "opened",
                        "route": "/hooks/echo"}, hook
        ctl = [p for p, d in run.psx().items() if d == "ctl handler"]
        want = "reply 1 from eve to chan:echo:ann (pid %d): Hello Ann" % ctl[0]
        assert want in said[5].splitlines(), (said[5], want)
        assert "event offer session 1 state offered agent eve (pid " in said[5], said[5]
    finally:
        run.stop()


@test
def test_make_run_takes_a_cfg_of_ones_own(ctx):
    """OMNIQ_CFG: the guide's cfg of one's own, which includes cfg/omniq.cfg and adds the echo
    module with settings and an event_route (paths the test's), runs under make run's script
    with make run's ports and secrets; OMNIQ_MODULES and OMNIQ_CFG naming no file stop it at
    once, saying which."""
    cfg = guide_block("make run takes a cfg of yours instead", lang="")
    assert cfg.startswith("#!KAMAILIO\n# /etc/omniq/echo.cfg"), cfg
    spool = os.path.join(ctx.dir, "spool")
    os.makedirs(spool)
    mine = os.path.join(ctx.dir, "echo.cfg")
    with open(mine, "w") as f:
        f.write(cfg.replace("/root/omniq_echo/", ECHO_DIR + "/")
                .replace("/root/omniq/", TOP + "/").replace("/var/spool/omniq", spool))
    run = MakeRun(ctx, [RUN_SH], OMNIQ_CFG=mine)
    try:
        run.wait_up(timeout=60)
        out = run.text()
        assert "Cfg       %s" % mine in out, out[-2000:]
        assert "HTTP route /hooks/line registered" in out, out[-3000:]
        assert run.kamcmd("omniq.agent_set", "eve", "Eve", "sales:5", "chat=4")[0] == 0
        assert run.kamcmd("omniq.agent_state", "eve", "available")[0] == 0
        st, _, a = Hook(run.hport).say("Hello", identity="chan:line:U4af4980629",
                                        path="/hooks/line", mid="l-1")
        assert st == 201 and a["state"] == "offered", (st, a)
        assert run.kamcmd("omniq.accept", a["sid"], "eve")[0] == 0
        wait_for(lambda: "session %s accepted by eve" % a["sid"] in run.text(),
                 what="the cfg's own event_route")
        wait_for(lambda: "event accept session %s state active agent eve" % a["sid"] in
                 open(os.path.join(spool, "echo.out")).read(), what="the outbox its modparam names")
        # the REST key make run made works through the cfg of one's own
        key = dict(l.split("=", 1) for l in open(os.path.join(run.rundir, "secrets"))
                   .read().split())["key"]
        assert "Authorization: Bearer local:%s" % key in out
    finally:
        run.stop()
    for env, says in (({"OMNIQ_MODULES": "/nonexistent/omniq_x.so"},
                       "run.sh: OMNIQ_MODULES: /nonexistent/omniq_x.so is no file"),
                      ({"OMNIQ_CFG": "/nonexistent/x.cfg"},
                       "run.sh: OMNIQ_CFG=/nonexistent/x.cfg: no such file")):
        p = subprocess.run([RUN_SH], env=dict(os.environ, OMNIQ_RUN_DIR=os.path.join(ctx.dir, "x"),
                                               **env), capture_output=True, text=True, timeout=60)
        assert p.returncode == 2 and says in p.stderr and "omniq is starting" not in p.stdout, \
            (p.returncode, p.stdout, p.stderr)


@test
def test_first_hour_lists_every_variable_make_run_reads(ctx):
    """docs/first-hour.md's table has every OMNIQ_* variable scripts/run.sh reads, and names
    every -A define it hands kamailio; the README's ports' variables among them."""
    sh = open(RUN_SH).read()
    reads = set(re.findall(r"\$\{?(OMNIQ_[A-Z0-9_]+)", sh))
    doc = section(open(FIRST_HOUR).read(), "## make run's settings", "**A module of your own**")
    table = set(re.findall(r"^\| `(OMNIQ_[A-Z0-9_]+)` \|", doc, re.M))
    assert reads - table == set(), "make run reads %s; first-hour.md's table lacks them" % sorted(
        reads - table)
    assert table - reads == set(), "first-hour.md lists what make run does not read: %s" % sorted(
        table - reads)
    defines = set(re.findall(r'-A "(OMNIQ_[A-Z0-9_]+)=', sh))
    assert len(defines) >= 9 and defines - set(re.findall(r"`(OMNIQ_[A-Z0-9_]+)`", doc)) == set(), \
        (defines, doc)


@test
def test_guide_webhook_check_takes_a_real_delivery(ctx):
    """The guide's Python check of a channel's webhook ("A channel without C"), run as written
    on what omniq sent: a reply delivered to an integrator's service verifies; the body
    changed, or the same body under a timestamp 10 minutes old, does not."""
    from test_app import Backend
    code = guide_block("the body exactly as received, keyed with", lang="python")
    ns = {}
    exec(code, ns)
    verified = ns["omniq_verified"]
    secret = b"line-secret-0123456789"
    backend = Backend()
    try:
        chan = "name=line;url=%s;secret=%s" % (backend.url, secret.decode())
        rs, k, api = ws_kam(ctx, {"OMNIQ_LINE_CHANNEL": '"%s"' % chan})
        assert k.rpc("omniq.agent_set", "alice", "Alice", "sales:5", "chat=4")[0] == 0
        assert k.rpc("omniq.agent_state", "alice", "available")[0] == 0
        st, a = api.call("POST", "/api/v1/channels/line/messages",
                         {"identity": "chan:line:U4af4980629", "body": "Hello", "cid": "m-1",
                          "skills": "sales"})
        assert st == 201 and a["opened"] is True, (st, a)
        assert api.call("POST", "/api/v1/sessions/%s/accept" % a["sid"],
                        {"agent": "alice"})[0] == 200
        st, ok = api.call("POST", "/api/v1/sessions/%s/messages" % a["sid"],
                          {"dir": "out", "from": "alice", "body": "Hi, Alice here"})
        assert st == 201, (st, ok)
        got = wait_for(backend.delivered, timeout=15, what="the webhook")[0]
        h, raw = got["headers"], got["body"]
        headers = {"X-Omniq-Signature-V2": h["x-omniq-signature-v2"]}
        body = json.loads(raw)
        assert (body["sid"], body["body"], body["ext"]) == (a["sid"], "Hi, Alice here",
                                                            "chan:line:U4af4980629"), body
        assert verified(secret, headers, raw)
        assert not verified(secret, headers, raw.replace(b"Alice", b"Mallory"))
        assert not verified(b"another-secret-0123", headers, raw)
        old = int(time.time()) - 600
        replay = {"X-Omniq-Signature-V2": "t=%d,sha256=%s" % (
            old, hmac.new(secret, b"%d." % old + raw, hashlib.sha256).hexdigest())}
        assert not verified(secret, replay, raw)
    finally:
        backend.stop()
