"""oq_media_ref, oq_media_open, oq_media_put: media a provider keeps, fetched when an agent
opens it (one fetch asked for at a time), then served from Redis until it expires."""

import redis

K = '0123456789abcdef0123456789abcdef'


def test_media_pending_asked_once_a_minute_then_ready(h):
    t = h.tenant()
    assert t.fc('oq_media_ref', K, 'wechat', 'wx1:MEDIA_1', '60000') == 'OK'
    # the first open asks the channel for it; the next ones within a minute do not
    assert t.fc('oq_media_open', K) == ['pending', 'wechat', 'wx1:MEDIA_1', '', '', 1]
    assert t.fc('oq_media_open', K) == ['pending', 'wechat', 'wx1:MEDIA_1', '', '', 0]
    h.advance(60000)
    assert t.fc('oq_media_open', K)[5] == 1
    data = bytes(range(256)) * 3
    assert h.r.fcall('oq_media_put', 1, t.P, K, 'Image/JPEG', data, '', '3600000') == 'OK'
    raw = redis.Redis(host='127.0.0.1', port=h.r.connection_pool.connection_kwargs['port'])
    got = raw.execute_command('FCALL', 'oq_media_open', 1, t.P, K)
    assert got[0] == b'ready' and got[3] == b'image/jpeg' and got[5] == 0 and got[6] == data, (got[:6], len(got[6]), got[6][:20])
    assert 3500000 < h.r.pttl(t.P + ':md:' + K) <= 3600000
    raw.delete(t.P + ':md:' + K)     # the harness' checks read every key as text
    # another tenant knows nothing of it
    h.tenant().expect_err('NOTFOUND', 'oq_media_open', K)


def test_media_failed_with_the_providers_words_and_expired(h):
    t = h.tenant()
    t.fc('oq_media_ref', K, 'wechat', 'wx1:GONE', '60000')
    assert t.fc('oq_media_put', K, '', '', 'WeChat 40007: invalid media_id', '60000') == 'OK'
    assert t.fc('oq_media_open', K) == ['failed', 'wechat', 'wx1:GONE', '',
                                        'WeChat 40007: invalid media_id', 0]
    h.r.delete(t.P + ':md:' + K)
    t.expect_err('NOTFOUND', 'oq_media_open', K)
    t.expect_err('NOTFOUND', 'oq_media_put', K, 'image/png', 'x', '', '1000')


def test_media_refusals_write_nothing(h):
    t = h.tenant()
    t.fc('oq_media_ref', K, 'wechat', 'r', '60000')
    before = {k: h.r.dump(k) for k in h.r.keys('*')}
    bad = [
        ('oq_media_ref', [K, 'wechat', 'r', '60000']),             # in use: STATE
        ('oq_media_ref', ['0123', 'wechat', 'r', '60000']),
        ('oq_media_ref', [K.upper(), 'wechat', 'r', '60000']),
        ('oq_media_ref', ['f' * 32, 'WeChat', 'r', '60000']),
        ('oq_media_ref', ['f' * 32, 'wechat', '', '60000']),
        ('oq_media_ref', ['f' * 32, 'wechat', 'r', '0']),
        ('oq_media_ref', ['f' * 32, 'wechat', 'r', '2678400001']),
        ('oq_media_open', ['xyz']),
        ('oq_media_put', [K, 'jpeg', 'x', '', '1000']),
        ('oq_media_put', [K, 'text/html;x', 'x', '', '1000']),
        ('oq_media_put', [K, '', '', '', '1000']),                  # a failure needs words
        ('oq_media_put', [K, 'image/png', 'x', '', '0']),
    ]
    for fn, args in bad:
        t.expect_err('STATE' if args == [K, 'wechat', 'r', '60000'] else 'ARG', fn, *args)
    assert {k: h.r.dump(k) for k in h.r.keys('*')} == before
