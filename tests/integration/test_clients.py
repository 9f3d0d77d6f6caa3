"""The client libraries (clients/python, clients/js): installed as an integrator installs them
(pip into a venv, npm into a project), driven against a real omniq with an integrator's
channel whose webhook they verify; their webhook verifiers against signatures computed here
with Python's own hmac; the TypeScript declarations through tsc; and the generated files
the same as scripts/gen_clients.py writes from docs/openapi.yaml."""
import base64
import email.message
import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import sys
import time

import yaml

from harness import TOP, free_port, test, wait_for
from test_channels import delivery_states
from test_ws import KEY, ws_kam

PY = "/usr/bin/python3"
HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "clients")
TSC = os.path.join(TOP, "tests/e2e/node_modules/.bin/tsc")
GENERATED = ("clients/python/omniq_client/_generated.py", "clients/js/src/generated.js",
             "clients/js/src/generated.d.ts")
HOOK_SECRET = b"hook-secret-0123456789"
P = "oq:{default}"
V2 = "X-Omniq-Signature-V2"


def run(argv, what, cwd=None, timeout=120):
    """argv's stdout; a failure says what was being done, with its output."""
    p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, "%s failed (exit %d):\n%s%s" % (what, p.returncode, p.stdout[-3000:],
                                                              p.stderr[-3000:])
    return p.stdout


# ------------------------------------------------------------------------ generated files

@test
def test_clients_generated_files_are_up_to_date(ctx):
    out = os.path.join(ctx.dir, "gen")
    run([PY, os.path.join(TOP, "scripts/gen_clients.py"), "--out", out], "the generator")
    stale = []
    for rel in GENERATED:
        with open(os.path.join(TOP, rel), "rb") as a, open(os.path.join(out, rel), "rb") as b:
            if a.read() != b.read():
                stale.append(rel)
    assert not stale, "%s differ from docs/openapi.yaml's: run make clients" % ", ".join(stale)
    # and no operation of the spec is left out of either library
    with open(os.path.join(TOP, "docs/openapi.yaml")) as f:
        paths = yaml.safe_load(f)["paths"]
    with open(os.path.join(out, GENERATED[0])) as f:
        py = f.read()
    with open(os.path.join(out, GENERATED[1])) as f:
        js = f.read()
    ops = [(m.upper(), p) for p, item in paths.items() for m in item if m not in
           ("parameters", "summary", "description", "servers")]
    assert len(ops) > 40, ops
    for m, p in ops:
        assert "%s %s\n" % (m, p) in py and "// %s %s\n" % (m, p) in js, (m, p)
    assert len(re.findall(r"^    def (?!_)", py, re.M)) == len(ops)
    assert len(re.findall(r"^  // ", js, re.M)) == len(ops)


@test
def test_clients_python_annotations_resolve(ctx):
    """Every type the generated Python names exists (annotations are strings until a type
    checker or typing.get_type_hints reads them): what tsc is to the declarations."""
    import typing
    sys.path.insert(0, os.path.join(TOP, "clients/python"))
    try:
        import omniq_client
        from omniq_client import _generated
    finally:
        sys.path.pop(0)
    methods = [f for n, f in vars(_generated.Operations).items() if not n.startswith("_")]
    assert len(methods) > 40
    for f in methods:
        hints = typing.get_type_hints(f)
        assert "return" in hints, f.__name__
    for name in _generated.__all__:
        t = getattr(omniq_client, name)
        if isinstance(t, type) and issubclass(t, dict):      # a TypedDict
            assert typing.get_type_hints(t), name
    hints = typing.get_type_hints(omniq_client.Client.post_session_messages)
    assert hints["dir"] == typing.Literal["in", "out", "sys", "note"], hints
    assert typing.get_type_hints(omniq_client.Ingested)["sid"] is str   # Session's, by allOf


# ------------------------------------------------------------------------ webhook verifiers

NOW = 1767225600
PAYLOAD = {"type": "message", "channel": "line", "sid": "12", "ext": "chan:line:U1",
           "from": "alice", "body": "Héllo, 你好", "id": "1767225600123-0", "ts": NOW}
BODY = json.dumps(PAYLOAD, ensure_ascii=False, separators=(",", ":")).encode()


def v2(t, body, secret=HOOK_SECRET, hexdigest=None):
    mac = hmac.new(secret, b"%d." % t + body, hashlib.sha256).hexdigest()
    return "t=%d,sha256=%s" % (t, hexdigest(mac) if hexdigest else mac)


def vectors():
    """The verifier's cases, signed here: (name, headers, body, headers_as, body_as, now,
    tolerance, secret, expected: the payload or the refusal's reason)."""
    old = "sha256=" + hmac.new(HOOK_SECRET, BODY, hashlib.sha256).hexdigest()
    base = {"X-Omniq-Delivery": "42", "X-Omniq-Kind": "webhook", "X-Omniq-Channel": "line",
            "X-Omniq-Tenant": "default", "X-Omniq-Timestamp": str(NOW), "X-Omniq-Signature": old}

    def h(sig, **kw):
        return dict(base, **{V2: sig}, **kw)
    raw_key = b"\x00\xffraw key bytes"
    c = [
        ("valid", h(v2(NOW, BODY)), BODY, "object", "buffer", PAYLOAD),
        ("names_in_lowercase_body_as_text", h(v2(NOW, BODY)), BODY, "lower", "string", PAYLOAD),
        ("values_in_lists", h(v2(NOW, BODY)), BODY, "arrays", "uint8array", PAYLOAD),
        ("headers_of_a_server", h(v2(NOW, BODY)), BODY, "server", "buffer", PAYLOAD),
        ("pairs_or_map", h(v2(NOW, BODY)), BODY, "pairs", "buffer", PAYLOAD),
        ("at_the_tolerance_before", h(v2(NOW - 300, BODY)), BODY, "object", "buffer", PAYLOAD),
        ("at_the_tolerance_after", h(v2(NOW + 300, BODY)), BODY, "object", "buffer", PAYLOAD),
        ("replayed_later", h(v2(NOW - 301, BODY)), BODY, "object", "buffer",
         "timestamp outside the tolerance"),
        ("from_the_future", h(v2(NOW + 301, BODY)), BODY, "object", "buffer",
         "timestamp outside the tolerance"),
        ("replayed_with_a_fresh_t", h(v2(NOW - 3600, BODY).replace("t=%d" % (NOW - 3600), "t=%d" % NOW)),
         BODY, "object", "buffer", "signature mismatch"),
        ("tampered_body", h(v2(NOW, BODY)), BODY.replace(b"alice", b"mallory"), "object", "buffer",
         "signature mismatch"),
        ("another_secret", h(v2(NOW, BODY, secret=b"another-secret-0123")), BODY, "object",
         "buffer", "signature mismatch"),
        ("uppercase_hex", h(v2(NOW, BODY, hexdigest=str.upper)), BODY, "object", "buffer",
         "signature mismatch"),
        ("old_signature_only", base, BODY, "object", "buffer", "no X-Omniq-Signature-V2 header"),
        ("no_headers", {}, BODY, "object", "buffer", "no X-Omniq-Signature-V2 header"),
        ("no_t", h(v2(NOW, BODY).split(",")[1]), BODY, "object", "buffer",
         "malformed X-Omniq-Signature-V2 header"),
        ("t_not_a_number", h(v2(NOW, BODY).replace("t=%d" % NOW, "t=soon")), BODY, "object",
         "buffer", "malformed X-Omniq-Signature-V2 header"),
        ("not_json", h(v2(NOW, b"<html>ok</html>")), b"<html>ok</html>", "object", "buffer",
         "body is not JSON"),
        ("not_utf8", h(v2(NOW, b'{"text":"\xff"}')), b'{"text":"\xff"}', "object", "buffer",
         "body is not JSON"),
    ]
    out = [dict(name=n, headers=hd, body=b, headers_as=ha, body_as=ba, now=NOW, tolerance=300,
                secret=HOOK_SECRET, expected=e) for n, hd, b, ha, ba, e in c]
    # a secret is its bytes, whatever they are
    out.append(dict(out[0], name="secret_of_any_bytes", secret=raw_key,
                    headers=h(v2(NOW, BODY, secret=raw_key))))
    out.append(dict(out[0], name="narrower_tolerance", tolerance=60,
                    headers=h(v2(NOW - 61, BODY)), expected="timestamp outside the tolerance"))
    return out


def bytes_secret(case):
    """Whether the case gives the verifier its secret as bytes (else as a string)."""
    return case["name"] in ("valid", "secret_of_any_bytes")


def outcome(payload=None, refused=None):
    return {"payload": payload} if refused is None else {"refused": refused}


def expected(case):
    e = case["expected"]
    return outcome(refused=e) if isinstance(e, str) else outcome(e)


def python_headers(case):
    hd = case["headers"]
    if case["headers_as"] == "lower":
        return {k.lower(): v for k, v in hd.items()}
    if case["headers_as"] == "arrays":
        return {k: [v] for k, v in hd.items()}
    if case["headers_as"] == "server":       # what http.server and urllib hand over
        m = email.message.Message()
        for k, v in hd.items():
            m[k] = v
        return m
    if case["headers_as"] == "pairs":
        return list(hd.items())
    return hd


@test
def test_clients_python_webhook_verifier(ctx):
    sys.path.insert(0, os.path.join(TOP, "clients/python"))
    try:
        from omniq_client.webhook import WebhookError, verify_webhook
    finally:
        sys.path.pop(0)
    for c in vectors():
        body = c["body"].decode() if c["body_as"] == "string" else c["body"]
        secret = c["secret"] if bytes_secret(c) else c["secret"].decode()
        try:
            got = outcome(verify_webhook(secret, python_headers(c), body, c["tolerance"], c["now"]))
        except WebhookError as e:
            got = outcome(refused=e.reason)
        assert got == expected(c), (c["name"], got)
    # the clock is the default now: a delivery signed a moment ago passes, an hour ago not
    t = int(time.time())
    assert verify_webhook(HOOK_SECRET, {V2: v2(t, BODY)}, BODY) == PAYLOAD
    try:
        verify_webhook(HOOK_SECRET, {V2: v2(t - 3600, BODY)}, BODY)
        raise AssertionError("an hour-old delivery verified")
    except WebhookError as e:
        assert e.reason == "timestamp outside the tolerance", e.reason


@test
def test_clients_js_webhook_verifier(ctx):
    cases = []
    for c in vectors():
        j = dict(c, body=base64.b64encode(c["body"]).decode(), secret=None, secret_bytes=None)
        del j["expected"]
        if bytes_secret(c):
            j["secret_bytes"] = base64.b64encode(c["secret"]).decode()   # a Buffer
        else:
            j["secret"] = c["secret"].decode()                      # a string
        # JavaScript's headers: an object, lowercase, arrays, a Map, fetch's Headers
        j["headers_as"] = {"server": "fetch", "pairs": "map"}.get(c["headers_as"], c["headers_as"])
        cases.append(j)
    path = os.path.join(ctx.dir, "cases.json")
    with open(path, "w") as f:
        json.dump(cases, f)
    got = json.loads(run(["node", os.path.join(HERE, "vectors.mjs"),
                          os.path.join(TOP, "clients/js/src/index.js"), path], "vectors.mjs"))
    for c in vectors():
        assert got.get(c["name"]) == expected(c), (c["name"], got.get(c["name"]))
    assert len(got) == len(cases)


# ------------------------------------------------------------------------ against omniq

def line_omniq(ctx):
    """omniq with the line channel's webhook on a port of ours: (redis server, api, port)."""
    port = free_port()
    chan = "name=line;url=http://127.0.0.1:%d/hook;secret=%s" % (port, HOOK_SECRET.decode())
    rs, _, api = ws_kam(ctx, {"OMNIQ_LINE_CHANNEL": '"%s"' % chan})
    return rs, api, port


def flow_argv(api, port):
    name, secret = KEY.split(":")
    return [api.base, name, secret, str(port), HOOK_SECRET.decode()]


def judge(r, out):
    """What the flow script (flow.py, flow.mjs) saw, against omniq's own state in Redis."""
    assert out["agent"]["name"] == "Alice" and "sales:5" in out["agent"]["skills"], out["agent"]
    assert out["state"]["presence"] == "available", out["state"]
    assert out["login"]["agent"] == "alice" and out["login"]["token"], out["login"]
    assert [a["id"] for a in out["agents"]["agents"]] == ["alice"], out["agents"]
    a, again = out["opened"], out["again"]
    assert (a["opened"], a["duplicate"], a["state"], a["agent"], a["channel"]) == \
        (True, False, "offered", "alice", "line"), a
    assert again["duplicate"] is True and (again["sid"], again["id"]) == (a["sid"], a["id"]), again
    sid = a["sid"]
    assert (out["read"]["sid"], out["read"]["state"]) == (sid, "offered"), out["read"]
    assert out["accept"]["sid"] == sid, out["accept"]
    assert (out["reply"]["sid"], out["reply"]["result"], out["reply"]["from"]) == \
        (sid, "appended", "alice"), out["reply"]
    want = [("in", "chan:line:U1", "Hello from LINE"), ("out", "alice", "Hi, how can I help?")]
    tx = [(f["dir"], f["from"], f["body"]) for _, f in r.xrange("%s:s:%s:tx" % (P, sid))]
    assert tx == want, tx
    # the transcript through the client, a page of one, then the rest
    page, rest = out["transcript"], out["transcript_rest"]
    assert page["sid"] == sid and page["next"] == page["messages"][0]["id"], page
    assert rest["next"] is None, rest
    assert [(m["dir"], m["from"], m["body"]) for m in page["messages"] + rest["messages"]] == want
    assert (out["close"]["sid"], out["close"]["result"]) == (sid, "closed"), out["close"]
    assert out["closed"]["state"] == "closed", out["closed"]
    assert r.hget("%s:s:%s" % (P, sid), "state") == "closed"
    assert "chan:line:U1" in out["customer"]["identities"], out["customer"]
    assert [s["sid"] for s in out["history"]["sessions"]] == [sid], out["history"]
    u = out["unknown"]
    assert (u.get("status"), u.get("code")) == (404, "not_found") and u["message"], u
    assert "agnet" in out["typo"], out["typo"]       # a misspelt field: refused, not sent
    w = out["wrong_key"]
    assert (w.get("status"), w.get("code")) == (401, "unauthorized"), w
    # the reply's webhook: omniq's real delivery, which the library's verifier took
    assert len(out["hooks"]) == 1, out["hooks"]
    hit = out["hooks"][0]
    h = {k.lower(): v for k, v in hit["headers"].items()}
    body = base64.b64decode(hit["body"])
    assert "payload" in hit, "the verifier refused omniq's delivery: %s (headers %s)" % (
        hit.get("refused"), sorted(h))
    m = re.fullmatch(r"t=(\d+),sha256=([0-9a-f]{64})", h[V2.lower()])
    assert m and abs(int(m[1]) - time.time()) < 60, h[V2.lower()]
    assert m[2] == hmac.new(HOOK_SECRET, m[1].encode() + b"." + body, hashlib.sha256).hexdigest()
    assert h["x-omniq-timestamp"] == m[1] and h["x-omniq-channel"] == "line", h
    p = hit["payload"]
    assert p == json.loads(body) and (p["type"], p["sid"], p["body"], p["from"]) == \
        ("message", sid, "Hi, how can I help?", "alice"), p
    assert (out["tampered"], out["replayed"]) == ("signature mismatch",
                                                 "timestamp outside the tolerance"), out
    # the receiver answered 200 because it verified: omniq shows the reply as sent
    wait_for(lambda: delivery_states(r, sid) == ["sent"], what="the reply shown as sent")


@test
def test_clients_python_against_omniq(ctx):
    # pip installs from a copy: a build writes build/ and *.egg-info into the source
    src = os.path.join(ctx.dir, "omniq-client-python")
    shutil.copytree(os.path.join(TOP, "clients/python"), src,
                    ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = os.path.join(ctx.dir, "venv")
    run([PY, "-m", "venv", "--system-site-packages", venv], "python3 -m venv")
    run([os.path.join(venv, "bin/pip"), "install", "--no-build-isolation", "--no-index",
         "--no-cache-dir", "--disable-pip-version-check", src], "pip install ./clients/python")
    py = os.path.join(venv, "bin/python")
    where = run([py, "-c", "import omniq_client; print(omniq_client.__file__)"], "import",
                cwd=ctx.dir).strip()
    assert where.startswith(venv + "/lib/"), where
    rs, api, port = line_omniq(ctx)
    out = run([py, os.path.join(HERE, "flow.py")] + flow_argv(api, port), "flow.py", cwd=ctx.dir)
    judge(rs.client(), json.loads(out))


def js_project(ctx, name):
    """A project of ours that has installed clients/js as npm installs a directory."""
    d = os.path.join(ctx.dir, name)
    os.makedirs(d)
    with open(os.path.join(d, "package.json"), "w") as f:
        json.dump({"name": name, "private": True, "type": "module"}, f)
    run(["npm", "install", "--no-audit", "--no-fund", "--offline", os.path.join(TOP, "clients/js")],
        "npm install ./clients/js", cwd=d)
    return d


@test
def test_clients_js_against_omniq(ctx):
    d = js_project(ctx, "integrator")
    shutil.copy(os.path.join(HERE, "flow.mjs"), d)
    rs, api, port = line_omniq(ctx)
    out = run(["node", "flow.mjs"] + flow_argv(api, port), "flow.mjs", cwd=d)
    judge(rs.client(), json.loads(out))


@test
def test_clients_typescript_declarations_check(ctx):
    assert os.path.exists(TSC), "no %s: scripts/deps.sh test installs it" % TSC
    d = js_project(ctx, "typed")
    shutil.copy(os.path.join(HERE, "check.ts"), d)
    tsc = [TSC, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext",
           "--target", "es2022", "--lib", "es2022"]
    run(tsc + ["check.ts"], "tsc on check.ts", cwd=d)
    # the check can fail: without one of its @ts-expect-error lines, tsc finds the mistake
    with open(os.path.join(d, "check.ts")) as f:
        text = f.read()
    with open(os.path.join(d, "wrong.ts"), "w") as f:
        f.write(text.replace("// @ts-expect-error identity is required\n", ""))
    p = subprocess.run(tsc + ["wrong.ts"], cwd=d, capture_output=True, text=True, timeout=120)
    assert p.returncode != 0 and "identity" in p.stdout, (p.returncode, p.stdout)


@test
def test_openapi_is_a_valid_openapi_3_1_document(ctx):
    """docs/openapi.yaml, which the clients are generated from and integrators read, is a
    valid OpenAPI 3.1 document (@apidevtools/swagger-parser: the 3.1 schema, every $ref
    resolved), with its webhook; a copy broken as an edit could break it is refused, so the
    check can fail."""
    check = os.path.join(TOP, "tests/e2e/validate_openapi.mjs")
    spec = os.path.join(TOP, "docs/openapi.yaml")
    out = run(["node", check, spec], "validating docs/openapi.yaml")
    with open(spec) as f:
        doc = yaml.safe_load(f)
    assert out.strip() == "valid 3.1.0 %d paths 1 webhooks" % len(doc["paths"]), out
    doc["paths"]["/api/v1/stats"]["get"]["responses"] = {"200": {"content": 7}}
    doc["webhooks"]["message"]["post"]["parameters"][0]["in"] = "body"
    bad = os.path.join(ctx.dir, "broken.yaml")
    with open(bad, "w") as f:
        yaml.safe_dump(doc, f)
    p = subprocess.run(["node", check, bad], capture_output=True, text=True, timeout=60)
    said = p.stdout + p.stderr
    assert p.returncode == 1 and "invalid" in said, said
    assert "/webhooks/message/post/parameters/0/in" in said, said
    assert "/paths/~1api~1v1~1stats/get/responses/200/content must be object" in said, said
