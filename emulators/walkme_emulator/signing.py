"""Signed report links: `/g_reports/<uuid>.csv?Expires=<epoch>&Signature=<hmac>`.

WalkMe's report-subscription e-mails carry links of this shape that download with a plain GET
until the signature expires. The emulator signs `path + "\\n" + expires` with HMAC-SHA256 (hex),
which is enough to test valid, expired and tampered links; the exact algorithm of the real
service is not public and nothing here depends on it.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

SIGNED_PREFIX = "/g_reports/"
_UUID_NAMESPACE = uuid.UUID("6f1f7a52-9d0e-4c43-8a53-0c2a4f1b7e11")


def report_uuid(name: str) -> str:
    """Stable UUID for a report name, so signed links survive an emulator restart."""
    return str(uuid.uuid5(_UUID_NAMESPACE, name))


def signed_path_for(name: str) -> str:
    """The unsigned `/g_reports/<uuid>.csv` path of a report."""
    return f"{SIGNED_PREFIX}{report_uuid(name)}.csv"


def signature(key: str, path: str, expires: int) -> str:
    """Hex HMAC-SHA256 over the path and expiry."""
    message = f"{path}\n{expires}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def sign_path(key: str, path: str, ttl: int, *, now: float | None = None) -> str:
    """Return `path?Expires=…&Signature=…`, valid for `ttl` seconds from `now`."""
    expires = int((time.time() if now is None else now) + ttl)
    query = urlencode({"Expires": expires, "Signature": signature(key, path, expires)})
    return f"{path}?{query}"


@dataclass(frozen=True)
class Verdict:
    """Outcome of checking a signed link; `code` follows cloud-bucket error codes."""

    ok: bool
    code: str = ""
    message: str = ""


def verify(key: str, path: str, query: dict[str, list[str]], now: float) -> Verdict:
    """Check a signed link's query; expiry is checked after the signature, like S3 does."""
    expires_values = query.get("Expires", [])
    signature_values = query.get("Signature", [])
    if not expires_values or not signature_values:
        return Verdict(
            False,
            "AccessDenied",
            "Query-string authentication requires the Expires and Signature parameters.",
        )
    try:
        expires = int(expires_values[0])
    except ValueError:
        return Verdict(False, "AccessDenied", "Invalid date (should be seconds since epoch).")
    expected = signature(key, path, expires)
    if not hmac.compare_digest(expected, signature_values[0]):
        return Verdict(
            False,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    if now > expires:
        return Verdict(False, "AccessDenied", "Request has expired")
    return Verdict(True)
