"""Randomised operations: invariants hold every 100 ops and at the end.

~200 agents, ~3000 operations drawn at random (enqueue, accept, decline,
close, abandon, wrap-up done, presence changes, skill/capacity changes,
link/merge, transfers, sweeps with deadlines pulled into the past). Deadlines are
made due by rewriting their zset score to 0 instead of sleeping: the sweep
only looks at those scores, and the test then runs in seconds.
Set OQ_SEED to replay a run: every failure, whatever raised it, names its seed.
"""

import os
import random

import redis

import harness
from harness import check_invariants, idle_while_waiting

SKILLS = ['s%02d' % i for i in range(12)]
CHANNELS = ['phone', 'web', 'wechat', 'app', 'sms', 'email']


REGIONS = ['r-east', 'r-west']


def agent_skills(rng):
    k = rng.randint(0, 5)
    # some agents serve a region (routing by region, engine/value.c)
    pool = SKILLS + (REGIONS if rng.random() < 0.3 else [])
    return ','.join('%s:%d' % (s, rng.randint(1, 10)) for s in rng.sample(pool, k))


def caps(rng):
    return 'voice=%d,chat=%d,email=%d,total=%d' % (
        rng.randint(0, 1), rng.randint(0, 4), rng.randint(0, 6), rng.randint(1, 8))


def test_random_operations(h):
    seed = int(os.environ.get('OQ_SEED', random.randrange(1 << 30)))
    try:
        random_operations(h, random.Random(seed))
    except Exception as e:
        raise AssertionError('seed %d (replay: OQ_SEED=%d): %s: %s' % (
            seed, seed, type(e).__name__, e)) from e


def random_operations(h, rng):
    t = h.tenant(affinity_wait=rng.choice([0, 30]), wrapup_time=rng.choice([0, 30]),
                 policy=rng.choice(['blended', 'voice_exclusive']), lookahead=8,
                 reopen_window=rng.choice([0, 3600]), max_wait=rng.choice([0, 3600]),
                 region_wait=rng.choice([0, 30]))
    # customer value and region: two tiers, two regions by phone prefix
    t.fc('oq_tier_set', 'gold', '200', rng.choice(['', SKILLS[0]]))
    t.fc('oq_tier_set', 'silver', '50', '')
    t.fc('oq_region_prefix_set', '10', 'east')
    t.fc('oq_region_prefix_set', '11', 'west')
    # a queue closed all along (business hours): its messages wait for an opening that does
    # not come in this run (parked for nobody), its calls are refused
    # the library's clock: Redis' time and the tests' offset (earlier tests moved it on)
    now = int(h.r.time()[0]) * 1000 + int(h.r.get(harness.CLOCK_KEY) or 0)
    assert t.fc('oq_hours_put', 'night', 'UTC', 'mon-sun 09:00-10:00', '', '',
                str(now + 400 * 86400000), str(now + 300 * 86400000),
                str(now + 301 * 86400000), 'later') == 'OK'
    # the east's sales wait in their own queue until widened (regional queues)
    t.fc('oq_region_queue_set', 'sales', 'east', 'sales-east')
    r = h.r
    P = t.P
    agents = ['ag%03d' % i for i in range(200)]
    for a in agents:
        t.agent(a, agent_skills(rng), caps(rng),
                presence=rng.choice(['available', 'available', 'away', 'offline']))
    idents = ['web:r%d' % i for i in range(300)] + ['phone:+1%04d' % i for i in range(100)]
    counts = {}

    def rand_member(key):
        n = r.zcard(key)
        if n == 0:
            return None
        i = rng.randrange(n)
        m = r.zrange(key, i, i)
        # the sentinel of P:offers (engine/call.h OQE_SENTINEL) is no session
        return m[0] if m and m[0] != '~' * 72 else None

    def rand_session():
        """Any session made so far (P:seq:s counts them; ended ones stay for their retention)."""
        n = int(r.get(P + ':seq:s') or 0)
        return str(rng.randint(1, n)) if n else None

    def live_in_state(state, tries=16):
        for _ in range(tries):
            sid = rand_session()
            if sid and r.hget(P + ':s:' + sid, 'state') == state:
                return sid
        return None

    def op():
        x = rng.random()
        if x < 0.30:
            ch = rng.choice(CHANNELS)
            if ch == 'phone' and rng.random() < 0.5:
                ident = rng.choice(idents[300:]).replace('phone:', rng.choice(['phone:', 'sms:']))
            else:
                ident = rng.choice(idents)
            sk = ','.join(sorted(rng.sample(SKILLS, rng.choice([0, 1, 1, 2, 3]))))
            queue = rng.choice(['sales', 'support', '', 'night'])
            try:
                t.fc('oq_enqueue', ch, '', ident, sk, rng.randint(0, 10), queue, '')
            except redis.ResponseError as e:
                # a call to the closed queue is refused; anything else is a failure
                if not (ch == 'phone' and queue == 'night' and str(e).startswith('OQ_CLOSED')):
                    raise
            return 'enqueue'
        if x < 0.31:
            # a customer's tier changes (its next sessions are routed by it)
            n = int(r.get(P + ':seq:c') or 0)
            if n == 0:
                return None
            t.fc('oq_customer_set', str(rng.randint(1, n)), 'tier', rng.choice(['gold', 'silver', '']))
            return 'tier'
        if x < 0.45:
            sid = rand_member(P + ':offers')
            if not sid:
                return None
            aid = r.hget(P + ':s:' + sid, 'agent')
            t.fc('oq_accept', sid, aid)
            return 'accept'
        if x < 0.52:
            sid = rand_member(P + ':offers')
            if not sid:
                return None
            t.fc('oq_decline', sid, r.hget(P + ':s:' + sid, 'agent'))
            return 'decline'
        if x < 0.65:
            sid = live_in_state(rng.choice(['active', 'active', 'wrapup']))
            if not sid:
                return None
            t.fc('oq_close', sid, rng.choice(['', 'resolved']))
            return 'close'
        if x < 0.69:
            sid = live_in_state(rng.choice(['queued', 'offered']))
            if not sid:
                return None
            t.fc('oq_abandon', sid)
            return 'abandon'
        if x < 0.71:
            sid = live_in_state('wrapup')
            if not sid:
                return None
            t.fc('oq_wrapup_done', sid)
            return 'wrapup_done'
        if x < 0.78:
            t.fc('oq_agent_state', rng.choice(agents),
                 rng.choice(['available', 'available', 'away', 'offline']))
            return 'presence'
        if x < 0.80:
            # a phone registered, or found registered nowhere (omniq_sip)
            t.fc('oq_agent_phone', rng.choice(agents), rng.choice(['0', '1', '1']))
            return 'phone'
        if x < 0.84:
            a = rng.choice(agents)
            # never below what the agent holds (lowering is tested elsewhere)
            cur = t.ag(a)
            c = {k: int(cur['load:' + k]) for k in ('voice', 'chat', 'email', 'total')}
            new = 'voice=%d,chat=%d,email=%d,total=%d' % (
                max(c['voice'], rng.randint(0, 1)), max(c['chat'], rng.randint(0, 4)),
                max(c['email'], rng.randint(0, 6)), max(c['total'], rng.randint(1, 8)))
            t.fc('oq_agent_set', a, a, agent_skills(rng), new, '')
            return 'agent_set'
        if x < 0.86:
            a, b = rng.sample(idents, 2)
            t.fc('oq_link', a, b)
            return 'link'
        if x < 0.89:
            sid = live_in_state('active')
            if not sid:
                return None
            aid = r.hget(P + ':s:' + sid, 'agent')
            try:
                if rng.random() < 0.5:
                    t.fc('oq_transfer', sid, aid, 'agent', rng.choice(agents), '')
                else:
                    sk = ','.join(sorted(rng.sample(SKILLS, rng.choice([0, 1, 2]))))
                    t.fc('oq_transfer', sid, aid, 'queue', rng.choice(['sales', 'support', 'vip']), sk)
            except redis.ResponseError as e:
                # a busy or absent colleague, or the holder itself
                assert str(e).startswith(('OQ_CAPACITY', 'OQ_ARG agent')), str(e)
                return 'transfer_refused'
            return 'transfer'
        if x < 0.97:
            # time travel: make some deadlines due, then sweep
            for key in (':offers', ':wu', ':awx', ':rgx'):
                for _ in range(rng.randint(0, 3)):
                    sid = rand_member(P + key)
                    if sid:
                        r.zadd(P + key, {sid: 0})
            t.fc('oq_sweep', rng.randint(1, 5))
            return 'sweep'
        # illegal operation on purpose: must be refused, cleanly
        sid = rand_session()
        if not sid:
            return None
        try:
            t.fc('oq_accept', sid, 'nobody')
        except redis.ResponseError as e:
            assert str(e).startswith(('OQ_STATE', 'OQ_AGENT')), str(e)
        else:
            raise AssertionError('accept by nobody succeeded')
        return 'illegal'

    for i in range(1, 3001):
        name = op()
        counts[name] = counts.get(name, 0) + 1
        # after every step: no session waits while an agent who may take it has room; the
        # whole data model every 25 steps (and at the end)
        errs = idle_while_waiting(r, P)
        if i % 25 == 0:
            errs += check_invariants(r, P)
        assert not errs, 'after op %d (%s): %s' % (i, name, errs[:5])
    errs = check_invariants(r, P)
    assert not errs, 'at end: %s' % errs[:5]
    # the closed queue's messages were held for its opening, none offered
    assert r.zcard(P + ':aw:~opening') > 0
    for sid in r.zrange(P + ':q:night', 0, -1):
        assert r.hget(P + ':s:' + sid, 'affinity') == '~opening', sid
    st = t.stats()
    assert int(st['offered']) > 100 and int(st['accepted']) > 50, (st, counts)
