"""The container image from the outside, without a daemon (scripts/image.sh test, make
test-image): Redis and two kamailio nodes started from the image with `buildah run` on the
host's network, as docker/compose.yaml starts them (shared registrations over DMQ), and the
quick start's smoke: the node refuses to start without its secrets, RPC answers inside,
REST says 401 without a key, /desk/ is served, and an agent registered on one node answers
a sipp call that arrived at the other. Ends with "N passed, N failed"."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

TOP = os.environ.get("OMNIQ_TOP") or os.path.abspath(os.path.join(os.path.dirname(__file__),
                                                                  "..", ".."))
sys.path[:0] = [os.path.join(TOP, "tests"), os.path.join(TOP, "tests", "integration")]
from ports import free_port  # noqa: E402
import sipcall  # noqa: E402
from harness import wait_for  # noqa: E402

IMAGE = os.environ.get("OMNIQ_IMAGE", "localhost/omniq:latest")
B = ["buildah", "--storage-driver", "vfs"]
LOGS = os.path.join(TOP, "build", "test-logs", "image")
SECRETS = {"OMNIQ_SITE_SECRET": "image-site-secret-0123456789",
           "OMNIQ_APP_SECRET": "image-app-secret-0123456789",
           "OMNIQ_DESK_SECRET": "image-desk-secret-0123456789",
           "OMNIQ_API_KEY": "ops:image-key-0123456789abcdef"}


class Box:
    """One container of the image; its role's process runs with `buildah run` (chroot
    isolation, the host's network) until stop()."""

    def __init__(self, workdir, name, role, env):
        self.name = name
        self.c = subprocess.check_output(B + ["from", IMAGE], text=True).strip()
        self.env = env
        self.log = os.path.join(workdir, name + ".log")
        self.p = None
        if role:
            self.p = subprocess.Popen(self.argv(["omniq-entrypoint", role]),
                                      stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
                                      start_new_session=True)

    def argv(self, cmd):
        e = []
        for k, v in self.env.items():
            e += ["--env", "%s=%s" % (k, v)]
        return B + ["run", "--isolation", "chroot", "--network", "host"] + e + [self.c, "--"] + cmd

    def run(self, *cmd, timeout=60):
        return subprocess.run(self.argv(list(cmd)), capture_output=True, text=True,
                              timeout=timeout)

    def text(self):
        return open(self.log, errors="replace").read() if os.path.exists(self.log) else ""

    def stop(self):
        if self.p and self.p.poll() is None:
            os.killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(5)
        subprocess.run(B + ["rm", self.c], capture_output=True)


class Ctx:
    """What sipcall's Phone and call() want of the integration harness' context."""

    def __init__(self, name):
        self.dir = os.path.join(LOGS, name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.servers = []

    def close(self):
        for s in reversed(self.servers):
            try:
                s.stop()
            except Exception:
                traceback.print_exc()


def http(url, key=None):
    req = urllib.request.Request(url, headers={"Authorization": "Bearer " + key} if key else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def cmdlines():
    """Every process' command line (buildah run's chroot isolation shares the host's PIDs)."""
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                out.append(open("/proc/%s/cmdline" % pid, "rb").read().decode(
                    errors="replace").split("\0")[:-1])
            except OSError:
                pass
    return out


def node_env(rport, sip, http_port, self_sip=None, peer=None):
    env = dict(SECRETS, OMNIQ_REDIS_HOST="127.0.0.1", OMNIQ_REDIS_PORT=str(rport),
               OMNIQ_SIP_LISTEN="udp:127.0.0.1:%d" % sip,
               OMNIQ_SIP_LISTEN_TCP="tcp:127.0.0.1:%d" % sip,
               OMNIQ_WS_LISTEN="127.0.0.1", OMNIQ_HTTP_PORT=str(http_port),
               OMNIQ_CTL_SOCK="/var/lib/omniq/kamailio_ctl")
    if peer:
        env.update(OMNIQ_DMQ_SELF=self_sip, OMNIQ_DMQ_PEER=peer)
    return env


def test_the_image_is_what_it_says(ctx):
    """Its configuration: the entry point, the ports, the health check, the volume."""
    cfg = json.loads(subprocess.check_output(B + ["inspect", "--type", "image", IMAGE]))
    oci = cfg["OCIv1"]["config"]
    assert oci["Entrypoint"] == ["omniq-entrypoint"] and oci["Cmd"] == ["kamailio"], oci
    media = set(oci["ExposedPorts"]) - {"5060/udp", "5060/tcp", "8080/tcp", "6379/tcp"}
    assert len(media) + 4 == len(oci["ExposedPorts"]), oci
    # omniq_media's RTP range, as one range or port by port (builders differ)
    assert media in ({"30000-30999/udp"}, {"%d/udp" % p for p in range(30000, 31000)}), media
    assert "/data" in oci["Volumes"], oci
    hc = cfg["Docker"]["config"]["Healthcheck"]
    assert hc["Test"] == ["CMD", "omniq-entrypoint", "health"], hc


def test_a_node_refuses_to_start_without_its_secrets(ctx):
    env = dict(SECRETS)
    del env["OMNIQ_DESK_SECRET"]
    box = Box(ctx.dir, "nosecret", None, env)
    ctx.servers.append(box)
    p = box.run("omniq-entrypoint", "kamailio")
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "omniq: set OMNIQ_DESK_SECRET (the agent desk's session secret): the image has no " \
        "example secrets" in p.stderr, p.stderr


def test_two_nodes_and_redis_from_the_image_serve_the_quick_start(ctx):
    rport = free_port()
    redis = Box(ctx.dir, "redis", "redis", {"OMNIQ_REDIS_PORT": str(rport),
                                            "OMNIQ_REDIS_DIR": "/data"})
    ctx.servers.append(redis)
    wait_for(lambda: subprocess.run(["redis-cli", "-p", str(rport), "ping"],
                                    capture_output=True, text=True).stdout.strip() == "PONG",
             what="Redis from the image: " + redis.text()[-300:])
    mods = subprocess.run(["redis-cli", "-p", str(rport), "MODULE", "LIST"],
                          capture_output=True, text=True).stdout
    assert "omniq" in mods.split() and subprocess.run(
        ["redis-cli", "-p", str(rport), "CONFIG", "GET", "appendonly"], capture_output=True,
        text=True).stdout.split()[1] == "yes"
    sa, sb = free_port(), free_port()
    ha, hb = free_port(), free_port()
    a = Box(ctx.dir, "node_a", "kamailio",
            node_env(rport, sa, ha, "sip:127.0.0.1:%d" % sa, "sip:127.0.0.1:%d" % sb))
    ctx.servers.append(a)
    b = Box(ctx.dir, "node_b", "kamailio",
            node_env(rport, sb, hb, "sip:127.0.0.1:%d" % sb, "sip:127.0.0.1:%d" % sa))
    ctx.servers.append(b)
    for box in (a, b):
        wait_for(lambda: box.run("omniq-entrypoint", "health").returncode == 0, timeout=60,
                 what="%s healthy: %s" % (box.name, box.text()[-500:]))
    # RPC answers inside the container; kamailio runs with TLSF (-x tlsf)
    p = a.run("kamcmd", "-s", "unix:/var/lib/omniq/kamailio_ctl", "omniq.stats")
    assert p.returncode == 0 and "enqueued" in p.stdout, (p.stdout, p.stderr)
    main = [c for c in cmdlines() if c[:1] == ["kamailio"] and "OMNIQ_HTTP_PORT=%d" % ha in c]
    assert main and all(c[c.index("-x") + 1] == "tlsf" for c in main), main
    # REST: 401 without a key, 200 with it; the desk is served
    st, ctype, body = http("http://127.0.0.1:%d/api/v1/stats" % ha)
    assert st == 401 and ctype.startswith("application/json"), (st, ctype, body)
    assert http("http://127.0.0.1:%d/api/v1/stats" % hb, SECRETS["OMNIQ_API_KEY"])[0] == 200
    st, ctype, body = http("http://127.0.0.1:%d/desk/" % ha)
    assert st == 200 and b"<html" in body.lower(), (st, body[:200])
    # an agent registered on node A answers a call that arrives at node B
    p = a.run("kamcmd", "-s", "unix:/var/lib/omniq/kamailio_ctl", "omniq.agent_set", "alice",
              "Alice", "support:5", "voice=1,chat=4")
    assert p.returncode == 0 and "error" not in p.stdout, p.stdout
    p = b.run("kamcmd", "-s", "unix:/var/lib/omniq/kamailio_ctl", "omniq.agent_state", "alice",
              "available")
    assert p.returncode == 0 and "error" not in p.stdout, p.stdout

    class Node:
        def __init__(self, port):
            self.sip_port = port
    phone = sipcall.Phone(ctx, Node(sa), "alice", "agent_answer.xml")
    wait_for(lambda: "alice" in b.run("kamcmd", "-s", "unix:/var/lib/omniq/kamailio_ctl",
                                      "ul.dump").stdout, what="the registration shared to B")
    sc = sipcall.caller_xml(ctx.dir, "image_call", queued="may")
    assert sipcall.call(ctx, Node(sb), "support", sc, caller="13800000199") == 0
    assert phone.wait() == 0
    r = subprocess.run(["redis-cli", "-p", str(rport), "HMGET", "oq:{default}:s:1", "agent",
                        "channel", "identity"], capture_output=True, text=True).stdout.split()
    assert r == ["alice", "phone", "phone:+8613800000199"], r


def test_the_compose_file_is_two_nodes_and_redis_sharing_registrations(ctx):
    import yaml
    c = yaml.safe_load(open(os.path.join(TOP, "docker", "compose.yaml")))
    s = c["services"]
    assert s["redis"]["command"] == ["redis"], s["redis"]
    nodes = [n for n in s if n.startswith("node")]
    assert len(nodes) == 2, s
    for n, other in zip(nodes, reversed(nodes)):
        e = s[n]["environment"]
        assert e["OMNIQ_DMQ_SELF"] == "sip:%s:5060" % n and \
            e["OMNIQ_DMQ_PEER"] == "sip:%s:5060" % other, e
        for k in SECRETS:
            assert e[k].startswith("${%s:?" % k), (n, k, e[k])
        assert s[n].get("healthcheck") is None or s[n]["healthcheck"]


TESTS = [test_the_image_is_what_it_says, test_a_node_refuses_to_start_without_its_secrets,
         test_two_nodes_and_redis_from_the_image_serve_the_quick_start,
         test_the_compose_file_is_two_nodes_and_redis_sharing_registrations]

if __name__ == "__main__":
    passed = failed = 0
    for fn in TESTS:
        name = fn.__name__[5:]
        ctx = Ctx(name)
        t0 = time.time()
        try:
            fn(ctx)
            print("PASS image/%s (%.1fs)" % (name, time.time() - t0), flush=True)
            passed += 1
        except Exception as e:
            print("FAIL image/%s: %s" % (name, e), flush=True)
            traceback.print_exc()
            failed += 1
        finally:
            ctx.close()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
