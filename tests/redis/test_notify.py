"""What the app channel needs from the core: messages a client may resend (oq_append_once),
presence leases (oq_presence, oq_online) and the notification outbox (oq_outbox_add,
oq_outbox_forget)."""

import harness


def _open(t):
    return t.enq(channel='app', identity='app:u1', ext='app:u1')['sid']


def test_append_once_appends_a_client_id_once(h):
    t = h.tenant()
    sid = _open(t)
    tx = t.P + ':s:%s:tx' % sid
    first = t.fc('oq_append_once', sid, 'in', 'app:u1', 'text', 'hello', 'c-1')
    assert first[1] == '0' and first[0]
    assert h.r.xlen(tx) == 1
    n_events = len(t.events())
    # the resend after a lost ack: same id back, nothing written, no event
    again = t.fc('oq_append_once', sid, 'in', 'app:u1', 'text', 'hello', 'c-1')
    assert again == [first[0], '1'], again
    assert h.r.xlen(tx) == 1
    assert len(t.events()) == n_events
    # another client id is another message; the first one still answers with its id
    second = t.fc('oq_append_once', sid, 'in', 'app:u1', 'text', 'hello', 'c-2')
    assert second[1] == '0' and second[0] != first[0]
    assert h.r.xlen(tx) == 2
    assert t.fc('oq_append_once', sid, 'in', 'app:u1', 'text', 'x', 'c-1') == [first[0], '1']
    assert [f['body'] for _, f in h.r.xrange(tx)] == ['hello', 'hello']
    # a client id belongs to its session: the same cid in another session is new there
    t.fc('oq_close', sid, 'resolved')
    other = t.enq(channel='app', identity='app:u2')['sid']
    assert t.fc('oq_append_once', other, 'in', 'app:u2', 'text', 'hi', 'c-1')[1] == '0'


def test_append_once_refusals_write_nothing(h):
    t = h.tenant()
    sid = _open(t)
    t.expect_err('ARG', 'oq_append_once', sid, 'in', 'app:u1', 'text', 'hello', '')
    t.expect_err('ARG', 'oq_append_once', sid, 'in', 'app:u1', 'text', 'hello', 'c' * 65)
    t.expect_err('ARG', 'oq_append_once', sid, 'sideways', 'app:u1', 'text', 'hello', 'c-1')
    t.expect_err('ARG', 'oq_append_once', sid, 'in', 'app:u1', 'text', '', 'c-1')
    t.expect_err('ARG', 'oq_append_once', sid, 'in', 'app:u1', 'text', 'hello')
    t.expect_err('NOTFOUND', 'oq_append_once', '999', 'in', 'app:u1', 'text', 'hello', 'c-1')
    t.fc('oq_close', sid, 'resolved')
    # an ended session takes no new message, and remembers no client id for it
    t.expect_err('STATE', 'oq_append_once', sid, 'in', 'app:u1', 'text', 'late', 'c-9')
    assert not h.r.hexists(t.P + ':s:%s:cids' % sid, 'c-9')


def test_presence_leases_count_until_they_lapse_or_end(h):
    t = h.tenant()
    assert t.fc('oq_online', 'app:u1') == 0
    assert t.fc('oq_presence', 60000, 'app:u1', 'p1.1', 'app:u1', 'p1.2', 'app:u2', 'p2.1') == 'OK'
    assert t.fc('oq_online', 'app:u1') == 2
    assert t.fc('oq_online', 'app:u2') == 1
    # a renewal is not a second connection
    t.fc('oq_presence', 60000, 'app:u1', 'p1.1')
    assert t.fc('oq_online', 'app:u1') == 2
    # one ends
    t.fc('oq_presence', 0, 'app:u1', 'p1.1')
    assert t.fc('oq_online', 'app:u1') == 1
    # a lease that is not renewed lapses (its server died): 1 s, the shortest
    t.fc('oq_presence', 1000, 'app:u3', 'dead.1')
    assert t.fc('oq_online', 'app:u3') == 1
    h.advance(1200)
    assert t.fc('oq_online', 'app:u3') == 0
    # and the key does not outlive its longest lease
    assert h.r.pttl(t.P + ':online:app:u2') <= 60000
    # a reader: runs through FCALL_RO
    assert h.r.execute_command('FCALL_RO', 'oq_online', 1, t.P, 'app:u2') == 1


def test_presence_refusals_write_nothing(h):
    t = h.tenant()
    t.expect_err('ARG', 'oq_presence', 60000)
    t.expect_err('ARG', 'oq_presence', 60000, 'app:u1')
    t.expect_err('ARG', 'oq_presence', 999, 'app:u1', 'c')
    t.expect_err('ARG', 'oq_presence', 600001, 'app:u1', 'c')
    t.expect_err('ARG', 'oq_presence', 'soon', 'app:u1', 'c')
    t.expect_err('ARG', 'oq_presence', 60000, '', 'c')
    t.expect_err('ARG', 'oq_presence', 60000, 'app:u1', 'c' * 129)
    # a bad pair anywhere refuses the whole call
    t.expect_err('ARG', 'oq_presence', 60000, 'app:u1', 'c1', 'app:u2', '')
    args = []
    for i in range(1001):
        args += ['app:u%d' % i, 'c']
    t.expect_err('ARG', 'oq_presence', 60000, *args)
    t.expect_err('ARG', 'oq_online')


def test_outbox_add_unless_online(h):
    t = h.tenant()
    key = t.P + ':outbox'
    eid = t.fc('oq_outbox_add', 'push', 'app', 'app:u1', '{"text":"hi"}')
    assert eid and h.r.xlen(key) == 1
    (got_id, f), = h.r.xrange(key)
    assert got_id == eid
    assert f['kind'] == 'push' and f['target'] == 'app' and f['payload'] == '{"text":"hi"}'
    assert int(f['at']) > 0
    # the user connects: nothing is queued for it while its lease lives
    t.fc('oq_presence', 60000, 'app:u1', 'p.1')
    assert t.fc('oq_outbox_add', 'push', 'app', 'app:u1', '{"text":"again"}') == ''
    assert h.r.xlen(key) == 1
    # someone else, or nobody to ask about: queued
    assert t.fc('oq_outbox_add', 'push', 'app', 'app:u2', '{}')
    assert t.fc('oq_outbox_add', 'webhook', 'sms2', '', '{}')
    assert h.r.xlen(key) == 3


def test_outbox_refusals_write_nothing(h):
    t = h.tenant()
    t.expect_err('ARG', 'oq_outbox_add', '', 'app', '', '{}')
    t.expect_err('ARG', 'oq_outbox_add', 'k' * 33, 'app', '', '{}')
    t.expect_err('ARG', 'oq_outbox_add', 'push', 'app', '', '')
    t.expect_err('ARG', 'oq_outbox_add', 'push', 'app', '', 'x' * 524289)
    t.expect_err('ARG', 'oq_outbox_add', 'push', 'app', '')
    # a full outbox (its receiver down for long) refuses instead of growing without bound
    key = t.P + ':outbox'
    pipe = h.r.pipeline(transaction=False)
    for i in range(100000):
        pipe.xadd(key, {'kind': 'push', 'target': 'app', 'payload': '{}', 'at': '0'})
    pipe.execute()
    msg = t.expect_err('STATE', 'oq_outbox_add', 'push', 'app', '', '{}')
    assert 'outbox full' in msg


def test_outbox_forget_removes_idle_senders_with_nothing_pending(h):
    t = h.tenant()
    key = t.P + ':outbox'
    assert t.fc('oq_outbox_forget', 'me:1', '0') == []       # no outbox, no group yet
    t.fc('oq_outbox_add', 'webhook', 'line', '', '{"n":1}')
    h.r.xgroup_create(key, 'senders', id='0')
    assert t.fc('oq_outbox_forget', 'me:1', '0') == []       # a group without consumers
    for c in ('me:1', 'gone:2', 'busy:3'):
        h.r.xgroup_createconsumer(key, 'senders', c)
    assert len(h.r.xreadgroup('senders', 'busy:3', {key: '>'}, count=1)[0][1]) == 1
    # consumers' idle times are Redis' own clock: wait until gone:2 has been idle 10 ms
    harness.wait_until(lambda: all(c['idle'] >= 10 for c in h.r.xinfo_consumers(key, 'senders')),
                       'the consumers to be idle 10 ms')
    # idle for less than asked: all stay
    assert t.fc('oq_outbox_forget', 'me:1', '60000') == []
    # the caller's own and the one holding a pending entry stay; the other goes
    gone = t.fc('oq_outbox_forget', 'me:1', '10')
    assert gone[0] == 'gone:2' and int(gone[1]) >= 10 and len(gone) == 2, gone
    names = {c['name']: c['pending'] for c in h.r.xinfo_consumers(key, 'senders')}
    assert names == {'me:1': 0, 'busy:3': 1}, names
    # the pending entry claimed by another sender: then busy:3 holds nothing and goes too
    h.r.xclaim(key, 'senders', 'me:1', 0, [h.r.xpending_range(key, 'senders', '-', '+', 1)[0]['message_id']])
    assert t.fc('oq_outbox_forget', 'me:1', '0')[0::2] == ['busy:3']
    assert [c['name'] for c in h.r.xinfo_consumers(key, 'senders')] == ['me:1']
    assert h.r.xlen(key) == 1                                 # the entry itself stays


def test_outbox_forget_refusals_write_nothing(h):
    t = h.tenant()
    key = t.P + ':outbox'
    t.fc('oq_outbox_add', 'webhook', 'line', '', '{}')
    h.r.xgroup_create(key, 'senders', id='0')
    h.r.xgroup_createconsumer(key, 'senders', 'gone:2')
    for args in [(), ('me:1',), ('', '0'), ('me:1', '-1'), ('me:1', 'soon'), ('x' * 257, '0'),
                 ('me:1', '0', 'more')]:
        t.expect_err('ARG', 'oq_outbox_forget', *args)
    assert [c['name'] for c in h.r.xinfo_consumers(key, 'senders')] == ['gone:2']
