"""The function library stays clear of Lua 5.1's compile-time limits, with room to grow.

The library is one chunk (gen_lualib.sh): every file's top-level locals are locals of that
one main function, and Lua 5.1 (Redis' Lua) refuses to load a function with more than 200
active locals (LUAI_MAXVARS), 60 upvalues (LUAI_MAXUPVALUES) or 250 registers (MAXSTACK).
Past a limit the library does not load at all, so no Redis test would even start; this
fails well before: at 150 active locals in any function (the main chunk's are its
top-level locals), 50 upvalues, 200 registers. The counts are luac5.1's own (`luac -l -l`,
Debian's lua5.1), of the library exactly as the build embeds it.
"""

import os
import re
import subprocess
import tempfile

import harness

LOCALS_MAX, LOCALS_LIMIT = 150, 200
UPVALUES_MAX, UPVALUES_LIMIT = 50, 60
SLOTS_MAX, SLOTS_LIMIT = 200, 250


def listing(text):
    """luac5.1 -l -l of a Lua text (a first line starting with # is skipped, as Redis does
    with the shebang)."""
    with tempfile.NamedTemporaryFile('w', suffix='.lua') as f:
        f.write(text)
        f.flush()
        out = subprocess.run(['luac5.1', '-l', '-l', '-o', '/dev/null', f.name],
                             capture_output=True, text=True)
    if out.returncode != 0:
        raise AssertionError('luac5.1 cannot compile it: ' + out.stderr.strip()[:500])
    return out.stdout


def functions(text):
    """[(where, most locals active at once, upvalues, registers)] for every function of text,
    the main chunk first."""
    heads, locs, addr = {}, {}, None
    lines = listing(text).splitlines()
    for i, line in enumerate(lines):
        m = re.match(r'^(main|function) <[^:]*:(\d+),(\d+)> \(.* at (0x[0-9a-f]+)\)$', line)
        if m:
            counts = re.match(r'^\d+\+? params?, (\d+) slots?, (\d+) upvalues?, ', lines[i + 1])
            assert counts, lines[i + 1]
            where = 'main chunk' if m.group(1) == 'main' else 'function at line ' + m.group(2)
            heads[m.group(4)] = (where, int(counts.group(2)), int(counts.group(1)))
            continue
        m = re.match(r'^locals \((\d+)\) for (0x[0-9a-f]+):$', line)
        if m:
            addr = m.group(2)
            locs[addr] = []
            continue
        m = re.match(r'^\t\d+\t(\S+)\t(\d+)\t(\d+)$', line)
        if m and addr is not None:
            locs[addr].append((int(m.group(2)), int(m.group(3))))
        elif not line.startswith('\t'):
            addr = None
    out = []
    for a, (where, upvalues, slots) in heads.items():
        # a local is active from its start pc to its end pc, both counted (the last local of
        # a block may start where the block ends, yet it was declared): the most at once is
        # the count that Lua's limit is about
        events = sorted([(s, 0, 1) for s, _ in locs.get(a, [])]
                        + [(e, 1, -1) for _, e in locs.get(a, [])])
        active = most = 0
        for _, _, d in events:
            active += d
            most = max(most, active)
        out.append((where, most, upvalues, slots))
    assert out and out[0][0] == 'main chunk', out[:1]
    return out


def crowded(text):
    """What of text comes near a limit, as readable lines."""
    bad = []
    for where, locals_, upvalues, slots in functions(text):
        if locals_ >= LOCALS_MAX:
            bad.append('%s: %d locals at once (Lua stops at %d)' % (where, locals_, LOCALS_LIMIT))
        if upvalues >= UPVALUES_MAX:
            bad.append('%s: %d upvalues (Lua stops at %d)' % (where, upvalues, UPVALUES_LIMIT))
        if slots >= SLOTS_MAX:
            bad.append('%s: %d registers (Lua stops at %d)' % (where, slots, SLOTS_LIMIT))
    return bad


def test_library_is_clear_of_lua_limits(h):
    text = harness.library_text(test_clock=False, counting=None)
    fs = functions(text)
    assert len(fs) > 100, 'only %d functions: not the library?' % len(fs)
    bad = crowded(text)
    assert not bad, ('the library nears what Lua 5.1 can load (give the file its own table, '
                     'or split the function):\n  ' + '\n  '.join(bad))


def test_check_fails_for_a_crowded_chunk(h):
    """The check itself: a chunk of 182 top-level locals (the count of the library before it
    had one table per file), a function with 160 locals, one with 55 upvalues, all refused;
    149 top-level locals pass."""
    def chunk(n):
        return '#!lua name=x\n' + ''.join('local v%d = %d\n' % (i, i) for i in range(n))
    assert crowded(chunk(149)) == []
    assert crowded(chunk(182)) == ['main chunk: 182 locals at once (Lua stops at 200)']
    body = ''.join('local w%d = %d\n' % (i, i) for i in range(160))
    assert any('160 locals' in b for b in crowded('local function f()\n%send\n' % body))
    ups = ''.join('local u%d = %d\n' % (i, i) for i in range(55))
    uses = ' + '.join('u%d' % i for i in range(55))
    bad = crowded(ups + 'local function g() return %s end\n' % uses)
    assert any('function at line 56: 55 upvalues' in b for b in bad), bad
    # locals in blocks that end are not all active at once
    blocks = ''.join('do\n%send\n' % ''.join('local b%d_%d = 1\n' % (j, i) for i in range(100))
                     for j in range(3))
    assert crowded(blocks) == [], crowded(blocks)
