"""A real softphone as an agent's phone: Debian's baresip (headless: a sine tone as its
microphone, what it hears written to a WAV file, auto-answer) registers as alice through the shipped
cfg/omniq.cfg; a sipp caller's call to the support queue rings it, baresip answers, PCMU is
negotiated and audio flows both ways (sipp echoes baresip's RTP back, baresip records what
it hears), and the caller hangs up: the session is the agent's, in wrap-up. What
docs/first-hour.md tells an admin to do, done the same way."""
import os
import subprocess
import shutil
import tempfile
import wave

import baresip
import sipp_ports
from harness import TOP, end_process, free_port, test, wait_for
from sipcall import _sipp_common
from test_wechat import ok_rpc

P = "oq:{default}"


class Baresip:
    """baresip with a configuration directory of its own (config, accounts): one account,
    registered to kamailio, answering every call at once."""

    def __init__(self, ctx, kam, user):
        self.dir = os.path.join(ctx.dir, "baresip-" + user)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        # a short directory: baresip 1.0 cuts a dump's name to fit a small buffer
        self.dumps = tempfile.mkdtemp(prefix="bs-")
        self.log = os.path.join(self.dir, "baresip.log")
        baresip.write_config(self.dir, self.port, self.dumps)
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            # what a person types into a softphone: user, server, no password (make run's
            # cfg has no authentication), answer automatically
            f.write("<sip:%s@127.0.0.1:%d;transport=udp>;regint=60;answermode=auto;"
                    "audio_codecs=PCMU\n" % (user, kam.sip_port))
        self.out = open(self.log, "w")
        self.proc = subprocess.Popen(["stdbuf", "-oL", "baresip", "-f", self.dir], stdin=subprocess.PIPE,
                                     stdout=self.out, stderr=subprocess.STDOUT, cwd=self.dir)
        ctx.servers.append(self)

    def text(self):
        return open(self.log, errors="replace").read()

    def stop(self):
        end_process(self.proc)
        self.out.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dumps, ignore_errors=True)


@test
def test_softphone_baresip_answers_a_queued_call_with_audio_both_ways(ctx):
    rs = ctx.redis()
    k = ctx.kamailio("omniq.cfg", rs.port)
    r = rs.client()
    ok_rpc(k, "omniq.agent_set", "alice", "Alice", "support:5", "voice=1,chat=4,email=0,total=5")
    ok_rpc(k, "omniq.agent_state", "alice", "available")
    phone = Baresip(ctx, k, "alice")
    wait_for(lambda: "alice" in k.rpc("ul.dump")[1], timeout=20,
             what="baresip registered as alice: " + phone.text()[-300:])
    # the caller of docs/first-hour.md: PCMU offered, the answer must be PCMU, 3 s of
    # audio (its RTP port echoes baresip's tone back), then it hangs up
    sc = os.path.join(TOP, "docs", "examples", "call-with-audio.xml")
    media = free_port()
    argv = ["sipp", "127.0.0.1:%d" % k.sip_port, "-sf", sc, "-s", "support",
            "-key", "caller", "13800000188", "-m", "1",
            "-i", "127.0.0.1", "-mi", "127.0.0.1", "-mp", str(media), "-rtp_echo",
            "-timeout", "30", "-timeout_error", "-trace_logs", "-log_file",
            os.path.join(ctx.dir, "softphone_caller_log.log")] + _sipp_common(ctx.dir, "softphone_caller")
    rc, _ = sipp_ports.run(argv, ctx.dir, "softphone_caller", 60)
    assert rc == 0, open(os.path.join(ctx.dir, "softphone_caller_err.log")).read()[-800:] \
        if os.path.exists(os.path.join(ctx.dir, "softphone_caller_err.log")) else rc
    wait_for(lambda: r.hget(P + ":s:1", "state") == "wrapup", what="the call in wrap-up")
    s = r.hgetall(P + ":s:1")
    assert (s["channel"], s["agent"], s["queue"]) == ("phone", "alice", "support"), s
    assert s["identity"] == "phone:+8613800000188", s
    # baresip answered by itself and heard its tone come back: about 3 s at 8 kHz
    wait_for(lambda: "closed" in phone.text().lower() or "terminated" in phone.text().lower(),
             timeout=10, what="baresip saw the hang-up: " + phone.text()[-300:])
    phone.stop()
    heard = [f for f in os.listdir(phone.dumps) if f.endswith("-dec.wav")]
    assert len(heard) == 1, os.listdir(phone.dumps)
    with wave.open(os.path.join(phone.dumps, heard[0])) as w:
        heard_s = w.getnframes() / float(w.getframerate())
    assert heard_s > 1.0, (heard_s, phone.text()[-500:])
    assert "PCMU" in phone.text(), phone.text()[-500:]
