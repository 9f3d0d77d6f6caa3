"""What the app channel needs from the core: messages a client may resend (oq_append_once),
presence leases (oq_presence, oq_online; a push only to a user without one is
test_outbound.py's)."""

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
