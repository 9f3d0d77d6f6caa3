"""Routing by customer value and region (engine/value.c, lua/75_value.lua): a tier's priority
and required skills, a region from the customer's profile or its phone number's prefix that
only agents of that region may take until region_wait has passed, and a tenant without either
untouched."""

import harness


def test_a_vip_waits_less_and_needs_a_senior_agent(h):
    t = h.tenant()
    t.expect_err('ARG', 'oq_tier_set', 'gold', '1001', '')
    t.expect_err('ARG', 'oq_tier_set', 'gold', '10', 'Senior Agents')
    t.expect_err('ARG', 'oq_tier_set', 'go ld', '10', '')
    assert t.fc('oq_tier_set', 'gold', '500', 'senior') == 'OK'
    assert [harness.pairs(r) for r in t.fc('oq_tier_list')] == [
        {'name': 'gold', 'priority': '500', 'skills': 'senior'}]
    # a known gold customer (from an earlier contact) and a plain one, both waiting
    vip = t.enq(identity='web:vip', skills='en')
    t.fc('oq_abandon', vip['sid'])
    t.fc('oq_customer_set', vip['cid'], 'tier', 'gold')
    plain = t.enq(identity='web:plain', skills='en', priority=10)['sid']
    gold = t.enq(identity='web:vip', skills='en', priority=10)['sid']
    s = t.sess(gold)
    assert (s['priority'], s['skills']) == ('510', 'en,senior'), s
    assert t.sess(plain)['skills'] == 'en'
    # an agent who is no senior takes the plain one; a senior one the VIP, though it came later
    t.agent('junior', 'en:5', caps='chat=1,total=1')
    assert t.state(plain) == 'offered' and t.state(gold) == 'queued'
    t.agent('senior', 'en:5,senior:8', caps='chat=1,total=1')
    assert t.sess(gold)['agent'] == 'senior'
    # two waiting (junior and senior are full): the VIP first
    other = t.enq(identity='web:plain2', skills='en')['sid']
    vip2 = t.enq(identity='web:vip', channel='app', skills='en')['sid']
    t.agent('senior2', 'en:5,senior:8', caps='chat=1,total=1', presence='offline')
    t.fc('oq_agent_state', 'senior2', 'available')
    assert t.sess(vip2)['agent'] == 'senior2' and t.state(other) == 'queued'
    assert t.fc('oq_tier_del', 'gold') == 1 and t.fc('oq_tier_del', 'gold') == 0


def test_a_region_is_preferred_until_region_wait_then_anyone_may_take_it(h):
    t = h.tenant(region_wait=60)
    t.expect_err('ARG', 'oq_region_prefix_set', '86x', 'north')
    t.expect_err('ARG', 'oq_region_prefix_set', '123456789', 'north')
    t.expect_err('ARG', 'oq_region_prefix_set', '8610', 'North China')
    assert t.fc('oq_region_prefix_set', '8610', 'north') == 'OK'
    assert t.fc('oq_region_prefix_set', '86', 'cn') == 'OK'
    assert harness.pairs(t.fc('oq_region_prefix_list')) == {'8610': 'north', '86': 'cn'}
    t.agent('south', 'en:5,r-south:5')
    beijing = t.enq(channel='sms', identity='tel:+861087654321', skills='en')['sid']
    s = t.sess(beijing)
    assert (s['skills'], s['region'], s['state']) == ('en,r-north', 'north', 'queued'), s
    shanghai = t.enq(channel='sms', identity='tel:+862112345678', skills='en')['sid']
    assert t.sess(shanghai)['region'] == 'cn'          # the longest known prefix
    # the profile's region wins over the prefix
    t.fc('oq_abandon', shanghai)
    t.fc('oq_customer_set', t.sess(shanghai)['customer'], 'region', 'south')
    again = t.enq(channel='sms', identity='tel:+862112345678', skills='en')['sid']
    assert t.sess(again)['agent'] == 'south'
    # nobody of the north: after region_wait anyone may take it
    t.agent('anyone', 'en:5')
    assert t.state(beijing) == 'queued'
    h.advance(59000)
    t.fc('oq_sweep', 100)
    assert t.state(beijing) == 'queued'
    h.advance(2000)
    t.fc('oq_sweep', 100)
    s = t.sess(beijing)
    assert (s['skills'], s['agent'], s['state']) == ('en', 'anyone', 'offered'), s
    # a region that is no skill's name is left out
    t.fc('oq_customer_set', t.sess(beijing)['customer'], 'region', 'North China')
    t.fc('oq_accept', beijing, 'anyone')
    t.fc('oq_close', beijing, '')
    odd = t.enq(channel='app', identity='tel:+861087654321', skills='en')['sid']
    assert 'region' not in t.sess(odd) or t.sess(odd)['region'] == ''
    assert t.sess(odd)['skills'] == 'en'


def test_a_tenant_without_tiers_or_regions_is_untouched(h):
    t = h.tenant()
    t.fc('oq_region_prefix_set', '86', 'cn')          # region_wait is 0: not used
    s = t.enq(channel='sms', identity='tel:+8613900000000', skills='en', priority=3)
    sess = t.sess(s['sid'])
    assert (sess['skills'], sess['priority']) == ('en', '3') and 'region' not in sess
    assert not h.r.exists(t.P + ':rgx')


def test_the_wait_a_customer_is_told_is_kept_beside_the_one_they_had(h):
    t = h.tenant()
    t.agent('a', 'en:5', caps='chat=1,total=1')
    first = t.enq(skills='en')['sid']                  # offered at once: told nothing
    assert t.sess(first)['promised'] == '0'
    h.advance(1000)
    t.fc('oq_accept', first, 'a')
    second = t.enq(skills='en')['sid']                 # waits: told the recent average
    h.advance(30000)
    t.fc('oq_close', first, 'resolved')                # its agent frees up: offered
    t.fc('oq_accept', second, 'a')
    ewma = int(h.r.hget(t.P + ':stat', 'wait_ewma_ms'))
    s = t.sess(second)
    assert s['promised'] == '0'                        # the average was 0 when it came
    third = t.enq(skills='en')['sid']
    s3 = t.sess(third)
    # told what its estimate said when it came: the average of the waits so far (0, 30 s)
    assert int(s3['promised']) == ewma == int(s3['est_wait_ms']) == 3750, (s3, ewma)
    rows = [harness.pairs(r) for r in t.fc('oq_agent_sessions', 'a')]
    mine = [r for r in rows if r['sid'] == second][0]
    assert mine['promised_ms'] == '0' and 29000 <= int(mine['waited_ms']) <= 31000, mine
    h.advance(5000)
    t.fc('oq_close', second, 'resolved')
    t.fc('oq_accept', third, 'a')
    row = [harness.pairs(r) for r in t.fc('oq_agent_sessions', 'a')][0]
    assert row['promised_ms'] == str(ewma) and 4000 <= int(row['waited_ms']) <= 6000, row
    # both stay with the ended session for reporting (the archive reads its record)
    ended = t.sess(second)
    assert ended['state'] == 'closed' and ended['promised'] == '0', ended
    assert 29000 <= int(ended['answered']) - int(ended['enq']) <= 31000, ended
    assert h.r.zscore(t.P + ':ret', second) is not None      # kept `retention`


def test_each_queue_promises_its_own_recent_wait(h):
    """The wait a customer is told comes from the history of the queue they join (P:stat
    qew:<queue>): a
    quick queue does not promise what a slow one takes, nor the other way round; a queue that
    never offered yet promises the tenant's average. The engine's offers (a pull when an agent
    frees up) and the library's (a reopened session offered at once) keep the same averages."""
    t = h.tenant(reopen_window=600)
    t.agent('a', 'en:5', caps='chat=1,total=1')
    t.agent('b', 'fr:5', caps='chat=1,total=1')
    busy_a = t.enq(queue='slow', skills='en')['sid']
    busy_b = t.enq(queue='quick', skills='fr')['sid']
    t.fc('oq_accept', busy_a, 'a')
    t.fc('oq_accept', busy_b, 'b')
    slow = t.enq(queue='slow', skills='en')['sid']
    quick = t.enq(queue='quick', skills='fr')['sid']
    h.advance(2000)
    t.fc('oq_close', busy_b, 'resolved')               # quick's waiter offered after 2 s
    h.advance(58000)
    t.fc('oq_close', busy_a, 'resolved')               # slow's after 60 s
    qew = {f: v for f, v in h.r.hgetall(t.P + ':stat').items() if f.startswith('qew:')}
    # first samples 0 (offered at once), then 2 s and 60 s: 0 + (w - 0) / 8
    assert qew == {'qew:quick': '250', 'qew:slow': '7500'}, qew
    tenant = int(h.r.hget(t.P + ':stat', 'wait_ewma_ms'))
    assert tenant not in (250, 7500), tenant
    t.fc('oq_accept', slow, 'a')
    t.fc('oq_accept', quick, 'b')
    s2 = t.sess(t.enq(queue='slow', skills='en')['sid'])
    q2 = t.sess(t.enq(queue='quick', skills='fr')['sid'])
    assert (s2['promised'], q2['promised']) == ('7500', '250'), (s2['promised'], q2['promised'])
    assert (int(s2['est_wait_ms']), int(q2['est_wait_ms'])) == (7500, 250)
    t.agent('c', 'de:5', caps='chat=0,total=0')
    new = t.sess(t.enq(queue='fresh', skills='de')['sid'])
    assert new['promised'] == str(tenant) and int(new['est_wait_ms']) == tenant, new
    # the library's offer: a closed session reopened while its agent is free is offered at
    # once, a sample of 0 for its queue folded into the engine's average
    t.fc('oq_close', quick, 'resolved')               # b is offered the next quick one
    t.fc('oq_accept', q2['id'], 'b')
    t.fc('oq_close', q2['id'], 'resolved')            # and frees up
    h.r.hset(t.P + ':stat', 'qew:quick', '8000')
    ident = h.r.hget(t.P + ':s:' + quick, 'identity')
    again = t.fc('oq_enqueue', 'web', '', ident, 'fr', 0, 'quick', '')
    assert again[0] == quick and again[1] == 'offered', again
    assert h.r.hget(t.P + ':stat', 'qew:quick') == '7000'    # 8000 + (0 - 8000) / 8


def test_a_region_waits_in_its_own_queue_then_goes_back_to_the_one_it_came_to(h):
    """A regional queue (oq_region_queue_set): a session of a region that comes to a queue
    waits in that region's queue (listed there, its estimate that queue's) for the region's
    agents; widened after region_wait it goes back to the queue it came to, where any agent
    may take it. Other regions, other queues and a removed mapping are untouched."""
    t = h.tenant(region_wait=60)
    t.fc('oq_region_prefix_set', '8610', 'north')
    t.expect_err('ARG', 'oq_region_queue_set', 'support', 'North', 'support-north')
    t.expect_err('ARG', 'oq_region_queue_set', 'support', 'north', 'bad/queue')
    t.expect_err('ARG', 'oq_region_queue_set', 'support', 'north', 'support')
    assert t.fc('oq_region_queue_set', 'support', 'north', 'support-north') == 'OK'
    assert [harness.pairs(r) for r in t.fc('oq_region_queue_list')] == [
        {'queue': 'support', 'region': 'north', 'target': 'support-north'}]
    north = t.enq(channel='sms', identity='tel:+8610555000', skills='en', queue='support')['sid']
    south = t.enq(channel='sms', identity='tel:+8620555000', skills='en', queue='support')['sid']
    sales = t.enq(channel='sms', identity='tel:+8610555001', skills='en', queue='sales')['sid']
    s = t.sess(north)
    assert (s['queue'], s['home_queue'], s['skills']) == ('support-north', 'support', 'en,r-north'), s
    assert h.r.zrange(t.P + ':q:support-north', 0, -1) == [north]
    assert h.r.zrange(t.P + ':q:support', 0, -1) == [south]
    assert t.sess(sales)['queue'] == 'sales' and 'home_queue' not in t.sess(sales)
    assert 'support-north' in h.r.smembers(t.P + ':queues')
    # widened: back home, behind nobody it came before
    h.advance(61000)
    t.fc('oq_sweep', 100)
    s = t.sess(north)
    assert (s['queue'], s['home_queue'], s['skills']) == ('support', '', 'en'), s
    assert h.r.zrange(t.P + ':q:support', 0, -1) == [north, south]
    assert h.r.zcard(t.P + ':q:support-north') == 0
    t.agent('any', 'en:5', caps='chat=1,total=1')
    assert t.state(north) == 'offered'
    # the mapping removed: the region's sessions stay in the queue they came to
    assert t.fc('oq_region_queue_set', 'support', 'north', '') == 'OK'
    again = t.sess(t.enq(channel='sms', identity='tel:+8610555002', skills='en',
                         queue='support')['sid'])
    assert again['queue'] == 'support' and again['skills'] == 'en,r-north', again


def test_a_region_sent_elsewhere_stays_there_when_widened(h):
    """A session taken out of its regional queue by a transfer to another queue, or by a
    level-2 escalation to an overflow queue, does not go "home" when its region wait ends."""
    t = h.tenant(region_wait=60)
    t.fc('oq_region_prefix_set', '8610', 'north')
    t.fc('oq_region_queue_set', 'support', 'north', 'support-north')
    t.agent('li', 'en:5,r-north:5', caps='chat=1,total=1')
    sid = t.enq(channel='sms', identity='tel:+8610555000', skills='en', queue='support')['sid']
    t.fc('oq_accept', sid, 'li')
    t.fc('oq_transfer', sid, 'li', 'queue', 'vip', '')
    s = t.sess(sid)
    assert (s['state'], s['queue'], s['home_queue']) == ('queued', 'vip', ''), s
    h.advance(61000)
    t.fc('oq_sweep', 100)
    assert t.sess(sid)['queue'] == 'vip'
    # an escalation to an overflow queue
    t.fc('oq_sla_set', 'std', 'first', '10', 'overflow_queue', 'backup')
    t.fc('oq_agent_state', 'li', 'away')               # nobody takes it: it waits
    other = t.enq(channel='sms', identity='tel:+8610555001', skills='en', queue='support')['sid']
    assert t.sess(other)['queue'] == 'support-north'
    h.advance(8500)                                    # past 80 %: level 2
    t.fc('oq_sweep', 100)
    s = t.sess(other)
    assert (s['queue'], s['home_queue']) == ('backup', ''), s
    h.advance(61000)
    t.fc('oq_sweep', 100)
    assert t.sess(other)['queue'] == 'backup'
