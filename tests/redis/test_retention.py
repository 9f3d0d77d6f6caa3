"""Ended sessions leave Redis after their retention (P:ret, the sweep's fifth count), or once
the archive took them (P:arq, oq_archive_pending, oq_archived); a follow-up date keeps a
session until its day has passed; the event stream keeps events_keep seconds."""

import redis


def closed_session(t, identity='web:r1', **enq):
    s = t.enq(identity=identity, skills='en', **enq)
    t.fc('oq_accept', s['sid'], s['agent'])
    t.fc('oq_append_once', s['sid'], 'in', 'c', 'text', 'hello', 'cid-1')
    t.fc('oq_close', s['sid'], 'resolved')
    return s


def keys_of(h, t, sid):
    return sorted(k for k in h.r.scan_iter(match='%s:s:%s*' % (t.P, sid)))


def sweep5(t):
    return [int(x) for x in t.fc('oq_sweep', 100)]


def test_closed_session_leaves_after_its_retention(h):
    t = h.tenant(retention=60)
    t.agent('a', 'en:5')
    s = closed_session(t)
    sid = s['sid']
    ended = int(t.sess(sid)['updated'])
    assert h.r.zscore(t.P + ':ret', sid) == ended + 60000
    assert keys_of(h, t, sid) == ['%s:s:%s' % (t.P, sid), '%s:s:%s:cids' % (t.P, sid),
                                  '%s:s:%s:tx' % (t.P, sid)]
    h.advance(59000)
    assert sweep5(t)[4] == 0 and t.state(sid) == 'closed'    # not before its retention
    h.advance(1500)
    assert sweep5(t)[4] == 1
    assert keys_of(h, t, sid) == [] and h.r.zscore(t.P + ':ret', sid) is None
    assert sid not in t.cust(s['cid'])['history'].split(',')
    assert not h.r.exists('%s:c:%s:h' % (t.P, s['cid']))          # its only session: key gone
    assert t.cust(s['cid'])['identities'] == 'web:r1'          # the customer stays
    t.expect_err('NOTFOUND', 'oq_session_get', sid)
    assert sweep5(t)[4] == 0                                   # once


def test_abandoned_and_expired_sessions_leave_too(h):
    t = h.tenant(retention=60, max_wait=1)
    q = t.enq(skills='zz')                                     # nobody: waits, then expires
    t2 = t.enq(skills='zz')
    t.fc('oq_abandon', t2['sid'])
    h.advance(1100)
    assert sweep5(t)[3] == 1 and t.state(q['sid']) == 'expired'
    h.advance(61000)
    assert sweep5(t)[4] == 2
    assert not h.r.exists('%s:s:%s' % (t.P, q['sid'])) and not h.r.exists('%s:s:%s' % (t.P, t2['sid']))


def test_follow_up_keeps_a_session_until_its_day(h):
    t = h.tenant(retention=60)
    t.agent('a', 'en:5')
    s = closed_session(t)
    sid = s['sid']
    now_ms = int(t.sess(sid)['updated'])
    day = (now_ms // 86400000 + 2) * 86400000                  # the day after tomorrow, 00:00 UTC
    import time
    date = time.strftime('%Y-%m-%d', time.gmtime(day / 1000))
    t.fc('oq_session_set', sid, 'follow_up', date)
    h.advance(61000)
    assert sweep5(t)[4] == 0 and t.state(sid) == 'closed'
    assert h.r.zscore(t.P + ':ret', sid) == day + 86400000     # kept to the end of that day
    h.advance(day + 86400000 - now_ms - 61000 + 1000)
    assert sweep5(t)[4] == 1 and not h.r.exists('%s:s:%s' % (t.P, sid))
    assert h.r.zscore(t.P + ':followups', sid) is None


def test_reopened_session_is_no_longer_retired(h):
    t = h.tenant(retention=60, reopen_window=3600)
    t.agent('a', 'en:5')
    s = closed_session(t)
    sid = s['sid']
    r = t.enq(identity='web:r1', skills='en')
    assert r['sid'] == sid and h.r.zscore(t.P + ':ret', sid) is None
    h.advance(120000)
    assert sweep5(t)[4] == 0 and h.r.exists('%s:s:%s' % (t.P, sid))    # live again: stays


def test_archive_takes_ended_sessions_before_their_retention_starts(h):
    t = h.tenant(retention=60, archive=1)
    t.agent('a', 'en:5')
    s1 = closed_session(t, 'web:r1')
    s2 = closed_session(t, 'web:r2')
    ended1 = int(t.sess(s1['sid'])['updated'])
    assert h.r.zscore(t.P + ':ret', s1['sid']) is None
    pend = t.fc('oq_archive_pending', 10)
    assert pend[0::2] == [s1['sid'], s2['sid']] and int(pend[1]) == ended1
    h.advance(3600000)
    assert sweep5(t)[4] == 0 and t.state(s1['sid']) == 'closed'   # not archived: kept
    assert t.fc('oq_archived', s1['sid'], '999') == 1               # 999 was never pending
    assert t.sess(s1['sid'])['archived'] != ''
    assert t.fc('oq_archived', s1['sid']) == 0                      # once
    # its retention counted from its end is long over: it leaves with the next sweep
    assert sweep5(t)[4] == 1 and not h.r.exists('%s:s:%s' % (t.P, s1['sid']))
    assert t.fc('oq_archive_pending', 10)[0::2] == [s2['sid']]
    for args in [(), ('x',), ('1',) * 1001]:
        t.expect_err('ARG', 'oq_archived', *args)
    for args in [(), ('0',), ('1001',)]:
        t.expect_err('ARG', 'oq_archive_pending', *args)


def test_events_are_kept_events_keep_seconds(h):
    t = h.tenant(events_keep=10)
    # entries made 20 s ago (the stream ids are Redis' own clock: written by hand, first)
    import time
    old = int(time.time() * 1000) - 20000
    for i in range(300):
        h.r.xadd(t.P + ':events', {'type': 'old', 'sid': str(i)}, id='%d-%d' % (old, i + 1))
    t.agent('a', 'en:5')
    new = [t.enq(skills='en')['sid'] for _ in range(3)]
    # the sweep trims; so does an event every EVENTS_TRIM_EVERY (engine/call.c), whose count
    # runs across this server's tests: the 300 may already be going
    t.sweep()
    left = [e['type'] for e in t.events()]
    assert left.count('old') < 300 and left.count('enqueue') == 3, left[:5]
    assert left.index('enqueue') > max([i for i, x in enumerate(left) if x == 'old'] + [-1])
    # trimming is by whole macro nodes (~): what is older than events_keep may stay a while,
    # what is younger never goes
    assert all(e['sid'] in new for e in t.events() if e['type'] == 'enqueue')
