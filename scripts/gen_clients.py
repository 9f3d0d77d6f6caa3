#!/usr/bin/python3
"""Writes the client libraries' generated parts from docs/openapi.yaml (`make clients`):

  clients/python/omniq_client/_generated.py   TypedDicts and one method per operation
  clients/js/src/generated.js                 one method per operation (ES module)
  clients/js/src/generated.d.ts               its types

The rest of each library (the HTTP call, errors, the webhook verifier) is written by hand and
calls nothing but `_request(method, path, query, body, auth)` of these. The output is a
function of the spec alone (no date, no version of this script), so that the test
(tests/integration/test_clients.py) can run us into a directory of its own and require the
committed files to be byte for byte the same.

A method's name is the operation's operationId when it has one, else its HTTP method and the
path's words after /api/v1: a word followed by a {parameter} in the singular (sessions/{sid}
is "session"), parameters left out; snake_case in Python, camelCase in JavaScript
(GET /api/v1/sessions/{sid} is get_session / getSession, POST .../sessions/{sid}/accept is
post_session_accept / postSessionAccept). Two operations of one name stop the script.

Usage: scripts/gen_clients.py [--spec docs/openapi.yaml] [--out <root, default: the repo>]
"""
import argparse
import ast
import json
import keyword
import os
import re
import sys
import textwrap

import yaml

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY_OUT = "clients/python/omniq_client/_generated.py"
JS_OUT = "clients/js/src/generated.js"
DTS_OUT = "clients/js/src/generated.d.ts"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# names a TypeScript type must not take (they would hide the global of that name)
JS_GLOBALS = {"Error", "Record", "Object", "Array", "Map", "Set", "Promise", "Date", "String",
              "Number", "Boolean", "Function", "Symbol", "Response", "Request", "Headers"}
JS_RESERVED = {"break", "case", "catch", "class", "const", "continue", "default", "delete",
               "do", "else", "export", "extends", "finally", "for", "function", "if", "import",
               "in", "instanceof", "new", "return", "super", "switch", "this", "throw", "try",
               "typeof", "var", "void", "while", "with", "yield", "let", "static", "await",
               "params"}


class SpecError(Exception):
    pass


def pascal(s):
    return "".join(w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", s) if w)


def snake(s):
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return re.sub(r"[^A-Za-z0-9]+", "_", s).strip("_").lower()


def camel(s):
    p = pascal(snake(s))
    return p[:1].lower() + p[1:]


def singular(w):
    return w[:-1] if w.endswith("s") and not w.endswith("ss") else w


def type_name(name):
    """A components' name as a type of both languages."""
    n = pascal(name)
    return n + "Body" if n in JS_GLOBALS else n


def one_line(text):
    return " ".join((text or "").split())


def wrap(text, width=88):
    return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)


def op_doc(op):
    """An operation's summary, its description, its method and path: lines of text."""
    doc = wrap(op.summary) + ([""] + wrap(op.description) if op.description else [])
    return doc + ["", "%s %s" % (op.method, op.path)]


class Spec:
    def __init__(self, doc):
        self.doc = doc

    def resolve(self, node):
        """(the node a $ref names, or node; the ref's last part or None)"""
        name = None
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise SpecError("only local references are followed: " + ref)
            name = ref.rsplit("/", 1)[1]
            node = self.doc
            for part in ref[2:].split("/"):
                node = node[part]
        return node, name


class Op:
    """One operation, everything the emitters need."""

    def __init__(self, spec, path, method, item, op):
        self.method, self.path = method.upper(), path
        self.summary, self.description = one_line(op.get("summary")), one_line(op.get("description"))
        base = op.get("operationId") or derive_name(method, path)
        self.py_name, self.js_name = snake(base), camel(base)
        self.pascal = pascal(self.py_name)
        self.auth = op.get("security", spec.doc.get("security")) != []
        params = {}
        for p in item.get("parameters", []) + op.get("parameters", []):
            p, _ = spec.resolve(p)
            params[(p["name"], p["in"])] = p
        self.path_params = [p for (n, where), p in params.items() if where == "path"]
        self.query = [p for (n, where), p in params.items() if where == "query"]
        order = re.findall(r"\{([^}]+)\}", path)
        self.path_params.sort(key=lambda p: order.index(p["name"]))
        if sorted(order) != sorted(p["name"] for p in self.path_params):
            raise SpecError("%s %s: the path's {parameters} and its path parameters differ"
                            % (self.method, path))
        # the request body: its fields (name, schema, required), and whether fields of
        # any other name may come too (additionalProperties given)
        self.has_body, self.fields, self.extra = False, [], None
        if "requestBody" in op:
            rb, _ = spec.resolve(op["requestBody"])
            schema, _ = spec.resolve(rb.get("content", {}).get("application/json", {}).get("schema", {}))
            self.has_body = True
            req = set(schema.get("required", []))
            self.fields = [(n, s, n in req) for n, s in (schema.get("properties") or {}).items()]
            extra = schema.get("additionalProperties")
            if extra not in (None, False):
                self.extra = extra if isinstance(extra, dict) else {}
        names = [p["name"] for p in self.query] + [n for n, _, _ in self.fields]
        if len(set(names)) != len(names):
            raise SpecError("%s %s: a query parameter and a body field of one name"
                            % (self.method, path))
        # the answer: the schema of its first 2xx response, and the name that response had
        # under components/responses
        self.result, self.result_ref = None, None
        responses = {str(c): r for c, r in op.get("responses", {}).items()}
        for code in sorted(c for c in responses if c.startswith("2")):
            resp, self.result_ref = spec.resolve(responses[code])
            self.result = resp.get("content", {}).get("application/json", {}).get("schema")
            break


def derive_name(method, path):
    segs = [s for s in path.strip("/").split("/") if s]
    while segs and re.fullmatch(r"api|v\d+", segs[0]):
        segs.pop(0)
    words = []
    for i, s in enumerate(segs):
        if s.startswith("{"):
            continue
        followed = i + 1 < len(segs) and segs[i + 1].startswith("{")
        words.append(singular(s) if followed else s)
    return "_".join([method.lower()] + [snake(w) for w in words] or ["root"])


def operations(spec):
    ops, seen = [], {}
    for path, item in spec.doc["paths"].items():
        for method in METHODS:
            if method in item:
                op = Op(spec, path, method, item, item[method])
                if op.py_name in seen:
                    raise SpecError("%s %s and %s are both named %s: give one an operationId"
                                    % (op.method, path, seen[op.py_name], op.py_name))
                seen[op.py_name] = "%s %s" % (op.method, path)
                ops.append(op)
    return ops


# ----------------------------------------------------------------------------- Python

class PyTypes:
    """Type expressions for schemas; a TypedDict for each object with properties, written
    before the first type that uses it."""

    def __init__(self, spec):
        self.spec, self.out, self.names, self.done = spec, [], [], set()

    def expr(self, schema, hint):
        if schema is None:
            return "Any"
        s, ref = self.spec.resolve(schema)
        if ref is not None and "$ref" in schema and schema["$ref"].startswith("#/components/schemas/"):
            return self.named(type_name(ref), s)
        t = s.get("type")
        if isinstance(t, list) or s.get("nullable"):     # 3.1 [string, "null"]; 3.0 nullable
            ts = [x for x in (t if isinstance(t, list) else [t]) if x != "null"]
            one = [self.expr(dict(s, type=x, nullable=False), hint) for x in ts]
            e = one[0] if len(one) == 1 else "Union[%s]" % ", ".join(one)
            null = "null" in t if isinstance(t, list) else True
            return "Optional[%s]" % e if null else e
        if "const" in s or "enum" in s:
            return "Literal[%s]" % ", ".join(py_literal(v) for v in s.get("enum", [s.get("const")]))
        for k in ("oneOf", "anyOf"):
            if k in s:
                return "Union[%s]" % ", ".join(self.expr(x, hint + str(i)) for i, x in enumerate(s[k]))
        if "allOf" in s or s.get("properties"):
            return self.named(hint, s)
        if t == "array":
            return "List[%s]" % self.expr(s.get("items"), hint + "Item")
        if t == "object":
            extra = s.get("additionalProperties")
            return "Dict[str, %s]" % (self.expr(extra, hint + "Value") if isinstance(extra, dict)
                                      else "Any")
        return {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}.get(t, "Any")

    def named(self, name, s):
        if name in self.done:
            return name
        self.done.add(name)
        if not ("allOf" in s or s.get("properties")):
            body = self.expr(s, name)     # an alias: Dict[...], List[...], a scalar
            self.out.append("%s = %s\n" % (name, body))
            self.names.append(name)
            return name
        bases, props, req = [], {}, set()
        for part in s.get("allOf", []) + [s]:
            if "$ref" in part:
                bases.append(self.expr(part, name))
            else:
                props.update(part.get("properties") or {})
                req |= set(part.get("required", []))
        fields = [(n, self.expr(p, name + pascal(n)), field_doc(self.spec.resolve(p)[0]))
                  for n, p in props.items()]
        lines = []
        if any(not n.isidentifier() or keyword.iskeyword(n) for n in props):
            # a name such as "from": the functional form, which has neither bases nor, before
            # Python 3.11, required keys
            if bases:
                raise SpecError("%s: a field name Python cannot spell beside allOf" % name)
            body = ["# " + l for l in wrap(one_line(s.get("description")), 96)]
            if req:
                body.append("# always there: " + ", ".join(n for n in props if n in req))
            body.append("%s = TypedDict(%s, {" % (name, json.dumps(name)))
            for n, t, d in fields:
                body += ["    #: " + l for l in wrap(d, 92)] if d else []
                body.append(py_field(json.dumps(n), t) + ",")
            lines.append("\n".join(body + ["}, total=False)"]) + "\n")
        else:
            def cls(cname, base, total, fs):
                head = "class %s(%s%s):" % (cname, ", ".join(base or ["TypedDict"]),
                                           "" if total else ", total=False")
                body = []
                if cname == name and s.get("description"):
                    body.append('    """%s"""' % py_doc_text(one_line(s["description"])))
                for n, t, d in fs:
                    if d:
                        body += ["    #: " + l for l in wrap(d, 92)]
                    body.append(py_field(n, t))
                return "\n".join([head] + (body or ["    pass"])) + "\n"
            required = [f for f in fields if f[0] in req]
            optional = [f for f in fields if f[0] not in req]
            if required and optional:
                lines.append(cls("_%sRequired" % name, bases, True, required))
                bases = ["_%sRequired" % name]
            lines.append(cls(name, bases, not optional, optional or required))
        self.out.append("\n\n".join(lines))
        self.names.append(name)
        return name


def field_doc(s):
    """A field's description on one line, deprecated said first."""
    d = one_line(s.get("description"))
    return ("deprecated: " + d if d else "deprecated") if s.get("deprecated") else d


def param_schema(p):
    """A parameter's schema with the parameter's own description and deprecation."""
    s = dict(p.get("schema") or {})
    for k in ("description", "deprecated"):
        if p.get(k):
            s[k] = p[k]
    return s


def py_literal(v):
    return "None" if v is None else json.dumps(v, ensure_ascii=False)


def py_field(name, t):
    """A TypedDict's field; a Literal too long for a line, a value a line."""
    line = "    %s: %s" % (name, t)
    if len(line) <= 100 or not t.startswith("Literal["):
        return line
    values = ast.literal_eval("[%s]" % t[len("Literal["):-1])
    return "    %s: Literal[\n%s\n    ]" % (
        name, "\n".join("        %s," % py_literal(v) for v in values))


def py_doc_text(text):
    return text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"')


def py_ident(name):
    n = re.sub(r"\W", "_", name)
    return n + "_" if keyword.iskeyword(n) or n == "self" else n


def py_result(types, op):
    if op.result is None:
        return "Any"
    if op.result_ref is not None and "$ref" not in op.result:
        return types.named(type_name(op.result_ref + "Response"), op.result)
    return types.expr(op.result, op.pascal + "Response")


def py_method(types, op):
    kw = []        # (python name, wire name, type, required, where, description)
    for p in op.query:
        kw.append((py_ident(p["name"]), p["name"],
                   types.expr(p.get("schema"), op.pascal + pascal(p["name"])),
                   bool(p.get("required")), "query", field_doc(param_schema(p))))
    for n, s, r in op.fields:
        kw.append((py_ident(n), n, types.expr(s, op.pascal + pascal(n)), r, "body",
                   field_doc(types.spec.resolve(s)[0])))
    # path parameters are positional-only: one may take another name than a keyword's
    taken = {k[0] for k in kw}
    pos = [(("path_" if py_ident(p["name"]) in taken else "") + py_ident(p["name"]), p)
           for p in op.path_params]
    args = ["self"] + ["%s: %s" % (n, types.expr(p.get("schema"), op.pascal + pascal(p["name"])))
                       for n, p in pos]
    if pos:
        args.append("/")
    if kw:
        args.append("*")
    args += ["%s: %s" % (n, t) if req else "%s: Optional[%s] = None" % (n, t)
             for n, _, t, req, _, _ in kw]
    if op.extra is not None:
        args.append("**fields: %s" % types.expr(op.extra, op.pascal + "Field"))
    result = py_result(types, op)
    sig = "    def %s(%s) -> %s:" % (op.py_name, ", ".join(args), result)
    if len(sig) > 100:
        sig = "    def %s(\n%s\n    ) -> %s:" % (
            op.py_name, "\n".join("        %s," % a for a in args), result)
    doc = op_doc(op)
    described = [(n, d) for n, _, _, _, _, d in kw if d]
    if described:
        doc.append("")
        for n, d in described:
            lines = wrap("%s: %s" % (n, d), 84)
            doc += lines[:1] + ["    " + l for l in lines[1:]]
    doc = "\n".join(("        " + l).rstrip() for l in doc).strip()
    # the call
    path = op.path
    for n, p in pos:
        path = path.replace("{%s}" % p["name"], "{_seg(%s)}" % n)
    path = ("f" if pos else "") + json.dumps(path)

    def mapping(where):
        items = ["%s: %s" % (json.dumps(w), n) for n, w, _, _, wh, _ in kw if wh == where]
        if where == "body" and op.extra is not None:
            items.append("**fields")
        return items
    query = mapping("query") if op.query else None
    body = mapping("body") if op.has_body else None
    call = [json.dumps(op.method), path,
            "{%s}" % ", ".join(query) if query is not None else "None",
            "{%s}" % ", ".join(body) if body is not None else "None"]
    call += [] if op.auth else ["auth=False"]
    ret = "        return self._request(%s)" % ", ".join(call)
    if len(ret) > 100:
        def block(items):
            if items is None:
                return "None"
            return "{\n%s\n            }" % "\n".join("                %s," % i for i in items)
        call[2:4] = [block(query), block(body)]
        ret = "        return self._request(\n%s\n        )" % "\n".join(
            "            %s," % c for c in call)
    return '%s\n        """%s\n        """\n%s\n' % (sig, py_doc_text(doc), ret)


def python(spec, ops):
    types = PyTypes(spec)
    for name, schema in spec.doc.get("components", {}).get("schemas", {}).items():
        types.named(type_name(name), schema)
    methods = [py_method(types, op) for op in ops]
    info = spec.doc["info"]
    head = '''# Generated by scripts/gen_clients.py from docs/openapi.yaml: do not edit (`make clients`).
"""The types and operations of the %s (version %s), one method per operation.

Client (__init__.py) supplies _request: a method returns the answer's JSON, or raises
OmniqError. A keyword argument left at None is not sent.
"""
from __future__ import annotations

from typing import Any, Dict, List, Literal, Optional, TypedDict, Union  # noqa: F401
from urllib.parse import quote as _quote


def _seg(value: Any) -> str:
    """A path parameter, every reserved character escaped."""
    return _quote(str(value), safe="")
''' % (info["title"], info["version"])
    ops_class = '''class Operations:
    """The REST API's operations (docs/openapi.yaml); Client makes the calls."""

    def _request(self, method: str, path: str, query: Optional[Dict[str, Any]],
                 body: Optional[Dict[str, Any]], auth: bool = True) -> Any:
        raise NotImplementedError
'''
    all_ = "__all__ = [\n%s\n]\n" % "\n".join(
        "    %s," % json.dumps(n) for n in ["Operations"] + types.names)
    return "\n\n".join([head] + types.out + [ops_class + "\n" + "\n".join(methods)]).rstrip() \
        + "\n\n\n" + all_


# ----------------------------------------------------------------------------- JavaScript

class TsTypes:
    def __init__(self, spec):
        self.spec, self.out, self.done = spec, [], set()

    def expr(self, schema, indent=""):
        if schema is None:
            return "unknown"
        s, ref = self.spec.resolve(schema)
        if ref is not None and "$ref" in schema and schema["$ref"].startswith("#/components/schemas/"):
            return self.named(type_name(ref), s)
        t = s.get("type")
        if isinstance(t, list) or s.get("nullable"):     # 3.1 [string, "null"]; 3.0 nullable
            return " | ".join("null" if x == "null" else self.expr(dict(s, type=x, nullable=False), indent)
                              for x in (t if isinstance(t, list) else [t, "null"]))
        if "const" in s or "enum" in s:
            return " | ".join(json.dumps(v, ensure_ascii=False) for v in s.get("enum", [s.get("const")]))
        for k in ("oneOf", "anyOf"):
            if k in s:
                return " | ".join(self.expr(x, indent) for x in s[k])
        if "allOf" in s:
            return " & ".join(self.expr(x, indent) for x in s["allOf"])
        if t == "array":
            item = self.expr(s.get("items"), indent)
            return ("Array<%s>" if re.search(r" [|&] ", item) and not item.startswith("{")
                    else "%s[]") % item
        extra = s.get("additionalProperties")
        if s.get("properties"):
            return self.object(s, indent)
        if t == "object":
            return "Record<string, %s>" % (self.expr(extra, indent) if isinstance(extra, dict)
                                           else "unknown")
        return {"string": "string", "integer": "number", "number": "number",
                "boolean": "boolean"}.get(t, "unknown")

    def members(self, s, indent):
        req = set(s.get("required", []))
        lines = []
        for n, p in (s.get("properties") or {}).items():
            ps = self.spec.resolve(p)[0]
            d = one_line(ps.get("description"))
            if d or ps.get("deprecated"):
                tag = ["@deprecated"] if ps.get("deprecated") else []
                lines.append(ts_doc(wrap(d, 92 - len(indent)) + tag, indent + "  "))
            key = "%s%s" % (n if re.fullmatch(r"[A-Za-z_$][\w$]*", n) else json.dumps(n),
                            "" if n in req else "?")
            line = "%s  %s: %s;" % (indent, key, self.expr(p, indent + "  "))
            values = ps.get("enum")
            if len(line) > 100 and values:      # a value a line
                line = "%s  %s:\n%s;" % (indent, key, "\n".join(
                    "%s    | %s" % (indent, json.dumps(v, ensure_ascii=False)) for v in values))
            lines.append(line)
        extra = s.get("additionalProperties")
        if isinstance(extra, dict):
            lines.append("%s  [key: string]: %s | undefined;"
                         % (indent, self.expr(extra, indent + "  ")))
        return lines

    def object(self, s, indent):
        return "{\n%s\n%s}" % ("\n".join(self.members(s, indent)), indent)

    def named(self, name, s):
        if name in self.done:
            return name
        self.done.add(name)
        doc = ts_doc(wrap(one_line(s["description"]), 92), "") + "\n" if s.get("description") else ""
        if "allOf" in s and all("$ref" in x or x.get("properties") for x in s["allOf"]):
            bases = [self.expr(x) for x in s["allOf"] if "$ref" in x]
            own = {"properties": {}, "required": []}
            for x in s["allOf"]:
                if "$ref" not in x:
                    own["properties"].update(x["properties"])
                    own["required"] += x.get("required", [])
            text = "%sexport interface %s extends %s {\n%s\n}\n" % (
                doc, name, ", ".join(bases), "\n".join(self.members(own, "")))
        elif s.get("properties"):
            text = "%sexport interface %s {\n%s\n}\n" % (doc, name, "\n".join(self.members(s, "")))
        else:
            text = "%sexport type %s = %s;\n" % (doc, name, self.expr(s))
        self.out.append(text)
        return name


def ts_doc_text(text):
    return text.replace("*/", "*\\/")


def ts_doc(lines, indent):
    """A JSDoc comment of these lines."""
    lines = [ts_doc_text(l) for l in lines]
    if len(lines) == 1 and len(indent) + len(lines[0]) + 7 <= 100:
        return "%s/** %s */" % (indent, lines[0])
    return "%s/**\n%s\n%s */" % (indent, "\n".join(("%s * %s" % (indent, l)).rstrip() for l in lines),
                                indent)


def js_call(head, args, indent):
    """head(args...); on one line, or one argument a line when that is over 100 columns."""
    one = "%s%s(%s);" % (indent, head, ", ".join(args))
    if len(one) <= 100:
        return one
    return "%s%s(\n%s\n%s);" % (indent, head, "\n".join("%s  %s," % (indent, a) for a in args), indent)


def js_ident(name):
    n = re.sub(r"[^\w$]", "_", name)
    return n + "_" if n in JS_RESERVED else n


def ts_result(types, op):
    if op.result is None:
        return "unknown"
    if op.result_ref is not None and "$ref" not in op.result:
        return types.named(type_name(op.result_ref + "Response"), op.result)
    s, _ = types.spec.resolve(op.result)
    if "$ref" not in op.result and (s.get("properties") or "allOf" in s):
        return types.named(op.pascal + "Response", op.result)
    return types.expr(op.result)


def js_method(types, op):
    pos = [(js_ident(p["name"]), p) for p in op.path_params]
    path = op.path
    for n, p in pos:
        path = path.replace("{%s}" % p["name"], "${seg(%s)}" % n)
    kw = [(p["name"], param_schema(p), bool(p.get("required"))) for p in op.query]
    kw += op.fields
    has_params = bool(kw) or op.extra is not None
    args = [n for n, _ in pos] + (["params"] if has_params else [])
    lines = ["  // %s %s" % (op.method, op.path), "  %s(%s) {" % (op.js_name, ", ".join(args))]
    if has_params:
        lines.append(js_call("const [query, body] = take", [
            "params", json.dumps([p["name"] for p in op.query]),
            json.dumps([n for n, _, _ in op.fields]) if op.has_body else "null",
            "true" if op.extra is not None else "false"], "    "))
        q, b = "query", "body"
    else:
        q, b = "null", "{}" if op.has_body else "null"
    lines.append(js_call("return this._request", [json.dumps(op.method), "`%s`" % path, q, b]
                         + ([] if op.auth else ["false"]), "    "))
    js = "\n".join(lines + ["  }"]) + "\n"
    # the declaration
    targs = ["%s: %s" % (n, types.expr(p.get("schema"))) for n, p in pos]
    if has_params:
        if kw:
            obj = {"properties": {n: s or {} for n, s, _ in kw},
                   "required": [n for n, _, r in kw if r]}
            if op.extra is not None:
                obj["additionalProperties"] = op.extra
            ptype = types.object(obj, "  ")
        else:
            ptype = "Record<string, %s>" % types.expr(op.extra)
        optional = not any(r for _, _, r in kw) and op.extra is None
        targs.append("params%s: %s" % ("?" if optional else "", ptype))
    # (the params' fields carry their own descriptions)
    dts = "%s\n  %s(%s): Promise<%s>;\n" % (ts_doc(op_doc(op), "  "), op.js_name, ", ".join(targs),
                                            ts_result(types, op))
    return js, dts


def javascript(spec, ops):
    types = TsTypes(spec)
    for name, schema in spec.doc.get("components", {}).get("schemas", {}).items():
        types.named(type_name(name), schema)
    pairs = [js_method(types, op) for op in ops]
    info = spec.doc["info"]
    js = '''// Generated by scripts/gen_clients.py from docs/openapi.yaml: do not edit (`make clients`).
// The operations of the %s (version %s); Client (index.js) supplies _request.

/** A path parameter, every reserved character escaped. */
const seg = (value) => encodeURIComponent(String(value));

/** params split into [query, body]: the names each takes; a name of neither is refused
 * unless the body takes any (extra). undefined and null are not sent. */
function take(params, queryNames, bodyNames, extra) {
  const query = {};
  const body = bodyNames ? {} : null;
  for (const [k, v] of Object.entries(params ?? {})) {
    if (v === undefined || v === null) continue;
    if (queryNames.includes(k)) query[k] = v;
    else if (bodyNames && (bodyNames.includes(k) || extra)) body[k] = v;
    else throw new TypeError(`unknown parameter ${k}`);
  }
  return [query, body];
}

export class Operations {
%s}
''' % (info["title"], info["version"], "\n".join(j for j, _ in pairs))
    dts = '''// Generated by scripts/gen_clients.py from docs/openapi.yaml: do not edit (`make clients`).
// The types of the %s (version %s).

%s
/** The REST API's operations (docs/openapi.yaml); Client makes the calls. */
export declare abstract class Operations {
%s}
''' % (info["title"], info["version"], "\n".join(types.out), "\n".join(d for _, d in pairs))
    return js, dts


def generate(spec_path):
    with open(spec_path, encoding="utf-8") as f:
        spec = Spec(yaml.safe_load(f))
    ops = operations(spec)
    js, dts = javascript(spec, ops)
    return {PY_OUT: python(spec, ops), JS_OUT: js, DTS_OUT: dts}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", default=os.path.join(TOP, "docs/openapi.yaml"))
    ap.add_argument("--out", default=TOP, help="the root the files are written under")
    a = ap.parse_args()
    try:
        files = generate(a.spec)
    except (SpecError, KeyError, yaml.YAMLError) as e:
        sys.exit("gen_clients: %s: %s" % (a.spec, e))
    for rel, text in files.items():
        path = os.path.join(a.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        print("gen_clients: wrote %s" % os.path.relpath(path))


if __name__ == "__main__":
    main()
