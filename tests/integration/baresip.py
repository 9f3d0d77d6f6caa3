"""Debian's baresip as a real phone in the tests (test_softphone, test_media, test_transfer):
its configuration and a caller, written in one place."""
import os
import shutil
import subprocess
import tempfile

import ports


def write_config(d, port, dumps, codecs=("g711.so",), more=()):
    """baresip's config file in directory d: SIP on 127.0.0.1:port, RTP on port+2..port+40, a
    440 Hz sine as its microphone, what it hears and says written to WAV files in dumps
    (sndfile's: a short directory, baresip 1.0 cuts a dump's name to fit a small buffer),
    the codec modules codecs, and more lines (cons_listen, module cons.so ...)."""
    with open(os.path.join(d, "config"), "w") as f:
        f.write("\n".join(
            ["poll_method epoll", "sip_listen 127.0.0.1:%d" % port, "snd_path %s" % dumps,
             "audio_source ausine,440", "audio_alert aufile,/dev/null",
             # ausine makes 48 kHz stereo only: baresip resamples to the codec's rate
             "ausrc_srate 48000", "ausrc_channels 2", "auplay_srate 8000", "auplay_channels 1",
             "rtp_ports %d-%d" % (port + 2, port + 40), "module_path /usr/lib/baresip/modules"]
            + ["module %s" % m for m in codecs]
            + ["module ausine.so", "module aufile.so", "module sndfile.so"] + list(more)
            + ["module_app account.so", "module_app menu.so", ""]))


class Caller:
    """baresip dialling sip:<queue>@kamailio k from number at once, unregistered (account:
    more of its account's parameters, e.g. "audio_codecs=PCMU;mediaenc=srtp-mand"; codecs and
    more as write_config). Its log is in the test's notes; stop() hangs up (quit: a CANCEL or
    a BYE) and cleans up, and is the test's at its end."""

    def __init__(self, ctx, k, queue, number, account="", codecs=("g711.so",), more=()):
        self.dir = os.path.join(ctx.dir, "baresip")
        os.makedirs(self.dir)
        self.dumps = tempfile.mkdtemp(prefix="bs-")
        port = ports.free_port()
        write_config(self.dir, port, self.dumps, codecs, more)
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write("<sip:%s@127.0.0.1:%d;transport=udp>;regint=0%s\n"
                    % (number, k.sip_port, ";" + account if account else ""))
        self.path = os.path.join(self.dir, "log")
        self.log = open(self.path, "w")
        self.proc = subprocess.Popen(
            ["stdbuf", "-oL", "baresip", "-f", self.dir, "-e",
             "/dial sip:%s@127.0.0.1:%d" % (queue, k.sip_port)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        ctx.servers.append(self)
        ctx.notes.append(("baresip's log", lambda: self.text()[-2500:]))

    def text(self):
        return open(self.path, errors="replace").read()

    def hang_up(self, timeout=10):
        """baresip quits, hanging up as it does (SIGTERM); its exit code."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def stop(self):
        self.hang_up()
        if not self.log.closed:
            self.log.close()
        shutil.rmtree(self.dumps, ignore_errors=True)
