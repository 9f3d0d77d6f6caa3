#!/usr/bin/python3
"""Makes the counting variant of a Redis function library written as lua/*.lua files.

    lua_instrument.py SRC_DIR OUT_DIR

writes OUT_DIR/src/*.lua, each SRC_DIR/*.lua under its own name with counters added;
OUT_DIR/head.lua, the line that makes the counters' table, which goes right after the
library's first line (gen_lualib.sh --lua-dir OUT_DIR/src --head OUT_DIR/head.lua, and
tests/redis/harness.py, build the library so); and OUT_DIR/map.json, what each counter counts.

Counters live in one local table of the library (`__oqcov`): a function library keeps its
locals between calls, while Redis 7 gives functions neither `debug.sethook` nor a writable
global. Where lua_syntax.py finds
  * a statement:   `__oqcov[n]=__oqcov[n]+1;` goes in front of it;
  * a condition (`if`, `elseif`, `while`, `until`) or the operand before an `and`/`or`:
    it becomes `__oqcov.b(n, <operand>)`, which counts slot n when the value is true and
    slot n+1 when it is false, and returns the value itself (one value, as the operand
    gave the condition or the operator).
Nothing inserted holds a newline, so every line keeps its number (error messages and the
report point at the real source lines). The table is made before any file, so the files
may come in any order and one may be swapped for another (the Redis suite's test clock).
After the last file one more function is registered, `oq__coverage`, which returns the
library's fingerprint followed by every counter and sets them back to zero (no-writes: it
touches no key, so Redis runs it at maxmemory and on replicas too). The counts start again
at zero when the library is loaded again (FUNCTION LOAD REPLACE), so whoever collects them
reads them before that (tests/lua_counts.py)."""

import glob
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lua_syntax  # noqa: E402

TABLE = '__oqcov'
READER = 'oq__coverage'
STEP = '%s[%%d]=%s[%%d]+1; ' % (TABLE, TABLE)


def instrument(src, slot):
    """(instrumented text, points) for one file whose first counter is slot; a point is
    [kind, line, first slot] with kind 'line' (one slot) or a branch kind (two slots:
    taken when true, when false): if, elseif, while, until, and, or."""
    found = lua_syntax.parse(src)
    tok = found.tokens
    points, edits = [], []   # edit: (offset, order, text); at one offset: closes, steps, opens

    for i in found.statements:
        points.append(['line', tok[i].line, slot])
        edits.append((tok[i].start, (1, 0), ' ' + STEP % (slot, slot)))
        slot += 1

    def wrap(kind, line, first, last):
        nonlocal slot
        points.append([kind, line, slot])
        # an outer wrap opens before and closes after an inner one that shares its edge
        edits.append((tok[first].start, (2, -tok[last].end), ' %s.b(%d, ' % (TABLE, slot)))
        edits.append((tok[last].end, (0, -tok[first].start), ')'))
        slot += 2

    for kw, first, last in found.conditions:
        if first == last and (tok[first].kind in ('number', 'string')
                              or tok[first].text in ('true', 'false', 'nil')):
            continue   # `while true do`: a constant decides nothing
        wrap(tok[kw].text, tok[kw].line, first, last)
    for op, first, last in found.shortcircuits:
        wrap(tok[op].text, tok[op].line, first, last)

    out, pos = [], 0
    for at, _, text in sorted(edits, key=lambda e: (e[0], e[1])):
        out.append(src[pos:at])
        out.append(text)
        pos = at
    out.append(src[pos:])
    return ''.join(out), points


def head(n):
    """The counter table and its branch counter: one line, before every file."""
    return ('local %(t)s = {} for i = 1, %(n)d do %(t)s[i] = 0 end '
            '%(t)s.b = function(k, v) if v then %(t)s[k] = %(t)s[k] + 1 '
            'else %(t)s[k + 1] = %(t)s[k + 1] + 1 end return v end\n') % {'t': TABLE, 'n': n}


def reader(n, fingerprint):
    """The last line: the function that hands the counts over and starts them again."""
    return ("redis.register_function{function_name = '%(r)s', flags = {'no-writes'}, "
            "callback = function() local out = {'%(f)s'} for i = 1, %(n)d do "
            "out[i + 1] = %(t)s[i] %(t)s[i] = 0 end return out end}\n") % {
                'r': READER, 'f': fingerprint, 'n': n, 't': TABLE}


def build(src_dir, out_dir):
    """Writes out_dir/src, out_dir/head.lua and out_dir/map.json (file paths relative to the
    current directory: make coverage runs this at the top); raises LuaSyntaxError naming the
    file and line of what it cannot parse."""
    files = sorted(glob.glob(os.path.join(src_dir, '*.lua')))
    if not files:
        raise ValueError('no .lua file in %s' % src_dir)
    texts, points, slot = [], [], 1
    for f in files:
        with open(f, encoding='utf-8') as fh:
            src = fh.read()
        try:
            text, pts = instrument(src, slot)
        except lua_syntax.LuaSyntaxError as e:
            raise lua_syntax.LuaSyntaxError('%s: %s' % (f, e)) from None
        for p in pts:
            slot += 1 if p[0] == 'line' else 2
        texts.append(text)
        points.append(pts)
    n = slot - 1
    fingerprint = hashlib.sha1(''.join(texts).encode()).hexdigest()[:16]
    texts[-1] = texts[-1] + ('' if texts[-1].endswith('\n') else '\n') + reader(n, fingerprint)
    out_src = os.path.join(out_dir, 'src')
    os.makedirs(out_src, exist_ok=True)
    for old in glob.glob(os.path.join(out_src, '*.lua')):
        os.unlink(old)
    for f, text in zip(files, texts):
        with open(os.path.join(out_src, os.path.basename(f)), 'w', encoding='utf-8') as fh:
            fh.write(text)
    with open(os.path.join(out_dir, 'head.lua'), 'w', encoding='utf-8') as fh:
        fh.write(head(n))
    with open(os.path.join(out_dir, 'map.json'), 'w') as fh:
        json.dump({'fingerprint': fingerprint, 'slots': n, 'reader': READER,
                   'files': [{'path': os.path.relpath(f), 'points': pts}
                             for f, pts in zip(files, points)]}, fh)


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit(__doc__.split('\n\n')[1])
    try:
        build(*sys.argv[1:])
    except (lua_syntax.LuaSyntaxError, ValueError) as e:
        sys.exit('lua_instrument: %s' % e)
