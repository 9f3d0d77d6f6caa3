"""The SQL archive (modules/omniq/oq_archive.c, lua/84_archive.lua) through a running
kamailio, through Kamailio's own database modules: on SQLite (db_sqlite, what make run
uses) and on PostgreSQL (Debian's postgresql, a server of the test's own, pgrig.py). Every
ended session becomes one row (its record, disposition, survey, timings, transcript), a
late survey answer updates it, the reports' intervals are copied, and a report that reaches
back past what Redis keeps reads them; a database that is locked or stopped in the middle
delays the archive, loses nothing and doubles nothing."""
import json
import re
import os
import sqlite3
import time

from harness import test, wait_for
from pgrig import PgServer
from test_wechat import ok_rpc
from test_ws import ws_kam

P = "oq:{default}"
BUCKET = 900000
DAY = 86400000


def sqlite_kam(ctx):
    path = os.path.join(ctx.dir, "archive.sqlite")
    rs, k, api = ws_kam(ctx, defines={"OMNIQ_ARCHIVE_MODULE": '"db_sqlite.so"',
                                      # sqlite:/// and an absolute path: four slashes (db_sqlite's URL)
                                      "OMNIQ_ARCHIVE_DB": '"sqlite:///%s"' % path})
    return rs, k, api, path


def expect_db_trouble(ctx, driver):
    """The lines a database that is locked or down makes the test's kamailio log: the
    driver's own (optional: which ones depends on the moment it is caught at) and the
    archive's, which must come."""
    ctx.expect_log(r"omniq \[oq_archive\.c:\d+\]: take_sessions\(\): archive: the database did "
                   r"not take session \d+ of tenant default \(\d+ waiting in this batch\): "
                   r"they stay in Redis$")
    ctx.expect_log(r"omniq \[oq_archive\.c:\d+\]: archive_loop\(\): archive: the database "
                   r"\S+ is unreachable: ended sessions wait in Redis", optional=True)
    for p in {"sqlite": (r"db_sqlite \[dbase\.c:\d+\]: ", r"<core> \[db_query\.c:\d+\]: ",
                         r"<core> \[db\.c:\d+\]: db_do_init2\(\): could not add connection"),
              "postgres": (r"db_postgres \[", r"<core> \[db_query\.c:\d+\]: ",
                           r"<core> \[db\.c:\d+\]: db_do_init2\(\): could not add connection",
                           r"<core> \[db_res\.c:\d+\]: ")}[driver]:
        ctx.expect_log(p, optional=True)


def sq(path, sql, *args):
    con = sqlite3.connect(path, timeout=10)
    try:
        return [list(r) for r in con.execute(sql, args)]
    finally:
        con.close()


def served(api, k, ident, body_in, body_out, disposition="resolved"):
    """A web session answered by alice, a message each way, closed: its sid."""
    st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": ident,
                                                  "skills": "sales", "queue": "support"})
    assert st == 201, s
    sid = s["sid"]
    assert api.call("POST", "/api/v1/sessions/%s/accept" % sid, {"agent": "alice"})[0] == 200
    assert api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                    {"direction": "in", "from": ident, "body": body_in})[0] == 201
    assert api.call("POST", "/api/v1/sessions/%s/messages" % sid,
                    {"direction": "out", "from": "alice", "body": body_out})[0] == 201
    assert api.call("POST", "/api/v1/sessions/%s/close" % sid,
                    {"disposition": disposition})[0] == 200
    return sid


def abandoned(api, ident):
    st, s = api.call("POST", "/api/v1/sessions", {"channel": "web", "identity": ident,
                                                  "skills": "sales", "queue": "support"})
    assert st == 201 and s["state"] == "queued", s
    assert api.call("POST", "/api/v1/sessions/%s/abandon" % s["sid"])[0] in (200, 204)
    return s["sid"]


COLS = ("sid, channel, queue, agent, state, disposition, answered, ended, csat, survey, "
        "record, transcript, created, enqueued, archived")


def as_row(v):
    names = [c.strip() for c in COLS.split(",")]
    assert len(v) == len(names), v
    return dict(zip(names, v))


def check_served_row(row, sid, body_in, body_out):
    assert (row["sid"], row["channel"], row["queue"], row["agent"], row["state"],
            row["disposition"]) == (sid, "web", "support", "alice", "closed", "resolved"), row
    created, enq, answered, ended = (int(row[c]) for c in ("created", "enqueued", "answered",
                                                             "ended"))
    assert created <= enq <= answered <= ended <= int(row["archived"]), row
    rec = json.loads(row["record"])
    assert rec["state"] == "closed" and rec["agent"] == "alice" and rec["answered"] == \
        str(answered), rec
    tx = json.loads(row["transcript"])
    bodies = [e["body"] for e in tx if e["dir"] in ("in", "out")]
    assert bodies == [body_in, body_out], tx
    assert all(e["id"] for e in tx), tx


def check_abandoned_row(row, sid):
    assert (row["sid"], row["state"], row["agent"], row["answered"]) == \
        (sid, "abandoned", "", None), row


@test
def test_archive_sqlite_every_ended_session_once_with_its_record_and_transcript(ctx):
    """db_sqlite: a served and an abandoned session become one row each, whole; Redis lets
    them go only after (P:arq empty, `archived` set); a survey answer after the copy updates
    the row (one row still); the archive's counters say so."""
    rs, k, api, path = sqlite_kam(ctx)
    for p in (r"omniq \[oq_archive\.c:\d+\]: take_sessions\(\): archive: the database did not "
              r"take session \d+ of tenant default \(\d+ waiting in this batch\): they stay in "
              r"Redis$", r"db_sqlite \[dbase\.c:\d+\]: ", r"<core> \[db_query\.c:\d+\]: "):
        ctx.expect_log(p, optional=True)        # the test's reads lock the file: see the end
    r = rs.client()
    ok_rpc(k, "omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")
    ok_rpc(k, "omniq.agent_state", "alice", "available")
    ok_rpc(k, "omniq.survey_set", "support", "kind", "csat")
    s1 = served(api, k, "web:a1", "洗衣机漏水 'quoted' \"twice\"", "师傅明天上门")
    ok_rpc(k, "omniq.agent_state", "alice", "away")
    s2 = abandoned(api, "web:a2")

    def rows():
        try:
            return {v[0]: as_row(v) for v in sq(path, "SELECT %s FROM omniq_session" % COLS)}
        except sqlite3.OperationalError:      # the table comes with the first connection
            return {}
    wait_for(lambda: len(rows()) == 2 and r.zcard(P + ":arq") == 0, timeout=15,
             what="both sessions archived")
    got = rows()
    check_served_row(got[s1], s1, "洗衣机漏水 'quoted' \"twice\"", "师傅明天上门")
    check_abandoned_row(got[s2], s2)
    for sid in (s1, s2):
        assert r.hget(P + ":s:" + sid, "archived"), sid
        assert r.zscore(P + ":ret", sid), sid        # its retention runs from the copy
    assert got[s1]["survey"] == "asked" and got[s1]["csat"] is None, got[s1]
    # the customer answers after the copy: the row is updated, not doubled
    ok_rpc(k, "omniq.survey_answer", s1, "4", "-", "快")
    wait_for(lambda: rows()[s1]["csat"] == 4, timeout=15, what="the late answer archived")
    assert rows()[s1]["survey"] == "answered"
    assert sq(path, "SELECT count(*) FROM omniq_session WHERE sid = ?", s1) == [[1]]
    assert json.loads(rows()[s1]["record"])["survey_comment"] == "快"
    # the archive commits the row, then tells Redis (oq_archived), then counts it
    wait_for(lambda: r.zcard(P + ":arq") == 0, what="the copy confirmed to Redis")
    assert r.hget(P + ":s:" + s1, "archived")
    wait_for(lambda: "omniq:archived_sessions = 3" in ok_rpc(k, "stats.get_statistics",
                                                             "omniq:"),
             what="two archived, and one again")
    stats = ok_rpc(k, "stats.get_statistics", "omniq:")
    # the test's own reads of the file (sq) hold SQLite's shared lock: a commit that comes
    # meanwhile is refused ("database is locked", db_sqlite has no busy wait) and made again
    # at the next round - each such failure counted, said, and followed by the recovery
    locked = k.text().count("sqlite3_step failed: database is locked")
    failed = int(re.search(r"omniq:archive_failures = (\d+)", stats).group(1))
    assert "omniq:archived_sessions = 3" in stats and failed <= locked, (stats, locked)
    assert failed == 0 or "takes writes again" in k.text(), stats


@test
def test_archive_sqlite_locked_database_delays_and_loses_nothing(ctx):
    """Another writer holds the SQLite file (an exclusive lock): the sessions that end
    meanwhile wait in Redis, the log says why once; when the lock goes they are all
    written, each once."""
    rs, k, api, path = sqlite_kam(ctx)
    r = rs.client()
    ok_rpc(k, "omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")
    ok_rpc(k, "omniq.agent_state", "alice", "available")
    expect_db_trouble(ctx, "sqlite")
    first = served(api, k, "web:l0", "hi", "hello")
    wait_for(lambda: os.path.exists(path) and r.zcard(P + ":arq") == 0, timeout=15,
             what="the first session archived")
    lock = sqlite3.connect(path, isolation_level=None, timeout=0)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        sids = [served(api, k, "web:l%d" % i, "q%d" % i, "a%d" % i) for i in range(1, 6)]
        wait_for(lambda: "did not take session" in k.text(), timeout=15,
                 what="the archive's failure logged")
        time.sleep(1.0)                              # rounds that fail, more than one
        assert r.zcard(P + ":arq") == 5, r.zrange(P + ":arq", 0, -1)
        assert not any(r.hget(P + ":s:" + s, "archived") for s in sids)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    wait_for(lambda: r.zcard(P + ":arq") == 0, timeout=15, what="the backlog archived")
    got = sq(path, "SELECT sid, count(*) FROM omniq_session GROUP BY sid")
    assert sorted(got) == sorted([[s, 1] for s in [first] + sids]), got
    wait_for(lambda: "takes writes again" in k.text(), timeout=5, what="the recovery logged")
    stats = ok_rpc(k, "stats.get_statistics", "omniq:")
    assert "omniq:archive_failures = 0" not in stats, stats


@test
def test_archive_sqlite_intervals_copied_and_history_read_back(ctx):
    """An interval that has ended and was written (marked in P:rpd) is copied, one row per
    dimension, and its mark cleared; a report reaching back 60 days (past the 35 that Redis
    keeps) reads the archive's rows, over REST and kamcmd, summed with what Redis holds;
    when the database cannot be read, the report says so (500, JSON) rather than leaving
    the old part out."""
    rs, k, api, path = sqlite_kam(ctx)
    r = rs.client()
    # the reader's driver, when the file is locked
    for p in (r"db_sqlite \[dbase\.c:\d+\]: ", r"<core> \[db_query\.c:\d+\]: "):
        ctx.expect_log(p)
    now = int(time.time() * 1000)
    # an interval two hours ago, written as the reports' fold writes one (figures in
    # REP.FIGURES order: offered answered abandoned ...), and its mark
    b = now - now % BUCKET - 8 * BUCKET
    r.hset(P + ":rp:%d" % b, mapping={"*": "3 2 1", "q:support": "3 2 1 0 0 40000 2",
                                      "c:web": "3 2 1"})
    r.hincrby(P + ":rpd", str(b), 1)
    # (the interval now running is marked too, by the sweep's samples: it waits for its end)
    wait_for(lambda: os.path.exists(path) and not r.hexists(P + ":rpd", str(b)), timeout=15,
             what="the interval copied")
    got = sorted(sq(path, "SELECT start, kind, name, figures FROM omniq_interval"))
    assert got == [[b, "*", "*", "3 2 1"], [b, "c", "web", "3 2 1"],
                   [b, "q", "support", "3 2 1 0 0 40000 2"]], got
    # written again (a late survey answer): copied again, its rows replaced
    r.hset(P + ":rp:%d" % b, "q:support", "3 2 1 0 0 40000 2 0 0 0 0 0 0 1 5 1")
    r.hincrby(P + ":rpd", str(b), 1)
    wait_for(lambda: not r.hexists(P + ":rpd", str(b)), timeout=15,
             what="the interval copied again")
    assert sq(path, "SELECT figures FROM omniq_interval WHERE kind = 'q'") == \
        [["3 2 1 0 0 40000 2 0 0 0 0 0 0 1 5 1"]]
    # history: a day 60 days ago, which only the archive has (as it would have copied it)
    day = now - now % DAY - 60 * DAY
    con = sqlite3.connect(path, timeout=10)
    with con:
        for start, fig in ((day + 40 * BUCKET, "4 3 1 0 0 30000 3"),
                           (day + 41 * BUCKET, "2 2 0 0 0 10000 1")):
            con.execute("INSERT INTO omniq_interval VALUES ('default', ?, 'q', 'support', ?)",
                        (start, fig))
            con.execute("INSERT INTO omniq_interval VALUES ('acme', ?, 'q', 'support', ?)",
                        (start, "9 9 0"))
    con.close()
    st, rep = api.call("GET", "/api/v1/reports?from=%d&to=%d&step=1d&by=queue" % (day, day + DAY))
    assert st == 200, rep
    assert len(rep["rows"]) == 1, rep
    row = rep["rows"][0]
    assert (row["start"], row["dim"], row["offered"], row["answered"], row["abandoned"],
            row["wait_ms"], row["sl_met"], row["sl_pct"], row["asa_s"]) == \
        (str(day), "support", "6", "5", "1", "40000", "4", "80.0", "8.0"), row
    # one queue's rows by name, through kamcmd
    out = ok_rpc(k, "omniq.report", "s:%d" % day, "s:%d" % (day + DAY), "15m", "queue")
    assert out.count("support") == 2 and "30000" in out and "10000" in out, out
    # another tenant's rows are not this one's
    st, rep = api.call("GET", "/api/v1/reports?from=%d&to=%d&step=1d&by=tenant" % (day, day + DAY))
    assert st == 200 and rep["rows"] == [], rep
    # the database locked by another writer: the reader cannot read it, and says so
    lock = sqlite3.connect(path, isolation_level=None, timeout=0)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        st, e = api.call("GET", "/api/v1/reports?from=%d&to=%d&step=1d&by=queue" % (day, day + DAY))
        assert st == 500 and "SQL archive" in e["error"]["message"], (st, e)
        assert "sqlite://" in e["error"]["message"]
        rc, out = k.rpc("omniq.report", "s:%d" % day, "s:%d" % (day + DAY), "1d", "queue")
        assert "SQL archive" in out, out
        # a report of the last days needs no archive: Redis answers it
        st, rep = api.call("GET", "/api/v1/reports?step=1h&by=queue")
        assert st == 200, rep
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    st, rep = api.call("GET", "/api/v1/reports?from=%d&to=%d&step=1d&by=queue" % (day, day + DAY))
    assert st == 200 and rep["rows"][0]["offered"] == "6", rep


@test
def test_archive_postgresql_stopped_and_restarted_in_the_middle(ctx):
    """db_postgres against a real PostgreSQL: sessions archived whole; the server stopped
    while sessions end: they wait in Redis and the log says the database is gone; started
    again: every one written once, nothing lost; a history report reads PostgreSQL."""
    expect_db_trouble(ctx, "postgres")
    pg = PgServer(ctx.dir)
    ctx.servers.append(pg)
    pg.start()
    rs, k, api = ws_kam(ctx, defines={"OMNIQ_ARCHIVE_MODULE": '"db_postgres.so"',
                                      "OMNIQ_ARCHIVE_DB": '"%s"' % pg.url})
    r = rs.client()
    ok_rpc(k, "omniq.agent_set", "alice", "Alice", "sales:5", "voice=1,chat=4")
    ok_rpc(k, "omniq.agent_state", "alice", "available")
    s1 = served(api, k, "web:p1", "冰箱不制冷 'x'", "好的")

    def rows():
        got = pg.psql("SELECT %s FROM omniq_session" % COLS) or []
        return {v[0]: as_row(v) for v in got}
    wait_for(lambda: s1 in rows() and r.zcard(P + ":arq") == 0, timeout=20,
             what="the first session in PostgreSQL")
    check_served_row(rows()[s1], s1, "冰箱不制冷 'x'", "好的")
    pg.stop()
    sids = [served(api, k, "web:p%d" % i, "q%d" % i, "a%d" % i) for i in range(2, 6)]
    ok_rpc(k, "omniq.agent_state", "alice", "away")
    sids.append(abandoned(api, "web:p9"))
    wait_for(lambda: "unreachable" in k.text() or "did not take session" in k.text(),
             timeout=20, what="the archive's failure logged")
    time.sleep(1.0)
    assert r.zcard(P + ":arq") == 5, r.zrange(P + ":arq", 0, -1)
    # a history report needs the database: it says it is unreachable
    now = int(time.time() * 1000)
    day = now - now % DAY - 50 * DAY
    st, e = api.call("GET", "/api/v1/reports?from=%d&to=%d&step=1d&by=queue" % (day, day + DAY))
    assert st == 500 and "SQL archive" in e["error"]["message"] and \
        "postgres://omniq@" in e["error"]["message"], (st, e)
    pg.start()
    wait_for(lambda: r.zcard(P + ":arq") == 0, timeout=30, what="the backlog archived")
    got = pg.psql("SELECT sid, count(*) FROM omniq_session GROUP BY sid")
    assert sorted(got) == sorted([[s, "1"] for s in [s1] + sids]), got
    check_abandoned_row(rows()[sids[-1]], sids[-1])
    assert "takes writes again" in k.text()
    # the reports' history from PostgreSQL
    assert pg.psql("INSERT INTO omniq_interval VALUES ('default', %d, 'q', 'support', "
                   "'7 6 1 0 0 60000 5')" % (day + BUCKET)) is not None
    st, rep = api.call("GET", "/api/v1/reports?from=%d&to=%d&step=1d&by=queue" % (day, day + DAY))
    assert st == 200 and [(x["dim"], x["offered"], x["sl_pct"]) for x in rep["rows"]] == \
        [("support", "7", "83.3")], rep
