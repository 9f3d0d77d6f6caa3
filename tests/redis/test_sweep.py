"""Deadlines: offer timeout, misses → away, sweep bounds."""


def test_offer_timeout_moves_to_next_agent(h):
    t = h.tenant(offer_timeout=1)
    t.agent('a', 'en:9')
    t.agent('b', 'en:1')
    s = t.enq(skills='en')
    assert s['agent'] == 'a'
    assert t.sweep() == [0, 0, 0, 0]                    # not yet due
    h.advance(1050)
    assert t.sweep() == [1, 0, 0, 0]
    d = t.sess(s['sid'])
    assert d['state'] == 'offered' and d['agent'] == 'b' and d['offers'] == '2'
    a = t.ag('a')
    assert a['misses'] == '1' and a['presence'] == 'available' and a['load:total'] == '0'
    assert h.r.sismember(t.P + ':s:%s:x' % s['sid'], 'a')
    assert t.stats()['missed'] == '1'


def test_misses_set_agent_away(h):
    t = h.tenant(offer_timeout=1, max_misses=2)
    t.agent('a', 'en:9')
    s1 = t.enq(skills='en')
    s2 = t.enq(skills='en')
    h.advance(1050)
    assert t.sweep() == [2, 0, 0, 0]
    a = t.ag('a')
    assert a['presence'] == 'away' and a['misses'] == '2' and a['load:total'] == '0'
    assert h.r.zscore(t.P + ':av:chat:en', 'a') is None
    assert t.state(s1['sid']) == 'queued' and t.state(s2['sid']) == 'queued'
    assert any(e['type'] == 'presence' and e['state'] == 'away' for e in t.events())
    # coming back resets misses; the lapsed sessions are never re-offered to a
    assert t.fc('oq_agent_state', 'a', 'available') == ['a', 'available']
    assert t.ag('a')['misses'] == '0'


def test_lapsed_agent_pulls_other_work(h):
    t = h.tenant(offer_timeout=1, max_misses=5)
    t.agent('a', 'en:9', 'voice=0,chat=1,email=0,total=1')
    s1 = t.enq(skills='en')
    s2 = t.enq(skills='en')
    h.advance(1050)
    assert t.sweep() == [1, 0, 0, 0]
    assert t.state(s1['sid']) == 'queued'
    assert t.sess(s2['sid'])['agent'] == 'a'


def test_accept_resets_misses(h):
    t = h.tenant(offer_timeout=1, max_misses=3)
    t.agent('a', 'en:9', 'voice=0,chat=1,email=0,total=1')
    t.enq(skills='en')
    s2 = t.enq(skills='en')
    h.advance(1050)
    t.sweep()
    assert t.ag('a')['misses'] == '1'
    t.fc('oq_accept', s2['sid'], 'a')
    assert t.ag('a')['misses'] == '0'


def test_max_misses_zero_never_away(h):
    t = h.tenant(offer_timeout=1, max_misses=0)
    t.agent('a', 'en:9')
    t.enq(skills='en')
    h.advance(1050)
    t.sweep()
    assert t.ag('a')['presence'] == 'available'


def test_sweep_bounded_by_max(h):
    t = h.tenant(offer_timeout=1, max_misses=0)
    t.agent('a', '', 'voice=0,chat=5,email=0,total=5')
    for _ in range(5):
        t.enq()
    h.advance(1050)
    assert t.sweep(2) == [2, 0, 0, 0]
    assert h.r.zcount(t.P + ':offers', '-inf', '(+inf') == 3     # and the sentinel, at +inf
    assert t.sweep(10) == [3, 0, 0, 0]


def test_offer_to_offline_agent_still_lapses(h):
    t = h.tenant(offer_timeout=1)
    t.agent('a', 'en:1')
    s = t.enq(skills='en')
    t.fc('oq_agent_state', 'a', 'offline')             # held offer stays
    assert t.ag('a')['sessions'] == s['sid']
    h.advance(1050)
    assert t.sweep() == [1, 0, 0, 0]
    a = t.ag('a')
    assert a['presence'] == 'offline' and a['sessions'] == ''
    assert t.state(s['sid']) == 'queued'
