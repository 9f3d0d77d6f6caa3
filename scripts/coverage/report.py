#!/usr/bin/python3
"""make coverage's figures: C line and branch coverage (gcov, read by gcovr) and Lua line and
branch coverage (the counts tests/lua_counts.py collected, read against the map of
lua_instrument.py), per file and in total.

    report.py --top TOP --out DIR --copy COPY --unit UNIT_DIR --lua-map MAP --lua-counts DIR

Writes DIR/summary.txt (what it prints), DIR/html/index.html (gcovr's pages, every C and Lua
file line by line) and the gcovr JSON it reads the figures from (DIR/json/). The C counts come
from two builds of the same sources: the modules (built in COPY, a copy of modules/ and
include/) and the unit tests (built from TOP itself); gcovr adds them up per file.

C branches are gcov's: every outcome of every conditional jump the compiler made, those of the
&& and || operands included. Kamailio's logging macros (LM_ERR...) expand to about twenty
such branches each (log level, stderr or syslog, colours, prefixes) that no test means to take both
ways, so the C figures also give the branches of the other lines ("branches, no log").
"""
import argparse
import datetime
import filecmp
import glob
import json
import os
import re
import subprocess
import sys

# generated files of the build (a C string, a C array) and the flush hook of the coverage
# build: not code of ours to cover
NOT_OURS = [r'.*/oq_lualib\.c$', r'.*/ws_static\.c$', r'.*/gcov_flush\.c$']
LOG_LINE = re.compile(r'\b(LM_[A-Z]+|LOG|PKG_MEM_ERROR|SHM_MEM_ERROR)\s*[(;]')


def gcovr(args, cwd):
    r = subprocess.run(['gcovr'] + args, cwd=cwd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit('coverage: gcovr %s failed:\n%s' % (' '.join(args), r.stderr[-3000:]))
    return r


def c_tracefile(a, jdir):
    """gcovr JSON of the C counts, the modules' and the unit tests' added up, file names
    relative to TOP (modules/..., include/...)."""
    common = ['--exclude-unreachable-branches', '--filter', 'modules/', '--filter', 'include/']
    for pattern in NOT_OURS:
        common += ['--exclude', pattern]
    parts = []
    for name, root, search in (('c-modules', a.copy, a.copy), ('c-unit', a.top, a.unit)):
        path = os.path.join(jdir, name + '.json')
        gcovr(['--root', root, search, '--json', path, '-j', '2'] + common, cwd=root)
        parts.append(path)
    path = os.path.join(jdir, 'c.json')
    gcovr(['--root', a.top, '--json', path, '--add-tracefile', parts[0], '--add-tracefile',
           parts[1]], cwd=a.top)
    return path


def child_dumps(a, jdir):
    """{module: how many child processes wrote their counts}: gcov_flush.c's handler counts
    itself before it writes, so 0 means the children's counts are missing."""
    path = os.path.join(jdir, 'flush.json')
    gcovr(['--root', a.copy, a.copy, '--json', path, '--filter', r'.*/gcov_flush\.c$'],
          cwd=a.copy)
    with open(path) as f:
        files = json.load(f)['files']
    return {entry['file'].split('/')[-2]: next(
        (fn['execution_count'] for fn in entry['functions'] if fn['name'] == 'dump_then_chain'), 0)
        for entry in files}


def lua_tracefile(map_path, counts_dir, out_path):
    """Writes the Lua counts in counts_dir, added up, as gcovr JSON to out_path; returns how
    many reads were added up and the reads that failed (*.lost). A line is one that has a
    counter: a statement starts on it, or a condition or a short circuit is decided on it; its
    count is that of its most counted one. Each condition and short circuit is two branches:
    true and false."""
    with open(map_path) as f:
        cmap = json.load(f)
    total = [0] * (cmap['slots'] + 1)
    runs, lost = 0, []
    for path in sorted(glob.glob(os.path.join(counts_dir, '*.json'))):
        with open(path) as f:
            got = json.load(f)
        if got['fingerprint'] != cmap['fingerprint']:
            sys.exit('coverage: %s holds counts of another library (%s, the map is %s)'
                     % (path, got['fingerprint'], cmap['fingerprint']))
        for i, c in got['counts'].items():
            total[int(i)] += c
        runs += 1
    for path in sorted(glob.glob(os.path.join(counts_dir, '*.lost'))):
        with open(path) as f:
            lost.append(f.read().strip())
    files = []
    for entry in cmap['files']:
        lines = {}
        for kind, line, slot in entry['points']:
            ln = lines.setdefault(line, {'count': 0, 'branches': []})
            if kind == 'line':
                ln['count'] = max(ln['count'], total[slot])
            else:
                t, f = total[slot], total[slot + 1]
                ln['count'] = max(ln['count'], t + f)
                ln['branches'] += [t, f]
        files.append({'file': entry['path'], 'functions': [], 'lines': [
            {'line_number': n, 'count': v['count'], 'gcovr/noncode': False,
             'gcovr/excluded': False,
             'branches': [{'count': c, 'fallthrough': False, 'throw': False}
                          for c in v['branches']]}
            for n, v in sorted(lines.items())]})
    with open(out_path, 'w') as f:
        json.dump({'gcovr/format_version': '0.3', 'files': files}, f)
    return runs, lost


def figures(json_path, top, log_aside=False):
    """{file: [lines hit, lines, branches taken, branches(, the two without log lines)]}."""
    with open(json_path) as f:
        files = json.load(f)['files']
    out = {}
    for entry in files:
        src = []
        if log_aside:
            with open(os.path.join(top, entry['file']), errors='replace') as f:
                src = f.read().split('\n')
        fig = [0] * (6 if log_aside else 4)
        for ln in entry['lines']:
            if ln['gcovr/noncode'] or ln.get('gcovr/excluded'):
                continue
            fig[0] += ln['count'] > 0
            fig[1] += 1
            taken = sum(1 for b in ln['branches'] if b['count'])
            fig[2] += taken
            fig[3] += len(ln['branches'])
            if log_aside and not LOG_LINE.search(src[ln['line_number'] - 1]):
                fig[4] += taken
                fig[5] += len(ln['branches'])
        out[entry['file']] = fig
    return out


def pct(n, d):
    return '%5.1f %%' % (100.0 * n / d) if d else '    - '


def table(title, figs):
    """The lines of a table of figures(), and its totals."""
    heads = ('lines', 'branches', 'branches, no log')
    width = len(next(iter(figs.values()))) // 2
    row = lambda name, f: '%-38s' % name + ''.join(
        ' %13s %7s' % ('%d/%d' % (f[2 * i], f[2 * i + 1]), pct(f[2 * i], f[2 * i + 1]))
        for i in range(width))
    out = ['%-38s' % title + ''.join(' %21s' % h for h in heads[:width])]
    tot = [sum(f[i] for f in figs.values()) for i in range(2 * width)]
    out += [row(name, figs[name]) for name in sorted(figs)] + [row('total', tot)]
    return out, tot


def revision(top):
    def git(*args):
        return subprocess.run(['git'] + list(args), cwd=top, capture_output=True,
                              text=True).stdout.strip()
    rev = git('rev-parse', '--short', 'HEAD') or 'unknown'
    return rev + (' with uncommitted changes' if git('status', '--porcelain', '--untracked-files=no')
                  else '')


def stale_copies(a, files):
    """C files that changed in TOP since the copy was built (the HTML shows TOP's text)."""
    return [f for f in files if os.path.exists(os.path.join(a.copy, f))
            and not filecmp.cmp(os.path.join(a.copy, f), os.path.join(a.top, f), shallow=False)]


def main():
    ap = argparse.ArgumentParser()
    for opt in ('--top', '--out', '--copy', '--unit', '--lua-map', '--lua-counts'):
        ap.add_argument(opt, required=True)
    a = ap.parse_args()
    jdir = os.path.join(a.out, 'json')
    os.makedirs(jdir, exist_ok=True)

    c_json = c_tracefile(a, jdir)
    lua_json = os.path.join(jdir, 'lua.json')
    runs, lost = lua_tracefile(a.lua_map, a.lua_counts, lua_json)
    html = os.path.join(a.out, 'html')
    os.makedirs(html, exist_ok=True)
    gcovr(['--root', a.top, '--html-details', os.path.join(html, 'index.html'),
           '--html-title', 'omniq coverage', '--add-tracefile', c_json,
           '--add-tracefile', lua_json], cwd=a.top)

    c_fig = figures(c_json, a.top, log_aside=True)
    c_lines, c = table('C (modules/, include/)', c_fig)
    lua_lines, lua = table('Lua (the function library)', figures(lua_json, a.top))
    out = ['omniq coverage, %s, commit %s' % (
        datetime.datetime.now().strftime('%Y-%m-%d %H:%M'), revision(a.top)), '']
    out += c_lines + [''] + lua_lines + ['']
    out.append('C:   lines %s, branches %s (%s outside the logging macros\' lines)' % (
        pct(c[0], c[1]).strip(), pct(c[2], c[3]).strip(), pct(c[4], c[5]).strip()))
    out.append('Lua: lines %s, branches %s (counts from %d reads of the library)' % (
        pct(lua[0], lua[1]).strip(), pct(lua[2], lua[3]).strip(), runs))
    dumps = child_dumps(a, jdir)
    out.append('C counts written by child processes (gcov_flush.c): %s' % ', '.join(
        '%s %d' % (m, n) for m, n in sorted(dumps.items())))
    broken = ['NOT COUNTED: no child process of kamailio wrote the counts of %s' % m
              for m, n in sorted(dumps.items()) if n == 0]
    if runs == 0:
        broken.append('NOT COUNTED: no harness read the Lua counts ($OMNIQ_LUA_COUNTS)')
    out += broken
    for why in lost:
        out.append('NOT COUNTED: Lua counts that could not be read: %s' % why)
    stale = stale_copies(a, c_fig)
    if stale:
        out.append('note: changed since the build, the HTML shows their new text: %s'
                   % ' '.join(stale))
    out.append('report: %s' % os.path.join(html, 'index.html'))
    text = '\n'.join(out) + '\n'
    with open(os.path.join(a.out, 'summary.txt'), 'w') as f:
        f.write(text)
    sys.stdout.write(text)
    return 1 if broken else 0


if __name__ == '__main__':
    sys.exit(main())
