"""oq_chan_get, oq_chan_set, oq_chan_lease: a channel's own values (a provider's access
token, a fetch cursor) and the lease that gives them one refresher across nodes."""

import time


def test_values_kept_expire_and_delete(h):
    t = h.tenant()
    assert t.fc('oq_chan_get', 'wechat', 'token:wx1') == []
    assert t.fc('oq_chan_set', 'wechat', 'token:wx1', 'T-1', '60000') == 'OK'
    v, ttl = t.fc('oq_chan_get', 'wechat', 'token:wx1')
    assert v == 'T-1' and 59000 < int(ttl) <= 60000
    # kept until changed; a value with blanks, newlines and UTF-8 stays whole
    assert t.fc('oq_chan_set', 'wechat', 'cursor:wk1', '游标 a b\nc', '0') == 'OK'
    assert t.fc('oq_chan_get', 'wechat', 'cursor:wk1') == ['游标 a b\nc', '-1']
    # another channel and another tenant see nothing of it
    assert t.fc('oq_chan_get', 'sms', 'token:wx1') == []
    assert h.tenant().fc('oq_chan_get', 'wechat', 'token:wx1') == []
    # a short time to live runs out
    t.fc('oq_chan_set', 'wechat', 'token:wx2', 'T-2', '50')
    time.sleep(0.12)
    assert t.fc('oq_chan_get', 'wechat', 'token:wx2') == []
    # an empty value deletes
    assert t.fc('oq_chan_set', 'wechat', 'cursor:wk1', '', '0') == 'OK'
    assert t.fc('oq_chan_get', 'wechat', 'cursor:wk1') == []
    assert not h.r.exists(t.P + ':ch:wechat:v:cursor:wk1')


def test_lease_one_holder_renewed_given_up_and_lost_when_it_runs_out(h):
    t = h.tenant()
    assert t.fc('oq_chan_lease', 'wechat', 'refresh:wx1', 'node1/12', '5000') == [1, '5000']
    held, left = t.fc('oq_chan_lease', 'wechat', 'refresh:wx1', 'node2/7', '5000')
    assert held == 0 and 4000 < int(left) <= 5000
    # the holder renews; a give-up of another's changes nothing
    assert t.fc('oq_chan_lease', 'wechat', 'refresh:wx1', 'node1/12', '8000') == [1, '8000']
    assert t.fc('oq_chan_lease', 'wechat', 'refresh:wx1', 'node2/7', '0')[0] == 0
    assert t.fc('oq_chan_lease', 'wechat', 'refresh:wx1', 'node1/12', '0') == [1, '0']
    assert t.fc('oq_chan_lease', 'wechat', 'refresh:wx1', 'node2/7', '100') == [1, '100']
    time.sleep(0.15)                      # node2 died holding it: it runs out
    assert t.fc('oq_chan_lease', 'wechat', 'refresh:wx1', 'node1/12', '100') == [1, '100']


def test_chan_refusals_write_nothing(h):
    t = h.tenant()
    before = h.r.dbsize()
    t.expect_err('ARG', 'oq_chan_set', 'WeChat', 'n', 'v', '0')
    t.expect_err('ARG', 'oq_chan_set', 'wechat', '', 'v', '0')
    t.expect_err('ARG', 'oq_chan_set', 'wechat', 'a/b', 'v', '0')
    t.expect_err('ARG', 'oq_chan_set', 'wechat', 'n' * 129, 'v', '0')
    t.expect_err('ARG', 'oq_chan_set', 'wechat', 'n', 'v' * 4097, '0')
    t.expect_err('ARG', 'oq_chan_set', 'wechat', 'n', 'a\0b', '0')
    t.expect_err('ARG', 'oq_chan_set', 'wechat', 'n', 'v', '-1')
    t.expect_err('ARG', 'oq_chan_set', 'wechat', 'n', 'v', '2678400001')
    t.expect_err('ARG', 'oq_chan_set', 'wechat', 'n', 'v')
    t.expect_err('ARG', 'oq_chan_lease', 'wechat', 'n', '', '100')
    t.expect_err('ARG', 'oq_chan_lease', 'wechat', 'n', 'a\nb', '100')
    t.expect_err('ARG', 'oq_chan_get', 'wechat', 'n:' + 'x' * 127)
    assert h.r.dbsize() == before
    # at their limits they are taken
    assert t.fc('oq_chan_set', 'wechat', 'n' * 128, 'v' * 4096, '2678400000') == 'OK'
