"""Callbacks and return visits (lua/79_followup.lua): follow-ups made by an agent or by a
tenant's rule when a session closes with a disposition, opened once when due as a session of
the customer on its channel and offered to its agent first, their outcomes and retries,
repeats, refusals; days-long rules with the test clock."""

import harness

DAY = 86400 * 1000


def fu(t, fid):
    return harness.pairs(t.fc('oq_followup_get', fid))


def opened(t):
    return int(t.fc('oq_sweep', 100)[6])


def sms_customer(t, number='+8613500000001', agent='a'):
    """a customer who wrote by SMS, answered by agent, the session closed as `disp`"""
    t.fc('oq_ob_register', 'sms')
    r = t.fc('oq_ingest', 'sms', '', 'tel:' + number, '', 0, 'support', number, '', 'text',
             'the washing machine leaks', 'in-1')
    sid = r[0]
    assert t.sess(sid)['agent'] == agent, t.sess(sid)
    t.fc('oq_accept', sid, agent)
    t.fc('oq_send', sid, agent, 'text', 'a technician comes tomorrow')
    return sid, r[4]


def test_an_agents_follow_up_opens_once_as_a_session_offered_to_that_agent(h):
    t = h.tenant()
    t.agent('a', '', caps='voice=1,chat=4,email=4,total=6')
    sid, cid = sms_customer(t)
    t.fc('oq_close', sid, 'resolved')
    fid = t.fc('oq_followup_add', sid, '', '+3600', 'how did the repair go?', '', '', '')
    f = fu(t, fid)
    assert (f['state'], f['channel'], f['agent'], f['queue'], f['customer']) == \
        ('scheduled', 'sms', 'a', 'support', cid)
    mine = [harness.pairs(r) for r in t.fc('oq_followups_of', 'a', 10)]
    assert [(m['id'], m['overdue']) for m in mine] == [(fid, '0')]
    h.advance(3599 * 1000)
    assert opened(t) == 0
    h.advance(2000)
    assert [(m['id'], m['overdue']) for m in
            (harness.pairs(r) for r in t.fc('oq_followups_of', 'a', 10))] == [(fid, '1')]
    assert opened(t) == 1 and opened(t) == 0              # once
    f = fu(t, fid)
    new = f['opened_sid']
    assert f['state'] == 'opened' and new != sid
    s = t.sess(new)
    assert (s['channel'], s['customer'], s['ext'], s['state'], s['agent'], s['followup']) == \
        ('sms', cid, '+8613500000001', 'offered', 'a', fid)
    notes = [e for _, e in h.r.xrange(t.P + ':s:%s:tx' % new)]
    assert notes == [{'dir': 'note', 'from': '', 'type': 'text', 'body': 'Follow-up: how did the repair go?'}]
    # the agent writes first: it leaves through the channel's outbox like any reply
    t.fc('oq_accept', new, 'a')
    _, _, ext, did = t.fc('oq_send', new, 'a', 'text', '您好, 上次的维修还满意吗?')[:4]
    assert ext == '+8613500000001' and did
    assert t.fc('oq_followup_done', fid, 'reached', 'all good') == 'done'
    f = fu(t, fid)
    assert (f['state'], f['outcome'], f['note']) == ('done', 'reached', 'all good')
    assert t.fc('oq_followups_of', 'a', 10) == []
    assert 0 < h.r.pttl(t.P + ':fu:' + fid) <= 604800 * 1000      # kept `retention`, then gone
    t.expect_err('STATE', 'oq_followup_done', fid, 'reached', '')
    t.expect_err('STATE', 'oq_followup_cancel', fid)


def test_no_answer_is_tried_again_while_retries_are_left(h):
    t = h.tenant()
    t.agent('a', '', caps='voice=1,chat=4,email=4,total=6')
    sid, cid = sms_customer(t)
    t.fc('oq_close', sid, 'resolved')
    fid = t.fc('oq_followup_add', '', cid, '+60', 'callback', 'phone', '', 'callbacks')
    f = fu(t, fid)
    assert (f['agent'], f['channel'], f['retries'], f['retry']) == ('a', 'phone', '2', '3600')
    for attempt in range(3):
        h.advance(3600 * 1000 + 61000)
        assert opened(t) == 1
        f = fu(t, fid)
        call = t.sess(f['opened_sid'])
        assert (call['channel'], call['class'], call['ext'], call['identity']) == \
            ('phone', 'voice', '', 'tel:+8613500000001')
        t.fc('oq_accept', f['opened_sid'], 'a')
        t.fc('oq_close', f['opened_sid'], 'no_answer')
        want = 'scheduled' if attempt < 2 else 'done'
        # the agent's outcome, given before the sweep looks at the closed session (which
        # would end a follow-up without one as `closed`)
        assert fu(t, fid)['state'] == 'opened'
        assert t.fc('oq_followup_done', fid, 'no_answer', '') == want
        t.fc('oq_sweep', 100)
        assert fu(t, fid)['outcome'] == 'no_answer'        # the look left it as it was
    f = fu(t, fid)
    assert (f['state'], f['outcome'], f['tries']) == ('done', 'no_answer', '3'), f


def test_a_rule_makes_a_return_visit_90_days_after_an_installation_and_repeats_it(h):
    t = h.tenant()
    t.agent('a', '', caps='voice=1,chat=4,email=4,total=6')
    t.expect_err('ARG', 'oq_fu_rule_set', 'visit', 'after', '10')          # no disposition
    t.expect_err('ARG', 'oq_fu_rule_set', 'visit', 'disposition', 'installation', 'colour', 'red')
    t.expect_err('ARG', 'oq_fu_rule_set', 'visit', 'disposition', 'installation', 'times', '0',
                 'reason', 'x')
    assert t.fc('oq_fu_rule_set', 'visit', 'disposition', 'installation', 'after', str(90 * 86400),
                'reason', 'return visit after the installation', 'every', str(30 * 86400),
                'times', '2') == 'OK'
    assert harness.pairs(t.fc('oq_fu_rule_list')[0])['times'] == '2'
    sid, cid = sms_customer(t)
    other, _ = sms_customer(t, '+8613500000002')
    t.fc('oq_close', sid, 'installation')
    t.fc('oq_close', other, 'resolved')                 # no rule for it
    t.fc('oq_sweep', 100)
    mine = [harness.pairs(r) for r in t.fc('oq_followups_of', 'a', 10)]
    assert len(mine) == 1 and mine[0]['rule'] == 'visit' and mine[0]['customer'] == cid
    t.fc('oq_sweep', 100)
    assert len(t.fc('oq_followups_of', 'a', 10)) == 1    # the rule ran once for the session
    h.advance(90 * DAY - 60000)
    assert opened(t) == 0
    h.advance(61000)
    assert opened(t) == 1
    first = fu(t, mine[0]['id'])
    t.fc('oq_accept', first['opened_sid'], 'a')
    t.fc('oq_close', first['opened_sid'], 'resolved')   # no outcome given: ends as closed
    t.fc('oq_sweep', 100)
    assert fu(t, mine[0]['id'])['outcome'] == 'closed'
    h.advance(30 * DAY)
    assert opened(t) == 1                               # the repeat
    h.advance(60 * DAY)
    assert opened(t) == 0                               # twice in all
    fus = [fu(t, str(i)) for i in range(1, 3)]
    assert [f['rule'] for f in fus] == ['visit', 'visit']
    assert int(fus[1]['due']) - int(fus[0]['due']) == 30 * DAY


def test_refusals_and_a_customer_who_cannot_be_reached(h):
    t = h.tenant()
    t.agent('a', '', caps='voice=1,chat=4,email=4,total=6')
    sid, cid = sms_customer(t)
    for args in (('', '', '+60', 'x', '', '', ''), (sid, cid, '+60', 'x', '', '', ''),
                 (sid, '', 'soon', 'x', '', '', ''), (sid, '', '+60', '', '', '', ''),
                 (sid, '', '+60', 'x', 'SMS', '', ''), (sid, '', '+60', 'x', '', 'a b', '')):
        t.expect_err('ARG', 'oq_followup_add', *args)
    t.expect_err('NOTFOUND', 'oq_followup_add', '999', '', '+60', 'x', '', '', '')
    t.expect_err('NOTFOUND', 'oq_followup_add', '', '999', '+60', 'x', '', '', '')
    t.expect_err('NOTFOUND', 'oq_followup_add', sid, '', '+60', 'x', '', 'nobody', '')
    t.expect_err('NOTFOUND', 'oq_followup_get', '77')
    fid = t.fc('oq_followup_add', sid, '', '+60', 'by email', 'email', '', '')
    t.expect_err('ARG', 'oq_followup_done', fid, 'great', '')
    t.expect_err('STATE', 'oq_followup_done', fid, 'reached', '')   # not opened yet
    h.advance(61000)
    assert opened(t) == 0
    f = fu(t, fid)
    assert f['state'] == 'failed' and 'no address on channel email' in f['why'], f
    assert t.fc('oq_followups_of', 'a', 10) == []
    fid2 = t.fc('oq_followup_add', sid, '', '+60', 'x', '', '', '')
    assert t.fc('oq_followup_cancel', fid2) == 'OK' and fu(t, fid2)['state'] == 'cancelled'
    h.advance(61000)
    assert opened(t) == 0


def test_a_waiting_customer_asks_for_a_callback_and_keeps_the_place(h):
    t = h.tenant()
    ahead = t.enq(channel='phone', identity='tel:+8613700000001', skills='en', node='kam1')['sid']
    call = t.enq(channel='phone', identity='tel:+8613700000002', skills='en', ext='7:9:1:2',
                 node='kam1')['sid']
    behind = t.enq(channel='phone', identity='tel:+8613700000003', skills='en', node='kam1')['sid']
    t.expect_err('ARG', 'oq_callback', call, 'fax')
    assert t.fc('oq_callback', call, '') == 'OK'
    s = t.sess(call)
    assert (s['callback_to'], s['ext'], s['node'], s['state']) == ('tel:+8613700000002', '', '', 'queued')
    assert not h.r.sismember(t.P + ':node:kam1', call)
    # the caller hangs up: kept, in its place
    assert t.fc('oq_abandon', call) == 'CALLBACK' and t.state(call) == 'queued'
    assert [e['type'] for e in t.sev(call)] == ['enqueue', 'callback']
    t.agent('a', 'en:5', caps='voice=1,total=1')
    assert t.state(ahead) == 'offered'
    t.fc('oq_abandon', ahead)
    assert t.sess(call)['agent'] == 'a' and t.state(behind) == 'queued'
    row = [harness.pairs(r) for r in t.fc('oq_agent_sessions', 'a')][0]
    assert row['callback_to'] == 'tel:+8613700000002'
    t.expect_err('STATE', 'oq_callback', call, '')
    # another number, given
    assert t.fc('oq_callback', behind, 'tel:+8613700000099') == 'OK'
    assert t.sess(behind)['callback_to'] == 'tel:+8613700000099'


def test_a_follow_up_due_while_its_queue_is_closed_waits_for_the_opening(h):
    """Nobody rings a customer at night: a follow-up that falls due while its queue is closed
    (business hours) is opened when the queue opens, once; one of a queue without hours opens
    when due."""
    t = h.tenant()
    t.agent('a', '', caps='voice=1,chat=4,email=4,total=6')
    sid, cid = sms_customer(t)
    t.fc('oq_close', sid, 'resolved')
    sec, us = h.r.time()
    now = sec * 1000 + us // 1000 + int(h.r.get(harness.CLOCK_KEY) or 0)
    H = 3600 * 1000
    args = ['support', 'Asia/Shanghai', 'mon-fri 09:00-18:00', '', '', str(now + 30 * 24 * H),
            str(now + 3 * H), str(now + 12 * H), 'L3']
    assert t.fc('oq_hours_put', *args) == 'OK'
    night = t.fc('oq_followup_add', sid, '', '+60', 'how did the repair go?', '', '', '')
    plain = t.fc('oq_followup_add', sid, '', '+60', 'the invoice', '', '', 'billing')
    h.advance(61000)
    assert opened(t) == 1                                  # billing's, not support's
    assert fu(t, plain)['state'] == 'opened' and fu(t, night)['state'] == 'scheduled'
    assert int(h.r.zscore(t.P + ':fuz', night)) == now + 3 * H
    h.advance(H)
    assert opened(t) == 0 and fu(t, night)['state'] == 'scheduled'
    h.advance(2 * H)
    assert opened(t) == 1 and fu(t, night)['state'] == 'opened'
    assert opened(t) == 0


def test_one_node_claims_the_dial_of_a_phone_follow_up_and_each_offer_afresh(h):
    """Click-to-dial (oq_dial_claim): every node's phone channel sees the offer of a phone
    session without a call of its own; the first to ask takes it (the session becomes its
    node's, ext <node>/dial/<sid>) and learns whom to call; another node's ask for the same
    offer is refused; after the agent's miss the next offer is claimed afresh, by any node.
    An inbound call's session (a call of its own) is never claimed."""
    t = h.tenant()
    t.agent('a', 'en:9', caps='voice=1,total=1')
    t.agent('b', 'en:5', caps='voice=1,total=1', presence='away')
    first = t.enq(channel='phone', identity='tel:+8613700000005', skills='en', ext='kam1/7/9/1/2',
                  node='kam1')
    assert first['agent'] == 'a'
    t.expect_err('ARG', 'oq_dial_claim', first['sid'], 'a', 'kam1')      # a call of its own
    t.fc('oq_accept', first['sid'], 'a')
    t.fc('oq_close', first['sid'], 'resolved')
    fid = t.fc('oq_followup_add', first['sid'], '', '+60', 'satisfaction call', '', '', '')
    h.advance(61000)
    assert opened(t) == 1
    sid = fu(t, fid)['opened_sid']
    s = t.sess(sid)
    assert (s['state'], s['agent'], s['ext'], s['channel']) == ('offered', 'a', '', 'phone'), s
    t.expect_err('STATE', 'oq_dial_claim', sid, 'b', 'kam1')             # not b's offer
    assert t.fc('oq_dial_claim', sid, 'a', 'kam2') == ['tel:+8613700000005', 'followup', fid]
    t.expect_err('STATE', 'oq_dial_claim', sid, 'a', 'kam1')             # kam2 has it
    t.expect_err('STATE', 'oq_dial_claim', sid, 'a', 'kam2')             # once
    s = t.sess(sid)
    assert (s['ext'], s['node'], s['dial_agent']) == ('kam2/dial/' + sid, 'kam2', 'a'), s
    assert h.r.sismember(t.P + ':node:kam2', sid)
    # a's phone did not answer: the next offer, to b, is anyone's to claim
    t.agent('b', 'en:5', caps='voice=1,total=1')
    assert t.fc('oq_miss', sid, 'a', '1') == [sid, 'offered', 'b']
    offer = [e for e in t.sev(sid) if e['type'] == 'offer'][-1]
    assert (offer['agent'], offer['ext']) == ('b', 'kam2/dial/' + sid), offer
    assert t.fc('oq_dial_claim', sid, 'b', 'kam1') == ['tel:+8613700000005', 'followup', fid]
    assert not h.r.sismember(t.P + ':node:kam2', sid) and h.r.sismember(t.P + ':node:kam1', sid)
    t.fc('oq_accept', sid, 'b')
    t.expect_err('STATE', 'oq_dial_claim', sid, 'b', 'kam2')             # active now
    # a callback: the number the customer left
    t.fc('oq_close', sid, 'resolved')
    t.agent('a', 'en:9', caps='voice=1,total=1', presence='away')
    t.agent('b', 'en:5', caps='voice=1,total=1', presence='away')
    call = t.enq(channel='phone', identity='tel:+8613700000006', skills='en', ext='kam1/8/9/1/2',
                 node='kam1')['sid']
    assert t.fc('oq_callback', call, 'tel:+8613700000077') == 'OK'
    t.agent('b', 'en:5', caps='voice=1,total=1')
    assert t.state(call) == 'offered'
    assert t.fc('oq_dial_claim', call, 'b', 'kam1') == ['tel:+8613700000077', 'callback', '']
    t.expect_err('NOTFOUND', 'oq_dial_claim', '99999', 'b', 'kam1')


def test_a_follow_up_at_a_set_time_on_the_preferred_channel_to_the_agent_then_anyone(h):
    """A follow-up at an absolute time (ms), with no channel given, goes out on the channel the
    customer prefers (their profile's `channel`), else their last one; it is offered to its
    agent first, and while she stays busy it goes to another agent once the tenant's
    affinity_wait has passed. `refused` ends it: no retry."""
    t = h.tenant(affinity_wait=60)
    t.agent('a', '', caps='voice=1,chat=4,email=4,total=6')
    sid, cid = sms_customer(t)
    t.fc('oq_close', sid, 'resolved')
    t.expect_err('ARG', 'oq_customer_set', cid, 'channel', 'Not A Channel')
    now = int(h.r.time()[0]) * 1000 + int(h.r.get(harness.CLOCK_KEY) or 0)
    at = now + 2 * DAY
    plain = t.fc('oq_followup_add', '', cid, str(at), 'ask about the bill', '', 'a', '')
    assert (fu(t, plain)['channel'], fu(t, plain)['due']) == ('sms', str(at))  # the last one
    assert t.fc('oq_customer_set', cid, 'channel', 'email') == 'OK'
    fid = t.fc('oq_followup_add', '', cid, str(at), 'send the invoice', '', 'a', '')
    assert fu(t, fid)['channel'] == 'email'
    t.fc('oq_followup_cancel', plain)
    # a has a customer of her own when it opens (her only email slot): it waits for her
    t.fc('oq_agent_set', 'a', 'A', '', 'email=1,total=1', '')
    busy = t.fc('oq_ingest', 'email', '', 'email:x@example.com', '', 0, 'support', '', '',
                'text', 'hello', '')[0]
    t.fc('oq_accept', busy, 'a')
    t.fc('oq_link', 'tel:+8613500000001', 'email:c@example.com')
    h.advance(2 * DAY + 1000)
    assert opened(t) == 1
    new = fu(t, fid)['opened_sid']
    s = t.sess(new)
    assert (s['channel'], s['state'], s['affinity']) == ('email', 'queued', 'a'), s
    t.agent('b', '', caps='email=4,total=4')
    assert t.state(new) == 'queued'                     # b may not take it yet
    h.advance(61000)
    t.fc('oq_sweep', 100)
    assert (t.state(new), t.sess(new)['agent']) == ('offered', 'b')
    t.fc('oq_accept', new, 'b')
    assert t.fc('oq_followup_done', fid, 'refused', 'no more calls please') == 'done'
    f = fu(t, fid)
    assert (f['state'], f['outcome'], f['note']) == ('done', 'refused', 'no more calls please')
    h.advance(3 * 3600 * 1000)
    assert opened(t) == 0 and fu(t, fid)['state'] == 'done'


def test_a_rule_without_same_agent_goes_to_the_queue(h):
    """A rule with same_agent 0: its follow-up has no agent; when due it goes to whoever of
    its queue is free, not to the session's agent."""
    t = h.tenant()
    t.agent('a', '', caps='voice=1,chat=4,email=4,total=6')
    assert t.fc('oq_fu_rule_set', 'csat', 'disposition', 'repaired', 'after', '3600',
                'reason', 'satisfaction call', 'same_agent', '0') == 'OK'
    sid, cid = sms_customer(t)
    t.fc('oq_close', sid, 'repaired')
    t.fc('oq_sweep', 100)
    fids = h.r.zrange(t.P + ':fuz', 0, -1)
    assert len(fids) == 1 and fu(t, fids[0])['agent'] == '', fu(t, fids[0])
    t.fc('oq_agent_state', 'a', 'away')
    t.agent('b', '', caps='chat=4,total=4')
    h.advance(3601 * 1000)
    assert opened(t) == 1
    assert t.sess(fu(t, fids[0])['opened_sid'])['agent'] == 'b'
