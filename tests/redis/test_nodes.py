"""Nodes that hold contacts in their memory (lua/56_nodes.lua): a phone call's session
belongs to the kamailio that holds the call; when that node's lease runs out its sessions
end (reason node_lost), and a node that starts again ends what it held before."""


def owned(h, t, node):
    return sorted(h.r.smembers(t.P + ':node:' + node), key=int)


def test_a_dead_nodes_calls_end_and_the_living_ones_stay(h):
    t = h.tenant()
    assert t.fc('oq_node_lease', 'kamA', 5000, '1') == '0'
    assert t.fc('oq_node_lease', 'kamB', 5000, '1') == '0'
    t.agent('ann', 'sales:5')
    t.agent('bob', 'sales:5')
    queued = t.enq(channel='phone', skills='nobody', node='kamA')          # no agent has it
    offered = t.enq(channel='phone', skills='sales', node='kamA')
    active = t.enq(channel='phone', skills='sales', node='kamA')
    t.fc('oq_accept', active['sid'], active['agent'])
    other = t.enq(channel='phone', skills='nobody', node='kamB')
    free = t.enq(channel='phone', skills='nobody')                         # no node
    assert queued['state'] == 'queued' and offered['state'] == 'offered'
    assert owned(h, t, 'kamA') == sorted([queued['sid'], offered['sid'], active['sid']], key=int)
    assert t.sess(queued['sid'])['node'] == 'kamA'
    # kamB renews its lease, kamA stops renewing: within its lease nothing happens ...
    h.advance(4000)
    assert t.fc('oq_node_lease', 'kamB', 5000, '0') == '0'
    # ... past it, the next lease call of any node ends kamA's sessions
    h.advance(2000)
    assert t.fc('oq_node_lease', 'kamB', 5000, '0') == '3'
    for s, state in ((queued, 'abandoned'), (offered, 'abandoned'), (active, 'closed')):
        got = t.sess(s['sid'])
        assert got['state'] == state and got['reason'] == 'node_lost', got
    for aid in ('ann', 'bob'):
        a = t.ag(aid)
        assert a['load:total'] == '0' and not a.get('held'), a
    assert h.r.zscore(t.P + ':nodes', 'kamA') is None and owned(h, t, 'kamA') == []
    assert t.sess(other['sid'])['state'] == 'queued'
    assert t.sess(free['sid'])['state'] == 'queued'
    assert owned(h, t, 'kamB') == [other['sid']]


def test_a_node_that_starts_again_ends_what_it_held_before(h):
    t = h.tenant()
    t.fc('oq_node_lease', 'kamA', 5000, '1')
    s = t.enq(channel='phone', skills='nobody', node='kamA')
    t.agent('ann', 'sales:5')
    c = t.enq(channel='phone', skills='sales', node='kamA')
    t.fc('oq_accept', c['sid'], 'ann')
    t.fc('oq_close', c['sid'], 'resolved')                    # ended: no longer the node's
    assert owned(h, t, 'kamA') == [s['sid']]
    assert t.fc('oq_node_lease', 'kamA', 5000, '1') == '1'    # restarted with the same name
    got = t.sess(s['sid'])
    assert got['state'] == 'abandoned' and got['reason'] == 'node_restarted', got
    assert t.sess(c['sid']).get('reason') != 'node_restarted'
    assert owned(h, t, 'kamA') == [] and h.r.zscore(t.P + ':nodes', 'kamA') is not None


def test_node_lease_arguments_are_checked(h):
    t = h.tenant()
    t.expect_err('ARG', 'oq_node_lease', 'kam A', 5000, '0')
    t.expect_err('ARG', 'oq_node_lease', 'kamA', 10, '0')
    t.expect_err('ARG', 'oq_node_lease', 'kamA', 5000, 'x')
    t.expect_err('ARG', 'oq_enqueue', 'phone', '', 'phone:+8613800000001', '', 0, 'q', '', 'k m')
