"""Follow-up dates: oq_session_set follow_up, the P:followups index, oq_followups."""

import calendar
import random
import time

import harness

DAY = 86400000


def ms(date):
    return calendar.timegm(time.strptime(date, '%Y-%m-%d')) * 1000


def sessions(t, n):
    return [t.enq(skills='zz')['sid'] for _ in range(n)]


def test_follow_up_set_move_clear(h):
    t = h.tenant()
    t.agent('a', 'en:5')
    s = t.enq(skills='en')['sid']
    t.fc('oq_accept', s, 'a')
    t.fc('oq_close', s, 'follow-up')                        # a closed session takes one too
    assert t.fc('oq_session_set', s, 'follow_up', '2030-02-28') == 'OK'
    assert t.sess(s)['follow_up'] == '2030-02-28'
    assert h.r.zscore(t.P + ':followups', s) == ms('2030-02-28')
    # the date is a follow-up that comes that day, to the session's agent
    fid = t.sess(s)['fu_date']
    f = harness.pairs(t.fc('oq_followup_get', fid))
    assert (f['state'], f['due'], f['agent'], f['sid']) == ('scheduled', str(ms('2030-02-28')), 'a', s), f
    assert f['reason'] == 'Follow-up date 2030-02-28 set on session ' + s, f
    t.fc('oq_session_set', s, 'follow_up', '2030-03-01', 'tags', 'callback')
    assert h.r.zscore(t.P + ':followups', s) == ms('2030-03-01')
    assert t.sess(s)['tags'] == 'callback'
    assert t.sess(s)['fu_date'] == fid                       # moved, not a second one
    assert harness.pairs(t.fc('oq_followup_get', fid))['due'] == str(ms('2030-03-01'))
    assert h.r.zscore(t.P + ':fua:a', fid) == ms('2030-03-01')
    assert t.fc('oq_session_set', s, 'follow_up', '') == 'OK'
    assert t.sess(s)['follow_up'] == ''
    assert h.r.zscore(t.P + ':followups', s) is None
    assert harness.pairs(t.fc('oq_followup_get', fid))['state'] == 'cancelled'
    t.fc('oq_session_set', s, 'follow_up', '')               # clearing twice is fine
    # in one call the last value given wins, in the hash and in the index alike
    t.fc('oq_session_set', s, 'follow_up', '2031-01-01', 'follow_up', '')
    assert t.sess(s)['follow_up'] == '' and h.r.zscore(t.P + ':followups', s) is None
    t.fc('oq_session_set', s, 'follow_up', '', 'follow_up', '2031-01-01')
    assert h.r.zscore(t.P + ':followups', s) == ms('2031-01-01')
    # a new date after a cleared one: a new follow-up; that day it comes as a session
    again = t.sess(s)['fu_date']
    assert again != fid and harness.pairs(t.fc('oq_followup_get', again))['state'] == 'scheduled'
    now = int(h.r.time()[0]) * 1000 + int(h.r.get(harness.CLOCK_KEY) or 0)
    h.advance(ms('2031-01-01') - now + 1000)
    t.fc('oq_sweep', 100)
    assert harness.pairs(t.fc('oq_followup_get', again))['state'] == 'opened'
    # a queued session too, and its routing is untouched
    q = t.enq(skills='zz')['sid']
    t.fc('oq_session_set', q, 'follow_up', '2031-01-02')
    assert t.state(q) == 'queued'


def test_follow_up_dates_validated(h):
    t = h.tenant()
    s = t.enq(skills='zz')['sid']
    good = ['2000-01-01', '2999-12-31', '2024-02-29', '2000-02-29', '2030-04-30', '2030-12-31']
    for d in good:
        assert t.fc('oq_session_set', s, 'follow_up', d) == 'OK', d
        assert h.r.zscore(t.P + ':followups', s) == ms(d), d
    # every day count agrees with the C library's timegm: month ends, leap days, and a sample
    rng = random.Random(7)
    days = [ms('2000-01-01') // DAY + rng.randrange(365243) for _ in range(1500)]
    days += [ms('%04d-%02d-01' % (y, m)) // DAY - k for y in (2000, 2001, 2100, 2400, 2999)
             for m in range(1, 13) for k in (0, 1) if (y, m, k) != (2000, 1, 1)]
    pipe = h.r.pipeline(transaction=False)
    for d in days:
        pipe.fcall('oq_session_set', 1, t.P, s, 'follow_up',
                   time.strftime('%Y-%m-%d', time.gmtime(d * 86400)))
        pipe.zscore(t.P + ':followups', s)
    res = pipe.execute()
    assert res[1::2] == [d * DAY for d in days]
    t.fc('oq_session_set', s, 'follow_up', '2030-06-15')
    bad = ['1999-12-31', '3000-01-01', '2023-02-29', '2100-02-29', '2030-02-30', '2030-04-31',
           '2030-13-01', '2030-00-10', '2030-01-00', '2030-01-32', '2030-1-01', '2030-01-1',
           '30-01-01', '2030/01/01', ' 2030-01-01', '2030-01-01 ', '2030-01-01T00:00',
           '2030-01-01Z', '+030-01-01', '20300101', 'tomorrow', '2030-0a-01']
    for d in bad:
        t.expect_err('ARG', 'oq_session_set', s, 'follow_up', d)
    # all or nothing: a bad date spoils the good fields beside it
    t.expect_err('ARG', 'oq_session_set', s, 'csat', '5', 'follow_up', '2030-02-30')
    t.expect_err('ARG', 'oq_session_set', s, 'follow_up', '2030-02-03', 'csat', '9')
    t.expect_err('ARG', 'oq_session_set', s, 'follow_up')
    t.expect_err('ARG', 'oq_session_set', s, 'followup', '2030-01-01')
    t.expect_err('NOTFOUND', 'oq_session_set', '9999', 'follow_up', '2030-01-01')
    t.expect_err('NOTFOUND', 'oq_session_set', '9999', 'follow_up', '')
    assert t.sess(s)['follow_up'] == '2030-06-15'


def test_followups_listing_order_and_range(h):
    t = h.tenant()
    sids = sessions(t, 12)                                    # '1'..'12': 9 and 10 sort apart as strings
    dates = {sids[0]: '2030-05-02', sids[8]: '2030-05-01', sids[9]: '2030-05-01',
             sids[10]: '2030-05-01', sids[1]: '2030-05-01', sids[11]: '2030-05-03',
             sids[5]: '2030-04-30'}
    for sid, d in dates.items():
        t.fc('oq_session_set', sid, 'follow_up', d)
    want = sorted(dates.items(), key=lambda x: (x[1], int(x[0])))
    flat = [x for p in want for x in p]
    assert t.fc('oq_followups', 0, ms('2999-12-31'), 1000) == flat
    # bounds are inclusive, in ms of the day's 00:00 UTC
    got = t.fc('oq_followups', ms('2030-05-01'), ms('2030-05-02'), 100)
    assert got == [x for p in want if p[1] in ('2030-05-01', '2030-05-02') for x in p]
    assert t.fc('oq_followups', ms('2030-05-01') + 1, ms('2030-05-02') - 1, 100) == []
    assert t.fc('oq_followups', ms('2030-05-03'), ms('2030-05-03'), 1) == [sids[11], '2030-05-03']
    # count cuts through a day: the lowest sids of that day, not the bytewise first
    day1 = sorted((s for s, d in dates.items() if d == '2030-05-01'), key=int)
    assert [int(s) for s in day1] == [2, 9, 10, 11]
    got = t.fc('oq_followups', ms('2030-05-01'), ms('2030-05-01'), 2)
    assert got == [day1[0], '2030-05-01', day1[1], '2030-05-01'], got
    got = t.fc('oq_followups', 0, ms('2030-05-03'), 3)
    assert got == [sids[5], '2030-04-30', day1[0], '2030-05-01', day1[1], '2030-05-01'], got
    got = t.fc('oq_followups', 0, ms('2030-05-03'), 5)
    assert got[::2] == [sids[5]] + day1, got
    # cleared ones leave the listing
    t.fc('oq_session_set', sids[8], 'follow_up', '')
    assert sids[8] not in t.fc('oq_followups', 0, ms('2999-12-31'), 1000)
    assert h.r.execute_command('FCALL_RO', 'oq_followups', 1, t.P, 0, 1, 1) == []


def test_followups_errors(h):
    t = h.tenant()
    s = sessions(t, 1)[0]
    t.fc('oq_session_set', s, 'follow_up', '2030-01-01')
    for args in ([0, 1], [0, 1, 10, 1], ['x', 1, 10], [0, 'y', 10], [0, 1, 0], [0, 1, 1001],
                 [0, 1, 'z'], [-1, 1, 10], [0, '1' * 16, 10], [ms('2030-01-02'), ms('2030-01-01'), 10],
                 ['', 1, 10], [0, 1.5, 10]):
        t.expect_err('ARG', 'oq_followups', *args)
    assert t.fc('oq_followups', 0, 10 ** 15 - 1, 1000) == [s, '2030-01-01']
    assert t.fc('oq_followups', 5, 5, 1) == []
