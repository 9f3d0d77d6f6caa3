"""Customers: identity canonicalisation, profile, link and merge."""

from harness import pairs


def test_phone_and_sms_are_one_customer(h):
    t = h.tenant()
    a = t.enq(channel='phone', identity='phone:+33123456789')
    b = t.enq(channel='sms', identity='sms:+33123456789')
    c = t.enq(channel='sms', identity='tel:+33 1-23.45(67)89')
    assert a['cid'] == b['cid'] == c['cid']
    cu = t.cust('sms:+33123456789')
    assert cu['identities'] == 'phone:+33123456789,sms:+33123456789' or \
        set(cu['identities'].split(',')) >= {'phone:+33123456789', 'sms:+33123456789'}
    assert cu['history'] == ','.join([c['sid'], b['sid'], a['sid']])
    assert h.r.hget(t.P + ':ident', 'tel:+33123456789') == a['cid']
    d = t.enq(channel='email', identity='email:Bob@Example.COM')
    e = t.enq(channel='email', identity='email:bob@example.com')
    assert d['cid'] == e['cid'] != a['cid']
    f = t.enq(channel='wechat', identity='wechat:app1:OPENID')
    g = t.enq(channel='wechat', identity='wechat:app1:openid')
    assert f['cid'] != g['cid']                  # case matters outside email


def test_customer_get_by_cid_and_identity(h):
    t = h.tenant()
    s = t.enq(identity='web:visitor1')
    by_id = t.cust(s['cid'])
    by_ident = t.cust('web:visitor1')
    assert by_id == by_ident and by_id['id'] == s['cid'] and by_id['history'] == s['sid']
    assert by_id['identities'] == 'web:visitor1'
    t.expect_err('NOTFOUND', 'oq_customer_get', '999')
    t.expect_err('NOTFOUND', 'oq_customer_get', 'web:nobody')
    t.expect_err('ARG', 'oq_customer_get', 'no-scheme')


def test_customer_history_across_channels_newest_first(h):
    t = h.tenant()
    t.agent('alice')
    a = t.enq(channel='web', identity='web:v-hist')
    assert t.fc('oq_accept', a['sid'], 'alice') == 'OK'
    t.fc('oq_session_set', a['sid'], 'csat', '4', 'follow_up', '2027-01-05')
    t.fc('oq_close', a['sid'], 'lead')
    b = t.enq(channel='email', identity='email:h@example.com')
    # a second customer merged in: its history shows up under the live customer
    assert t.fc('oq_merge', b['cid'], a['cid']) == 'OK'
    rows = [pairs(r) for r in t.fc('oq_customer_history', 'web:v-hist', '10')]
    assert [r['sid'] for r in rows] == [b['sid'], a['sid']], rows
    old = rows[1]
    assert (old['channel'], old['state'], old['agent'], old['disposition'], old['csat'],
            old['follow_up']) == ('web', 'closed', 'alice', 'lead', '4', '2027-01-05'), old
    assert rows[0]['channel'] == 'email' and rows[0]['agent'] in ('', 'alice'), rows[0]
    assert int(old['created']) > 0 and rows[0]['disposition'] == '', rows
    # through the merged customer's id too, and bounded by count
    assert [pairs(r)['sid'] for r in t.fc('oq_customer_history', b['cid'], '1')] == [b['sid']]
    t.expect_err('ARG', 'oq_customer_history', 'web:v-hist', '0')
    t.expect_err('ARG', 'oq_customer_history', 'web:v-hist', '201')
    t.expect_err('ARG', 'oq_customer_history', 'web:v-hist')
    t.expect_err('NOTFOUND', 'oq_customer_history', 'web:nobody', '5')
    t.expect_err('NOTFOUND', 'oq_customer_history', '999', '5')


def test_customer_set(h):
    t = h.tenant()
    s = t.enq()
    assert t.fc('oq_customer_set', s['cid'], 'name', 'Zoé', 'tier', 'gold') == 'OK'
    c = t.cust(s['cid'])
    assert c['name'] == 'Zoé' and c['tier'] == 'gold'
    t.expect_err('ARG', 'oq_customer_set', s['cid'], 'last_agent', 'x')
    t.expect_err('ARG', 'oq_customer_set', s['cid'], 'name')
    t.expect_err('ARG', 'oq_customer_set', s['cid'], 'name', 'x' * 257)
    t.expect_err('ARG', 'oq_customer_set', 'abc', 'name', 'x')
    t.expect_err('NOTFOUND', 'oq_customer_set', '999', 'name', 'x')


def test_link_new_identities_creates_one_customer(h):
    t = h.tenant()
    cid = t.fc('oq_link', 'web:v1', 'email:a@b.c')
    assert t.cust('web:v1')['id'] == cid == t.cust('email:a@b.c')['id']
    # linking again is idempotent
    assert t.fc('oq_link', 'email:A@B.C', 'web:v1') == cid


def test_link_attaches_to_existing(h):
    t = h.tenant()
    s = t.enq(identity='phone:+1555')
    assert t.fc('oq_link', 'phone:+1555', 'web:v9') == s['cid']
    assert t.fc('oq_link', 'app:x:u1', 'sms:+1555') == s['cid']
    ids = set(t.cust(s['cid'])['identities'].split(','))
    assert ids == {'phone:+1555', 'web:v9', 'app:x:u1', 'sms:+1555'}
    s2 = t.enq(channel='app', identity='app:x:u1')
    assert s2['cid'] == s['cid']


def test_link_merges_two_customers(h):
    t = h.tenant()
    t.agent('a1', 'en:1')
    a = t.enq(identity='web:A', skills='en')
    t.fc('oq_accept', a['sid'], 'a1')
    b1 = t.enq(identity='phone:+1777', channel='phone')
    b2 = t.enq(identity='email:x@y.z', channel='email')
    t.fc('oq_link', 'phone:+1777', 'email:x@y.z')          # same customer already
    t.fc('oq_customer_set', b1['cid'], 'name', 'Bea', 'region', 'eu')
    t.fc('oq_customer_set', a['cid'], 'name', 'Anna')
    cid = t.fc('oq_link', 'web:A', 'sms:+1777')
    assert cid == a['cid']
    c = t.cust('phone:+1777')
    assert c['id'] == a['cid']
    assert set(c['identities'].split(',')) >= {'web:A', 'phone:+1777', 'email:x@y.z'}
    assert set(c['history'].split(',')) == {a['sid'], b1['sid'], b2['sid']}
    assert c['name'] == 'Anna' and c['region'] == 'eu'        # kept, gap filled
    assert c['last_agent'] == 'a1'
    old = h.r.hgetall(t.P + ':c:' + b1['cid'])
    assert old['merged_into'] == a['cid']
    assert t.cust(b1['cid'])['id'] == a['cid']                # followed
    # a new contact from a moved identity lands on the merged customer
    assert t.enq(identity='email:x@y.z', channel='email')['cid'] == a['cid']


def test_merge(h):
    t = h.tenant()
    t.agent('a1', '')
    x = t.enq(identity='web:x')
    y = t.enq(identity='web:y')
    t.fc('oq_accept', y['sid'], 'a1')       # y's customer gets last_agent
    assert t.fc('oq_merge', y['cid'], x['cid']) == 'OK'
    c = t.cust('web:y')
    assert c['id'] == x['cid'] and set(c['identities'].split(',')) == {'web:x', 'web:y'}
    assert set(c['history'].split(',')) == {x['sid'], y['sid']}
    assert c['last_agent'] == 'a1'
    assert not h.r.exists(t.P + ':c:' + y['cid'] + ':ids')
    assert h.r.hget(t.P + ':c:' + y['cid'], 'h') == ''             # history moved
    t.expect_err('STATE', 'oq_merge', y['cid'], x['cid'])
    t.expect_err('STATE', 'oq_merge', x['cid'], y['cid'])
    t.expect_err('ARG', 'oq_merge', x['cid'], x['cid'])
    t.expect_err('NOTFOUND', 'oq_merge', '999', x['cid'])
    t.expect_err('NOTFOUND', 'oq_merge', x['cid'], '999')
    t.expect_err('ARG', 'oq_merge', 'web:x', x['cid'])


def test_accept_after_merge_updates_live_customer(h):
    t = h.tenant()
    t.agent('a1', '')
    x = t.enq(identity='web:x')
    y = t.enq(identity='web:y')       # offered to a1 as well (chat cap 4)
    t.fc('oq_merge', y['cid'], x['cid'])
    t.fc('oq_accept', y['sid'], 'a1')   # session still carries the old cid
    assert h.r.hget(t.P + ':c:' + x['cid'], 'last_agent') == 'a1'
    assert h.r.hget(t.P + ':c:' + y['cid'], 'last_agent') is None
    t.fc('oq_session_set', y['sid'], 'csat', '4')
    assert h.r.hget(t.P + ':c:' + x['cid'], 'last_csat') == '4'
