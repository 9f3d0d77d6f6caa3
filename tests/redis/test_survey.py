"""Surveys at the end (lua/77_survey.lua): a closed messaging session's customer is asked on
their channel once, their answer in their own words (Chinese and English, numbers, numerals
and words, with a comment) is recorded on that session and their profile; what is no answer
opens a conversation as before; opt-out, the window, CSAT then NPS, and what is never asked."""

import harness

ASKED_CSAT = '请为本次服务打分'
ASKED_NPS = '您有多大可能向朋友推荐我们'
THANKS = '感谢您的评价'


def served(t, number, agent='a', channel='sms', queue='support'):
    """an SMS customer's session, taken and answered by agent, then closed; the sweep's
    look at it done. Returns (sid, cid)."""
    t.fc('oq_ob_register', channel)
    r = t.fc('oq_ingest', channel, '', 'tel:' + number, '', 0, queue, number, '', 'text',
             '洗衣机漏水', '')
    sid, cid = r[0], r[4]
    t.fc('oq_accept', sid, agent)
    t.fc('oq_send', sid, agent, 'text', '明天上门维修')
    t.fc('oq_close', sid, 'resolved')
    t.fc('oq_sweep', 100)
    return sid, cid


def says(t, number, body, cid_=''):
    r = t.fc('oq_ingest', 'sms', '', 'tel:' + number, '', 0, 'support', number, '', 'text',
             body, cid_)
    return r


def sv(h, t, sid):
    return h.r.hgetall(t.P + ':s:' + sid)


def tx(h, t, sid):
    return [(e['dir'], e['body']) for _, e in h.r.xrange(t.P + ':s:%s:tx' % sid)]


def queued(h, t, sid):
    """the transcript entries of sid handed to the SMS senders"""
    return sorted(h.r.hkeys(t.P + ':s:%s:dl' % sid))


def setup(h, **fields):
    t = h.tenant()
    t.agent('a', '', caps='voice=1,chat=20,email=4,total=20')
    args = []
    for k, v in (fields or {'kind': 'csat'}).items():
        args += [k, v]
    assert t.fc('oq_survey_set', '*', *args) == 'OK'
    return t


def test_a_closed_sms_session_is_asked_once_and_its_answer_is_recorded_on_it(h):
    t = setup(h)
    sid, cid = served(t, '+8613500000001')
    s = sv(h, t, sid)
    assert (s['survey'], s['sv_step'], s['sv_kind']) == ('asked', 'csat', 'csat')
    assert int(s['sv_until']) - int(s['sv_at']) == 86400 * 1000     # the default window
    assert tx(h, t, sid)[-1][0] == 'out' and ASKED_CSAT in tx(h, t, sid)[-1][1]
    assert len(queued(h, t, sid)) == 2                 # the agent's reply and the question
    t.fc('oq_sweep', 100)
    assert len(tx(h, t, sid)) == 3                     # asked once
    ev = [e for e in t.events() if e['type'] == 'survey']
    assert [(e['sid'], e['state']) for e in ev] == [(sid, 'csat')]     # the question asked
    r = says(t, '+8613500000001', '5分 师傅很专业')
    assert (r[0], r[1], r[6]) == (sid, 'closed', '3')
    s = sv(h, t, sid)
    assert (s['csat'], s['survey'], s['survey_comment'], s['state']) == \
        ('5', 'answered', '师傅很专业', 'closed')
    assert t.cust(cid)['last_csat'] == '5'
    assert tx(h, t, sid)[-2:] == [('in', '5分 师傅很专业'), ('out', tx(h, t, sid)[-1][1])]
    assert THANKS in tx(h, t, sid)[-1][1] and len(queued(h, t, sid)) == 3
    assert [e['state'] for e in t.events() if e['type'] == 'survey'] == ['csat', 'answered']
    assert h.r.hmget(t.P + ':stat', 'surveys_asked', 'surveys_answered') == ['1', '1']
    # answered: the next message is a new conversation, its "5" too
    r = says(t, '+8613500000001', '5')
    assert r[6] == '2' and r[0] != sid
    assert sv(h, t, sid)['csat'] == '5'


# (reply, CSAT it gives or None: no answer, a new conversation; comment)
CSAT_REPLIES = [
    ('5', 5, ''), ('５', 5, ''), ('五', 5, ''), ('5分', 5, ''), ('5 分', 5, ''),
    ('五分', 5, ''), ('5星', 5, ''), ('五星好评', 5, '好评'), ('我给5分', 5, ''),
    ('5/5', 5, ''), ('4 stars', 4, ''), ('3, the wait was long', 3, 'the wait was long'),
    ('1。太慢了', 1, '太慢了'), ('非常满意', 5, ''), ('非常满意，谢谢', 5, '谢谢'),
    ('满意', 4, ''), ('一般', 3, ''), ('不满意', 2, ''), ('很不满意!!', 1, ''),
    ('满分', 5, ''), ('好评', 5, ''), ('差评 等了两个小时', 1, '等了两个小时'),
    ('Very satisfied', 5, ''), ('very satisfied!', 5, ''), ('good', 4, ''),
    ('Terrible.', 1, ''), (' 4 ', 4, ''), ('I give 5', 5, ''),
    ('6', None, ''), ('0', None, ''), ('123456', None, ''), ('5个订单还没到', None, ''),
    ('good morning, my order is late', None, ''), ('二十', None, ''), ('hello', None, ''),
    ('5.5', None, ''), ('ok', None, ''), ('我要退货', None, ''), ('10', None, ''),
    ('5/10', None, ''),
]


# A customer's identity and address on each channel that asks in words
ADDRESS = {'sms': lambda i: ('tel:+86136%08d' % i, '+86136%08d' % i),
           'wechat': lambda i: ('wechat:wx2c2769f8efd9abc2:oQ%08d' % i,
                                'wx2c2769f8efd9abc2:oQ%08d' % i),
           'email': lambda i: ('email:c%d@example.com' % i, 'c%d@example.com' % i)}


def served_on(t, channel, i):
    """served() on channel, for its customer number i: (sid, identity, ext)"""
    ident, ext = ADDRESS[channel](i)
    t.fc('oq_ob_register', channel)
    r = t.fc('oq_ingest', channel, '', ident, '', 0, 'support', ext, '', 'text', '洗衣机漏水', '')
    sid = r[0]
    t.fc('oq_accept', sid, 'a')
    t.fc('oq_send', sid, 'a', 'text', '明天上门维修')
    t.fc('oq_close', sid, 'resolved')
    t.fc('oq_sweep', 100)
    return sid, ident, ext


def test_answers_in_chinese_and_english_words_numbers_and_numerals(h):
    """The table of replies, on each channel that asks in words (SMS, WeChat, email)."""
    t = setup(h)
    for n, (channel, reply, want, comment) in enumerate(
            (ch, *row) for ch in ('sms', 'wechat', 'email') for row in CSAT_REPLIES):
        sid, ident, ext = served_on(t, channel, n)
        assert sv(h, t, sid)['sv_ch'] == channel
        r = t.fc('oq_ingest', channel, '', ident, '', 0, 'support', ext, '', 'text', reply, '')
        s = sv(h, t, sid)
        if want is None:
            assert r[6] == '2' and r[0] != sid, (channel, reply, r)
            assert s['survey'] == 'asked' and 'csat' not in s, (channel, reply, s)
            t.fc('oq_abandon', r[0])       # the conversation it opened ends unsurveyed
            continue
        assert r[6] == '3' and r[0] == sid, (channel, reply, r)
        assert (s['csat'], s.get('survey_comment', '')) == (str(want), comment), \
            (channel, reply, s)


NPS_REPLIES = [('10', 10), ('0', 0), ('十', 10), ('10分', 10), ('满分', 10), ('9/10', 9),
               ('７', 7), ('11', None), ('非常满意', None), ('10/5', None), ('很好', None)]


def test_csat_then_nps_then_thanks(h):
    t = setup(h, kind='both', thanks='谢谢! Thanks!')
    sid, _ = served(t, '+8613700000001')
    assert says(t, '+8613700000001', '4')[6] == '3'
    s = sv(h, t, sid)
    assert (s['csat'], s['sv_step'], s['survey']) == ('4', 'nps', 'asked')
    assert ASKED_NPS in tx(h, t, sid)[-1][1]
    assert says(t, '+8613700000001', '9 会推荐给朋友')[6] == '3'
    s = sv(h, t, sid)
    assert (s['nps'], s['survey'], s['survey_comment']) == ('9', 'answered', '会推荐给朋友')
    assert tx(h, t, sid)[-1] == ('out', '谢谢! Thanks!')
    for i, (reply, want) in enumerate(NPS_REPLIES):
        t2 = setup(h, kind='nps')
        number = '+86137%08d' % (i + 10)
        sid, _ = served(t2, number)
        assert ASKED_NPS in tx(h, t2, sid)[-1][1]
        r = says(t2, number, reply)
        if want is None:
            assert r[6] == '2' and 'nps' not in sv(h, t2, sid), reply
        else:
            assert r[6] == '3' and sv(h, t2, sid)['nps'] == str(want), (reply, sv(h, t2, sid))


def test_an_opt_out_is_kept_and_the_customer_is_asked_no_more(h):
    t = setup(h)
    sid, cid = served(t, '+8613800000001')
    r = says(t, '+8613800000001', 'TD')
    assert r[6] == '3'
    assert sv(h, t, sid)['survey'] == 'optout' and 'csat' not in sv(h, t, sid)
    assert h.r.hget(t.P + ':c:' + cid, 'surveys') == 'no'
    assert '不会再向您发送调查' in tx(h, t, sid)[-1][1]
    # the next session closes: not asked, and said so on it
    r = says(t, '+8613800000001', '又坏了')
    sid2 = r[0]
    assert r[6] == '2'
    t.fc('oq_accept', sid2, 'a')
    t.fc('oq_close', sid2, 'resolved')
    t.fc('oq_sweep', 100)
    assert sv(h, t, sid2)['survey'] == 'optout'
    assert [d for d, _ in tx(h, t, sid2)] == ['in']
    # an agent's desk may set it back (the profile field)
    t.fc('oq_customer_set', cid, 'surveys', '')
    assert h.r.hget(t.P + ':c:' + cid, 'surveys') == ''


def test_an_answer_after_the_window_is_a_new_conversation(h):
    t = setup(h, kind='csat', window='3600')
    sid, _ = served(t, '+8613900000001')
    h.advance(3601 * 1000)
    r = says(t, '+8613900000001', '5')
    assert r[6] == '2' and r[0] != sid and 'csat' not in sv(h, t, sid)


def test_a_new_conversation_first_then_an_answer_in_the_window_still_counts(h):
    t = setup(h)
    sid, _ = served(t, '+8613900000002')
    r = says(t, '+8613900000002', '另外我想问一下保修')
    other = r[0]
    assert r[6] == '2' and other != sid
    # while that one lives, "5" is a message of it
    r = says(t, '+8613900000002', '5')
    assert (r[0], r[6]) == (other, '0') and 'csat' not in sv(h, t, sid)
    t.fc('oq_accept', other, 'a')
    t.fc('oq_close', other, '')
    # the latest session is now `other`, asked in its turn: the answer goes to it
    t.fc('oq_sweep', 100)
    r = says(t, '+8613900000002', '4')
    assert (r[0], r[6]) == (other, '3') and sv(h, t, other)['csat'] == '4'


def test_a_retried_answer_is_recorded_once(h):
    t = setup(h)
    sid, _ = served(t, '+8613900000003')
    r1 = says(t, '+8613900000003', '5', 'gw-77')
    r2 = says(t, '+8613900000003', '5', 'gw-77')
    assert r1[6] == '3' and r2[6] == '1' and r2[5] == r1[5] and r2[0] == sid
    assert [d for d, _ in tx(h, t, sid)].count('in') == 2    # the first message, one answer


def test_what_is_never_asked(h):
    t = h.tenant()
    t.agent('a', '', caps='voice=1,chat=20,email=4,total=20')
    # no survey for this queue and none for '*'
    t.fc('oq_survey_set', 'sales', 'kind', 'csat')
    sid, _ = served(t, '+8613300000001')
    assert 'survey' not in sv(h, t, sid)
    t.fc('oq_survey_set', '*', 'kind', 'nps')
    # an abandoned session (the customer left before an agent took it)
    t.fc('oq_ob_register', 'sms')
    r = t.fc('oq_ingest', 'sms', '', 'tel:+8613300000002', '', 0, 'support', '+8613300000002',
             '', 'text', 'hello', '')
    t.fc('oq_close', r[0], '')
    t.fc('oq_sweep', 100)
    assert t.state(r[0]) == 'abandoned' and 'survey' not in sv(h, t, r[0])
    # a channel nothing reaches the customer on after the end: no senders, no form of ours
    w = t.enq(channel='line', queue='support', cls='chat')
    t.fc('oq_accept', w['sid'], 'a')
    t.fc('oq_close', w['sid'], '')
    t.fc('oq_sweep', 100)
    assert t.state(w['sid']) == 'closed' and 'survey' not in sv(h, t, w['sid'])
    # the queue's own survey wins over '*'
    sid, _ = served(t, '+8613300000003', queue='sales')
    assert sv(h, t, sid)['sv_kind'] == 'csat'


def test_the_customer_is_asked_as_the_agents_wrap_up_starts_and_may_answer_during_it(h):
    t = setup(h)
    t.cfg(wrapup_time='30')
    t.fc('oq_ob_register', 'sms')
    r = t.fc('oq_ingest', 'sms', '', 'tel:+8613300000009', '', 0, 'support', '+8613300000009',
             '', 'text', 'hi', '')
    sid = r[0]
    t.fc('oq_accept', sid, 'a')
    t.fc('oq_close', sid, 'resolved')
    t.fc('oq_sweep', 100)
    assert t.state(sid) == 'wrapup' and sv(h, t, sid)['survey'] == 'asked'
    r = says(t, '+8613300000009', '4分')
    assert (r[0], r[1], r[6]) == (sid, 'wrapup', '3') and sv(h, t, sid)['csat'] == '4'
    # what is no answer still joins the session the agent wraps up, as before
    r = says(t, '+8613300000009', '还有一件事')
    assert (r[0], r[6]) == (sid, '0')
    t.fc('oq_wrapup_done', sid)
    t.fc('oq_sweep', 100)
    assert t.state(sid) == 'closed'
    assert [d for d, _ in tx(h, t, sid)] == ['in', 'out', 'in', 'out', 'in']   # asked once


def test_survey_settings_are_checked_listed_and_removed(h):
    t = h.tenant()
    for args in [('support', 'kind', 'stars'), ('support', 'window', '59'),
                 ('support', 'window', str(31 * 86400)), ('support', 'colour', 'red'),
                 ('support', 'ask', 'x' * 1025), ('bad queue', 'kind', 'csat'),
                 ('support', 'kind'), ('support', 'kind', 'csat', 'kind', 'nps')]:
        t.expect_err('ARG', 'oq_survey_set', *args)
    assert t.fc('oq_survey_set', 'support', 'kind', 'both', 'window', '7200',
                'thanks', '-') == 'OK'
    assert t.fc('oq_survey_set', 'support', 'ask', '打个分吧 1-5') == 'OK'   # others kept
    rows = [harness.pairs(r) for r in t.fc('oq_survey_list')]
    assert rows == [{'queue': 'support', 'kind': 'both', 'window': '7200',
                     'ask': '打个分吧 1-5', 'ask_nps': '', 'thanks': '-', 'sms': '',
                     'link': '', 'voice': ''}]
    t.expect_err('ARG', 'oq_survey_set', 'support', 'sms', 'no gateway!')
    t.expect_err('ARG', 'oq_survey_set', 'support', 'voice', 'yes')
    assert t.fc('oq_survey_del', 'support') == 1 and t.fc('oq_survey_del', 'support') == 0
    assert t.fc('oq_survey_list') == [] and not h.r.exists(t.P + ':svq')


def test_no_thanks_when_the_tenant_says_none(h):
    t = setup(h, kind='csat', thanks='-')
    sid, _ = served(t, '+8613300000010')
    n = len(tx(h, t, sid))
    assert says(t, '+8613300000010', '5')[6] == '3'
    assert [d for d, _ in tx(h, t, sid)[n:]] == ['in']


def closed_web(t, queue='support'):
    w = t.enq(channel='web', queue=queue)
    t.fc('oq_accept', w['sid'], 'a')
    t.fc('oq_close', w['sid'], '')
    t.fc('oq_sweep', 100)
    return w['sid'], w['cid']


def test_a_web_chat_is_asked_by_its_widgets_form_and_the_form_answers_once(h):
    t = setup(h, kind='both', thanks='多谢! Thanks!')
    sid, cid = closed_web(t)
    s = sv(h, t, sid)
    assert (s['survey'], s['sv_step']) == ('asked', 'both')
    assert [(e['sid'], e['state']) for e in t.events() if e['type'] == 'survey'] == [(sid, 'both')]
    assert h.r.xlen(t.P + ':s:%s:tx' % sid) == 0          # the form asks, no message
    assert t.fc('oq_survey_answer', sid, '4', '9', '等得有点久') == '多谢! Thanks!'
    s = sv(h, t, sid)
    assert (s['csat'], s['nps'], s['survey'], s['survey_comment']) == ('4', '9', 'answered', '等得有点久')
    assert t.cust(cid)['last_csat'] == '4'
    assert tx(h, t, sid) == [('note', 'Survey: CSAT 4/5 · NPS 9/10 · “等得有点久”')]
    ev = [e for e in t.events() if e['type'] == 'survey'][-1]
    assert (ev['state'], ev['csat'], ev['nps']) == ('answered', '4', '9')
    # once
    t.expect_err('STATE', 'oq_survey_answer', sid, '5', '', '')


def test_a_form_answer_is_checked_and_a_refused_one_writes_nothing(h):
    t = setup(h, kind='csat', window='600')
    sid, _ = closed_web(t)
    for args in [(sid, '6', '', ''), (sid, '0', '', ''), (sid, 'x', '', ''), (sid, '', '', 'hi'),
                 (sid, '', '9', ''), (sid, '5', '', 'x' * 1025), ('abc', '5', '', ''),
                 (sid, '5', '')]:
        t.expect_err('ARG', 'oq_survey_answer', *args)
    t.expect_err('NOTFOUND', 'oq_survey_answer', '999999', '5', '', '')
    other = t.enq(channel='web', queue='support')           # live: nothing asked
    t.expect_err('STATE', 'oq_survey_answer', other['sid'], '5', '', '')
    h.advance(601 * 1000)
    t.expect_err('STATE', 'oq_survey_answer', sid, '5', '', '')
    # a thanks of "-": none to show
    t2 = setup(h, kind='nps', thanks='-')
    sid2, _ = closed_web(t2)
    assert t2.fc('oq_survey_answer', sid2, '', '10', '') == ''
    assert sv(h, t2, sid2)['nps'] == '10'


def sms_queue(h, t):
    """the messages of no session queued for the SMS senders: [(to, body)]"""
    out = []
    for did in h.r.zrange(t.P + ':ob:q:sms', 0, -1):
        d = h.r.hgetall(t.P + ':ob:d:' + did)
        if d['sid'] == '':
            out.append((d['ext'], d['body']))
    return out


def called(t, caller, agent='a'):
    r = t.fc('oq_enqueue', 'phone', 'voice', caller, '', 0, 'support', caller)
    sid = r[0]
    t.fc('oq_accept', sid, agent)
    t.fc('oq_close', sid, 'resolved')
    t.fc('oq_sweep', 100)
    return sid, r[4]


def test_a_call_is_surveyed_by_sms_through_the_surveys_gateway_and_answered_there(h):
    t = setup(h, kind='csat', sms='kannel')
    t.fc('oq_ob_register', 'sms')
    sid, cid = called(t, 'phone:+8613100000001')
    s = sv(h, t, sid)
    assert (s['survey'], s['sv_ch'], s['sv_to']) == ('asked', 'sms', 'kannel:+8613100000001'), s
    assert [to for to, _ in sms_queue(h, t)] == ['kannel:+8613100000001']
    assert ASKED_CSAT in sms_queue(h, t)[0][1]
    assert tx(h, t, sid)[-1][0] == 'note' and 'Survey, by sms' in tx(h, t, sid)[-1][1]
    # the caller answers by SMS: recorded on the call, thanked by SMS
    r = t.fc('oq_ingest', 'sms', '', 'sms:+8613100000001', '', 0, 'support',
             'kannel:+8613100000001', '', 'text', '4分 接线员很耐心', 'kannel:m1')
    assert (r[0], r[6]) == (sid, '3'), r
    s = sv(h, t, sid)
    assert (s['csat'], s['survey'], s['survey_comment']) == ('4', 'answered', '接线员很耐心')
    assert t.cust(cid)['last_csat'] == '4'
    assert THANKS in sms_queue(h, t)[-1][1] and len(sms_queue(h, t)) == 2
    # the gateway delivers the same message again: known, nothing written, no new session
    n = int(h.r.get(t.P + ':seq:s'))
    r2 = t.fc('oq_ingest', 'sms', '', 'sms:+8613100000001', '', 0, 'support',
              'kannel:+8613100000001', '', 'text', '4分 接线员很耐心', 'kannel:m1')
    assert (r2[0], r2[6], r2[5]) == (sid, '1', r[5]) and int(h.r.get(t.P + ':seq:s')) == n
    # the next SMS is a conversation of its own
    r3 = t.fc('oq_ingest', 'sms', '', 'sms:+8613100000001', '', 0, 'support',
              'kannel:+8613100000001', '', 'text', '5', 'kannel:m2')
    assert r3[6] == '2' and r3[0] != sid


def test_a_call_is_not_surveyed_without_a_gateway_or_a_number(h):
    t = setup(h, kind='csat')                    # no sms gateway named
    t.fc('oq_ob_register', 'sms')
    sid, _ = called(t, 'phone:+8613100000002')
    assert 'survey' not in sv(h, t, sid) and sms_queue(h, t) == []
    t.fc('oq_survey_set', '*', 'sms', 'kannel')
    sid, _ = called(t, 'sip:bob@example.com')    # a SIP caller: no number to text
    assert 'survey' not in sv(h, t, sid) and sms_queue(h, t) == []
    t2 = setup(h, kind='csat', sms='kannel')     # no SMS senders on any node
    sid, _ = called(t2, 'phone:+8613100000003')
    assert 'survey' not in sv(h, t2, sid)


def test_a_call_is_surveyed_by_voice_as_its_agent_hangs_up_and_never_by_sms(h):
    """voice '1': oq_survey_voice, as the agent hangs up (the session still active), asks
    CSAT on the call (sv_ch voice, a window of minutes), counts and emits it; the keypad's
    answer comes through oq_survey_answer; the close and the sweep after it send no SMS, and
    a second ask is refused. Without voice, or for an opted-out caller or a chat, none."""
    t = setup(h, kind='csat', sms='kannel', voice='1')
    t.fc('oq_ob_register', 'sms')
    r = t.fc('oq_enqueue', 'phone', 'voice', 'phone:+8613100000009', '', 0, 'support', 'x')
    sid, cid = r[0], r[4]
    t.fc('oq_accept', sid, 'a')
    assert t.fc('oq_survey_voice', sid) == ['csat', '']
    s = sv(h, t, sid)
    assert (s['survey'], s['sv_kind'], s['sv_ch']) == ('asked', 'csat', 'voice'), s
    assert int(s['sv_until']) - int(s['sv_at']) == 300000, s
    assert h.r.hget(t.P + ':stat', 'surveys_asked') == '1'
    assert [e['state'] for e in t.events() if e['type'] == 'survey'] == ['csat']
    assert t.fc('oq_survey_voice', sid) == ['', 'session %s has a survey already (asked)' % sid]
    t.fc('oq_close', sid, 'resolved')
    t.fc('oq_sweep', 100)
    assert sms_queue(h, t) == [] and sv(h, t, sid)['survey'] == 'asked'
    assert t.fc('oq_survey_answer', sid, '4', '', '', )
    s = sv(h, t, sid)
    assert (s['csat'], s['survey']) == ('4', 'answered') and t.cust(cid)['last_csat'] == '4'
    # a call of voice '1' whose caller left first is asked nothing, not even by SMS
    sid2, _ = called(t, 'phone:+8613100000010')
    assert 'survey' not in sv(h, t, sid2) and sms_queue(h, t) == []
    # an opted-out caller: recorded, not asked; a chat: none; no voice: none
    t.fc('oq_customer_set', cid, 'surveys', 'no')
    r = t.fc('oq_enqueue', 'phone', 'voice', 'phone:+8613100000009', '', 0, 'support', 'y')
    t.fc('oq_accept', r[0], 'a')
    assert t.fc('oq_survey_voice', r[0]) == ['', 'the customer opted out of surveys']
    assert sv(h, t, r[0])['survey'] == 'optout'
    t.fc('oq_close', r[0], 'resolved')
    chat = t.enq(channel='web', queue='support')
    assert t.fc('oq_survey_voice', chat['sid'])[0] == ''
    t.fc('oq_survey_set', '*', 'voice', '')
    r = t.fc('oq_enqueue', 'phone', 'voice', 'phone:+8613100000011', '', 0, 'support', 'z')
    t.fc('oq_accept', r[0], 'a')
    assert t.fc('oq_survey_voice', r[0]) == \
        ['', 'the survey of queue support does not ask calls by voice']
    t.expect_err('NOTFOUND', 'oq_survey_voice', '99999')


def test_a_call_is_asked_nps_or_both_on_the_keypad_when_the_node_can_ask_them(h):
    """kind both, voice '1': a node whose prompts ask CSAT only (can 1, the default) asks
    nothing; one that asks both (can 3) marks CSAT first; the keypad's CSAT is kept and the
    survey stays asked for its NPS (event 'nps'), which answers it - a CSAT then is refused.
    kind nps: asked by a node that can ask NPS (can 2), its step nps at once."""
    t = setup(h, kind='both', sms='', voice='1')
    r = t.fc('oq_enqueue', 'phone', 'voice', 'phone:+8613100000012', '', 0, 'support', 'x')
    sid, cid = r[0], r[4]
    t.fc('oq_accept', sid, 'a')
    assert t.fc('oq_survey_voice', sid) == ['', 'the prompts of this node cannot ask both on the call']
    assert t.fc('oq_survey_voice', sid, '2')[0] == ''
    assert 'survey' not in sv(h, t, sid)
    t.expect_err('ARG', 'oq_survey_voice', sid, '4')
    assert t.fc('oq_survey_voice', sid, '3') == ['both', '']
    s = sv(h, t, sid)
    assert (s['survey'], s['sv_kind'], s['sv_step']) == ('asked', 'both', 'csat'), s
    t.fc('oq_survey_answer', sid, '2', '', '')
    s = sv(h, t, sid)
    assert (s['csat'], s['survey'], s['sv_step']) == ('2', 'asked', 'nps') and 'nps' not in s, s
    assert h.r.hget(t.P + ':stat', 'surveys_answered') is None
    t.expect_err('ARG', 'oq_survey_answer', sid, '3', '', '')
    t.fc('oq_survey_answer', sid, '', '10', '')
    s = sv(h, t, sid)
    assert (s['csat'], s['nps'], s['survey']) == ('2', '10', 'answered'), s
    assert h.r.hget(t.P + ':stat', 'surveys_answered') == '1'
    assert [e['state'] for e in t.events() if e['type'] == 'survey'] == ['csat', 'nps', 'answered']
    t.expect_err('STATE', 'oq_survey_answer', sid, '', '9', '')
    t.fc('oq_close', sid, 'resolved')
    t.fc('oq_survey_set', '*', 'kind', 'nps')
    r = t.fc('oq_enqueue', 'phone', 'voice', 'phone:+8613100000013', '', 0, 'support', 'y')
    t.fc('oq_accept', r[0], 'a')
    assert t.fc('oq_survey_voice', r[0], '1')[0] == ''
    assert t.fc('oq_survey_voice', r[0], '2') == ['nps', '']
    assert sv(h, t, r[0])['sv_step'] == 'nps'
    t.expect_err('ARG', 'oq_survey_answer', r[0], '4', '', '')
    t.fc('oq_survey_answer', r[0], '', '0', '')
    assert (sv(h, t, r[0])['nps'], sv(h, t, r[0])['survey']) == ('0', 'answered')


KEY_HEX = '0f' * 32


def test_a_mail_carries_a_signed_link_to_the_surveys_page_whose_token_answers_once(h):
    import hashlib
    import hmac
    t = setup(h, kind='both', link='https://support.example.com/')
    assert t.fc('oq_survey_key', KEY_HEX) == 1
    assert t.fc('oq_survey_key', 'ab' * 32) == 0                 # made once, kept
    t.expect_err('ARG', 'oq_survey_key', 'AB' * 32)
    t.expect_err('ARG', 'oq_survey_key', 'ab' * 31)
    t.fc('oq_ob_register', 'email')
    r = t.fc('oq_ingest', 'email', '', 'email:li@customer.example', '', 0, 'support',
             'li@customer.example', '', 'text', 'Subject: 发票\n\n请开发票', '')
    sid = r[0]
    t.fc('oq_accept', sid, 'a')
    t.fc('oq_close', sid, 'resolved')
    t.fc('oq_sweep', 100)
    token = hmac.new(bytes.fromhex(KEY_HEX), ('survey|' + sid).encode(), hashlib.sha1).hexdigest()
    url = 'https://support.example.com/survey/%s/%s/%s#both' % (t.name, sid, token)
    asked = tx(h, t, sid)[-1][1]
    assert asked.startswith(ASKED_CSAT) and asked.endswith('Or rate us here: ' + url), asked
    # a forged or another session's token: as if there were no survey, nothing written
    t.expect_err('NOTFOUND', 'oq_survey_answer', sid, '5', '9', '', '0' * 40)
    other = hmac.new(bytes.fromhex(KEY_HEX), b'survey|999', hashlib.sha1).hexdigest()
    t.expect_err('NOTFOUND', 'oq_survey_answer', sid, '5', '9', '', other)
    assert THANKS in t.fc('oq_survey_answer', sid, '5', '9', '发票很快', token.upper())
    s = sv(h, t, sid)
    assert (s['csat'], s['nps'], s['survey']) == ('5', '9', 'answered')
    t.expect_err('STATE', 'oq_survey_answer', sid, '4', '', '', token)


def test_a_mail_has_no_link_without_the_surveys_link_or_the_tenants_key(h):
    t = setup(h, kind='csat')                                   # no link
    t.fc('oq_survey_key', KEY_HEX)
    t.fc('oq_ob_register', 'email')
    for n, tenant in enumerate([t, setup(h, kind='csat', link='https://s.example.com')]):
        r = tenant.fc('oq_ingest', 'email', '', 'email:n%d@customer.example' % n, '', 0,
                      'support', 'n%d@customer.example' % n, '', 'text', 'hi', '')
        tenant.fc('oq_ob_register', 'email')
        tenant.fc('oq_accept', r[0], 'a')
        tenant.fc('oq_close', r[0], '')
        tenant.fc('oq_sweep', 100)
        assert '/survey/' not in tx(h, tenant, r[0])[-1][1]    # the second has no key
    t.expect_err('ARG', 'oq_survey_set', '*', 'link', 'javascript:alert(1)')
    t.expect_err('ARG', 'oq_survey_set', '*', 'link', 'https://x.example.com/"><b>')
