"""Business hours in the library (lua/32_hours.lua): the open intervals the node works out
(oq_hours_put, here made by hand), a queue open or closed, the next opening, the service-level
clocks counted in open time (a policy's `hours`), and the notice a customer who writes while
the queue is closed gets once."""

import redis

import harness

H = 3600 * 1000


def put(t, q, now, spans, notice='', until=None):
    """spans: (start, end) in hours from now"""
    args = [q, 'Asia/Shanghai', 'mon-fri 09:00-18:00', '', notice,
            str(until if until is not None else now + 30 * 24 * H)]
    for a, b in spans:
        args += [str(now + int(a * H)), str(now + int(b * H)), 'L%g' % a]
    assert t.fc('oq_hours_put', *args) == 'OK'


def now_ms(h):
    """the library's clock: Redis TIME and the tests' offset"""
    sec, us = h.r.time()
    return sec * 1000 + us // 1000 + int(h.r.get(harness.CLOCK_KEY) or 0)


def test_intervals_are_checked_and_a_queue_is_open_or_says_when_it_opens(h):
    t = h.tenant()
    now = now_ms(h)
    t.expect_err('ARG', 'oq_hours_put', 'q', 'UTC', '', '', '', str(now + H), str(now), str(now - 1), 'x')
    t.expect_err('ARG', 'oq_hours_put', 'q', 'UTC', '', '', '', str(now + H), str(now), str(now + 2 * H), 'x')
    t.expect_err('ARG', 'oq_hours_put', 'q', 'UTC', '', '', '', str(now + 9 * H),
                 str(now), str(now + 2 * H), 'a', str(now + H), str(now + 3 * H), 'b')
    t.expect_err('ARG', 'oq_hours_put', 'q', 'UTC', '', '', '', 'soon')
    assert t.fc('oq_hours_get', 'q') == []
    put(t, 'q', now, [(1, 2), (5, 8)])
    g = harness.pairs(t.fc('oq_hours_get', 'q'))
    assert g['open'] == '0' and g['next_open'] == 'L1' and g['tz'] == 'Asia/Shanghai'
    h.advance(int(1.5 * H))
    g = harness.pairs(t.fc('oq_hours_get', 'q'))
    assert g['open'] == '1' and g['next_open'] == ''
    h.advance(1 * H)
    assert harness.pairs(t.fc('oq_hours_get', 'q'))['next_open'] == 'L5'
    assert t.fc('oq_hours_due', str(40 * 24 * H)) == ['q', 'Asia/Shanghai', 'mon-fri 09:00-18:00', '', '']
    assert t.fc('oq_hours_due', str(H)) == []
    assert t.fc('oq_hours_del', 'q') == 1 and t.fc('oq_hours_del', 'q') == 0
    assert not h.r.exists(t.P + ':bhq') and not h.r.exists(t.P + ':bhi:q')


def test_service_level_clocks_count_open_time_only(h):
    t = h.tenant()
    now = now_ms(h)
    # open for the first hour and a half, closed until 11 h, open again
    put(t, 'q', now, [(-1, 1.5), (11, 20)])
    t.fc('oq_sla_set', 'biz', 'queue', 'q', 'first', '7200', 'hours', '1')   # 2 h of open time
    t.fc('oq_sla_set', 'cal', 'queue', 'other', 'first', '7200')
    t.expect_err('ARG', 'oq_sla_set', 'bad', 'first', '60', 'hours', '2')
    sid = t.enq(skills='en')['sid']
    other = t.enq(skills='en', queue='other')['sid']
    t.fc('oq_sweep', 100)

    def fired(s):
        return [e['type'] for e in t.events() if e['sid'] == s and e['type'].startswith('sla')]
    # level 1 (50 %: 1 h of open time) of both at 1 h
    h.advance(1 * H + 1000)
    t.fc('oq_sweep', 100)
    assert (fired(sid), fired(other)) == (['sla1'], ['sla1'])
    # calendar time: the other queue's levels 2 and 3 come at 1.6 h and 2 h; ours wait for
    # the opening at 11 h: 80 % (1.6 h of open time) is 11.1 h, 100 % 11.5 h
    h.advance(int(1.1 * H))
    t.fc('oq_sweep', 100)
    assert (fired(sid), fired(other)) == (['sla1'], ['sla1', 'sla2', 'sla3'])
    h.advance(int(8.95 * H))            # 11.05 h
    t.fc('oq_sweep', 100)
    assert fired(sid) == ['sla1']
    h.advance(int(0.1 * H))             # 11.15 h
    t.fc('oq_sweep', 100)
    assert fired(sid) == ['sla1', 'sla2']
    h.advance(int(0.4 * H))             # 11.55 h
    t.fc('oq_sweep', 100)
    assert fired(sid) == ['sla1', 'sla2', 'sla3']
    assert history_wait(t, sid) > 11 * H         # the wait itself is calendar time


def history_wait(t, sid):
    _, hist = t.fc('oq_sla_get', sid)
    return int(harness.pairs(hist[-1][1])['wait'])


def test_a_customer_who_writes_while_closed_is_told_when_the_team_is_back_once(h):
    t = h.tenant()
    now = now_ms(h)
    put(t, 'q', now, [(3, 12)], notice='我们的工作时间是 9:00-18:00, 将于 {open} 回复您。')
    r = t.fc('oq_ingest', 'sms', '', 'tel:+8613600000001', 'en', 0, 'q', '', '', 'text', '在吗', 'm1')
    sid = r[0]
    t.fc('oq_sweep', 100)
    t.fc('oq_ingest', 'sms', '', 'tel:+8613600000001', 'en', 0, 'q', '', '', 'text', '？', 'm2')
    t.fc('oq_sweep', 100)
    out = [f for _, f in h.r.xrange(t.P + ':s:%s:tx' % sid) if f['dir'] == 'out']
    assert [f['body'] for f in out] == ['我们的工作时间是 9:00-18:00, 将于 L3 回复您。']
    s = h.r.hgetall(t.P + ':s:' + sid)
    tx = [i for i, f in h.r.xrange(t.P + ':s:%s:tx' % sid) if f['dir'] == 'out']
    assert s['t_out1'] == '' and s['closed_n'] == tx[0], s    # no agent's answer
    # open now: a new customer is not told anything; a call is never told (one that comes
    # while the queue is closed is refused: test_a_call_to_a_closed_queue_...)
    h.advance(4 * H)
    r = t.fc('oq_ingest', 'sms', '', 'tel:+8613600000002', 'en', 0, 'q', '', '', 'text', 'hi', 'm3')
    call = t.enq(channel='phone', identity='tel:+8613600000003', queue='q')['sid']
    t.fc('oq_sweep', 100)
    h.advance(9 * H)                    # closed again, both still waiting
    t.fc('oq_sweep', 100)
    assert not [f for _, f in h.r.xrange(t.P + ':s:%s:tx' % r[0]) if f['dir'] == 'out']
    assert not h.r.exists(t.P + ':s:%s:tx' % call)


def test_a_call_to_a_closed_queue_is_refused_and_says_when_it_opens(h):
    """A caller cannot wait overnight: oq_enqueue refuses a call (class voice) to a queue
    outside its hours with OQ_CLOSED, naming the opening and the seconds to it, and writes
    nothing (the engine hands such calls to the library); a message to it queues, and a call
    to a queue without hours, or to the same queue once it is open, queues."""
    t = h.tenant()
    now = now_ms(h)
    put(t, 'q', now, [(2, 10)])
    before = h.r.dbsize()
    msg = t.expect_err('CLOSED', 'oq_enqueue', 'phone', 'voice', 'tel:+8613800000001', '', '0',
                       'q', '')
    assert 'queue q is closed; it opens L2 (in 7200 s)' in msg, msg
    assert h.r.dbsize() == before and not h.r.exists(t.P + ':seq:s')
    assert t.enq(channel='phone', cls='voice', queue='other', identity='tel:+8613800000001')['state'] == 'queued'
    assert t.enq(queue='q')['state'] == 'queued'                       # a chat waits
    h.advance(3 * H)
    assert t.enq(channel='phone', cls='voice', queue='q', identity='tel:+8613800000002')['state'] == 'queued'
    # past what is known of its hours a queue counts as open; closed with nothing known ahead
    put(t, 'n', now_ms(h), [], until=now_ms(h) + H)
    msg = t.expect_err('CLOSED', 'oq_enqueue', 'phone', 'voice', 'tel:+8613800000003', '', '0',
                       'n', '')
    assert 'queue n is closed; no opening is known' in msg, msg


def test_estimates_and_promises_count_the_hours_the_queue_is_closed(h):
    """A wait is open time: a customer who writes two hours before the queue opens, with a
    minute's average wait, is promised two hours and a minute on the clock - in the session's
    estimate while it waits, and in the agent's inbox once offered; a queue without hours
    shows the average as it is."""
    t = h.tenant()
    now = now_ms(h)
    put(t, 'q', now, [(2, 10)])
    h.r.hset(t.P + ':stat', 'wait_ewma_ms', '60000')
    sid = t.enq(queue='q')['sid']
    est = int(t.sess(sid)['est_wait_ms'])
    assert 2 * H + 60000 - 2000 <= est <= 2 * H + 60000, est
    plain = t.enq(queue='other')['sid']
    assert int(t.sess(plain)['est_wait_ms']) == 60000
    # an agent online while the queue is closed is not offered it; at the opening she is, and
    # her inbox shows what was promised
    t.agent('ann')
    assert t.state(sid) == 'queued' and t.state(plain) == 'offered'
    t.fc('oq_accept', plain, 'ann')
    h.advance(2 * H + 1000)
    t.fc('oq_sweep', 100)
    inbox = [harness.pairs(row) for row in t.fc('oq_agent_sessions', 'ann')]
    got = {row['sid']: int(row['promised_ms']) for row in inbox}
    assert 2 * H + 60000 - 2000 <= got[sid] <= 2 * H + 60000 and got[plain] == 60000, got


def closed_with_callback(t, *args):
    """oq_enqueue of a call that is refused OQ_CLOSED though it writes (the callback it
    schedules: BH.refuse_closed); the error's text"""
    try:
        t.fc('oq_enqueue', *args)
    except redis.ResponseError as e:
        assert str(e).startswith('OQ_CLOSED '), e
        return str(e)
    raise AssertionError('a call to a closed queue was taken')


def test_a_call_while_closed_is_called_back_at_the_opening_once(h):
    """A queue whose closed calls are called back (oq_closed_callback): the refused caller gets
    a phone follow-up due at the opening - a new customer for a new number - and the refusal
    says so; calling again in the night, or the open retried, adds none; a caller who is no
    number gets none; when the queue opens the follow-up becomes the caller's outbound phone
    session. A queue without it refuses and writes nothing, as before."""
    t = h.tenant()
    now = now_ms(h)
    put(t, 'q', now, [(2, 10)])
    t.expect_err('ARG', 'oq_closed_callback', 'q', '2')
    assert t.fc('oq_closed_callback', 'q', '1') == 'OK'
    assert harness.pairs(t.fc('oq_hours_get', 'q'))['callback'] == '1'
    call = ('phone', 'voice', 'tel:+8613800000001', '', '0', 'q', '')
    msg = closed_with_callback(t, *call)
    assert 'queue q is closed; it opens L2 (in 7200 s); a callback is scheduled (follow-up 1)' \
        in msg, msg
    fu = harness.pairs(t.fc('oq_followup_get', '1'))
    assert (fu['state'], fu['channel'], fu['queue'], fu['due']) == (
        'scheduled', 'phone', 'q', str(now + 2 * H)), fu
    cid = fu['customer']
    assert h.r.hget(t.P + ':c:' + cid, 'ids') == 'tel:+8613800000001'
    h.advance(600000)
    msg = closed_with_callback(t, *call)                 # again in the night: the same one
    assert 'follow-up 1)' in msg and not h.r.exists(t.P + ':fu:2'), msg
    msg = t.expect_err('CLOSED', 'oq_enqueue', 'phone', 'voice', 'sip:alice@example.com', '',
                       '0', 'q', '')                     # nobody to call: nothing written
    assert 'callback' not in msg, msg
    # the opening: the sweep opens it as the caller's outbound phone session
    h.advance(2 * H)
    t.fc('oq_sweep', 100)
    fu = harness.pairs(t.fc('oq_followup_get', '1'))
    assert fu['state'] == 'opened', fu
    s = t.sess(fu['opened_sid'])
    assert (s['channel'], s['queue'], s['customer'], s['identity']) == (
        'phone', 'q', cid, 'tel:+8613800000001'), s
    # switched off: refused, nothing written
    assert t.fc('oq_closed_callback', 'q', '0') == 'OK'
    put(t, 'q', now_ms(h), [(5, 10)])
    before = h.r.dbsize()
    msg = t.expect_err('CLOSED', 'oq_enqueue', 'phone', 'voice', 'tel:+8613800000009', '', '0',
                       'q', '')
    assert 'callback' not in msg and h.r.dbsize() == before, msg


def test_a_wechat_customer_writing_while_closed_is_told_through_wechats_outbox(h):
    """The closed-hours notice reaches a WeChat customer as any reply on WeChat does: queued
    for the channel's sender, to the follower's openid, once."""
    t = h.tenant()
    t.fc('oq_ob_register', 'wechat')
    now = now_ms(h)
    put(t, 'q', now, [(2, 10)], notice='客服将于 {open} 上线。')
    ident = 'wechat:wx2c2769f8efd9abc2:oCustomer001'
    for i in range(2):
        r = t.fc('oq_ingest', 'wechat', '', ident, '', 0, 'q', 'oCustomer001', '', 'text',
                 '你好', 'w%d' % i)
        t.fc('oq_sweep', 100)
    sid = r[0]
    queued = h.r.zrange(t.P + ':ob:q:wechat', 0, -1)
    assert len(queued) == 1, queued
    d = harness.pairs(t.fc('oq_ob_get', queued[0]))
    assert (d['channel'], d['ext'], d['sid'], d['state']) == ('wechat', 'oCustomer001', sid, 'queued'), d
    tx = h.r.hget(t.P + ':ob:d:' + queued[0], 'tx')
    assert h.r.xrange(t.P + ':s:%s:tx' % sid, tx, tx)[0][1]['body'] == '客服将于 L2 上线。'


def test_max_wait_counts_the_hours_the_queue_is_open(h):
    """A message written at night to a queue with max_wait does not expire overnight: its
    deadline moves to when it has waited max_wait of open time (an hour after the opening
    here); a queue without hours expires it on the clock as before."""
    t = h.tenant(max_wait=3600)
    now = now_ms(h)
    put(t, 'q', now, [(8, 17)])                          # opens in 8 h
    night = t.enq(queue='q', skills='zz')['sid']
    plain = t.enq(queue='other', skills='zz')['sid']
    h.advance(3600 * 1000 + 1000)
    t.fc('oq_sweep', 100)
    assert (t.state(night), t.state(plain)) == ('queued', 'expired')
    assert h.r.zscore(t.P + ':qx', night) == now + 9 * H, h.r.zscore(t.P + ':qx', night)
    h.advance(8 * H - 3600 * 1000 - 2000)                # just before opening + 1 h
    t.fc('oq_sweep', 100)
    assert t.state(night) == 'queued'
    h.advance(3600 * 1000 + 2000)
    t.fc('oq_sweep', 100)
    assert t.state(night) == 'expired'


def test_a_message_while_closed_waits_for_the_opening_though_an_agent_is_online(h):
    """A message to a closed queue waits for its opening: no agent is offered it, not even
    one online (the engine's open and the library's alike, and a session declined back into
    the closed queue); it is shown in the queue, and an agent who picks it on purpose takes
    it; at the opening the sweep offers the rest."""
    t = h.tenant()
    now = now_ms(h)
    put(t, 'q', now, [(1, 9)])
    t.agent('ann', 'en:5', caps='chat=4,total=4')
    via_engine = t.enq(queue='q', skills='en')['sid']
    via_ingest = t.fc('oq_ingest', 'sms', '', 'tel:+8613600000009', 'en', 0, 'q', '', '',
                      'text', '在吗', 'm1')[0]
    other = t.enq(queue='always', skills='en')['sid']
    for sid in (via_engine, via_ingest):
        s = t.sess(sid)
        assert (s['state'], s['affinity']) == ('queued', '~opening'), s
        assert h.r.zscore(t.P + ':awx', sid) == now + H
    assert t.state(other) == 'offered'                     # a queue without hours: as ever
    waiting = [harness.pairs(r)['sid'] for r in t.fc('oq_waiting', 'ann', 10)]
    assert via_engine in waiting and via_ingest in waiting, waiting
    # ann picks one on purpose; she declines it: it waits for the opening again
    t.fc('oq_pick', via_engine, 'ann', 'ann')
    assert t.state(via_engine) == 'offered'
    t.fc('oq_decline', via_engine, 'ann')
    assert t.sess(via_engine)['affinity'] == '~opening' and t.state(via_engine) == 'queued'
    h.advance(H + 1000)
    t.fc('oq_sweep', 100)
    assert t.state(via_ingest) == 'offered' and t.sess(via_ingest)['agent'] == 'ann'
    # ann declined the other: with nobody else, it waits in the open queue for any agent
    assert t.state(via_engine) == 'queued' and h.r.zscore(t.P + ':awx', via_engine) is None
    t.agent('bob', 'en:5', caps='chat=4,total=4')
    assert t.state(via_engine) == 'offered' and t.sess(via_engine)['agent'] == 'bob'
