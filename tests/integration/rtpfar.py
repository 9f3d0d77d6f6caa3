"""
The caller's phone's media side for the media tests: tests/tools/rtpfar (C, libsrtp2, none of
omniq's code) run as a process. It binds RTP on a port and RTCP on the next, receives (and
unprotects, with the module's answer key) for a while, optionally sends a stream of its own
from the same socket (symmetric RTP), and reports what it saw (rtpfar.c, `rtpfar --help`).

    far = RtpFar()
    rtp, _ = free_udp_pair()
    far.start("127.0.0.1", rtp, suite="AES_CM_128_HMAC_SHA1_80", key=answer_key,
              send_to=("127.0.0.1", module_port), send_suite=..., send_key=offer_key,
              duration_ms=3000)
    report, payload = far.wait()
    samples = ulaw_to_linear(payload)

The binary: $OMNIQ_RTPFAR, else <build>/test-tools/rtpfar (`make fixtures`; <build> is
$OMNIQ_BUILD or build/ at the top of the tree).
"""
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.environ.get("OMNIQ_TOP") or os.path.abspath(os.path.join(HERE, "../.."))
sys.path.insert(0, os.path.dirname(HERE))
import ports  # noqa: E402  (the port range the other test servers take theirs from)


def rtpfar_path():
    """The rtpfar binary to run; FileNotFoundError saying how to build it when absent."""
    path = os.environ.get("OMNIQ_RTPFAR")
    if not path:
        build = os.environ.get("OMNIQ_BUILD") or os.path.join(TOP, "build")
        path = os.path.join(build, "test-tools", "rtpfar")
    if not os.access(path, os.X_OK):
        raise FileNotFoundError("%s: no rtpfar binary (make fixtures, or make -C tests/tools/rtpfar)"
                                % path)
    return path


def free_udp_pair(ip="127.0.0.1"):
    """(port, port + 1), port even, both free for UDP on ip now: RTP and its RTCP
    (tests/ports.py's range, never twice in one process)."""
    return ports.free_udp_range(2, ip)


def _hostport(addr):
    """("::1", 5004) or "[::1]:5004" or "127.0.0.1:5004" -> the IP:PORT rtpfar takes."""
    if isinstance(addr, str):
        return addr
    ip, port = addr
    return "[%s]:%d" % (ip, port) if ":" in ip else "%s:%d" % (ip, port)


class RtpFar:
    """One rtpfar run. start() returns once its sockets are bound; wait() its report."""
    _runs = 0

    def __init__(self, binary=None, workdir=None):
        self.binary = binary or rtpfar_path()
        self._own_dir = workdir is None
        self.dir = workdir or tempfile.mkdtemp(prefix="rtpfar-")
        self.proc = None
        self.cmd = None
        self.ready = None        # "ready 127.0.0.1:P 127.0.0.1:P+1", its line on stdout

    def start(self, bind_ip, port, suite=None, key=None, send_to=None, send_suite=None,
              send_key=None, send_pt=0, dtmf=None, dtmf_pt=101, stop_send_after_ms=None,
              duration_ms=3000, until_bye=False, send_every_ms=20, send_bye=False,
              ts_step=None, ready_timeout=5.0, socks=None):
        """send_to: (ip, port) or "ip:port"; dtmf: "1@1500,2@3000" or [("1", 1500), ...]."""
        if self.proc:
            raise RuntimeError("rtpfar already started")
        RtpFar._runs += 1
        tag = "rtpfar-%d-%d" % (port, RtpFar._runs)
        self.out = os.path.join(self.dir, tag + ".json")
        self.payload = os.path.join(self.dir, tag + ".bin")
        self.errpath = os.path.join(self.dir, tag + ".stderr")
        cmd = [self.binary, "--bind", _hostport((bind_ip, port)), "--duration-ms", str(duration_ms),
               "--out", self.out, "--payload", self.payload]
        if suite or key:
            cmd += ["--suite", suite, "--key", key]
        if until_bye:
            cmd.append("--until-bye")
        if socks:
            cmd += ["--fds", "%d,%d" % (socks[0].fileno(), socks[1].fileno())]
        if ts_step is not None:
            cmd += ["--ts-step", str(ts_step)]
        if send_to:
            cmd += ["--send-to", _hostport(send_to), "--send-pt", str(send_pt),
                    "--send-every-ms", str(send_every_ms), "--dtmf-pt", str(dtmf_pt)]
            if send_suite or send_key:
                cmd += ["--send-suite", send_suite, "--send-key", send_key]
            if dtmf:
                if not isinstance(dtmf, str):
                    dtmf = ",".join("%s@%d" % (d, ms) for d, ms in dtmf)
                cmd += ["--send-dtmf", dtmf]
            if stop_send_after_ms is not None:
                cmd += ["--stop-send-after-ms", str(stop_send_after_ms)]
            if send_bye:
                cmd.append("--send-bye")
        self.cmd = cmd
        with open(self.errpath, "wb") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err,
                                         pass_fds=[x.fileno() for x in socks or ()])
        # its one line on stdout says the sockets are bound (or EOF: it failed)
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(ready_timeout)
        sel.close()
        line = self.proc.stdout.readline().decode(errors="replace").strip() if ready else ""
        if not line.startswith("ready "):
            if self.proc.poll() is None:
                self.proc.kill()
            rc = self.proc.wait()
            why = "rtpfar failed to start (exit %s): %s; %s" % (
                rc if ready else "none in %.1f s" % ready_timeout, self.stderr().strip(),
                " ".join(cmd))
            self.close()
            raise RuntimeError(why)
        self.ready = line
        return self

    def stderr(self):
        try:
            with open(self.errpath, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait(self, timeout=None):
        """(report dict, payload bytes) once it has ended; timeout defaults to its duration
        plus 10 s. AssertionError if it failed."""
        if not self.proc:
            raise RuntimeError("rtpfar not running (not started, or already waited for)")
        if timeout is None:
            i = self.cmd.index("--duration-ms")
            timeout = int(self.cmd[i + 1]) / 1000.0 + 10
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("rtpfar still running after %.1f s" % timeout)
        finally:
            self.proc.stdout.close()
        if rc != 0:
            raise AssertionError("rtpfar exited %d: %s" % (rc, self.stderr().strip()))
        with open(self.out) as f:
            report = json.load(f)
        with open(self.payload, "rb") as f:
            payload = f.read()
        self.proc = None
        return report, payload

    def stop(self):
        """End the run now (SIGTERM: it still writes its report); wait()'s result, or None if
        it was not running."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait()

    def close(self):
        """Kill it if still running; remove its files unless they are in a workdir given."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc:
            self.proc.stdout.close()
            self.proc = None
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    cleanup = close     # what harness.Context.close() calls on ctx.servers


# G.711 expansion (ITU-T G.711; the table-free form of Sun's g711.c): 8-bit code -> 16-bit
# linear sample.

def ulaw_sample(u):
    u = ~u & 0xFF
    t = ((u & 0x0F) << 3) + 0x84
    t <<= (u & 0x70) >> 4
    return 0x84 - t if u & 0x80 else t - 0x84


def alaw_sample(a):
    a ^= 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


_ULAW = [ulaw_sample(i) for i in range(256)]
_ALAW = [alaw_sample(i) for i in range(256)]


def ulaw_to_linear(data):
    """µ-law bytes (PCMU, pt 0) -> list of linear samples."""
    return [_ULAW[b] for b in data]


def alaw_to_linear(data):
    """A-law bytes (PCMA, pt 8) -> list of linear samples."""
    return [_ALAW[b] for b in data]


def rms(samples):
    """Root mean square of linear samples: 0 for µ-law silence (0xFF), 8 for A-law's (0xD5)."""
    return (sum(s * s for s in samples) / len(samples)) ** 0.5 if samples else 0.0


def payloads(report, payload):
    """The payload bytes split per packet, in arrival order, as [(pkt dict, bytes)]."""
    out, off = [], 0
    for p in report["pkts"]:
        out.append((p, payload[off:off + p["len"]]))
        off += p["len"]
    return out
