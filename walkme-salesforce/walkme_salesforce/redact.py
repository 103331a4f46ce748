"""Redaction of signed links: a pre-signed URL is a credential for as long as it is valid.

An S3/GCS/Azure pre-signed URL, a CloudFront signed URL or any link with a ``token``/``sig``
parameter lets whoever holds it read the export. Such links may be a tap's ``source``; they are
shown and logged as ``https://host/path?<signed query redacted>``. User info (``user:password@``)
in a URL is redacted the same way.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit

REDACTED_QUERY = "<signed query redacted>"
_URL = re.compile(r"\b(?:https?|s3|s3a|gs|gcs|az|abfss?|azure)://[^\s'\"<>`]+", re.IGNORECASE)
#: Query parameters that make a link a credential (compared lower-case).
_SIGNING_PARAMS = frozenset(
    {
        "signature",
        "sig",
        "token",
        "access_token",
        "auth",
        "code",
        "key",
        "api_key",
        "apikey",
        "key-pair-id",
        "policy",
        "security-token",
        "x-amz-security-token",
    }
)
_SIGNING_PREFIXES = ("x-amz-", "x-goog-", "x-ms-")


def is_signing_param(name: str) -> bool:
    """True for a query parameter that signs or authorises the link."""
    lowered = name.lower()
    return lowered in _SIGNING_PARAMS or lowered.startswith(_SIGNING_PREFIXES)


def is_signed_url(url: str) -> bool:
    """True when the URL carries a signature/token in its query (or a password)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if parts.password:
        return True
    return any(is_signing_param(name) for name, _ in parse_qsl(parts.query, keep_blank_values=True))


def redact_url(url: str) -> str:
    """The URL with a signed query and any password replaced; other URLs unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username or ''}:<redacted>@{parts.hostname or ''}"
        if parts.port:
            netloc += f":{parts.port}"
    query = parts.query
    names = [name for name, _ in parse_qsl(query, keep_blank_values=True)]
    if any(is_signing_param(name) for name in names):
        query = REDACTED_QUERY
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def redact_text(text: str) -> str:
    """Every URL in a text (a log line, a listing) with its signature redacted."""
    if "://" not in text:
        return text
    return _URL.sub(lambda match: redact_url(match.group(0)), text)
