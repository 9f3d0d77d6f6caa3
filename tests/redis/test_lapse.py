"""Deadlines a channel keeps itself: oq_miss (a phone that failed to take the offer) and
oq_expire (a queue's own maximum wait)."""


def test_miss_away_now_reroutes_and_sets_away(h):
    t = h.tenant(max_misses=3)
    t.agent('a', 'en:9')
    t.agent('b', 'en:1')
    s = t.enq(channel='phone', cls='voice', identity='phone:+8613800000001', skills='en')
    assert s['agent'] == 'a'
    assert t.fc('oq_miss', s['sid'], 'a', '1') == [s['sid'], 'offered', 'b']
    a = t.ag('a')
    assert a['presence'] == 'away' and a['misses'] == '1' and a['load:voice'] == '0'
    assert h.r.sismember(t.P + ':s:%s:x' % s['sid'], 'a')
    types = [e.get('type') or e.get('t') for e in t.events() if e.get('sid') == s['sid']]
    assert types[-2:] == ['miss', 'offer'], types
    assert t.stats()['missed'] == '1'


def test_miss_without_away_counts_toward_max_misses(h):
    t = h.tenant(max_misses=2)
    t.agent('a', 'en:9')
    s1 = t.enq(skills='en')
    assert t.fc('oq_miss', s1['sid'], 'a', '0') == [s1['sid'], 'queued', '']
    assert t.ag('a')['presence'] == 'available' and t.ag('a')['misses'] == '1'
    s2 = t.enq(skills='en')
    assert s2['agent'] == 'a'
    t.fc('oq_miss', s2['sid'], 'a', '0')
    assert t.ag('a')['presence'] == 'away'


def test_miss_refused_when_offer_is_not_this_one(h):
    t = h.tenant()
    t.agent('a', 'en:9')
    t.agent('b', 'en:1')
    s = t.enq(skills='en')
    t.expect_err('AGENT', 'oq_miss', s['sid'], 'b', '1')
    t.expect_err('ARG', 'oq_miss', s['sid'], 'a', '2')
    t.fc('oq_accept', s['sid'], 'a')
    t.expect_err('STATE', 'oq_miss', s['sid'], 'a', '1')
    assert t.ag('a')['presence'] == 'available' and t.ag('b')['presence'] == 'available'


def test_expire_queued_only(h):
    t = h.tenant()
    s = t.enq(channel='phone', cls='voice', identity='phone:+8613800000002', skills='en', queue='sales')
    assert s['state'] == 'queued'
    assert t.fc('oq_expire', s['sid']) == 'OK'
    d = t.sess(s['sid'])
    assert d['state'] == 'expired'
    assert t.stats()['expired'] == '1'
    t.expect_err('STATE', 'oq_expire', s['sid'])
    t.agent('a', 'en:1')
    s2 = t.enq(skills='en')
    assert s2['state'] == 'offered'
    t.expect_err('STATE', 'oq_expire', s2['sid'])
    t.expect_err('NOTFOUND', 'oq_expire', '999999')
