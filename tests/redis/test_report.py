"""Reports (lua/76_report.lua): a scripted day of sessions — answered in and out of the
service level, abandoned short and long, expired, transferred, surveyed, a complaint with
tags, resolved ones that come back within the FCR window and ones that do not — and every
figure of oq_report equal to the value worked out by hand, per tenant, queue, channel and
agent, for 15 minutes, an hour and a day."""

import harness

BUCKET = 900000
SEC = 1000


def now_ms(h):
    t = h.r.time()
    return t[0] * 1000 + t[1] // 1000 + int(h.r.get('oq:test:clock') or 0)


def at_interval_start(h):
    """the library's clock moved to 1 s into the next 15-minute interval: its start"""
    n = now_ms(h)
    h.advance(BUCKET - n % BUCKET + SEC)
    n = now_ms(h)
    return n - n % BUCKET


def rows(t, start, step, by):
    out = {}
    for r in t.fc('oq_report', start, start + 86400000, step, by):
        d = harness.pairs(r)
        out[(int(d['start']), d['dim'])] = d
    return out


def near(got, want, slack=800):
    """a sum of waits: the test's clock also moves with real time, a few ms a step"""
    return want <= int(got) <= want + slack


def served(t, h, channel, ident, queue, agent, wait_s, talk_s, disposition, cls=''):
    """a session that waits wait_s, is taken by agent (the only one with room for it) and
    closed talk_s later with disposition"""
    t.fc('oq_ob_register', 'sms')
    r = t.fc('oq_enqueue', channel, cls, ident, '', 0, queue, ident)
    sid = r[0]
    h.advance(wait_s * SEC)
    if t.sess(sid)['state'] == 'queued':
        t.fc('oq_agent_state', agent, 'available')
    assert t.sess(sid)['agent'] == agent, t.sess(sid)
    t.fc('oq_accept', sid, agent)
    h.advance(talk_s * SEC)
    t.fc('oq_close', sid, disposition)
    return sid, r[4]


def test_a_scripted_interval_gives_the_figures_worked_out_by_hand(h):
    t = h.tenant()
    t.cfg(sl_target='20', short_abandon='5', fcr_window='3600', max_wait='0')
    t.fc('oq_survey_set', '*', 'kind', 'csat')
    t.agent('a', '', caps='voice=1,chat=1,email=0,total=1', presence='away')
    t.agent('b', '', caps='voice=1,chat=1,email=0,total=1', presence='away')
    start = at_interval_start(h)
    # 1. SMS support, waits 10 s (within 20), a talks 60 s, resolved; later CSAT 5 by SMS
    s1, c1 = served(t, h, 'sms', 'sms:+8613900000001', 'support', 'a', 10, 60, 'resolved')
    t.fc('oq_agent_state', 'a', 'away')
    # 2. web support, waits 30 s (out of the level), b talks 100 s, a complaint
    s2, _ = served(t, h, 'web', 'web:v2', 'support', 'b', 30, 100, 'complaint')
    t.fc('oq_agent_state', 'b', 'away')
    # 3. SMS support abandoned after 3 s: a short abandon
    r3 = t.fc('oq_enqueue', 'sms', '', 'sms:+8613900000003', '', 0, 'support', '+3')
    h.advance(3 * SEC)
    t.fc('oq_abandon', r3[0])
    # 4. web sales abandoned after 40 s
    r4 = t.fc('oq_enqueue', 'web', '', 'web:v4', '', 0, 'sales', '')
    h.advance(40 * SEC)
    t.fc('oq_abandon', r4[0])
    # 5. web sales: a takes it after 5 s, transfers it to b 10 s later, b closes it 10 s
    #    after that: resolved; its customer comes back to sales 100 s later (FCR no)
    r5 = t.fc('oq_enqueue', 'web', '', 'web:v5', '', 0, 'sales', '')
    s5 = r5[0]
    h.advance(5 * SEC)
    t.fc('oq_agent_state', 'a', 'available')
    t.fc('oq_accept', s5, 'a')
    h.advance(10 * SEC)
    t.fc('oq_agent_state', 'b', 'available')
    assert t.fc('oq_transfer', s5, 'a', 'agent', 'b', '') == [s5, 'offered', 'b']
    t.fc('oq_accept', s5, 'b')
    h.advance(10 * SEC)
    t.fc('oq_close', s5, 'resolved')
    t.fc('oq_agent_state', 'a', 'away')
    h.advance(100 * SEC)
    back = t.fc('oq_enqueue', 'web', '', 'web:v5', '', 0, 'sales', '')[0]
    t.fc('oq_sweep', 100)
    assert t.sess(s1)['state'] == 'closed'
    # the answers: s1's customer answers the SMS survey "5"
    r = t.fc('oq_ingest', 'sms', '', 'sms:+8613900000001', '', 0, 'support', '+1', '',
             'text', '5', '')
    assert (r[0], r[6]) == (s1, '3'), r
    # s2's visitor answers the widget's form: CSAT 2, NPS 3
    assert t.fc('oq_survey_answer', s2, '2', '', '') == '感谢您的评价! Thank you for your feedback!'
    # the FCR window (1 h) passes for s1 and s5 (its return is inside the window)
    t.fc('oq_abandon', back)
    h.advance(3601 * SEC)
    t.fc('oq_sweep', 100)
    q = rows(t, start, 900000, 'q')
    sup, sal = q[(start, 'support')], q[(start, 'sales')]
    assert (sup['offered'], sup['answered'], sup['abandoned'], sup['short_abandoned'],
            sup['sl_met'], sup['resolved'], sup['complaints']) == \
        ('3', '2', '1', '1', '1', '1', '1'), sup
    assert near(sup['wait_ms'], 40 * SEC) and near(sup['handle_ms'], 160 * SEC), sup
    assert near(sup['wait_max_ms'], 30 * SEC, 400), sup
    assert (sup['sl_pct'], sup['asa_s'], sup['aht_s']) == ('50.0', '20.0', '80.0'), sup
    # abandon rate leaves the short abandon out: 0 of 2
    assert sup['abandon_pct'] == '0.0', sup
    # CSAT: 5 (s1) and 2 (s2): avg 3.5, satisfied 50 %; FCR: s1 yes
    assert (sup['csat_n'], sup['csat_sum'], sup['csat_avg'], sup['csat_pct']) == ('2', '7', '3.5', '50.0')
    assert (sup['fcr_n'], sup['fcr_ok'], sup['fcr_pct']) == ('1', '1', '100.0'), sup
    # sales: s4 abandoned (40 s), s5 answered and resolved, its customer back (FCR no), and
    # the return itself abandoned at once (a short abandon)
    assert (sal['offered'], sal['answered'], sal['abandoned'], sal['short_abandoned'],
            sal['resolved'], sal['fcr_n'], sal['fcr_ok'], sal['fcr_pct'], sal['transfers']) == \
        ('3', '1', '2', '1', '1', '1', '0', '0.0', '1'), sal
    assert near(sal['handle_ms'], 20 * SEC) and sup['transfers'] == '0', sal
    assert sal['abandon_pct'] == '50.0' and near(sal['wait_max_ms'], 40 * SEC, 400), sal
    # by agent (the one who ended it): a answered s1, b s2 and s5 (transferred to b)
    ag = rows(t, start, 900000, 'a')
    assert (ag[(start, 'a')]['answered'], ag[(start, 'b')]['answered']) == ('1', '2')
    assert ag[(start, 'b')]['csat_avg'] == '2.0' and ag[(start, 'a')]['csat_avg'] == '5.0'
    # by channel, and the tenant: the hour and the day hold the same sessions
    ch = rows(t, start, 900000, 'c')
    assert (ch[(start, 'sms')]['offered'], ch[(start, 'web')]['offered']) == ('2', '4')
    for step in (3600000, 86400000):
        # (an interval of the agents' samples alone, later on, is no row of sessions)
        tot = [r for r in rows(t, start - start % step, step, '*').values() if r['offered'] != '0']
        assert len(tot) == 1 and tot[0]['offered'] == '6' and tot[0]['answered'] == '3', tot
    # the complaint's tags: none were set, so it counts for its queue, channel and agent only
    assert rows(t, start, 900000, 'g') == {}


def test_a_complaint_counts_by_each_of_its_tags(h):
    t = h.tenant()
    t.agent('a', '', caps='voice=1,chat=4,email=0,total=4')
    start = at_interval_start(h)
    for tags in ('billing,delivery', 'billing'):
        r = t.fc('oq_enqueue', 'web', '', t.ident(), '', 0, 'support', '')
        t.fc('oq_accept', r[0], 'a')
        t.fc('oq_session_set', r[0], 'tags', tags)
        t.fc('oq_close', r[0], 'complaint')
    t.fc('oq_sweep', 100)
    g = rows(t, start, 900000, 'g')
    assert (g[(start, 'billing')]['complaints'], g[(start, 'delivery')]['complaints']) == ('2', '1')
    assert rows(t, start, 900000, '*')[(start, '*')]['complaints'] == '2'


def test_each_session_counts_once_and_a_report_is_checked(h):
    t = h.tenant()
    t.agent('a', '', caps='voice=1,chat=4,email=0,total=4')
    start = at_interval_start(h)
    r = t.fc('oq_enqueue', 'web', '', t.ident(), '', 0, 'support', '')
    t.fc('oq_accept', r[0], 'a')
    t.fc('oq_close', r[0], '')
    for _ in range(3):
        t.fc('oq_sweep', 100)
        h.r.zadd(t.P + ':look', {r[0]: 0})            # looked at again: counted once
    assert rows(t, start, 900000, '*')[(start, '*')]['offered'] == '1'
    for args in [(start, start, 900000, '*'), (start, start + 1, 60000, '*'),
                 (start, start + 1, 900000, 'x'), (start, start + 36 * 86400000, 900000, '*'),
                 ('a', start, 900000, '*')]:
        t.expect_err('ARG', 'oq_report', *args)
    # a quiet interval: no rows
    assert t.fc('oq_report', start + 900000, start + 1800000, 900000, '*') == []


def closed_as(t, disposition, tags=''):
    r = t.fc('oq_enqueue', 'web', '', t.ident(), '', 0, 'support', '')
    t.fc('oq_accept', r[0], 'a')
    if tags:
        t.fc('oq_session_set', r[0], 'tags', tags)
    t.fc('oq_close', r[0], disposition)
    return r[0]


def test_a_tenants_dispositions_say_what_is_resolved_a_complaint_or_a_lead(h):
    import json
    t = h.tenant()
    t.agent('a', '', caps='voice=1,chat=8,email=0,total=8')
    rows_ = [harness.pairs(r) for r in t.fc('oq_disposition_list')]
    assert rows_[0] == {'lead_channel': ''}
    seeds = {r['name']: r['flags'] for r in rows_[1:]}
    assert seeds == {'complaint': 'complaint', 'consultation': 'resolved', 'request_accepted':
                     'resolved', 'resolved': 'resolved', 'return_visit': '', 'sales_lead': 'lead'}
    assert t.fc('oq_disposition_set', 'late_delivery', 'complaint', 'delivery,courier') == 'OK'
    assert t.fc('oq_disposition_set', 'consultation', '', '') == 'OK'      # a seed changed
    for args in [('x', 'happy', ''), ('', 'lead', ''), ('bad name', 'lead', ''),
                 ('y', 'lead', 'bad tag'), ('y', 'lead')]:
        t.expect_err('ARG', 'oq_disposition_set', *args)
    t.expect_err('ARG', 'oq_lead_channel', 'CRM!')
    t.fc('oq_ob_register', 'crm')
    assert t.fc('oq_lead_channel', 'crm') == 'OK'
    start = at_interval_start(h)
    closed_as(t, 'late_delivery', 'courier,weekend')
    closed_as(t, 'consultation')
    lead = closed_as(t, 'sales_lead', 'vip')
    t.fc('oq_sweep', 100)
    tot = rows(t, start, 900000, '*')[(start, '*')]
    assert (tot['offered'], tot['complaints'], tot['resolved']) == ('3', '1', '0'), tot
    g = {name: r['complaints'] for (_, name), r in rows(t, start, 900000, 'g').items()}
    assert g == {'courier': '1', 'weekend': '1', 'delivery': '1'}, g    # once each
    # the lead: a delivery of type lead for the crm channel's senders, its body the lead
    did = h.r.hget(t.P + ':s:' + lead, 'lead_did')
    d = h.r.hgetall(t.P + ':ob:d:' + did)
    assert (d['channel'], d['type'], d['state'], d['sid']) == ('crm', 'lead', 'queued', ''), d
    body = json.loads(d['body'])
    assert (body['session'], body['disposition'], body['tags'], body['agent'], body['queue']) == \
        (lead, 'sales_lead', 'vip', 'a', 'support'), body
    t.fc('oq_sweep', 100)
    assert h.r.zcard(t.P + ':ob:q:crm') == 1                 # forwarded once
    # without a lead channel, or one no node sends on: not forwarded, nothing queued
    t.fc('oq_lead_channel', '')
    other = closed_as(t, 'sales_lead')
    t.fc('oq_lead_channel', 'nowhere')
    third = closed_as(t, 'sales_lead')
    t.fc('oq_sweep', 100)
    assert h.r.hget(t.P + ':s:' + other, 'lead_did') is None
    assert h.r.hget(t.P + ':s:' + third, 'lead_did') is None and not h.r.exists(t.P + ':ob:q:nowhere')
    assert t.fc('oq_disposition_del', 'late_delivery') == 1
    assert t.fc('oq_disposition_del', 'late_delivery') == 0


def test_a_supervisors_board_in_one_read(h):
    t = h.tenant()
    t.agent('boss', '', caps='voice=0,chat=1,email=0,total=1', presence='away')
    t.fc('oq_agent_role', 'boss', 'supervisor')
    t.agent('a', '', caps='voice=1,chat=1,email=0,total=1')
    start = at_interval_start(h)
    day = start - start % 86400000
    served_ = t.fc('oq_enqueue', 'web', '', t.ident(), '', 0, 'support', '')[0]
    t.fc('oq_accept', served_, 'a')                      # a is busy from now on
    t.fc('oq_enqueue', 'web', '', t.ident(), '', 0, 'support', '')
    h.advance(30 * SEC)
    t.fc('oq_enqueue', 'web', '', t.ident(), '', 0, 'billing', '')
    t.fc('oq_agent_state', 'a', 'away')                   # takes nothing more
    t.fc('oq_close', served_, 'complaint')
    t.fc('oq_sweep', 100)
    board = [harness.pairs(r) for r in t.fc('oq_board', 'boss', day)]
    kinds = {}
    for b in board:
        kinds.setdefault(b['kind'], {})[b['name']] = b
    sup, bil = kinds['queue']['support'], kinds['queue']['billing']
    assert (sup['waiting'], sup['offered'], sup['answered'], sup['complaints']) == ('1', '1', '1', '1')
    assert near(sup['longest_ms'], 30 * SEC, 2000) and near(bil['longest_ms'], 0, 2000), (sup, bil)
    assert bil['waiting'] == '1'
    a = kinds['agent']['a']
    assert (a['state'], a['load'], a['cap'], a['answered']) == ('away', '0', '1', '1'), a
    assert near(a['since'], now_ms(h) - 30 * SEC, 31 * SEC) and kinds['agent']['boss']['state'] == 'away'
    assert list(kinds['interval']) == [str(start)] and kinds['interval'][str(start)]['offered'] == '1'
    assert 'tag' not in kinds                           # a complaint with no tags
    t.expect_err('AGENT', 'oq_board', 'a', day)
    t.expect_err('ARG', 'oq_board', 'boss')


def erlang_c_agents(a, h, t, goal):
    """the textbook's Erlang C, with factorials: the fewest agents for goal within t s"""
    import math
    u = a * h
    for n in range(int(u) + 1, 1000):
        s = sum(u ** k / math.factorial(k) for k in range(n))
        top = u ** n / math.factorial(n) * n / (n - u)
        wait = top / (s + top)
        if 1 - wait * math.exp(-(n - u) * t / h) >= goal:
            return n


def test_staffing_is_erlang_c_of_the_intervals_arrivals_and_handle_time(h):
    t = h.tenant()
    t.cfg(sl_target='20', sl_goal='80')
    for i in range(6):
        t.agent('s%d' % i, '', caps='voice=0,chat=1,email=0,total=1')
    start = at_interval_start(h)
    seen = []

    def sweep():
        seen.append(h.r.scard(t.P + ':avail'))
        t.fc('oq_sweep', 100)
    sweep()                                                 # a sample
    sids = [t.fc('oq_enqueue', 'web', '', t.ident(), '', 0, 'support', '') for _ in range(6)]
    for r in sids:
        t.fc('oq_accept', r[0], r[2])
    t.fc('oq_agent_state', 's5', 'away')                    # one fewer available
    h.advance(30 * SEC)
    sweep()                                                 # within the minute: no sample
    h.advance(31 * SEC)
    sweep()                                                 # a sample
    h.advance(239 * SEC)                                    # 300 s of handling each
    for r in sids:
        t.fc('oq_close', r[0], '')
    sweep()                                                 # a sample
    row = rows(t, start, 900000, '*')[(start, '*')]
    assert (row['offered'], row['avail_n'], seen) == ('6', '3', [6, 5, 5, 5]), (row, seen)
    assert row['agents_available'] == '5.3', row            # (6 + 5 + 5) / 3
    aht = int(row['handle_ms']) / 6 / 1000.0
    assert 300 <= aht < 301, row
    want = erlang_c_agents(6 / 900.0, aht, 20, 0.8)
    # 2 erlangs, 300 s a session, 80 % within 20 s: 3 agents answer 58 % in time, 4 answer 85 %
    assert row['agents_needed'] == str(want) and want == 4, (row['agents_needed'], want)
    # an hour: the same sessions spread over 3,600 s need fewer
    hour = rows(t, start - start % 3600000, 3600000, '*')[(start - start % 3600000, '*')]
    assert hour['agents_needed'] == str(erlang_c_agents(6 / 3600.0, aht, 20, 0.8))
