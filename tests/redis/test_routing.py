"""Routing: skills, levels, idle tie-break, affinity, capacity, policy, pulls."""


import redis

CAPS = 'voice=1,chat=4,email=8,total=10'


def calls_since_reset(h, *names):
    """How many calls of these commands Redis counted since h.r.config_resetstat() (the
    commands a function runs count under their own names), and every command's count."""
    st = {k[8:]: v['calls'] for k, v in h.r.info('commandstats').items()}
    return sum(st.get(c, 0) for c in names), st


def test_best_level_wins(h):
    t = h.tenant()
    t.agent('lo', 'sales:3')
    t.agent('hi', 'sales:9')
    t.agent('mid', 'sales:6')
    assert t.enq(skills='sales')['agent'] == 'hi'


def test_sum_of_levels_over_required_skills(h):
    t = h.tenant()
    t.agent('a', 'en:9,sales:2')     # sum 11
    t.agent('b', 'en:7,sales:7')     # sum 14
    assert t.enq(skills='en,sales')['agent'] == 'b'


def test_missing_skill_excluded(h):
    t = h.tenant()
    t.agent('a', 'en:10')              # best en, lacks sales
    t.agent('b', 'en:1,sales:1')
    assert t.enq(skills='en,sales')['agent'] == 'b'
    s = t.enq(skills='en,fr')
    assert s['state'] == 'queued' and s['position'] == 1 and s['agent'] == ''


def test_longest_idle_tiebreak(h):
    t = h.tenant()
    t.agent('first', 'en:5')
    h.advance(10)
    t.agent('second', 'en:5')
    h.advance(5)
    assert t.enq(skills='en')['agent'] == 'first'
    # the offer bumps first's idle_since: the next equal session spreads
    # (idle_since has millisecond resolution, hence the sleeps)
    h.advance(5)
    assert t.enq(skills='en')['agent'] == 'second'
    h.advance(5)
    assert t.enq(skills='en')['agent'] == 'first'


def test_idle_refreshed_by_finished_work(h):
    t = h.tenant()
    t.agent('a', 'en:5', 'voice=1,chat=0,email=0,total=1')
    h.advance(5)
    t.agent('b', 'en:5', 'voice=1,chat=0,email=0,total=1')
    s1 = t.enq(channel='phone', skills='en')
    assert s1['agent'] == 'a'
    h.advance(5)
    s2 = t.enq(channel='phone', skills='en')
    assert s2['agent'] == 'b'
    t.fc('oq_accept', s2['sid'], 'b')
    t.fc('oq_close', s2['sid'], '')            # b finished first → idle longer
    h.advance(5)
    t.fc('oq_accept', s1['sid'], 'a')
    t.fc('oq_close', s1['sid'], '')
    assert t.enq(channel='phone', skills='en')['agent'] == 'b'


def test_no_skill_session_goes_to_anyone(h):
    t = h.tenant()
    t.agent('a', 'x:1')
    s = t.enq(skills='')
    assert s['agent'] == 'a'
    assert t.sess(s['sid'])['skills'] == ''


def test_affinity_last_agent_preferred(h):
    t = h.tenant()
    t.agent('star', 'en:10')
    t.agent('usual', 'en:2')
    s = t.enq(identity='phone:+100', channel='phone', skills='en')
    assert s['agent'] == 'star'
    h.r.hset(t.P + ':c:' + s['cid'], 'last_agent', 'usual')   # pretend history
    t.fc('oq_abandon', s['sid'])
    s2 = t.enq(identity='sms:+100', channel='sms', skills='en')
    assert s2['agent'] == 'star'            # no last_agent_at → outside window
    t.fc('oq_accept', s2['sid'], 'star')
    t.fc('oq_close', s2['sid'], '')
    t.fc('oq_agent_set', 'usual', 'u', 'en:2', CAPS, '')
    # now make 'usual' the real last agent through an accept
    t.fc('oq_agent_state', 'star', 'away')
    s3 = t.enq(identity='phone:+100', channel='phone', skills='en')
    assert s3['agent'] == 'usual'
    t.fc('oq_accept', s3['sid'], 'usual')
    t.fc('oq_close', s3['sid'], '')
    t.fc('oq_agent_state', 'star', 'available')
    s4 = t.enq(identity='phone:+100', channel='web', skills='en')
    assert s4['agent'] == 'usual'          # affinity beats the better level


def test_affinity_requires_skill_and_window(h):
    t = h.tenant(affinity_window=1)
    t.agent('u', 'en:2,fr:1')
    t.agent('v', 'en:9')
    s = t.enq(identity='web:c', skills='fr')
    assert s['agent'] == 'u'
    t.fc('oq_accept', s['sid'], 'u')
    t.fc('oq_close', s['sid'], '')
    s2 = t.enq(identity='web:c', skills='en')
    assert s2['agent'] == 'u'              # within window
    t.fc('oq_abandon', s2['sid'])
    t.fc('oq_agent_set', 'u', 'u', 'fr:1', CAPS, '')
    assert t.enq(identity='web:c', skills='en')['agent'] == 'v'   # u lost skill
    t.fc('oq_agent_set', 'u', 'u', 'en:2,fr:1', CAPS, '')
    h.advance(1050)
    assert t.enq(identity='web:c', skills='en')['agent'] == 'v'   # window over


def test_affinity_wait_parks_and_last_agent_takes_it(h):
    t = h.tenant(affinity_wait=30)
    t.agent('u', 'en:1', 'voice=1,chat=1,email=0,total=1')
    t.agent('v', 'en:9')
    s = t.enq(identity='web:c', skills='en', channel='web')
    assert s['agent'] == 'v'
    t.fc('oq_decline', s['sid'], 'v')            # → u
    assert t.sess(s['sid'])['agent'] == 'u'
    t.fc('oq_accept', s['sid'], 'u')              # u is full now and last agent
    s2 = t.enq(identity='web:c', skills='en')
    assert s2['state'] == 'queued' and s2['position'] == 1
    assert h.r.zscore(t.P + ':aw:u', s2['sid']) is not None
    assert t.sess(s2['sid'])['affinity'] == 'u'
    assert t.ag('v')['load:total'] == '0'         # v free but not offered
    assert any(e['type'] == 'park' for e in t.events())
    t.fc('oq_close', s['sid'], '')                 # u frees → gets parked session
    assert t.sess(s2['sid'])['agent'] == 'u'
    assert h.r.zcard(t.P + ':awx') == 0


def test_affinity_wait_released_by_sweep(h):
    t = h.tenant(affinity_wait=1)
    t.agent('u', 'en:1', 'voice=1,chat=1,email=0,total=1')
    s = t.enq(identity='web:c', skills='en')
    t.fc('oq_accept', s['sid'], 'u')
    t.agent('v', 'en:9')
    t.fc('oq_agent_state', 'v', 'away')
    s2 = t.enq(identity='web:c', skills='en')
    assert h.r.zscore(t.P + ':aw:u', s2['sid']) is not None
    t.fc('oq_agent_state', 'v', 'available')
    assert t.state(s2['sid']) == 'queued'         # parked: v may not take it
    assert t.sweep() == [0, 0, 0, 0]
    h.advance(1050)
    assert t.sweep() == [0, 0, 1, 0]
    assert t.sess(s2['sid'])['agent'] == 'v'
    assert h.r.zcard(t.P + ':aw:u') == 0


def test_affinity_release_without_agents_goes_to_queue(h):
    t = h.tenant(affinity_wait=1)
    t.agent('u', 'en:1', 'voice=1,chat=1,email=0,total=1')
    s = t.enq(identity='web:c', skills='en')
    t.fc('oq_accept', s['sid'], 'u')
    s2 = t.enq(identity='web:c', skills='en')
    h.advance(1050)
    assert t.sweep() == [0, 0, 1, 0]
    assert t.sess(s2['sid'])['position'] == '1'
    assert h.r.zscore(t.P + ':w:chat:en', s2['sid'] + '||') is not None
    t.fc('oq_close', s['sid'], '')
    assert t.sess(s2['sid'])['agent'] == 'u'


def test_capacity_per_class(h):
    t = h.tenant()
    t.agent('a', 'en:1', 'voice=1,chat=2,email=1,total=10')
    v1, v2 = t.enq(channel='phone', skills='en'), t.enq(channel='phone', skills='en')
    c1, c2, c3 = [t.enq(channel='web', skills='en') for _ in range(3)]
    e1, e2 = t.enq(channel='email', skills='en'), t.enq(channel='email', skills='en')
    assert [x['agent'] for x in (v1, v2, c1, c2, c3, e1, e2)] == ['a', '', 'a', 'a', '', 'a', '']
    a = t.ag('a')
    assert (a['load:voice'], a['load:chat'], a['load:email'], a['load:total']) == ('1', '2', '1', '4')


def test_capacity_total(h):
    t = h.tenant()
    t.agent('a', '', 'voice=1,chat=4,email=8,total=3')
    got = [t.enq(channel=c)['agent'] for c in ('web', 'email', 'phone', 'web', 'email')]
    assert got == ['a', 'a', 'a', '', '']


def test_integrator_channel_uses_given_class(h):
    t = h.tenant()
    t.agent('a', '', 'voice=0,chat=0,email=1,total=1')
    s = t.enq(channel='fax', cls='email')
    assert s['agent'] == 'a' and t.sess(s['sid'])['class'] == 'email'
    t.expect_err('ARG', 'oq_enqueue', 'fax', '', 'web:z', '', '0', 'q', '')
    t.expect_err('ARG', 'oq_enqueue', 'phone', 'chat', 'web:z', '', '0', 'q', '')


def test_blended_allows_chat_during_call(h):
    t = h.tenant()
    t.agent('a', '')
    assert t.enq(channel='phone')['agent'] == 'a'
    assert t.enq(channel='web')['agent'] == 'a'


def test_voice_exclusive(h):
    t = h.tenant(policy='voice_exclusive')
    t.agent('a', '')
    v = t.enq(channel='phone')
    assert v['agent'] == 'a'
    assert h.r.zscore(t.P + ':av:chat:*', 'a') is None
    c = t.enq(channel='web')
    e = t.enq(channel='email')
    assert c['state'] == 'queued' and e['state'] == 'queued'
    t.fc('oq_accept', v['sid'], 'a')
    t.fc('oq_close', v['sid'], '')              # call over: chat and email pulled
    assert t.sess(c['sid'])['agent'] == 'a' and t.sess(e['sid'])['agent'] == 'a'
    # chats do not block a call under this policy (only the reverse)
    assert t.enq(channel='phone')['agent'] == 'a'


def test_queue_order_priority_then_age(h):
    t = h.tenant()
    t.agent('a', 'en:1', 'voice=0,chat=1,email=0,total=1', presence='offline')
    s1 = t.enq(skills='en', priority=1)
    s2 = t.enq(skills='en', priority=5)
    s3 = t.enq(skills='en', priority=1)
    s4 = t.enq(skills='en', priority=5)
    assert [t.sess(x['sid'])['position'] for x in (s1, s2, s3, s4)] == ['3', '1', '4', '2']
    order = []
    r = t.fc('oq_agent_state', 'a', 'available')
    order.append(r[2])
    for _ in range(3):
        t.fc('oq_accept', order[-1], 'a')
        t.fc('oq_close', order[-1], '')
        order.append(t.ag('a')['sessions'])
    assert order == [s2['sid'], s4['sid'], s1['sid'], s3['sid']]


def test_freed_agent_gets_best_across_classes_and_queues(h):
    t = h.tenant()
    t.agent('a', 'en:1,fr:1', 'voice=1,chat=1,email=1,total=1')
    first = t.enq(channel='web', skills='en')
    assert first['agent'] == 'a'
    lo = t.enq(channel='web', skills='fr', queue='chatq', priority=1)
    hi = t.enq(channel='email', skills='en', queue='mailq', priority=7)
    mid = t.enq(channel='phone', skills='', queue='voiceq', priority=3)
    t.fc('oq_accept', first['sid'], 'a')
    t.fc('oq_close', first['sid'], '')
    assert t.sess(hi['sid'])['agent'] == 'a'
    t.fc('oq_accept', hi['sid'], 'a')
    t.fc('oq_close', hi['sid'], '')
    assert t.sess(mid['sid'])['agent'] == 'a'
    t.fc('oq_decline', mid['sid'], 'a')
    assert t.sess(lo['sid'])['agent'] == 'a'


def test_freed_agent_skips_sessions_it_cannot_serve(h):
    t = h.tenant()
    t.agent('a', 'en:1', 'voice=0,chat=1,email=0,total=1')
    busy = t.enq(skills='en')
    blocked = [t.enq(skills='en,zz')['sid'] for _ in range(3)]
    ok = t.enq(skills='en')
    t.fc('oq_accept', busy['sid'], 'a')
    t.fc('oq_close', busy['sid'], '')
    assert t.sess(ok['sid'])['agent'] == 'a'
    assert all(t.state(x) == 'queued' for x in blocked)


def test_decline_reroutes_and_never_reoffers(h):
    t = h.tenant()
    t.agent('a', 'en:9')
    t.agent('b', 'en:5')
    s = t.enq(skills='en')
    assert s['agent'] == 'a'
    assert t.fc('oq_decline', s['sid'], 'a') == [s['sid'], 'offered', 'b']
    assert t.fc('oq_decline', s['sid'], 'b') == [s['sid'], 'queued', '']
    assert sorted(h.r.smembers(t.P + ':s:' + s['sid'] + ':x')) == ['a', 'b']
    # both free, session waiting: neither may get it back
    t.fc('oq_agent_state', 'a', 'away')
    assert t.fc('oq_agent_state', 'a', 'available') == ['a', 'available']
    t.agent('c', 'en:1')
    assert t.sess(s['sid'])['agent'] == 'c'
    st = t.stats()
    assert st['declined'] == '2' and st['offered'] == '3'


def test_decline_keeps_place_in_queue(h):
    t = h.tenant()
    t.agent('a', 'en:1', 'voice=0,chat=1,email=0,total=1')
    t.agent('b', 'en:1', 'voice=0,chat=1,email=0,total=1', presence='offline')
    s1 = t.enq(skills='en')
    s2 = t.enq(skills='en')
    s3 = t.enq(skills='en')
    assert s1['agent'] == 'a'
    enq = t.sess(s1['sid'])['enq']
    t.fc('oq_decline', s1['sid'], 'a')            # a pulls s2 instead
    d = t.sess(s1['sid'])
    assert d['state'] == 'queued' and d['enq'] == enq and d['position'] == '1'
    assert t.sess(s2['sid'])['agent'] == 'a'
    assert t.sess(s3['sid'])['position'] == '2'
    assert t.fc('oq_agent_state', 'b', 'available') == ['b', 'available', s1['sid']]


def test_lookahead_never_leaves_a_qualified_agent_idle(h):
    # lookahead bounds how many *qualified* agents are compared, not how many are looked
    # at: three agents better at 'en' but without 'zz' come first, the only fit is 4th,
    # and the session goes to it (the engine before v2 queued it: "beyond lookahead").
    t = h.tenant(lookahead=2)
    for i in range(3):
        t.agent('g%d' % i, 'en:9')
    t.agent('fit', 'en:1,zz:1')
    s = t.enq(skills='en,zz')
    assert s['state'] == 'offered' and s['agent'] == 'fit'
    # the same with more agents with room than are read at once (40 'en'-only agents)
    t2 = h.tenant(lookahead=2)
    for i in range(40):
        t2.agent('g%02d' % i, 'en:9')
    t2.agent('fit', 'en:1,zz:1')
    s = t2.enq(skills='en,zz')
    assert s['state'] == 'offered' and s['agent'] == 'fit'


def test_several_skills_best_sum_of_every_agent_with_room(h):
    # 40 agents best at 'en' but weak at 'sales' (sum 11) come first in 'en' order; the one
    # with the best sum (19) comes after them. The engine (engine/route.c) compares every
    # agent that could reach the best sum and the best sum wins: the library before v2
    # compared the first `lookahead` (16) with room and offered the chat to a sum of 11.
    # The library reads nothing for it: no ZRANGE, SMISMEMBER, ZMSCORE or ZINTER (what
    # its Lua routing sent), only the engine's one call.
    t = h.tenant()
    for i in range(40):
        t.agent('g%02d' % i, 'en:10,sales:1')
    t.agent('zz', 'en:9,sales:10')
    h.r.config_resetstat()
    s = t.enq(skills='en,sales')
    assert s['state'] == 'offered' and s['agent'] == 'zz', s
    reads, st = calls_since_reset(h, 'zrange', 'zmscore', 'smismember', 'zintercard', 'zinter')
    assert reads == 0 and st.get('omniq.enqueue') == 1, st
    # ties at the best sum: fairness decides (the one idle longest), as with one skill
    t2 = h.tenant()
    t2.agent('b', 'en:5,sales:5')
    h.advance(5)
    t2.agent('a', 'en:5,sales:5')
    t2.agent('c', 'en:4,sales:5')
    assert t2.enq(skills='en,sales')['agent'] == 'b'


def test_freed_agent_looks_past_blocked_heads_within_bound(h):
    # lookahead 2: an agent examines up to 16*2 entries, 8*2 per index.
    # Sessions wait in the index of their first two skills, so the entries
    # that block an agent are those needing a further skill it lacks.
    t = h.tenant(lookahead=2)
    t.agent('a', 'en:1,zz:1,zzy:1', 'voice=0,chat=1,email=0,total=1')
    busy = t.enq(skills='en')
    blocked = [t.enq(skills='en,zz,zzz')['sid'] for _ in range(12)]
    ok = t.enq(skills='en,zz,zzy')
    assert h.r.zcard(t.P + ':w:chat:en,zz') == 13
    t.fc('oq_accept', busy['sid'], 'a')
    t.fc('oq_close', busy['sid'], '')
    assert t.sess(ok['sid'])['agent'] == 'a'            # 13th in its index
    assert all(t.state(x) == 'queued' for x in blocked)
    # beyond the per-index depth the agent gives up (bounded work per call)
    t2 = h.tenant(lookahead=2)
    t2.agent('a', 'en:1,zz:1,zzy:1', 'voice=0,chat=1,email=0,total=1')
    busy = t2.enq(skills='en')
    for _ in range(16):
        t2.enq(skills='en,zz,zzz')
    h.advance(2)                      # far strictly behind all 16
    far = t2.enq(skills='en,zz,zzy')
    t2.fc('oq_accept', busy['sid'], 'a')
    t2.fc('oq_close', busy['sid'], '')
    assert t2.state(far['sid']) == 'queued'
    # ... and the next sweep's rescue, which looks deeper, finds it for the idle agent
    t2.sweep()
    assert t2.sess(far['sid'])['agent'] == 'a'


def test_single_skill_sessions_not_blocked_by_multi_skill_heads(h):
    # A session needing only 'en' waits in its own index, not behind any
    # number of older 'en,...' sessions the agent cannot take.
    t = h.tenant(lookahead=2)
    t.agent('a', 'en:1', 'voice=0,chat=1,email=0,total=1')
    busy = t.enq(skills='en')
    blocked = [t.enq(skills='en,zz')['sid']]
    h.advance(2)                      # blocked[0] strictly oldest
    blocked += [t.enq(skills='en,zz')['sid'] for _ in range(39)]
    far = t.enq(skills='en')
    t.fc('oq_accept', busy['sid'], 'a')
    t.fc('oq_close', busy['sid'], '')
    assert t.sess(far['sid'])['agent'] == 'a'
    assert all(t.state(x) == 'queued' for x in blocked)
    # and a later agent with both skills takes the oldest of them first
    t.agent('b', 'en:1,zz:1', 'voice=0,chat=1,email=0,total=1')
    assert t.sess(blocked[0])['agent'] == 'b'


def test_pair_index_respects_priority_across_indexes(h):
    # The best (priority, then age) fit wins whichever index it sits in.
    t = h.tenant()
    t.agent('a', 'en:1,fr:1,zz:1', 'voice=0,chat=1,email=0,total=1')
    busy = t.enq(skills='en')
    old1 = t.enq(skills='en')
    h.advance(2)                      # distinct enq: order is by age
    old2 = t.enq(skills='en,fr,zz')
    hi = t.enq(skills='fr,zz', priority=5)
    t.fc('oq_accept', busy['sid'], 'a')
    t.fc('oq_close', busy['sid'], '')
    assert t.sess(hi['sid'])['agent'] == 'a'
    t.fc('oq_accept', hi['sid'], 'a')
    t.fc('oq_close', hi['sid'], '')
    assert t.sess(old1['sid'])['agent'] == 'a'
    t.fc('oq_accept', old1['sid'], 'a')
    t.fc('oq_close', old1['sid'], '')
    assert t.sess(old2['sid'])['agent'] == 'a'


def test_agent_with_64_skills_finds_pair_and_triple_sessions(h):
    # The agent side asks about every skill pair: 2081 index names at the
    # 64-skill cap, still one call per class.
    t = h.tenant()
    names = ['s%02d' % i for i in range(64)]
    t.agent('big', ','.join('%s:5' % n for n in names), 'voice=0,chat=3,email=0,total=3',
            presence='away')
    a = t.enq(skills='s10,s63')
    b = t.enq(skills='s00,s31,s62')
    c = t.enq(skills='s05')
    r = t.fc('oq_agent_state', 'big', 'available')
    # (same millisecond: equal scores, so the order among them is not fixed)
    assert r[:2] == ['big', 'available'] and sorted(r[2:]) == sorted([a['sid'], b['sid'], c['sid']]), r


def test_wait_head_list_follows_its_index(h):
    # P:wk lists the first 4 entries of each wait index and "+" when there
    # are more; it must stay exact as entries join and leave anywhere in the
    # index (the invariant checker compares it with the index after the test).
    t = h.tenant()
    sids = []
    for _ in range(6):
        sids.append(t.enq(skills='en,zz,zzz')['sid'])
        h.advance(2)                  # distinct enq: index order is sid order
    def listed():
        return h.r.hget(t.P + ':wk:chat', 'en,zz').split(' ')
    v = listed()
    assert len(v) == 5 and v[-1] == '+'
    assert [e.split('|')[1] for e in v[:4]] == sids[:4]
    t.fc('oq_abandon', sids[5])            # deep ones leave: exactly 4 left, no "+"
    assert listed()[-1] == '+'
    t.fc('oq_abandon', sids[4])
    assert listed()[-1] != '+' and len(listed()) == 4
    t.fc('oq_abandon', sids[0])            # the head leaves: list refreshed
    assert [e.split('|')[1] for e in listed()] == sids[1:4]
    # an agent takes the best listed entry it can serve, behind ones it cannot
    t.agent('a', 'en:1,zz:1', 'voice=0,chat=1,email=0,total=1', presence='away')
    fit = t.enq(skills='en,zz')
    r = t.fc('oq_agent_state', 'a', 'available')
    assert r == ['a', 'available', fit['sid']]
    for sid in sids[1:4]:
        assert t.state(sid) == 'queued'


def test_least_loaded_before_longest_idle(h):
    # Among agents of equal level, work goes to the least loaded, then to the one idle
    # longest. With room for two calls each: a and b each take one; a finishes; the next
    # call goes to a (no call), not to b (whose busy spell began first: the engine before
    # v2 ranked by that alone and piled calls onto b).
    t = h.tenant()
    CAP2 = 'voice=2,chat=0,email=0,total=2'
    t.agent('a', 'en:5', CAP2)
    h.advance(5)
    t.agent('b', 'en:5', CAP2)
    h.advance(5)
    s1 = t.enq(channel='phone', skills='en')
    h.advance(5)
    s2 = t.enq(channel='phone', skills='en')
    assert (s1['agent'], s2['agent']) == ('a', 'b')
    for s in (s1, s2):
        t.fc('oq_accept', s['sid'], s['agent'])
    h.advance(5)
    t.fc('oq_close', s1['sid'], '')
    h.advance(5)
    assert t.enq(channel='phone', skills='en')['agent'] == 'a'
    # and with equal load, the one whose load changed longest ago
    h.advance(5)
    assert t.enq(channel='phone', skills='en')['agent'] == 'b'


def test_fairness_holds_however_many_agents_share_the_best_level(h):
    # A queue where every agent has the same level (sales:5 for all, the usual case) and
    # more agents than routing compares in id order (8 * lookahead = 128): the one idle
    # longest still gets the next call, whatever its id. The engine before compared only
    # the first 128 ids by fairness: z149, available first, sat idle while the first ids
    # took every call.
    t = h.tenant()
    CAP1 = 'voice=1,chat=0,email=0,total=1'
    t.agent('z149', 'sales:5', CAP1)
    h.advance(5)
    for i in range(149):
        t.agent('z%03d' % i, 'sales:5', CAP1)
    h.advance(5)
    s = t.enq(channel='phone', skills='sales')
    assert s['agent'] == 'z149', s
    # then the next longest idle: those that came available at the same moment, lowest id
    # first, and each call to the next one (no agent twice while another waits idle)
    got = [t.enq(channel='phone', skills='sales')['agent'] for _ in range(3)]
    assert got == ['z000', 'z001', 'z002'], got
    # an agent whose call ends is idle from then on: behind every agent idle since before
    t.fc('oq_accept', s['sid'], 'z149')
    h.advance(5)
    t.fc('oq_close', s['sid'], '')
    assert t.enq(channel='phone', skills='sales')['agent'] == 'z003'
    # the same for a session that needs two skills, where the engine before compared the
    # first `lookahead` (16) agents with room in id order
    t2 = h.tenant()
    t2.agent('z149', 'en:5,sales:5', CAP1)
    h.advance(5)
    for i in range(149):
        t2.agent('z%03d' % i, 'en:5,sales:5,zz:1' if i % 2 else 'en:5,sales:5', CAP1)
    h.advance(5)
    got = [t2.enq(channel='phone', skills='en,sales')['agent'] for _ in range(3)]
    assert got == ['z149', 'z000', 'z001'], got
    # and one with a better sum than those compared in id order is still preferred
    t2.agent('zbest', 'en:9,sales:9', CAP1)
    assert t2.enq(channel='phone', skills='en,sales')['agent'] == 'zbest'


def test_busy_centre_best_level_first_then_fairness(h):
    # When the best-level agents read first have no room (a busy centre), routing reads the
    # agents with room from P:fair: the best level still wins over an agent idle longer, and
    # among equals the one idle longest.
    t = h.tenant()
    CAP1 = 'voice=1,chat=0,email=0,total=1'
    for i in range(6):
        t.agent('a%d' % i, 'sales:7', CAP1)
    busy = [t.enq(channel='phone', skills='sales')['agent'] for _ in range(6)]
    assert sorted(busy) == ['a%d' % i for i in range(6)], busy
    h.advance(5)
    for i in range(20):
        t.agent('z%03d' % i, 'sales:5', CAP1)         # idle longer than a6..a9
    h.advance(5)
    for i in range(6, 10):
        t.agent('a%d' % i, 'sales:7', CAP1)
    h.advance(5)
    got = [t.enq(channel='phone', skills='sales')['agent'] for _ in range(6)]
    assert got == ['a6', 'a7', 'a8', 'a9', 'z000', 'z001'], got
    # and with only a few left with room (8 or fewer: all of them compared), the same order
    got = [t.enq(channel='phone', skills='sales')['agent'] for _ in range(10)]
    assert got == ['z%03d' % i for i in range(2, 12)], got
    s = t.enq(channel='phone', skills='en,sales')        # no one with room has 'en'
    assert s['state'] == 'queued', s


def test_busy_queue_is_routed_in_a_few_reads(h):
    # 300 agents at one level, 280 of them on a call: the engine before read the skill's
    # agents in id order, 16 at a time with their room, until it came to those with room
    # (43 reads for this call); now the agents with room come from P:fair at once (7).
    t = h.tenant()
    CAP1 = 'voice=1,chat=0,email=0,total=1'
    for i in range(300):
        t.agent('z%03d' % i, 'sales:5', CAP1)
        h.advance(1)
    for i in range(280):
        assert t.enq(channel='phone', skills='sales')['agent'] == 'z%03d' % i
    h.r.config_resetstat()
    assert t.enq(channel='phone', skills='sales')['agent'] == 'z280'
    reads, st = calls_since_reset(h, 'zrange', 'zmscore', 'smismember', 'smembers', 'hget')
    assert reads <= 8, st


def test_blended_busy_centre_finds_the_one_with_room_in_a_few_reads(h):
    # 300 agents with sales, every one's chats full but with room for a call or an email
    # (so all of them still stand in P:fair), 10 with chat room who lack sales, and one
    # sales agent with chat room, of a lower level, whose id comes last. The engine before
    # read the 300 in level and id order, 16 at a time (2.7 ms a call with 3,000 of them);
    # now Redis counts and reads those with room and the skill (ZINTERCARD, ZINTER).
    t = h.tenant()
    for i in range(300):
        t.agent('s%03d' % i, 'sales:5')
    for i in range(1200):
        assert t.enq(skills='sales')['state'] == 'offered'
    for i in range(10):
        t.agent('f%02d' % i, 'support:5')
    h.r.config_resetstat()
    s = t.enq(skills='sales')
    assert s['state'] == 'queued', s
    t.agent('zz', 'sales:3')              # comes available: takes the waiting chat
    assert t.sess(s['sid'])['agent'] == 'zz'
    h.r.config_resetstat()
    s = t.enq(skills='sales')
    assert s['agent'] == 'zz', s           # the only sales agent with chat room (1 of 4)
    reads, st = calls_since_reset(h, 'zrange', 'zmscore', 'smismember', 'smembers',
                                  'zintercard', 'zinter')
    assert reads <= 6, st


def test_a_long_walk_past_busy_agents_hands_over_to_redis(h):
    # The first agent read has room, then 999 of the same level without: neither the first
    # batch nor P:fair (200 agents without the skill in front, idle longest) settles it.
    # The engine before read all 1,000 in id order (128 reads; 27 now); after 64 agents of
    # whom fewer than one in 8 had room, Redis now counts and reads those with room.
    t = h.tenant()
    for i in range(200):
        t.agent('f%03d' % i, 'support:5')
    h.advance(5)
    for i in range(1000):
        t.agent('s%03d' % i, 'sales:5')
    first = None
    for i in range(4000):
        s = t.enq(skills='sales')
        if s['agent'] == 's000' and first is None:
            first = s
    t.fc('oq_accept', first['sid'], 's000')
    t.fc('oq_close', first['sid'], '')        # s000: room for one chat, the only one
    h.r.config_resetstat()
    s = t.enq(skills='sales')
    assert s['agent'] == 's000', s
    reads, st = calls_since_reset(h, 'zrange', 'zmscore', 'smismember', 'smembers',
                                  'zintercard', 'zinter')
    assert reads <= 32, st


def test_unreadable_stored_agent_refuses_the_call_and_writes_nothing(h):
    # Decide first, write after: a stored value routing cannot read (a hand-edited agent row)
    # makes the call fail with OQ_INTERNAL before anything is written, session included.
    t = h.tenant()
    t.agent('a', 'en:5')
    row = h.r.hget(t.P + ':a:a', 'r')
    h.r.hset(t.P + ':a:a', 'r', 'available|x|y')
    msg = t.expect_err('INTERNAL', 'oq_enqueue', 'web', '', 'web:c9', 'en', '0', 'q', '')
    assert 'agent a' in msg and 'malformed' in msg
    assert not h.r.exists(t.P + ':seq:s') and not h.r.exists(t.P + ':ident')
    h.r.hset(t.P + ':a:a', 'r', row)                      # put back for the invariant check
    # a session's stored priority that is no number: its decline refuses, unchanged
    t2 = h.tenant()
    t2.agent('a', 'en:5')
    s = t2.enq(skills='en')
    h.r.hset(t2.P + ':s:' + s['sid'], 'priority', 'high')
    t2.expect_err('INTERNAL', 'oq_decline', s['sid'], 'a')
    h.r.hset(t2.P + ':s:' + s['sid'], 'priority', '0')     # put back for the invariant check
    # and the row of the agent routing picks: refused, the session not created
    t3 = h.tenant()
    t3.agent('a', 'en:5')
    t3.agent('b', 'en:4')
    row = h.r.hget(t3.P + ':a:a', 'r')
    h.r.hset(t3.P + ':a:a', 'r', 'available|1|4|8|10|0|0|0|0|notatime|voice,chat,email|')
    t3.expect_err('INTERNAL', 'oq_enqueue', 'web', '', 'web:c10', 'en', '0', 'q', '')
    h.r.hset(t3.P + ':a:a', 'r', row)


def test_policy_change_reindexes_agents_in_the_next_sweep(h):
    # Under voice_exclusive an agent on a call has no room for chats; made blended, it has:
    # the next sweep indexes it again and it takes the chat that waits.
    t = h.tenant(policy='voice_exclusive')
    t.agent('a', 'en:5')
    call = t.enq(channel='phone', skills='en')
    t.fc('oq_accept', call['sid'], 'a')
    chat = t.enq(skills='en')
    assert chat['state'] == 'queued'
    t.cfg(policy='blended')
    assert h.r.sismember(t.P + ':reidx', 'a')
    t.sweep()
    assert t.sess(chat['sid'])['agent'] == 'a' and not h.r.exists(t.P + ':reidx')
