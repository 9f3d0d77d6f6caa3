"""The check of a webhook omniq sends (an integrator's channel, the app push; docs/admin-ws.md).

omniq signs each POST with X-Omniq-Signature-V2: t=<unix seconds>,sha256=<hex>, where hex is
the lowercase hex HMAC-SHA256 of "<t>." followed by the body, keyed with the channel's secret
as its bytes. The time inside what is signed is what makes a replay detectable: a delivery
recorded and sent again later is refused once t is more than tolerance_s from now (omniq
retries a delivery with a fresh t). The older X-Omniq-Signature (the body alone, no time)
is not looked at. Only lowercase hex is taken, as omniq writes it. Drop repeated
X-Omniq-Delivery ids yourself: a retry within the tolerance verifies again.
"""
import hashlib
import hmac
import json
import re
import time
from typing import Any, Mapping, Optional, Union

HEADER = "X-Omniq-Signature-V2"
_HEX = re.compile(r"[0-9a-f]{64}")


class WebhookError(Exception):
    """The delivery is not to be trusted; reason says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _header(headers: Any, name: str) -> Optional[str]:
    """The header's first value, its name in any case: a dict, an http.client/email Message,
    or any mapping or list of (name, value) pairs."""
    items = headers.items() if hasattr(headers, "items") else headers
    for k, v in items:
        if k.lower() == name.lower():
            return v[0] if isinstance(v, (list, tuple)) else v
    return None


def verify_webhook(secret: Union[str, bytes], headers: Union[Mapping[str, Any], Any],
                   body: Union[bytes, bytearray, memoryview, str], tolerance_s: float = 300,
                   now: Optional[float] = None) -> Any:
    """The delivery's JSON payload once its X-Omniq-Signature-V2 is right for secret and its
    time within tolerance_s seconds of now (default: the clock); WebhookError otherwise.
    body is the request's raw bytes (a str is taken as their UTF-8)."""
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    raw = body.encode() if isinstance(body, str) else bytes(body)
    value = _header(headers, HEADER)
    if value is None:
        raise WebhookError("no %s header" % HEADER)
    parts = dict(p.strip().split("=", 1) for p in value.split(",") if "=" in p)
    t, sig = parts.get("t", ""), parts.get("sha256", "")
    if not t.isdigit() or not t.isascii() or not sig:
        raise WebhookError("malformed %s header" % HEADER)
    want = hmac.new(key, t.encode() + b"." + raw, hashlib.sha256).hexdigest()
    if not _HEX.fullmatch(sig) or not hmac.compare_digest(sig, want):
        raise WebhookError("signature mismatch")
    if abs((time.time() if now is None else now) - int(t)) > tolerance_s:
        raise WebhookError("timestamp outside the tolerance")
    try:
        return json.loads(raw)
    except ValueError:
        raise WebhookError("body is not JSON") from None
