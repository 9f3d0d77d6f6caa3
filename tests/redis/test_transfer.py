"""oq_transfer: an agent hands an active session on, to a named agent or to a queue."""


from harness import TWO42


def active(t, aid, **kw):
    """A session enqueued while only `aid` can take it, offered to aid and accepted."""
    s = t.enq(**kw)
    assert s['agent'] == aid, s
    t.fc('oq_accept', s['sid'], aid)
    return s


def x_set(t, sid):
    return t.r.smembers('%s:s:%s:x' % (t.P, sid))


def last_tx(t, sid):
    return dict(zip(*[iter(t.fc('oq_transcript', sid, '', '1000')[-1][1])] * 2))


def test_transfer_to_agent(h):
    t = h.tenant(offer_timeout=30)
    t.agent('a', 'en:5')
    s = active(t, 'a', skills='en', queue='sales', priority=3, ext='thread-9')
    sid = s['sid']
    t.agent('b', 'fr:2')                        # no 'en': a colleague's choice, not routing
    before = t.sess(sid)
    ewma = t.stats()['wait_ewma_ms']
    assert t.fc('oq_transfer', sid, 'a', 'agent', 'b', '') == [sid, 'offered', 'b']
    d = t.sess(sid)
    assert (d['state'], d['agent'], d['offers']) == ('offered', 'b', '2')
    assert int(d['offer_exp']) == int(d['updated']) + 30000
    assert h.r.zscore(t.P + ':offers', sid) == int(d['offer_exp'])
    for k in ('enq', 'priority', 'queue', 'skills', 'customer', 'ext', 'created'):
        assert d[k] == before[k], k
    assert d['transfer_at'] == d['updated']
    assert x_set(t, sid) == {'a'}
    a, b = t.ag('a'), t.ag('b')
    assert (a['load:chat'], a['load:total'], a['sessions']) == ('0', '0', '')
    assert (b['load:chat'], b['load:total'], b['sessions']) == ('1', '1', sid)
    st = t.stats()
    assert (st['transferred'], st['offered'], st['accepted']) == ('1', '2', '1')
    assert st['wait_ewma_ms'] == ewma            # no queue wait to learn from
    tx = last_tx(t, sid)
    assert tx == {'dir': 'sys', 'from': 'a', 'type': 'transfer', 'body': 'transferred by a to agent b'}
    ev = [(e['type'], e['agent'], e['state']) for e in t.events() if e['sid'] == sid]
    assert ev[-3:] == [('message', '', 'sys'), ('transfer', 'a', 'offered'), ('offer', 'b', 'offered')], ev
    tev = [e for e in t.events() if e['type'] == 'transfer'][0]
    assert (tev['channel'], tev['ext']) == ('web', 'thread-9')
    assert [(e['type'], e['state'], e['agent']) for e in t.sev(sid)][-2:] == \
        [('transfer', 'offered', 'a'), ('offer', 'offered', 'b')]
    # b takes it; the customer's last agent is b now
    t.fc('oq_accept', sid, 'b')
    assert t.cust(s['cid'])['last_agent'] == 'b'
    assert t.fc('oq_agent_sessions', 'b')[0][1] == sid


def test_transfer_to_agent_declined_never_back_to_sender(h):
    t = h.tenant(affinity_window=3600)
    t.agent('a', 'en:9')
    s = active(t, 'a', skills='en')
    sid = s['sid']
    t.agent('b', 'en:1')
    t.fc('oq_transfer', sid, 'a', 'agent', 'b', '')
    # a is free, skilled, the customer's last agent and the best level: still not a again
    assert t.fc('oq_decline', sid, 'b') == [sid, 'queued', '']
    assert x_set(t, sid) == {'a', 'b'}
    assert t.sess(sid)['queue'] == 'q'
    t.agent('c', 'en:1')
    assert t.sess(sid)['agent'] == 'c'
    # the same after a lapse (oq_miss follows the sweep's rules)
    s2 = active(t, 'a', skills='en', identity='web:other')
    t.fc('oq_transfer', s2['sid'], 'a', 'agent', 'b', '')
    assert t.fc('oq_miss', s2['sid'], 'b', '0') == [s2['sid'], 'offered', 'c']   # a ranks first


def test_transfer_to_agent_who_declined_it_before(h):
    """An explicit transfer may name an agent that once declined the session; routing never does."""
    t = h.tenant()
    t.agent('b', 'en:9')
    s = t.enq(skills='en')
    sid = s['sid']
    assert s['agent'] == 'b'
    t.agent('a', 'en:1')
    assert t.fc('oq_decline', sid, 'b') == [sid, 'offered', 'a']
    t.fc('oq_accept', sid, 'a')
    assert t.fc('oq_transfer', sid, 'a', 'agent', 'b', '') == [sid, 'offered', 'b']
    assert x_set(t, sid) == {'a', 'b'}


def test_transfer_releases_sender_who_pulls_next(h):
    t = h.tenant()
    t.agent('a', 'en:5', 'voice=0,chat=1,email=0,total=1')
    s = active(t, 'a', skills='en')
    w = t.enq(skills='en')
    assert w['state'] == 'queued'
    t.agent('b', 'fr:5', 'voice=0,chat=1,email=0,total=1')
    assert t.ag('b')['load:total'] == '0'
    assert t.fc('oq_transfer', s['sid'], 'a', 'agent', 'b', '') == [s['sid'], 'offered', 'b']
    assert t.sess(w['sid'])['agent'] == 'a'
    ev = [(e['type'], e['sid'], e['agent']) for e in t.events() if e['type'] in ('transfer', 'offer')]
    assert ev[-3:] == [('transfer', s['sid'], 'a'), ('offer', s['sid'], 'b'), ('offer', w['sid'], 'a')]


def test_transfer_of_a_call_reopens_chat_under_voice_exclusive(h):
    t = h.tenant(policy='voice_exclusive')
    t.agent('a', 'en:5', 'voice=1,chat=2,email=0,total=3')
    call = active(t, 'a', channel='phone', identity='phone:+100', skills='en')
    chats = [t.enq(skills='en') for _ in range(2)]
    assert [c['state'] for c in chats] == ['queued', 'queued']
    t.agent('b', 'en:5', 'voice=1,chat=0,email=0,total=1')
    assert t.fc('oq_transfer', call['sid'], 'a', 'agent', 'b', '') == [call['sid'], 'offered', 'b']
    assert [t.sess(c['sid'])['agent'] for c in chats] == ['a', 'a']


def test_transfer_to_agent_refused_without_room(h):
    t = h.tenant()
    t.agent('a', 'en:5')
    call = active(t, 'a', channel='phone', identity='phone:+100', skills='en')
    s = active(t, 'a', skills='en')
    sid = s['sid']
    t.agent('away', 'en:5', presence='away')
    t.agent('off', 'en:5', presence='offline')
    t.agent('nochat', 'en:5', 'voice=1,chat=0,email=8,total=10')
    t.agent('fullchat', 'fc:5', 'voice=0,chat=1,email=0,total=10')
    t.agent('fulltotal', 'ft:5', 'voice=0,chat=5,email=5,total=1')
    assert t.enq(skills='fc')['agent'] == 'fullchat'          # fills its one chat slot
    assert t.enq(skills='ft')['agent'] == 'fulltotal'         # fills its one slot in all
    for target, why in (('away', 'is away'), ('off', 'is offline'), ('nochat', 'no free chat'),
                        ('fullchat', 'no free chat'), ('fulltotal', 'no free chat')):
        msg = t.expect_err('CAPACITY', 'oq_transfer', sid, 'a', 'agent', target, '')
        assert why in msg, (target, msg)
    # voice_exclusive: an agent on a call has no chat room (the rule routing uses)
    t.agent('oncall', 'oc:5', 'voice=1,chat=4,email=0,total=5')
    assert t.enq(channel='phone', identity='phone:+200', skills='oc')['agent'] == 'oncall'
    t.fc('oq_config', 'policy', 'voice_exclusive')
    t.expect_err('CAPACITY', 'oq_transfer', sid, 'a', 'agent', 'oncall', '')
    t.fc('oq_config', 'policy', 'blended')
    assert t.fc('oq_transfer', sid, 'a', 'agent', 'oncall', '') == [sid, 'offered', 'oncall']
    assert t.ag('a')['sessions'] == call['sid']


def test_transfer_to_queue(h):
    t = h.tenant()
    t.agent('a', 'en:5')
    s = active(t, 'a', skills='en', queue='sales', priority=4)
    sid = s['sid']
    h.advance(10)
    later = t.enq(skills='billing,en', queue='billing', priority=4)   # nobody has billing
    before = t.sess(sid)
    assert t.fc('oq_transfer', sid, 'a', 'queue', 'billing', 'billing,en') == [sid, 'queued', '']
    d = t.sess(sid)
    assert (d['state'], d['agent'], d['offer_exp'], d['queue'], d['skills']) == \
        ('queued', '', '', 'billing', 'billing,en')
    for k in ('enq', 'priority', 'customer', 'ext', 'created', 'offers'):
        assert d[k] == before[k], k
    assert d['transfer_at'] == d['updated']
    # seniority: ahead of the later arrival, with the score of its original enq
    assert d['position'] == '1' and t.sess(later['sid'])['position'] == '2'
    assert h.r.zscore(t.P + ':q:billing', sid) == (1000 - 4) * TWO42 + int(before['enq'])
    assert h.r.zscore(t.P + ':q:sales', sid) is None
    assert 'billing' in h.r.smembers(t.P + ':queues')
    assert x_set(t, sid) == {'a'}
    assert t.ag('a')['load:total'] == '0' and t.ag('a')['sessions'] == ''
    assert t.stats()['transferred'] == '1' and t.stats()['queued'] == '2'
    assert last_tx(t, sid)['body'] == 'transferred by a to queue billing'
    ev = [(e['type'], e['agent'], e['state']) for e in t.events() if e['sid'] == sid]
    assert ev[-2:] == [('message', '', 'sys'), ('transfer', 'a', 'queued')], ev
    assert (t.sev(sid)[-1]['type'], t.sev(sid)[-1]['state']) == ('transfer', 'queued')
    # the first agent with the skills gets it first (its seniority), never a
    t.fc('oq_agent_set', 'a', 'a', 'en:5,billing:9', 'voice=1,chat=4,email=8,total=10', '')
    assert t.sess(sid)['state'] == 'queued' and t.sess(later['sid'])['agent'] == 'a'
    t.agent('b', 'billing:1,en:1')
    assert t.sess(sid)['agent'] == 'b'


def test_transfer_to_queue_matched_at_once(h):
    t = h.tenant()
    t.agent('a', 'en:9')
    s = active(t, 'a', skills='en')
    sid = s['sid']
    t.agent('b', 'en:1')
    assert t.fc('oq_transfer', sid, 'a', 'queue', 'support', '') == [sid, 'offered', 'b']
    d = t.sess(sid)
    assert d['skills'] == 'en' and d['queue'] == 'support'     # "" kept the skills
    ev = [(e['type'], e['agent'], e['state']) for e in t.events() if e['sid'] == sid]
    assert ev[-2:] == [('transfer', 'a', 'queued'), ('offer', 'b', 'offered')], ev
    assert [e['type'] for e in t.sev(sid)][-2:] == ['transfer', 'offer']
    # "" is the default queue, as for enqueue; only a is left with room, and a passed it on
    t.fc('oq_accept', sid, 'b')
    assert t.fc('oq_transfer', sid, 'b', 'queue', '', '') == [sid, 'queued', '']
    assert t.sess(sid)['queue'] == 'default'
    assert int(t.ag('a')['load:total']) == 0 and t.state(sid) == 'queued'


def test_transfer_to_queue_wait_counts_from_transfer(h):
    t = h.tenant(max_wait=1)
    t.agent('a', 'en:5')
    s = active(t, 'a', skills='en')
    sid = s['sid']
    h.advance(1100)                              # talked longer than max_wait
    t.fc('oq_transfer', sid, 'a', 'queue', 'q', 'zz')
    d = t.sess(sid)
    assert h.r.zscore(t.P + ':qx', sid) == int(d['transfer_at']) + 1000
    assert int(d['est_wait_ms']) >= 0
    assert t.sweep() == [0, 0, 0, 0] and t.state(sid) == 'queued'
    h.advance(1050)
    assert t.sweep() == [0, 0, 0, 1] and t.state(sid) == 'expired'


def test_transfer_to_agent_then_decline_wait_counts_from_transfer(h):
    t = h.tenant(max_wait=1)
    t.agent('a', 'en:5')
    s = active(t, 'a', skills='en')
    sid = s['sid']
    t.agent('b', 'fr:1')
    h.advance(1100)
    t.fc('oq_transfer', sid, 'a', 'agent', 'b', '')
    t.fc('oq_decline', sid, 'b')
    assert t.sweep() == [0, 0, 0, 0] and t.state(sid) == 'queued'


def test_transfer_to_queue_is_a_wait_sample_from_the_transfer(h):
    t = h.tenant()
    t.agent('a', 'en:5', presence='offline')
    s = t.enq(skills='en')
    h.advance(300)
    t.fc('oq_agent_state', 'a', 'available')
    e1 = int(t.stats()['wait_ewma_ms'])
    assert e1 >= 250
    t.fc('oq_accept', s['sid'], 'a')
    h.advance(300)
    t.agent('b', 'en:5')
    assert t.fc('oq_transfer', s['sid'], 'a', 'queue', 'q', '')[2] == 'b'
    e2 = int(t.stats()['wait_ewma_ms'])
    assert e2 < e1, (e1, e2)                      # a zero wait from the transfer, not ~600 ms


def test_transfer_refused_unchanged(h):
    t = h.tenant(wrapup_time=30)
    t.agent('a', 'en:5')
    t.agent('c', 'en:5', presence='offline')
    act = active(t, 'a', skills='en')
    sid = act['sid']
    off = t.enq(skills='en')
    assert off['agent'] == 'a'
    wu = active(t, 'a', skills='en')
    t.fc('oq_close', wu['sid'], '')
    q = t.enq(skills='zz')
    cl = active(t, 'a', skills='en')
    t.fc('oq_close', cl['sid'], '')
    t.fc('oq_close', cl['sid'], '')
    t.fc('oq_agent_state', 'c', 'available')
    for x, st in ((off, 'offered'), (wu, 'wrapup'), (q, 'queued'), (cl, 'closed')):
        assert t.state(x['sid']) == st
        for args in (('agent', 'c', ''), ('queue', 'other', '')):
            msg = t.expect_err('STATE', 'oq_transfer', x['sid'], 'a', *args)
            assert 'not active' in msg
    t.expect_err('AGENT', 'oq_transfer', sid, 'c', 'agent', 'a', '')
    t.expect_err('AGENT', 'oq_transfer', sid, 'ghost', 'queue', 'q', '')
    t.expect_err('NOTFOUND', 'oq_transfer', '9999', 'a', 'agent', 'c', '')
    t.expect_err('NOTFOUND', 'oq_transfer', '9999', 'a', 'queue', 'q', '')
    assert 'agent ghost' in t.expect_err('NOTFOUND', 'oq_transfer', sid, 'a', 'agent', 'ghost', '')
    bad = [
        [sid, 'a', 'agent', 'c'], [sid, 'a', 'agent', 'c', '', '', '', ''], [],
        [sid, 'a', 'agent', 'c', '', 'x' * 1025],             # refer channels too long
        ['x', 'a', 'agent', 'c', ''], ['', 'a', 'agent', 'c', ''],
        [sid, '', 'agent', 'c', ''], [sid, 'a:b', 'agent', 'c', ''],
        [sid, 'a', 'Agent', 'c', ''], [sid, 'a', '', 'c', ''], [sid, 'a', 'supervisor', 'c', ''],
        [sid, 'a', 'agent', 'a', ''],                          # to itself
        [sid, 'a', 'agent', '', ''], [sid, 'a', 'agent', 'c:x', ''], [sid, 'a', 'agent', 'x' * 257, ''],
        [sid, 'a', 'agent', 'c', 'en'],                        # skills are for queues
        [sid, 'a', 'queue', 'a b', ''], [sid, 'a', 'queue', 'q:x', ''], [sid, 'a', 'queue', 'x' * 257, ''],
        [sid, 'a', 'queue', 'q', 'sales,en'], [sid, 'a', 'queue', 'q', 'en,en'],
        [sid, 'a', 'queue', 'q', 'EN'], [sid, 'a', 'queue', 'q', 'en,'],
        [sid, 'a', 'queue', 'q', ','.join('s%02d' % i for i in range(33))],
        # argument errors come first, whatever the session's state
        [q['sid'], 'a', 'queue', 'q', 'b,a'], ['9999', 'a', 'lateral', 'c', ''],
        # the new contact: an ext and a node, both or neither
        [sid, 'a', 'queue', 'q', '', '', 'n1'], [sid, 'a', 'queue', 'q', '', 'x', 'a:b'],
        [sid, 'a', 'queue', 'q', '', 'x', ''], [sid, 'a', 'queue', 'q', '', 'x' * 5000, 'n1'],
        [q['sid'], 'a', 'queue', 'q', '', 'x\ny', 'n1'],
    ]
    for args in bad:
        t.expect_err('ARG', 'oq_transfer', *args)
    assert t.state(sid) == 'active' and t.stats()['transferred'] == '0'


def test_transfer_moves_the_contact_to_a_new_ext_and_node(h):
    """A phone call transferred by REFER comes back as a new INVITE, maybe at another node:
    the session's ext and node are the new call's before anything is emitted, so the offer
    (and a later close) reaches the node that holds the call now."""
    t = h.tenant()
    t.agent('a', 'en:5')
    s = t.enq(channel='phone', skills='en', queue='sales', ext='n1/1/2/3/4', node='n1')
    sid = s['sid']
    assert s['agent'] == 'a'
    t.fc('oq_accept', sid, 'a')
    assert h.r.smembers(t.P + ':node:n1') == {sid}
    t.agent('b', 'en:5')
    assert t.fc('oq_transfer', sid, 'a', 'agent', 'b', '', 'n2/5/6/7/8', 'n2') == \
        [sid, 'offered', 'b']
    d = t.sess(sid)
    assert (d['ext'], d['node'], d['state'], d['agent']) == ('n2/5/6/7/8', 'n2', 'offered', 'b')
    assert h.r.smembers(t.P + ':node:n1') == set() and h.r.smembers(t.P + ':node:n2') == {sid}
    ev = [(e['type'], e['ext']) for e in t.events() if e['sid'] == sid]
    assert ev[-2:] == [('transfer', 'n2/5/6/7/8'), ('offer', 'n2/5/6/7/8')], ev
    # the same node again, to a queue: the contact moves, the set stays
    t.fc('oq_accept', sid, 'b')
    assert t.fc('oq_transfer', sid, 'b', 'queue', 'sales', '', 'n2/9/9/9/9', 'n2') == \
        [sid, 'queued', '']                       # never back to a or b, who passed it on
    assert t.sess(sid)['ext'] == 'n2/9/9/9/9' and h.r.smembers(t.P + ':node:n2') == {sid}


def test_transfer_of_a_live_call_is_asked_of_its_node(h):
    """oq_transfer with the channels that move their contact themselves (OMNIQ_CAP_REFER):
    a session of one of them with a contact (ext and node: a live call) is not moved, the
    same checks pass and event 'refer' asks the contact's node (kind, target, skills); a
    session of another channel, or one without a contact, moves as before."""
    t = h.tenant()
    t.agent('a', 'en:5')
    s = t.enq(channel='phone', skills='en', queue='sales', ext='n1/1/2/3/4', node='n1')
    sid = s['sid']
    t.fc('oq_accept', sid, 'a')
    t.agent('b', 'en:5')
    before, n_ev = t.sess(sid), len(t.events())
    assert t.fc('oq_transfer', sid, 'a', 'queue', 'billing', 'en,vip', 'sms,phone') == \
        [sid, 'referring', 'a']
    assert t.sess(sid) == before and t.stats()['transferred'] == '0'
    ev = t.events()[n_ev:]
    assert [(e['type'], e['state'], e['agent'], e['target'], e['skills'], e['ext'])
            for e in ev] == [('refer', 'queue', 'a', 'billing', 'en,vip', 'n1/1/2/3/4')], ev
    assert t.fc('oq_transfer', sid, 'a', 'agent', 'b', '', 'phone') == [sid, 'referring', 'a']
    assert t.events()[-1]['target'] == 'b' and t.events()[-1]['state'] == 'agent'
    # the checks of a transfer come first: a target with no room is refused, nothing asked
    t.agent('c', 'en:5', presence='away')
    n_ev = len(t.events())
    t.expect_err('CAPACITY', 'oq_transfer', sid, 'a', 'agent', 'c', '', 'phone')
    t.expect_err('AGENT', 'oq_transfer', sid, 'b', 'queue', 'q', '', 'phone')
    assert len(t.events()) == n_ev
    # no channel of the list (a chat), or a call session without a contact: moved as before
    chat = t.enq(channel='web', skills='en', ext='thread-1')
    holder = chat['agent']
    other = 'a' if holder == 'b' else 'b'
    t.fc('oq_accept', chat['sid'], holder)
    assert t.fc('oq_transfer', chat['sid'], holder, 'agent', other, '', 'phone') == \
        [chat['sid'], 'offered', other]
    t.agent('d', 'en:5')
    bare = t.enq(channel='phone', skills='en')
    assert bare['agent'] in ('b', 'd'), bare
    t.fc('oq_accept', bare['sid'], bare['agent'])
    r = t.fc('oq_transfer', bare['sid'], bare['agent'], 'queue', 'q', '', 'phone')
    assert r[1] in ('queued', 'offered') and t.sess(bare['sid'])['transfers'] == '1', r


TOK = "0123456789abcdefXYZ"


def test_a_refer_noted_under_a_token_is_taken_by_the_invite_on_any_node(h):
    """oq_xfer_note keeps a REFERred call's transfer under a token (with its wait) for
    whichever node the caller's INVITE reaches; oq_xfer_take with the token moves the
    session to the new call there (as the 7-argument transfer) and marks the token taken,
    which oq_xfer_moved tells the REFER's node. A token never noted, taken already, for
    another target, or malformed takes nothing; a move refused keeps it waiting."""
    t = h.tenant()
    t.agent('a', 'en:5')
    s = t.enq(channel='phone', skills='en', queue='sales', ext='n1/1/2/3/4', node='n1')
    sid = s['sid']
    t.fc('oq_accept', sid, 'a')
    t.agent('b', 'en:5', presence='away')
    assert t.fc('oq_xfer_note', TOK, sid, 'a', 'b', 32000) == 'OK'
    assert 630000 < h.r.pttl(t.P + ':xf:' + TOK) <= 632000   # the wait, and 10 min to learn of it
    assert t.fc('oq_xfer_moved', TOK, 'x' * 16) == ['', '']
    t.expect_err('NOTFOUND', 'oq_xfer_take', TOK, 'queue', 'sales', 'n2/5/6/7/8', 'n2')
    t.expect_err('CAPACITY', 'oq_xfer_take', TOK, 'agent', 'b', 'n2/5/6/7/8', 'n2')
    assert t.sess(sid)['node'] == 'n1' and t.fc('oq_xfer_moved', TOK) == ['']
    t.agent('b', 'en:5')
    assert t.fc('oq_xfer_take', TOK, 'agent', 'b', 'n2/5/6/7/8', 'n2') == [sid, 'offered', 'b']
    d = t.sess(sid)
    assert (d['ext'], d['node'], d['state'], d['agent']) == ('n2/5/6/7/8', 'n2', 'offered', 'b')
    assert t.fc('oq_xfer_moved', TOK) == ['n2']
    t.expect_err('NOTFOUND', 'oq_xfer_take', TOK, 'agent', 'b', 'n2/5/6/7/8', 'n2')
    # the noted session must be active with the REFERring agent
    t.expect_err('STATE', 'oq_xfer_note', 'q' * 20, sid, 'b', 'a', 32000)
    t.fc('oq_accept', sid, 'b')
    t.expect_err('AGENT', 'oq_xfer_note', 'q' * 20, sid, 'a', 'b', 32000)
    t.expect_err('NOTFOUND', 'oq_xfer_note', 'q' * 20, '999', 'a', 'b', 32000)
    for bad in ('short', 'x' * 65, 'abc-defghijklmnop', ''):
        t.expect_err('ARG', 'oq_xfer_take', bad, 'agent', 'b', 'e', 'n')
        t.expect_err('ARG', 'oq_xfer_note', bad, sid, 'a', 'b', 32000)
    t.expect_err('ARG', 'oq_xfer_note', TOK, sid, 'a', 'b', 10)
    # a transfer whose wait is over is taken by no INVITE, yet asked about it says so
    s2 = t.enq(channel='phone', skills='en', queue='sales', ext='n1/9/9/9/9', node='n1')
    t.fc('oq_accept', s2['sid'], s2['agent'])
    tok2 = 'Z' * 20
    assert t.fc('oq_xfer_note', tok2, s2['sid'], s2['agent'], 'sales', 2000) == 'OK'
    h.advance(2001)
    t.expect_err('NOTFOUND', 'oq_xfer_take', tok2, 'queue', 'sales', 'n2/1/1/1/1', 'n2')
    assert t.fc('oq_xfer_moved', tok2, TOK) == ['', 'n2']
    assert t.sess(s2['sid'])['node'] == 'n1'
    t.expect_err('ARG', 'oq_xfer_moved', *(['y' * 16] * 257))
