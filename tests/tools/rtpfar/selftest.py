#!/usr/bin/python3
"""rtpfar's own test: instances of it on loopback sending to each other, and packets made here
(RTP, RTCP, garbage) sent to it; one PASS/FAIL line per case, exit 1 if any failed.

    /usr/bin/python3 tests/tools/rtpfar/selftest.py [path/to/rtpfar]

Without an argument: $OMNIQ_RTPFAR, else build/test-tools/rtpfar (tests/integration/rtpfar.py).
"""
import base64
import os
import random
import socket
import struct
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "../../integration"))
import rtpfar  # noqa: E402
from rtpfar import RtpFar, free_udp_pair, payloads, ulaw_to_linear, alaw_to_linear, rms  # noqa: E402

BIN = sys.argv[1] if len(sys.argv) > 1 else rtpfar.rtpfar_path()
IP = "127.0.0.1"
KEYLEN = {"AES_CM_128_HMAC_SHA1_80": 30, "AES_CM_128_HMAC_SHA1_32": 30, "AEAD_AES_128_GCM": 28,
          "AEAD_AES_256_GCM": 44, "AES_256_CM_HMAC_SHA1_80": 46}
failed = []
open_fars = []


def key(suite):
    return base64.b64encode(os.urandom(KEYLEN[suite])).decode()


def far():
    f = RtpFar(BIN)
    open_fars.append(f)
    return f


def pair(suite=None, rx_key=None, tx_key=None, send_ms=300, rx_ms=3000, ip=IP, **send):
    """A receiver and a sender sending to it for send_ms, then an RTCP BYE; the receiver ends
    on the BYE. Returns (receiver's report, its payload, sender's report, sender's port)."""
    rport, _ = free_udp_pair(ip)
    sport, _ = free_udp_pair(ip)
    rx = far().start(ip, rport, suite=suite, key=rx_key, duration_ms=rx_ms, until_bye=True)
    tx = far().start(ip, sport, send_to=(ip, rport), send_suite=suite if tx_key else None,
                     send_key=tx_key, duration_ms=send_ms, send_bye=True, **send)
    sent, _ = tx.wait()
    got, payload = rx.wait()
    return got, payload, sent, sport


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def rtp(seq, ts, ssrc=0x1234, pt=0, m=0, payload=b"\xff" * 160, csrc=0, ext=None, pad=0):
    b0 = 0x80 | csrc | (0x10 if ext is not None else 0) | (0x20 if pad else 0)
    h = struct.pack("!BBHII", b0, (m << 7) | pt, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
    h += b"\0\0\0\1" * csrc
    if ext is not None:
        h += struct.pack("!HH", 0xBEDE, len(ext) // 4) + ext
    return h + payload + (b"\0" * (pad - 1) + bytes([pad]) if pad else b"")


def sendall(port, packets, gap=0.001):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for p in packets:
        s.sendto(p, (IP, port))
        time.sleep(gap)
    s.close()


def expect_clean_stream(got, payload, sent, sport, silence=b"\xff"):
    n = sent["sent"]
    check(n >= 10, "sender sent only %d packets in 300 ms" % n)
    check(got["packets"] == n, "received %d of %d" % (got["packets"], n))
    for k in ("auth_fail", "replay", "other_err", "seq_gaps", "seq_dups", "ts_errors", "ts_jumps"):
        check(got[k] == 0, "%s = %d" % (k, got[k]))
    check(got["ssrcs"] == [sent["ssrc_sent"]], "ssrcs %s, sender's %s" % (got["ssrcs"], sent["ssrc_sent"]))
    check(got["pts"] == [0 if silence == b"\xff" else 8], "pts %s" % got["pts"])
    check(got["src"] == "%s:%d" % (IP, sport), "src %s, sender bound %d" % (got["src"], sport))
    check(payload == silence * (160 * n), "payload is not %d frames of silence" % n)
    r = got["rtcp"]
    check(r["sr"] == 1 and r["bye"] and r["cname"] == "rtpfar", "rtcp %s" % r)
    check(r["last_sr"]["packets"] == n and r["last_sr"]["octets"] == 160 * n
          and r["last_sr"]["ssrc"] == sent["ssrc_sent"], "last SR %s" % r["last_sr"])
    check(r["auth_fail"] == r["other_err"] == r["replay"] == 0, "rtcp errors %s" % r)


def t_suites():
    for suite in KEYLEN:
        k = key(suite)
        t = time.time()
        got, payload, sent, sport = pair(suite, k, k)
        try:
            expect_clean_stream(got, payload, sent, sport)
        except AssertionError as e:
            raise AssertionError("%s: %s" % (suite, e))
        check(time.time() - t < 2.5, "%s: did not end on the BYE" % suite)
        check(rms(ulaw_to_linear(payload)) == 0, "µ-law silence is not 0")


def t_wrong_key():
    suite = "AES_CM_128_HMAC_SHA1_80"
    got, payload, sent, _ = pair(suite, key(suite), key(suite), rx_ms=800)
    check(got["packets"] == 0 and payload == b"", "packets %d with the wrong key" % got["packets"])
    check(got["auth_fail"] == sent["sent"] > 0, "auth_fail %d, sent %d" % (got["auth_fail"], sent["sent"]))
    check(got["rtcp"]["auth_fail"] == 1 and not got["rtcp"]["bye"], "rtcp %s" % got["rtcp"])


def t_plain_pcma_and_stop():
    got, payload, sent, sport = pair(send_pt=8, send_ms=300)
    expect_clean_stream(got, payload, sent, sport, silence=b"\xd5")
    check(rms(alaw_to_linear(payload)) == 8, "A-law silence rms %s" % rms(alaw_to_linear(payload)))
    # stop sending after 100 ms: about 5 packets, the BYE then
    got, payload, sent, sport = pair(send_ms=600, stop_send_after_ms=100)
    check(4 <= sent["sent"] <= 6, "sent %d in 100 ms" % sent["sent"])
    check(got["packets"] == sent["sent"] and got["rtcp"]["bye"], "got %d" % got["packets"])
    check(got["last_ms"] - got["first_ms"] < 120, "span %s" % (got["last_ms"] - got["first_ms"]))


def t_dtmf():
    suite = "AEAD_AES_128_GCM"
    k = key(suite)
    got, payload, sent, _ = pair(suite, k, k, send_ms=400, dtmf="#@100")
    check(got["packets"] == sent["sent"] and got["auth_fail"] == 0, "got %d of %d" % (got["packets"], sent["sent"]))
    pk = payloads(got, payload)
    ev = [(p, b) for p, b in pk if p["pt"] == 101]
    check(len(ev) == 8, "%d telephone-event packets, not 5 + 3 end" % len(ev))
    first = pk.index(ev[0])
    check(first > 0 and ev[0][0]["ts"] == pk[first - 1][0]["ts"] + 160, "event ts off the media clock")
    check(got["markers"] == [ev[0][0]["seq"]], "markers %s" % got["markers"])
    check(all(p["ts"] == ev[0][0]["ts"] and p["len"] == 4 for p, _ in ev), "event ts/length")
    fields = [struct.unpack("!BBH", b) for _, b in ev]
    check(all(e == 11 and v & 0x3F == 10 for e, v, _ in fields), "event/volume %s" % fields)
    check([d for _, _, d in fields] == [160, 320, 480, 640, 800, 800, 800, 800], "durations %s" % fields)
    check([v >> 7 for _, v, _ in fields] == [0] * 5 + [1] * 3, "E bits %s" % fields)
    check([p["seq"] for p, _ in ev] == list(range(ev[0][0]["seq"], ev[0][0]["seq"] + 8)), "event seqs")
    check(ev[0][0]["ms"] - got["first_ms"] >= 80, "event sent at %s ms" % ev[0][0]["ms"])


def t_rtp_analysis():
    """wrap, a gap, a duplicate, a marker's ts jump, a bad ts, CSRCs, an extension, padding"""
    port, _ = free_udp_pair()
    f = far().start(IP, port, duration_ms=700)
    seqs = [65533, 65534, 65535, 0, 2, 2, 3]                      # 1 missing, 2 twice
    pk = [rtp(s, 1000 + 160 * ((s - 65533) % 65536)) for s in seqs]
    pk.append(rtp(4, 1000 + 160 * 7 + 8000, m=1))                 # talkspurt: jump forward
    pk.append(rtp(5, 1000 + 160 * 8 + 8000 + 7))                  # off by 7
    pk.append(rtp(6, 1000 + 160 * 9 + 8007, csrc=2, ext=b"\x10\x01\x02\x03", pad=3,
                  payload=b"\xaa" * 20))
    pk.append(rtp(7, 0, ssrc=0x5678, pt=8, payload=b"\xd5" * 160))   # a second stream
    sendall(port, pk)
    got, payload = f.wait()
    check(got["packets"] == len(pk), "packets %d of %d" % (got["packets"], len(pk)))
    check(got["first_seq"] == 65533, "first_seq %s" % got["first_seq"])
    check((got["seq_gaps"], got["seq_dups"]) == (1, 1), "gaps/dups %s/%s" % (got["seq_gaps"], got["seq_dups"]))
    check((got["ts_jumps"], got["ts_errors"]) == (1, 1), "jumps/errors %s/%s" % (got["ts_jumps"], got["ts_errors"]))
    check(got["markers"] == [4] and got["ssrcs"] == [0x1234, 0x5678] and got["pts"] == [0, 8],
          "markers/ssrcs/pts %s %s %s" % (got["markers"], got["ssrcs"], got["pts"]))
    check(got["pkts"][9]["len"] == 20 and payloads(got, payload)[9][1] == b"\xaa" * 20,
          "CSRC/extension/padding packet: %s" % got["pkts"][9])
    check(len(payload) == 160 * 10 + 20, "payload length %d" % len(payload))


def t_rtcp_parse():
    port, _ = free_udp_pair()
    f = far().start(IP, port, duration_ms=3000, until_bye=True)
    sr = struct.pack("!BBHIIIIII", 0x80, 200, 6, 0xCAFE, 0x11223344, 0x55667788, 4242, 77, 12320)
    rr = struct.pack("!BBHI", 0x80, 201, 1, 0xCAFE)
    items = b"\x02\x03bob" + b"\x01\x0bcaller@here" + b"\x00"
    items += b"\0" * (-(4 + len(items)) % 4)
    sdes = struct.pack("!BBHI", 0x81, 202, (4 + 4 + len(items)) // 4 - 1, 0xCAFE) + items
    bye = struct.pack("!BBHI", 0x81, 203, 1, 0xCAFE)
    t = time.time()
    sendall(port + 1, [sr + sdes, rr])
    time.sleep(0.1)                                               # read before the BYE ends it
    sendall(port, [sr + sdes + bye])                              # on the RTP port: RFC 5761 mux
    got, _ = f.wait()
    r = got["rtcp"]
    check(time.time() - t < 2, "did not end on the BYE")
    check(r["packets"] == 3 and r["sr"] == 2 and r["rr"] == 1 and r["bye"], "counts %s" % r)
    check(r["last_sr"] == {"ssrc": 0xCAFE, "packets": 77, "octets": 12320, "rtp_ts": 4242,
                           "ntp": 0x1122334455667788}, "last_sr %s" % r["last_sr"])
    check(r["cname"] == "caller@here", "cname %r" % r["cname"])
    check(got["packets"] == 0 and got["other_err"] == 0, "RTP counts %s" % got)


def garbage():
    """Datagrams that are not RTP/RTCP: random, and malformed on purpose (v2 headers that
    overrun their packet), for both ports."""
    g = [b"", b"\x80", b"\x80" * 11, b"\x00" * 12, b"\xff" * 64, os.urandom(4000)]
    g += [bytes([0x8F]) + b"\0" * 20,                                  # 15 CSRCs in 21 bytes
          bytes([0x90]) + b"\0" * 11 + b"\xbe\xde\xff\xff",            # extension of 256 KiB
          bytes([0x90]) + b"\0" * 13,                                  # extension header cut
          rtp(1, 1, payload=b"", pad=0)[:12] + b"\x01\x02",
          bytes([0xA0, 0]) + b"\0" * 10 + b"\x05",                     # padding 5 > payload
          bytes([0xA0, 0]) + b"\0" * 10 + b"\x00",                     # padding count 0
          bytes([0x80, 200, 0xFF, 0xFF]) + b"\0" * 24,                 # RTCP overrunning
          bytes([0x81, 202, 0, 2]) + b"\0\0\0\1" + b"\x01\xff" + b"ab",  # SDES item overrun
          bytes([0x9F, 202, 0, 1]) + b"\0\0\0\1"]                      # 31 chunks, room for 1
    for _ in range(300):
        b = bytearray(os.urandom(random.randint(1, 1500)))
        b[0] &= 0x3F                                                   # version 0: never RTP
        g.append(bytes(b))
    return g


def t_garbage_plain():
    port, _ = free_udp_pair()
    f = far().start(IP, port, duration_ms=2000)
    g = garbage()
    sendall(port, g, gap=0.0002)
    sendall(port + 1, g, gap=0.0002)
    got, payload = f.wait()
    check(f.proc is None, "rtpfar did not exit 0")
    # all counted once, as errors but for the RTP packet with 2 bytes of payload, and the
    # SDES of 31 chunks with room for one (valid: it stops at its length), on either port
    r = got["rtcp"]
    check(got["packets"] == 1 and r["packets"] == 2 and got["other_err"] + r["other_err"]
          == 2 * len(g) - 3, "counts %s" % {k: v for k, v in got.items() if k != "pkts"})


def t_garbage_srtp():
    suite = "AES_CM_128_HMAC_SHA1_32"
    k = key(suite)
    rport, _ = free_udp_pair()
    sport, _ = free_udp_pair()
    rx = far().start(IP, rport, suite=suite, key=k, duration_ms=1500)
    tx = far().start(IP, sport, send_to=(IP, rport), send_suite=suite, send_key=k, duration_ms=500)
    g = garbage()
    for _ in range(200):                                               # v2 RTP, random rest
        b = bytearray(os.urandom(random.randint(12, 300)))
        b[0] = 0x80
        b[1] &= 0x7F
        g.append(bytes(b))
    sendall(rport, g, gap=0.0005)
    sendall(rport + 1, g, gap=0.0005)
    sent, _ = tx.wait()
    got, payload = rx.wait()
    check(got["packets"] == sent["sent"] > 0 and len(payload) == 160 * sent["sent"],
          "packets %d, sent %d" % (got["packets"], sent["sent"]))
    check(got["seq_gaps"] == got["ts_errors"] == 0 and got["ssrcs"] == [sent["ssrc_sent"]], "stream damaged")
    n = got["auth_fail"] + got["replay"] + got["other_err"]
    check(got["auth_fail"] >= 150, "auth_fail %d" % got["auth_fail"])
    r = got["rtcp"]
    check(n + r["auth_fail"] + r["replay"] + r["other_err"] == 2 * len(g),
          "errors counted %d + rtcp %s of %d" % (n, r, 2 * len(g)))


def t_replay():
    """SRTP packets captured here, then played to a receiver twice: the second time replays"""
    suite = "AES_CM_128_HMAC_SHA1_80"
    k = key(suite)
    cap = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    cap.bind((IP, 0))
    cport = cap.getsockname()[1]
    sport, _ = free_udp_pair()
    tx = far().start(IP, sport, send_to=(IP, cport), send_suite=suite, send_key=k, duration_ms=200)
    sent, _ = tx.wait()
    cap.settimeout(0.5)
    pk = []
    try:
        while True:
            pk.append(cap.recv(2048))
    except socket.timeout:
        pass
    cap.close()
    check(len(pk) == sent["sent"] > 0, "captured %d of %d" % (len(pk), sent["sent"]))
    port, _ = free_udp_pair()
    rx = far().start(IP, port, suite=suite, key=k, duration_ms=600)
    sendall(port, pk + pk[::-1])
    got, _ = rx.wait()
    check(got["packets"] == len(pk) and got["replay"] == len(pk) and got["auth_fail"] == 0,
          "packets %d replay %d auth_fail %d of %d" % (got["packets"], got["replay"], got["auth_fail"], len(pk)))


def t_ipv6():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::1", 0))
        s.close()
    except OSError:
        print("SKIP rtpfar/ipv6: no ::1")
        return
    suite = "AES_256_CM_HMAC_SHA1_80"
    k = key(suite)
    got, payload, sent, sport = pair(suite, k, k, ip="::1")
    check(got["packets"] == sent["sent"] > 0 and got["src"] == "[::1]:%d" % sport
          and got["rtcp"]["bye"], "over ::1: %s" % {k: v for k, v in got.items() if k != "pkts"})


def t_arguments():
    def run(*args):
        p = subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=10)
        return p.returncode, p.stderr
    port, _ = free_udp_pair()
    b = ["--bind", "%s:%d" % (IP, port), "--out", "/dev/null", "--duration-ms", "10"]
    for args, says in [([], "required"), (b + ["--suite", "NOPE", "--key", "AAAA"], "unknown suite"),
                       (b + ["--suite", "AEAD_AES_128_GCM", "--key", key("AES_CM_128_HMAC_SHA1_80")], "28 bytes"),
                       (b + ["--suite", "AES_CM_128_HMAC_SHA1_80", "--key", "!!"], "malformed"),
                       (b + ["--suite", "AES_CM_128_HMAC_SHA1_80"], "go together"),
                       (b + ["--send-dtmf", "1@10"], "need --send-to"),
                       (b + ["--send-to", "127.0.0.1:9", "--send-dtmf", "X@10"], "--send-dtmf"),
                       (b + ["--send-to", "[::1]:9"], "family"),
                       (b + ["--duration-ms", "-1"], "--duration-ms"),
                       (b + ["--bogus"], "--bogus"), (b + ["extra"], "unexpected"),
                       (["--bind", "1.2.3.4", "--out", "x", "--duration-ms", "1"], "IP:PORT"),
                       (["--bind", "1.2.3.4:65535", "--out", "x", "--duration-ms", "1"], "below 65535")]:
        rc, err = run(*args)
        check(rc == 2 and says in err, "%s: exit %d, %r" % (args, rc, err))
    taken = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    taken.bind((IP, port + 1))
    rc, err = run(*b)
    taken.close()
    check(rc == 1 and "bind" in err, "RTCP port taken: exit %d, %r" % (rc, err))
    rc, err = run(*b[:2], "--out", "/nonexistent/x.json", "--duration-ms", "1")
    check(rc == 1 and "nonexistent" in err, "unwritable --out: exit %d, %r" % (rc, err))
    # SIGTERM ends the run early, the report is written
    f = far().start(IP, port, duration_ms=60000)
    t = time.time()
    got, _ = f.stop()
    check(time.time() - t < 2 and got["packets"] == 0, "SIGTERM")


def main():
    print("rtpfar self-test of %s" % BIN)
    for name, fn in sorted((n, f) for n, f in globals().items() if n.startswith("t_")):
        try:
            fn()
            print("PASS rtpfar/%s" % name[2:])
        except Exception as e:  # noqa: BLE001  (a failed case, whatever its kind)
            failed.append(name)
            print("FAIL rtpfar/%s: %s" % (name[2:], e))
            traceback.print_exc(file=sys.stderr)
            for f in open_fars:
                if f.stderr():
                    sys.stderr.write("  rtpfar stderr (%s): %s\n" % (" ".join(f.cmd or []), f.stderr()))
        finally:
            for f in open_fars:
                f.close()
            open_fars.clear()
    print("%s: %d cases failed" % ("FAIL" if failed else "PASS", len(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
