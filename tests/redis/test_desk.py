"""The agent desk's own calls: its login secret (oq_agent_secret, oq_agent_secret_get), the
count of its login attempts (oq_login_try, oq_login_done) and its inbox (oq_agent_sessions)."""

import redis

import harness

PBKDF2 = 'pbkdf2-sha256$600000$c2FsdHNhbHQ$0123456789abcdefABCDEF+/=='


def test_agent_secret_set_get_replace(h):
    t = h.tenant()
    t.agent('a', 'en:5')
    assert t.fc('oq_agent_secret', 'a', PBKDF2) == 'OK'
    assert t.fc('oq_agent_secret_get', 'a') == PBKDF2
    assert h.r.get(t.P + ':a:a:pw') == PBKDF2
    # every printable ASCII character but space, and the full length
    allp = ''.join(chr(c) for c in range(33, 127))
    assert t.fc('oq_agent_secret', 'a', allp) == 'OK'
    assert t.fc('oq_agent_secret_get', 'a') == allp
    assert t.fc('oq_agent_secret', 'a', 'x' * 256) == 'OK'
    assert t.fc('oq_agent_secret_get', 'a') == 'x' * 256
    assert t.fc('oq_agent_secret', 'a', '!') == 'OK'
    assert t.fc('oq_agent_secret_get', 'a') == '!'
    # a reader: runs through FCALL_RO
    assert h.r.execute_command('FCALL_RO', 'oq_agent_secret_get', 1, t.P, 'a') == '!'


def test_token_epoch_moves_on_with_a_secret_and_a_logout(h):
    """The desk token epoch (P:a:<aid>:tok): 0 until a secret is replaced; each new secret and
    each logout (oq_agent_revoke) moves it on, with a 'revoke' event naming the agent and the
    new epoch; a logout with a token's epoch that is no longer current is refused and moves
    nothing; deleting the agent keeps the epoch (a new agent of the same id must not find
    old tokens good)."""
    t = h.tenant()
    t.agent('a', 'en:5')
    ev = lambda: [f for _, f in h.r.xrange(t.P + ':events') if f['type'] == 'revoke']
    assert t.fc('oq_agent_token', 'a') == ['epoch', '0']
    t.fc('oq_agent_secret', 'a', PBKDF2)          # a first secret: no login to end
    assert t.fc('oq_agent_token', 'a') == ['epoch', '0'] and ev() == []
    t.fc('oq_agent_secret', 'a', PBKDF2 + 'x')    # a new one ends those of the old
    assert t.fc('oq_agent_token', 'a') == ['epoch', '1']
    assert [(e['agent'], e['state'], e['sid']) for e in ev()] == [('a', '1', '')]
    assert t.fc('oq_agent_revoke', 'a', '1') == '2'
    assert t.fc('oq_agent_revoke', 'a', '') == '3'          # any token's
    t.expect_err('STATE', 'oq_agent_revoke', 'a', '2')      # an old token cannot log out
    assert t.fc('oq_agent_token', 'a') == ['epoch', '3'] and len(ev()) == 3
    t.expect_err('NOTFOUND', 'oq_agent_revoke', 'nobody', '')
    t.expect_err('NOTFOUND', 'oq_agent_token', 'nobody')
    t.expect_err('ARG', 'oq_agent_revoke', 'a b', '')
    assert h.r.execute_command('FCALL_RO', 'oq_agent_token', 1, t.P, 'a') == ['epoch', '3']
    t.fc('oq_agent_del', 'a')
    t.agent('a', 'en:5')
    assert t.fc('oq_agent_token', 'a') == ['epoch', '3']


def test_agent_secret_not_shown_by_agent_get_or_list(h):
    t = h.tenant()
    t.agent('a', 'en:5')
    t.fc('oq_agent_secret', 'a', PBKDF2)
    flat = t.fc('oq_agent_get', 'a')
    assert PBKDF2 not in flat and 'pw' not in flat[::2], flat
    assert PBKDF2 not in t.fc('oq_agent_list')
    # and storing it changed nothing of the agent itself
    t.agent('b', 'en:5')
    a, b = t.ag('a'), t.ag('b')
    assert sorted(a) == sorted(b)


def test_agent_secret_errors(h):
    t = h.tenant()
    t.agent('a', 'en:5')
    t.fc('oq_agent_secret', 'a', 'old')
    for bad in ('', 'x' * 257, 'two words', 'tab\there', 'nl\n', 'del\x7f', 'nul\x00x',
                'caf\u00e9', ' lead', 'trail '):
        t.expect_err('ARG', 'oq_agent_secret', 'a', bad)
    t.expect_err('ARG', 'oq_agent_secret', 'a')
    t.expect_err('ARG', 'oq_agent_secret', 'a', 'x', 'y')
    t.expect_err('ARG', 'oq_agent_secret', '', 'x')
    t.expect_err('ARG', 'oq_agent_secret', 'a:pw', 'x')
    t.expect_err('ARG', 'oq_agent_secret_get')
    t.expect_err('ARG', 'oq_agent_secret_get', 'a', 'b')
    t.expect_err('ARG', 'oq_agent_secret_get', 'a:b')
    t.expect_err('ARG', 'oq_agent_secret_get', '')
    assert 'agent ghost' in t.expect_err('NOTFOUND', 'oq_agent_secret', 'ghost', 'x')
    t.expect_err('NOTFOUND', 'oq_agent_secret_get', 'ghost')
    t.agent('b', 'en:5')
    assert 'no secret' in t.expect_err('NOTFOUND', 'oq_agent_secret_get', 'b')
    assert t.fc('oq_agent_secret_get', 'a') == 'old'


def test_agent_del_deletes_secret(h):
    t = h.tenant()
    t.agent('a', 'en:5')
    t.fc('oq_agent_secret', 'a', PBKDF2)
    s = t.enq(skills='en')
    t.expect_err('STATE', 'oq_agent_del', 'a')               # holds a session: secret kept too
    t.fc('oq_accept', s['sid'], 'a')
    t.fc('oq_close', s['sid'], '')
    assert t.fc('oq_agent_del', 'a') == 'OK'
    assert not h.r.exists(t.P + ':a:a:pw')
    t.expect_err('NOTFOUND', 'oq_agent_secret_get', 'a')
    # a new agent of the same id starts without one
    t.agent('a', 'en:5')
    t.expect_err('NOTFOUND', 'oq_agent_secret_get', 'a')
    try:
        h.r.execute_command('FCALL_RO', 'oq_agent_secret', 1, t.P, 'a', 'x')
    except redis.ResponseError:
        pass
    else:
        raise AssertionError('oq_agent_secret ran as a reader')


INBOX = ['sid', 'state', 'channel', 'queue', 'customer', 'identity', 'customer_name', 'tier',
         'created', 'updated', 'offer_exp', 'ext', 'last_csat', 'claimed_name', 'promised_ms',
         'waited_ms', 'callback_to']


def inbox(t, aid):
    rows = t.fc('oq_agent_sessions', aid)
    for r in rows:
        assert r[::2] == INBOX, r
    return [dict(zip(r[::2], r[1::2])) for r in rows]


def test_login_attempts_counted_up_front(h):
    """oq_login_try counts an attempt before its check and refuses, with the seconds left,
    once the key has `fails` of them in the window; 'ok' clears the count, 'unchecked' takes
    one attempt back; a wrong password needs no call. Per tenant and per key."""
    t, other = h.tenant(), h.tenant()
    key = '127.0.0.1 alice'
    assert [t.fc('oq_login_try', key, 3, 60) for _ in range(3)] == [[1, 0]] * 3
    admitted, wait = t.fc('oq_login_try', key, 3, 60)
    assert admitted == 0 and 55 <= wait <= 60, wait
    assert h.r.get(t.P + ':login:' + key) == '3' and 55 <= h.r.ttl(t.P + ':login:' + key) <= 60
    assert t.fc('oq_login_try', '127.0.0.1 bob', 3, 60) == [1, 0]   # another agent
    assert other.fc('oq_login_try', key, 3, 60) == [1, 0]           # another tenant
    assert t.fc('oq_login_done', key, 'unchecked') == 'OK'          # Redis or the hash failed
    assert t.fc('oq_login_try', key, 3, 60) == [1, 0]
    assert t.fc('oq_login_try', key, 3, 60)[0] == 0
    assert t.fc('oq_login_done', key, 'ok') == 'OK'                 # the right password
    assert h.r.exists(t.P + ':login:' + key) == 0
    assert t.fc('oq_login_done', key, 'unchecked') == 'OK'          # nothing to take back
    assert h.r.exists(t.P + ':login:' + key) == 0
    # the window ends: the key expires and attempts are checked again
    # (Redis expires the key by its own clock, which the test clock does not move: the
    # window is checked on the key's TTL, then the key is made to expire now)
    assert [t.fc('oq_login_try', 'x y', 1, 1) for _ in range(2)] == [[1, 0], [0, 1]]
    assert 0 < h.r.pttl(t.P + ':login:x y') <= 1000
    h.r.pexpire(t.P + ':login:x y', 1)
    harness.wait_until(lambda: not h.r.exists(t.P + ':login:x y'), 'the login key to expire')
    assert t.fc('oq_login_try', 'x y', 1, 1) == [1, 0]


def test_login_attempt_errors(h):
    t = h.tenant()
    for fn, args in [('oq_login_try', ['k', '3']), ('oq_login_try', ['', '3', '60']),
                     ('oq_login_try', ['k' * 257, '3', '60']), ('oq_login_try', ['k', '0', '60']),
                     ('oq_login_try', ['k', '3', '0']), ('oq_login_try', ['k', '3', '86401']),
                     ('oq_login_try', ['k', 'x', '60']), ('oq_login_done', ['k']),
                     ('oq_login_done', ['k', 'failed']), ('oq_login_done', ['', 'ok'])]:
        t.expect_err('ARG', fn, *args)


def test_agent_sessions_inbox(h):
    t = h.tenant(wrapup_time=30)
    t.agent('a', 'en:5', 'voice=1,chat=20,email=0,total=20')
    t.agent('b', 'en:1', presence='offline')
    sids = [t.enq(skills='en', queue='sales', identity='web:c%d' % i, ext='x%d' % i)['sid']
            for i in range(11)]
    assert all(t.sess(s)['agent'] == 'a' for s in sids)
    # keep sids 2 (offered), 9 (active) and 10 (wrapup): "10" < "2" < "9" as strings
    keep = {sids[1]: 'offered', sids[8]: 'active', sids[9]: 'wrapup'}
    for s in sids:
        if s in keep and keep[s] == 'offered':
            continue
        t.fc('oq_accept', s, 'a')
        if s not in keep:
            t.fc('oq_close', s, '')
            t.fc('oq_wrapup_done', s)
        elif keep[s] == 'wrapup':
            t.fc('oq_close', s, '')
    rows = inbox(t, 'a')
    assert [r['sid'] for r in rows] == [sids[1], sids[8], sids[9]]
    assert [r['state'] for r in rows] == ['offered', 'active', 'wrapup']
    for r in rows:
        d = t.sess(r['sid'])
        for k in ('channel', 'queue', 'customer', 'identity', 'created', 'updated', 'offer_exp',
                  'ext'):
            assert r[k] == d[k], (k, r[k], d[k])
        assert (r['customer_name'], r['tier'], r['last_csat']) == ('', '', '')
    assert rows[0]['offer_exp'] != '' and rows[1]['offer_exp'] == '' and rows[2]['offer_exp'] == ''
    assert rows[0]['channel'] == 'web' and rows[0]['queue'] == 'sales'
    # profile fields come from the customer the session belongs to now (merged_into followed)
    c9 = rows[1]['customer']
    t.fc('oq_customer_set', c9, 'name', 'Old Name', 'tier', 'silver')
    into = t.enq(skills='zz', identity='web:into')['cid']
    t.fc('oq_customer_set', into, 'name', 'Ada', 'tier', 'gold')
    t.fc('oq_merge', c9, into)
    t.fc('oq_session_set', sids[8], 'csat', '4')
    r = inbox(t, 'a')[1]
    assert (r['customer'], r['customer_name'], r['tier'], r['last_csat']) == (into, 'Ada', 'gold', '4')
    assert r['identity'] == 'web:c8'
    # an agent that holds nothing: empty inbox; a reader (FCALL_RO)
    assert t.fc('oq_agent_sessions', 'b') == []
    assert len(h.r.execute_command('FCALL_RO', 'oq_agent_sessions', 1, t.P, 'a')) == 3


def test_agent_sessions_errors(h):
    t = h.tenant()
    t.agent('a', 'en:5')
    t.enq(skills='en')
    t.expect_err('NOTFOUND', 'oq_agent_sessions', 'ghost')
    t.expect_err('ARG', 'oq_agent_sessions')
    t.expect_err('ARG', 'oq_agent_sessions', 'a', 'b')
    t.expect_err('ARG', 'oq_agent_sessions', '')
    t.expect_err('ARG', 'oq_agent_sessions', 'a:ss')
    t.expect_err('ARG', 'oq_agent_sessions', 'x' * 257)
    t.fc('oq_agent_set', 'gone', 'G', '', 'chat=1', '')
    t.fc('oq_agent_del', 'gone')
    t.expect_err('NOTFOUND', 'oq_agent_sessions', 'gone')
