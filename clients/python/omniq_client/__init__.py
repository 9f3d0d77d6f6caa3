"""A small typed client of omniq's REST API (docs/openapi.yaml), and the webhook verifier.

    from omniq_client import Client, OmniqError
    api = Client("http://omniq:8080", "crm", "<secret>")
    s = api.post_channel_messages("line", identity="chan:line:U1", body="Hello", cid="m-1")

One method per operation, generated from the OpenAPI (_generated.py: `make clients`);
this file is the one HTTP call they all make. The standard library only.
"""
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Optional

from ._generated import *  # noqa: F401,F403  (the types)
from ._generated import Operations, __all__ as _types
from .webhook import WebhookError, verify_webhook

__version__ = "0.1.0"
__all__ = ["Client", "OmniqError", "WebhookError", "verify_webhook"] + _types


class OmniqError(Exception):
    """omniq refused the request: the HTTP status and omniq's error code and message
    (`{"error": {"code": ..., "message": ...}}`). code is None when the answer was not
    omniq's (a proxy's page, say); retry_after the Retry-After seconds of a 429 or 503."""

    def __init__(self, status: int, code: Optional[str], message: str,
                 retry_after: Optional[int] = None):
        super().__init__("HTTP %d %s: %s" % (status, code, message))
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after


def _query_value(v: Any) -> str:
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


class Client(Operations):
    """Calls omniq at base_url with the API key key_name:secret (modparam api_key); each call
    returns the answer's JSON or raises OmniqError; a network failure raises OSError
    (urllib.error.URLError, socket.timeout) after timeout seconds."""

    def __init__(self, base_url: str, key_name: str, secret: str, timeout: float = 10):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._auth = "Bearer %s:%s" % (key_name, secret)

    def __repr__(self):
        return "Client(%r)" % self.base_url     # never the secret

    def _request(self, method: str, path: str, query: Optional[Dict[str, Any]],
                 body: Optional[Dict[str, Any]], auth: bool = True) -> Any:
        url = self.base_url + path
        q = {k: _query_value(v) for k, v in (query or {}).items() if v is not None}
        if q:
            url += "?" + urllib.parse.urlencode(q)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps({k: v for k, v in body.items() if v is not None}).encode()
            headers["Content-Type"] = "application/json"
        if auth:
            headers["Authorization"] = self._auth
        req = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                raw = r.read()
        except urllib.error.HTTPError as e:
            raise _error(e.code, e.read(), e.headers.get("Retry-After")) from None
        return json.loads(raw) if raw else None


def _error(status: int, raw: bytes, retry_after: Optional[str]) -> OmniqError:
    ra = int(retry_after) if retry_after and retry_after.isdigit() else None
    try:
        e = json.loads(raw)["error"]
        return OmniqError(status, e["code"], e["message"], ra)
    except (ValueError, KeyError, TypeError):
        return OmniqError(status, None, raw[:200].decode("utf-8", "replace") or "no body", ra)
