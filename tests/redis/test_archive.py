"""What the SQL archive takes out of Redis (lua/84_archive.lua): ended sessions whole once the
sweep has looked at them (oq_archive_read), again after a late change (a survey answer, an
FCR verdict); the reports' intervals once they have ended and again after a late write, a
mark cleared only when nothing was written between the copy's read and its confirmation
(oq_archive_intervals, oq_intervals_archived); and a report that is handed the archive's
copies of intervals Redis no longer holds."""

import harness
from test_report import BUCKET, SEC, at_interval_start
from test_retention import closed_session, sweep5


def read(t, n=10):
    return t.fc('oq_archive_read', n)


def test_a_session_is_read_whole_after_the_sweeps_look(h):
    t = h.tenant(retention=60, archive=1)
    t.agent('a', 'en:5')
    s = closed_session(t, 'web:r1')['sid']
    # ended, not yet looked at (its figures, its survey): it waits for the sweep
    assert t.fc('oq_archive_pending', 10)[0::2] == [s]
    assert read(t) == []
    sweep5(t)
    got = read(t)
    assert [g[0] for g in got] == [s], got
    sid, ended, hsh, tx = got[0]
    d = harness.pairs(hsh)
    assert d['state'] == 'closed' and d['rp'] == '1' and d['disposition'] == 'resolved', d
    assert int(ended) == int(d['updated'])
    assert [harness.pairs(e[1])['body'] for e in tx] == ['hello'], tx
    # reading takes nothing: only oq_archived does
    assert read(t)[0][0] == s and t.fc('oq_archived', s) == 1 and read(t) == []
    # a session nobody looks at (its look lost) is not held back for ever: 60 s at most
    s2 = closed_session(t, 'web:r2')['sid']
    assert read(t) == []
    h.advance(61 * SEC)
    assert [g[0] for g in read(t)] == [s2]


def test_a_session_whose_keys_are_gone_is_read_with_an_empty_record(h):
    t = h.tenant(retention=60, archive=1)
    t.agent('a', 'en:5')
    s = closed_session(t, 'web:r1')['sid']
    h.r.delete('%s:s:%s' % (t.P, s), '%s:s:%s:tx' % (t.P, s))
    assert read(t) == [[s, read(t)[0][1], [], []]]
    assert t.fc('oq_archived', s) == 1
    h.r.zrem(t.P + ':ret', s)       # what the hand edit left: no session to retire


def test_a_late_survey_answer_sends_an_archived_session_back_to_the_archive(h):
    t = h.tenant(retention=60, archive=1)
    t.fc('oq_survey_set', '*', 'kind', 'csat')
    t.agent('a', 'en:5')
    s = closed_session(t, 'web:r1')['sid']
    sweep5(t)
    assert harness.pairs(read(t)[0][2])['survey'] == 'asked'
    assert t.fc('oq_archived', s) == 1
    assert h.r.zscore(t.P + ':ret', s) is not None and read(t) == []
    t.fc('oq_survey_answer', s, '5', '', 'ok')
    # waiting for the archive again, its retention to start again from that copy
    assert h.r.zscore(t.P + ':ret', s) is None and h.r.zscore(t.P + ':arq', s) is not None
    assert 'archived' not in t.sess(s)
    d = harness.pairs(read(t)[0][2])
    assert (d['csat'], d['survey']) == ('5', 'answered'), d
    assert t.fc('oq_archived', s) == 1 and h.r.zscore(t.P + ':ret', s) is not None
    # without the archive, an answer changes no schedule
    u = h.tenant(retention=60)
    u.fc('oq_survey_set', '*', 'kind', 'csat')
    u.agent('a', 'en:5')
    s = closed_session(u, 'web:r1')['sid']
    sweep5(u)
    ret = h.r.zscore(u.P + ':ret', s)
    u.fc('oq_survey_answer', s, '4', '', 'ok')
    assert h.r.zscore(u.P + ':ret', s) == ret and h.r.zcard(u.P + ':arq') == 0


def test_an_fcr_verdict_after_the_copy_sends_it_back_too(h):
    t = h.tenant(retention=3600, archive=1)
    t.cfg(fcr_window='60')
    t.agent('a', 'en:5')
    s = closed_session(t, 'web:r1')['sid']
    sweep5(t)
    assert t.fc('oq_archived', s) == 1
    h.advance(61 * SEC)
    sweep5(t)                                   # the verdict: nobody came back
    assert t.sess(s)['fcr'] == '1' and h.r.zscore(t.P + ':arq', s) is not None
    assert harness.pairs(read(t)[0][2])['fcr'] == '1'


def test_an_interval_is_copied_once_ended_and_again_after_a_late_write(h):
    t = h.tenant(retention=60, archive=1)
    t.fc('oq_survey_set', '*', 'kind', 'csat')
    t.agent('a', 'en:5')
    b = at_interval_start(h)
    s = closed_session(t, 'web:r1')['sid']
    sweep5(t)                                   # the fold: the interval written, marked
    assert h.r.hget(t.P + ':rpd', str(b)) is not None
    assert t.fc('oq_archive_intervals', 10) == []          # still running
    h.advance(BUCKET)
    sweep5(t)                                   # (marks the new interval: its sample)
    got = t.fc('oq_archive_intervals', 10)
    assert [g[0] for g in got] == [str(b)], got
    start, mark, dims = got[0]
    d = harness.pairs(dims)
    assert set(d) == {'*', 'q:q', 'c:web', 'a:a'}, d
    assert d['q:q'].split()[:2] == ['1', '1'], d     # offered, answered
    # a survey answer after the read: the interval's mark moves, the copy does not clear it
    t.fc('oq_survey_answer', s, '5', '', 'ok')
    assert t.fc('oq_intervals_archived', start, mark) == 0
    again = t.fc('oq_archive_intervals', 10)
    assert again[0][0] == start and again[0][1] != mark
    assert harness.pairs(again[0][2])['q:q'].split()[13] == '1'      # csat_n
    assert t.fc('oq_intervals_archived', start, again[0][1]) == 1
    assert t.fc('oq_archive_intervals', 10) == []
    # an interval whose figures expired comes with none; its mark goes with the copy
    h.r.hincrby(t.P + ':rpd', str(b - BUCKET), 1)
    assert t.fc('oq_archive_intervals', 10) == [[str(b - BUCKET), '1', []]]
    # a tenant without the archive marks nothing
    u = h.tenant()
    u.agent('a', 'en:5')
    closed_session(u, 'web:r1')
    sweep5(u)
    assert h.r.exists(u.P + ':rpd') == 0


def test_a_report_is_given_the_archives_copies_of_what_redis_let_go(h):
    t = h.tenant()
    n = at_interval_start(h)
    day = n - n % 86400000 - 60 * 86400000
    rows = t.fc('oq_report', day, day + 86400000, 86400000, 'q', '',
                day + BUCKET, 'q:support', '4 3 1 0 0 30000 3',
                day + 2 * BUCKET, 'q:support', '2 2 0 0 0 10000 1',
                day + 2 * BUCKET, 'q:sales', '1 1')
    got = {harness.pairs(r)['dim']: harness.pairs(r) for r in rows}
    assert set(got) == {'support', 'sales'}, got
    s = got['support']
    assert (s['offered'], s['answered'], s['sl_met'], s['sl_pct'], s['asa_s']) == \
        ('6', '5', '4', '80.0', '8.0'), s
    # Redis' own interval wins over a copy of the same interval
    h.r.hset(t.P + ':rp:%d' % (day + BUCKET), 'q:support', '1 1')
    rows = t.fc('oq_report', day, day + 86400000, 86400000, 'q', 'support',
                day + BUCKET, 'q:support', '4 3 1 0 0 30000 3')
    assert harness.pairs(rows[0])['offered'] == '1'
    for args in [(day, day + 1, 900000, 'q', '', day),                     # not a triple
                 (day, day + 1, 900000, 'q', '', day + 1, 'q:x', '1'),     # not an interval
                 (day, day + 1, 900000, 'q', '', day, 'q:x', '1 x'),       # not numbers
                 (day, day + 1, 900000, 'q', '', day, 'q:\x01', '1')]:
        t.expect_err('ARG', 'oq_report', *args)


def test_arguments_are_checked(h):
    t = h.tenant(archive=1)
    for args in [(), ('0',), ('101',), ('x',)]:
        t.expect_err('ARG', 'oq_archive_read', *args)
    for args in [(), ('0',), ('101',)]:
        t.expect_err('ARG', 'oq_archive_intervals', *args)
    for args in [(), ('1',), ('x', '1'), ('1', '2', '3'), ('1', '1') * 101]:
        t.expect_err('ARG', 'oq_intervals_archived', *args)
