"""make coverage's Lua counting, checked in every make test: the instrumenter
(scripts/coverage/lua_instrument.py) makes a library Redis accepts, that answers as the
plain one does, and whose counts, read as the harnesses read them (tests/lua_counts.py) and
added up by the report (scripts/coverage/report.py), are what the calls executed.

Each case runs its own redis-server: the suite's server keeps the library it was given."""

import json
import os
import re
import subprocess
import sys
import tempfile

import redis

import harness
import lua_counts

sys.path.insert(0, os.path.join(harness.ROOT, 'scripts', 'coverage'))
import lua_instrument  # noqa: E402
import report  # noqa: E402

FIXTURE = os.path.join(harness.HERE, 'lua_coverage')
OMNIQ_LUA = os.path.join(harness.ROOT, 'modules', 'omniq', 'lua')
STEP = r' __oqcov\[\d+\]=__oqcov\[\d+\]\+1; '
NOTE = 'a if this were code, then return\nend -- not a comment'


def counting_copy(src_dir, tmp):
    """lua_instrument.py's output for src_dir, in tmp/out."""
    out = os.path.join(tmp, 'out')
    lua_instrument.build(src_dir, out)
    return out


def generated(*flags):
    """A library as gen_lualib.sh makes it, with the tests' clock."""
    argv = [harness.GEN_LUALIB, '--lua', '--clock', harness.TEST_CLOCK] + list(flags)
    return subprocess.run(argv, check=True, capture_output=True, text=True).stdout


def expected(path):
    """{line: (count, [(kind, true, false)...])} from the fixture's "--> " comments."""
    want = {}
    with open(path) as f:
        for n, text in enumerate(f, 1):
            if '--> ' not in text:
                continue
            parts = [p.split() for p in text.split('--> ', 1)[1].split('|')]
            want[n] = (int(parts[0][0]), [(k, int(tf.split('/')[0]), int(tf.split('/')[1]))
                                          for k, tf in parts[1:]])
    return want


def counted(map_path, counts_dir, tmp):
    """{file: {line: (count, [(kind, true, false)...])}} as the report adds the counts up."""
    out = os.path.join(tmp, 'lua.json')
    report.lua_tracefile(map_path, counts_dir, out)
    with open(map_path) as f:
        kinds = {e['path']: e['points'] for e in json.load(f)['files']}
    with open(out) as f:
        files = json.load(f)['files']
    got = {}
    for entry in files:
        per_line = {}
        for kind, line, _ in kinds[entry['file']]:
            if kind != 'line':
                per_line.setdefault(line, []).append(kind)
        lines = {}
        for ln in entry['lines']:
            c = [b['count'] for b in ln['branches']]
            ks = per_line.get(ln['line_number'], [])
            lines[ln['line_number']] = (ln['count'], [(k, c[2 * i], c[2 * i + 1])
                                                      for i, k in enumerate(ks)])
        got[os.path.basename(entry['file'])] = lines
    return got


def test_fixture_lines_and_branches_counted_exactly(h):
    with tempfile.TemporaryDirectory() as tmp:
        out = counting_copy(FIXTURE, tmp)
        s = harness.Server(library=generated('--lua-dir', FIXTURE))
        try:
            want_reply = ['negative', 'zero', 'small', 'big', '1', '4', '18', NOTE]
            assert s.r.fcall('cov_fixture', 0) == want_reply
            s.r.execute_command('FUNCTION', 'LOAD', 'REPLACE', generated(
                '--lua-dir', os.path.join(out, 'src'), '--head', os.path.join(out, 'head.lua')))
            assert s.r.fcall('cov_fixture', 0) == want_reply, 'the counting copy answers otherwise'
            counts = os.path.join(tmp, 'counts')
            os.mkdir(counts)
            lua_counts.collect(s.port, 'self-check', out=counts)
        finally:
            s.stop()
        got = counted(os.path.join(out, 'map.json'), counts, tmp)
    for name in sorted(os.listdir(FIXTURE)):
        want = expected(os.path.join(FIXTURE, name))
        assert got[name] == want, '%s: lines %s' % (name, sorted(
            (n, got[name].get(n), want.get(n)) for n in set(got[name]) | set(want)
            if got[name].get(n) != want.get(n)))


def functions(r):
    """{name: flags} of every function Redis has."""
    out = {}
    for lib in r.execute_command('FUNCTION', 'LIST'):
        lib = dict(zip(lib[::2], lib[1::2]))
        for f in lib['functions']:
            f = dict(zip(f[::2], f[1::2]))
            out[f['name']] = sorted(f['flags'])
    return out


def call_each(r, names):
    """Every function called once on an empty tenant without arguments: its reply or error."""
    out = {}
    for name in sorted(names):
        try:
            out[name] = r.fcall(name, 1, 'oq:{cov}')
        except redis.ResponseError as e:
            out[name] = 'error: %s' % e
    return out


def test_omniq_library_counted_and_unchanged(h):
    """omniq's own lua/*.lua, whatever its layout: Redis takes the counting copy, every line
    keeps its number, every function is there with its flags and answers as before, the
    calls are counted, and the reader hands the counts over and starts them again (the
    library keeps caches of its own between calls, so the same calls may take other paths
    a second time: their counts are not compared)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = counting_copy(OMNIQ_LUA, tmp)
        last = max(os.listdir(OMNIQ_LUA))
        for name in os.listdir(OMNIQ_LUA):
            with open(os.path.join(OMNIQ_LUA, name)) as a, open(os.path.join(out, 'src', name)) as b:
                src, inst = a.read().split('\n'), b.read().split('\n')
            if name == last:   # one line more at the end: the reader's registration
                assert inst[-2].startswith("redis.register_function{function_name = '%s'"
                                           % lua_counts.READER), inst[-2]
                del inst[-2]
            assert len(inst) == len(src), name
            # and the rest is the source with counters in front of statements and around
            # conditions: take them out (and the parentheses), and each line is as it was
            for n, (a, b) in enumerate(zip(src, inst), 1):
                bare = re.sub(r' __oqcov\.b\(\d+, ', '', re.sub(STEP, '', b))
                assert bare.replace(')', '') == a.replace(')', ''), (name, n, b)
        text = harness.library_text(counting=out)
        s = harness.Server(library=harness.library_text(counting=None))
        try:
            plain_fns = functions(s.r)
            plain = call_each(s.r, plain_fns)
            s.r.flushall()
            s.r.execute_command('FUNCTION', 'LOAD', 'REPLACE', text)
            fns = functions(s.r)
            assert fns.pop(lua_counts.READER) == ['no-writes']
            assert fns == plain_fns
            s.r.fcall(lua_counts.READER, 0)   # the counts of the load itself
            runs = []
            for _ in range(2):
                assert call_each(s.r, fns) == plain, 'the counting copy answers otherwise'
                runs.append(s.r.fcall(lua_counts.READER, 0))
                runs.append(s.r.fcall(lua_counts.READER, 0))   # nothing ran since
                s.r.flushall()
        finally:
            s.stop()
    for got, after in (runs[0:2], runs[2:4]):
        assert got[0] == after[0] and len(got) > 1000, got[:3]
        assert sum(got[1:]) > len(fns), 'the calls counted %d' % sum(got[1:])
        assert not any(after[1:]), 'the reader did not start the counts again'


def test_unparsable_file_refused_with_its_line(h):
    """A file the parser cannot read stops the build, naming it and the line: a counter
    put where Lua does not expect it would fail at load, or count the wrong thing."""
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, 'src'))
        with open(os.path.join(tmp, 'src', 'bad.lua'), 'w') as f:
            f.write('local ok = 1\nlocal x = = 2\n')
        try:
            lua_instrument.build(os.path.join(tmp, 'src'), os.path.join(tmp, 'out'))
        except lua_instrument.lua_syntax.LuaSyntaxError as e:
            assert 'bad.lua' in str(e) and 'line 2' in str(e), str(e)
        else:
            raise AssertionError('bad.lua was instrumented')
