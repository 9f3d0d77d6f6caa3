"""Bad arguments for every function: OQ_ARG, and not one key changed."""

import redis

from harness import lua_counts

LONG = 'x' * 257
CAPS = 'voice=1,chat=4,email=8,total=10'


def prepared(h):
    t = h.tenant()
    t.agent('a', 'en:5')
    s = t.enq(skills='en', identity='web:c')
    return t, s['sid'], s['cid']


def test_tenant_key_checked(h):
    t, sid, _ = prepared(h)
    for keys in ([], ['oq:{x}', 'oq:{y}'], ['nope'], ['oq:{}'], ['oq:{a}b']):
        try:
            h.r.fcall('oq_stats', len(keys), *keys)
        except redis.ResponseError as e:
            assert str(e).startswith('OQ_ARG '), str(e)
        else:
            raise AssertionError('accepted keys %r' % keys)
    try:
        h.r.fcall('oq_enqueue', 0, 'web', '', 'web:x', '', '0', 'q', '')
    except redis.ResponseError as e:
        assert str(e).startswith('OQ_ARG ')
    else:
        raise AssertionError('enqueue without key accepted')


def test_bad_args_agent_functions(h):
    t, sid, _ = prepared(h)
    bad = [
        ('oq_agent_set', ['b', 'B', 'en:5', CAPS]),                 # arity
        ('oq_agent_set', ['', 'B', 'en:5', CAPS, '']),
        ('oq_agent_set', [LONG, 'B', 'en:5', CAPS, '']),
        ('oq_agent_set', ['b:x', 'B', 'en:5', CAPS, '']),           # ':' in id
        ('oq_agent_set', ['b,c', 'B', 'en:5', CAPS, '']),
        ('oq_agent_set', ['b', LONG, 'en:5', CAPS, '']),
        ('oq_agent_set', ['b', 'B', 'en:11', CAPS, '']),
        ('oq_agent_set', ['b', 'B', 'en:0', CAPS, '']),
        ('oq_agent_set', ['b', 'B', 'en', CAPS, '']),
        ('oq_agent_set', ['b', 'B', 'EN:5', CAPS, '']),
        ('oq_agent_set', ['b', 'B', 'en:5,en:4', CAPS, '']),
        ('oq_agent_set', ['b', 'B', '*:5', CAPS, '']),
        ('oq_agent_set', ['b', 'B', 'en:5', 'voice=x', '']),
        ('oq_agent_set', ['b', 'B', 'en:5', 'video=1', '']),
        ('oq_agent_set', ['b', 'B', 'en:5', 'voice=1,voice=2', '']),
        ('oq_agent_set', ['b', 'B', 'en:5', 'voice=-1', '']),
        ('oq_agent_set', ['b', 'B', 'en:5', 'chat=1001', '']),
        ('oq_agent_set', ['b', 'B', 'en:5', CAPS, 'x' * 1025]),
        ('oq_agent_set', ['a', 'A', 'en:5', CAPS, 'bad\x01ctl']),
        ('oq_agent_del', []),
        ('oq_agent_del', ['']),
        ('oq_agent_del', ['a:b']),
        ('oq_agent_state', ['a']),
        ('oq_agent_state', ['a', 'busy']),
        ('oq_agent_state', ['a', '']),
        ('oq_agent_state', ['', 'available']),
        ('oq_agent_phone', ['a']), ('oq_agent_phone', ['a', '2']), ('oq_agent_phone', ['', '1']),
        ('oq_agent_phone', ['a', '1', 'x']),
        ('oq_agent_get', ['']),
        ('oq_agent_get', [LONG]),
        ('oq_config', ['affinity_wait', '1.5']),
        ('oq_config', ['affinity_wait', '']),
        ('oq_config', []),
    ]
    for fn, args in bad:
        t.expect_err('ARG', fn, *args)


def test_bad_args_session_functions(h):
    t, sid, cid = prepared(h)
    good = ['web', '', 'web:c', 'en', '0', 'q', '']

    def enq(i, v):
        a = list(good)
        a[i] = v
        return ('oq_enqueue', a)
    bad = [
        ('oq_enqueue', good[:6]),
        enq(0, ''), enq(0, 'Web'), enq(0, 'w' * 33), enq(0, '9x'),
        enq(1, 'video'), enq(1, 'voice'),
        enq(2, ''), enq(2, 'noscheme'), enq(2, 'web:' + 'x' * 256), enq(2, 'phone:'),
        enq(2, 'web:a,b'), enq(2, 'web:a\nb'),
        enq(3, 'sales,en'), enq(3, 'en,en'), enq(3, 'En'), enq(3, 'en,'), enq(3, ',en'),
        enq(3, 'a b'), enq(3, ','.join('s%02d' % i for i in range(33))),
        enq(4, ''), enq(4, 'x'), enq(4, '-1'), enq(4, '1001'), enq(4, '1.5'), enq(4, '0x10'),
        enq(5, LONG), enq(5, 'a:b'), enq(5, 'a b'),
        enq(6, LONG),
        ('oq_session_get', ['']), ('oq_session_get', ['abc']), ('oq_session_get', []),
        ('oq_session_get', ['1' * 21]),
        ('oq_accept', [sid]), ('oq_accept', ['x', 'a']), ('oq_accept', [sid, '']),
        ('oq_accept', [sid, LONG]),
        ('oq_decline', [sid]), ('oq_decline', ['', 'a']), ('oq_decline', [sid, 'a:b']),
        ('oq_close', [sid]), ('oq_close', ['x', '']), ('oq_close', [sid, LONG]),
        ('oq_abandon', []), ('oq_abandon', ['-1']),
        ('oq_wrapup_done', []), ('oq_wrapup_done', ['1x']),
        ('oq_append', [sid, 'in', 'x', 'text']),
        ('oq_append', ['x', 'in', 'x', 'text', 'b']),
        ('oq_append', [sid, 'IN', 'x', 'text', 'b']),
        ('oq_append', [sid, 'in', LONG, 'text', 'b']),
        ('oq_append', [sid, 'in', 'x', 't' * 65, 'b']),
        ('oq_append', [sid, 'in', 'x', 'text', 'b' * 65537]),
        ('oq_transcript', [sid, '']), ('oq_transcript', [sid, 'abc', '10']),
        ('oq_transcript', [sid, '', '0']), ('oq_transcript', [sid, '', '1001']),
        ('oq_transcript', ['x', '', '10']),
        ('oq_session_set', [sid]), ('oq_session_set', [sid, 'csat']),
        ('oq_session_set', [sid, 'csat', 'x']), ('oq_session_set', [sid, 'agent', 'b']),
        ('oq_session_set', [sid, 'tags', 'x' * 1025]),
        ('oq_session_set', ['x', 'csat', '1']),
        ('oq_sweep', []), ('oq_sweep', ['0']), ('oq_sweep', ['x']), ('oq_sweep', ['100001']),
    ]
    for fn, args in bad:
        t.expect_err('ARG', fn, *args)


def test_bad_args_customer_and_query_functions(h):
    t, sid, cid = prepared(h)
    bad = [
        ('oq_customer_get', []), ('oq_customer_get', ['']), ('oq_customer_get', ['nocolon']),
        ('oq_customer_get', ['web:' + 'x' * 300]),
        ('oq_customer_set', [cid, 'name']), ('oq_customer_set', [cid]),
        ('oq_customer_set', ['', 'name', 'x']), ('oq_customer_set', [cid, 'id', '5']),
        ('oq_customer_set', [cid, 'merged_into', '5']),
        ('oq_link', ['web:a']), ('oq_link', ['web:a', '']), ('oq_link', ['', 'web:a']),
        ('oq_link', ['web:a', 'bad']), ('oq_link', ['web:a', 'web:b', 'web:c']),
        ('oq_merge', [cid]), ('oq_merge', [cid, 'x']), ('oq_merge', ['', cid]),
        ('oq_merge', [cid, cid]),
        ('oq_queue_list', ['x']),
        ('oq_queue_get', ['q', '0']), ('oq_queue_get', ['', '0', '1']),
        ('oq_queue_get', ['q', '-1', '1']), ('oq_queue_get', ['q', '0', '0']),
        ('oq_queue_get', ['q', '0', '1001']), ('oq_queue_get', ['q', 'a', '1']),
        ('oq_stats', ['x']),
        ('oq_pick', ['1', 'a']), ('oq_pick', ['x', 'a', 'a']), ('oq_pick', ['1', '', 'a']),
        ('oq_pick', ['1', 'a', 'b c']),
        ('oq_waiting', ['a']), ('oq_waiting', ['', '5']), ('oq_waiting', ['a', 'x']),
        ('oq_agent_role', ['a']), ('oq_agent_role', ['', 'agent']), ('oq_agent_role', ['a', 'root']),
    ]
    for fn, args in bad:
        t.expect_err('ARG', fn, *args)


def test_readers_are_no_writes(h):
    fl = {}
    for lib in h.r.execute_command('FUNCTION', 'LIST', 'LIBRARYNAME', 'omniq'):
        lib = dict(zip(lib[::2], lib[1::2]))
        for f in lib['functions']:
            f = dict(zip(f[::2], f[1::2]))
            fl[f['name']] = f['flags']
    fl.pop(lua_counts.READER, None)   # make coverage's build adds the reader of its counts
    readers = {'oq_session_get', 'oq_agent_get', 'oq_agent_list', 'oq_customer_get', 'oq_queue_list',
               'oq_queue_get', 'oq_stats', 'oq_transcript', 'oq_agent_secret_get', 'oq_agent_token',
               'oq_followups', 'oq_agent_sessions', 'oq_customer_history', 'oq_online',
               'oq_archive_pending', 'oq_waiting', 'oq_canned_list', 'oq_agent_search',
               'oq_ob_get', 'oq_deliveries', 'oq_ob_status', 'oq_chan_get', 'oq_sla_list',
               'oq_sla_get', 'oq_hours_get', 'oq_hours_due', 'oq_followup_get',
               'oq_followups_of', 'oq_fu_rule_list', 'oq_tier_list', 'oq_region_prefix_list',
               'oq_region_queue_list', 'oq_callback_words_get', 'oq_survey_list', 'oq_report', 'oq_disposition_list', 'oq_board',
               'oq_archive_read', 'oq_archive_intervals', 'oq_xfer_moved'}
    for name, flags in fl.items():
        assert ('no-writes' in flags) == (name in readers), (name, flags)
    assert len(fl) == 121, sorted(fl)
    # FCALL_RO works for readers
    t = h.tenant()
    assert h.r.execute_command('FCALL_RO', 'oq_stats', 1, t.P)[0] == 'enqueued'
