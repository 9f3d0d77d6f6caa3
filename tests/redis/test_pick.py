"""oq_waiting, oq_pick, oq_agent_role: waiting sessions shown to the people who may serve
them, and taken by a person where routing would leave them waiting."""

from harness import pairs


def waiting(t, aid, count=50):
    return [pairs(row) for row in t.fc('oq_waiting', aid, count)]


def stranded(t):
    """A session that waits although its only agent is free: a declined it (routing never
    offers it to a again)."""
    t.agent('a', 'en:5')
    s = t.enq(skills='en', queue='sales')
    assert s['agent'] == 'a'
    assert t.fc('oq_decline', s['sid'], 'a') == [s['sid'], 'queued', '']
    t.sweep()
    assert t.sess(s['sid'])['state'] == 'queued'      # and stays so: nobody else
    return s['sid']


def test_stranded_session_is_shown_and_picked_up(h):
    t = h.tenant()
    sid = stranded(t)
    w = waiting(t, 'a')
    assert [(e['sid'], e['queue'], e['channel'], e['position']) for e in w] == [(sid, 'sales', 'web', '1')]
    assert w[0]['skills'] == 'en' and w[0]['identity'].startswith('web:') and w[0]['can_take'] == '1'
    assert t.fc('oq_pick', sid, 'a', 'a') == [sid, 'offered', 'a']
    d = t.sess(sid)
    assert (d['state'], d['agent']) == ('offered', 'a')
    assert waiting(t, 'a') == []
    assert h.r.zscore(t.P + ':q:sales', sid) is None
    tx = t.fc('oq_transcript', sid, '', '100')[-1][1]
    assert dict(zip(tx[::2], tx[1::2]))['body'] == 'picked up by a from queue sales'
    t.fc('oq_accept', sid, 'a')
    assert t.sess(sid)['state'] == 'active'
    assert t.ag('a')['sessions'] == sid


def test_waiting_is_best_first_across_queues_and_by_class(h):
    t = h.tenant()
    t.agent('chat_only', caps='voice=0,chat=2,email=0,total=2', presence='away')
    t.agent('sup', caps='voice=0,chat=0,email=0,total=0', presence='away')
    t.fc('oq_agent_role', 'sup', 'supervisor')
    old = t.enq(queue='a_q')
    h.advance(1000)
    call = t.enq(channel='phone', identity='phone:+15550001', queue='b_q')
    urgent = t.enq(queue='c_q', priority=5)
    mail = t.enq(channel='email', identity='email:x@example.com', queue='a_q')
    # an agent sees the classes it takes (presence aside), highest priority then longest wait
    assert [e['sid'] for e in waiting(t, 'chat_only')] == [urgent['sid'], old['sid']]
    # a supervisor sees every one; count bounds the list
    assert [e['sid'] for e in waiting(t, 'sup')] == [urgent['sid'], old['sid'], call['sid'], mail['sid']]
    assert [e['sid'] for e in waiting(t, 'sup', 2)] == [urgent['sid'], old['sid']]
    assert {e['can_take'] for e in waiting(t, 'sup')} == {'0'}        # no capacity of her own
    t.expect_err('NOTFOUND', 'oq_waiting', 'nobody', '10')
    t.expect_err('ARG', 'oq_waiting', 'sup', '0')
    t.expect_err('ARG', 'oq_waiting', 'sup', '201')


def test_supervisor_assigns_a_colleague_an_agent_may_not(h):
    t = h.tenant()
    sid = stranded(t)
    t.agent('b', 'fr:1', presence='available')      # no 'en': routing never offers it to b
    assert t.sess(sid)['state'] == 'queued'
    t.agent('sup', caps='voice=0,chat=0,email=0,total=0', presence='away')
    t.expect_err('AGENT', 'oq_pick', sid, 'b', 'a')   # a is no supervisor
    t.expect_err('AGENT', 'oq_pick', sid, 'b', 'sup')
    t.fc('oq_agent_role', 'sup', 'supervisor')
    assert t.ag('sup')['role'] == 'supervisor'
    assert t.fc('oq_pick', sid, 'b', 'sup') == [sid, 'offered', 'b']
    tx = t.fc('oq_transcript', sid, '', '100')[-1][1]
    assert dict(zip(tx[::2], tx[1::2]))['body'] == 'assigned to b by sup from queue sales'
    ev = [(e['type'], e['agent']) for e in t.sev(sid)]
    assert ev[-1] == ('offer', 'b'), ev
    # b declines: back to the queue, and still a person's choice away
    assert t.fc('oq_decline', sid, 'b') == [sid, 'queued', '']
    assert t.fc('oq_pick', sid, 'a', '') == [sid, 'offered', 'a']      # an administrator
    tx = t.fc('oq_transcript', sid, '', '100')[-1][1]
    assert dict(zip(tx[::2], tx[1::2]))['body'] == 'assigned to a by an administrator from queue sales'
    t.fc('oq_agent_role', 'sup', 'agent')
    assert t.ag('sup')['role'] == 'agent'


def test_pick_refusals_change_nothing(h):
    t = h.tenant()
    sid = stranded(t)
    t.agent('away', presence='away')
    t.fc('oq_agent_state', 'a', 'away')
    t.agent('full', caps='voice=0,chat=1,email=0,total=1')
    busy = t.enq(identity='web:busy')
    assert busy['agent'] == 'full'
    t.fc('oq_agent_state', 'a', 'available')
    t.expect_err('CAPACITY', 'oq_pick', sid, 'away', 'away')
    t.expect_err('CAPACITY', 'oq_pick', sid, 'full', 'full')
    t.expect_err('NOTFOUND', 'oq_pick', sid, 'ghost', '')
    t.expect_err('NOTFOUND', 'oq_pick', '999999', 'a', 'a')
    t.expect_err('STATE', 'oq_pick', busy['sid'], 'a', 'a')          # offered to full
    t.expect_err('ARG', 'oq_agent_role', 'a', 'boss')
    t.expect_err('NOTFOUND', 'oq_agent_role', 'ghost', 'supervisor')
    # the agent who comes available is not offered it by routing, but may still pick it
    assert t.fc('oq_pick', sid, 'a', 'a') == [sid, 'offered', 'a']
    t.expect_err('STATE', 'oq_pick', sid, 'a', 'a')


def test_pick_of_a_parked_session(h):
    """A session parked for its last agent (affinity wait) can be picked by another."""
    t = h.tenant(affinity_window=3600, affinity_wait=600)
    t.agent('a', caps='voice=0,chat=1,email=0,total=1')
    first = t.enq(identity='web:loyal')
    t.fc('oq_accept', first['sid'], 'a')
    t.fc('oq_close', first['sid'], 'resolved')
    t.fc('oq_wrapup_done', first['sid']) if t.state(first['sid']) == 'wrapup' else None
    other = t.enq(identity='web:other')
    assert other['agent'] == 'a'
    t.fc('oq_accept', other['sid'], 'a')
    again = t.enq(identity='web:loyal')               # a is full: parked for a
    assert again['state'] == 'queued'
    assert h.r.zscore(t.P + ':aw:a', again['sid']) is not None
    t.agent('b', caps='voice=0,chat=1,email=0,total=1', presence='away')
    t.fc('oq_agent_state', 'b', 'available')          # routing leaves it parked for a
    assert t.state(again['sid']) == 'queued'
    assert t.fc('oq_pick', again['sid'], 'b', 'b') == [again['sid'], 'offered', 'b']
    assert h.r.zscore(t.P + ':aw:a', again['sid']) is None
    assert h.r.zscore(t.P + ':awx', again['sid']) is None
