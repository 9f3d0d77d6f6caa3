"""The faults drill: calls and chats over two nodes that share one Redis and their agents'
registrations (the shipped cfg/omniq.cfg, usrloc over DMQ), while Redis restarts, its
function library is flushed and a node is killed (kill -9) - then an audit of what Redis
holds once the load is over:

  * every session in exactly one state and place (the tenant invariants), and ended: no
    session waits, rings or talks for a call or a chat that is gone;
  * no agent held: every load back to 0, nobody set away by the faults;
  * nothing acknowledged lost, nothing done twice: every chat message a node answered 2xx
    for is in the transcript of the session it named, once; a message retried after an
    error or a lost answer is there once; every call a caller saw answered on the node that
    stayed up has exactly one accepted session, and none was accepted that nobody answered.

Peers are real programs: sipp callers (one per node, their own scenario: any final answer is
taken, each call's outcome logged) and sipp agents' phones (registered on one node or the
other, rung from either); the chat customers and the agents' desk are this script, over the
REST API and RPC (kamcmd), as an integrator's bridge and a desk would. `form` is "short"
(make test) or "long" (make chaos: longer, more load, each fault more than once, Redis
killed as well as stopped, the dead node started again)."""
import os
import random
import re
import subprocess
import threading
import time

import sipp_ports
from harness import wait_for
from invariants import check_tenant
from test_ws import Api
from sipcall import Phone, ack_failure, cancel, dmq_pair, in_dialog, invite, write_scenario

P = "oq:{default}"
KEY = "local:example-key-change-me-0123"         # cfg/omniq.cfg's example API key
ENDED = ("closed", "abandoned", "expired")

FORMS = {
    # seconds of load, calls a second per node, chat customers a second, agents, faults
    # as (second, what)
    "short": dict(seconds=40, call_rate=0.5, chat_rate=0.5, agents=8,
                  faults=[(8, "redis_restart"), (18, "function_flush"), (26, "kill_node_b")]),
    "long": dict(seconds=300, call_rate=1.0, chat_rate=1.0, agents=12,
                 faults=[(15, "redis_restart"), (45, "function_flush"), (70, "kill_node_b"),
                         (90, "start_node_b"), (120, "redis_kill"), (150, "function_flush"),
                         (175, "redis_restart"), (200, "kill_node_b"), (215, "start_node_b"),
                         (240, "function_flush"), (260, "redis_kill")]),
}

# The final answers a caller may get under faults besides 200: its outcome is logged, the
# audit decides whether it was right (a 503 while Redis is down is; a session left behind
# for it is not).
FINALS = (400, 403, 404, 408, 480, 486, 487, 500, 503, 603)


def caller_scenario(workdir, name, prefix):
    """A caller that takes whatever comes: 200 (ACK, talk 1-3 s, BYE), a final error (ACK),
    or nothing for 60 s (CANCEL); each call logs `<call-id> <outcome>` to sipp's log file.
    The caller's number is prefix + the call's number: a new customer each call."""
    def log(what):
        return '<action><log message="[call_id] %s"/></action>' % what
    # every recv of the waiting block carries the timeout: sipp waits at the first of them,
    # so a timeout on the last alone never fires (a call queued on a node that died waited
    # for ever)
    wait = 'timeout="60000" ontimeout="9"'
    parts = [invite(prefix + "[call_number]"), '  <label id="1"/>\n']
    parts += ['  <recv response="%d" optional="true" next="1" %s/>\n' % (c, wait)
              for c in (100, 180, 182, 183)]
    parts += ['  <recv response="%d" optional="true" next="2" %s>%s</recv>\n' % (c, wait, log("final %d" % c))
              for c in FINALS]
    parts += ['  <recv response="200" rrs="true" timeout="60000" ontimeout="9">%s</recv>\n'
              % log("answered"), in_dialog("ACK", 1),
              '  <pause distribution="uniform" min="1000" max="3000"/>\n',
              in_dialog("BYE", 2, attrs=' retrans="500"'),
              '  <recv response="200" timeout="8000" ontimeout="8" next="99">%s</recv>\n' % log("ended"),
              '  <label id="8"/>\n', '  <nop next="99">%s</nop>\n' % log("bye_unanswered"),
              '  <label id="2"/>\n', ack_failure(' next="99"'),
              '  <label id="9"/>\n', '  <nop>%s</nop>\n' % log("gave_up"), cancel(),
              # both with a timeout: sipp waits on an optional recv's own, none by default
              # (a caller whose node died after its 100 Trying waited forever here)
              '  <recv response="200" optional="true" timeout="10000" ontimeout="99"/>\n',
              '  <recv response="487" timeout="10000" ontimeout="99"/>\n', ack_failure(' next="99"'),
              '  <label id="99"/>\n', '  <nop>%s</nop>\n' % log("done")]
    return write_scenario(workdir, name, parts)


class Callers:
    """One sipp caller process against one node: `calls` calls at `rate` a second."""

    def __init__(self, ctx, node, tag, prefix, calls, rate):
        self.log = os.path.join(ctx.dir, "callers_%s.log" % tag)
        sc = caller_scenario(ctx.dir, "drill_caller_%s" % tag, prefix)
        self.proc, _ = sipp_ports.start(
            ["sipp", "127.0.0.1:%d" % node.sip_port, "-sf", sc, "-s", "sales",
             "-m", str(calls), "-r", str(rate), "-rp", "1000", "-i", "127.0.0.1",
             "-nostdin", "-trace_logs", "-log_file", self.log,
             "-trace_err", "-error_file", os.path.join(ctx.dir, "callers_%s_err.log" % tag),
             # a CANCEL to a node that was killed gives up after 4 retransmissions (7.5 s),
             # not sipp's 64*T1, or a call that waited 60 s for a final answer from that
             # node ends after the drill's wait for the callers
             "-max_invite_retrans", "4", "-max_non_invite_retrans", "4"], ctx.dir,
            "callers_" + tag)
        ctx.servers.append(self)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def outcomes(self):
        """call-id -> the outcomes it logged, in order."""
        out = {}
        if os.path.exists(self.log):
            with open(self.log, errors="replace") as f:
                for line in f:
                    m = re.search(r"(\S+) (answered|ended|bye_unanswered|gave_up|done|"
                                  r"final \d+)\s*$", line)
                    if m:
                        out.setdefault(m.group(1), []).append(m.group(2))
        return out


def post(node, path, body):
    """POST to a node's REST API: (status, JSON answer), or (None, why) when no answer came
    (refused, reset, timed out)."""
    try:
        return Api(node.http_port, KEY).call("POST", path, body)
    except (OSError, ValueError) as e:
        return None, str(e)


class Drill:
    def __init__(self, ctx, form):
        self.ctx = ctx
        self.form = form
        self.cfg = FORMS[form]
        self.problems = []
        self.faults = []
        self.lock = threading.Lock()
        self.acked = {}         # cid -> (sid, body) a node answered 2xx for
        self.unacked = []       # cids given up on (never answered 2xx): at most once in Redis
        self.retried = 0        # messages acknowledged after a retry
        self.chat_customers = 0
        self.desk_actions = {"accept": 0, "close": 0, "end_wrapup": 0, "refused": 0}
        self.stop_load = threading.Event()

    def problem(self, what):
        with self.lock:
            self.problems.append(what)

    # -- set-up -------------------------------------------------------------------------
    def start(self):
        ctx = self.ctx
        self.rs = ctx.redis()
        ctx.expect_redis_down(self.rs)
        self.a, self.b = dmq_pair(ctx, self.rs, "omniq.cfg")
        self.nodes = [self.a, self.b]
        self.declare_logs()
        wait_for(lambda: "port: %d\n" % self.b.sip_port in self.a.rpc("dmq.list_nodes")[1]
                 and "port: %d\n" % self.a.sip_port in self.b.rpc("dmq.list_nodes")[1],
                 what="the two DMQ nodes to know each other")
        # each node's name in Redis (host.port by default), as it says at start
        self.a_name, self.b_name = (
            re.search(r"omniq_sip ready: node (\S+),", k.text()).group(1) for k in self.nodes)
        self.agents = ["ag%02d" % i for i in range(self.cfg["agents"])]
        for i, aid in enumerate(self.agents):
            k = self.nodes[i % 2]
            for args in (("omniq.agent_set", aid, aid.title(), "sales:5",
                          "voice=1,chat=3,email=0,total=4"),
                         ("omniq.agent_state", aid, "available")):
                rc, out = k.rpc(*args)
                assert rc == 0 and "error" not in out, out
        self.phones = [Phone(self.ctx, self.nodes[i % 2], aid, "agent_answer.xml", calls=100000,
                             timeout=self.cfg["seconds"] + 120)
                       for i, aid in enumerate(self.agents)]
        for aid in self.agents:
            for k in self.nodes:
                wait_for(lambda: aid in k.rpc("ul.dump")[1], what="%s's phone known on %s" % (aid, k.name))

    def declare_logs(self):
        """What the faults make the nodes say at ERROR level, besides a Redis that is down
        (ctx.expect_redis_down): a call that came while it was."""
        self.ctx.expect_log(r"omniq_sip \[call\.c:\d+\]: open_in_queue\(\): call not queued: "
                            r"Redis unavailable \(.*\)$", optional=True)
        # node b killed: node a's DMQ pings to it fail until it is declared gone (Kamailio's
        # own words, at ERROR), if the drill lasts long enough after the kill to see one
        if any(what == "kill_node_b" for _, what in self.cfg["faults"]):
            self.ctx.expect_log(r"dmq \[notification_peer\.c:\d+\]: notification_resp_callback_f\(\): "
                                r"not deleting notification peer \[sip:127\.0\.0\.1:%d\]$"
                                % self.b.sip_port, optional=True)

    # -- load -----------------------------------------------------------------------------
    def live_nodes(self):
        return [k for k in self.nodes if k.proc is not None]

    def chat_customer(self, n, rnd):
        ident = "web:drill-%d" % n
        for m in range(rnd.randint(1, 3)):
            cid = "c%d-%d" % (n, m)
            body = "message %d of customer %d (%s)" % (m, n, cid)
            sent, deadline = 0, time.time() + 60
            while True:
                nodes = self.live_nodes()
                node = nodes[(n + sent) % len(nodes)]
                st, ans = post(node, "/api/v1/channels/web/messages",
                                    {"identity": ident, "body": body, "cid": cid,
                                     "skills": "sales"})
                sent += 1
                if st in (200, 201):
                    with self.lock:
                        self.retried += sent > 1
                        self.acked[cid] = (ans.get("sid"), body)
                    break
                if st is not None and st != 503:
                    # 503 (Redis away) is the answer to retry on; anything else is a fault
                    # that leaked through (a 500 when the library was flushed, say)
                    self.problem("chat %s: answered %s %s" % (cid, st, ans))
                    if st != 500:
                        break
                if time.time() > deadline:
                    with self.lock:
                        self.unacked.append(cid)
                    break
                time.sleep(0.3)
            time.sleep(rnd.uniform(0.5, 1.5))

    def chats(self):
        rnd = random.Random(7)
        threads, n = [], 0
        while not self.stop_load.is_set():
            t = threading.Thread(target=self.chat_customer, args=(n, random.Random(n)))
            t.start()
            threads.append(t)
            n += 1
            self.stop_load.wait(rnd.expovariate(self.cfg["chat_rate"]))
        for t in threads:
            t.join()
        self.chat_customers = n

    def rpc(self, *args):
        for k in self.live_nodes():
            try:
                rc, out = k.rpc(*args)
            except subprocess.TimeoutExpired:
                continue
            if rc == 0 and not out.startswith("error"):
                return True, out
            if "503" in out or rc != 0 and "error" not in out:
                continue          # Redis away, or the node gone meanwhile: the other one
            return False, out
        return False, "no node answered"

    def desk(self):
        """Agents at their desks: accept chats offered to them, close a chat after a few
        seconds, end wrap-up (calls' and chats') at once."""
        r = self.rs.client()
        since = {}
        while not self.desk_stop.is_set():
            try:
                n = int(r.get(P + ":seq:s") or 0)
                pipe = r.pipeline(transaction=False)
                for sid in range(1, n + 1):
                    pipe.hmget("%s:s:%d" % (P, sid), "state", "agent", "channel")
                rows = pipe.execute()
            except Exception:        # Redis restarting: the desk waits like a browser would
                time.sleep(0.5)
                continue
            now = time.time()
            for sid, (state, agent, channel) in enumerate(rows, 1):
                sid = str(sid)
                key = (sid, state)
                since.setdefault(key, now)
                if state == "offered" and channel == "web":
                    self.act("accept", "omniq.accept", sid, agent)
                elif state == "active" and channel == "web" and now - since[key] > 2:
                    self.act("close", "omniq.close", sid, "resolved")
                elif state == "wrapup":
                    self.act("end_wrapup", "omniq.close", sid, "resolved")
            self.desk_stop.wait(0.3)

    def act(self, what, *args):
        ok, out = self.rpc(*args)
        with self.lock:
            self.desk_actions[what if ok else "refused"] += 1

    # -- faults ---------------------------------------------------------------------------
    def inject(self, what):
        if what == "redis_restart":
            self.rs.stop()
            time.sleep(2)
            self.rs.start()
        elif what == "redis_kill":
            self.rs.proc.kill()
            self.rs.proc.wait()
            self.rs.proc = None
            time.sleep(2)
            self.rs.start()
        elif what == "function_flush":
            self.rs.client().function_flush()
        elif what == "kill_node_b":
            self.b.kill9()
        elif what == "start_node_b":
            self.b.start()
        self.faults.append(what)

    # -- the run --------------------------------------------------------------------------
    def run(self):
        cfg = self.cfg
        self.start()
        calls = int(cfg["seconds"] * cfg["call_rate"])
        self.callers = [Callers(self.ctx, self.a, "a", "+8613911", calls, cfg["call_rate"]),
                        Callers(self.ctx, self.b, "b", "+8613922", calls, cfg["call_rate"])]
        self.desk_stop = threading.Event()
        desk = threading.Thread(target=self.desk)
        chats = threading.Thread(target=self.chats)
        desk.start()
        chats.start()
        t0 = time.time()
        try:
            for at, what in cfg["faults"]:
                time.sleep(max(0, t0 + at - time.time()))
                self.inject(what)
            time.sleep(max(0, t0 + cfg["seconds"] - time.time()))
        finally:
            self.stop_load.set()
            chats.join()
            for c in self.callers:     # the calls under way end: talk, BYE, or give up
                try:
                    c.proc.wait(90)
                except subprocess.TimeoutExpired:
                    self.problem("sipp caller still running 90 s after the load")
                    c.stop()
            try:
                self.settle()
            finally:
                self.desk_stop.set()
                desk.join()
        outcomes = [c.outcomes() for c in self.callers]
        self.audit(self.rs.client(), outcomes)
        self.logs = self.effects()
        return self.tally(outcomes, self.logs)

    def settle(self):
        """Until every session has ended (a dead node's within its lease, 10 s)."""
        r = self.rs.client()

        def ended():
            n = int(r.get(P + ":seq:s") or 0)
            pipe = r.pipeline(transaction=False)
            for sid in range(1, n + 1):
                pipe.hget("%s:s:%d" % (P, sid), "state")
            return all(s in ENDED for s in pipe.execute())
        try:
            wait_for(ended, timeout=60, step=0.5, what="every session ended")
        except AssertionError:
            pass           # the audit says which

    # -- audit ----------------------------------------------------------------------------
    def audit(self, r, outcomes):
        """What Redis holds once the load is over, against what the peers were told:
        outcomes is, per caller (node A's, node B's), call-id -> the outcomes it logged.
        Each finding goes to self.problems."""
        for e in check_tenant(r, P):
            self.problem("invariant: " + e)
        n = int(r.get(P + ":seq:s") or 0)
        self.sessions = {str(sid): r.hgetall("%s:s:%d" % (P, sid)) for sid in range(1, n + 1)}
        for sid, s in self.sessions.items():
            if s.get("state") not in ENDED:
                self.problem("session %s (%s, node %s) still %s, agent %r" % (
                    sid, s.get("channel"), s.get("node") or "-", s.get("state"), s.get("agent")))
        for aid in self.agents:
            flat = r.fcall("oq_agent_get", 1, P, aid)
            a = dict(zip(flat[0::2], flat[1::2]))
            held = {k: v for k, v in a.items() if k.startswith("load") and v not in ("0", "")}
            if held:
                self.problem("agent %s still holds %s" % (aid, held))
            if a.get("presence") != "available":
                self.problem("agent %s is %s, not available" % (aid, a.get("presence")))
        # chats: each acknowledged message once, in the session named in its answer
        for cid, (sid, body) in sorted(self.acked.items()):
            got = r.hget("%s:s:%s:cids" % (P, sid), cid)
            tx = r.xrange("%s:s:%s:tx" % (P, sid), got, got) if got else []
            if not tx or tx[0][1].get("body") != body:
                self.problem("chat message %s acknowledged in session %s: not in its "
                             "transcript (%r)" % (cid, sid, tx))
        stored = {}
        for sid, s in self.sessions.items():
            if s.get("channel") == "web":
                for _, f in r.xrange("%s:s:%s:tx" % (P, sid)):
                    if f.get("dir") == "in":
                        stored[f.get("body")] = stored.get(f.get("body"), 0) + 1
        for body, times in sorted(stored.items()):
            if times > 1:
                self.problem("chat message %r stored %d times" % (body, times))
        # calls: a call answered on the node that stayed up has exactly one accepted session
        # of that node (one that ended closed: an answered call's session is closed, by its
        # BYE or when its node was lost; one never answered is abandoned or expired); the
        # killed node may have had one accepted whose 200 died with it
        accepted = {sid for sid, s in self.sessions.items()
                    if s.get("channel") == "phone" and s.get("state") == "closed"}
        self.answered = []
        for node, out, exact in ((self.a_name, outcomes[0], True), (self.b_name, outcomes[1], False)):
            answered = sum(1 for o in out.values() if "answered" in o)
            acc = sum(1 for sid in accepted if self.sessions[sid].get("node") == node)
            if acc < answered or exact and acc != answered:
                self.problem("node %s: callers saw %d calls answered, %d sessions were accepted"
                             % (node, answered, acc))
            self.answered.append(answered)

    def tally(self, outcomes, logs):
        """One line: what ran, what the faults did to it, what the audit found."""
        ends = {}
        for s in self.sessions.values():
            k = "%s %s%s" % (s.get("channel"), s.get("state"),
                             " " + s["reason"] if s.get("reason") else "")
            ends[k] = ends.get(k, 0) + 1
        finals = {}
        for out in outcomes:
            for o in out.values():
                for x in o:
                    if x.startswith("final") or x in ("gave_up", "bye_unanswered"):
                        finals[x] = finals.get(x, 0) + 1
        placed = 2 * int(self.cfg["seconds"] * self.cfg["call_rate"])
        return ("drill (%s): %d sessions [%s]; calls: %d placed, %d answered, %d reached no "
                "node, others %s; chats: %d customers, %d messages acknowledged (%d after a "
                "retry), %d given up; desk %s; faults injected %d (%s): %s; problems found: %d"
                % (self.form, len(self.sessions), ", ".join("%d %s" % (v, k) for k, v in sorted(ends.items())),
                   placed, sum(self.answered), placed - sum(len(o) for o in outcomes), finals or "{}",
                   self.chat_customers, len(self.acked), self.retried, len(self.unacked),
                   self.desk_actions, len(self.faults), ", ".join(self.faults),
                   ", ".join("%s %d" % kv for kv in logs.items()), len(self.problems)))

    def effects(self):
        """What the nodes logged the faults did: counted from their logs."""
        text = "".join(k.text() for k in self.nodes)
        return {"library reloads": text.count("the omniq function library was missing"),
                "reconnects": text.count("reconnected to Redis"),
                "call steps kept for Redis": text.count("found Redis unavailable: made again"),
                "kept behind an earlier one": text.count("kept for Redis: made after it"),
                "call steps made again": len(re.findall(r"its \w+ reached Redis", text)),
                "calls refused 503": text.count("call not queued: Redis unavailable")}
