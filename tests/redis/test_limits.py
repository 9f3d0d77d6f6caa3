"""C and the library accept and refuse the same values (limits.def is the source of both).

The C side is oq_validate.c as the core calls it before a call reaches Redis, through
tests/unit/probe_validate.c (built here with `make -C tests/unit probe`); the library side
is the functions that take those values (oq_agent_set, oq_enqueue, oq_session_set,
oq_append, oq_config...). For every value x of a corpus made of the boundaries of every
limit, every character around every character class and the cases of issue 18:

  A. C accepts x  =>  the library accepts C's canonical form of x;
  B. the library accepts x  =>  C accepts x, and C's canonical form means the same to the
     library (the same stored skills, capacities, priority...).

Where C is stricter by design, B is not asked, and the test says which: identities (C
knows the shapes of phone, sms, wechat, email, app and web identities and refuses other
kinds; the library takes any scheme:value) and message bodies that are not UTF-8 (the
channels carry text: JSON, WebSocket text frames). An empty capacity list is the capacity
modparam for C (an agent given no capacity), all zeros for the library: not asked either.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

import redis

import harness

ROOT = harness.ROOT
OMNIQ = os.path.join(ROOT, 'modules', 'omniq')
GEN_LIMITS = os.path.join(OMNIQ, 'gen_limits.sh')
BUILD = os.environ.get('OMNIQ_BUILD', os.path.join(ROOT, 'build'))


def limits_def():
    """limits.def read here, independently of gen_limits.sh: {NAME: value}, and the
    settings {name: (default, min, max)}."""
    nums, cfg = {}, {}
    with open(os.path.join(OMNIQ, 'limits.def')) as f:
        for line in f:
            w = line.split()
            if not w or w[0].startswith('#'):
                continue
            if w[0] == 'num':
                nums[w[1]] = int(w[2])
            elif w[0] == 'chars':
                nums[w[1]] = w[2]
            elif w[0] == 'cfg':
                cfg[w[1]] = tuple(int(x) for x in w[2:5])
    return nums, cfg


LIM, CFG = limits_def()


# ---- the C side ----------------------------------------------------------------------

def probe_path():
    unit = os.path.join(BUILD, 'unit')
    out = subprocess.run(['make', '--no-print-directory', '-C', os.path.join(ROOT, 'tests', 'unit'),
                          'probe', 'BUILD=' + unit], capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError('cannot build the probe: ' + (out.stdout + out.stderr)[-2000:])
    return os.path.join(unit, 'probe_validate')


def c_verdicts(requests):
    """[(kind, bytes)] -> [(True, canonical bytes, class) | (False, code, why)], one probe run."""
    text = ''.join('%s %s\n' % (k, v.hex() or '-') for k, v in requests)
    out = subprocess.run([probe_path()], input=text, capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError('probe failed: ' + out.stderr[-500:])
    answers = []
    for line in out.stdout.splitlines():
        w = line.split(' ', 2)
        if w[0] == 'ok':
            answers.append((True, b'' if w[1] == '-' else bytes.fromhex(w[1]), w[2]))
        else:
            answers.append((False, int(w[1]), w[2] if len(w) > 2 else ''))
    assert len(answers) == len(requests), (len(answers), len(requests))
    return answers


# ---- the library side ----------------------------------------------------------------

class Lib:
    """A tenant of its own on a server, called with bytes, errors as values. Not one of the
    runner's tenants: what it stores is any byte (a profile name of 0xff...), which the
    runner's invariant checks read as UTF-8; its keys go when the test ends."""

    def __init__(self, port, name):
        self.r = redis.Redis(host='127.0.0.1', port=port)   # bytes in, bytes out
        self.P = 'oq:{limits-%s}' % name
        self.n = 0

    def __enter__(self):
        prepared(self)
        return self

    def __exit__(self, *exc):
        keys = list(self.r.scan_iter(match=self.P.replace('{', '\\{') + ':*', count=1000))
        if keys:
            self.r.delete(*keys)

    def call(self, fn, *args):
        """('ok', reply), ('arg', error): refused by validation, ('past', error): another OQ_
        error (a session not found, say), so the arguments were valid."""
        try:
            return 'ok', self.r.fcall(fn, 1, self.P, *args)
        except redis.ResponseError as e:
            msg = str(e)
            if not msg.startswith('OQ_'):
                raise
            return ('arg' if msg.startswith('OQ_ARG ') else 'past'), msg

    def fresh(self, prefix):
        self.n += 1
        return ('%s%d' % (prefix, self.n)).encode()

    def pairs(self, fn, *args):
        ok, r = self.call(fn, *args)
        assert ok == 'ok', (fn, args, r)
        return {r[i].decode(): r[i + 1] for i in range(0, len(r), 2)}


def lib_verdict(lib, kind, v):
    """(accepted, what it means to the library) for value v of that kind; refused: (False,
    the error). An OQ_ error other than OQ_ARG (a session not found, say) is past
    validation: accepted, and the error is what it means."""
    def res(ok_r, meaning=None):
        how, r = ok_r
        if how == 'arg':
            return False, r
        if how == 'past':
            return True, r
        return True, (v if meaning is None else meaning(r))

    if kind in ('id', 'agent'):
        return res(lib.call('oq_agent_set', v, b'', b'', b'voice=1', b''))
    if kind == 'queue':
        return res(lib.call('oq_enqueue', b'web', b'', lib.fresh('web:q'), b'', b'0', v, b''))
    if kind == 'disposition':
        return res(lib.call('oq_session_set', lib.sid, b'disposition', v))
    if kind == 'sid':
        return res(lib.call('oq_session_get', v))
    if kind == 'channel':
        cls = b'' if v in BUILTIN else b'chat'
        return res(lib.call('oq_enqueue', v, cls, lib.fresh('web:c'), b'', b'0', b'q', b''))
    if kind == 'skills':
        return res(lib.call('oq_enqueue', b'web', b'', lib.fresh('web:s'), v, b'0', b'q', b''))
    if kind == 'agent_skills':
        aid = lib.fresh('as')
        return res(lib.call('oq_agent_set', aid, b'', v, b'voice=1', b''),
                   lambda r: lib.pairs('oq_agent_get', aid)['skills'])
    if kind == 'caps':
        aid = lib.fresh('cp')
        return res(lib.call('oq_agent_set', aid, b'', b'', v, b''),
                   lambda r: tuple(lib.pairs('oq_agent_get', aid)['cap:' + c]
                                   for c in ('voice', 'chat', 'email', 'total')))
    if kind == 'priority':
        return res(lib.call('oq_enqueue', b'web', b'', lib.fresh('web:p'), b'', v, b'q', b''),
                   lambda r: int(lib.r.hget('%s:s:%s' % (lib.P, r[0].decode()), 'priority')))
    if kind == 'presence':
        return res(lib.call('oq_agent_state', lib.aid, v))
    if kind == 'body':
        return res(lib.call('oq_append', lib.sid, b'in', b'', b'text', v))
    if kind == 'identity':
        return res(lib.call('oq_customer_get', v))
    if kind.startswith('cfg:'):
        name = kind[4:]
        return res(lib.call('oq_config', name, v),
                   lambda r: int(float(lib.r.hget(lib.P + ':cfg', name))))
    text = kind[5:]
    if text == 'name':
        return res(lib.call('oq_agent_set', lib.aid, v, b'', b'voice=1', b''))
    if text == 'contact':
        return res(lib.call('oq_agent_set', lib.aid, b'', b'', b'voice=1', v))
    if text == 'ext':
        return res(lib.call('oq_enqueue', b'web', b'', lib.fresh('web:e'), b'', b'0', b'q', v))
    if text == 'from':
        return res(lib.call('oq_append', lib.sid, b'in', v, b'text', b'hi'))
    if text == 'cid':
        return res(lib.call('oq_append_once', lib.sid, b'in', b'', b'text', b'hi', v))
    if text == 'profile':
        return res(lib.call('oq_customer_set', lib.cid, b'name', v))
    if text == 'tags':
        return res(lib.call('oq_session_set', lib.sid, b'tags', v))
    if text == 'lease':
        return res(lib.call('oq_online', v))
    if text == 'unless':
        lib.call('oq_ob_register', b'push')
        return res(lib.call('oq_ob_add', b'push', b't', b'', b'text', b'{}', v))
    raise AssertionError('no library call for kind ' + kind)


def prepared(lib):
    """A queued session (lib.sid), its customer (lib.cid) and an agent (lib.aid)."""
    ok, r = lib.call('oq_enqueue', b'web', b'', b'web:fixture', b'', b'0', b'q', b'')
    assert ok == 'ok', r
    lib.sid, lib.cid = r[0], r[4]
    lib.aid = b'fixture'
    ok, r = lib.call('oq_agent_set', lib.aid, b'', b'', b'voice=1', b'')
    assert ok == 'ok', r


BUILTIN = {b'phone', b'web', b'wechat', b'app', b'sms', b'email'}


# ---- the corpus ----------------------------------------------------------------------

def each_byte(before=b'', after=b''):
    """every ASCII byte, and the first bytes of UTF-8 and a byte never in it, between two"""
    return [before + bytes([c]) + after for c in list(range(128)) + [0x80, 0xc3, 0xff]]


def skill_list(n, fmt='s%02d'):
    return b','.join((fmt % i).encode() for i in range(n))


def corpus():
    ID, SK, TXT = LIM['ID_MAX'], LIM['SKILL_NAME_MAX'], LIM['TEXT_MAX']
    ids = ([b'', b'a', b'A', b'0', b'a' * ID, b'a' * (ID + 1), b'a.b', b'a/b', b'.', b'..',
            b'x@y.z', b'+1', b'a:b', b'a,b', b'a b', b'\xc3\xa9']
           + each_byte(b'a', b'b') + each_byte())
    out = [('agent', v) for v in ids]
    # "" is the default queue and "leave it" as a disposition, before any check on both sides
    out += [(k, v) for k in ('queue', 'disposition') for v in ids if v]
    out += [('sid', v) for v in (b'', b'0', b'1', b'01', b'9' * LIM['SID_DIGITS_MAX'],
                                 b'9' * (LIM['SID_DIGITS_MAX'] + 1), b'1' * 23, b'a', b'-1',
                                 b'+1', b' 1', b'1 ', b'1.0', b'1\x00')]
    CH = LIM['CHANNEL_MAX']
    out += [('channel', v) for v in [b'', b'a', b'a' * CH, b'a' * (CH + 1), b'Web', b'9x', b'_x',
                                     b'x.y'] + sorted(BUILTIN) + each_byte(b'x') + each_byte()]
    S, A = LIM['SESSION_SKILLS_MAX'], LIM['AGENT_SKILLS_MAX']
    skills = [b'', b' ', b'a', b'en,sales', b'sales,en', b'Sales, EN ,sales', b'a,a', b'A',
              b'a,,b', b'a,', b',a', b'a' * SK, b'a' * (SK + 1), b'A' * SK,
              skill_list(S), skill_list(S + 1), skill_list(S) + b',s00', skill_list(S + 1) + b',',
              b'a.b', b'a-c,ab', b'ab,a-c', b'a_b,a.b,a-b,a0b', b'x' + b'y' * (SK - 1) + b',a'
              ] + each_byte(b'x') + each_byte(b'', b'x')
    out += [('skills', v) for v in skills]
    agent = [b'', b' ', b'en:5', b'en:0', b'en:1', b'en:10', b'en:11', b'en:05', b'en:005',
             b'en', b'en:', b':5', b'en:5,en:4', b'EN:5', b'en:5,EN:4', b'sales:5,en:3',
             b' en : 5 ', b'en:+5', b'en:-1', b'en:5:6', b'en:5,', b'a' * SK + b':1',
             b'a' * (SK + 1) + b':1', skill_list(A, 'k%02d:3'), skill_list(A + 1, 'k%02d:3'),
             b'ab:1,a-c:2', b'a.b:2'] + each_byte(b'x', b':1') + each_byte(b'', b'x:1')
    out += [('agent_skills', v) for v in agent]
    CAP = LIM['CAP_MAX']
    caps = [b'', b' ', b'voice=%d' % CAP, b'voice=%d' % (CAP + 1), b'voice=1,chat=4',
            b'voice=1,chat=4,email=8,total=10', b'total=0', b'total=5', b'total=%d' % CAP,
            b'total=%d' % (CAP + 1), b'voice=%d,chat=%d,email=%d' % (CAP, CAP, CAP), b'voice=0',
            b'voice=-1', b'voice=x', b'video=1', b'voice=1,voice=2', b'Voice=2', b' voice = 2 ',
            b'voice=007', b'voice=0001000', b'voice=1,', b'voice=', b'=1', b'voice', b'chat=3',
            b'email=2,total=1']
    out += [('caps', v) for v in caps]
    P = LIM['PRIORITY_MAX']
    out += [('priority', v) for v in (b'', b'0', b'%d' % P, b'%d' % (P + 1), b'-1', b'-0', b'00',
                                      b'000%d' % P, b'1.5', b'0x10', b' 1', b'+1', b'9' * 16,
                                      b'1e3')]
    out += [('presence', v) for v in (b'available', b'away', b'offline', b'Available', b'busy',
                                      b'', b'AWAY', b'away ')]
    B = LIM['BODY_MAX']
    out += [('body', v) for v in (b'x', b'', b'x' * B, b'x' * (B + 1), b'a\x00b', b'a\nb\tc',
                                  'héllo 你好 😀'.encode(), b'\xc3\xa9' * (B // 2), b'\xff',
                                  b'\xc3', b'\xed\xa0\x80', b'\xf4\x90\x80\x80', b'\xc0\xaf')]
    I = LIM['IDENTITY_MAX']
    out += [('identity', v) for v in (
        b'web:x', b'web:' + b'x' * 128, b'web:' + b'x' * 129, b'phone:+8613800138000',
        b'phone:13800138000', b'sms:+86 138-0013-8000', b'email:Jane@Example.COM',
        b'wechat:wx1:o_abc', b'app:acme:u1', b'app:acme:u,1', b'app:acme:u\x7f', b'web:a,b',
        b'tel:+123', b'foo:bar', b'noscheme', b'', b'web:a\nb', b'email:' + b'x' * I,
        b'app:a:' + b'x' * (I - 6), b'app:a:' + b'x' * (I - 5))]
    for kind, m, mx in (('name', 0, TXT), ('contact', 0, LIM['CONTACT_MAX']), ('ext', 0, TXT),
                        ('from', 0, TXT), ('cid', 1, LIM['CID_MAX']), ('profile', 0, TXT),
                        ('tags', 0, LIM['TAGS_MAX']), ('lease', 1, TXT), ('unless', 0, TXT)):
        vals = [b'', b'x', b'x' * mx, b'x' * (mx + 1), b'\xc3\xa9' * (mx // 2), b'\xff']
        vals += [b'a' + bytes([c]) + b'b' for c in list(range(32)) + [127]]
        out += [('text:' + kind, v) for v in vals]
    for name, (d, lo, hi) in CFG.items():
        vals = [b'%d' % x for x in {d, lo, hi, lo - 1, hi + 1}]
        vals += [b'', b'1.5', b'-0', b' 1', b'0%d' % hi, b'9' * 16, b'x']
        out += [('cfg:' + name, v) for v in vals]
    return out


# C refuses these by design where the library accepts them (see the module's docstring).
def c_may_be_stricter(kind, v):
    if kind == 'identity':
        return True
    if kind == 'body':
        try:
            v.decode('utf-8')
        except UnicodeDecodeError:
            return True
    return False


def compare(lib, cases):
    """The disagreements of C and the library over cases, as readable lines."""
    verdicts = c_verdicts([('id' if k in ('agent', 'queue', 'disposition') else k, v)
                           for k, v in cases])
    bad = []
    for (kind, v), c in zip(cases, verdicts):
        c_ok, canon = c[0], c[1]
        lib_ok, meant = lib_verdict(lib, kind, v)
        if c_ok:
            canon_ok, canon_meant = lib_verdict(lib, kind, canon)
            if not canon_ok:
                bad.append('%s %r: C accepts it as %r, the library refuses that: %s'
                           % (kind, v[:80], canon[:80], canon_meant[:160]))
                continue
        if not lib_ok:
            continue
        if not c_ok:
            if not c_may_be_stricter(kind, v):
                bad.append('%s %r: the library accepts it, C refuses it: %s' % (kind, v[:80], c[2]))
            continue
        if kind == 'caps' and not v.strip():
            continue
        if not c_may_be_stricter(kind, v) and canon_meant != meant:
            bad.append('%s %r: C makes it %r, which the library takes as %r, not %r'
                       % (kind, v[:80], canon[:80], canon_meant, meant))
    return bad


def test_c_and_library_agree_on_every_limit(h):
    cases = corpus()
    with Lib(h.server.port, 'all') as lib:
        bad = compare(lib, cases)
    assert not bad, '%d of %d values judged apart:\n  %s' % (len(bad), len(cases), '\n  '.join(bad[:40]))


def test_issue_18_cases_judged_alike(h):
    """The cases issue 18 names, each with the verdict both sides must give."""
    want = [('caps', b'voice=1000', b'voice=1000,chat=0,email=0,total=1000'),
            ('caps', b'voice=1,chat=4', b'voice=1,chat=4,email=0,total=5'),
            ('skills', skill_list(LIM['SESSION_SKILLS_MAX'] + 1), None),
            ('skills', b'a' * (LIM['SKILL_NAME_MAX'] + 1), None),
            ('skills', b'a.b', b'a.b'),
            ('agent_skills', skill_list(LIM['AGENT_SKILLS_MAX'], 'k%02d:3'),
             skill_list(LIM['AGENT_SKILLS_MAX'], 'k%02d:3')),
            ('agent', b'a.b', b'a.b'), ('agent', b'a/b', None)]
    cases = [(k, v) for k, v, _ in want]
    verdicts = c_verdicts([('id' if k == 'agent' else k, v) for k, v in cases])
    with Lib(h.server.port, 'issue') as lib:
        for (kind, v, canon), c in zip(want, verdicts):
            lib_ok, why = lib_verdict(lib, kind, v)
            if canon is None:
                assert not c[0] and not lib_ok, (kind, v[:40], c, why)
            else:
                assert c[0] and c[1] == canon, (kind, v[:40], c)
                assert lib_ok, (kind, v[:40], why)
        assert compare(lib, cases) == []


def test_generated_c_header_and_lua_table_hold_the_same_limits(h):
    """gen_limits.sh's two outputs and the header the module was built with say what
    limits.def says, number for number."""
    c = subprocess.run([GEN_LIMITS, '--c'], check=True, capture_output=True, text=True).stdout
    lua = subprocess.run([GEN_LIMITS, '--lua'], check=True, capture_output=True, text=True).stdout
    built = os.path.join(OMNIQ, 'oq_limits.h')
    if os.path.exists(built):
        with open(built) as f:
            assert f.read() == c, 'modules/omniq/oq_limits.h is older than limits.def: run make'
    c_nums = {k: int(v) for k, v in re.findall(r'^#define OQ_(\w+) (\d+)$', c, re.M)}
    c_chars = dict(re.findall(r'^#define OQ_(\w+) "(.*)"$', c, re.M))
    c_each = {n: tuple(int(x) for x in (d, lo, hi))
              for n, d, lo, hi in re.findall(r'X\((\w+), (\d+), (\d+), (\d+)\)', c)}
    lua_nums = {k: int(v) for k, v in re.findall(r'^L\.(\w+) = (\d+)$', lua, re.M)}
    lua_chars = {k: v.replace('%', '') for k, v in re.findall(r'^L\.(\w+) = "(.*)"', lua, re.M)}
    lua_cfg = {n: tuple(int(x) for x in (d, lo, hi))
               for n, d, lo, hi in re.findall(r'^L\.CFG\.(\w+) = \{(\d+), (\d+), (\d+)\}$', lua, re.M)}
    nums = {k: v for k, v in LIM.items() if isinstance(v, int)}
    chars = {k: v for k, v in LIM.items() if isinstance(v, str)}
    for name, (d, lo, hi) in CFG.items():
        u = name.upper()
        assert (c_nums.pop('CFG_%s_DEF' % u), c_nums.pop('CFG_%s_MIN' % u),
                c_nums.pop('CFG_%s_MAX' % u)) == (d, lo, hi), name
    assert c_nums.pop('CFG_COUNT') == len(CFG)
    assert c_nums == nums, (c_nums, nums)
    assert lua_nums == nums, (lua_nums, nums)
    assert c_chars == chars and lua_chars == chars, (c_chars, lua_chars, chars)
    assert c_each == CFG and lua_cfg == CFG, (c_each, lua_cfg, CFG)
    assert list(c_each) == list(CFG), 'OQ_CFG_EACH is not in limits.def order'


# ---- the library under a locale that does not sort by bytes ---------------------------

def collating_server(tmp):
    """A redis-server with LC_ALL=en_US.UTF-8 (made with localedef in tmp): there Lua's
    string order is strcoll's, where '-' sorts after letters. None when the locale's
    sources are missing (Debian's `locales`, installed by scripts/deps.sh test)."""
    if not os.path.isdir('/usr/share/i18n/locales') or shutil.which('localedef') is None:
        return None
    loc = os.path.join(tmp, 'locale')
    os.mkdir(loc)
    subprocess.run(['localedef', '-i', 'en_US', '-f', 'UTF-8', os.path.join(loc, 'en_US.UTF-8')],
                   check=True, capture_output=True)
    port = harness.free_port()
    env = dict(os.environ, LOCPATH=loc, LC_ALL='en_US.UTF-8')
    proc = subprocess.Popen(['redis-server', '--port', str(port), '--bind', '127.0.0.1',
                             '--save', '', '--appendonly', 'no', '--dir', tmp]
                            + harness.engine.loadmodule_args(test_clock=True), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    r = redis.Redis(host='127.0.0.1', port=port)
    for _ in range(250):
        try:
            r.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.02)
    r.execute_command('FUNCTION', 'LOAD', 'REPLACE', harness.library_text())
    return proc, port


def test_skill_order_is_bytes_under_any_locale(h):
    """C sorts skills by bytes; the library must find C's lists sorted, and sort an agent's
    the same, whatever locale Redis runs under."""
    tmp = tempfile.mkdtemp(prefix='omniq-locale-')
    srv = None
    try:
        srv = collating_server(tmp)
        assert srv is not None, 'no locale sources to build en_US.UTF-8 (apt-get install locales)'
        proc, port = srv
        r = redis.Redis(host='127.0.0.1', port=port)
        assert r.eval("return tostring('a-c' < 'ab')", 0) == b'false', 'not a collating locale'
        cases = [('skills', v) for v in (b'ab,a-c', b'a-c,ab', b'a_b,a.b,a-b,a0b,ab', b'B,a')]
        cases += [('agent_skills', v) for v in (b'ab:1,a-c:2', b'a.b:1,a0:2,a_b:3,ab:4')]
        with Lib(port, 'locale') as lib:
            bad = compare(lib, cases)
            # and an agent's skills are stored in C's order, not the locale's
            for (kind, v), c in zip(cases, c_verdicts(cases)):
                if kind == 'agent_skills':
                    stored = lib_verdict(lib, kind, v)[1]
                    if stored != c[1]:
                        bad.append('agent skills %r stored as %r, C orders them %r' % (v, stored, c[1]))
        assert not bad, '\n  '.join(bad)
    finally:
        if srv:
            srv[0].terminate()
            srv[0].wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
