"""oq_ingest: a customer's message on a messaging channel finds the customer's live session
on that channel, or opens (reopens) one, in one call; a retried delivery is appended once."""

from harness import snapshot, diff_snap


def ingest(t, identity, body, channel='line', cid='', frm='', cls='chat', skills='',
           queue='q', ext=''):
    r = t.fc('oq_ingest', channel, cls, identity, skills, 0, queue, ext, frm, 'text', body, cid)
    return {'sid': r[0], 'state': r[1], 'agent': r[2], 'position': int(r[3]),
            'cid': r[4], 'id': r[5], 'how': r[6]}


def served(t, identity, text):
    """alice takes the session a first message opens and closes it; that message's reply."""
    t.agent('alice')
    a = ingest(t, identity, text)
    t.fc('oq_accept', a['sid'], 'alice')
    t.fc('oq_close', a['sid'], 'resolved')
    return a


def tx(t, sid):
    return [(f['dir'], f['from'], f['body']) for _, f in t.r.xrange('%s:s:%s:tx' % (t.P, sid))]


def test_first_message_opens_and_routes_the_rest_join_it(h):
    t = h.tenant()
    t.agent('alice', 'sales:5')
    a = ingest(t, 'web:line-u1', 'hello', skills='sales', ext='conv-1')
    assert a['how'] == '2' and a['state'] == 'offered' and a['agent'] == 'alice', a
    s = t.sess(a['sid'])
    assert (s['channel'], s['class'], s['skills'], s['ext'], s['identity']) == \
        ('line', 'chat', 'sales', 'conv-1', 'web:line-u1'), s
    b = ingest(t, 'web:line-u1', 'are you there?', frm='Ulla')
    assert b['how'] == '0' and b['sid'] == a['sid'] and b['cid'] == a['cid'], b
    assert b['id'] > a['id']
    assert tx(t, a['sid']) == [('in', 'web:line-u1', 'hello'), ('in', 'Ulla', 'are you there?')]
    # each message is an event for the desks, with its transcript id
    msgs = [e for e in t.events() if e['type'] == 'message' and e['sid'] == a['sid']]
    assert [e['id'] for e in msgs] == [a['id'], b['id']]
    assert all(e['state'] == 'in' and e['channel'] == 'line' and e['ext'] == 'conv-1'
               for e in msgs)
    # one session, one enqueue
    assert t.stats()['enqueued'] == '1'
    # the same customer on another channel is another session; another customer too
    c = ingest(t, 'web:line-u1', 'hi', channel='chat2')
    d = ingest(t, 'web:line-u2', 'hi')
    assert c['how'] == d['how'] == '2' and len({a['sid'], c['sid'], d['sid']}) == 3
    assert c['cid'] == a['cid'] != d['cid']


def test_phone_and_sms_numbers_reach_the_same_live_session(h):
    t = h.tenant()
    a = ingest(t, 'sms:+8613800000001', 'one', channel='sms', cls='')
    b = ingest(t, 'tel:+86 138-0000-0001', 'two', channel='sms', cls='')
    assert b['sid'] == a['sid'] and b['how'] == '0' and a['state'] == 'queued'
    assert b['position'] == 1


def test_an_ended_session_takes_no_more_the_next_message_opens_one(h):
    t = h.tenant()
    a = served(t, 'web:u-end', 'first')
    b = ingest(t, 'web:u-end', 'again')
    assert b['how'] == '2' and b['sid'] != a['sid'], b
    assert tx(t, a['sid']) == [('in', 'web:u-end', 'first')]
    assert tx(t, b['sid']) == [('in', 'web:u-end', 'again')]


def test_wrapup_is_still_the_live_session(h):
    t = h.tenant(wrapup_time=30)
    a = served(t, 'web:u-wu', 'first')
    assert t.state(a['sid']) == 'wrapup'
    b = ingest(t, 'web:u-wu', 'one more thing')
    assert b['sid'] == a['sid'] and b['how'] == '0' and b['state'] == 'wrapup'


def test_within_the_reopen_window_the_closed_session_reopens(h):
    t = h.tenant(reopen_window=60)
    a = served(t, 'web:u-re', 'first')
    b = ingest(t, 'web:u-re', 'it broke again')
    assert b['sid'] == a['sid'] and b['how'] == '2' and b['state'] == 'offered'
    assert b['agent'] == 'alice'
    assert [m[2] for m in tx(t, a['sid'])] == ['first', 'it broke again']


def test_a_retried_delivery_is_appended_once(h):
    t = h.tenant()
    t.agent('alice')
    a = ingest(t, 'web:u-dup', 'hello', cid='m-1')
    before = snapshot(t.r, t.P)
    again = ingest(t, 'web:u-dup', 'hello', cid='m-1')
    assert (again['sid'], again['id'], again['how']) == (a['sid'], a['id'], '1'), again
    assert diff_snap(before, snapshot(t.r, t.P)) == []
    b = ingest(t, 'web:u-dup', 'second', cid='m-2')
    assert b['how'] == '0' and b['id'] != a['id']
    # the session ends; a late retry of a message it took opens nothing
    t.fc('oq_accept', a['sid'], 'alice')
    t.fc('oq_close', a['sid'], 'resolved')
    before = snapshot(t.r, t.P)
    late = ingest(t, 'web:u-dup', 'second', cid='m-2')
    assert (late['sid'], late['id'], late['how'], late['state']) == \
        (a['sid'], b['id'], '1', 'closed'), late
    assert diff_snap(before, snapshot(t.r, t.P)) == []
    # a new message does
    c = ingest(t, 'web:u-dup', 'new topic', cid='m-3')
    assert c['how'] == '2' and c['sid'] != a['sid']
    # without a cid nothing is de-duplicated (the channel has no ids)
    assert ingest(t, 'web:u-dup', 'x')['id'] != ingest(t, 'web:u-dup', 'x')['id']


def test_a_merged_customers_identity_reaches_the_live_session(h):
    t = h.tenant()
    x = ingest(t, 'web:mx', 'from x')
    y = t.enq(channel='email', identity='email:my@example.com')
    assert t.fc('oq_merge', y['cid'], x['cid']) == 'OK'
    t.fc('oq_link', 'web:mx', 'email:my2@example.com')
    a = ingest(t, 'email:my@example.com', 'mail one', channel='email', cls='')
    assert a['sid'] == y['sid'] and a['how'] == '0' and a['cid'] == x['cid'], a


def test_refusals_write_nothing(h):
    t = h.tenant()
    good = ['line', 'chat', 'web:r1', '', 0, 'q', '', '', 'text', 'hello', '']

    def bad(code, i, v):
        args = list(good)
        args[i] = v
        return t.expect_err(code, 'oq_ingest', *args)

    bad('ARG', 0, 'Line!')                  # channel name
    bad('ARG', 1, 'voice2')                 # class
    bad('ARG', 1, 'voice')                  # calls are not messages
    bad('ARG', 2, 'nobody')                 # identity without a scheme
    bad('ARG', 3, 'Bad Skill')
    bad('ARG', 4, 1001)
    bad('ARG', 5, 'q q')
    bad('ARG', 6, 'x' * 257)                # ext
    bad('ARG', 7, 'f' * 257)                # from
    bad('ARG', 9, '')                       # empty body
    bad('ARG', 9, 'x' * (64 * 1024 + 1))    # oversized body
    bad('ARG', 10, 'c' * 65)                # cid
    t.expect_err('ARG', 'oq_ingest', *good[:10])
    # a built-in channel with another class is a caller bug
    args = list(good)
    args[0], args[1] = 'email', 'chat'
    t.expect_err('ARG', 'oq_ingest', *args)
    args[0], args[1] = 'phone', ''
    t.expect_err('ARG', 'oq_ingest', *args)
    # and the good call works, so the refusals were about the one argument
    assert ingest(t, 'web:r1', 'hello')['how'] == '2'
