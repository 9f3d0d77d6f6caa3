"""Session life cycle: every legal transition, illegal ones refused unchanged."""

import harness


def lifecycle_tenant(h, **cfg):
    t = h.tenant(**cfg)
    t.agent('a', 'en:5')
    return t


def test_enqueue_creates_session_and_customer(h):
    t = h.tenant()
    s = t.enq(channel='web', identity='web:v1', skills='en,sales', priority=7, queue='sales',
              ext='thread-1')
    assert s['state'] == 'queued' and s['position'] == 1 and s['agent'] == ''
    d = t.sess(s['sid'])
    for k, v in {'id': s['sid'], 'channel': 'web', 'class': 'chat', 'queue': 'sales',
                 'customer': s['cid'], 'identity': 'web:v1', 'skills': 'en,sales',
                 'priority': '7', 'state': 'queued', 'ext': 'thread-1', 'offers': '0'}.items():
        assert d[k] == v, (k, d[k], v)
    assert d['position'] == '1' and 'est_wait_ms' in d
    assert s['sid'] in h.r.get(t.P + ':c:%s:h' % s['cid']).split(',')   # its history
    assert t.sev(s['sid'])[0]['state'] == 'queued'
    s2 = t.enq(queue='', identity='web:v1')
    assert t.sess(s2['sid'])['queue'] == 'default' and s2['cid'] == s['cid']


def test_offer_accept_close(h):
    t = lifecycle_tenant(h)
    s = t.enq(skills='en')
    assert s['state'] == 'offered' and s['agent'] == 'a' and s['position'] == 0
    d = t.sess(s['sid'])
    assert int(d['offer_exp']) > int(d['updated']) and d['offers'] == '1'
    assert 'position' not in d
    assert h.r.zscore(t.P + ':offers', s['sid']) == int(d['offer_exp'])
    assert t.fc('oq_accept', s['sid'], 'a') == 'OK'
    d = t.sess(s['sid'])
    assert d['state'] == 'active' and d['offer_exp'] == ''
    assert h.r.zscore(t.P + ':offers', s['sid']) is None
    c = t.cust(s['cid'])
    assert c['last_agent'] == 'a' and int(c['last_agent_at']) >= int(d['created'])
    assert t.fc('oq_close', s['sid'], 'resolved') == [s['sid'], 'closed']
    d = t.sess(s['sid'])
    assert d['state'] == 'closed' and d['disposition'] == 'resolved'
    # it stays readable for its retention (7 days by default), then the sweep removes it
    assert h.r.zscore(t.P + ':ret', s['sid']) == int(d['updated']) + 604800 * 1000
    assert t.ag('a')['load:total'] == '0'
    assert [e['state'] for e in t.sev(s['sid'])] == ['queued', 'offered', 'active', 'closed']
    assert [e['type'] for e in t.events() if e['sid'] == s['sid']] == \
        ['enqueue', 'offer', 'accept', 'close']


def test_wrapup_holds_capacity_then_releases(h):
    t = h.tenant(wrapup_time=30)
    t.agent('a', 'en:5', 'voice=0,chat=1,email=0,total=1')
    s = t.enq(skills='en')
    w = t.enq(skills='en')
    t.fc('oq_accept', s['sid'], 'a')
    assert t.fc('oq_close', s['sid'], 'sale') == [s['sid'], 'wrapup']
    assert t.ag('a')['load:chat'] == '1'
    assert t.state(w['sid']) == 'queued'                 # capacity still held
    assert h.r.zscore(t.P + ':wu', s['sid']) is not None
    assert t.fc('oq_wrapup_done', s['sid']) == 'OK'
    assert t.state(s['sid']) == 'closed'
    assert t.sess(w['sid'])['agent'] == 'a'              # released and pulled
    assert t.stats()['closed'] == '1'


def test_wrapup_ends_by_sweep(h):
    t = h.tenant(wrapup_time=1)
    t.agent('a', 'en:5', 'voice=0,chat=1,email=0,total=1')
    s = t.enq(skills='en')
    w = t.enq(skills='en')
    t.fc('oq_accept', s['sid'], 'a')
    t.fc('oq_close', s['sid'], '')
    assert t.sweep() == [0, 0, 0, 0]
    h.advance(1050)
    assert t.sweep() == [0, 1, 0, 0]
    assert t.state(s['sid']) == 'closed' and t.sess(w['sid'])['agent'] == 'a'


def test_close_in_wrapup_sets_disposition(h):
    t = lifecycle_tenant(h, wrapup_time=30)
    s = t.enq(skills='en')
    t.fc('oq_accept', s['sid'], 'a')
    t.fc('oq_close', s['sid'], '')
    assert t.fc('oq_close', s['sid'], 'lead') == [s['sid'], 'closed']
    assert t.sess(s['sid'])['disposition'] == 'lead'


def test_abandon_queued_and_offered(h):
    t = h.tenant()
    t.agent('a', 'en:5', 'voice=0,chat=1,email=0,total=1')
    s1 = t.enq(skills='en')
    s2 = t.enq(skills='en')
    s3 = t.enq(skills='en')
    assert t.fc('oq_abandon', s2['sid']) == 'OK'          # queued
    assert t.state(s2['sid']) == 'abandoned'
    assert t.fc('oq_close', s1['sid'], '') == [s1['sid'], 'abandoned']   # offered
    assert t.sess(s3['sid'])['agent'] == 'a'               # freed slot pulls s3
    st = t.stats()
    assert st['abandoned'] == '2' and st['closed'] == '0'


def test_reopen_within_window(h):
    t = h.tenant(reopen_window=60)
    t.agent('a', 'en:5')
    t.agent('b', 'en:9')
    t.fc('oq_agent_state', 'b', 'away')
    s = t.enq(identity='web:c', skills='en')
    t.fc('oq_accept', s['sid'], 'a')
    t.fc('oq_close', s['sid'], 'resolved')
    t.fc('oq_agent_state', 'b', 'available')
    h.r.hdel(t.P + ':c:' + s['cid'], 'last_agent')       # only the reopen rule may pick a
    r = t.enq(identity='web:c', skills='en', ext='thread-2')
    assert r['sid'] == s['sid'] and r['state'] == 'offered' and r['agent'] == 'a'
    d = t.sess(s['sid'])
    # live again: no longer waiting to leave Redis
    assert d['ext'] == 'thread-2' and h.r.zscore(t.P + ':ret', s['sid']) is None
    assert any(e['type'] == 'reopen' for e in t.events())
    # other channel: new session
    o = t.enq(identity='web:c', channel='email', skills='en')
    assert o['sid'] != s['sid']


def test_reopen_not_after_window_or_when_off(h):
    t = h.tenant(reopen_window=1)
    t.agent('a', 'en:5')
    s = t.enq(identity='web:c', skills='en')
    t.fc('oq_accept', s['sid'], 'a')
    t.fc('oq_close', s['sid'], '')
    h.advance(1050)
    assert t.enq(identity='web:c', skills='en')['sid'] != s['sid']
    t2 = h.tenant()
    t2.agent('a', 'en:5')
    s = t2.enq(identity='web:c', skills='en')
    t2.fc('oq_accept', s['sid'], 'a')
    t2.fc('oq_close', s['sid'], '')
    assert t2.enq(identity='web:c', skills='en')['sid'] != s['sid']


def test_illegal_transitions_refused_unchanged(h):
    t = h.tenant(wrapup_time=30)
    t.agent('a', 'en:5')
    t.agent('b', 'en:1', presence='offline')
    q = t.enq(skills='zz')                  # stays queued
    o = t.enq(skills='en')                  # offered to a
    act = t.enq(skills='en')
    t.fc('oq_accept', act['sid'], 'a')
    wu = t.enq(skills='en')
    t.fc('oq_accept', wu['sid'], 'a')
    t.fc('oq_close', wu['sid'], '')
    cl = t.enq(skills='en')
    t.fc('oq_accept', cl['sid'], 'a')
    t.fc('oq_close', cl['sid'], '')
    t.fc('oq_close', cl['sid'], '')
    ab = t.enq(skills='zz')
    t.fc('oq_abandon', ab['sid'])
    assert [t.state(x['sid']) for x in (q, o, act, wu, cl, ab)] == \
        ['queued', 'offered', 'active', 'wrapup', 'closed', 'abandoned']
    # accept: only offered, only by the agent it is offered to
    t.expect_err('STATE', 'oq_accept', q['sid'], 'a')
    t.expect_err('STATE', 'oq_accept', act['sid'], 'a')
    t.expect_err('STATE', 'oq_accept', cl['sid'], 'a')
    t.expect_err('AGENT', 'oq_accept', o['sid'], 'b')
    t.expect_err('AGENT', 'oq_accept', o['sid'], 'ghost')
    t.expect_err('NOTFOUND', 'oq_accept', '9999', 'a')
    # decline
    t.expect_err('STATE', 'oq_decline', q['sid'], 'a')
    t.expect_err('STATE', 'oq_decline', act['sid'], 'a')
    t.expect_err('STATE', 'oq_decline', wu['sid'], 'a')
    t.expect_err('AGENT', 'oq_decline', o['sid'], 'b')
    # close / abandon / wrapup_done
    t.expect_err('STATE', 'oq_close', cl['sid'], '')
    t.expect_err('STATE', 'oq_close', ab['sid'], '')
    t.expect_err('STATE', 'oq_abandon', act['sid'])
    t.expect_err('STATE', 'oq_abandon', wu['sid'])
    t.expect_err('STATE', 'oq_abandon', cl['sid'])
    t.expect_err('STATE', 'oq_wrapup_done', act['sid'])
    t.expect_err('STATE', 'oq_wrapup_done', q['sid'])
    t.expect_err('STATE', 'oq_wrapup_done', cl['sid'])
    t.expect_err('NOTFOUND', 'oq_wrapup_done', '9999')
    t.expect_err('NOTFOUND', 'oq_close', '9999', '')
    t.expect_err('NOTFOUND', 'oq_abandon', '9999')
    # transcript refuses terminal sessions
    t.expect_err('STATE', 'oq_append', cl['sid'], 'in', 'x', 'text', 'hi')
    t.expect_err('STATE', 'oq_append', ab['sid'], 'in', 'x', 'text', 'hi')
    t.expect_err('NOTFOUND', 'oq_append', '9999', 'in', 'x', 'text', 'hi')


def test_typing_is_an_event_only(h):
    t = lifecycle_tenant(h)
    s = t.enq(skills='en')
    keys_before = sorted(h.r.keys(t.P + ':*'))
    assert t.fc('oq_typing', s['sid'], 'in', 'web:v9') == 'OK'
    assert t.fc('oq_typing', s['sid'], 'out', 'a') == 'OK'
    ev = [e for e in t.events() if e['type'] == 'typing']
    assert [(e['sid'], e['state'], e['from'], e['channel']) for e in ev] == [
        (s['sid'], 'in', 'web:v9', 'web'), (s['sid'], 'out', 'a', 'web')], ev
    assert sorted(h.r.keys(t.P + ':*')) == keys_before            # nothing stored but events
    assert t.fc('oq_transcript', s['sid'], '', '10') == []
    t.expect_err('ARG', 'oq_typing', s['sid'], 'sys', 'x')
    t.expect_err('ARG', 'oq_typing', s['sid'], 'in')
    t.expect_err('ARG', 'oq_typing', s['sid'], 'in', 'x' * 300)
    t.expect_err('NOTFOUND', 'oq_typing', '9999', 'in', 'x')
    t.fc('oq_abandon', s['sid'])
    t.expect_err('STATE', 'oq_typing', s['sid'], 'in', 'x')


def test_append_and_transcript(h):
    t = lifecycle_tenant(h)
    s = t.enq(skills='en')
    ids = []
    for i in range(5):
        ids.append(t.fc('oq_append', s['sid'], ('in', 'out', 'sys')[i % 3], 'who%d' % i, 'text',
                        'msg %d\nline' % i))
    tx = t.fc('oq_transcript', s['sid'], '', '100')
    assert [e[0] for e in tx] == ids
    # each message is announced on the event stream, pointing into the transcript, and a
    # short one carries its author and body (a socket server needs no transcript read)
    ev = [e for e in t.events() if e['type'] == 'message']
    assert [e['id'] for e in ev] == ids and [e['state'] for e in ev] == ['in', 'out', 'sys', 'in', 'out']
    assert all(e['sid'] == s['sid'] and e['channel'] == 'web' for e in ev)
    assert [(e['from'], e['body']) for e in ev] == [('who%d' % i, 'msg %d\nline' % i) for i in range(5)]
    # up to 512 bytes ride along; a longer body stays in the transcript only
    edge = t.fc('oq_append', s['sid'], 'in', 'w', 'text', 'é' * 256)
    long_ = t.fc('oq_append', s['sid'], 'in', 'w', 'text', 'y' * 513)
    ev = {e['id']: e for e in t.events() if e['type'] == 'message'}
    assert ev[edge]['body'] == 'é' * 256 and ev[edge]['from'] == 'w'
    assert 'body' not in ev[long_] and 'from' not in ev[long_], ev[long_]
    assert tx[0][1] == ['dir', 'in', 'from', 'who0', 'type', 'text', 'body', 'msg 0\nline']
    page = t.fc('oq_transcript', s['sid'], ids[1], '2')
    assert [e[0] for e in page] == ids[2:4]
    assert t.fc('oq_transcript', s['sid'], '-', '1')[0][0] == ids[0]
    big = 'x' * 65536
    t.fc('oq_append', s['sid'], 'in', '', 'text', big)
    t.expect_err('ARG', 'oq_append', s['sid'], 'in', '', 'text', big + 'y')
    t.expect_err('ARG', 'oq_append', s['sid'], 'in', '', 'text', 'a\x00b')
    t.expect_err('ARG', 'oq_append', s['sid'], 'up', '', 'text', 'x')
    t.expect_err('ARG', 'oq_append', s['sid'], 'in', '', '', 'x')
    t.expect_err('NOTFOUND', 'oq_transcript', '9999', '', '10')
    # wrapup and active still accept messages
    t.fc('oq_accept', s['sid'], 'a')
    t.fc('oq_append', s['sid'], 'out', 'a', 'text', 'bye')


def test_append_many_answers_each_message(h):
    """oq_append_many: many messages in one call, appended in order, each answered on its own
    (a closed or unknown session refuses its message only); one with a client id is appended
    once, also when it comes twice in one call; a malformed call writes nothing."""
    t = lifecycle_tenant(h)
    a, b, closed = t.enq(skills='en'), t.enq(skills='en'), t.enq(skills='en')
    t.fc('oq_abandon', closed['sid'])
    msgs = [(a['sid'], 'in', 'v1', 'text', 'one', ''), (closed['sid'], 'in', 'v3', 'text', 'late', ''),
            (b['sid'], 'in', 'v2', 'text', 'two', 'c1'), ('9999', 'in', 'v9', 'text', 'lost', ''),
            (a['sid'], 'up', 'v1', 'text', 'bad dir', ''), (b['sid'], 'in', 'v2', 'text', 'a\x00b', ''),
            (b['sid'], 'in', 'v2', 'text', 'two again', 'c1'), (a['sid'], 'in', 'v1', 'text', 'c1', 'c1'),
            (a['sid'], 'in', 'v1', 'text', 'three', ''), (a['sid'], 'in', 'v1', 'text', 'x', 'c' * 65)]
    res = t.fc('oq_append_many', *[x for m in msgs for x in m])
    assert len(res) == len(msgs), res
    errs = [str(r).split(' ')[0] if isinstance(r, Exception) else r[1] for r in res]
    assert errs == ['0', 'OQ_STATE', '0', 'OQ_NOTFOUND', 'OQ_ARG', 'OQ_ARG', '1', '0', '0', 'OQ_ARG'], res
    assert res[6][0] == res[2][0]              # the same client id: the first entry's id
    assert [e[0] for e in t.fc('oq_transcript', a['sid'], '', '10')] == [res[0][0], res[7][0], res[8][0]]
    assert [e[0] for e in t.fc('oq_transcript', b['sid'], '', '10')] == [res[2][0]]
    assert t.fc('oq_transcript', closed['sid'], '', '10') == []
    assert h.r.hgetall(t.P + ':s:' + b['sid'] + ':cids') == {'c1': res[2][0]}
    # announced in the order appended, as oq_append announces; a duplicate is not
    ev = [e for e in t.events() if e['type'] == 'message']
    assert [(e['id'], e['sid'], e['body']) for e in ev] == [
        (res[0][0], a['sid'], 'one'), (res[2][0], b['sid'], 'two'), (res[7][0], a['sid'], 'c1'),
        (res[8][0], a['sid'], 'three')], ev
    # oq_append_once sees the client ids oq_append_many wrote, and the other way round
    assert t.fc('oq_append_once', b['sid'], 'in', 'v2', 'text', 'later', 'c1') == [res[2][0], '1']
    # the call's own shape: 1..64 whole messages, else refused before anything is written
    one = (a['sid'], 'in', 'v1', 'text', 'x', '')
    t.expect_err('ARG', 'oq_append_many')
    t.expect_err('ARG', 'oq_append_many', *one[:5])
    t.expect_err('ARG', 'oq_append_many', *(one * 65))
    assert len(t.fc('oq_append_many', *(one * 64))) == 64


def test_reply_returns_delivery_target(h):
    """oq_reply: appended as 'out', answers what the channel driver needs (one round trip)."""
    t = lifecycle_tenant(h)
    s = t.enq(channel='sms', identity='sms:+8613800000001', skills='en', ext='smsc-7')
    t.fc('oq_accept', s['sid'], 'a')
    rid, channel, ext = t.fc('oq_reply', s['sid'], 'a', 'text', 'on my way')
    assert (channel, ext) == ('sms', 'smsc-7')
    tx = t.fc('oq_transcript', s['sid'], '', '10')
    assert tx[-1][0] == rid and tx[-1][1][:2] == ['dir', 'out']
    t.expect_err('ARG', 'oq_reply', s['sid'], 'a', 'text', '')
    t.expect_err('NOTFOUND', 'oq_reply', '9999', 'a', 'text', 'x')
    t.fc('oq_close', s['sid'], 'resolved')
    if t.state(s['sid']) == 'wrapup':
        t.fc('oq_wrapup_done', s['sid'])
    assert t.state(s['sid']) == 'closed'
    t.expect_err('STATE', 'oq_reply', s['sid'], 'a', 'text', 'too late')


def test_session_set(h):
    t = lifecycle_tenant(h)
    s = t.enq(skills='en')
    t.fc('oq_accept', s['sid'], 'a')
    t.fc('oq_close', s['sid'], 'resolved')
    assert t.fc('oq_session_set', s['sid'], 'csat', '5', 'nps', '9', 'tags', 'vip,refund') == 'OK'
    d = t.sess(s['sid'])
    assert (d['csat'], d['nps'], d['tags']) == ('5', '9', 'vip,refund')
    assert t.cust(s['cid'])['last_csat'] == '5'
    t.expect_err('ARG', 'oq_session_set', s['sid'], 'csat', '6')
    t.expect_err('ARG', 'oq_session_set', s['sid'], 'nps', '11')
    t.expect_err('ARG', 'oq_session_set', s['sid'], 'state', 'queued')
    t.expect_err('ARG', 'oq_session_set', s['sid'], 'tags')
    t.expect_err('NOTFOUND', 'oq_session_set', '9999', 'csat', '1')


def test_position_and_estimated_wait(h):
    t = h.tenant()
    t.agent('a', 'en:1', 'voice=0,chat=1,email=0,total=1')
    first = t.enq(skills='en', queue='sales')
    h.advance(50)
    w = [t.enq(skills='en', queue='sales') for _ in range(3)]
    assert [x['position'] for x in w] == [1, 2, 3]
    h.advance(100)
    t.fc('oq_accept', first['sid'], 'a')
    t.fc('oq_close', first['sid'], '')                 # w0 offered after ~100 ms wait
    assert int(t.stats()['wait_ewma_ms']) > 0
    d1, d2 = t.sess(w[1]['sid']), t.sess(w[2]['sid'])
    assert (d1['position'], d2['position']) == ('1', '2')
    assert 0 < int(d1['est_wait_ms']) <= int(d2['est_wait_ms'])


def test_queue_list_and_get(h):
    t = h.tenant()
    a = [t.enq(queue='sales', skills='zz', priority=p) for p in (1, 9, 5)]
    t.enq(queue='support', skills='zz')
    assert t.fc('oq_queue_list') == ['sales', '3', 'support', '1']
    rows = [dict(zip(r[::2], r[1::2])) for r in t.fc('oq_queue_get', 'sales', '0', '10')]
    assert [r['id'] for r in rows] == [a[1]['sid'], a[2]['sid'], a[0]['sid']]
    assert [r['position'] for r in rows] == ['1', '2', '3']
    assert rows[0]['priority'] == '9' and rows[0]['channel'] == 'web'
    rows = t.fc('oq_queue_get', 'sales', '1', '1')
    assert len(rows) == 1 and dict(zip(rows[0][::2], rows[0][1::2]))['position'] == '2'
    assert t.fc('oq_queue_get', 'empty', '0', '10') == []


def test_stats_counters(h):
    t = h.tenant(offer_timeout=1, wrapup_time=30)
    t.agent('a', 'en:1')
    t.agent('b', 'en:1')
    s1 = t.enq(skills='en')            # → a
    s2 = t.enq(skills='en')            # → b
    s3 = t.enq(skills='zz')            # queued
    t.fc('oq_accept', s1['sid'], s1['agent'])
    t.fc('oq_close', s1['sid'], '')    # wrapup
    t.fc('oq_decline', s2['sid'], s2['agent'])   # → the other agent
    t.fc('oq_abandon', s3['sid'])
    h.advance(1050)
    t.sweep()                          # s2's second offer lapses → missed
    st = t.stats()
    want = {'enqueued': '3', 'accepted': '1', 'declined': '1', 'missed': '1',
            'abandoned': '1', 'closed': '0', 'expired': '0', 'queued': '1',
            'pending_offers': '0', 'active': '0', 'wrapup': '1', 'agents_available': '2'}
    for k, v in want.items():
        assert st[k] == v, (k, st[k], v)
    assert st['offered'] == '3'


def test_max_wait_expires_queued(h):
    t = h.tenant(max_wait=1)
    s = t.enq(skills='zz')
    p = t.enq(skills='zz', channel='email')
    t.fc('oq_abandon', p['sid'])
    h.advance(1050)
    assert t.sweep() == [0, 0, 0, 1]
    assert t.state(s['sid']) == 'expired'
    assert t.stats()['expired'] == '1'
    t.expect_err('STATE', 'oq_abandon', s['sid'])


def test_events_stream(h):
    t = h.tenant(offer_timeout=1)
    t.agent('a', 'en:1')
    s = t.enq(skills='en')
    t.fc('oq_decline', s['sid'], 'a')
    t.agent('b', 'en:1')
    h.advance(1050)
    t.sweep()
    ev = [(e['type'], e['sid'], e['agent'], e['state']) for e in t.events()]
    sid = s['sid']
    assert ev == [
        ('presence', '', 'a', 'available'),
        ('enqueue', sid, '', 'queued'),
        ('offer', sid, 'a', 'offered'),
        ('decline', sid, 'a', 'queued'),
        ('presence', '', 'b', 'available'),
        ('offer', sid, 'b', 'offered'),
        ('miss', sid, 'b', 'queued'),
    ], ev
    assert [e['type'] for e in t.sev(sid)] == ['enqueue', 'offer', 'decline', 'offer', 'miss']
    # one event per state change, in one stream: no stream of its own per session
    assert not h.r.exists(t.P + ':s:%s:ev' % sid)


def test_open_live_joins_the_customers_live_session_on_the_channel(h):
    t = h.tenant(reopen_window=0)
    args = ('web', '', 'web:tabs', '', '0', 'q', 'web:tabs')
    first = t.fc('oq_open_live', *args)
    assert first[1] == 'queued' and first[5] == '0', first
    again = t.fc('oq_open_live', *args)
    assert again[:5] == first[:5] and again[5] == '1', again          # joined, nothing new
    assert t.stats()['enqueued'] == '1'
    # another channel of the same customer is another conversation
    app = t.fc('oq_open_live', 'app', '', 'web:tabs', '', '0', 'q', '')
    assert app[0] != first[0] and app[5] == '0'
    # offered and active are live too; wrap-up and closed are over: the next one is new
    t.agent('a', caps='voice=0,chat=4,email=0,total=4')
    assert t.sess(first[0])['state'] in ('offered',)
    assert t.fc('oq_open_live', *args)[0] == first[0]
    t.fc('oq_accept', first[0], 'a')
    assert t.fc('oq_open_live', *args)[0] == first[0]
    t.cfg(wrapup_time=60)
    t.fc('oq_close', first[0], 'resolved')
    assert t.state(first[0]) == 'wrapup'
    nxt = t.fc('oq_open_live', *args)
    assert nxt[0] != first[0] and nxt[5] == '0', nxt
    t.expect_err('ARG', 'oq_open_live', 'web', '', 'bad identity', '', '0', 'q', '')
    t.expect_err('ARG', 'oq_open_live', *(args + ('only a name',)))
    # claims: labels on a new session, before anyone is offered it; never on one joined
    c = t.fc('oq_open_live', 'web', '', 'web:claims', '', '0', 'q', '', 'Ming', '+8613800138000')
    assert c[5] == '0'
    got = t.sess(c[0])
    assert (got['claimed_name'], got['claimed_contact']) == ('Ming', '+8613800138000'), got
    j = t.fc('oq_open_live', 'web', '', 'web:claims', '', '0', 'q', '', 'Other', '')
    assert j[0] == c[0] and j[5] == '1' and t.sess(c[0])['claimed_name'] == 'Ming'
    assert h.r.hget(t.P + ':ident', 'tel:+8613800138000') is None          # not an identity
    t.expect_err('ARG', 'oq_open_live', 'web', '', 'web:x', '', '0', 'q', '', 'n' * 257, '')


def test_a_waiting_customer_asks_for_a_callback_in_their_own_words(h):
    """A customer waiting on a messaging channel who writes only a callback word ("回电",
    "Call me back!") is made a callback - place kept, leaving is no abandon - to their number
    and told so on their channel; "请不要回电" is no such word; a web visitor with no number
    is not made one; the tenant's own words and reply replace the defaults, '-' turns it off."""
    t = h.tenant()

    def say(ident, channel, text):
        return t.fc('oq_ingest', channel, '', ident, 'en', 0, 'q', '', '', 'text', text, '')

    sms = say('tel:+8613900000001', 'sms', '请不要回电')[0]
    assert h.r.hget(t.P + ':s:' + sms, 'callback_to') is None
    assert say('tel:+8613900000001', 'sms', ' 回电。')[0] == sms
    s = h.r.hgetall(t.P + ':s:' + sms)
    assert s['state'] == 'queued' and s['callback_to'] == 'tel:+8613900000001', s
    outs = [f['body'] for _, f in h.r.xrange(t.P + ':s:%s:tx' % sms) if f['dir'] == 'out']
    assert len(outs) == 1 and '+8613900000001' in outs[0] and '无需等待' in outs[0], outs
    ins = [f['body'] for _, f in h.r.xrange(t.P + ':s:%s:tx' % sms) if f['dir'] == 'in']
    assert ins == ['请不要回电', ' 回电。']             # the agent sees what was asked
    # a second word changes nothing: one callback, one reply
    say('tel:+8613900000001', 'sms', 'callback')
    assert len([1 for _, f in h.r.xrange(t.P + ':s:%s:tx' % sms) if f['dir'] == 'out']) == 1
    t.fc('oq_abandon', sms)
    assert t.state(sms) == 'queued'
    # a web visitor with a known number: called back there; without: not made one, no reply
    t.fc('oq_link', 'web:v1', 'tel:+8613900000002')
    web = say('web:v1', 'web', 'Call me back!')[0]
    assert h.r.hget(t.P + ':s:' + web, 'callback_to') == 'tel:+8613900000002'
    lone = say('web:v2', 'web', 'call me back')[0]
    assert h.r.hget(t.P + ':s:' + lone, 'callback_to') is None
    assert not [1 for _, f in h.r.xrange(t.P + ':s:%s:tx' % lone) if f['dir'] == 'out']
    # the tenant's words and reply
    t.expect_err('ARG', 'oq_callback_words', 'a|' + 'x' * 33, '')
    t.expect_err('ARG', 'oq_callback_words', '|||', '')
    assert t.fc('oq_callback_words', 'Ring Me|打电话', 'We will ring {to}.') == 'OK'
    assert harness.pairs(t.fc('oq_callback_words_get')) == {
        'words': 'ring me|打电话', 'reply': 'We will ring {to}.'}
    mail = say('email:ann@example.com', 'email', '回电')[0]
    assert h.r.hget(t.P + ':s:' + mail, 'callback_to') is None      # not a word any more
    say('email:ann@example.com', 'email', 'ring me.')
    assert h.r.hget(t.P + ':s:' + mail, 'callback_to') == 'email:ann@example.com'
    outs = [f['body'] for _, f in h.r.xrange(t.P + ':s:%s:tx' % mail) if f['dir'] == 'out']
    assert outs == ['We will ring ann@example.com.'], outs
    assert t.fc('oq_callback_words', '-', '') == 'OK'
    other = say('email:bob@example.com', 'email', 'ring me')[0]
    assert h.r.hget(t.P + ':s:' + other, 'callback_to') is None
    assert t.fc('oq_callback_words', '', '-') == 'OK'                # default words, no reply
    got = harness.pairs(t.fc('oq_callback_words_get'))
    assert got['words'].startswith('回电|') and got['reply'] == '', got
    say('email:bob@example.com', 'email', '回电')
    assert h.r.hget(t.P + ':s:' + other, 'callback_to') == 'email:bob@example.com'
    assert not [1 for _, f in h.r.xrange(t.P + ':s:%s:tx' % other) if f['dir'] == 'out']
