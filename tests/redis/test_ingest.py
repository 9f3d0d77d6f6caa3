"""oq_ingest: a customer's message on a messaging channel finds the customer's live session
on that channel, or opens (reopens) one, in one call; a retried delivery is appended once."""

from harness import snapshot, diff_snap


def ingest(t, identity, body, channel='line', cid='', frm='', cls='chat', skills='',
           queue='q', ext='', thread=None):
    args = [channel, cls, identity, skills, 0, queue, ext, frm, 'text', body, cid]
    r = t.fc('oq_ingest', *(args + ([thread] if thread is not None else [])))
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
    t.expect_err('ARG', 'oq_ingest', *(good + ['x1']))       # thread: 'new' or a sid
    t.expect_err('ARG', 'oq_ingest', *(good + ['1' * 21]))
    t.expect_err('ARG', 'oq_ingest', *(good + ['', '']))
    # a built-in channel with another class is a caller bug
    args = list(good)
    args[0], args[1] = 'email', 'chat'
    t.expect_err('ARG', 'oq_ingest', *args)
    args[0], args[1] = 'phone', ''
    t.expect_err('ARG', 'oq_ingest', *args)
    # and the good call works, so the refusals were about the one argument
    assert ingest(t, 'web:r1', 'hello')['how'] == '2'


def mail(t, sender, body, thread, cid='', **kw):
    return ingest(t, 'email:' + sender, body, channel='email', cls='', cid=cid, thread=thread,
                  frm=sender, **kw)


def test_a_thread_keeps_mails_apart_and_together(h):
    """email: a new mail opens its own session even while another is live; a reply joins
    the session it answers, whichever is the latest; '' keeps ingest's old behaviour."""
    t = h.tenant()
    a = mail(t, 'li@example.cn', 'invoice wrong', 'new')
    b = mail(t, 'li@example.cn', 'delivery late', 'new')
    assert a['how'] == b['how'] == '2' and a['sid'] != b['sid'] and a['cid'] == b['cid']
    re_a = mail(t, 'li@example.cn', 'Re: invoice: here is the number', a['sid'])
    assert (re_a['sid'], re_a['how']) == (a['sid'], '0'), re_a
    assert [m[2] for m in tx(t, a['sid'])] == ['invoice wrong', 'Re: invoice: here is the number']
    assert [m[2] for m in tx(t, b['sid'])] == ['delivery late']
    # no thread given: the latest live session on the channel, as before
    c = mail(t, 'li@example.cn', 'plain', '')
    assert c['sid'] == b['sid'] and c['how'] == '0'
    # a colleague answering the thread joins it, in their own name
    d = mail(t, 'wang@example.cn', 'I can confirm', a['sid'])
    assert (d['sid'], d['how'], d['cid']) == (a['sid'], '0', a['cid']), d
    assert tx(t, a['sid'])[-1] == ('in', 'wang@example.cn', 'I can confirm')


def test_a_reply_to_an_ended_thread_reopens_it_or_opens_a_new_one(h):
    t = h.tenant(reopen_window=60)
    t.agent('alice')
    a = mail(t, 'zhao@example.cn', 'first question', 'new')
    t.fc('oq_accept', a['sid'], 'alice')
    t.fc('oq_close', a['sid'], 'resolved')
    b = mail(t, 'zhao@example.cn', 'second topic', 'new')       # new: never reopens
    assert b['sid'] != a['sid'] and b['how'] == '2'
    t.fc('oq_accept', b['sid'], 'alice')
    t.fc('oq_close', b['sid'], 'resolved')
    # the answer to the first thread reopens the first, not the latest
    r = mail(t, 'zhao@example.cn', 'Re: first question: still broken', a['sid'])
    assert (r['sid'], r['how'], r['state'], r['agent']) == (a['sid'], '2', 'offered', 'alice'), r
    # outside the window (no reopen_window here): a new session
    u = h.tenant()
    x = mail(u, 'qian@example.cn', 'q', 'new')
    u.fc('oq_abandon', x['sid'])
    y = mail(u, 'qian@example.cn', 'Re: q', x['sid'])
    assert y['sid'] != x['sid'] and y['how'] == '2'


def test_a_thread_of_another_channel_or_gone_is_a_new_mail(h):
    t = h.tenant()
    chat = ingest(t, 'email:sun@example.cn', 'chat about it')          # channel line
    live = mail(t, 'sun@example.cn', 'mail one', 'new')
    for thread in (chat['sid'], '99999'):
        m = mail(t, 'sun@example.cn', 'mail answering %s' % thread, thread)
        assert m['how'] == '2' and m['sid'] not in (chat['sid'], live['sid']), m


def test_a_redelivered_mail_is_stored_once_whatever_its_thread(h):
    """An MTA that retries (its connection dropped after we stored): the Message-ID as cid
    finds the first delivery, on the thread or on the customer's latest session."""
    t = h.tenant()
    a = mail(t, 'zhou@example.cn', 'new one', 'new', cid='mid-1')
    before = snapshot(t.r, t.P)
    again = mail(t, 'zhou@example.cn', 'new one', 'new', cid='mid-1')
    assert (again['sid'], again['id'], again['how']) == (a['sid'], a['id'], '1')
    assert diff_snap(before, snapshot(t.r, t.P)) == []
    b = mail(t, 'zhou@example.cn', 'other', 'new', cid='mid-2')
    r = mail(t, 'zhou@example.cn', 'Re: new one', a['sid'], cid='mid-3')
    before = snapshot(t.r, t.P)
    r2 = mail(t, 'zhou@example.cn', 'Re: new one', a['sid'], cid='mid-3')
    assert (r2['sid'], r2['id'], r2['how']) == (a['sid'], r['id'], '1') and b['sid'] != a['sid']
    assert diff_snap(before, snapshot(t.r, t.P)) == []
