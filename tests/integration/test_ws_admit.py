"""omniq_ws against idle and hostile connections (modules/omniq_ws/admit.c): clients that
connect and say nothing are bounded per address and in all, given hello_timeout seconds,
and make way for customers and agents; a message begun is finished in time; a process out
of descriptors does not spin; and none of it is logged per connection."""
import os
import re
import socket
import subprocess
import time

import websocket

from harness import alone, test, wait_for
from test_desk import agent as desk_agent, login
from test_ws import Chat, chat_kam

UPGRADE = ("GET /ws/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
           "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: omniq-chat\r\n\r\n").encode()


def idle_socket(port, src):
    """A client on src that upgrades to a chat socket and then says nothing."""
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", port))
    s.sendall(UPGRADE)
    return s


def upgrade_answer(s):
    """The server's answer to the upgrade (b"HTTP/1.1 101 ..."), or b"" when it closed the
    connection at once."""
    s.settimeout(3)
    got = b""
    while b"\r\n\r\n" not in got:
        try:
            b = s.recv(4096)
        except ConnectionResetError:
            return got
        if not b:
            return got
        got += b
    return got


def close_code(s, timeout=3):
    """The status of the close frame the server sends next on s (None: closed without one,
    or nothing within timeout)."""
    s.settimeout(timeout)
    got = b""
    try:
        while len(got) < 4:
            b = s.recv(4096)
            if not b:
                break
            got += b
    except (socket.timeout, ConnectionResetError):
        pass
    if len(got) >= 4 and (got[0] & 0x0F) == 0x8:
        return int.from_bytes(got[2:4], "big")
    return None


def ws_pid(k):
    [pid] = k.pids("omniq_ws")
    return pid


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


def reports(k):
    return re.findall(r"WARNING: omniq_ws \[admit\.c:\d+\]: report\(\): (.*)", k.text())


@test
@alone
def test_ws_idle_sockets_are_bounded_and_customers_and_agents_get_in(ctx):
    """A client address holds at most max_pending_per_address sockets that have not said
    hello (more are closed at once); at max_connections the oldest idle one makes way for a
    customer, an agent's login or a REST call; after hello_timeout every idle one is closed
    (1008) and the customer's socket, which said hello, is still served. One report line
    says it all (before: 20,000 idle sockets stopped REST, chat and the desk, and accept()
    logged a line per failure, 114 million of them)."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1", "OMNIQ_MAX_CONNECTIONS": "120",
                                      "OMNIQ_MAX_PENDING": "40", "OMNIQ_HELLO_TIMEOUT": "4"})
    desk_agent(k, "carol")
    t0 = time.time()
    first = [idle_socket(port, "127.0.0.2") for _ in range(60)]
    got = [upgrade_answer(s) for s in first]
    upgraded = [s for s, a in zip(first, got) if a.startswith(b"HTTP/1.1 101")]
    assert len(upgraded) == 40 and got.count(b"") == 20, [a[:12] for a in got]
    others = [idle_socket(port, src) for src in ("127.0.0.3", "127.0.0.4") for _ in range(40)]
    assert all(upgrade_answer(s).startswith(b"HTTP/1.1 101") for s in others)
    # 120 held, all idle: each newcomer makes the oldest idle one go
    c = Chat(port)
    c.send({"type": "hello"})
    c.recv("welcome")
    c.send({"type": "message", "text": "hello from a customer"})
    assert c.recv("session")["state"] == "queued"
    st, body = login(api, "carol")
    assert st == 200 and body.get("token"), (st, body)
    st, body = api.call("GET", "/api/v1/stats")
    assert st == 200, (st, body)
    assert time.time() - t0 < 3.5, "too slow to show the deadline apart: %.1f s" % (time.time() - t0)
    way = [close_code(s, 0.5) for s in upgraded[:3]]
    assert way == [1008] * 3, way                           # made way: the oldest
    # the deadline: every other idle socket is closed, the customer's stays
    time.sleep(max(0, t0 + 4.5 - time.time()))
    codes = [close_code(s, 2) for s in upgraded[3:] + others]
    assert codes == [1008] * len(codes), codes
    c.send({"type": "message", "text": "still here"})
    assert c.recv("ack")
    c.close()
    # said once, not per connection: the report of the interval
    wait_for(lambda: reports(k), timeout=12, what="the report line")
    [line] = reports(k)
    assert "20 over 40 pending from one address" in line and "closed to make way" in line, line
    assert "3 pending ones closed to make way" in line, line
    assert "117 closed for saying nothing within 4 s" in line, line
    assert not re.search(r"socket of a client closed|could not take", k.text())
    for s in first + others:
        s.close()


@test
def test_ws_message_begun_and_not_finished_is_closed(ctx):
    """A customer that starts a message (a frame without FIN) and never finishes it holds
    up to max_frame bytes: after hello_timeout the socket is closed, 1008 "message not
    finished in time" (before: held for ever); one that finishes in time is served."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_HELLO_TIMEOUT": "2"})
    ok = Chat(port)
    ok.send({"type": "hello"})
    ok.recv("welcome")
    ok.ws.send_frame(websocket.ABNF(fin=0, opcode=websocket.ABNF.OPCODE_TEXT,
                                    data='{"type":"message",'))
    time.sleep(1)
    ok.ws.send_frame(websocket.ABNF(fin=1, opcode=websocket.ABNF.OPCODE_CONT,
                                    data='"text":"in two parts"}'))
    assert ok.recv("session")["state"] == "queued"
    c = Chat(port)
    c.send({"type": "hello"})
    c.recv("welcome")
    c.ws.send_frame(websocket.ABNF(fin=0, opcode=websocket.ABNF.OPCODE_TEXT, data='{"type":'))
    t0 = time.time()
    c.ws.settimeout(6)
    f = c.ws.recv_frame()
    assert f.opcode == websocket.ABNF.OPCODE_CLOSE, f
    assert int.from_bytes(f.data[:2], "big") == 1008 and b"not finished" in f.data, f.data
    assert 1.5 < time.time() - t0 < 4, time.time() - t0
    ok.send({"type": "message", "text": "and on"})
    assert ok.recv("ack")


@test
@alone
def test_ws_process_out_of_descriptors_refuses_without_spinning(ctx):
    """Connections beyond what the process's open-files limit allows (a limit lowered under
    it, max_connections set above it): each is taken with the spare descriptor and closed,
    the listener rests instead of spinning, one report line says how many; once they are
    gone customers are served again."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1", "OMNIQ_MAX_CONNECTIONS": "5000",
                                      "OMNIQ_MAX_PENDING": "5000", "OMNIQ_HELLO_TIMEOUT": "30"})
    pid = ws_pid(k)
    n_open = len(os.listdir("/proc/%d/fd" % pid))
    subprocess.run(["prlimit", "--pid", str(pid), "--nofile=%d:%d" % (n_open + 40, n_open + 40)],
                   check=True)
    cpu0 = cpu_seconds(pid)
    socks = []
    for _ in range(300):
        s = socket.socket()
        s.settimeout(5)
        s.connect(("127.0.0.1", port))
        socks.append(s)
    time.sleep(2)
    closed = 0
    for s in socks:
        s.settimeout(0.05)
        try:
            if s.recv(1) == b"":
                closed += 1
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed += 1
    assert closed >= 200, closed          # the ones beyond the limit were told at once
    assert cpu_seconds(pid) - cpu0 < 1.0, "the process spun: %.2f s of CPU" % (cpu_seconds(pid) - cpu0)
    for s in socks:
        s.close()

    def served():
        # until the process has taken in that its 40 clients left, a newcomer is still
        # beyond its descriptors and closed at once: a client tries again
        try:
            c = Chat(port)
        except (ConnectionError, websocket.WebSocketException):
            return False
        c.send({"type": "hello"})
        c.recv("welcome")
        c.close()
        return True
    wait_for(served, timeout=10, step=0.2, what="a customer served again")
    wait_for(lambda: reports(k), timeout=12, what="the report line")
    line = reports(k)[0]
    assert re.search(r"\b\d{3} taken and closed with no descriptor left", line), line
    assert k.text().count("Too many open files") <= 1, "logged per failure"


@test
@alone
def test_ws_sockets_closed_by_the_server_are_not_logged_one_by_one(ctx):
    """Hundreds of clients each closed for what they sent (invalid JSON here; a forged token
    or a rate limit alike): each gets its close code, and the log says it once per 10 s
    with how many more came, not a line a socket."""
    rs, k, api, port = chat_kam(ctx, {"OMNIQ_WS_PROCESSES": "1"})
    codes = []
    for _ in range(200):
        c = Chat(port)
        c.send(raw="{not json")
        codes.append(c.close_code())
        c.close()
    assert codes == [1007] * 200, set(codes)
    lines = re.findall(r"socket of a client closed \(1007 [^)]*\).*", k.text())
    assert 1 <= len(lines) <= 2, lines[:5]
    time.sleep(10.5)
    c = Chat(port)
    c.send(raw="{not json")
    assert c.close_code() == 1007
    wait_for(lambda: re.search(r"socket of a client closed \(1007 [^)]*\); \d+ more sockets closed "
                               r"by the server since the last such line", k.text()),
             what="the count of the sockets closed meanwhile")
