"""The engine under valgrind's memcheck: the steps that empty the keys they read (an offer
that takes the last session of a wait index, of its P:wk entry, of an agent's parked list)
read no freed memory. Redis frees a key a module command emptied even while another handle
of the same command is still open on it; a handle left open then dangles, and closing it
when the command ends read freed memory - a crash of redis-server that showed only under
some allocation patterns (stop 46: a call offered from another node). One redis-server of
its own, run by valgrind with the engine and the library; memcheck's log must hold no
invalid read or write."""

import os
import re
import shutil
import subprocess
import tempfile
import time

import redis

import engine
import harness
from ports import free_port


def test_steps_that_empty_the_keys_they_read_touch_no_freed_memory(h):
    if not shutil.which('valgrind'):
        raise AssertionError('valgrind is missing (scripts/deps.sh test installs it)')
    d = tempfile.mkdtemp(prefix='omniq-memcheck-')
    port = free_port()
    log = os.path.join(d, 'vg.log')
    proc = subprocess.Popen(
        ['valgrind', '--error-limit=no', '--log-file=' + log, 'redis-server', '--port',
         str(port), '--bind', '127.0.0.1', '--dir', d, '--save', '', '--appendonly', 'no']
        + engine.loadmodule_args(test_clock=True),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        r = redis.Redis(host='127.0.0.1', port=port, decode_responses=True)
        for _ in range(600):
            try:
                r.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        r.execute_command('FUNCTION', 'LOAD', 'REPLACE', harness.library_text(counting=None))
        for policy in ('blended', 'voice_exclusive'):
            t = harness.Tenant(r)
            t.cfg(affinity_wait=60, policy=policy)
            t.agent('ann', 'sales:5', presence='away')
            # one queued session of each class: its wait index and P:wk entry are its only
            for ch, ident in (('phone', 'phone:+8613800000001'), ('web', 'web:a'),
                              ('email', 'email:a@example.com')):
                t.enq(channel=ch, identity=ident, skills='sales', queue='sales')
            t.fc('oq_agent_state', 'ann', 'available')          # offers empty them
            for sid in [s for s in r.zrange(t.P + ':offers', 0, -1) if s != '~' * 72]:
                t.fc('oq_accept', sid, 'ann')
                t.fc('oq_close', sid, '')
            # a returning customer parked for ann while she is full, offered when she frees up
            t.agent('bob', 'sales:5', caps='chat=1,total=1')
            first = t.enq(identity='web:b', skills='sales', queue='sales')
            t.fc('oq_accept', first['sid'], first['agent'])
            t.fc('oq_close', first['sid'], '')
            busy = t.enq(identity='web:c', skills='sales', queue='sales')
            if busy['state'] == 'offered':
                t.fc('oq_accept', busy['sid'], busy['agent'])
            again = t.enq(identity='web:b', skills='sales', queue='sales')
            t.fc('oq_close', busy['sid'], '')
            assert r.hget(t.P + ':s:' + again['sid'], 'state') in ('offered', 'queued')
        r.shutdown(nosave=True)
    except redis.ConnectionError:
        pass
    finally:
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
    text = open(log).read()
    bad = re.findall(r'Invalid (?:read|write) of size \d+', text)
    assert not bad, 'memcheck: %d invalid accesses (%s):\n%s' % (
        len(bad), log, text[text.find('Invalid'):][:3000])
    shutil.rmtree(d, ignore_errors=True)
