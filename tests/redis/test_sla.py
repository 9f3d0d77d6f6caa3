"""Service levels (lua/78_sla_policy.lua, lua/80_sla.lua, engine/sla.c): policies matched by queue, channel and tier;
the first-response, reply and resolution clocks; three levels fired once each and in order by
the sweep; a target reached cancels what is not yet fired; level 2 escalates a waiting
session, level 3 tells the customer; the people told at their targets through the outbox;
the alert history; the clocks' moments noted by the engine's steps and the library's alike."""

import harness


def policy(t, name, **f):
    args = []
    for k, v in f.items():
        args += [k, v]
    assert t.fc('oq_sla_set', name, *args) == 'OK'


def sla_events(t, sid=None):
    return [(e['type'], e['state'], e['level'], e['notify']) for e in t.events()
            if e['type'].startswith('sla') and (sid is None or e['sid'] == str(sid))]


def history(t, sid):
    head, hist = t.fc('oq_sla_get', sid)
    return harness.pairs(head), [harness.pairs(e[1]) for e in hist]


def alerts(t):
    return int(t.fc('oq_sweep', 100)[5])


def test_policies_are_checked_whole_and_refusals_change_nothing(h):
    t = h.tenant()
    t.expect_err('ARG', 'oq_sla_set', 'p', 'first', '60', 'colour', 'red')
    t.expect_err('ARG', 'oq_sla_set', 'p', 'levels', '50,80,100')       # no target
    t.expect_err('ARG', 'oq_sla_set', 'p', 'first', '60', 'levels', '80,50,100')
    t.expect_err('ARG', 'oq_sla_set', 'p', 'first', '60', 'levels', '50,80')
    t.expect_err('ARG', 'oq_sla_set', 'p', 'first', '-1')
    t.expect_err('ARG', 'oq_sla_set', 'p', 'first', '60', 'first', '30')
    t.expect_err('ARG', 'oq_sla_set', 'p', 'first', '60', 'queue', 'a:b')
    t.expect_err('ARG', 'oq_sla_set', 'p', 'first', '60', 'overflow_skills', 'EN')
    t.expect_err('ARG', 'oq_sla_set', 'p', 'first', '60', 'notice', 'x' * 1025)
    t.expect_err('ARG', 'oq_sla_set', 'bad name', 'first', '60')
    policy(t, 'vip', order=1, tier='vip', first=30)
    policy(t, 'all', first=120, reply=60, levels='25,50,75')
    policy(t, 'vip', reply=20)                   # a change keeps the fields not given
    rows = [harness.pairs(r) for r in t.fc('oq_sla_list')]
    assert [r['name'] for r in rows] == ['vip', 'all']
    assert rows[0]['first'] == '30' and rows[0]['reply'] == '20' and rows[0]['tier'] == 'vip'
    assert rows[1]['levels'] == '25,50,75' and rows[1]['overflow_skills'] == '='
    t.expect_err('ARG', 'oq_sla_set', 'vip', 'first', '0', 'reply', '0')  # no target left
    for i in range(62):
        policy(t, 'p%d' % i, resolve=600)
    t.expect_err('CAPACITY', 'oq_sla_set', 'one-too-many', 'resolve', '600')
    assert t.fc('oq_sla_del', 'p0') == 1 and t.fc('oq_sla_del', 'p0') == 0


def test_first_response_levels_fire_once_in_order_then_the_answer_cancels_the_rest(h):
    t = h.tenant()
    policy(t, 'std', first=100)                  # levels at 50, 80 and 100 s
    t.fc('oq_queue_roles', 'q', 'olga', 'sam', 'mia')
    s = t.enq(skills='en')                       # nobody can take it: it waits
    sid = s['sid']
    assert alerts(t) == 0                        # matched and scheduled, nothing due
    assert h.r.zscore(t.P + ':look', sid) is not None
    h.advance(49000)
    assert alerts(t) == 0
    h.advance(1500)
    assert alerts(t) == 1 and alerts(t) == 0     # level 1, once
    assert sla_events(t, sid) == [('sla1', 'first', '1', 'olga')]   # nobody has it: the owner
    h.advance(30000)
    assert alerts(t) == 1
    assert sla_events(t, sid)[-1] == ('sla2', 'first', '2', 'sam')
    head, hist = history(t, sid)
    assert head['policy'] == 'std' and head['first'] == '2'
    assert [(e['type'], e['kind'], e['level']) for e in hist] == [
        ('fired', 'first', '1'), ('fired', 'first', '2')]
    assert 70000 <= int(hist[1]['wait']) <= 81000 and hist[1]['target'] == '100000'
    # an agent takes it and answers before level 3: level 3 never fires
    t.agent('a', 'en:5')
    assert t.state(sid) == 'offered'
    t.fc('oq_accept', sid, 'a')
    t.fc('oq_reply', sid, 'a', 'text', 'hello, how can I help?')
    h.advance(60000)
    assert alerts(t) == 0 and alerts(t) == 0
    assert [e[0] for e in sla_events(t, sid)] == ['sla1', 'sla2']
    assert h.r.zscore(t.P + ':look', sid) is None


def test_levels_missed_while_no_sweep_ran_fire_together_in_order(h):
    t = h.tenant()
    policy(t, 'std', first=10)
    sid = t.enq(skills='en')['sid']
    h.advance(60000)
    assert alerts(t) == 3
    assert [e[0] for e in sla_events(t, sid)] == ['sla1', 'sla2', 'sla3']
    assert alerts(t) == 0


def test_the_reply_clock_runs_from_a_customers_message_until_the_answer_each_time(h):
    t = h.tenant()
    policy(t, 'chat', reply=60, levels='50,80,100')
    t.agent('a', 'en:5')
    sid = t.enq(skills='en')['sid']
    t.fc('oq_accept', sid, 'a')
    t.fc('oq_append', sid, 'in', 'c', 'text', 'hello')       # before the first answer
    h.advance(40000)
    assert alerts(t) == 0                        # the reply clock starts after it
    t.fc('oq_reply', sid, 'a', 'text', 'hi')
    assert h.r.hget(t.P + ':s:' + sid, 't_in') == ''
    t.fc('oq_append', sid, 'in', 'c', 'text', 'my order is late')
    h.advance(10000)
    t.fc('oq_append', sid, 'in', 'c', 'text', 'hello??')     # the same wait, not a new one
    h.advance(21000)
    assert alerts(t) == 1                        # 31 s since the first unanswered message
    assert sla_events(t, sid) == [('sla1', 'reply', '1', 'a')]   # the session's agent
    t.fc('oq_append_many', sid, 'out', 'a', 'text', 'looking into it', '')
    h.advance(60000)
    assert alerts(t) == 0
    # the next customer message is a new wait: its levels from 1 again
    t.fc('oq_append_many', sid, 'in', 'c', 'text', 'thanks, and?', 'c-9')
    h.advance(31000)
    assert alerts(t) == 1
    h.advance(18000)
    assert alerts(t) == 1
    assert [(e[0], e[1]) for e in sla_events(t, sid)] == [
        ('sla1', 'reply'), ('sla1', 'reply'), ('sla2', 'reply')]
    assert history(t, sid)[0]['reply'] == '2'


def test_resolution_counts_until_wrapup_or_close(h):
    t = h.tenant(wrapup_time=60)
    policy(t, 'res', resolve=100)
    t.agent('a', 'en:5')
    sid = t.enq(skills='en')['sid']
    t.fc('oq_accept', sid, 'a')
    h.advance(51000)
    assert alerts(t) == 1
    t.fc('oq_close', sid, 'resolved')
    assert t.state(sid) == 'wrapup'
    h.advance(100000)
    assert alerts(t) == 0 and h.r.zscore(t.P + ':look', sid) is None
    assert [e[0] for e in sla_events(t, sid)] == ['sla1']


def test_a_call_is_answered_when_accepted(h):
    t = h.tenant()
    policy(t, 'phone', channel='phone', first=20)
    t.agent('a', 'en:5')
    t.fc('oq_agent_state', 'a', 'away')
    sid = t.enq(channel='phone', identity='tel:+861234', skills='en')['sid']
    h.advance(11000)
    assert alerts(t) == 1
    t.fc('oq_agent_state', 'a', 'available')
    t.fc('oq_accept', sid, 'a')
    assert h.r.hget(t.P + ':s:' + sid, 'answered')
    h.advance(30000)
    assert alerts(t) == 0
    assert [e[:2] for e in sla_events(t, sid)] == [('sla1', 'first')]


def test_policies_match_by_queue_channel_and_tier_in_order(h):
    t = h.tenant()
    policy(t, 'vip', order=1, tier='gold', first=10)
    policy(t, 'sales-sms', order=2, queue='sales', channel='sms', first=20)
    policy(t, 'sales', order=3, queue='sales', first=30)
    gold = t.enq(identity='tel:+8613900000001', queue='sales', channel='sms')
    t.fc('oq_customer_set', gold['cid'], 'tier', 'gold')
    sms = t.enq(identity='tel:+8613900000002', queue='sales', channel='sms')
    web = t.enq(queue='sales')
    other = t.enq(queue='support')
    alerts(t)
    got = {k: history(t, v['sid'])[0]['policy'] for k, v in
           (('gold', gold), ('sms', sms), ('web', web), ('other', other))}
    assert got == {'gold': 'vip', 'sms': 'sales-sms', 'web': 'sales', 'other': '-'}
    assert h.r.zscore(t.P + ':look', other['sid']) is None
    # a policy removed: its sessions stop being looked at, and fire nothing
    t.fc('oq_sla_del', 'sales')
    h.advance(40000)
    alerts(t)
    assert not sla_events(t, web['sid']) and h.r.zscore(t.P + ':look', web['sid']) is None


def test_level_two_escalates_a_waiting_session_and_routes_it_again(h):
    t = h.tenant()
    t.fc('oq_sla_set', 'esc', 'first', '100', 'raise', '50', 'overflow_queue', 'overflow',
         'overflow_skills', '')
    t.agent('generalist', 'fr:5')               # cannot take an 'en' session
    t.fc('oq_agent_state', 'generalist', 'away')
    sid = t.enq(skills='en', priority=10)['sid']
    h.advance(51000)
    assert alerts(t) == 1 and t.sess(sid)['priority'] == '10'
    t.fc('oq_agent_state', 'generalist', 'available')
    assert t.state(sid) == 'queued'              # still only en agents may take it
    h.advance(30000)
    assert alerts(t) == 1
    s = t.sess(sid)
    assert s['priority'] == '60' and s['queue'] == 'overflow' and s['skills'] == ''
    assert s['state'] == 'offered' and s['agent'] == 'generalist'   # widened, routed again
    hist = history(t, sid)[1]
    assert hist[1]['escalated'] == 'priority 10>60, queue q>overflow, skills en>-'


def test_people_are_told_at_their_targets_through_the_outbox(h):
    t = h.tenant()
    t.fc('oq_sla_set', 'std', 'first', '10', 'link', 'https://desk.example.com/desk/#s=')
    t.fc('oq_ob_register', 'sms')
    t.agent('olga', '')
    t.agent('sam', '')
    t.fc('oq_agent_notify', 'olga', 'desk,sms:kannel:+8613800000009,wechat:oa:main:oOlga')
    t.expect_err('ARG', 'oq_agent_notify', 'sam', 'fax')
    # the shipped senders' addresses: what they need to send to a person
    for bad, says in (('sms:+8613800000009', 'sms:<gateway>:<number>'),
                      ('email:olga@example.com', 'email:<mailbox>:<address>'),
                      ('wechat:oOlga', 'wechat:tpl:<appid>:<openid>')):
        msg = t.expect_err('ARG', 'oq_agent_notify', 'sam', 'desk,' + bad)
        assert says in msg, msg
    t.expect_err('ARG', 'oq_agent_notify', 'sam', ','.join(['desk'] * 9))
    t.expect_err('NOTFOUND', 'oq_agent_notify', 'nobody', 'desk')
    t.fc('oq_queue_roles', 'q', 'olga', 'sam', '')
    assert harness.pairs(t.fc('oq_queue_roles', 'q')) == {
        'owner': 'olga', 'supervisor': 'sam', 'manager': ''}
    t.expect_err('ARG', 'oq_queue_roles', 'q', 'a b', '', '')
    s = t.enq(skills='en')
    sid = s['sid']
    h.advance(5500)
    assert alerts(t) == 1
    fired = history(t, sid)[1][0]
    told = fired['told'].split(',')
    assert told[0] == 'olga/desk=desk'
    assert told[1].startswith('olga/sms:kannel:+8613800000009=')
    assert told[2] == 'olga/wechat:oa:main:oOlga=no sender'      # no WeChat sender here
    did = told[1].split('=')[1]
    d = harness.pairs(t.fc('oq_ob_get', did))
    assert d['channel'] == 'sms' and d['ext'] == 'kannel:+8613800000009' and d['state'] == 'queued'
    body = h.r.hget(t.P + ':ob:d:' + did, 'body')
    assert ('[SLA level 1] session %s (web, customer %s, queue q)' % (sid, s['cid'])) in body, body
    assert 'first response waiting 5 s of 10 s' in body
    # the history follows the delivery: queued, then what the sender made of it
    assert fired['delivery'] == 'olga/sms:kannel:+8613800000009=queued', fired
    h.r.hset(t.P + ':ob:d:' + did, 'state', 'delivered')
    assert history(t, sid)[1][0]['delivery'] == 'olga/sms:kannel:+8613800000009=delivered'
    h.r.hset(t.P + ':ob:d:' + did, 'state', 'queued')
    assert body.endswith('https://desk.example.com/desk/#s=' + sid)
    h.advance(3000)
    assert alerts(t) == 1
    assert history(t, sid)[1][1]['told'] == 'sam/desk=desk'      # sam's default: the desk
    h.advance(3000)
    assert alerts(t) == 1                                         # no manager: nobody told
    assert history(t, sid)[1][2]['notify'] == ''
    # the person who takes it in hand says so
    ack = t.fc('oq_sla_ack', sid, 'sam')
    last = history(t, sid)[1][-1]
    assert last == {'type': 'ack', 'kind': 'first', 'level': '3', 'by': 'sam'} and ack
    other = t.enq(queue='support')['sid']
    t.expect_err('STATE', 'oq_sla_ack', other, 'sam')
    t.expect_err('NOTFOUND', 'oq_sla_ack', '999999', 'sam')
    # from an agent's desk (told '1'): only a person an alert was sent to
    assert t.fc('oq_sla_ack', sid, 'sam', '1')
    assert history(t, sid)[1][-1]['by'] == 'sam'
    t.expect_err('AGENT', 'oq_sla_ack', sid, 'zed', '1')
    assert history(t, sid)[1][-1]['by'] == 'sam'
    assert t.fc('oq_sla_ack', sid, 'zed', '0') and history(t, sid)[1][-1]['by'] == 'zed'
    t.expect_err('ARG', 'oq_sla_ack', sid)


def test_level_three_tells_the_customer_once_and_is_no_answer(h):
    t = h.tenant()
    t.fc('oq_sla_set', 'std', 'first', '10', 'resolve', '10',
         'notice', '我们的客服正忙, 将在 30 分钟内回复您。')
    sid = t.enq(skills='en')['sid']
    t.fc('oq_append', sid, 'in', 'c', 'text', 'anyone?')
    h.advance(11000)
    assert alerts(t) == 6                        # both clocks, three levels each
    tx = h.r.xrange(t.P + ':s:%s:tx' % sid)
    notices = [f for _, f in tx if f['dir'] == 'out']
    assert len(notices) == 1 and notices[0]['from'] == 'omniq'
    assert notices[0]['body'] == '我们的客服正忙, 将在 30 分钟内回复您。'
    s = h.r.hgetall(t.P + ':s:' + sid)
    assert s['t_out1'] == '' and s['t_in'] != ''     # the notice is no agent's answer
    fired = history(t, sid)[1]
    assert fired[2]['notice'].endswith('/socket') and fired[5]['notice'].startswith('sent before')


def test_level_three_says_what_happens_next_its_place_and_wait(h):
    """The notice's {position} and {wait}: the waiting customer is told their place in the
    queue and the minutes they are still estimated to wait (the tenant's average scaled by
    the place), computed when level 3 fires."""
    t = h.tenant()
    h.r.hset(t.P + ':stat', 'wait_ewma_ms', '600000')          # 10 minutes on average
    t.fc('oq_sla_set', 'std', 'first', '10', 'notice', '您排在第 {position} 位, 约 {wait} 分钟。')
    first = t.enq(skills='en')['sid']
    second = t.enq(skills='en')['sid']
    for sid in (first, second):
        t.fc('oq_append', sid, 'in', 'c', 'text', 'anyone?')
    h.advance(11000)
    assert alerts(t) == 6                        # three levels each
    told = {}
    for sid in (first, second):
        outs = [f['body'] for _, f in h.r.xrange(t.P + ':s:%s:tx' % sid) if f['dir'] == 'out']
        assert len(outs) == 1, outs
        told[sid] = outs[0]
    # the first: half the queue's average, but never less than what is left of it (10 min -
    # 11 s); the second: the whole average
    assert told[first] == '您排在第 1 位, 约 10 分钟。', told
    assert told[second] == '您排在第 2 位, 约 10 分钟。', told


def test_a_reopened_session_starts_its_clocks_again(h):
    t = h.tenant(reopen_window=3600)
    policy(t, 'std', first=10)
    t.agent('a', 'en:5')
    s = t.enq(identity='web:again', skills='en')
    t.fc('oq_accept', s['sid'], 'a')
    t.fc('oq_reply', s['sid'], 'a', 'text', 'hello')
    t.fc('oq_close', s['sid'], 'resolved')
    h.advance(20000)
    assert alerts(t) == 0
    t.fc('oq_agent_state', 'a', 'away')
    again = t.fc('oq_ingest', 'web', '', 'web:again', 'en', 0, 'q', '', '', 'text', 'me again', 'm1')
    assert again[0] == s['sid'] and t.state(s['sid']) == 'queued'
    h.advance(6000)
    assert alerts(t) == 1
    assert sla_events(t, s['sid']) == [('sla1', 'first', '1', '')]


def test_ended_sessions_leave_with_their_history(h):
    t = h.tenant(retention=60)
    policy(t, 'std', first=10)
    t.agent('a', 'en:5')
    t.fc('oq_agent_state', 'a', 'away')
    sid = t.enq(skills='en')['sid']
    h.advance(6000)
    assert alerts(t) == 1
    assert h.r.exists(t.P + ':s:%s:sla' % sid)
    t.fc('oq_abandon', sid)
    h.advance(61000)
    t.fc('oq_sweep', 100)
    assert not h.r.exists(t.P + ':s:%s:sla' % sid) and not h.r.exists(t.P + ':s:' + sid)
    assert h.r.zscore(t.P + ':look', sid) is None


def test_the_clocks_moments_are_noted_by_ingest_and_cost_nothing_without_policies(h):
    t = h.tenant()
    t.agent('a', 'en:5')
    r = t.fc('oq_ingest', 'sms', '', 'tel:+8613700000001', 'en', 0, 'q', '', '', 'text', 'hi', 'x1')
    sid = r[0]
    t.fc('oq_accept', sid, 'a')
    t.fc('oq_reply', sid, 'a', 'text', 'hello')
    t.fc('oq_append_many', sid, 'in', '', 'text', 'more', 'x2')
    fields = h.r.hgetall(t.P + ':s:' + sid)
    assert not {'t_in', 't_out1', 'sla'} & set(fields), fields     # no policy: nothing noted
    assert fields['answered']
    assert not h.r.exists(t.P + ':look')
    # with a policy, ingest (the library) and the engine's appends note the same moments
    policy(t, 'sms', reply=60)
    r = t.fc('oq_ingest', 'sms', '', 'tel:+8613700000001', 'en', 0, 'q', '', '', 'text', 'and?', 'x3')
    assert r[0] == sid
    fields = h.r.hgetall(t.P + ':s:' + sid)
    assert fields['t_in'] != '' and h.r.zscore(t.P + ':look', sid) is not None
    t.fc('oq_reply', sid, 'a', 'text', 'here')
    fields = h.r.hgetall(t.P + ':s:' + sid)
    assert fields['t_in'] == '' and fields['t_out1'] != ''


def test_level_three_makes_a_waiting_customer_a_callback_where_it_can_reach_them(h):
    """A policy with `callback`: at level 3 a customer still waiting on a messaging channel
    is made a callback - their place kept, their leaving no abandon - to a phone number of
    theirs, else their own address when their channel reaches them later, and is told so
    with the policy's callback_notice ({to}: where). A web visitor with no number cannot be
    reached once they leave: they keep waiting and get the plain notice."""
    t = h.tenant()
    t.fc('oq_sla_set', 'std', 'first', '10', 'resolve', '10', 'callback', '1',
         'notice', '请稍候, 约 {wait} 分钟。',
         'callback_notice', '让您久等了: 我们会联系 {to} 回复您, 您无需等待。')
    t.expect_err('ARG', 'oq_sla_set', 'std', 'callback', '2')
    sms = t.enq(channel='sms', identity='tel:+8613900000001', skills='en')['sid']
    t.fc('oq_link', 'web:linked', 'tel:+8613900000002')
    linked = t.enq(channel='web', identity='web:linked', skills='en')['sid']
    mail = t.enq(channel='email', identity='email:ann@example.com', skills='en')['sid']
    plain = t.enq(channel='web', identity='web:nobody', skills='en')['sid']
    for sid in (sms, linked, mail, plain):
        t.fc('oq_append', sid, 'in', 'c', 'text', 'anyone?')
    h.advance(11000)
    assert alerts(t) == 24                       # two clocks, three levels, four sessions
    want = {sms: 'tel:+8613900000001', linked: 'tel:+8613900000002',
            mail: 'email:ann@example.com', plain: ''}
    for sid, to in want.items():
        s = h.r.hgetall(t.P + ':s:' + sid)
        assert s['state'] == 'queued' and s.get('callback_to', '') == to, (sid, s)
        outs = [f['body'] for _, f in h.r.xrange(t.P + ':s:%s:tx' % sid) if f['dir'] == 'out']
        if to:
            assert outs == ['让您久等了: 我们会联系 %s 回复您, 您无需等待。' % to.split(':', 1)[1]], outs
            # made a callback once, though both clocks reached level 3
            assert [e['callback'] for e in history(t, sid)[1] if e['level'] == '3'] == [to, '']
            assert [e['type'] for e in t.events() if e['sid'] == sid].count('callback') == 1
        else:
            assert outs == ['请稍候, 约 1 分钟。'], outs
            assert [e['callback'] for e in history(t, sid)[1] if e['level'] == '3'] == ['', '']
    # the customers who were made callbacks may leave: their sessions keep their places
    for sid in (sms, linked, mail, plain):
        t.fc('oq_abandon', sid)
    assert [t.state(s) for s in (sms, linked, mail, plain)] == ['queued'] * 3 + ['abandoned']
    # and are offered, as callbacks, in the order they came
    t.agent('ann', 'en:5', caps='chat=1,email=1,total=1')
    assert t.state(sms) == 'offered'
    rows = [harness.pairs(r) for r in t.fc('oq_agent_sessions', 'ann')]
    assert [(r['sid'], r['callback_to']) for r in rows] == [(sms, 'tel:+8613900000001')]
