"""oq_agent_search: an agent's search over the conversations it has served."""

from harness import pairs


def served(t, aid, identity, lines, disposition='resolved'):
    s = t.enq(identity=identity)
    assert s['agent'] == aid, s
    t.fc('oq_accept', s['sid'], aid)
    for d, body in lines:
        t.fc('oq_append', s['sid'], d, aid if d != 'in' else identity, 'text', body)
    t.fc('oq_close', s['sid'], disposition)
    return s['sid']


def search(t, aid, q, count=50):
    return [pairs(r) for r in t.fc('oq_agent_search', aid, q, count)]


def test_search_finds_the_agents_own_conversations_newest_first(h):
    t = h.tenant()
    t.agent('a', caps='voice=0,chat=1,email=0,total=1')
    t.agent('b', caps='voice=0,chat=1,email=0,total=1', presence='away')
    one = served(t, 'a', 'web:v1', [('in', 'My WASHING machine leaks'), ('out', 'A technician comes')])
    h.advance(1000)
    two = served(t, 'a', 'email:ann@example.com', [('in', '发票开错了'), ('note', 'refund R-77 for the washing fee')],
                 disposition='complaint')
    t.fc('oq_agent_state', 'a', 'away')
    t.fc('oq_agent_state', 'b', 'available')
    other = served(t, 'b', 'web:v9', [('in', 'washing machine again')])
    got = search(t, 'a', 'washing')
    assert [g['sid'] for g in got] == [two, one], got         # b's is not a's; newest first
    assert got[0]['snippet'] == 'refund R-77 for the washing fee' and got[0]['disposition'] == 'complaint'
    assert got[1]['snippet'] == 'My WASHING machine leaks' and got[1]['who'] == 'web:v1'
    assert [g['sid'] for g in search(t, 'a', '发票')] == [two]
    assert [g['sid'] for g in search(t, 'a', 'ann@example')] == [two]     # the identity
    assert [g['sid'] for g in search(t, 'b', 'washing')] == [other]
    assert search(t, 'a', 'nothing like it') == []
    assert len(search(t, 'a', 'washing', 1)) == 1
    long = 'x' * 200 + 'needle' + 'y' * 200
    t.fc('oq_agent_state', 'b', 'away')
    t.fc('oq_agent_state', 'a', 'available')
    served(t, 'a', 'web:v3', [('in', long)])
    sn = search(t, 'a', 'needle')[0]['snippet']
    assert 'needle' in sn and len(sn) <= 126 and sn.startswith('…') and sn.endswith('…'), sn
    for bad in (('a', 'x', '5'), ('a', 'q' * 101, '5'), ('a', 'ok', '0'), ('a', 'ok', '51')):
        t.expect_err('ARG', 'oq_agent_search', *bad)
    t.expect_err('NOTFOUND', 'oq_agent_search', 'ghost', 'ok', '5')


def test_past_is_capped_and_goes_with_the_agent(h):
    t = h.tenant()
    t.agent('a', caps='voice=0,chat=1,email=0,total=1')
    for i in range(503):
        s = t.enq(identity='web:p%d' % i)
        t.fc('oq_accept', s['sid'], 'a')
        t.fc('oq_close', s['sid'], 'resolved')
    past = h.r.lrange(t.P + ':a:a:past', 0, -1)
    assert len(past) == 500 and past[0] == s['sid'], len(past)
    t.fc('oq_agent_del', 'a')
    assert not h.r.exists(t.P + ':a:a:past')
