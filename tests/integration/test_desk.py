"""The agent desk: POST /api/v1/desk/login and the /ws/agent socket, against a real kamailio
(omniq + omniq_ws) and redis-server. Customers are real /ws/chat sockets or REST calls."""
import json
import math
import re
import time

from harness import alone, test, wait_for, wait_read
from test_ws import P, Chat, chat_kam, sign

DESK = b"desk-secret-0123456789"
PASSWORD = "correct horse battery"


class Desk(Chat):
    """An agent's desk socket; request() sends with a rid and returns the ok/error answer."""

    def __init__(self, port, token=None):
        super().__init__(port, "/ws/agent", "omniq-agent")
        self.rid = 0
        self.pending = []     # frames read while waiting for something else
        if token:
            self.send({"type": "hello", "token": token})
            self.welcome = self.recv("welcome")

    def recv(self, want=None, timeout=10, where=None):
        for i, m in enumerate(self.pending):
            if (want is None or m.get("type") == want) and (where is None or where(m)):
                return self.pending.pop(i)
        end = time.time() + timeout
        while time.time() < end:
            self.ws.settimeout(max(0.1, end - time.time()))
            m = json.loads(self.ws.recv())
            if (want is None or m.get("type") == want) and (where is None or where(m)):
                return m
            self.pending.append(m)
        raise AssertionError("no %s frame" % want)

    def request(self, **msg):
        self.rid += 1
        msg["rid"] = str(self.rid)
        self.send(msg)
        return self.recv(where=lambda m: m.get("rid") == str(self.rid)
                         and m["type"] in ("ok", "error"))

    def inbox(self, where, timeout=10):
        """The next inbox frame that satisfies where(list of sessions)."""
        return self.recv("inbox", timeout, lambda m: where(m["inbox"]))["inbox"]


def next_second(after):
    """Into the wall clock's next second after `after`: the login guard counts the checks it
    admits per second of time(NULL), the same clock, so its count starts anew there (what a
    503's Retry-After: 1 means). time(NULL) reads the kernel's coarse clock, up to a tick
    (1-10 ms) behind: 50 ms into the second."""
    time.sleep(max(0.0, math.floor(after) + 1.05 - time.time()))


def login(api, agent, password=PASSWORD, **kw):
    """POST /api/v1/desk/login (no API key); kw: more body members (tenant)."""
    return api.call("POST", "/api/v1/desk/login", dict({"agent": agent, "password": password}, **kw),
                    key="")


def agent(k, aid, skills="sales:5", caps="voice=1,chat=4"):
    rc, out = k.rpc("omniq.agent_set", aid, aid.title(), skills, caps)
    assert rc == 0 and not out.startswith("error"), out
    rc, out = k.rpc("omniq.agent_password", aid, PASSWORD)
    assert rc == 0 and not out.startswith("error"), out


def desk(port, api, aid):
    st, body = login(api, aid)
    assert st == 200, body
    return Desk(port, body["token"])


def customer_session(port, text="Hello, my order is late"):
    c = Chat(port)
    c.send({"type": "hello"})
    c.recv("welcome")
    c.send({"type": "message", "text": text})
    return c, c.recv("session")["session"]


@test
def test_desk_login_refuses_wrong_credentials_alike(ctx):
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice")
    st, ok = login(api, "alice")
    assert st == 200 and ok["agent"] == "alice" and ok["expires"] > time.time() + 3600, ok
    for who, pw in [("alice", "wrong password"), ("nobody", PASSWORD), ("alice", "short")]:
        st, body = login(api, who, pw)
        assert st == 401 and body["error"]["code"] == "unauthorized", (who, st, body)
        assert body["error"]["message"] == "wrong agent or password", body
    st, body = api.call("POST", "/api/v1/desk/login", {"agent": "alice"}, key="")
    assert st == 400 and "password" in body["error"]["message"], body
    st, body = api.call("GET", "/api/v1/desk/login", key="")
    assert st == 405, body
    # the login is the only /api/v1 path that does not need an API key
    st, body = api.call("GET", "/api/v1/sessions/1", key="")
    assert st == 401, body
    # Redis keeps a salted hash, never the password
    h = rs.client().get("oq:{default}:a:alice:pw")
    assert h.startswith("pbkdf2-sha256$") and PASSWORD not in h, h
    rc, out = k.rpc("omniq.agent_password", "alice", "short")
    assert out.startswith("error: 400") and "password" in out, out
    assert rs.client().get("oq:{default}:a:alice:pw") == h     # unchanged


@test
@alone
def test_desk_login_guessing_and_login_floods_are_refused_unchecked(ctx):
    """login_fails=3, login_window=4 s, login_rate=2 per second (cfg/ws.cfg,
    OMNIQ_LOGIN_GUARD). After 3 failed logins for one agent from one address, that address
    gets 429 for that agent - even with the right password, which is not checked - until
    the window ends; other agents are not locked out with it. A process checks at most 2
    passwords a second, one address at most half of them: its more get 429, more from
    several addresses 503, each with Retry-After. One omniq_ws process (each keeps its own
    count)."""
    import http.client
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_LOGIN_GUARD": "1", "OMNIQ_WS_PROCESSES": "1"})
    agent(k, "alice")
    agent(k, "bob")
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def try_login(aid, pw):
        c.request("POST", "/api/v1/desk/login", body=json.dumps({"agent": aid, "password": pw}),
                  headers={"Content-Type": "application/json"})
        r = c.getresponse()
        return r.status, r.getheader("Retry-After"), json.loads(r.read())

    for i in range(3):
        next_second(time.time())             # one check a second from an address
        st, ra, body = try_login("alice", "wrong password %d" % i)
        assert (st, ra, body["error"]["code"]) == (401, None, "unauthorized"), (i, st, body)
    for pw in ("another guess", PASSWORD):
        st, ra, body = try_login("alice", pw)
        refused_at = time.time()
        assert st == 429 and body["error"]["code"] == "too_many_attempts", (st, body)
        assert 1 <= int(ra) <= 4 and ra in body["error"]["message"], (ra, body)
    # her window ends Retry-After seconds from the second kamailio answered in, at the latest
    window_ends = math.floor(refused_at) + int(ra)
    assert "desk login of agent 'alice' from 127.0.0.1 not checked: too_many_attempts" in k.text()
    next_second(time.time())
    st, ra, body = try_login("bob", PASSWORD)           # same address, another agent
    assert st == 200 and body["agent"] == "bob", (st, body)
    # a flood of logins from one address: at most 1 check in any second (half the process's
    # 2), the rest 429 rate_limited, Retry-After 1. Counted against the seconds the
    # flood took, from a second's start: a check (a PBKDF2 run) takes far less than a
    # second, but a flood that took 3 seconds or more can show no refusal, and is made again
    for _ in range(5):
        next_second(time.time())
        start = time.time()
        got = [try_login("bob", PASSWORD)[:2] for _ in range(5)]
        seconds = math.floor(time.time()) - math.floor(start) + 1
        assert set(got) <= {(429, "1"), (200, None)}, got
        assert got[0] == (200, None) and got.count((200, None)) <= seconds, (got, seconds)
        if seconds <= 2:
            break
    assert got.count((429, "1")) >= 5 - seconds >= 3, (got, seconds)
    # logins from three addresses at once: the process checks 2 in a second, the third gets
    # 503 busy (the process's limit, not the client's)
    for _ in range(5):
        next_second(time.time())
        start = time.time()
        got = [from_address(port, src, "bob", PASSWORD) for src in ("127.0.0.2", "127.0.0.3",
                                                                    "127.0.0.4")]
        if math.floor(time.time()) == math.floor(start):
            break
    assert got == [(200, None), (200, None), (503, "1")], got
    # alice's window ends: her password is checked again. Two windows: the process's own,
    # counted in whole seconds from her first check's second (what Retry-After told), and
    # the count in Redis, which expires 4 s after her first check's try there, up to a
    # second later
    next_second(max(window_ends - 1, time.time()))
    wait_for(lambda: not rs.client().exists(P + ":login:127.0.0.1 alice"),
             what="the count in Redis to expire")
    st, ra, body = try_login("alice", PASSWORD)
    assert st == 200 and body["agent"] == "alice", (st, body)
    c.close()


def from_address(port, src, aid, pw):
    """A login on a connection of its own from address src: (status, Retry-After)."""
    import http.client
    h = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(src, 0))
    try:
        h.request("POST", "/api/v1/desk/login", body=json.dumps({"agent": aid, "password": pw}),
                  headers={"Content-Type": "application/json"})
        r = h.getresponse()
        r.read()
        return r.status, r.getheader("Retry-After")
    finally:
        h.close()


@test
@alone
def test_desk_login_spray_from_one_address_locks_out_no_other_agent(ctx):
    """An attacker's address tries a wrong password for one agent after another, about 30
    a second, each agent below login_fails (3): the address gets half of the process's
    checks at most (1 a second of 2), and after login_address_fails (6) failures in the
    window it is refused for every agent, unchecked. Meanwhile carol, from her own address,
    logs in every time (before: 18 of 18 of her logins got 503, the attacker used every
    check). The refusals are not logged one by one."""
    import threading
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_LOGIN_GUARD": "1", "OMNIQ_WS_PROCESSES": "1"})
    agent(k, "carol")
    stop = threading.Event()
    spray = []

    def attacker():
        i = 0
        while not stop.is_set():
            spray.append(from_address(port, "127.0.0.2", "agent%d" % i, "guess")[0])
            i += 1
            time.sleep(0.03)
    t = threading.Thread(target=attacker)
    t.start()
    try:
        time.sleep(1)
        carol = []
        for _ in range(8):        # once a second, as often as a person logs in
            next_second(time.time())
            carol.append(from_address(port, "127.0.0.3", "carol", PASSWORD)[0])
    finally:
        stop.set()
        t.join()
    assert carol == [200] * 8, carol
    assert len(spray) >= 60 and set(spray) <= {401, 429}, (len(spray), set(spray))
    # checked: at most one a second, and after 6 failures none until the 4 s window ends
    assert 6 <= spray.count(401) <= 12, spray.count(401)
    lines = len(re.findall(r"desk login of agent '\w+' from 127\.0\.0\.2 not checked", k.text()))
    assert 1 <= lines <= 2, "%d lines for %d refusals" % (lines, spray.count(429))


@test
def test_desk_login_failures_count_across_processes(ctx):
    """login_fails (5 here) holds for all omniq_ws processes (and nodes), not for each: the
    count is kept in Redis, per address and agent, and expires with login_window. Wrong
    guesses for bob on new connections, which the kernel spreads over the two processes, get
    five checks (401) in all, then 429 on whichever process they meet, also on one that has
    seen fewer than five fail itself. alice, from the same address, is not locked out with
    him, and her right password clears her own count."""
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice")
    agent(k, "bob")
    assert len(k.pids("omniq_ws")) == 2
    r = rs.client()

    def paced(aid, pw):
        """A login, again in the next second while its process has made its login_rate (10)
        checks of this second, or this address its half of them."""
        while True:
            st, body = login(api, aid, pw)
            if st != 503 and body.get("error", {}).get("code") != "rate_limited":
                return st, body
            assert body["error"]["code"] in ("busy", "rate_limited"), body
            next_second(time.time())

    assert paced("alice", "wrong")[0] == 401
    got = [paced("bob", "wrong guess %d" % i) for i in range(12)]
    codes = [(st, body["error"]["code"]) for st, body in got]
    assert codes == [(401, "unauthorized")] * 5 + [(429, "too_many_attempts")] * 7, codes
    assert r.get(P + ":login:127.0.0.1 alice") == "1"
    assert all(0 < int(body["error"]["message"].split(" in ")[1].split()[0]) <= 300
               for st, body in got[5:]), got[5:]
    assert r.get(P + ":login:127.0.0.1 bob") == "5"
    assert 290 <= r.ttl(P + ":login:127.0.0.1 bob") <= 300
    # refused by the count in Redis on a process that had not seen five failures itself
    assert "not checked: too_many_attempts (on any process)" in k.text(), k.tail()
    st, body = paced("alice", PASSWORD)
    assert st == 200 and body["agent"] == "alice", (st, body)
    assert r.exists(P + ":login:127.0.0.1 alice") == 0


@test
def test_desk_password_checks_leave_the_loop_serving(ctx):
    """A desk login's password check (a Redis read and a PBKDF2 run) runs on the process's
    checker thread; the request is answered when it is done. One omniq_ws process, Redis
    stopped (SIGSTOP; redis_timeout 8 s) while logins wait: the process still serves a static
    file and a chat socket, and answers nothing early. Logins sent all at once count toward
    login_fails (5) as one after another would: of seven wrong guesses for bob, five are
    checked and two refused at once with 429; five guesses for carol whose clients hang up
    before the answer still count, so carol's next login is refused unchecked. When Redis
    resumes, alice gets her token and it opens her desk; bob's checked guesses get 401."""
    import http.client
    import os
    import signal
    import socket
    import threading
    import urllib.request
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1", "OMNIQ_REDIS_TIMEOUT": "8000",
                                      "OMNIQ_WS_INT": '"login_rate"', "OMNIQ_WS_INT_VALUE": "50"})
    for aid in ("alice", "bob", "carol"):
        agent(k, aid)
    c, sid = customer_session(port)
    got = {}

    def try_login(key, aid, pw):
        h = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        h.request("POST", "/api/v1/desk/login", body=json.dumps({"agent": aid, "password": pw}),
                  headers={"Content-Type": "application/json"})
        r = h.getresponse()
        got[key] = (r.status, json.loads(r.read()))
        h.close()

    def hang_up(aid, pw):
        body = json.dumps({"agent": aid, "password": pw}).encode()
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST /api/v1/desk/login HTTP/1.1\r\nHost: x\r\nContent-Type: "
                  b"application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        wait_read([s])                                 # the loop has the login
        s.close()

    redis_pid = rs.proc.pid
    os.kill(redis_pid, signal.SIGSTOP)
    try:
        # carol's first check is the one the checker is making when its client hangs up
        for i in range(5):
            hang_up("carol", "wrong guess %d" % i)
        threads = [threading.Thread(target=try_login, args=("alice", "alice", PASSWORD))]
        threads += [threading.Thread(target=try_login,
                                     args=("bob%d" % i, "bob", "wrong guess %d" % i))
                    for i in range(7)]
        for t in threads:
            t.start()
        # bob's two logins over the count are answered at once; nothing else can be while
        # Redis is stopped
        wait_for(lambda: len(got) >= 2, what="two logins answered while Redis is stopped")
        early = dict(got)
        refused = [key for key, (st, body) in early.items()
                   if st == 429 and body["error"]["code"] == "too_many_attempts"]
        assert len(refused) == 2 and len(early) == 2, early   # nothing else answered yet
        with urllib.request.urlopen("http://127.0.0.1:%d/static/omniq-chat.js" % port,
                                    timeout=3) as f:
            assert f.status == 200 and b"omniq" in f.read()
        c.send(raw="{not json")                        # the chat socket is served
        assert c.close_code(timeout=3) == 1007
    finally:
        os.kill(redis_pid, signal.SIGCONT)
    for t in threads:
        t.join(20)
    st, ok = got["alice"]
    assert st == 200 and ok["agent"] == "alice", (st, ok)
    d = Desk(port, ok["token"])
    assert d.welcome["agent"] == "alice", d.welcome
    d.close()
    bobs = sorted(st for key, (st, body) in got.items() if key.startswith("bob"))
    assert bobs == [401] * 5 + [429] * 2, got
    # the checks of the clients that hung up counted: carol is refused unchecked now
    wait_for(lambda: k.text().count("desk login refused for agent 'carol'") == 5,
             what="carol's five checks made")
    st, body = login(api, "carol")
    assert st == 429 and body["error"]["code"] == "too_many_attempts", (st, body)
    assert k.text().count("desk login refused for agent 'bob' from 127.0.0.1") == 5, k.tail()
    pid, = k.pids("omniq_ws")
    # the process's threads, by name (docs/admin-ws.md); it is the first, so it sends the outbox
    names = set()
    for t in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/comm" % (pid, t)) as f:
            names.add(f.read().strip())
    assert {"ws events", "ws logins"} <= names, names


@test
@alone
def test_desk_login_checks_waiting_are_bounded(ctx):
    """login_rate (2, OMNIQ_LOGIN_GUARD) also bounds the checks waiting in a process: with
    Redis stopped, two logins wait; a third, a second later (a new second of the rate), gets
    503 busy at once instead of waiting behind them. When Redis resumes, the two waiting get
    their tokens, and the third agent's next login is checked. With Redis down, a login gets
    503 unavailable and does not count as a failure."""
    import http.client
    import os
    import select
    import signal
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1", "OMNIQ_REDIS_TIMEOUT": "8000",
                                      "OMNIQ_LOGIN_GUARD": "1"})
    for aid in ("alice", "bob", "carol"):
        agent(k, aid)

    def sent_login(aid, src):
        """A login sent on a connection of its own from src, its answer read later."""
        h = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(src, 0))
        h.request("POST", "/api/v1/desk/login", body=json.dumps(
            {"agent": aid, "password": PASSWORD}), headers={"Content-Type": "application/json"})
        return h
    os.kill(rs.proc.pid, signal.SIGSTOP)
    try:
        # from two addresses: one address has only one check a second
        waiting = [sent_login("alice", "127.0.0.2"), sent_login("bob", "127.0.0.3")]
        wait_read([h.sock for h in waiting])      # the loop has both: their checks wait
        next_second(time.time())                  # a new second of the rate
        t0 = time.time()
        st, body = login(api, "carol")
        assert st == 503 and body["error"]["code"] == "busy", (st, body)
        assert time.time() - t0 < 2
        assert select.select([h.sock for h in waiting], [], [], 0)[0] == [], "answered early"
    finally:
        os.kill(rs.proc.pid, signal.SIGCONT)
    for h in waiting:
        r = h.getresponse()
        assert r.status == 200 and json.loads(r.read())["token"], r.status
        h.close()
    # carol's busy answer was no check of this second's: hers is checked now
    st, body = login(api, "carol")
    assert st == 200 and body["agent"] == "carol", (st, body)
    # Redis down: 503 unavailable, which is not a failed login (login_fails is 3 here)
    ctx.expect_redis_down(rs)
    rs.stop()
    for i in range(4):
        next_second(time.time())             # one check a second from an address
        st, body = login(api, "alice")
        assert st == 503 and body["error"]["code"] == "unavailable", (i, st, body)
    rs.start()
    wait_for(lambda: login(api, "alice")[0] == 200, timeout=15, what="alice's login")


@test
def test_desk_agent_takes_a_chat_from_offer_to_close(ctx):
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice")
    d = desk(port, api, "alice")
    assert d.welcome["agent"] == "alice" and d.welcome["inbox"] == [], d.welcome
    assert d.welcome["presence"] == "offline", d.welcome
    assert d.request(type="state", state="available")["type"] == "ok"
    c, sid = customer_session(port)
    inbox = d.inbox(lambda ib: len(ib) == 1)
    s = inbox[0]
    assert s["sid"] == sid and s["state"] == "offered" and s["channel"] == "web", s
    assert s["identity"].startswith("web:") and int(s["created"]) > 0, s
    # an offer can only be accepted or declined: no reply, close or transfer before (a close
    # would abandon it as if the customer had left); reading it is fine
    r = rs.client()
    for req in (dict(type="reply", sid=sid, text="too early", cid="e1"),
                dict(type="close", sid=sid, disposition="resolved"),
                dict(type="transfer", sid=sid, to="queue", target="web")):
        ans = d.request(**req)
        assert ans["type"] == "error" and ans["code"] == "wrong_state", (req, ans)
        assert "accept or decline it first" in ans["message"], ans
    assert r.hget("oq:{default}:s:%s" % sid, "state") == "offered"
    assert d.request(type="transcript", sid=sid)["type"] == "ok"
    assert d.request(type="accept", sid=sid)["type"] == "ok"
    assert d.inbox(lambda ib: ib and ib[0]["state"] == "active")[0]["sid"] == sid
    # the customer's words reach the desk, the agent's reply reaches the customer
    tx = d.request(type="transcript", sid=sid)
    assert [e["text"] for e in tx["transcript"]] == ["Hello, my order is late"], tx
    c.send({"type": "message", "text": "Order 4711"})
    # (the first message may come too: the desk follows the session from the offer on, and
    # the page de-duplicates by id against the transcript)
    m = d.recv("message", where=lambda m: m["text"] == "Order 4711")
    assert m["sid"] == sid and m["dir"] == "in" and m["id"] > tx["transcript"][0]["id"], m
    assert d.request(type="reply", sid=sid, text="It ships today.", cid="r1")["cid"] == "r1"
    got = c.recv("message")
    assert got["text"] == "It ships today." and got["from"] == "alice", got
    # customer panel: the profile and the history across channels
    r = rs.client()
    cid = r.hget("oq:{default}:s:%s" % sid, "customer")
    assert k.rpc("omniq.customer_set", cid, "tier", "gold")[0] == 0
    cust = d.request(type="customer", sid=sid)
    assert cust["type"] == "ok" and cust["customer"]["tier"] == "gold", cust
    assert [h["sid"] for h in cust["history"]] == [sid], cust
    # close with a follow-up date: a return visit is recorded
    bad = d.request(type="close", sid=sid, disposition="follow_up", follow_up="2027-02-30")
    assert bad["type"] == "error" and bad["code"] == "bad_argument", bad
    assert r.hget("oq:{default}:s:%s" % sid, "state") == "active"
    done = d.request(type="close", sid=sid, disposition="follow_up", follow_up="2027-02-21")
    assert done["type"] == "ok", done
    h = r.hgetall("oq:{default}:s:%s" % sid)
    assert h["state"] == "closed" and h["disposition"] == "follow_up", h
    assert h["follow_up"] == "2027-02-21", h
    assert r.zscore("oq:{default}:followups", sid) is not None
    d.inbox(lambda ib: ib == [])
    c.close()
    d.close()


@test
def test_desk_agent_sees_and_touches_only_its_own_sessions(ctx):
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice")
    agent(k, "bob", skills="billing:5")
    a = desk(port, api, "alice")
    b = desk(port, api, "bob")
    assert a.request(type="state", state="available")["type"] == "ok"
    c, sid = customer_session(port)
    a.inbox(lambda ib: len(ib) == 1)
    r = rs.client()
    before = {kk: r.dump(kk) for kk in r.keys("*") if not kk.endswith(":events")}
    # bob cannot accept alice's offer, nor read or act on her session
    assert b.request(type="accept", sid=sid)["code"] == "wrong_agent"
    assert b.request(type="decline", sid=sid)["code"] == "wrong_agent"
    for req in [dict(type="transcript", sid=sid), dict(type="customer", sid=sid),
                dict(type="reply", sid=sid, text="hi, I am not your agent"),
                dict(type="close", sid=sid, disposition="resolved"),
                dict(type="transfer", sid=sid, to="agent", target="bob")]:
        ans = b.request(**req)
        assert ans["type"] == "error" and ans["code"] == "not_found", (req, ans)
    after = {kk: r.dump(kk) for kk in r.keys("*") if not kk.endswith(":events")}
    assert after == before, "another agent's requests changed Redis"
    # and bob's inbox never showed it
    assert all(m["inbox"] == [] for m in b.pending if m["type"] == "inbox")
    c.close()


@test
def test_desk_transfer_to_agent_and_to_queue(ctx):
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice", skills="sales:5,billing:3")
    agent(k, "bob", skills="sales:3,billing:5")
    agent(k, "carol", skills="billing:5")
    a = desk(port, api, "alice")
    b = desk(port, api, "bob")
    assert a.request(type="state", state="available")["type"] == "ok"
    c, sid = customer_session(port)
    a.inbox(lambda ib: len(ib) == 1)
    assert a.request(type="accept", sid=sid)["type"] == "ok"
    # bob is not available: refused, nothing changes
    ans = a.request(type="transfer", sid=sid, to="agent", target="bob")
    assert ans["type"] == "error" and ans["code"] == "no_capacity", ans
    assert rs.client().hget("oq:{default}:s:%s" % sid, "agent") == "alice"
    assert b.request(type="state", state="available")["type"] == "ok"
    assert a.request(type="transfer", sid=sid, to="agent", target="bob")["type"] == "ok"
    a.inbox(lambda ib: ib == [])
    s = b.inbox(lambda ib: len(ib) == 1)[0]
    assert s["sid"] == sid and s["state"] == "offered", s
    assert b.request(type="accept", sid=sid)["type"] == "ok"
    # the same through kamcmd: only the holder may hand it on
    rc, out = k.rpc("omniq.transfer", sid, "alice", "queue", "billing")
    assert out.startswith("error: 409"), out
    rc, out = k.rpc("omniq.transfer", sid, "bob", "sideways", "billing")
    assert out.startswith("error: 400"), out
    # the transcript tells the story
    tx = b.request(type="transcript", sid=sid)["transcript"]
    assert any(e["dir"] == "sys" and "alice" in e["text"] for e in tx), tx
    # bob hands it to the billing queue; carol (billing, available) gets it, not alice
    assert k.rpc("omniq.agent_state", "carol", "available")[0] == 0
    ans = b.request(type="transfer", sid=sid, to="queue", target="billing", skills="billing")
    assert ans["type"] == "ok", ans
    b.inbox(lambda ib: ib == [])
    h = rs.client().hgetall("oq:{default}:s:%s" % sid)
    assert h["agent"] == "carol" and h["state"] == "offered" and h["queue"] == "billing", h
    for bad in [dict(to="somewhere", target="x"), dict(to="agent"), dict(to="queue", target="no way")]:
        ans = a.request(type="transfer", sid=sid, **bad)
        assert ans["type"] == "error", (bad, ans)
    c.close()


def token(aid, exp, tenant="default", epoch=None):
    """A desk token as desk_login.c signs it; epoch None: the format of before token epochs
    (no "#<epoch>"), which is epoch 0."""
    ep = "" if epoch is None else "#%d" % epoch
    return sign(DESK, "agent", "%s|%s%s/%d" % (tenant, aid, ep, exp))


@test
def test_desk_hostile_clients_get_close_codes(ctx):
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice")
    r = rs.client()
    before = sorted(r.keys("*"))
    cases = [
        ("request before hello", lambda d: d.send({"type": "state", "state": "available"}), 1007),
        ("invalid JSON", lambda d: d.send(raw="[1,2"), 1007),
        ("forged token", lambda d: d.send({"type": "hello", "token": "alice/9999999999." + "0" * 64}),
         1008),
        ("a customer's visitor token", lambda d: d.send({"type": "hello", "token": "ab." + "1" * 64}),
         1008),
        ("expired token", lambda d: d.send({"type": "hello", "token": token("alice", time.time() - 5)}),
         1008),
        ("a tenant this kamailio does not serve",
         lambda d: d.send({"type": "hello", "token": token("alice", time.time() + 60, "nope")}), 1008),
        ("a token without its tenant",
         lambda d: d.send({"type": "hello", "token": sign(DESK, "agent", "alice/%d" % (time.time() + 60))}),
         1008),
        ("oversized frame", lambda d: d.send(raw=json.dumps({"type": "hello", "pad": "x" * 5000})),
         1009),
    ]
    for name, act, code in cases:
        d = Desk(port)
        act(d)
        got = d.close_code()
        assert got == code, (name, got)
    assert sorted(r.keys("*")) == before, "hostile sockets wrote to Redis"
    # a token signed with the right secret works without a login (what login hands out),
    # while its epoch is alice's (0: her first password ended nothing), also one of before
    # token epochs (no "#<epoch>", epoch 0); another epoch does not
    assert refused(port, token("alice", time.time() + 60, epoch=1)) == (1008, "logged out")
    assert Desk(port, token("alice", time.time() + 60)).welcome["agent"] == "alice"
    d = Desk(port, token("alice", time.time() + 60, epoch=0))
    assert d.welcome["agent"] == "alice"
    for bad in [dict(type="state", state="sleeping"), dict(type="accept"), dict(type="reply", sid="1"),
                dict(type="close", sid=7), dict(type="levitate")]:
        ans = d.request(**bad)
        assert ans["type"] == "error" and ans["code"] in ("bad_argument",), (bad, ans)
    # a flood: rate limited and closed, while another desk keeps working
    other = desk(port, api, "alice")
    for _ in range(300):
        try:
            d.send({"type": "transcript", "sid": "1"})
        except Exception:
            break
    assert d.close_code() == 1008
    assert other.request(type="state", state="away")["type"] == "ok"
    other.close()


@test
def test_desk_inbox_shows_calls_with_chats(ctx):
    """A phone session (what omniq_sip opens for an INVITE) sits in the same inbox as chats:
    offered while the phone rings, active in the call; blended capacity lets a chat in too."""
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice")
    d = desk(port, api, "alice")
    assert d.request(type="state", state="available")["type"] == "ok"
    rc, out = k.rpc("omniq.enqueue", "phone", "phone:+8613800138000", "sales")
    assert rc == 0 and not out.startswith("error"), out
    call = d.inbox(lambda ib: len(ib) == 1)[0]
    assert call["channel"] == "phone" and call["state"] == "offered", call
    assert call["identity"] == "phone:+8613800138000", call
    assert d.request(type="accept", sid=call["sid"])["type"] == "ok"     # the phone answered
    c, sid = customer_session(port)
    ib = d.inbox(lambda ib: len(ib) == 2)
    assert [(s["channel"], s["state"]) for s in ib] == [("phone", "active"), ("web", "offered")], ib
    c.close()


@test
def test_desk_typing_both_ways_and_agent_name(ctx):
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice")
    agent(k, "bob")
    d = desk(port, api, "alice")
    b = desk(port, api, "bob")
    assert d.request(type="state", state="available")["type"] == "ok"
    c, sid = customer_session(port)
    d.inbox(lambda ib: len(ib) == 1)
    assert d.request(type="accept", sid=sid)["type"] == "ok"
    st = c.recv("state")
    while st["event"] != "accept":
        st = c.recv("state")
    assert st["agent"] == "alice" and st["agent_name"] == "Alice", st    # a name, not an id
    c.send({"type": "typing"})
    t = d.recv("typing")
    assert t["sid"] == sid and t["from"].startswith("web:"), t
    d.send({"type": "typing", "sid": sid})
    t = c.recv("typing")
    assert t["from"] == "alice", t
    # bob cannot signal on alice's session; nothing reaches the customer
    assert b.request(type="typing", sid=sid)["code"] == "not_found"
    c.send({"type": "message", "text": "next"})
    assert c.recv("ack")
    # typing leaves nothing behind: the transcript has only the messages
    assert [e["text"] for e in d.request(type="transcript", sid=sid)["transcript"]] == [
        "Hello, my order is late", "next"]
    # a visitor typing before its first message has no session: silently nothing
    v = Chat(port)
    v.send({"type": "hello"})
    v.recv("welcome")
    v.send({"type": "typing"})
    v.send({"type": "message", "text": "first"})
    first = v.recv()                              # no error frame before the session
    assert first["type"] == "session" and first["state"] in ("queued", "offered"), first
    v.close()
    c.close()


@test
def test_desk_and_chat_on_one_process_each_get_what_they_show(ctx):
    """A customer's chat and its agent's desk on one omniq_ws process follow the same
    session. The process's event reader keeps the customer's own lines and typing for the
    desk alone (a customer's socket is not handed them, events.h): the desk gets them, the
    customer gets its acks and the agent's lines, never its own back. Then the desk goes:
    the chat alone still gets the agent's next line."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1"})
    agent(k, "alice")
    d = desk(port, api, "alice")
    assert d.request(type="state", state="available")["type"] == "ok"
    c, sid = customer_session(port)
    d.inbox(lambda ib: len(ib) == 1)
    assert d.request(type="accept", sid=sid)["type"] == "ok"
    c.send({"type": "typing"})
    assert d.recv("typing")["sid"] == sid
    c.send({"type": "message", "text": "Order 4711", "cid": "m1"})
    m = d.recv("message", where=lambda m: m["text"] == "Order 4711")
    assert m["sid"] == sid and m["dir"] == "in", m
    assert d.request(type="reply", sid=sid, text="It ships today.", cid="r1")["cid"] == "r1"
    got = []
    while not got or got[-1].get("type") != "message":
        got.append(c.recv())
    # the acks of its first line and of m1, then the agent's line
    assert [(f["type"], f.get("cid")) for f in got if f["type"] != "state"] == [
        ("ack", None), ("ack", "m1"), ("message", None)], got
    assert got[-1]["text"] == "It ships today." and got[-1]["from"] == "alice", got
    d.close()
    assert api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                    {"direction": "out", "from": "alice", "body": "Anything else?"})[0] == 201
    assert c.recv("message")["text"] == "Anything else?"
    c.close()


@test
def test_shipped_cfg_serves_chat_and_desk(ctx):
    """cfg/omniq.cfg (what `make run` starts) has the web surface: the demo page, the desk
    page, a desk login and a customer chat reaching the agent."""
    import urllib.request
    from harness import wait_for
    from test_ws import Api
    rs = ctx.redis()
    k = ctx.kamailio("omniq.cfg", rs.port)
    port = k.http_port

    def up():
        try:
            return urllib.request.urlopen("http://127.0.0.1:%d/desk/" % port, timeout=1).status == 200
        except OSError:
            return False
    wait_for(up, what="omniq_ws of the shipped cfg")
    page = urllib.request.urlopen("http://127.0.0.1:%d/" % port, timeout=5).read()
    assert b"omniq-chat.js" in page
    api = Api(port, key="local:example-key-change-me-0123")
    assert api.call("GET", "/api/v1/sessions/1")[0] == 404       # the key works: not 401
    agent(k, "alice", skills="sales:8")
    d = desk(port, api, "alice")
    assert d.request(type="state", state="available")["type"] == "ok"
    c, sid = customer_session(port)
    assert d.inbox(lambda ib: len(ib) == 1)[0]["sid"] == sid
    c.close()


def closed_with(d, timeout=10):
    """(code, reason) of the close frame the server sends next on desk d."""
    import websocket
    d.ws.settimeout(timeout)
    while True:
        f = d.ws.recv_frame()
        if f.opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(f.data[:2], "big"), f.data[2:].decode()


def refused(port, token):
    """The close (code, reason) a desk hello with token gets."""
    d = Desk(port)
    d.send({"type": "hello", "token": token})
    return closed_with(d)


@test
def test_desk_logout_and_a_new_password_end_every_token_on_every_node(ctx):
    """Two nodes share one Redis. alice logs in on each (two tokens) and opens a desk on
    each. A logout on one ends both tokens: both desks are closed (1008 "logged out"), on
    the other node too, and neither token opens a desk again, on either node. A new
    password does the same to the token of her next login, and the old password no longer
    logs in. (Before: logout and a password change left every token good for
    desk_token_ttl, 12 h.)"""
    from harness import free_port
    rs, k, api, port = chat_kam(ctx)
    port2 = free_port()
    k2 = ctx.kamailio("ws.cfg", rs.port, name="kam2", defines={"OMNIQ_HTTP_PORT": str(port2)})
    api2 = type(api)(port2)

    def serving():
        try:
            return api2.call("GET", "/api/v1/stats")[0] == 200
        except OSError:        # not listening yet (kamailio is ready before omniq_ws is)
            return False
    wait_for(serving, what="node 2 serving")
    agent(k, "alice")
    st, b1 = login(api, "alice")
    st2, b2 = login(api2, "alice")
    assert st == st2 == 200, (b1, b2)
    d1, d2 = Desk(port, b1["token"]), Desk(port2, b2["token"])
    assert d1.request(type="logout")["type"] == "ok"
    assert closed_with(d1) == (1008, "logged out")
    assert closed_with(d2) == (1008, "logged out")           # on the other node
    for p in (port, port2):
        for tok in (b1["token"], b2["token"]):
            assert refused(p, tok) == (1008, "logged out"), (p, tok)
    # logged in again: a new token works; a new password (RPC on node 2) ends it
    st, b3 = login(api, "alice")
    d3 = Desk(port, b3["token"])
    assert d3.welcome["agent"] == "alice"
    rc, out = k2.rpc("omniq.agent_password", "alice", "a new password 42")
    assert rc == 0 and not out.startswith("error"), out
    assert closed_with(d3) == (1008, "logged out")
    assert refused(port2, b3["token"]) == (1008, "logged out")
    assert login(api, "alice")[0] == 401
    st, b4 = login(api, "alice", "a new password 42")
    assert st == 200 and Desk(port2, b4["token"]).welcome["agent"] == "alice", b4
    # a token for an agent that was deleted opens nothing
    rc, out = k.rpc("omniq.agent_del", "alice")
    assert rc == 0 and not out.startswith("error"), out
    assert refused(port, b4["token"]) == (1008, "bad token")


@test
def test_desk_queue_view_pick_up_and_supervisor_assignment(ctx):
    """Issue 20, point 7: a session routing leaves waiting (its only agent declined it) is
    shown in the desk's queue view and picked up; a supervisor gives one to a colleague
    routing would skip (no skill); an agent may not; kamcmd may."""
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice")
    agent(k, "bob", skills="fr:1")
    agent(k, "sue", caps="voice=0,chat=0")
    a, b, s = desk(port, api, "alice"), desk(port, api, "bob"), desk(port, api, "sue")
    assert a.welcome["supervisor"] is False
    assert a.request(type="state", state="available")["type"] == "ok"
    c, sid = customer_session(port)
    a.inbox(lambda ib: len(ib) == 1 and ib[0]["state"] == "offered")
    assert a.request(type="decline", sid=sid)["type"] == "ok"
    a.inbox(lambda ib: ib == [])
    time.sleep(0.5)
    assert rs.client().hget("oq:{default}:s:%s" % sid, "state") == "queued"   # stranded
    w = a.request(type="queue")
    assert w["type"] == "ok" and [e["sid"] for e in w["waiting"]] == [sid], w
    assert w["waiting"][0]["channel"] == "web" and w["waiting"][0]["position"] == "1"
    # sue takes no chats: she sees nothing, and is no supervisor yet
    assert s.request(type="queue")["waiting"] == []
    assert k.rpc("omniq.agent_state", "bob", "available")[0] == 0
    ans = a.request(type="pick", sid=sid, agent="bob")
    assert ans["type"] == "error" and ans["code"] == "wrong_agent", ans
    # a supervisor now (her next inbox says so), she gives it to bob, who lacks its skill
    rc, out = k.rpc("omniq.agent_role", "sue", "supervisor")
    assert out.strip() == "ok", out
    assert k.rpc("omniq.agent_role", "sue", "boss")[1].startswith("error: 400")
    assert s.request(type="state", state="away")["type"] == "ok"
    assert s.recv("inbox")["supervisor"] is True
    assert [e["sid"] for e in s.request(type="queue")["waiting"]] == [sid]
    d = s.request(type="directory")
    assert d["type"] == "ok" and set(d["agents"]) == {"alice", "bob", "sue"}, d
    assert d["agents"]["bob"].startswith("available ") and d["queues"] == {"web": "1"}, d
    assert s.request(type="pick", sid=sid, agent="bob")["type"] == "ok"
    ib = b.inbox(lambda ib: len(ib) == 1)
    assert ib[0]["sid"] == sid and ib[0]["state"] == "offered", ib
    assert b.request(type="decline", sid=sid)["type"] == "ok"
    # alice picks it up herself: a chat is hers at once, no offer to accept
    ans = a.request(type="pick", sid=sid)
    assert ans["type"] == "ok", ans
    ib = a.inbox(lambda ib: len(ib) == 1 and ib[0]["state"] == "active")
    assert ib[0]["sid"] == sid
    tx = a.request(type="transcript", sid=sid)["transcript"]
    sys_lines = [e["text"] for e in tx if e["dir"] == "note"]      # agents' notes
    assert "assigned to bob by sue from queue web" in sys_lines, sys_lines
    assert "picked up by alice from queue web" in sys_lines, sys_lines
    # taken: nobody can pick it again
    ans = s.request(type="pick", sid=sid, agent="bob")
    assert ans["type"] == "error" and ans["code"] == "wrong_state", ans
    for bad in [dict(), dict(sid=7), dict(sid=sid, agent=["x"])]:
        ans = a.request(type="pick", **bad)
        assert ans["type"] == "error" and ans["code"] == "bad_argument", (bad, ans)
    # the same for an administrator over kamcmd
    c2, sid2 = customer_session(port, "second")
    a.inbox(lambda ib: len(ib) == 2)
    assert a.request(type="decline", sid=sid2)["type"] == "ok"
    rc, out = k.rpc("omniq.pick", sid2, "alice")
    assert out.strip() == "ok", out
    a.inbox(lambda ib: any(e["sid"] == sid2 and e["state"] == "offered" for e in ib))
    c.close()
    c2.close()


@test
def test_desk_internal_notes_never_reach_the_customer(ctx):
    """An agent's internal note is in the transcript for agents (the desk, REST) and never
    reaches the customer: not live, not in a resumed widget's transcript, not in an app's
    missed frames; pick-ups are notes too. The customer's next message and the agent's next
    reply go on as ever."""
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice")
    d = desk(port, api, "alice")
    assert d.request(type="state", state="available")["type"] == "ok"
    c = Chat(port)
    c.send({"type": "hello"})
    w = c.recv("welcome")
    c.send({"type": "message", "text": "My card was charged twice", "cid": "m1"})
    sess = c.recv("session")
    sid = sess["session"]
    d.inbox(lambda ib: len(ib) == 1)
    ans = d.request(type="note", sid=sid, text="too early")
    assert ans["type"] == "error" and ans["code"] == "wrong_state", ans     # offered only
    assert d.request(type="accept", sid=sid)["type"] == "ok"
    assert d.request(type="note", sid=sid, text="VIP - refund without questions")["type"] == "ok"
    for bad in (dict(sid=sid), dict(sid=sid, text=""), dict(text="x")):
        assert d.request(type="note", **bad)["type"] == "error", bad
    m = d.recv("message", where=lambda m: m["dir"] == "note")
    assert m["text"] == "VIP - refund without questions" and m["from"] == "alice", m
    assert d.request(type="reply", sid=sid, text="I am refunding one charge now.")["type"] == "ok"
    got = c.recv("message")
    assert got["text"] == "I am refunding one charge now.", got        # the note never came
    # REST: an integrator's note, and the whole transcript with it
    st, e = api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                     {"direction": "note", "from": "crm", "body": "Refund id R-77"})
    assert st == 201, (st, e)
    st, e = api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                     {"direction": "aside", "from": "crm", "body": "x"})
    assert st == 400, (st, e)
    tx = d.request(type="transcript", sid=sid)["transcript"]
    assert [(e["dir"], e["text"]) for e in tx] == [
        ("in", "My card was charged twice"), ("note", "VIP - refund without questions"),
        ("out", "I am refunding one charge now."), ("note", "Refund id R-77")], tx
    # the customer reloads: the transcript without the notes
    c.close()
    c2 = Chat(port)
    c2.send({"type": "hello", "visitor": w["visitor"], "session": sid, "resume": sess["resume"]})
    w2 = c2.recv("welcome")
    assert [e["text"] for e in w2["transcript"]] == ["My card was charged twice",
                                                     "I am refunding one charge now."], w2
    c2.send({"type": "message", "text": "Thanks!", "cid": "m2"})
    assert c2.recv("ack")["cid"] == "m2"
    c2.close()


@test
def test_desk_saved_replies_of_the_team_and_the_agent(ctx):
    """Saved replies (issue 20, the desk): the tenant's set with kamcmd, an agent's own from
    its desk (shadowing the tenant's of the same name), listed for the desk's "/" picker;
    another agent sees only the tenant's; bad names and texts refused with what and why."""
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice")
    agent(k, "bob")
    assert k.rpc("omniq.canned_set", "hours", "We are open 9-18, Monday to Saturday.")[1].strip() == "ok"
    assert k.rpc("omniq.canned_set", "refund", "Your refund is on its way.")[1].strip() == "ok"
    assert k.rpc("omniq.canned_set", "bad name", "x")[1].startswith("error: 400")
    a, b = desk(port, api, "alice"), desk(port, api, "bob")
    got = a.request(type="canned")
    assert [(c["name"], c["scope"]) for c in got["canned"]] == [("hours", "team"), ("refund", "team")], got
    got = a.request(type="canned", name="refund", text="退款三天内到账。Refunds take 3 days.")
    assert got["type"] == "ok", got
    assert [(c["name"], c["scope"], c["text"][:2]) for c in got["canned"]] == \
        [("hours", "team", "We"), ("refund", "mine", "退款")], got
    assert [c["scope"] for c in b.request(type="canned")["canned"]] == ["team", "team"]
    assert k.rpc("omniq.canned_set", "long", "x" * 4097)[1].startswith("error: 400")   # 4096 at most
    for bad in (dict(name="no spaces", text="x"), dict(name=7), dict(name="n", text=["x"])):
        ans = a.request(type="canned", **bad)
        assert ans["type"] == "error" and ans["code"] == "bad_argument", (bad, ans)
    ans = a.request(type="canned", name="never", text="")
    assert ans["type"] == "error" and ans["code"] == "not_found", ans
    got = a.request(type="canned", name="refund", text="")       # deleted: the team's again
    assert [(c["name"], c["scope"]) for c in got["canned"]] == [("hours", "team"), ("refund", "team")]
    assert k.rpc("omniq.canned_set", "hours")[1].strip() == "ok"   # no text: deleted
    assert [c["name"] for c in b.request(type="canned")["canned"]] == ["refund"]


@test
def test_desk_shows_claims_apart_from_identities(ctx):
    """What a visitor types about themselves (the widget's name and contact) reaches the
    agent as a claim, marked apart from the customer's identities, and is never one: a
    claimed phone number of another customer opens none of that customer's history. Bad
    claims are refused with a reason and the chat goes on."""
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice")
    st, o = api.call("POST", "/api/v1/sessions", {"channel": "phone", "identity": "phone:+8613800138000"})
    assert st == 201, o
    assert api.call("POST", "/api/v1/sessions/%s/abandon" % o["sid"])[0] == 200   # in its history
    d = desk(port, api, "alice")
    assert d.request(type="state", state="available")["type"] == "ok"
    c = Chat(port)
    c.send({"type": "hello", "name": "x" * 300})
    e = c.recv("error")
    assert e["code"] == "bad_argument", e
    c.recv("welcome")
    c.send({"type": "message", "text": "Hi", "cid": "m1", "name": "Ming", "contact": "+8613800138000"})
    sid = c.recv("session")["session"]
    ib = d.inbox(lambda ib: any(e["sid"] == sid and e["claimed_name"] == "Ming" for e in ib))
    e = [e for e in ib if e["sid"] == sid][0]
    assert e["customer_name"] == "" and e["identity"].startswith("web:"), ib
    assert d.request(type="accept", sid=sid)["type"] == "ok"
    cu = d.request(type="customer", sid=sid)
    assert cu["claimed"] == {"name": "Ming", "contact": "+8613800138000"}, cu
    assert cu["customer"]["identities"].startswith("web:"), cu
    assert "+8613800138000" not in cu["customer"]["identities"]
    assert [h["sid"] for h in cu["history"]] == [sid], cu        # not the phone customer's
    assert cu["customer"]["id"] != o["customer"]
    c.close()


@test
def test_desk_search_over_the_agents_past_conversations(ctx):
    """An agent finds its own past conversations by a word of the customer or of a note
    (issue 20, the desk); another agent's are not its to find; a bad query is refused."""
    rs, k, api, port = chat_kam(ctx)
    agent(k, "alice")
    agent(k, "bob")
    a = desk(port, api, "alice")
    assert a.request(type="state", state="available")["type"] == "ok"
    c, sid = customer_session(port, "The heater in flat 12 is cold")
    a.inbox(lambda ib: len(ib) == 1)
    assert a.request(type="accept", sid=sid)["type"] == "ok"
    assert a.request(type="note", sid=sid, text="sent plumber Zhang")["type"] == "ok"
    assert a.request(type="close", sid=sid, disposition="resolved")["type"] == "ok"
    c.close()
    got = a.request(type="search", q="HEATER")
    assert [f["sid"] for f in got["found"]] == [sid], got
    assert got["found"][0]["snippet"] == "The heater in flat 12 is cold", got
    assert [f["sid"] for f in a.request(type="search", q="zhang")["found"]] == [sid]
    assert a.request(type="search", q="nothing of the sort")["found"] == []
    b = desk(port, api, "bob")
    assert b.request(type="search", q="heater")["found"] == []       # not bob's conversation
    for bad in (dict(q="x"), dict(q=5), dict()):
        ans = a.request(type="search", **bad)
        assert ans["type"] == "error" and ans["code"] == "bad_argument", (bad, ans)
