"""oq_canned_set, oq_canned_list: saved replies, the tenant's and each agent's own."""

from harness import pairs


def listing(t, aid):
    return [(e['name'], e['text'], e['scope']) for e in (pairs(r) for r in t.fc('oq_canned_list', aid))]


def test_team_and_own_replies_own_shadows(h):
    t = h.tenant()
    t.agent('a')
    t.agent('b')
    assert t.fc('oq_canned_set', '', 'refund', 'Your refund is on its way.') == 'OK'
    assert t.fc('oq_canned_set', '', 'hours', 'We are open 9-18.') == 'OK'
    assert t.fc('oq_canned_set', 'a', 'refund', 'Refunds take 3 days, I checked yours.') == 'OK'
    assert t.fc('oq_canned_set', 'a', 'bye', '再见！') == 'OK'
    assert listing(t, 'a') == [('bye', '再见！', 'mine'), ('hours', 'We are open 9-18.', 'team'),
                               ('refund', 'Refunds take 3 days, I checked yours.', 'mine')]
    assert listing(t, 'b') == [('hours', 'We are open 9-18.', 'team'),
                               ('refund', 'Your refund is on its way.', 'team')]
    # replaced under the same name; deleted with an empty text
    t.fc('oq_canned_set', '', 'hours', 'Open 8-20 now.')
    t.fc('oq_canned_set', 'a', 'refund', '')
    assert listing(t, 'a') == [('bye', '再见！', 'mine'), ('hours', 'Open 8-20 now.', 'team'),
                               ('refund', 'Your refund is on its way.', 'team')]
    t.expect_err('NOTFOUND', 'oq_canned_set', 'a', 'refund', '')
    # an agent deleted takes its own with it
    t.fc('oq_agent_del', 'a')
    assert not h.r.exists(t.P + ':a:a:canned')
    t.expect_err('NOTFOUND', 'oq_canned_list', 'a')


def test_canned_limits(h):
    t = h.tenant()
    t.agent('a')
    t.expect_err('ARG', 'oq_canned_set', 'a', 'bad name', 'x')
    t.expect_err('ARG', 'oq_canned_set', 'a', '', 'x')
    t.expect_err('ARG', 'oq_canned_set', 'a', 'n', 'x' * 4097)
    t.expect_err('ARG', 'oq_canned_set', 'a', 'n', 'a\0b')
    t.expect_err('NOTFOUND', 'oq_canned_set', 'ghost', 'n', 'x')
    t.fc('oq_canned_set', 'a', 'n', 'x' * 4096)
    for i in range(199):
        t.fc('oq_canned_set', 'a', 'r%d' % i, 'text %d' % i)
    t.expect_err('CAPACITY', 'oq_canned_set', 'a', 'one_more', 'x')
    t.fc('oq_canned_set', 'a', 'r0', 'replaced, not added')        # at the limit, a replace is fine
    assert len(t.fc('oq_canned_list', 'a')) == 200
