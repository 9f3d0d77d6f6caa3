"""The omniq engine (engine/, a Redis module) under the library: the steps that moved into it
answer as their FCALL names did, write nothing when they refuse, reach replicas and the AOF
as plain commands (a replica without the module gets the same keys), and a Redis without
the module says what to load."""
import os
import subprocess
import tempfile
import time

import redis

import harness
from harness import diff_snap, snapshot


def spawn(args, what):
    """A redis-server of this test's own (not the suite's): (process, client, dir)."""
    d = tempfile.mkdtemp(prefix='omniq-engine-')
    port = harness.free_port()
    proc = subprocess.Popen(['redis-server', '--port', str(port), '--bind', '127.0.0.1',
                             '--save', '', '--appendonly', 'no', '--dir', d,
                             '--logfile', os.path.join(d, 'redis.log')] + args)
    r = redis.Redis(host='127.0.0.1', port=port, decode_responses=True)
    for _ in range(250):
        try:
            r.ping()
            return proc, r, d
        except redis.ConnectionError:
            if proc.poll() is not None:
                return proc, None, d
            time.sleep(0.02)
    proc.kill()
    raise AssertionError('%s did not start' % what)


def stop(proc):
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


def offered(h, t, aid='ann'):
    t.agent(aid, 'sales:5')
    s = t.enq(skills='sales')
    assert s['state'] == 'offered' and s['agent'] == aid, s
    return s


def test_accept_called_on_the_engine_answers_as_the_function(h):
    t = h.tenant()
    s = offered(h, t)
    assert h.r.execute_command('OMNIQ.ACCEPT', t.P, s['sid'], 'ann') == 'OK'
    got = t.sess(s['sid'])
    assert got['state'] == 'active' and got['offer_exp'] == '', got
    assert h.r.zscore(t.P + ':offers', s['sid']) is None
    ev = h.r.xrevrange(t.P + ':events', count=1)[0][1]
    assert ev == {'type': 'accept', 'sid': s['sid'], 'agent': 'ann', 'state': 'active',
                  'channel': 'web', 'ext': ''}, ev
    assert h.r.hget(t.P + ':c:' + s['cid'], 'last_agent') == 'ann'


def test_accept_refusals_write_nothing(h):
    t = h.tenant()
    s = offered(h, t)
    t.agent('bob', 'other:5')
    for code, args in (('NOTFOUND', ('999', 'ann')), ('AGENT', (s['sid'], 'bob')),
                       ('ARG', ('12x', 'ann')), ('ARG', (s['sid'], 'a b')),
                       ('ARG', (s['sid'],))):
        before = snapshot(h.r, t.P)
        try:
            h.r.execute_command('OMNIQ.ACCEPT', t.P, *args)
        except redis.ResponseError as e:
            assert str(e).startswith('OQ_%s ' % code), (args, str(e))
        else:
            raise AssertionError('OMNIQ.ACCEPT %r was not refused' % (args,))
        assert diff_snap(before, snapshot(h.r, t.P)) == [], args
    t.fc('oq_accept', s['sid'], 'ann')
    t.expect_err('STATE', 'oq_accept', s['sid'], 'ann')
    # a session hash spoiled by hand: refused before anything is written
    h.r.delete(t.P + ':s:777')
    h.r.set(t.P + ':s:777', 'x')
    t.expect_err('INTERNAL', 'oq_accept', '777', 'ann')
    h.r.delete(t.P + ':s:777')


def test_prefix_is_checked_by_the_engine(h):
    for bad in ('oq:t1', 'oq:{a}b', 'oq:{}', 'x' * 301):
        try:
            h.r.execute_command('OMNIQ.ACCEPT', bad, '1', 'ann')
        except redis.ResponseError as e:
            assert str(e).startswith('OQ_ARG '), str(e)
        else:
            raise AssertionError('prefix %r taken' % bad)


def test_counters_of_the_library_and_the_engine_add_up(h):
    t = h.tenant()
    t.agent('ann', 'sales:5')
    for _ in range(5):
        s = t.enq(skills='sales')
        t.fc('oq_accept', s['sid'], 'ann')              # the engine counts accepted
        t.fc('oq_close', s['sid'], '')                   # the library counts closed
    st = h.r.hgetall(t.P + ':stat')
    assert (st['enqueued'], st['offered'], st['accepted'], st['closed']) == ('5',) * 4, st


def chat(t, sid, i):
    """Messages through each of the engine's appends (engine/append.c): a batch with a
    client id given twice, a long body (no body in its event), an agent's reply."""
    t.fc('oq_append_many', sid, 'in', 'v%d' % i, 'text', 'hello %d' % i, 'c%d' % i,
         sid, 'in', 'v%d' % i, 'text', 'x' * 600, '', sid, 'in', 'v', 'text', 'again', 'c%d' % i)
    t.fc('oq_append_once', sid, 'in', 'v', 'text', 'once', 'k%d' % i)
    t.fc('oq_append', sid, 'sys', '', 'note', 'a system line')
    t.fc('oq_reply', sid, 'ann', 'text', 'hi back')


def test_the_engines_messages_are_the_librarys(h):
    """A message appended by the engine (oq_append*) and one the library writes itself
    (oq_ingest's M.tx_add) are the same transcript entry and the same event, short body or
    long; the engine takes and refuses what the library's checks did, with nothing written
    on a refusal, and a cid written by either is known to the other."""
    t = h.tenant()
    t.agent('ann', 'sales:5')
    for body in ('hi 你好 \U0001F600\ttab\nline', 'y' * 513):
        r = t.fc('oq_ingest', 'web', '', 'web:same', '', 0, 'q', 'th', 'v', 'text', body, 'm1' + body[:2])
        sid, lib_id = r[0], r[5]
        eng_id = t.fc('oq_append', sid, 'in', 'v', 'text', body)
        tx = dict(h.r.xrange(t.P + ':s:' + sid + ':tx'))
        assert tx[lib_id] == tx[eng_id], tx
        ev = {e['id']: e for e in t.events() if e['type'] == 'message'}
        assert set(ev[lib_id]) == set(ev[eng_id]) and ('body' in ev[eng_id]) == (len(body) <= 512), ev
        assert {k: v for k, v in ev[lib_id].items() if k != 'id'} == \
            {k: v for k, v in ev[eng_id].items() if k != 'id'}, (ev[lib_id], ev[eng_id])
        # the cid the library wrote is the engine's too, and the other way round
        assert t.fc('oq_append_once', sid, 'in', 'v', 'text', 'again', 'm1' + body[:2]) == [lib_id, '1']
        once = t.fc('oq_append_once', sid, 'in', 'v', 'text', 'new', 'e1' + body[:2])
        r2 = t.fc('oq_ingest', 'web', '', 'web:same', '', 0, 'q', 'th', 'v', 'text', 'new', 'e1' + body[:2])
        assert once[1] == '0' and r2[5:7] == [once[0], '1'], (once, r2)
    bad = [(('x', 'in', 'v', 'text', 'b'), 'session id'), ((sid, 'up', 'v', 'text', 'b'), 'dir must be'),
           ((sid, 'in', 'v\x01', 'text', 'b'), 'from contains control'),
           ((sid, 'in', 'v' * 257, 'text', 'b'), 'from longer than 256'),
           ((sid, 'in', 'v', '', 'b'), 'type must not be empty'),
           ((sid, 'in', 'v', 't' * 65, 'b'), 'type longer than 64'),
           ((sid, 'in', 'v', 'text', ''), 'body missing'),
           ((sid, 'in', 'v', 'text', 'x' * 65537), 'body longer than 65536'),
           ((sid, 'in', 'v', 'text', 'a\x00b'), 'body contains a NUL'),
           (('99999', 'in', 'v', 'text', 'b'), 'OQ_NOTFOUND session 99999')]
    for args, words in bad:
        msg = t.expect_err('NOTFOUND' if 'NOTFOUND' in words else 'ARG', 'oq_append', *args)
        assert words in msg, (args, msg)
    assert 'cid must not be empty' in t.expect_err('ARG', 'oq_append_once', sid, 'in', 'v', 'text', 'b', '')
    assert 'cid longer than 64' in t.expect_err('ARG', 'oq_append_once', sid, 'in', 'v', 'text', 'b', 'c' * 65)
    t.fc('oq_abandon', sid)
    assert 'is abandoned' in t.expect_err('STATE', 'oq_append', sid, 'in', 'v', 'text', 'late')
    assert 'is abandoned' in t.expect_err('STATE', 'oq_reply', sid, 'ann', 'text', 'late')


def test_an_append_the_keys_cannot_take_writes_nothing(h):
    """A transcript key that is no stream, or a stream that can take no further entry (its
    last id the largest there is): the message is refused with OQ_INTERNAL, its event not
    written, and the messages beside it in the same call are appended."""
    t = h.tenant()
    a, b = t.enq()['sid'], t.enq()['sid']
    h.r.set(t.P + ':s:' + a + ':tx', 'not a stream')
    assert 'is not a stream' in t.expect_err('INTERNAL', 'oq_append', a, 'in', 'v', 'text', 'x')
    h.r.delete(t.P + ':s:' + a + ':tx')
    h.r.xadd(t.P + ':s:' + a + ':tx', {'dir': 'in'}, id='18446744073709551615-18446744073709551615')
    assert 'takes no more entries' in t.expect_err('INTERNAL', 'oq_append', a, 'in', 'v', 'text', 'x')
    n = len(t.events())
    res = h.r.execute_command('FCALL', 'oq_append_many', 1, t.P, a, 'in', 'v', 'text', 'x', '',
                              b, 'in', 'v', 'text', 'y', '')
    assert isinstance(res[0], redis.ResponseError) and str(res[0]).startswith('OQ_INTERNAL'), res
    assert res[1][1] == '0' and [e['sid'] for e in t.events()[n:]] == [b], t.events()[n:]


def test_a_replica_without_the_engine_gets_the_same_keys(h):
    proc, rep, _ = spawn([], 'replica')
    try:
        rep.execute_command('REPLICAOF', '127.0.0.1', h.server.port)
        harness.wait_until(lambda: rep.info('replication').get('master_link_status') == 'up',
                           'the replica to link', timeout=20)
        t = h.tenant()
        for aid in ('ann', 'bob'):
            t.agent(aid, 'sales:5')
        for i in range(6):
            s = t.enq(skills='sales')
            t.fc('oq_accept', s['sid'], s['agent'])
            chat(t, s['sid'], i)
            if i % 2:
                t.fc('oq_close', s['sid'], 'resolved')
        h.r.execute_command('WAIT', 1, 5000)
        assert snapshot(rep, t.P) == snapshot(h.r, t.P), (rep.hgetall(t.P + ":stat"), h.r.hgetall(t.P + ":stat"),
            diff_snap(snapshot(rep, t.P), snapshot(h.r, t.P)))
    finally:
        stop(proc)


def test_an_aof_replay_without_the_engine_reaches_the_same_keys(h):
    """The engine's writes reach the AOF as one EVAL per command (engine/repl.c): a server
    without the engine, replaying the file, holds every key as the one that wrote it -
    through every write path of a cycle: a new and a returning customer, offers, waits and
    the pull on close, a phone session's node, wrap-up, a parked session."""
    proc, r, d = spawn(['--appendonly', 'yes'] + harness.engine.loadmodule_args(), 'aof writer')
    try:
        r.execute_command('FUNCTION', 'LOAD', 'REPLACE', harness.library_text())
        t = harness.Tenant(r)
        t.cfg(wrapup_time='30', affinity_wait='60')
        t.agent('ann', 'sales:5', 'voice=1,chat=1,email=0,total=2')
        t.agent('bob', 'sales:3', 'voice=1,chat=1,email=0,total=2')
        first = t.enq(skills='sales', identity='web:ret')        # ann (best level)
        t.fc('oq_accept', first['sid'], first['agent'])
        t.fc('oq_close', first['sid'], 'resolved')                # into wrap-up
        again = t.enq(skills='sales', identity='web:ret')        # returning: back to ann
        waits = [t.enq(skills='sales') for _ in range(3)]        # fills bob, then waits
        phone = t.enq(channel='phone', skills='sales', node='n1')
        for s in [again] + waits + [phone]:
            if s['state'] == 'offered':
                t.fc('oq_accept', s['sid'], s['agent'])
        for i, s in enumerate([again] + waits):
            chat(t, s['sid'], i)
        for s in [again] + waits:
            if t.state(s['sid']) == 'active':
                t.fc('oq_close', s['sid'], '')                    # pulls what waits
        states = sorted(t.state(s['sid']) for s in [first, again, phone] + waits)
        assert 'queued' in states or 'offered' in states, states
        # and a pull made inside a library function (oq_agent_state -> OMNIQ.LIB.PULL): its
        # EVAL rides in the function's own propagation
        more = t.enq(skills='sales')
        assert more['state'] == 'queued', more
        t.agent('carl', 'sales:1', 'voice=0,chat=1,email=0,total=1')
        assert t.ag('carl')['sessions'] != '', t.ag('carl')           # the oldest waiting
        want = snapshot(r, t.P)
        r.execute_command('CONFIG', 'SET', 'appendfsync', 'always')
        r.ping()
    finally:
        stop(proc)
    proc, r2, _ = spawn(['--appendonly', 'yes', '--dir', d], 'aof reader without the engine')
    try:
        assert r2 is not None, 'the AOF did not load: ' + open(os.path.join(d, 'redis.log')).read()[-2000:]
        got = snapshot(r2, t.P)
        assert got == want, diff_snap(got, want)
    finally:
        stop(proc)


def test_a_redis_without_the_engine_says_what_to_load(h):
    proc, r, _ = spawn([], 'a redis without the engine')
    try:
        r.execute_command('FUNCTION', 'LOAD', 'REPLACE', harness.library_text(counting=False))
        try:
            r.fcall('oq_accept', 1, 'oq:{t}', '1', 'ann')
        except redis.ResponseError as e:
            assert str(e).startswith('OQ_ENGINE ') and 'loadmodule' in str(e), str(e)
        else:
            raise AssertionError('oq_accept answered without the engine')
    finally:
        stop(proc)


def test_the_engine_refuses_an_argument_it_does_not_know(h):
    proc, r, d = spawn(['--loadmodule', harness.engine.ENGINE, 'fastclock'], 'redis')
    try:
        proc.wait(10)
        assert r is None and proc.returncode != 0
        log = open(os.path.join(d, 'redis.log')).read()
        assert "unknown argument 'fastclock'" in log, log[-500:]
    finally:
        if proc.poll() is None:
            stop(proc)


def test_engine_steps_leave_no_memory_behind(h):
    """Rounds of 1,500 cycles through the engine's steps (enqueue with its routing, accept,
    close), each on a tenant of its own whose keys are then deleted: Redis' own count of
    its memory (used_memory, which the module's allocations are part of; client and AOF
    buffers left out) does not grow over the rounds. A string or key the engine forgot to
    free on each call would leave tens of kilobytes a round, adding up."""
    def cycles(t, n, tag):
        for i in range(n):
            s = t.enq(skills='sales', identity='web:%s%d' % (tag, i))
            if s['state'] == 'offered':
                t.fc('oq_accept', s['sid'], s['agent'])
                chat(t, s['sid'], i)
                t.fc('oq_close', s['sid'], '')

    def used():
        # less the keyspace's own tables, whose size follows the most keys a round held
        # and which Redis shrinks on its timer when it gets round to it (100-odd kB either
        # way with 1,500 conversations of messages a round)
        h.r.execute_command('MEMORY', 'PURGE')
        m = h.r.info('memory')
        db = h.r.memory_stats().get('db.0', {})
        return int(m['used_memory']) - int(m['mem_clients_normal']) - int(m['mem_aof_buffer']) \
            - int(db.get('overhead.hashtable.main', 0)) - int(db.get('overhead.hashtable.expires', 0))

    def round_(n):
        t = harness.Tenant(h.r)
        for aid in ('ann', 'bob'):
            t.agent(aid, 'sales:5')
        cycles(t, 1500, 'r%d' % n)
        keys = list(h.r.scan_iter(match=t.P.replace('{', '\\{').replace('}', '\\}') + ':*'))
        for i in range(0, len(keys), 500):
            h.r.delete(*keys[i:i + 500])
        return used()

    # Three rounds apart, not one: what a round leaves behind adds up (a forgotten string
    # of 30 bytes a cycle is 135 kB over three), the allocator's and the tables' noise
    # (up to ~100 kB, seen in a fresh clone's run) does not.
    round_(0)
    seen = [round_(n) for n in (1, 2, 3, 4)]
    assert seen[-1] - seen[0] < 128 * 1024, seen


IDENTITIES = [
    'web:x', 'web:' + 'x' * 128, 'phone:+8613800138000', 'phone:13800138000',
    'sms:+86 138-0013-8000', 'Tel:(010) 5555.1234', 'PHONE: -().', 'email:Jane@Example.COM',
    'MailTo:JOE@x.org', 'wechat:wx1:o_abc', 'app:acme:u1', 'app:acme:u,1', 'app:acme:u\x7f',
    'web:a,b', 'tel:+123', 'foo:bar', 'Foo-Bar_9:Baz', '9x:y', '_x:y', 'x:', ':x', 'noscheme',
    'web:a\nb', 'web:a b', 'web:\u00e9', 'x' * 250 + ':yyyyy', 'x' * 250 + ':yyyyyy',
    'a' * 257, 'sip:alice@example.com', 'sip:Alice@Example.com;transport=tcp',
]


def test_the_engine_reads_identities_as_the_library_does(h):
    """A contact's identity is checked and made canonical by the engine (OMNIQ.ENQUEUE) and
    by the library (oq_customer_get, oq_link, ...): both take and refuse the same, and the
    customer the engine made for an identity is the one the library finds for it."""
    t = h.tenant()
    for ident in IDENTITIES:
        try:
            s = t.enq(identity=ident)
        except redis.ResponseError as e:
            s, why = None, str(e)
        try:
            got = dict(zip(*[iter(t.fc('oq_customer_get', ident))] * 2))
        except redis.ResponseError as e:
            got, lwhy = None, str(e)
        if s is None:
            assert why.startswith('OQ_ARG '), (ident, why)
            assert got is None and lwhy.startswith('OQ_ARG '), \
                'engine refuses %r (%s), the library takes it' % (ident, why)
        else:
            assert got is not None, 'engine takes %r, the library refuses it: %s' % (ident, lwhy)
            assert got['id'] == s['cid'], (ident, got, s)


ENGINE_COMMANDS = {
    'OMNIQ.ACCEPT': 2, 'OMNIQ.CLOSE': 2, 'OMNIQ.ENQUEUE': 7, 'OMNIQ.LIB.ENQUEUE': 11,
    'OMNIQ.LIB.DECIDE': 4, 'OMNIQ.LIB.PULL': 3, 'OMNIQ.APPEND': 5, 'OMNIQ.APPEND_ONCE': 6,
    'OMNIQ.APPEND_MANY': 12, 'OMNIQ.REPLY': 4,
}


def test_engine_commands_survive_any_arguments(h):
    """Any client of this Redis may call the engine's commands: random arguments (wrong
    counts, bytes, numbers, ids of things that exist and do not) get a reply, an error or
    not, and Redis stays up with the tenant's data still consistent (the suite's invariant
    check runs after this test)."""
    import random
    rnd = random.Random(7)
    t = h.tenant()
    for aid in ('ann', 'bob'):
        t.agent(aid, 'sales:5,en:3')
    live = [t.enq(skills='sales')['sid'] for _ in range(3)]
    pool = [b'', b'0', b'1', b'-1', b'99999999999999999999999', b'sales', b'en,sales',
            b'sales,en', b'ann', b'bob', b'web', b'phone', b'chat', b'voice', b'web:x',
            b'\x00', b'\xff\xfe', b'a' * 300, b'offer', b'1', b'queue', b'x,y', b'in', b'out',
            b'note', b'text', b'a\nb', b'x' * 70000] + \
        [s.encode() for s in live]
    errors = 0
    for _ in range(600):
        cmd = rnd.choice(sorted(ENGINE_COMMANDS))
        n = ENGINE_COMMANDS[cmd] + rnd.choice([0, 0, 0, -1, 1, 3])
        args = [rnd.choice(pool) for _ in range(max(n, 0))]
        try:
            h.r.execute_command(cmd, t.P, *args)
        except redis.ResponseError as e:
            errors += 1
            assert str(e).startswith(('OQ_', 'wrong number')) or 'arguments' in str(e), \
                (cmd, args, str(e))
    assert h.r.ping()
    assert errors > 0


def test_many_agents_at_one_level_the_fairest_with_room_gets_it(h):
    """A queue whose agents all have one level (the usual case): the engine walks P:fair
    instead of comparing them all, and the answer is the same as comparing them all - the
    least loaded, then the one idle longest; and when none of them has room in the
    session's class, the best agent below that level that has."""
    t = h.tenant()
    for i in range(40):
        t.agent('a%02d' % i, 'sales:5', caps='voice=1,chat=4,total=5')
    # every agent but a17 takes one chat: a17 is the least loaded
    held = {}
    for i in range(39):
        s = t.enq(skills='sales')
        assert s['state'] == 'offered', s
        held[s['agent']] = s['sid']
    free = sorted(set('a%02d' % i for i in range(40)) - set(held))
    assert len(free) == 1, free
    s = t.enq(skills='sales')
    assert s['agent'] == free[0], (s, free)
    # calls: each a-agent takes one call until none has voice room; then a call goes to
    # the level-3 agent, the only one left with voice room
    t.agent('low', 'sales:3', caps='voice=1,chat=4,total=5')
    got = [t.enq(channel='phone', skills='sales')['agent'] for _ in range(41)]
    assert sorted(got[:40]) == sorted('a%02d' % i for i in range(40)), got
    assert got[40] == 'low', got
