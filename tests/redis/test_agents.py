"""Agents: create/update, presence, capacity, deletion, availability index."""

from harness import pairs


# P:skl's one member that is no agent (20_agent.lua A.FAIR_SENTINEL, scored -inf)
SKL_SENTINEL = '~' * 72


def test_config_set_and_defaults(h):
    t = h.tenant()
    assert t.fc('oq_config', 'offer_timeout', '5', 'policy', 'voice_exclusive') == 'OK'
    # each write bumps `version`, which tells every node's cached settings to reload
    assert h.r.hgetall(t.P + ':cfg') == {'offer_timeout': '5', 'policy': 'voice_exclusive',
                                         'version': '1'}
    t.expect_err('ARG', 'oq_config', 'policy', 'greedy')
    t.expect_err('ARG', 'oq_config', 'nosuch', '1')
    t.expect_err('ARG', 'oq_config', 'offer_timeout')
    t.expect_err('ARG', 'oq_config', 'offer_timeout', 'x')
    t.expect_err('ARG', 'oq_config', 'offer_timeout', '0')
    t.expect_err('ARG', 'oq_config', 'lookahead', '100000')
    t.expect_err('ARG', 'oq_config', 'max_misses', '-1')
    t.expect_err('ARG', 'oq_config', 'wrapup_time', '1', 'policy', 'bad')   # all-or-nothing


def test_agent_create_is_offline_and_unindexed(h):
    t = h.tenant()
    assert t.fc('oq_agent_set', 'a1', 'Alice', 'sales:5,en:3', 'voice=1,chat=4,email=8,total=10',
                'sip:a1@x') == 'OK'
    a = t.ag('a1')
    assert a['presence'] == 'offline' and a['name'] == 'Alice' and a['contact'] == 'sip:a1@x'
    assert a['skills'] == 'en:3,sales:5' and a['sessions'] == ''
    assert a['cap:chat'] == '4' and a['load:total'] == '0' and a['misses'] == '0'
    assert h.r.sismember(t.P + ':agents', 'a1')
    assert not h.r.exists(t.P + ':skl:sales') and not h.r.exists(t.P + ':fair')


def test_agent_available_indexes_every_class_and_skill(h):
    t = h.tenant()
    t.agent('a1', 'sales:5,en:3', 'voice=1,chat=4,email=0,total=10')
    idle = int(t.ag('a1')['idle_since'])
    # by level: P:skl scores by level, after its sentinel (-inf: a skiplist, levels by lookup)
    assert h.r.zrange(t.P + ':skl:sales', 0, -1, withscores=True) == [(SKL_SENTINEL, float('-inf')), ('a1', 5)]
    assert h.r.zrange(t.P + ':skl:en', 0, -1, withscores=True) == [(SKL_SENTINEL, float('-inf')), ('a1', 3)]
    assert h.r.object('encoding', t.P + ':skl:en') == 'skiplist'
    assert h.r.zscore(t.P + ':fair', 'a1') == 0 * 10 ** 13 + idle  # load 0, idle since
    assert h.r.sismember(t.P + ':fr:chat', 'a1') and h.r.sismember(t.P + ':fr:voice', 'a1')
    assert not h.r.sismember(t.P + ':fr:email', 'a1')          # cap 0
    assert t.stats()['agents_available'] == '1'


def test_agent_state_transitions(h):
    t = h.tenant()
    t.agent('a1', 'en:3', presence='offline')
    assert t.fc('oq_agent_state', 'a1', 'available') == ['a1', 'available']
    assert h.r.zscore(t.P + ':skl:en', 'a1') == 3 and h.r.sismember(t.P + ':fr:chat', 'a1')
    assert t.fc('oq_agent_state', 'a1', 'away') == ['a1', 'away']
    assert h.r.zrange(t.P + ':skl:en', 0, -1) == [SKL_SENTINEL] and not h.r.sismember(t.P + ':fr:chat', 'a1')
    assert h.r.zscore(t.P + ':fair', 'a1') is None
    assert t.fc('oq_agent_state', 'a1', 'offline') == ['a1', 'offline']
    assert t.ag('a1')['presence'] == 'offline'
    assert t.stats()['agents_available'] == '0'
    pres = [e for e in t.events() if e['type'] == 'presence']
    assert [e['state'] for e in pres] == ['available', 'away', 'offline']
    t.expect_err('ARG', 'oq_agent_state', 'a1', 'busy')
    t.expect_err('NOTFOUND', 'oq_agent_state', 'nobody', 'available')


def test_available_resets_misses_and_idle(h):
    t = h.tenant()
    t.agent('a1', 'en:3', presence='offline')
    h.r.hset(t.P + ':a:a1', 'misses', 2)
    t.fc('oq_agent_state', 'a1', 'available')
    assert t.ag('a1')['misses'] == '0'
    idle = t.ag('a1')['idle_since']
    t.fc('oq_agent_state', 'a1', 'available')          # already available: idle kept
    assert t.ag('a1')['idle_since'] == idle


def test_agent_available_pulls_up_to_capacity(h):
    t = h.tenant()
    t.agent('a1', 'en:3', 'voice=1,chat=2,email=0,total=10', presence='offline')
    s = [t.enq(skills='en')['sid'] for _ in range(3)]
    v = t.enq(channel='phone', skills='en')['sid']
    r = t.fc('oq_agent_state', 'a1', 'available')
    assert r[:2] == ['a1', 'available']
    assert sorted(r[2:], key=int) == sorted([s[0], s[1], v], key=int)
    assert t.state(s[2]) == 'queued'
    a = t.ag('a1')
    assert a['load:chat'] == '2' and a['load:voice'] == '1' and a['load:total'] == '3'


def test_agent_update_skills_reindexes(h):
    t = h.tenant()
    t.agent('a1', 'sales:5,en:3')
    t.fc('oq_agent_set', 'a1', 'Alice', 'support:9,en:4', 'voice=1,chat=4,email=8,total=10', '')
    assert h.r.zrange(t.P + ':skl:sales', 0, -1) == [SKL_SENTINEL]
    assert h.r.zrange(t.P + ':skl:support', 0, -1, withscores=True)[1:] == [('a1', 9)]
    assert h.r.zrange(t.P + ':skl:en', 0, -1, withscores=True)[1:] == [('a1', 4)]
    assert t.ag('a1')['presence'] == 'available'


def test_agent_update_never_drops_held_sessions(h):
    t = h.tenant()
    t.agent('a1', 'sales:5', 'voice=0,chat=3,email=0,total=3')
    ss = [t.enq(skills='sales')['sid'] for _ in range(3)]
    t.fc('oq_accept', ss[0], 'a1')
    t.allow_overcap.add('a1')
    t.fc('oq_agent_set', 'a1', 'A', 'en:1', 'voice=0,chat=1,email=0,total=1', '')
    a = t.ag('a1')
    assert a['load:chat'] == '3' and sorted(a['sessions'].split(','), key=int) == ss
    assert t.state(ss[0]) == 'active' and t.state(ss[1]) == 'offered'
    assert not h.r.sismember(t.P + ':fr:chat', 'a1')         # over cap: no room
    # closing everything brings it back under its new cap and into the index
    t.fc('oq_close', ss[0], '')
    for sid in ss[1:]:
        t.fc('oq_decline', sid, 'a1')
    assert h.r.sismember(t.P + ':fr:chat', 'a1')
    t.allow_overcap.discard('a1')


def test_capacity_raised_pulls_waiting(h):
    t = h.tenant()
    t.agent('a1', 'en:3', 'voice=0,chat=1,email=0,total=1')
    s1 = t.enq(skills='en')
    s2 = t.enq(skills='en')
    assert s1['agent'] == 'a1' and s2['state'] == 'queued'
    t.fc('oq_agent_set', 'a1', 'A', 'en:3', 'voice=0,chat=2,email=0,total=2', '')
    assert t.sess(s2['sid'])['agent'] == 'a1'


def test_new_skill_pulls_waiting(h):
    t = h.tenant()
    t.agent('a1', 'en:3')
    s = t.enq(skills='fr')
    assert s['state'] == 'queued'
    t.fc('oq_agent_set', 'a1', 'A', 'en:3,fr:2', 'voice=1,chat=4,email=8,total=10', '')
    assert t.state(s['sid']) == 'offered'


def test_agent_del(h):
    t = h.tenant()
    t.agent('a1', 'en:3')
    s = t.enq(skills='en')
    t.expect_err('STATE', 'oq_agent_del', 'a1')
    t.fc('oq_abandon', s['sid'])
    assert t.fc('oq_agent_del', 'a1') == 'OK'
    assert not h.r.exists(t.P + ':a:a1') and not h.r.exists(t.P + ':a:a1:sk')
    assert not h.r.sismember(t.P + ':agents', 'a1')
    assert h.r.zscore(t.P + ':av:chat:en', 'a1') is None
    assert h.r.zscore(t.P + ':av:voice:*', 'a1') is None
    t.expect_err('NOTFOUND', 'oq_agent_del', 'a1')
    t.expect_err('NOTFOUND', 'oq_agent_get', 'a1')


def test_agent_get_lists_sessions(h):
    t = h.tenant()
    t.agent('a1', 'en:3,b:1')
    s1 = t.enq(skills='en')['sid']
    s2 = t.enq(channel='email', skills='b')['sid']
    a = t.ag('a1')
    assert a['sessions'] == s1 + ',' + s2 and a['skills'] == 'b:1,en:3'
    assert a['load:chat'] == '1' and a['load:email'] == '1' and a['load:total'] == '2'


def test_agent_reported_state_and_list(h):
    """Reported state: presence when not available, else wrapup / busy / available."""
    t = h.tenant()
    t.fc('oq_config', 'wrapup_time', '60')
    t.agent('a1', 'sales:5', caps='voice=1,chat=1,email=0,total=1')
    t.agent('a2', 'sales:5', presence='away')
    t.agent('a3', '', presence='offline')
    assert t.ag('a1')['state'] == 'available'
    assert t.ag('a2')['state'] == 'away' and t.ag('a3')['state'] == 'offline'
    s = t.enq(skills='sales')
    assert s['agent'] == 'a1'
    assert t.ag('a1')['state'] == 'busy'          # the offer fills its only slot
    t.fc('oq_accept', s['sid'], 'a1')
    t.fc('oq_close', s['sid'], 'resolved')
    assert t.state(s['sid']) == 'wrapup'
    assert t.ag('a1')['state'] == 'wrapup'
    lst = pairs(t.fc('oq_agent_list'))
    assert lst == {'a1': 'wrapup 1/1', 'a2': 'away 0/10', 'a3': 'offline 0/10'}, lst
    assert pairs(t.fc('oq_agent_list', '1', '1')) == {'a2': 'away 0/10'}
    t.expect_err('ARG', 'oq_agent_list', 'x')
    t.fc('oq_wrapup_done', s['sid'])
    assert t.ag('a1')['state'] == 'available'


def test_agent_without_a_phone_gets_chats_but_no_call(h):
    """oq_agent_phone 0 (omniq_sip: no phone registered anywhere): the agent leaves voice
    routing - no call is offered to a phone that cannot ring, nor is she set away - and
    keeps her chats; oq_agent_phone 1 brings calls back, and she takes the waiting call at
    once. Either way routing reads the flag with the row (the engine) and the indexes agree
    (the invariants)."""
    t = h.tenant()
    t.agent('ann', 'sales:9', 'voice=1,chat=2,email=0,total=3')
    t.agent('bob', 'sales:3', 'voice=1,chat=2,email=0,total=3')
    assert t.fc('oq_agent_phone', 'ann', '0') == ['ann', '0']
    assert not h.r.sismember(t.P + ':fr:voice', 'ann') and h.r.sismember(t.P + ':fr:chat', 'ann')
    call = t.enq(channel='phone', skills='sales')
    assert call['state'] == 'offered' and call['agent'] == 'bob', call   # ann is better
    chat = t.enq(skills='sales')
    assert chat['agent'] == 'ann', chat                                  # chats as ever
    second = t.enq(channel='phone', skills='sales')
    assert second['state'] == 'queued', second                            # bob's phone busy
    assert t.ag('ann')['presence'] == 'available' and t.ag('ann')['phone'] == '0'
    # her phone registers: the waiting call is hers at once
    assert t.fc('oq_agent_phone', 'ann', '1') == ['ann', '1', second['sid']]
    assert t.sess(second['sid'])['agent'] == 'ann'
    assert h.r.sismember(t.P + ':fr:chat', 'ann')
    assert t.fc('oq_agent_phone', 'ann', '1') == ['ann', '1']              # no change
    t.expect_err('ARG', 'oq_agent_phone', 'ann', 'yes')
    t.expect_err('NOTFOUND', 'oq_agent_phone', 'nobody', '0')
    # bob's phone goes too: the call he was offered stays his (it ends as offers do), and
    # the next call waits - ann's phone is busy, bob has none
    assert t.fc('oq_agent_phone', 'bob', '0') == ['bob', '0']
    assert t.sess(call['sid'])['agent'] == 'bob' and t.state(call['sid']) == 'offered'
    third = t.enq(channel='phone', skills='sales')
    assert third['state'] == 'queued', third
    assert t.ag('bob')['presence'] == 'available'


def test_agent_update_keeps_what_it_is_told_to(h):
    """oq_agent_update aid keep ...: the fields named in keep (n s c t) stay as they are on
    an existing agent; a new agent takes the values given; a bad keep writes nothing."""
    t = h.tenant()
    t.fc('oq_agent_set', 'a', 'Alice', 'sales:5', 'voice=1,chat=3,email=0,total=4', 'wx:a')
    t.fc('oq_agent_update', 'a', 'sct', 'Alicia', '', 'voice=0,chat=0,email=0,total=0', '')
    ag = t.ag('a')
    assert (ag['name'], ag['skills'], ag['contact'], ag['cap:chat']) == ('Alicia', 'sales:5', 'wx:a', '3'), ag
    t.fc('oq_agent_update', 'a', 'n', '', 'en:2', 'voice=0,chat=2,email=0,total=2', '')
    ag = t.ag('a')
    assert (ag['name'], ag['skills'], ag['contact'], ag['cap:chat']) == ('Alicia', 'en:2', '', '2'), ag
    t.fc('oq_agent_update', 'b', 'nsct', 'Bob', 'en:1', 'voice=0,chat=1,email=0,total=1', 'x')
    ag = t.ag('b')
    assert (ag['name'], ag['skills'], ag['contact']) == ('Bob', 'en:1', 'x'), ag
    t.expect_err('ARG', 'oq_agent_update', 'a', 'nx', '', '', 'voice=0,chat=1,email=0,total=1', '')
    t.expect_err('ARG', 'oq_agent_update', 'a', 'n', '', '', 'voice=0,chat=1', '', 'extra')
