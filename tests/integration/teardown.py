"""What every integration test must also leave behind, checked after its last assertion.

A test passes only if, besides its own assertions:
  * every kamailio that became ready and that the test did not kill is still whole: its
    main process and every process it had once ready or lists in core.psx are alive;
  * each stop (the test's own and the last) is a SIGTERM to the main process that it
    answers by exiting 0 within Kamailio.STOP_WITHIN seconds, its children with it, each
    exiting 0 (where procwatch can see them);
  * its log holds no ALERT / BUG / CRITICAL / ERROR line (nor a sanitizer's report) that
    the test did not declare with ctx.expect_log(pattern), and every declared pattern that
    is not optional matched a line;
  * the Redis invariants (tests/integration/invariants.py) hold for every tenant
    (`oq:{<tenant>}` keys) of every redis-server of the test still running, unless the test
    declared that it broke that server (ctx.broke(server)).
A kamailio that never became ready (a test of a refused start) is the test's own business.
"""
import re

from invariants import check_tenant

# Kamailio's stderr lines start "<rank>(<pid>) <LEVEL>: "; a few early ones have no prefix
BAD_LINE = re.compile(r"^\s*(?:\d+\(\d+\) )?(ALERT|BUG|CRITICAL|ERROR):|^==\d+==ERROR:")


# Kamailio 5.6's own shutdown: its tcp main process reads the other processes' unix sockets
# until its own SIGTERM comes, and each that exited first is "EOF" to it; once it has taken
# the last of them out of its epoll set, it waits on none (maxevents 0), which epoll refuses
# with EINVAL, in a loop, until its SIGTERM (core/io_wait.h). Only after the main process's
# "Thank you for flying" of that run; the same lines at any other time count.
SHUTDOWN_NOISE = [re.compile(r"CRITICAL: <core> \[core/pass_fd\.c:\d+\]: receive_fd\(\): EOF on \d+$"),
                  re.compile(r"ERROR: <core> \[core/io_wait\.h:\d+\]: io_wait_loop_epoll\(\): "
                             r"epoll_wait\(\d+, 0x[0-9a-f]+, 0, -?\d+\): Invalid argument \[22\]$")]
SHUTDOWN_BEGINS = "handle_sigs(): Thank you for flying"
RUN_BEGINS = "main(): processes (at least)"


class Expected:
    """A log line a test declares, as narrow as the behaviour it names."""

    def __init__(self, pattern, optional):
        self.re = re.compile(pattern)
        self.optional = optional
        self.seen = 0


def unexpected_lines(text, expected):
    """The bad lines of a log that no declaration covers (counting what each covers)."""
    out = []
    shutting = False
    for line in text.splitlines():
        if RUN_BEGINS in line or SHUTDOWN_BEGINS in line:
            shutting = SHUTDOWN_BEGINS in line
        if not BAD_LINE.search(line):
            continue
        if shutting and any(n.search(line) for n in SHUTDOWN_NOISE):
            continue
        hit = [e for e in expected if e.re.search(line)]
        for e in hit:
            e.seen += 1
        if not hit:
            out.append(line.strip())
    return out


def tenants(r):
    """The tenant prefixes (oq:{<id>}) that have keys in a Redis."""
    found = set()
    for k in r.scan_iter(match="oq:{*", count=1000):
        end = k.find("}")
        if end > 0:
            found.add(k[:end + 1])
    return sorted(found)


def after(ctx):
    """Check what the test left (stopping its kamailios on the way); a list of problems."""
    from harness import Kamailio, RedisServer
    kams = [s for s in ctx.servers if isinstance(s, Kamailio)]
    problems = []
    for k in kams:
        problems += k.alive_problems()
    for k in kams:
        k.stop()
        problems += k.problems
    for k in kams:
        if k.ever_ready:
            bad = unexpected_lines(k.text(), ctx.expected)
            if bad:
                problems.append("kamailio %s logged %d unexpected line(s), first: %s" % (
                    k.name, len(bad), " || ".join(bad[:3])))
    for e in ctx.expected:
        if not e.seen and not e.optional:
            problems.append("no log line matched the expected %r" % e.re.pattern)
    for rs in ctx.servers:
        if isinstance(rs, RedisServer) and rs.running() and rs not in ctx.broken:
            r = rs.client()
            for P in tenants(r):
                errs = check_tenant(r, P)
                if errs:
                    problems.append("Redis %d, invariants of %s: %s" % (
                        rs.port, P, "; ".join(errs[:5])))
    return problems
