"""Test harness for the omniq Redis function library.

Starts a private redis-server (AOF on, no RDB) on a free loopback port in a
temporary directory, loads the library exactly as the build embeds it (the
line `#!lua name=omniq` followed by modules/omniq/lua/*.lua concatenated in
sorted filename order), and offers small helpers:

  * Tenant: FCALL wrappers bound to one tenant prefix, plus expect_err(), which
    asserts an error code *and* that no key of the tenant changed;
  * snapshot(): every key of a tenant with its full content;
  * check_invariants(): the structural invariants of the data model, run by
    the runner after every test on every tenant the test used.

Only the stdlib and python3-redis (4.3.x) are used.
"""

import calendar
import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TWO42 = 2 ** 42
CLOCK_KEY = 'oq:test:clock'          # read by clock.lua: ms added to Redis TIME
CLASSES = ('voice', 'chat', 'email')
TERMINAL = ('closed', 'abandoned', 'expired')


GEN_LUALIB = os.path.join(ROOT, 'modules', 'omniq', 'gen_lualib.sh')
TEST_CLOCK = os.path.join(HERE, 'clock.lua')


# make coverage's counting library (scripts/coverage/lua_instrument.py's output directory)
COUNTING = os.environ.get('OMNIQ_COVERAGE_LUA')


def library_text(test_clock=True, counting=COUNTING):
    """The library exactly as the build embeds it (gen_lualib.sh); with test_clock, its
    clock is the tests' own (clock.lua: TIME plus an offset that Server.advance() moves);
    with counting, the counting copy of lua/*.lua there, its counters' table first."""
    argv = [GEN_LUALIB, '--lua'] + (['--clock', TEST_CLOCK] if test_clock else [])
    if counting:
        argv += ['--lua-dir', os.path.join(counting, 'src'),
                 '--head', os.path.join(counting, 'head.lua')]
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def wait_until(cond, what, timeout=10.0):
    """For what Redis itself times (key expiry, a consumer's idle time), which the test
    clock does not move: poll until cond() holds."""
    end = time.time() + timeout
    while not cond():
        if time.time() > end:
            raise AssertionError('timed out after %.0f s waiting for %s' % (timeout, what))
        time.sleep(0.002)


sys.path.insert(0, os.path.dirname(HERE))
from ports import free_port  # noqa: E402
import lua_counts  # noqa: E402
import engine  # noqa: E402


class Server:
    """library: a library text to load instead of omniq's (its counts are not collected)."""

    def __init__(self, library=None):
        self.omniq = library is None
        self.dir = tempfile.mkdtemp(prefix='omniq-redis-')
        self.port = free_port()
        self.proc = subprocess.Popen(
            ['redis-server', '--port', str(self.port), '--bind', '127.0.0.1',
             '--appendonly', 'yes', '--dir', self.dir, '--save', '']
            + engine.loadmodule_args(test_clock=library is None or CLOCK_KEY in library),
            stdout=open(os.path.join(self.dir, 'redis.log'), 'w'), stderr=subprocess.STDOUT)
        self.r = redis.Redis(host='127.0.0.1', port=self.port, decode_responses=True)
        for _ in range(200):
            try:
                self.r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        else:
            self.stop()
            raise RuntimeError('redis-server did not start')
        self.r.execute_command('FUNCTION', 'LOAD', 'REPLACE', library or library_text())

    def advance(self, ms):
        """Move the library's clock ms milliseconds forward (deadlines fall due at once)."""
        self.r.incrby(CLOCK_KEY, int(ms))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            if self.omniq:
                lua_counts.collect(self.port, 'redis suite end')
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)


def snapshot(r, P):
    """All keys of tenant P with their complete content."""
    out = {}
    for k in sorted(r.scan_iter(match=P.replace('[', '\\[') + ':*', count=1000)):
        t = r.type(k)
        if t == 'string':
            v = r.get(k)
        elif t == 'hash':
            v = r.hgetall(k)
        elif t == 'set':
            v = sorted(r.smembers(k))
        elif t == 'zset':
            v = r.zrange(k, 0, -1, withscores=True)
        elif t == 'stream':
            v = r.xrange(k)
        elif t == 'list':
            v = r.lrange(k, 0, -1)
        else:
            v = None
        out[k] = (t, v)
    return out


def diff_snap(a, b):
    keys = sorted(set(a) | set(b))
    return [k for k in keys if a.get(k) != b.get(k)]


class Tenant:
    _n = 0

    def __init__(self, r, name=None):
        Tenant._n += 1
        self.r = r
        self.name = name or ('t%d' % Tenant._n)
        self.P = 'oq:{%s}' % self.name
        self._ident = 0
        self.allow_overcap = set()   # agents whose caps were lowered under load

    # raw call
    def fc(self, fn, *args):
        return self.r.fcall(fn, 1, self.P, *[str(a) for a in args])

    def expect_err(self, code, fn, *args):
        """Call fn expecting error OQ_<code>; assert nothing of the tenant changed."""
        before = snapshot(self.r, self.P)
        try:
            res = self.fc(fn, *args)
        except redis.ResponseError as e:
            msg = str(e)
            if not msg.startswith('OQ_' + code + ' '):
                raise AssertionError('%s%r: expected OQ_%s, got %r' % (fn, args, code, msg))
        else:
            raise AssertionError('%s%r: expected OQ_%s, got reply %r' % (fn, args, code, res))
        after = snapshot(self.r, self.P)
        changed = diff_snap(before, after)
        if changed:
            raise AssertionError('%s%r refused but changed %s' % (fn, args, changed))
        return msg

    # helpers
    def cfg(self, **kw):
        args = []
        for k, v in kw.items():
            args += [k, v]
        return self.fc('oq_config', *args)

    def agent(self, aid, skills='', caps='voice=1,chat=4,email=8,total=10',
              presence='available', name=None, contact=''):
        self.fc('oq_agent_set', aid, name or aid, skills, caps, contact)
        if presence != 'offline':
            return self.fc('oq_agent_state', aid, presence)
        return None

    def ident(self):
        self._ident += 1
        return 'web:v%d' % self._ident

    def enq(self, channel='web', identity=None, skills='', priority=0, queue='q',
            ext='', cls='', node=None):
        more = () if node is None else (node,)
        r = self.fc('oq_enqueue', channel, cls, identity or self.ident(), skills,
                    priority, queue, ext, *more)
        return {'sid': r[0], 'state': r[1], 'agent': r[2], 'position': int(r[3]), 'cid': r[4]}

    def sess(self, sid):
        return pairs(self.fc('oq_session_get', sid))

    def ag(self, aid):
        return pairs(self.fc('oq_agent_get', aid))

    def cust(self, x):
        return pairs(self.fc('oq_customer_get', x))

    def stats(self):
        return pairs(self.fc('oq_stats'))

    def state(self, sid):
        return self.r.hget(self.P + ':s:' + str(sid), 'state')

    def events(self):
        return [f for _, f in self.r.xrange(self.P + ':events')]

    def sev(self, sid):
        """The state changes of one session, from the tenant's event stream (messages and
        typing are no state changes)."""
        return [e for e in self.events()
                if e.get('sid') == str(sid) and e['type'] not in ('message', 'typing')]

    def sweep(self, mx=100):
        """oq_sweep's first four counts (offers, wrap-ups, affinity waits, max_wait); the
        fifth, sessions retired, is asserted where retention is tested."""
        return [int(x) for x in self.fc('oq_sweep', mx)][:4]


def pairs(flat):
    return {flat[i]: flat[i + 1] for i in range(0, len(flat), 2)}


# ---------------------------------------------------------------------------
# Invariants
# ---------------------------------------------------------------------------

def _agent_free(a, cls, policy):
    if a.get('presence') != 'available':
        return False
    ld = lambda c: int(a.get('load:' + c, 0) or 0)
    cp = lambda c: int(a.get('cap:' + c, 0) or 0)
    if ld('total') >= cp('total') or ld(cls) >= cp(cls):
        return False
    if cls != 'voice' and ld('voice') > 0 and policy == 'voice_exclusive':
        return False
    # no phone registered anywhere (oq_agent_phone 0): no call
    return not (cls == 'voice' and a.get('phone') == '0')


def wait_idx(h):
    """Wait index of a session: its first two skills, its only skill, or '*'."""
    sk = h['skills'].split(',') if h.get('skills') else []
    return ','.join(sk[:2]) if sk else '*'


def wait_member(sid, h):
    """Member of a waiting session in P:w:<class>:<wait_idx>: sid|skills after the first two|x."""
    rest = ','.join(h['skills'].split(',')[2:]) if h.get('skills') else ''
    return '%s|%s|%s' % (sid, rest, 'x' if int(h.get('offers', 0)) > 0 else '')


ROW_FIELDS = ('presence', 'cap:voice', 'cap:chat', 'cap:email', 'cap:total', 'load:voice',
              'load:chat', 'load:email', 'load:total', 'idle_since', 'avx', 'held')


def agent_hash(r, P, aid):
    """An agent's hash with its row `r` (presence|caps|loads|idle_since|avx|held) spelled
    out as the named fields it stands for."""
    h = r.hgetall(P + ':a:' + aid)
    if 'r' in h:
        h.update(zip(ROW_FIELDS, h.pop('r').split('|', len(ROW_FIELDS) - 1)))
    return h


def agent_skills(a):
    """An agent hash's `skills` field ("en:5,sales:3") as a dict."""
    out = {}
    for item in (a.get('skills') or '').split(','):
        if item:
            name, lvl = item.split(':')
            out[name] = int(lvl)
    return out


class _View:
    """Every key of a tenant read in two pipelined round trips, answering the few reads the
    checker makes (the random test checks after every one of its operations)."""

    def __init__(self, r, P):
        self.keys = list(r.scan_iter(match=P.replace('[', '\\[') + ':*', count=1000))
        pipe = r.pipeline(transaction=False)
        for k in self.keys:
            pipe.type(k)
        types = pipe.execute()
        pipe = r.pipeline(transaction=False)
        fetch = {'hash': lambda k: pipe.hgetall(k), 'set': lambda k: pipe.smembers(k),
                 'zset': lambda k: pipe.zrange(k, 0, -1, withscores=True),
                 'string': lambda k: pipe.get(k)}
        # a media file's hash (P:md:<key>) holds its bytes, no text: its fields are read
        # without the data (nothing of the model points into a file)
        fetch['media'] = lambda k: pipe.hmget(k, 'ch', 'ref', 'st', 'type', 'why', 'asked')
        types = ['media' if t == 'hash' and ':md:' in k else t for k, t in zip(self.keys, types)]
        kept = [(k, t) for k, t in zip(self.keys, types) if t in fetch]
        for k, t in kept:
            fetch[t](k)
        self.d = {k: (t, v) for (k, t), v in zip(kept, pipe.execute())}
        for k, t in zip(self.keys, types):
            self.d.setdefault(k, (t, None))

    def scan_iter(self, match=None, count=None):
        return iter(self.keys)

    def type(self, k):
        return self.d.get(k, ('none', None))[0]

    def _v(self, k, t, empty):
        e = self.d.get(k)
        return e[1] if e and e[0] == t else empty

    def hgetall(self, k):
        return dict(self._v(k, 'hash', {}))

    def hget(self, k, f):
        return self._v(k, 'hash', {}).get(f)

    def smembers(self, k):
        return set(self._v(k, 'set', set()))

    def zrange(self, k, start, end, withscores=False):
        assert (start, end, withscores) == (0, -1, True)
        return list(self._v(k, 'zset', []))

    def exists(self, k):
        return 1 if k in self.d else 0


def idle_while_waiting(r, P):
    """Sessions waiting in a general index (queued, not parked) that an agent may take now:
    room in the session's class, every skill it needs, not among its decliners. Read from
    the sessions' and agents' own records, not from the engine's indexes; cheap enough to
    run after every step of the random test."""
    cfg = r.hgetall(P + ':cfg')
    policy = cfg.get('policy', 'blended')
    agents = sorted(r.smembers(P + ':agents'))
    pipe = r.pipeline(transaction=False)
    for aid in agents:
        pipe.hgetall(P + ':a:' + aid)
    rows = []
    for aid, h in zip(agents, pipe.execute()):
        if 'r' in h:
            h.update(zip(ROW_FIELDS, h.pop('r').split('|', len(ROW_FIELDS) - 1)))
        if h.get('presence') == 'available':
            rows.append((aid, h, agent_skills(h)))
    queued = set()
    for q in r.smembers(P + ':queues'):
        queued.update(r.zrange(P + ':q:' + q, 0, -1))
    pipe = r.pipeline(transaction=False)
    for sid in sorted(queued):
        pipe.hmget(P + ':s:' + sid, 'state', 'class', 'skills', 'affinity')
        pipe.zscore(P + ':awx', sid)
        pipe.smembers(P + ':s:' + sid + ':x')
    res = pipe.execute()
    out = []
    for i, sid in enumerate(sorted(queued)):
        (state, cls, skills, _), parked, declined = res[3 * i], res[3 * i + 1], res[3 * i + 2]
        if state != 'queued' or parked is not None:
            continue
        need = [x for x in (skills or '').split(',') if x]
        for aid, h, sk in rows:
            if _agent_free(h, cls, policy) and aid not in declined and all(n in sk for n in need):
                out.append('session %s waits while agent %s may take it' % (sid, aid))
                break
    return out


def check_invariants(r, P, allow_overcap=()):
    """Return a list of violated invariants (empty when all hold)."""
    r = _View(r, P)
    errs = []
    cfg = r.hgetall(P + ':cfg')
    policy = cfg.get('policy', 'blended')
    max_wait = int(cfg.get('max_wait', 0))
    archive = int(cfg.get('archive', 0))
    qx = dict(r.zrange(P + ':qx', 0, -1, withscores=True))
    keys = set(r.scan_iter(match=P.replace('[', '\\[') + ':*', count=1000))
    pre = P + ':'

    offers = dict(r.zrange(P + ':offers', 0, -1, withscores=True))
    # the sentinel that keeps P:offers a skiplist (engine/call.h OQE_SENTINEL): +inf
    if offers.pop('~' * 72, float('inf')) != float('inf'):
        errs.append('P:offers sentinel scored other than +inf')
    wu = dict(r.zrange(P + ':wu', 0, -1, withscores=True))
    awx = dict(r.zrange(P + ':awx', 0, -1, withscores=True))
    rgx = dict(r.zrange(P + ':rgx', 0, -1, withscores=True))
    bhq = r.smembers(P + ':bhq')
    ret = dict(r.zrange(P + ':ret', 0, -1, withscores=True))
    arq = dict(r.zrange(P + ':arq', 0, -1, withscores=True))
    w_ent, aw_ent, q_ent = {}, {}, {}
    wkeys = {}
    for k in keys:
        rest = k[len(pre):]
        if rest.startswith('w:'):
            _, cls, skill = rest.split(':', 2)
            z = r.zrange(k, 0, -1, withscores=True)
            wkeys[(cls, skill)] = z
            for member, sc in z:
                sid = member.split('|', 1)[0]
                w_ent.setdefault(sid, []).append((cls, skill, sc, member))
        elif rest.startswith('aw:'):
            aid = rest[3:]
            for sid, sc in r.zrange(k, 0, -1, withscores=True):
                aw_ent.setdefault(sid, []).append((aid, sc))
        elif rest.startswith('q:'):
            q = rest[2:]
            for sid, sc in r.zrange(k, 0, -1, withscores=True):
                q_ent.setdefault(sid, []).append((q, sc))

    # wk: hash index name -> the first 4 entries of that index, each
    # "<score, 16 zero-padded digits>|<member>", space-separated, and a last
    # token "+" when the index holds more; exactly the non-empty indexes
    def wk_want(z):
        v = ' '.join('%016d|%s' % (int(sc), m) for m, sc in z[:4])
        return v + ' +' if len(z) > 4 else v
    for cls in CLASSES:
        wk = r.hgetall(P + ':wk:' + cls)
        nonempty = {s: wk_want(z) for (c, s), z in wkeys.items() if c == cls and z}
        if set(wk) != set(nonempty):
            errs.append('wk:%s members %s != non-empty indexes %s' % (cls, sorted(wk), sorted(nonempty)))
        for s, head in nonempty.items():
            if s in wk and wk[s] != head:
                errs.append('wk:%s:%s head %r != %r' % (cls, s, wk[s], head))

    agents = set(r.smembers(P + ':agents'))
    ahash = {aid: agent_hash(r, P, aid) for aid in agents}
    held = {}   # aid -> list of (sid, class)
    live = 0
    waiting = []   # (sid, hash) of sessions waiting in a general index
    sess_keys = [k for k in keys if k.startswith(pre + 's:') and k.count(':') == 3]
    for k in sess_keys:
        sid = k.rsplit(':', 1)[1]
        h = r.hgetall(k)
        st = h.get('state')
        where = 'session %s (%s)' % (sid, st)
        inw, inaw, inq = w_ent.get(sid, []), aw_ent.get(sid, []), q_ent.get(sid, [])
        if st in TERMINAL:
            if sid in offers or sid in wu or sid in awx or inw or inaw or inq or sid in qx:
                errs.append(where + ' terminal but still indexed')
            # an ended session waits for the archive or for its retention to end
            if (sid in ret) == (sid in arq) or (sid in arq and not archive):
                errs.append(where + ' ret %r arq %r (archive %d)' % (sid in ret, sid in arq, archive))
            continue
        if sid in ret or sid in arq:
            errs.append(where + ' live but scheduled for removal')
        if st not in ('queued', 'offered', 'active', 'wrapup'):
            errs.append(where + ' unknown state')
            continue
        live += 1
        score = (1000 - int(h['priority'])) * TWO42 + int(h['enq'])
        # a session waiting for its region's agents has a deadline to be widened: none waits
        # for a region for ever
        if st == 'queued' and h.get('region') and \
                'r-' + h['region'] in h.get('skills', '').split(',') and rgx.get(sid) is None:
            errs.append(where + ' waits for region %s with no widening deadline' % h['region'])
        # a session in its region's queue (home_queue) still waits for that region's agents
        if h.get('home_queue') and 'r-' + h.get('region', '') not in h.get('skills', '').split(','):
            errs.append(where + ' in regional queue %s without its region\'s skill' % h['queue'])
        if st == 'queued':
            if h.get('agent'):
                errs.append(where + ' queued with agent')
            if len(inq) != 1 or inq[0][0] != h['queue'] or inq[0][1] != score:
                errs.append(where + ' q entries %r' % inq)
            if sid in offers or sid in wu:
                errs.append(where + ' queued but in offers/wu')
            # max_wait counts from enq, or from the last transfer when later
            # (a queue with business hours moves it later: max_wait counts open time)
            want_qx = max(int(h['enq']), int(h.get('transfer_at') or 0)) + max_wait * 1000
            if max_wait > 0 and sid in qx and qx[sid] != want_qx and \
                    not (h['queue'] in bhq and qx[sid] > want_qx):
                errs.append(where + ' qx deadline %r' % qx[sid])
            idx = wait_idx(h)
            if inaw:
                if inw or len(inaw) != 1 or sid not in awx or inaw[0][0] != h.get('affinity') \
                        or inaw[0][1] != score:
                    errs.append(where + ' parked wrongly w=%r aw=%r' % (inw, inaw))
            else:
                if sid in awx:
                    errs.append(where + ' in awx but not parked')
                want = (h['class'], idx, score, wait_member(sid, h))
                if len(inw) != 1 or inw[0] != want:
                    errs.append(where + ' w entries %r, want %r' % (inw, want))
                waiting.append((sid, h))
        else:
            if inw or inaw or inq or sid in awx:
                errs.append(where + ' not queued but in a wait index')
            aid = h.get('agent')
            if not aid:
                errs.append(where + ' without agent')
            else:
                held.setdefault(aid, []).append((sid, h['class']))
            if (st == 'offered') != (sid in offers):
                errs.append(where + ' offers membership wrong')
            if (st == 'wrapup') != (sid in wu):
                errs.append(where + ' wu membership wrong')
    for sid in list(ret) + list(arq):
        if not r.exists(P + ':s:' + sid):
            errs.append('session %s scheduled for removal has no hash' % sid)
    # every session enqueued (or reopened) ends once: the counters say how many are live
    st = {k: int(v) for k, v in r.hgetall(P + ':stat').items()
          if k != 'wait_ewma_ms' and not k.startswith('qew:')}
    st_live = st.get('enqueued', 0) - st.get('closed', 0) - st.get('abandoned', 0) - st.get('expired', 0)
    if st_live != live:
        errs.append('counters say %d sessions are live, %d are' % (st_live, live))
    # each queue's wait average (P:stat qew:<queue>): of a known queue, a whole non-negative ms
    queues = r.smembers(P + ':queues')
    for f, v in r.hgetall(P + ':stat').items():
        if f.startswith('qew:') and (f[4:] not in queues or not v.isdigit()):
            errs.append('P:stat %r = %r: no such queue or not a wait' % (f, v))
    # follow-ups: exactly the sessions (any state) with a follow_up date, scored by its 00:00 UTC
    want_fu = {}
    for k in sess_keys:
        d = r.hget(k, 'follow_up')
        if d:
            want_fu[k.rsplit(':', 1)[1]] = calendar.timegm(time.strptime(d, '%Y-%m-%d')) * 1000
    fu = dict(r.zrange(P + ':followups', 0, -1, withscores=True))
    if fu != want_fu:
        errs.append('followups %r != session dates %r' % (sorted(fu.items())[:5], sorted(want_fu.items())[:5]))

    # agents and their three indexes
    fair = dict(r.zrange(P + ':fair', 0, -1, withscores=True))
    # the sentinel that keeps P:fair a skiplist (20_agent.lua): +inf, no agent
    if fair.pop('~' * 72, float('inf')) != float('inf'):
        errs.append('P:fair sentinel scored other than +inf')
    fr = {c: set(r.smembers(P + ':fr:' + c)) for c in CLASSES}
    skl_idx = {}    # skill -> {aid: level}, from P:skl (scored by level)
    for k in keys:
        rest = k[len(pre):]
        if rest.startswith('skl:'):
            z = dict(r.zrange(k, 0, -1, withscores=True))
            # the sentinel that keeps P:skl a skiplist (20_agent.lua): -inf, no agent
            if z.pop('~' * 72, float('-inf')) != float('-inf'):
                errs.append('%s sentinel scored other than -inf' % k)
            skl_idx[rest[4:]] = {m: int(sc) for m, sc in z.items()}
    for name, z in skl_idx.items():
        for aid in z:
            if aid not in agents:
                errs.append('skl:%s has unknown agent %s' % (name, aid))
    for aid in set(fair) | set().union(*fr.values()):
        if aid not in agents:
            errs.append('fair/fr index has unknown agent %s' % aid)
    avail = set(r.smembers(P + ':avail'))
    for aid in agents:
        a = ahash[aid]
        if not a:
            errs.append('agent %s in P:agents without hash' % aid)
            continue
        sk = agent_skills(a)
        hl = set(x for x in (a.get('held') or '').split(',') if x)
        mine = held.get(aid, [])
        if hl != set(s for s, _ in mine):
            errs.append('agent %s held %s != sessions held %s' % (aid, sorted(hl), sorted(mine)))
        for cls in CLASSES:
            n = sum(1 for _, c in mine if c == cls)
            if int(a.get('load:' + cls, 0)) != n:
                errs.append('agent %s load:%s=%s but holds %d' % (aid, cls, a.get('load:' + cls), n))
            if aid not in allow_overcap and n > int(a.get('cap:' + cls, 0)):
                errs.append('agent %s over cap in %s' % (aid, cls))
        if int(a.get('load:total', 0)) != len(mine):
            errs.append('agent %s load:total=%s but holds %d' % (aid, a.get('load:total'), len(mine)))
        if aid not in allow_overcap and len(mine) > int(a.get('cap:total', 0)):
            errs.append('agent %s over total cap' % aid)
        available = a.get('presence') == 'available'
        if available != (aid in avail):
            errs.append('agent %s avail set membership wrong' % aid)
        free = {c: _agent_free(a, c, policy) for c in CLASSES}
        for c in CLASSES:
            if free[c] != (aid in fr[c]):
                errs.append('agent %s fr:%s membership %r, room %r' % (aid, c, aid in fr[c], free[c]))
        want_fair = int(a.get('load:total', 0)) * 10 ** 13 + int(a.get('idle_since', 0))
        if any(free.values()):
            if fair.get(aid) != want_fair:
                errs.append('agent %s fair score %r want %r' % (aid, fair.get(aid), want_fair))
        elif aid in fair:
            errs.append('agent %s in fair without room' % aid)
        for name, z in skl_idx.items():
            if available and name in sk:
                if z.get(aid) != sk[name]:
                    errs.append('agent %s skl:%s score %r want %r' % (aid, name, z.get(aid), sk[name]))
            elif aid in z:
                errs.append('agent %s in skl:%s but should not be' % (aid, name))
        if available:
            for name in sk:
                if name not in skl_idx:
                    errs.append('agent %s missing from skl:%s' % (aid, name))
    for aid in held:
        if aid not in agents:
            errs.append('sessions held by unknown agent %s' % aid)
    # No session waits while an agent who may take it has room: one with room in its class,
    # every skill it needs, and not among those who declined it (parked sessions wait for
    # their own agent by design).
    for sid, h in waiting:
        need = [x for x in (h.get('skills') or '').split(',') if x]
        declined = set(r.smembers(P + ':s:' + sid + ':x'))
        for aid in agents:
            a = ahash[aid]
            if a and _agent_free(a, h['class'], policy) and aid not in declined \
                    and all(n in agent_skills(a) for n in need):
                errs.append('session %s waits while agent %s may take it' % (sid, aid))
                break
    # desk secrets: a string per existing agent, nothing left of deleted ones
    for k in keys:
        part = k[len(pre):].split(':')
        if len(part) == 3 and part[0] == 'a' and part[2] == 'pw':
            if part[1] not in agents:
                errs.append('secret of unknown agent %s' % part[1])
            elif r.type(k) != 'string':
                errs.append('secret of agent %s is a %s' % (part[1], r.type(k)))
    # outbound (lua/72_outbound.lua): a channel's queue holds exactly its deliveries that
    # are queued or being sent
    queued = {}
    for k in keys:
        rest = k[len(pre):]
        if rest.startswith('ob:q:'):
            for did, _ in r.zrange(k, 0, -1, withscores=True):
                queued[did] = rest[5:]
    for k in keys:
        rest = k[len(pre):]
        if rest.startswith('ob:d:'):
            did, d = rest[5:], r.hgetall(k)
            live = d.get('state') in ('queued', 'sending')
            if live != (queued.get(did) == d.get('channel')):
                errs.append('delivery %s (%s, %s) queued in %r' % (did, d.get('state'),
                                                                d.get('channel'), queued.get(did)))
            queued.pop(did, None)
    if queued:
        errs.append('queued deliveries without their record: %s' % sorted(queued)[:5])
    return errs
