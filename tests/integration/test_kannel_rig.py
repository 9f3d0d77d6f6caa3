"""Self-tests of the Kannel rig (tests/integration/kannel.py): a real bearerbox, smsbox and
fakesmsc, driven as the SMS module's tests will drive them.

The SMS module's tests will trust the rig to inject MOs as a phone sends them and to report
MTs as the phone gets them, and they will trust what its docstring says Kannel does. Each
test here checks one of those claims against the real Kannel, so a rig or a docstring that
is wrong fails here first, not as a puzzling failure of the module's tests.
"""
import os
import re
import socket
import time

from harness import test
from kannel import HttpRecorder, KannelRig, concat_info, join_parts, start_rig
from rigproc import alive, procs_naming

PHONE, OURS = "8613800000001", "10086"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# the MO route as the module will have it: a secret and every placeholder it may use
MO_QUERY = ("/mo?secret=s3cr3t&from=%p&to=%P&text=%b&coding=%c&charset=%C&id=%I&smsc=%i"
            "&udh=%u&time=%T&when=%t")


def recorder(ctx):
    r = HttpRecorder().start()
    ctx.servers.append(r)
    return r


def rig_with_recorder(ctx, **kw):
    rec = recorder(ctx)
    return start_rig(ctx, rec.url + MO_QUERY, **kw), rec


def mo_args(rec, n, timeout=15):
    """The args of the first n MO calls, by their text (smsbox calls concurrently)."""
    return rec.wait(n, timeout=timeout, path="/mo")


@test
def test_kannel_rig_mo_ascii_fills_the_placeholders(ctx):
    rig, rec = rig_with_recorder(ctx)
    text = "Hello world + 100% (ok) & more=1"
    line = rig.mo(PHONE, OURS, text)
    assert line == "%s %s text %s" % (PHONE, OURS, text), line
    before = time.time()
    [r] = mo_args(rec, 1)
    a = r["args"]
    assert a["secret"] == "s3cr3t", a
    # %p is the phone, %P our number (smsbox swapped them before filling the URL)
    assert (a["from"], a["to"]) == (PHONE, OURS), a
    assert a["text"] == text, a
    assert (a["coding"], a["charset"], a["udh"], a["smsc"]) == ("0", "UTF-8", "", "fake"), a
    assert UUID.match(a["id"]), a
    assert abs(int(a["time"]) - before) < 120, a
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", a["when"]), a
    # Kannel's own URL encoding: a space is "+", ( ) as they are, the rest %XX
    assert "&text=Hello+world+%2B+100%25+(ok)+%26+more%3D1&" in r["query"], r["query"]
    assert "&when=%d-" % time.gmtime().tm_year in r["query"] and re.search(
        r"&when=\d{4}-\d\d-\d\d\+\d\d:\d\d:\d\d$", r["query"]), r["query"]
    # a second MO is a second call with an id of its own
    rig.mo(PHONE, OURS, "again")
    two = mo_args(rec, 2)
    assert sorted(x["args"]["text"] for x in two) == sorted([text, "again"]), two
    assert len({x["args"]["id"] for x in two}) == 2, two


@test
def test_kannel_rig_mo_chinese_and_emoji_recoded_to_utf8(ctx):
    rig, rec = rig_with_recorder(ctx)
    text = "你好，世界 😀 短信"
    line = rig.mo(PHONE, OURS, text)
    assert line.startswith("%s %s ucs2 " % (PHONE, OURS)), line   # not GSM-7: UCS-2
    [r] = mo_args(rec, 1)
    a = r["args"]
    # mo-recode = yes: UCS-2 (coding 2) arrives as UTF-8, coding 0
    assert (a["text"], a["coding"], a["charset"]) == (text, "0", "UTF-8"), a
    assert r["raw"]["text"] == text.encode("utf-8"), r["raw"]
    # a GSM-7 text with letters beyond ASCII goes as "text", and arrives as UTF-8 too
    line = rig.mo(PHONE, OURS, "Grüße à €5 [x]")
    assert line.endswith(" text Grüße à €5 [x]"), line
    # forced UCS-2 for ASCII: recoded the same way
    rig.mo(PHONE, OURS, "plain", coding=2)
    # 8-bit: not recoded, its bytes as they are
    rig.mo(PHONE, OURS, b"\x00\x01\xfe\xff", coding=1)
    got = {x["args"]["text"]: x for x in mo_args(rec, 4)}
    assert set(got) == {text, "Grüße à €5 [x]", "plain", "\x00\x01\ufffd\ufffd"}, sorted(got)
    for t in ("Grüße à €5 [x]", "plain"):
        assert (got[t]["args"]["coding"], got[t]["args"]["charset"]) == ("0", "UTF-8"), got[t]
    b = got["\x00\x01\ufffd\ufffd"]
    assert (b["args"]["coding"], b["args"]["charset"]) == ("1", "8-BIT"), b
    assert b["raw"]["text"] == b"\x00\x01\xfe\xff", b


@test
def test_kannel_rig_mo_long_lines_through_fakesmsc_stdin(ctx):
    """fakesmsc takes its stdin 255 bytes at a time behind stdio's buffer: lines of every
    length around those boundaries must arrive whole, each before mo() returns."""
    rig, rec = rig_with_recorder(ctx)
    head = len("%s %s text " % (PHONE, OURS))
    texts = []
    for total in (254, 255, 256, 509, 510, 511, 766):
        t = ("%d:" % total + "abcdefghij" * 80)[:total - head]
        assert len(rig.mo(PHONE, OURS, t)) == total
        texts.append(t)
    # 70 Chinese characters: a UCS-2 line of 420 URL-encoded bytes, then a short one
    texts.append("长" * 70)
    rig.mo(PHONE, OURS, texts[-1])
    texts.append("short")
    rig.mo(PHONE, OURS, "short")
    got = sorted(r["args"]["text"] for r in mo_args(rec, len(texts), timeout=30))
    assert got == sorted(texts), [(len(g), g[:12]) for g in got]
    assert rig.status().findtext("sms/received/total") == str(len(texts))


@test
def test_kannel_rig_mo_udh_parts_keep_their_udh(ctx):
    rig, rec = rig_with_recorder(ctx)
    udh2, udh1 = bytes.fromhex("050003070202"), bytes.fromhex("050003070201")
    # part 2 before part 1: each reaches mo_url on its own, its UDH intact
    assert rig.mo_udh(PHONE, OURS, udh2, b"part two", 1).endswith(
        " udh %05%00%03%07%02%02 part+two")
    assert rig.mo_udh(PHONE, OURS, udh1, "part one ", 0).endswith(
        " udh-text %05%00%03%07%02%01 part one ")
    # UCS-2 parts (through the HTTP SMSC): recoded to UTF-8 like any UCS-2 MO
    u1, u2 = bytes.fromhex("050003080201"), bytes.fromhex("050003080202")
    rig.mo_udh(PHONE, OURS, u2, "世界", 2)
    rig.mo_udh(PHONE, OURS, u1, "你好", 2)
    by_udh = {r["raw"]["udh"]: r for r in mo_args(rec, 4)}
    assert set(by_udh) == {udh1, udh2, u1, u2}, sorted(by_udh)
    want = {udh2: ("part two", "1", "8-BIT"), udh1: ("part one ", "0", "UTF-8"),
            u1: ("你好", "0", "UTF-8"), u2: ("世界", "0", "UTF-8")}
    for udh, (text, coding, charset) in want.items():
        a = by_udh[udh]["args"]
        assert (a["text"], a["coding"], a["charset"], a["smsc"]) == (
            text, coding, charset, "fake"), (udh, a)
        assert ("&udh=%s&" % "".join("%%%02X" % b for b in udh)) in by_udh[udh]["query"]
    # an emoji cut between two UCS-2 parts: mo-recode drops the high surrogate at the end
    # of part 1 and writes the low one of part 2 as the 3 bytes of an (invalid) UTF-8
    # surrogate - each part is "recoded" and the emoji is lost
    e = "😀".encode("utf-16-be")
    c1, c2 = bytes.fromhex("050003090201"), bytes.fromhex("050003090202")
    rig.mo_udh(PHONE, OURS, c1, "中".encode("utf-16-be") + e[:2], 2)
    rig.mo_udh(PHONE, OURS, c2, e[2:] + "文".encode("utf-16-be"), 2)
    cut = {r["raw"]["udh"]: r for r in mo_args(rec, 6)[4:]}
    assert (cut[c1]["raw"]["text"], cut[c1]["args"]["coding"]) == ("中".encode(), "0"), cut[c1]
    assert (cut[c2]["raw"]["text"], cut[c2]["args"]["coding"]) == (
        b"\xed\xb8\x80" + "文".encode(), "0"), cut[c2]


@test
def test_kannel_rig_mo_parts_combined_when_asked(ctx):
    """combine_mo=True (Kannel's own default): bearerbox waits for every part and passes one
    message, the concatenation element out of its UDH, recoded as a whole."""
    rig, rec = rig_with_recorder(ctx, combine_mo=True)
    e = "😀".encode("utf-16-be")
    rig.mo_udh(PHONE, OURS, bytes.fromhex("050003090202"), e[2:] + "文".encode("utf-16-be"), 2)
    rig.mo_udh(PHONE, OURS, bytes.fromhex("050003090201"), "中".encode("utf-16-be") + e[:2], 2)
    rig.mo_udh(PHONE, OURS, bytes.fromhex("050003080202"), "two", 0)
    rig.mo_udh(PHONE, OURS, bytes.fromhex("050003080201"), "one ", 0)
    # a part of a message still incomplete stays in bearerbox
    rig.mo_udh(PHONE, OURS, bytes.fromhex("0500030A0201"), "lonely", 0)
    rig.mo(PHONE, OURS, "last")
    got = {r["args"]["text"]: r["args"] for r in mo_args(rec, 3)}
    assert set(got) == {"中😀文", "one two", "last"}, sorted(got)
    for t in ("中😀文", "one two"):
        assert (got[t]["udh"], got[t]["coding"], got[t]["charset"]) == ("", "0", "UTF-8"), got[t]
    assert len(rec.requests) == 3, [r["args"] for r in rec.requests]
    # until its last part comes (and a bearerbox holding a part takes 10 s to stop)
    rig.mo_udh(PHONE, OURS, bytes.fromhex("0500030A0202"), " no more", 0)
    assert mo_args(rec, 4)[3]["args"]["text"] == "lonely no more", rec.requests[3]


@test
def test_kannel_rig_sendsms_reaches_fakesmsc(ctx):
    rig, rec = rig_with_recorder(ctx)
    assert rig.sendsms(PHONE, "hello") == (202, "0: Accepted for delivery")
    [m] = rig.wait_mt(1)
    assert (m["sender"], m["receiver"], m["type"], m["coding"], m["udh"], m["text"]) == (
        OURS, PHONE, "text", 0, b"", "hello"), m
    assert m["raw"] == "%s %s text hello" % (OURS, PHONE), m
    zh = "你好，欢迎致电客服中心 😀"
    assert rig.sendsms(PHONE, zh, coding=2) == (202, "0: Accepted for delivery")
    m = rig.wait_mt(2)[1]
    assert (m["type"], m["coding"], m["udh"], m["text"]) == ("ucs-2", 2, b"", zh), m
    assert m["data"] == zh.encode("utf-16-be"), m
    # a newline in a coding-0 text splits fakesmsc's line: the rig puts it back
    assert rig.sendsms(PHONE, "line one\nline two")[0] == 202
    m = rig.wait_mt(3)[2]
    assert (m["type"], m["text"]) == ("text", "line one\nline two"), m
    # GSM-7 beyond ASCII keeps its letters (UTF-8 on the line); Chinese in coding 0 is lost
    assert rig.sendsms(PHONE, "Grüße €5")[0] == 202
    assert rig.sendsms(PHONE, "中文")[0] == 202
    m4, m5 = rig.wait_mt(5)[3:5]
    assert (m4["type"], m4["text"]) == ("text", "Grüße €5"), m4
    assert m5["type"] == "text" and m5["text"] and set(m5["text"]) == {"?"}, m5
    assert len(rig.mt) == 5 and rec.requests == [], (rig.mt, rec.requests)


@test
def test_kannel_rig_sendsms_refusals(ctx):
    rig, _ = rig_with_recorder(ctx)
    assert rig.sendsms(PHONE, "x", password="wrong") == (403, "Authorization failed for sendsms")
    assert rig.sendsms(PHONE, "x", username="nobody") == (403, "Authorization failed for sendsms")
    assert rig.sendsms(None, "x") == (400, "Missing receiver number, rejected")
    assert rig.sendsms("", "x") == (400, "Empty receiver number not allowed, rejected")
    assert rig.sendsms(PHONE, "x", charset="NOPE") == (400, "Charset or body misformed, rejected")
    assert rig.sendsms(PHONE, "x", sender=None) == (
        400, "Sender missing and no global set, rejected")
    assert rig.sendsms(PHONE, "x", coding=5) == (400, "Coding field misformed, rejected")
    # no text: accepted, an empty SMS goes out
    assert rig.sendsms(PHONE, None) == (202, "0: Accepted for delivery")
    assert rig.sendsms(PHONE, "after") == (202, "0: Accepted for delivery")
    mts = rig.wait_mt(2)
    assert [m["text"] for m in mts] == ["", "after"], mts
    assert rig.status().findtext("sms/sent/total") == "2"


@test
def test_kannel_rig_long_texts_go_as_concatenated_parts(ctx):
    rig, _ = rig_with_recorder(ctx)
    zh = "".join(chr(0x4E00 + i * 37) for i in range(100))     # 100 distinct characters
    assert rig.sendsms(PHONE, zh, coding=2) == (202, "0: Accepted for delivery")
    p1, p2 = rig.wait_mt(2)
    for i, p in enumerate((p1, p2), 1):
        assert (p["type"], p["coding"], p["sender"], p["receiver"]) == (
            "udh", 2, OURS, PHONE), p
        assert len(p["udh"]) == 6 and p["udh"][:3] == b"\x05\x00\x03", p
        assert concat_info(p["udh"])[1:] == (2, i), p
    assert p1["udh"][3] == p2["udh"][3]
    assert (p1["text"], p2["text"]) == (zh[:67], zh[67:]), (p1["text"], p2["text"])
    assert join_parts([p2, p1]) == zh
    # 200 GSM-7 characters: 153 + 47, coding 0
    latin = ("0123456789" * 20)
    assert rig.sendsms(PHONE, latin)[0] == 202
    q1, q2 = rig.wait_mt(4)[2:4]
    assert (q1["coding"], q2["coding"], q1["text"], q2["text"]) == (
        0, 0, latin[:153], latin[153:]), (q1, q2)
    assert concat_info(q1["udh"])[0] == concat_info(q2["udh"])[0] != concat_info(p1["udh"])[0]
    # an emoji where the parts are cut: Kannel cuts the surrogate pair, join_parts mends it
    cut = "中" * 66 + "😀" + "文" * 10
    assert rig.sendsms(PHONE, cut, coding=2)[0] == 202
    r1, r2 = rig.wait_mt(6)[4:6]
    assert r1["data"][-2:] == "😀".encode("utf-16-be")[:2] and r1["text"].endswith("\ufffd")
    assert join_parts([r1, r2]) == cut
    # a short text with a UDH of its own (sendsms udh=): its coding from the access log
    assert rig.sendsms(PHONE, b"\x01\x02", udh=b"\x06\x05\x04\x15\x81\x00\x00")[0] == 202
    m = rig.wait_mt(7)[6]
    assert (m["type"], m["coding"], m["udh"], m["data"]) == (
        "udh", 1, b"\x06\x05\x04\x15\x81\x00\x00", b"\x01\x02"), m


@test
def test_kannel_rig_dlr_reaches_dlr_url(ctx):
    rig, rec = rig_with_recorder(ctx)
    dlr = rec.url + "/dlr?ref=%s&type=%%d&text=%%A&smsc=%%i&phone=%%p&ours=%%P&id=%%I"
    assert rig.sendsms(PHONE, "with a report", dlr_mask=31, dlr_url=dlr % "mt1") == (
        202, "0: Accepted for delivery")
    rig.wait_mt(1)
    got = {r["args"]["type"]: r["args"] for r in rec.wait(2, path="/dlr")}
    # fake SMSC: 8 (SMSC success, "ACK/") and 1 (delivered), never 2, 4 or 16
    assert set(got) == {"8", "1"}, got
    assert (got["8"]["text"], got["1"]["text"]) == ("ACK/", ""), got
    for a in got.values():
        assert (a["ref"], a["smsc"], a["phone"], a["ours"]) == ("mt1", "fake", PHONE, OURS), a
        assert UUID.match(a["id"]), a
    # 2 parts: one report of each kind for the whole text, not one per part
    long = "长" * 100
    assert rig.sendsms(PHONE, long, coding=2, dlr_mask=31, dlr_url=dlr % "mt2")[0] == 202
    assert join_parts(rig.wait_mt(3)[1:3]) == long
    two = [r["args"] for r in rec.wait(4, path="/dlr") if r["args"]["ref"] == "mt2"]
    assert sorted(a["type"] for a in two) == ["1", "8"], two
    # every report bearerbox made has come (its counter), so there is no third one coming
    assert rig.status().findtext("dlr/received/total") == "4", rig.logs()
    assert len(rec.requests) == 4, [r["args"] for r in rec.requests]
    # dlr-mask 1 only: the delivered report alone
    assert rig.sendsms(PHONE, "only delivered", dlr_mask=1, dlr_url=dlr % "mt3")[0] == 202
    three = [r["args"] for r in rec.wait(5, path="/dlr") if r["args"]["ref"] == "mt3"]
    assert [a["type"] for a in three] == ["1"], three
    assert rig.status().findtext("dlr/received/total") == "5", rig.logs()


@test
def test_kannel_rig_stop_leaves_no_process(ctx):
    rig, _ = rig_with_recorder(ctx)
    pids = rig.pids()
    assert set(pids) == {"bearerbox", "smsbox", "fakesmsc"}, pids
    for name, pid in pids.items():
        with open("/proc/%d/comm" % pid) as f:
            assert f.read().strip() == name, (name, pid)
    conf = rig.conf
    assert sorted(procs_naming(conf)) == sorted([pids["bearerbox"], pids["smsbox"]])
    assert procs_naming("-r %d " % rig.fake_port) == [pids["fakesmsc"]]
    rig.stop()
    for name, pid in pids.items():
        assert not os.path.exists("/proc/%d" % pid), (name, pid)
    assert procs_naming(conf) == [] and procs_naming("-r %d " % rig.fake_port) == []
    for port in (rig.admin_port, rig.sendsms_port, rig.smsbox_port, rig.fake_port):
        s = socket.socket()
        try:
            assert s.connect_ex(("127.0.0.1", port)) != 0, port
        finally:
            s.close()
    rig.stop()   # idempotent
    assert rig.running() == set()
    # bearerbox and smsbox logged no error on the way (their shutdown line aside)
    assert rig.errors() == [], rig.errors()


@test
def test_kannel_rig_start_failure_raises_with_logs(ctx):
    """A Kannel that cannot start: start() raises soon, with the logs, and leaves nothing."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        rig = KannelRig(os.path.join(ctx.dir, "kannel"), "http://127.0.0.1:9/mo",
                        extra={"smsbox": {"sendsms-port": taken.getsockname()[1]}})
        ctx.servers.append(rig)
        t0 = time.time()
        try:
            rig.start()
        except RuntimeError as e:
            why = str(e)
        else:
            raise AssertionError("started with its sendsms port taken")
        assert time.time() - t0 < KannelRig.START_WITHIN, time.time() - t0
        assert "bind failed" in why and "--- smsbox.out" in why and "--- bearerbox.log" in why, why
        assert rig.running() == set() and procs_naming(rig.conf) == [], rig.pids()
    finally:
        taken.close()


@test
def test_kannel_rig_mo_call_failures_and_retries(ctx):
    """smsbox acks an MO before it calls mo_url: a call answered other than 200/202 (204
    too) is not made again by default, and with http-request-retry it is made again with
    the same %I - what lets the module see a retry as one it has already taken."""
    calls = {}

    def answer(path, args):
        t = args.get("text")
        calls[t] = calls.get(t, 0) + 1
        if t == "busy-once" and calls[t] == 1:
            return 503, "busy"
        if t == "no-content":
            return 204, ""
        return 200, "ok"

    for retries in (0, 2):
        rec = HttpRecorder(answer).start()
        ctx.servers.append(rec)
        calls.clear()
        extra = {"smsbox": {"http-request-retry": retries, "http-queue-delay": 1}}
        rig = KannelRig(os.path.join(ctx.dir, "kannel-retry-%d" % retries),
                        rec.url + "/mo?text=%b&id=%I", extra=extra)
        ctx.servers.append(rig)
        rig.start()
        for t in ("busy-once", "no-content", "fine"):
            rig.mo(PHONE, OURS, t)
        done = {re.search(r"text=([^&]*)", r["url"]).group(1): r
                for r in rig.wait_mo_results(3, timeout=30)}
        want = {"busy-once": (503, 1) if retries == 0 else (200, 2),
                "no-content": (204, 1 + retries), "fine": (200, 1)}
        for t, (status, n) in want.items():
            assert done[t]["status"] == status, (retries, t, done[t])
            assert calls[t] == n, (retries, t, calls)
            ids = {r["args"]["id"] for r in rec.requests if r["args"]["text"] == t}
            assert len(ids) == 1 and UUID.match(ids.pop()), (retries, t, rec.requests)
        rig.stop()
        rec.stop()


@test
def test_kannel_rig_processes_die_with_their_parent(ctx):
    """A test process killed outright (SIGKILL: no cleanup runs) leaves no Kannel behind:
    each process has a parent-death signal."""
    import json
    import subprocess
    import sys
    here = os.path.dirname(os.path.abspath(__file__))
    script = ("import json, sys, time; sys.path.insert(0, %r); from kannel import KannelRig; "
              "r = KannelRig(%r, 'http://127.0.0.1:9/mo').start(); "
              "print(json.dumps(r.pids()), flush=True); time.sleep(600)"
              % (here, os.path.join(ctx.dir, "kannel")))
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    try:
        line = child.stdout.readline()
        assert line, "the child did not start its rig"
        pids = json.loads(line)
        assert set(pids) == {"bearerbox", "smsbox", "fakesmsc"} and all(
            alive(p) for p in pids.values()), pids
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    end = time.time() + 30
    while any(alive(p) for p in pids.values()) and time.time() < end:
        time.sleep(0.1)
    left = {n: p for n, p in pids.items() if alive(p)}
    for p in left.values():     # do not leave them to the next test
        os.kill(p, 9)
    assert not left, "still running after their parent died: %r" % left
