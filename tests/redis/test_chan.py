"""oq_chan_get, oq_chan_set, oq_chan_lease: a channel's own values (a provider's access
token, a fetch cursor) and the lease that gives them one refresher across nodes; oq_chan_get
and oq_chan_set of several names at once (api.chan_get_first, chan_set_many)."""

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


def test_several_names_set_in_one_call_and_the_first_set_found_in_one(h):
    """An email's lookups: the session of its own Message-ID, else of the ones it answers -
    one call each way, whatever the number of names."""
    t = h.tenant()
    # set together, one ttl; an empty value among them deletes its name
    assert t.fc('oq_chan_set', 'email', 'mid:a', '7', '60000', 't:7', 'Re\nx\ny') == 'OK'
    assert t.fc('oq_chan_get', 'email', 'mid:a')[0] == '7'
    v, ttl = t.fc('oq_chan_get', 'email', 't:7')
    assert v == 'Re\nx\ny' and 59000 < int(ttl) <= 60000
    assert t.fc('oq_chan_set', 'email', 'mid:b', '8', '0', 'mid:a', '') == 'OK'
    assert t.fc('oq_chan_get', 'email', 'mid:a') == []
    # the first set of several, in the order given, with its place (from 1)
    assert t.fc('oq_chan_get', 'email', 'mid:x', 'mid:b', 't:7') == ['8', '-1', 2]
    v, ttl, i = t.fc('oq_chan_get', 'email', 't:7', 'mid:b')
    assert (v, i) == ('Re\nx\ny', 1) and int(ttl) > 0
    assert t.fc('oq_chan_get', 'email', 'mid:x', 'mid:y') == []
    names = ['mid:%d' % i for i in range(64)]
    assert t.fc('oq_chan_get', 'email', *names) == []
    t.fc('oq_chan_set', 'email', names[63], 's63', '0')
    assert t.fc('oq_chan_get', 'email', *names) == ['s63', '-1', 64]
    # refused as a whole: too many names, a bad one anywhere, a pair cut short
    before = h.r.dbsize()
    t.expect_err('ARG', 'oq_chan_get', 'email', *(names + ['one-more']))
    t.expect_err('ARG', 'oq_chan_get', 'email', 'mid:x', 'a/b')
    t.expect_err('ARG', 'oq_chan_get', 'email')
    t.expect_err('ARG', 'oq_chan_set', 'email', 'mid:c', '9', '0', 'a/b', 'v')
    t.expect_err('ARG', 'oq_chan_set', 'email', 'mid:c', '9', '0', 'mid:d', 'v' * 4097)
    t.expect_err('ARG', 'oq_chan_set', 'email', 'mid:c', '9', '0', 'mid:d')
    pairs = [x for i in range(64) for x in ('n%d' % i, 'v')]
    t.expect_err('ARG', 'oq_chan_set', 'email', 'mid:c', '9', '0', *pairs)
    assert h.r.dbsize() == before and t.fc('oq_chan_get', 'email', 'mid:c') == []
    # at the limit it is taken
    assert t.fc('oq_chan_set', 'email', 'mid:c', '9', '0', *pairs[:-2]) == 'OK'
    assert t.fc('oq_chan_get', 'email', 'n62') == ['v', '-1']


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


def test_parts_join_in_order_once_whatever_order_they_come_in(h):
    t = h.tenant()
    name = 'udh:8613800000001:7:3'
    assert t.fc('oq_chan_part', 'sms', name, '3', '3', '末尾', '60000') == [0, 1]
    assert t.fc('oq_chan_part', 'sms', name, '1', '3', 'first ', '60000') == [0, 2]
    # a part given again replaces itself: still two of three
    assert t.fc('oq_chan_part', 'sms', name, '1', '3', 'First ', '60000') == [0, 2]
    assert t.fc('oq_chan_part', 'sms', name, '2', '3', 'middle ', '60000') == \
        [1, 'First ', 'middle ', '末尾']
    # forgotten once handed out: no key of it is left, and nothing is due
    assert not [k for k in h.r.keys(t.P + ':ch:sms:*')]
    assert t.fc('oq_chan_parts_due', 'sms') == []
    # a message of one part comes back at once and keeps nothing
    assert t.fc('oq_chan_part', 'sms', 'udh:x:1:1', '1', '1', 'alone', '60000') == [1, 'alone']
    assert not h.r.keys(t.P + ':ch:sms:*')
    # another tenant's parts of the same name are its own
    u = h.tenant()
    assert u.fc('oq_chan_part', 'sms', name, '1', '2', 'a', '60000') == [0, 1]
    assert t.fc('oq_chan_part', 'sms', name, '2', '2', 'b', '60000') == [0, 1]


def test_parts_that_do_not_all_come_are_handed_out_when_due_and_not_lost(h):
    t = h.tenant()
    assert t.fc('oq_chan_part', 'sms', 'm1', '1', '3', 'one ', '60000') == [0, 1]
    assert t.fc('oq_chan_part', 'sms', 'm1', '3', '3', 'three', '60000') == [0, 2]
    assert t.fc('oq_chan_part', 'sms', 'm2', '2', '2', 'later', '120000') == [0, 1]
    assert t.fc('oq_chan_parts_due', 'sms') == []
    h.advance(60001)
    # the first one's time is up: what came of it, with each part's place; the other waits
    assert t.fc('oq_chan_parts_due', 'sms') == ['m1', '3', '1', 'one ', '3', 'three']
    assert t.fc('oq_chan_parts_due', 'sms') == []
    # a part of m1 coming after that starts m1 afresh (it is handed out on its own later)
    assert t.fc('oq_chan_part', 'sms', 'm1', '2', '3', 'two ', '1000') == [0, 1]
    h.advance(60000)
    got = [t.fc('oq_chan_parts_due', 'sms'), t.fc('oq_chan_parts_due', 'sms')]
    assert sorted(got) == [['m1', '3', '2', 'two '], ['m2', '2', '2', 'later']], got
    assert t.fc('oq_chan_parts_due', 'sms') == []
    assert not h.r.keys(t.P + ':ch:sms:*')


def test_parts_refusals_write_nothing(h):
    t = h.tenant()
    t.fc('oq_chan_part', 'sms', 'm', '1', '2', 'a', '60000')
    before = sorted(h.r.keys('*'))
    for args in (['m', '0', '2', 'a', '60000'], ['m', '3', '2', 'a', '60000'],
                 ['m', '1', '256', 'a', '60000'], ['m', '1', '0', 'a', '60000'],
                 ['m', '2', '3', 'b', '60000'],           # another total than its first part's
                 ['m', '2', '2', 'v' * 4097, '60000'], ['m', '2', '2', 'a\0b', '60000'],
                 ['m', '2', '2', 'b', '0'], ['a/b', '1', '2', 'a', '60000'],
                 ['m', '2', '2', 'b']):
        t.expect_err('ARG', 'oq_chan_part', 'sms', *args)
    t.expect_err('ARG', 'oq_chan_parts_due', 'SMS')
    t.expect_err('ARG', 'oq_chan_parts_due')
    assert sorted(h.r.keys('*')) == before
    # at the limit of unfinished messages, a new one is refused; parts of those kept are not
    for i in range(1, 3):
        t.fc('oq_chan_part', 'sms', 'n%d' % i, '1', '2', 'x', '60000')
    h.r.zadd(t.P + ':ch:sms:pz', {'filler%d' % i: 10 ** 15 for i in range(9997)})
    t.expect_err('CAPACITY', 'oq_chan_part', 'sms', 'n9', '1', '2', 'x', '60000')
    assert t.fc('oq_chan_part', 'sms', 'n1', '2', '2', 'y', '60000') == [1, 'x', 'y']
