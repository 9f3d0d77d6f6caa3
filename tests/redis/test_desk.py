"""The agent desk's own calls: its login secret (oq_agent_secret, oq_agent_secret_get)."""

import redis

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
