"""Real SIP peers for the phone-queue tests: agents' phones and callers, all sipp.

An agent phone first REGISTERs its AOR (sip:<agent>@localhost) from its own UDP port with
sipp/register.xml, then a sipp UAS on that same port answers with one of the agent_*.xml
scenarios. A caller is a sipp UAC whose scenario is written per test by caller_xml(): what it
must see (182 Queued or not, which final response) is the assertion, sipp fails the call
otherwise.
"""
import itertools
import os

import sipp_ports
from harness import HERE

SIPP = os.path.join(HERE, "sipp")
_callers = itertools.count(1)


def _tail(path, n=500):
    return open(path, errors="replace").read()[-n:] if os.path.exists(path) else "(no error file)"


def _sipp_common(workdir, tag):
    return ["-nostdin", "-trace_err", "-error_file", os.path.join(workdir, tag + "_err.log"),
            "-trace_msg", "-message_file", os.path.join(workdir, tag + "_msg.log")]


class Phone:
    """One agent's phone: registered, then answering `calls` INVITEs with `scenario`."""

    def __init__(self, ctx, kam, agent, scenario, calls=1, register=True, timeout=60, keys=(),
                 dial=None):
        """keys: (name, value) pairs for the scenario's [name] keywords; with them,
        [service] is the agent's id and the phone answers NOTIFY, INFO and OPTIONS itself.
        dial: the phone calls instead (a caller scenario, sipcall.caller_xml): to sip:<dial>@
        kamailio, from [caller] = the agent's id, from the address it registered."""
        self.agent = agent
        self.workdir = ctx.dir
        port = None
        if register:
            # no retransmission (-nr): a REGISTER sent again on a loaded machine gets a second
            # 200 after the registering sipp is gone, at the port the phone's sipp answers on
            # from then on, which takes it for a call of its own and aborts it (its -m 1 used up)
            rc, port = sipp_ports.run(
                ["sipp", "127.0.0.1:%d" % kam.sip_port, "-sf", os.path.join(SIPP, "register.xml"),
                 "-s", agent, "-m", "1", "-i", "127.0.0.1", "-timeout", "10", "-timeout_error",
                 "-nr"]
                + _sipp_common(ctx.dir, "reg_" + agent), ctx.dir, "reg_" + agent, 30,
                need_port=True)
            assert rc == 0, "REGISTER of %s failed (sipp exit %d): %s" % (
                agent, rc, _tail(os.path.join(ctx.dir, "reg_%s_err.log" % agent)))
        # the phone answers on the port it registered from (tried once: the registrar has it)
        self.proc, self.port = sipp_ports.start(
            ["sipp"] + (["127.0.0.1:%d" % kam.sip_port, "-s", dial, "-key", "caller", agent]
                        if dial else [])
            + ["-sf", os.path.join(SIPP, scenario), "-i", "127.0.0.1",
               "-m", str(calls), "-timeout", str(timeout)]
            # a phone of a scenario with keys answers NOTIFY, INFO and OPTIONS itself (-aa)
            + (["-s", agent, "-aa"] if keys else []) + [a for k, v in keys for a in ("-key", k, v)]
            + _sipp_common(ctx.dir, "phone_" + agent),
            ctx.dir, "phone_" + agent, port=port)
        ctx.servers.append(self)

    def wait(self, timeout=30):
        return self.proc.wait(timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def send(lines, attrs=""):
    """A sipp <send> of a message given as its lines (header lines and body, no CDATA)."""
    return "  <send%s>\n    <![CDATA[\n%s\n    ]]>\n  </send>\n" % (
        attrs, "\n".join("      " + l if l else "" for l in lines))


def invite(from_user="[caller]", extra_header="", media=("m=audio [media_port] RTP/AVP 0",
                                                         "a=rtpmap:0 PCMU/8000")):
    """The caller's INVITE to [service] with an offer of media (its m= line and attributes;
    PCMU by default); From user from_user."""
    return send(["INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0",
                 "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]",
                 "From: <sip:%s@[local_ip]>;tag=[pid]caller[call_number]" % from_user,
                 "To: <sip:[service]@[remote_ip]:[remote_port]>",
                 "Call-ID: [call_id]", "CSeq: 1 INVITE",
                 "Contact: <sip:caller@[local_ip]:[local_port]>", "Max-Forwards: 70"]
                + ([extra_header] if extra_header else [])
                + ["Content-Type: application/sdp", "Content-Length: [len]", "",
                   "v=0", "o=caller 1 1 IN IP[local_ip_type] [local_ip]", "s=-",
                   "c=IN IP[media_ip_type] [media_ip]", "t=0 0"] + list(media) + [""],
                ' retrans="500"')


def in_dialog(method, cseq, routes=True, attrs=""):
    """ACK of a 200 or BYE: to the Contact of the 200, through its Record-Route unless
    routes=False (a UA that ignores Record-Route)."""
    return send(["%s [next_url] SIP/2.0" % method,
                 "Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]"]
                + (["[routes]"] if routes else [])
                + ["[last_From:]", "[last_To:]", "Call-ID: [call_id]", "CSeq: %d %s" % (cseq, method),
                   "Max-Forwards: 70", "Content-Length: 0", ""], attrs)


def ack_failure(attrs=""):
    """The ACK of a final answer other than 2xx (same transaction as the INVITE)."""
    return send(["ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0", "[last_Via:]",
                 "[last_From:]", "[last_To:]", "Call-ID: [call_id]", "CSeq: 1 ACK",
                 "Max-Forwards: 70", "Content-Length: 0", ""], attrs)


def cancel():
    """The CANCEL of the INVITE (its Via, from the last provisional answer)."""
    return send(["CANCEL sip:[service]@[remote_ip]:[remote_port] SIP/2.0", "[last_Via:]",
                 "[last_From:]", "To: <sip:[service]@[remote_ip]:[remote_port]>",
                 "Call-ID: [call_id]", "CSeq: 1 CANCEL", "Max-Forwards: 70",
                 "Content-Length: 0", ""])


def write_scenario(workdir, name, parts):
    xml = ('<?xml version="1.0" encoding="ISO-8859-1" ?>\n<!DOCTYPE scenario SYSTEM "sipp.dtd">\n'
           '<scenario name="%s">\n%s</scenario>\n' % (name, "".join(parts)))
    path = os.path.join(workdir, name + ".xml")
    with open(path, "w") as f:
        f.write(xml)
    return path


def caller_xml(workdir, name, final=200, queued="may", hold_ms=300, bye=True,
               cancel_after_ms=None, from_user="[caller]", extra_header="", routes=True):
    """Write a caller scenario; returns its path.

    queued: "must" (182 Queued before anything else but 100), "may", or "never" (a 182 is
    then an unexpected message and fails the call). final: the final response expected.
    cancel_after_ms: send CANCEL that long after the 182 (queued must be "must") and expect
    200 for it, then 487 (RFC 3261 section 9.2: the CANCEL is answered first).
    bye: after 200/ACK and hold_ms, send BYE and expect 200. routes=False: the ACK and the
    BYE carry no Route header (a UA that ignores Record-Route).
    """
    # 100, 180 and 183 are taken wherever they come (optional="global"): kamailio forwards an
    # agent's 180 and 200 from different workers, and the 180 may come after the 200
    parts = [invite(from_user, extra_header), '  <recv response="100" optional="global"/>\n']
    if queued == "must":
        parts.append('  <recv response="182"/>\n')
    elif queued == "may":
        parts.append('  <recv response="182" optional="true"/>\n')
    if cancel_after_ms is not None:
        parts += ['  <pause milliseconds="%d"/>\n' % cancel_after_ms, cancel(),
                  '  <recv response="200"/>\n']
        final = 487
    else:
        # ringing agents, back to the queue, ringing the next one: any order of these
        for code in ("180", "183", "182", "180", "183"):
            if code == "182" and queued == "never":
                continue
            parts.append('  <recv response="%s" optional="%s"/>\n' % (
                code, "true" if code == "182" else "global"))
    if final == 200:
        parts += ['  <recv response="200" rrs="true"/>\n', in_dialog("ACK", 1, routes),
                  '  <pause milliseconds="%d"/>\n' % hold_ms]
        if bye:
            parts += [in_dialog("BYE", 2, routes, ' retrans="500"'), '  <recv response="200"/>\n']
    else:
        parts += ['  <recv response="%d"/>\n' % final, ack_failure()]
    return write_scenario(workdir, name, parts)


def call(ctx, kam, queue, scenario, calls=1, rate=10, caller="13800000001", background=False,
         timeout=60):
    """Run the caller; returns the exit code (0: every call went as the scenario says), or the
    Popen when background."""
    tag = "caller_%s_%d" % (queue, next(_callers))
    argv = ["sipp", "127.0.0.1:%d" % kam.sip_port, "-sf", scenario, "-s", queue,
            "-key", "caller", caller, "-m", str(calls), "-r", str(rate), "-i", "127.0.0.1",
            "-timeout", str(timeout), "-timeout_error"] + _sipp_common(ctx.dir, tag)
    if background:
        p, _ = sipp_ports.start(argv, ctx.dir, tag)

        class _P:
            proc = p

            def stop(self):
                if p.poll() is None:
                    p.kill()
                    p.wait()
        ctx.servers.append(_P())
        return p
    rc, _ = sipp_ports.run(argv, ctx.dir, tag, timeout + 30)
    return rc


def dmq_pair(ctx, rs, cfg="sip.cfg", tag=""):
    """Two nodes whose agents' registrations are one (usrloc over DMQ, each the other's
    notification address), both started."""
    a = ctx.kamailio(cfg, rs.port, name="kama" + tag, start=False)
    b = ctx.kamailio(cfg, rs.port, name="kamb" + tag, start=False)
    for me, peer in ((a, b), (b, a)):
        me.defines["OMNIQ_DMQ_SELF"] = '"sip:127.0.0.1:%d"' % me.sip_port
        me.defines["OMNIQ_DMQ_PEER"] = '"sip:127.0.0.1:%d"' % peer.sip_port
    return a.start(), b.start()
