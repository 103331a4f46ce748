"""The target's errors: one root, :class:`TargetSalesforceUpdateError`, for every error it raises.

The client layer's errors descend from :class:`SalesforceError`; configuration errors
(:class:`ConfigurationError`, ``integration.IntegrationConfigError``) are also ``ValueError``.
Every client error carries the HTTP status and the Salesforce ``errorCode`` when there was one,
and a message that names both the problem and the fix. Messages are passed through
:func:`redact` when the error is built, so a token, secret, key or signed URL that slipped into
a server's error text never reaches a log line or a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = [
    "AccessDeniedError",
    "ApiUsageCeilingError",
    "AuthenticationError",
    "BadRequestError",
    "BulkJobError",
    "ConfigurationError",
    "InvalidFieldError",
    "MalformedQueryError",
    "NotFoundError",
    "RequestLimitExceededError",
    "SalesforceError",
    "SessionExpiredError",
    "TargetSalesforceUpdateError",
    "TlsVerificationError",
    "TransientError",
    "redact",
]


class TargetSalesforceUpdateError(Exception):
    """The root of every error target-salesforce-update raises (``except`` it to catch all)."""


REDACTED = "[REDACTED]"

# Patterns for secrets that can appear in text we did not write ourselves (server error bodies,
# URLs). Salesforce session ids look like ``00D...!AQ...``; refresh tokens and other OAuth values
# appear as ``name=value`` pairs or behind ``Bearer``; PEM blocks are private keys; signed URLs
# carry their signature in query parameters. Only values are replaced, never words of a
# message: "Bearer token", "password: reset it" or "status code: 401" stay as written.
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S)
_SESSION_ID = re.compile(r"\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._\-]+")
_BEARER = re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/=!\-]+)")
_NAMED_VALUE = re.compile(
    r"(?i)(\b(?:access_token|refresh_token|client_secret|password|assertion|token|code|"
    r"code_verifier|signature|sig|x-amz-signature|x-amz-credential|x-amz-security-token)"
    r"(?P<keyquote>[\"']?)(?P<sep>\s*[=:]\s*)(?P<quote>[\"']?))(?P<value>[^\s&\"',;}]+)"
)
# A word of prose (letters, maybe joined by - or '), which a secret value never is unless long.
_WORD = re.compile(r"[A-Za-z]+(?:['\-][A-Za-z]+)*")
_SHORT_NUMBER = re.compile(r"\d{1,5}")  # an HTTP status or error number, not a credential
_TRAILING_PUNCTUATION = ".,;:!?)]"


def looks_like_secret(value: str) -> bool:
    """Whether a value after `token:` / `Bearer` is plausibly a credential rather than prose.

    Secrets are long or mix letters with digits and symbols; an ordinary word ("reset",
    "expired", "Head-of-Ops") or a short number (a status code) is not one.
    """
    core = value.rstrip(_TRAILING_PUNCTUATION)
    if not core:
        return False
    if len(core) >= 20:
        return True
    return not (_WORD.fullmatch(core) or _SHORT_NUMBER.fullmatch(core))


def _named_value(match: re.Match[str]) -> str:
    """Replace the value of `name=value` / `name: value` when it is (plausibly) a secret.

    `name=value` (no spaces: URL parameters, form bodies) and quoted values (JSON) are data and
    always replaced; after `name: ` in a sentence only a plausible secret value is.
    """
    value = match.group("value")
    as_data = (
        match.group("sep") == "=" or bool(match.group("quote")) or bool(match.group("keyquote"))
    )
    if not as_data and not looks_like_secret(value):
        return match.group(0)
    core = value.rstrip(_TRAILING_PUNCTUATION)
    return match.group(1) + REDACTED + value[len(core) :]


def _bearer(match: re.Match[str]) -> str:
    value = match.group(2)
    if not looks_like_secret(value):
        return match.group(0)
    core = value.rstrip(_TRAILING_PUNCTUATION)
    return match.group(1) + REDACTED + value[len(core) :]


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return ``text`` with known secrets and anything that looks like a credential removed.

    ``secrets`` are exact values the caller knows (its own tokens and client secret); they are
    replaced wherever they occur. The generic patterns catch session ids, bearer tokens, PEM
    private keys, signed-URL parameters and ``name=value`` credentials that the caller did not
    know about — values only: the words of the message stay.
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    text = _PEM.sub(REDACTED, text)
    text = _SESSION_ID.sub(REDACTED, text)
    text = _BEARER.sub(_bearer, text)
    return _NAMED_VALUE.sub(_named_value, text)


class SalesforceError(TargetSalesforceUpdateError):
    """Base class: something Salesforce (or our use of it) refused.

    Attributes:
        message: human-readable text naming the problem and, where we know it, the fix.
        status: HTTP status code of the response that caused the error, if any.
        error_code: Salesforce ``errorCode`` / OAuth ``error`` value, if any.
    """

    def __init__(
        self, message: str, *, status: int | None = None, error_code: str | None = None
    ) -> None:
        self.message = redact(message)
        self.status = status
        self.error_code = error_code
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def run_stopped_message(self) -> str:
        """How the run's summary reports this error when it stops a stream."""
        return f"Salesforce stopped the run: {self.message}"


class AuthenticationError(SalesforceError):
    """The OAuth flow failed: wrong or revoked credentials, unapproved app, bad key."""


class SessionExpiredError(SalesforceError):
    """The access token stopped working and could not be renewed."""


class RequestLimitExceededError(SalesforceError):
    """Salesforce answered REQUEST_LIMIT_EXCEEDED: the org's daily API quota is used up."""


class ApiUsageCeilingError(SalesforceError):
    """Our own ceiling (``max_daily_api_usage_percent``) was reached; no call was made."""


class MalformedQueryError(SalesforceError):
    """Salesforce rejected a SOQL statement (MALFORMED_QUERY) or it is too long to send."""


class InvalidFieldError(SalesforceError):
    """A field name is unknown or not accessible (INVALID_FIELD)."""


class NotFoundError(SalesforceError):
    """The sObject, record or resource does not exist or is not visible to the user."""


class AccessDeniedError(SalesforceError):
    """HTTP 403 (other than the daily limit): the user or org may not do this (API disabled,
    missing permission)."""


class BadRequestError(SalesforceError):
    """HTTP 400 with no more specific ``errorCode`` we know: Salesforce refused the request."""


class TransientError(SalesforceError):
    """5xx answers, timeouts, connection failures or row locks that outlasted every retry."""


class BulkJobError(SalesforceError):
    """A Bulk API 2.0 job failed or was aborted as a whole, or did not finish in time."""


class ConfigurationError(SalesforceError, ValueError):
    """The connection settings are unusable (missing values, http:// to a remote host, ...)."""


class TlsVerificationError(ConfigurationError):
    """A server's TLS certificate did not verify (never retried: it will not heal by itself)."""

    def run_stopped_message(self) -> str:
        return f"The run stopped: the TLS connection to Salesforce failed — {self.message}"
