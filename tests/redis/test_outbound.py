"""Outbound delivery (lua/72_outbound.lua): an agent's reply queued for its channel's sender
in one step (oq_send), taken with a lease (oq_ob_take), its outcome (oq_ob_done) with retries
and backoff, a provider's reports (oq_ob_report), and the state the agent sees
(oq_deliveries, `delivery` events)."""

import harness


def _session(t, channel='sms', ident='tel:+8613800000001'):
    t.fc('oq_ob_register', channel)
    t.agent('a', 'en:5', caps='chat=10,email=10,total=20')
    s = t.enq(channel=channel, identity=ident, skills='en', ext=ident)
    t.fc('oq_accept', s['sid'], 'a')
    return s['sid']


def _deliveries(t, sid):
    """tx → state, from oq_deliveries' [tx, did, state, reason, ...]"""
    flat = t.fc('oq_deliveries', sid)
    assert len(flat) % 4 == 0, flat
    return {flat[i]: flat[i + 2] for i in range(0, len(flat), 4)}


def _delivery_events(t):
    return [(e['state'], e['id'], e['did'], e['reason']) for e in t.events()
            if e['type'] == 'delivery']


def test_a_reply_is_stored_and_queued_in_one_step(h):
    t = h.tenant()
    sid = _session(t)
    tx, channel, ext, did = t.fc('oq_send', sid, 'a', 'text', '您好, your order ships today')[:4]
    assert (channel, ext, did) == ('sms', 'tel:+8613800000001', '1')
    entry = h.r.xrange(t.P + ':s:%s:tx' % sid)[-1]
    assert entry[0] == tx and entry[1]['dir'] == 'out' and entry[1]['from'] == 'a'
    assert entry[1]['body'] == '您好, your order ships today'
    d = harness.pairs(t.fc('oq_ob_get', did))
    assert d['state'] == 'queued' and d['tries'] == '0' and d['sid'] == sid and d['tx'] == tx
    assert t.fc('oq_deliveries', sid) == [tx, did, 'queued', '']
    assert _delivery_events(t) == [('queued', tx, did, '')]
    # the message event of the reply itself is there too, as oq_reply makes it
    assert [e['state'] for e in t.events() if e['type'] == 'message'] == ['out']


def test_a_transcript_shows_each_sent_messages_state_and_why_it_failed(h):
    t = h.tenant()
    sid = _session(t)
    t.fc('oq_append', sid, 'in', 'sms:+8613800000001', 'text', 'where is my order?')
    tx1, _, _, d1 = t.fc('oq_send', sid, 'a', 'text', 'shipped today')[:4]
    tx2, _, _, d2 = t.fc('oq_send', sid, 'a', 'text', 'tracking: SF123')[:4]
    for did, how in ((d1, ('sent', 'SM1')), (d2, ('failed', 'unknown number'))):
        got = t.fc('oq_ob_take', 'sms', 'n', 1, 30000, 5)
        assert got[0][0] == did
        t.fc('oq_ob_done', did, 1, *how)
    rows = [(e[0], dict(zip(e[1][::2], e[1][1::2]))) for e in t.fc('oq_transcript', sid, '', 10)]
    assert [r[1].get('delivery') for r in rows] == [None, 'sent', 'failed']
    assert [r[1].get('delivery_reason') for r in rows] == [None, None, 'unknown number']
    assert [r[0] for r in rows][1:] == [tx1, tx2]
    assert t.fc('oq_deliveries', sid) == [tx1, d1, 'sent', '', tx2, d2, 'failed',
                                          'unknown number']
    # the record's time is up (7 days after its end): the transcript stays, without a state
    h.r.delete(t.P + ':ob:d:' + d1)
    rows = [dict(zip(e[1][::2], e[1][1::2])) for e in t.fc('oq_transcript', sid, '', 10)]
    assert 'delivery' not in rows[1] and rows[2]['delivery'] == 'failed'
    assert t.fc('oq_deliveries', sid)[:4] == [tx1, d1, '', '']


def test_a_channel_without_a_sender_gets_its_reply_as_before(h):
    t = h.tenant()
    t.agent('a', 'en:5', caps='chat=10,total=10')
    s = t.enq(channel='web', identity='web:v1', skills='en', ext='conn-7')
    t.fc('oq_accept', s['sid'], 'a')
    tx, channel, ext, did = t.fc('oq_send', s['sid'], 'a', 'text', 'hello')[:4]
    assert (channel, ext, did) == ('web', 'conn-7', '')
    assert h.r.xrange(t.P + ':s:%s:tx' % s['sid'])[-1][0] == tx
    assert not h.r.exists(t.P + ':ob:seq') and t.fc('oq_deliveries', s['sid']) == []
    assert _delivery_events(t) == []
    # registering is per channel and per tenant, and says the same however often
    t.fc('oq_ob_register', 'web')
    t.fc('oq_ob_register', 'web')
    assert h.r.smembers(t.P + ':ob:senders') == {'web'}
    assert t.fc('oq_send', s['sid'], 'a', 'text', 'again')[3] == '1'
    other = h.tenant()
    assert not h.r.exists(other.P + ':ob:senders')
    t.expect_err('ARG', 'oq_ob_register', 'Web')
    t.expect_err('ARG', 'oq_ob_register')


def test_a_sender_takes_what_is_due_under_a_lease_and_reports_it_sent(h):
    t = h.tenant()
    sid = _session(t)
    tx, _, _, did = t.fc('oq_send', sid, 'a', 'text', 'hello')[:4]
    got = t.fc('oq_ob_take', 'sms', 'node1', 10, 30000, 5)
    assert got == [[did, '1', sid, tx, 'tel:+8613800000001', 'a', 'text', 'hello']]
    # leased: nobody else gets it meanwhile, and other channels' senders never do
    assert t.fc('oq_ob_take', 'sms', 'node2', 10, 30000, 5) == []
    assert t.fc('oq_ob_take', 'wechat', 'node2', 10, 30000, 5) == []
    assert harness.pairs(t.fc('oq_ob_get', did))['state'] == 'sending'
    assert t.fc('oq_ob_done', did, 1, 'sent', 'SM123') == 'sent'
    d = harness.pairs(t.fc('oq_ob_get', did))
    assert d['state'] == 'sent' and d['provider_id'] == 'SM123'
    assert _deliveries(t, sid) == {tx: 'sent'}
    assert h.r.zcard(t.P + ':ob:q:sms') == 0
    # kept for late reports a while, not for ever
    assert 0 < h.r.pttl(t.P + ':ob:d:' + did) <= 604800 * 1000
    # the provider's report moves it on; a report never takes it back
    assert t.fc('oq_ob_report', 'sms', 'SM123', 'delivered', '') == [did, 'delivered']
    assert t.fc('oq_ob_report', 'sms', 'SM123', 'failed', 'too late') == [did, 'delivered']
    assert _deliveries(t, sid) == {tx: 'delivered'}
    assert [s for s, _, _, _ in _delivery_events(t)] == ['queued', 'sent', 'delivered']
    # a channel no sender ever served knows no provider id
    t.expect_err('NOTFOUND', 'oq_ob_report', 'email', 'SM123', 'delivered', '')


def test_a_report_that_beats_its_sends_answer_applies_when_the_sender_records_it(h):
    """A provider may report a message before the request that sent it has its answer back
    (a fast DLR, WeChat's TEMPLATESENDJOBFINISH): the report is kept a while and applies the
    moment the sender records the provider's id, instead of being lost as unknown."""
    t = h.tenant()
    sid = _session(t)
    tx, _, _, did = t.fc('oq_send', sid, 'a', 'text', 'hello')[:4]
    t.fc('oq_ob_take', 'sms', 'node1', 10, 30000, 5)
    assert t.fc('oq_ob_report', 'sms', 'SM777', 'delivered', 'on the phone') == ['', 'early']
    # an "accepted" after it does not replace the final word
    assert t.fc('oq_ob_report', 'sms', 'SM777', 'sent', 'buffered') == ['', 'early']
    assert 0 < h.r.pttl(t.P + ':ob:early:sms:SM777') <= 600000
    assert harness.pairs(t.fc('oq_ob_get', did))['state'] == 'sending'
    assert t.fc('oq_ob_done', did, 1, 'sent', 'SM777') == 'delivered'
    d = harness.pairs(t.fc('oq_ob_get', did))
    assert d['state'] == 'delivered' and d['reason'] == 'on the phone', d
    assert _deliveries(t, sid) == {tx: 'delivered'}
    assert [s for s, _, _, _ in _delivery_events(t)] == ['queued', 'sent', 'delivered']
    assert not h.r.exists(t.P + ':ob:early:sms:SM777')
    # a failure reported early fails it the same way
    tx2, _, _, did2 = t.fc('oq_send', sid, 'a', 'text', 'again')[:4]
    t.fc('oq_ob_take', 'sms', 'node1', 10, 30000, 5)
    assert t.fc('oq_ob_report', 'sms', 'SM778', 'failed', 'absent subscriber') == ['', 'early']
    assert t.fc('oq_ob_done', did2, 1, 'sent', 'SM778') == 'failed'
    assert harness.pairs(t.fc('oq_ob_get', did2))['reason'] == 'absent subscriber'
    # an early "accepted" alone changes nothing when the answer comes
    tx3, _, _, did3 = t.fc('oq_send', sid, 'a', 'text', 'third')[:4]
    t.fc('oq_ob_take', 'sms', 'node1', 10, 30000, 5)
    assert t.fc('oq_ob_report', 'sms', 'SM779', 'sent', 'buffered') == ['', 'early']
    assert t.fc('oq_ob_done', did3, 1, 'sent', 'SM779') == 'sent'


def test_a_sender_that_dies_leaves_its_lease_to_run_out_and_its_late_answer_is_refused(h):
    t = h.tenant()
    sid = _session(t)
    _, _, _, did = t.fc('oq_send', sid, 'a', 'text', 'hello')[:4]
    assert t.fc('oq_ob_take', 'sms', 'node1', 10, 5000, 5)[0][1] == '1'
    h.advance(4800)
    assert t.fc('oq_ob_take', 'sms', 'node2', 10, 5000, 5) == []
    h.advance(200)
    again = t.fc('oq_ob_take', 'sms', 'node2', 10, 5000, 5)
    assert [x[:2] for x in again] == [[did, '2']]
    # the first sender comes back with its result: not the current attempt, not applied
    t.expect_err('STATE', 'oq_ob_done', did, 1, 'sent', 'X1')
    assert t.fc('oq_ob_done', did, 2, 'sent', 'X2') == 'sent'
    # a result for a delivery already sent is refused as well
    t.expect_err('STATE', 'oq_ob_done', did, 2, 'sent', 'X2')


def test_a_message_whose_sender_never_answers_fails_after_its_attempts(h):
    t = h.tenant()
    sid = _session(t)
    tx, _, _, did = t.fc('oq_send', sid, 'a', 'text', 'a message that kills its sender')[:4]
    for attempt in (1, 2):
        assert t.fc('oq_ob_take', 'sms', 'n', 10, 1000, 2)[0][:2] == [did, str(attempt)]
        h.advance(1000)
    assert t.fc('oq_ob_take', 'sms', 'n', 10, 1000, 2) == []
    d = harness.pairs(t.fc('oq_ob_get', did))
    assert d['state'] == 'failed' and 'no result from a sender in 2 attempts' in d['reason']
    assert _deliveries(t, sid) == {tx: 'failed'}
    assert h.r.zcard(t.P + ':ob:q:sms') == 0


def test_retries_back_off_and_the_last_one_fails_with_the_providers_reason(h):
    t = h.tenant()
    sid = _session(t)
    tx, _, _, did = t.fc('oq_send', sid, 'a', 'text', 'hello')[:4]
    waits = []
    for attempt in (1, 2, 3, 4):
        got = t.fc('oq_ob_take', 'sms', 'n', 10, 30000, 10)
        assert [x[:2] for x in got] == [[did, str(attempt)]], (attempt, got)
        left = t.fc('oq_ob_done', did, attempt, 'retry', 'HTTP 503 from the gateway', 0, 5,
                    1000, 3000)
        assert left == 'queued'
        d = harness.pairs(t.fc('oq_ob_get', did))
        assert d['state'] == 'queued' and d['reason'] == 'HTTP 503 from the gateway'
        wait = int(d['next_at']) - int(d['updated'])
        waits.append(wait)
        # not before its backoff (the library's test clock is Redis' own plus what the
        # test adds: a few real milliseconds pass between two calls)
        h.advance(wait - 200)
        assert t.fc('oq_ob_take', 'sms', 'n', 10, 30000, 10) == []
        h.advance(200)
    # 1 s, 2 s, then the cap of 3 s (not 4, not 8)
    assert waits == [1000, 2000, 3000, 3000]
    got = t.fc('oq_ob_take', 'sms', 'n', 10, 30000, 10)
    assert got[0][:2] == [did, '5']
    assert t.fc('oq_ob_done', did, 5, 'retry', 'HTTP 503 from the gateway', 0, 5, 1000,
                3000) == 'failed'
    d = harness.pairs(t.fc('oq_ob_get', did))
    assert d['state'] == 'failed' and d['reason'] == 'HTTP 503 from the gateway (5 attempts)'
    assert _deliveries(t, sid) == {tx: 'failed'}
    ev = _delivery_events(t)
    assert ev[-1] == ('failed', tx, did, 'HTTP 503 from the gateway (5 attempts)')
    assert ev.count(('queued', tx, did, 'HTTP 503 from the gateway')) == 4
    assert t.fc('oq_ob_take', 'sms', 'n', 10, 30000, 10) == []


def test_a_providers_retry_after_wins_over_a_shorter_backoff(h):
    t = h.tenant()
    sid = _session(t)
    _, _, _, did = t.fc('oq_send', sid, 'a', 'text', 'hello')[:4]
    t.fc('oq_ob_take', 'sms', 'n', 10, 30000, 10)
    t.fc('oq_ob_done', did, 1, 'retry', '429 Too Many Requests', 60000, 5, 1000, 300000)
    h.advance(59800)
    assert t.fc('oq_ob_take', 'sms', 'n', 10, 30000, 10) == []
    h.advance(200)
    assert t.fc('oq_ob_take', 'sms', 'n', 10, 30000, 10)[0][:2] == [did, '2']


def test_a_refusal_for_good_fails_at_once_and_the_agent_sees_why(h):
    t = h.tenant()
    sid = _session(t, channel='wechat', ident='wechat:wx1:o1')
    tx, _, _, did = t.fc('oq_send', sid, 'a', 'text', 'hello')[:4]
    t.fc('oq_ob_take', 'wechat', 'n', 10, 30000, 10)
    reason = 'errcode 45015: response out of time limit (48 hours)'
    assert t.fc('oq_ob_done', did, 1, 'failed', reason) == 'failed'
    assert _delivery_events(t)[-1] == ('failed', tx, did, reason)
    assert t.fc('oq_ob_take', 'wechat', 'n', 10, 30000, 10) == []


def test_a_message_whose_session_is_gone_fails_when_taken(h):
    t = h.tenant(retention=60)
    sid = _session(t)
    _, _, _, did = t.fc('oq_send', sid, 'a', 'text', 'hello')[:4]
    t.fc('oq_close', sid, 'resolved')
    h.advance(61000)
    t.sweep()
    assert not h.r.exists(t.P + ':s:' + sid) and not h.r.exists(t.P + ':s:%s:dl' % sid)
    assert t.fc('oq_ob_take', 'sms', 'n', 10, 30000, 10) == []
    d = harness.pairs(t.fc('oq_ob_get', did))
    assert d['state'] == 'failed' and 'session was removed' in d['reason']


def test_sends_that_cannot_be_taken_write_nothing(h):
    t = h.tenant()
    sid = _session(t)
    t.expect_err('ARG', 'oq_send', sid, 'a', 'text', '')
    t.expect_err('NOTFOUND', 'oq_send', '999', 'a', 'text', 'hi')
    t.expect_err('ARG', 'oq_send', sid, 'a', 'text')
    # a full queue refuses before the reply is stored: the agent is told, nothing is kept
    h.r.zadd(t.P + ':ob:q:sms', {'x%d' % i: 1e15 for i in range(100000)})
    t.expect_err('CAPACITY', 'oq_send', sid, 'a', 'text', 'hi')
    h.r.delete(t.P + ':ob:q:sms')
    t.fc('oq_close', sid, 'resolved')
    t.expect_err('STATE', 'oq_send', sid, 'a', 'text', 'hi')
    assert not h.r.exists(t.P + ':ob:seq')


def test_outbound_calls_check_every_argument(h):
    t = h.tenant()
    sid = _session(t)
    _, _, _, did = t.fc('oq_send', sid, 'a', 'text', 'hello')[:4]
    for args in [('SMS', 'n', 1, 1000, 1), ('sms', '', 1, 1000, 1), ('sms', 'n', 0, 1000, 1),
                 ('sms', 'n', 101, 1000, 1), ('sms', 'n', 1, 999, 1), ('sms', 'n', 1, 3600001, 1),
                 ('sms', 'n', 1, 1000, 0), ('sms', 'n', 1, 1000), ('sms', 'n\x01', 1, 1000, 1)]:
        t.expect_err('ARG', 'oq_ob_take', *args)
    t.fc('oq_ob_take', 'sms', 'n', 1, 30000, 5)
    for args in [('0', 1, 'sent', ''), ('x', 1, 'sent', ''), (did, 0, 'sent', ''),
                 (did, 1, 'lost', ''), (did, 1, 'sent'), (did, 1, 'failed', ''),
                 (did, 1, 'sent', 'p' * 129), (did, 1, 'failed', 'r' * 513),
                 (did, 1, 'retry', 'why'), (did, 1, 'failed', 'why', 0, 1, 1, 1),
                 (did, 1, 'retry', 'why', -1, 1, 1, 1), (did, 1, 'retry', 'why', 0, 0, 1, 1),
                 (did, 1, 'retry', 'why', 0, 1, 86400001, 1)]:
        t.expect_err('ARG', 'oq_ob_done', *args)
    t.expect_err('NOTFOUND', 'oq_ob_done', '77', 1, 'sent', '')
    for args in [('sms', '', 'delivered', ''), ('sms', 'p', 'lost', ''), ('Sms', 'p', 'sent', '')]:
        t.expect_err('ARG', 'oq_ob_report', *args)
    t.expect_err('ARG', 'oq_ob_get', '-1')
    t.expect_err('NOTFOUND', 'oq_deliveries', '999')
    assert t.fc('oq_ob_get', '77') == []


def test_a_message_of_no_session_is_queued_sent_and_failed_like_a_reply(h):
    t = h.tenant()
    t.expect_err('NOTFOUND', 'oq_ob_add', 'wechat', 'wechat:wx1:staff-o1', 'omniq', 'alert',
                 'session 7 has waited 5 min', '')
    t.fc('oq_ob_register', 'wechat')
    did = t.fc('oq_ob_add', 'wechat', 'wechat:wx1:staff-o1', 'omniq', 'alert',
               'session 7 has waited 5 min', '')
    got = t.fc('oq_ob_take', 'wechat', 'n', 10, 30000, 5)
    assert got == [[did, '1', '', '', 'wechat:wx1:staff-o1', 'omniq', 'alert',
                    'session 7 has waited 5 min']], got
    assert t.fc('oq_ob_done', did, 1, 'retry', 'errcode 45009 api freq out of limit', 0, 2,
                1000, 1000) == 'queued'
    h.advance(1000)
    assert t.fc('oq_ob_take', 'wechat', 'n', 10, 30000, 5)[0][:2] == [did, '2']
    assert t.fc('oq_ob_done', did, 2, 'sent', 'MSG9') == 'sent'
    assert harness.pairs(t.fc('oq_ob_get', did))['state'] == 'sent'
    assert [e['state'] for e in t.events() if e['type'] == 'delivery'] == ['queued', 'queued',
                                                                            'sent']
    for args in [('wechat', '', 'x', 'alert', 'b', ''), ('wechat', 'to', 'x', '', 'b', ''),
                 ('wechat', 'to', 'x', 'alert', '', ''), ('Wechat', 'to', 'x', 'alert', 'b', ''),
                 ('wechat', 'to', 'x', 'alert', 'b'), ('wechat', 'to', 'x', 'alert', 'b', '\x01')]:
        t.expect_err('ARG', 'oq_ob_add', *args)
    # a user with a live connection reads it there: no push
    t.fc('oq_presence', 60000, 'app:main:u1', 'conn-1')
    assert t.fc('oq_ob_add', 'wechat', 'app:main:u1', '', 'push', '{}', 'app:main:u1') == ''
    t.fc('oq_presence', 0, 'app:main:u1', 'conn-1')
    assert t.fc('oq_ob_add', 'wechat', 'app:main:u1', '', 'push', '{}', 'app:main:u1') != ''
    h.r.zadd(t.P + ':ob:q:wechat', {'x%d' % i: 1e15 for i in range(100000)})
    t.expect_err('CAPACITY', 'oq_ob_add', 'wechat', 'to', 'x', 'alert', 'b', '')
    h.r.zremrangebyscore(t.P + ':ob:q:wechat', 1e15, 1e15)


def test_the_status_of_each_channels_queue(h):
    t = h.tenant()
    assert t.fc('oq_ob_status') == []
    sid = _session(t)
    t.fc('oq_ob_register', 'email')
    for text in ('one', 'two', 'three'):
        t.fc('oq_send', sid, 'a', 'text', text)
    h.advance(5000)
    got = t.fc('oq_ob_status')
    assert got[0:3] == ['email', '0', '0'] and got[4:7] == ['sms', '3', '3'], got
    assert 5000 <= int(got[7]) < 6000, got
    took = t.fc('oq_ob_take', 'sms', 'n', 1, 30000, 5)
    t.fc('oq_ob_done', took[0][0], 1, 'sent', '')
    t.fc('oq_ob_take', 'sms', 'n', 1, 30000, 5)        # leased: waiting, not due
    assert t.fc('oq_ob_status')[4:7] == ['sms', '2', '1']
    t.expect_err('ARG', 'oq_ob_status', 'x')


def test_one_recipients_messages_leave_in_order_whoever_takes_them(h):
    """Two senders (nodes) take from one queue: a customer's second reply is not handed
    out while the first is being sent or waits for a retry; it is due again the moment the
    first leaves the queue; another customer's message is not held up meanwhile."""
    t = h.tenant()
    sid = _session(t)
    other = t.enq(channel='sms', identity='tel:+8613800000002', skills='en',
                  ext='tel:+8613800000002')['sid']
    t.fc('oq_accept', other, 'a')
    _, _, _, a1 = t.fc('oq_send', sid, 'a', 'text', 'first')[:4]
    _, _, _, a2 = t.fc('oq_send', sid, 'a', 'text', 'second')[:4]
    _, _, _, b1 = t.fc('oq_send', other, 'a', 'text', 'to the other customer')[:4]
    got = t.fc('oq_ob_take', 'sms', 'node1', 1, 30000, 5)
    assert [g[0] for g in got] == [a1]
    # the second node asks for as many as there are: the other customer's, not 'second'
    got = t.fc('oq_ob_take', 'sms', 'node2', 10, 30000, 5)
    assert [g[0] for g in got] == [b1], got
    assert harness.pairs(t.fc('oq_ob_get', a2))['state'] == 'queued'
    # the first is not sent this time: it is retried after its backoff, 'second' still waits
    assert t.fc('oq_ob_done', a1, 1, 'retry', 'busy', 0, 5, 2000, 60000) == 'queued'
    assert t.fc('oq_ob_take', 'sms', 'node2', 10, 30000, 5) == []
    h.advance(2001)
    assert [g[0] for g in t.fc('oq_ob_take', 'sms', 'node2', 10, 30000, 5)] == [a1]
    assert t.fc('oq_ob_take', 'sms', 'node1', 10, 30000, 5) == []
    # the first is sent: the second is due at once, without waiting for its re-scored time
    assert t.fc('oq_ob_done', a1, 2, 'sent', 'SM1') == 'sent'
    got = t.fc('oq_ob_take', 'sms', 'node1', 10, 30000, 5)
    assert [(g[0], g[7]) for g in got] == [(a2, 'second')], got
    assert t.fc('oq_ob_done', a2, 1, 'failed', 'unknown number') == 'failed'
    assert t.fc('oq_ob_done', b1, 1, 'sent', 'SM2') == 'sent'
    # nothing is left of the order once every message is out of the queue
    assert not [k for k in h.r.scan_iter(match=t.P + ':ob:r:*')]


def test_an_order_entry_left_by_a_vanished_delivery_holds_nothing_up(h):
    t = h.tenant()
    sid = _session(t)
    _, _, _, a1 = t.fc('oq_send', sid, 'a', 'text', 'first')[:4]
    _, _, _, a2 = t.fc('oq_send', sid, 'a', 'text', 'second')[:4]
    # the first's record and queue entry gone by hand: the second is not blocked by it
    h.r.delete(t.P + ':ob:d:' + a1)
    h.r.zrem(t.P + ':ob:q:sms', a1)
    assert [g[0] for g in t.fc('oq_ob_take', 'sms', 'n', 10, 30000, 5)] == [a2]
    t.fc('oq_ob_done', a2, 1, 'sent', 'SM1')
    assert not [k for k in h.r.scan_iter(match=t.P + ':ob:r:*')]


def test_a_reply_names_the_customers_identity_and_held_replies_come_from_the_agent(h):
    """oq_send's fifth element is the session's customer identity (whom a driver's deliver()
    answers when the channel gave no reference of its own), with or without a sender; with
    held '1' only the session's agent may reply in its name (OQ_AGENT, nothing written)."""
    t = h.tenant()
    sid = _session(t)
    s = t.enq(channel='web', identity='web:v1', skills='en', ext='')
    t.fc('oq_accept', s['sid'], 'a')
    r = t.fc('oq_send', s['sid'], 'a', 'text', 'hello', '1')
    assert r[1:] == ['web', '', '', 'web:v1'], r
    t.agent('m', 'fr:5', caps='chat=10,total=10')
    assert t.fc('oq_send', sid, 'a', 'text', 'shipped', '1')[4] == 'tel:+8613800000001'
    txlen = h.r.xlen(t.P + ':s:%s:tx' % sid)
    seq = h.r.get(t.P + ':ob:seq')
    t.expect_err('AGENT', 'oq_send', sid, 'm', 'text', 'from mallory', '1')
    t.expect_err('AGENT', 'oq_send', sid, '', 'text', 'from nobody', '1')
    t.expect_err('ARG', 'oq_send', sid, 'a', 'text', 'hi', 'yes')
    assert h.r.xlen(t.P + ':s:%s:tx' % sid) == txlen and h.r.get(t.P + ':ob:seq') == seq
    # held '0' (or none): the library's own steps and trusted surfaces, as before
    assert t.fc('oq_send', sid, 'm', 'text', 'a note from a supervisor', '0')[3] != ''
    queued = h.tenant()
    queued.agent('b', 'fr:5', caps='chat=10,total=10')
    w = queued.enq(channel='web', identity='web:v2', skills='en', ext='')
    queued.expect_err('AGENT', 'oq_send', w['sid'], 'b', 'text', 'not yours', '1')
