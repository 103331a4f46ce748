"""The error tables: which named error an unsuccessful Salesforce answer becomes.

A REST or Bulk answer that is not 2xx (and is not retried) is looked up by its Salesforce
``errorCode`` first, then by its HTTP status; what it does not match is a plain
:class:`SalesforceError`. Each entry names the class and the fix appended to the message
("problem: fix"). The classes live under the package's one root in
:mod:`target_salesforce_update.exceptions`.

The OAuth endpoints have their own table (:data:`OAUTH_FIXES`, OAuth ``error`` → fix) and one
builder for every refusal there (:func:`oauth_refusal`); :func:`tls_error` is the error for a
certificate that does not verify, wherever it happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from ..exceptions import (
    AccessDeniedError,
    AuthenticationError,
    BadRequestError,
    InvalidFieldError,
    MalformedQueryError,
    NotFoundError,
    RequestLimitExceededError,
    SalesforceError,
    SessionExpiredError,
    TlsVerificationError,
    redact,
)

__all__ = [
    "BY_ERROR_CODE",
    "BY_STATUS",
    "OAUTH_FIXES",
    "ErrorRule",
    "error_details",
    "error_for",
    "oauth_refusal",
    "tls_error",
]


@dataclass(frozen=True)
class ErrorRule:
    """One row of the table: the class to raise and the text appended to the message."""

    error: type[SalesforceError]
    fix: str = ""


_FIELD = ErrorRule(InvalidFieldError, "; check the field's API name and that the user can see it")
_MISSING = ErrorRule(NotFoundError, "; check the object's API name and the user's access to it")
_NO_ACCESS = ErrorRule(
    AccessDeniedError,
    "; the user or the org may not do this: check the user's profile / permission sets and "
    "that the org has API access",
)

#: Salesforce ``errorCode`` → rule (looked up first).
BY_ERROR_CODE: Mapping[str, ErrorRule] = {
    "REQUEST_LIMIT_EXCEEDED": ErrorRule(
        RequestLimitExceededError,
        ". The org's daily API request limit is used up; the run stops. Wait for the rolling "
        "24-hour window or ask Salesforce for a higher limit",
    ),
    "MALFORMED_QUERY": ErrorRule(MalformedQueryError),
    "INVALID_FIELD": _FIELD,
    "INVALID_FIELD_FOR_INSERT_UPDATE": _FIELD,
    "NO_SUCH_COLUMN": _FIELD,
    "NOT_FOUND": _MISSING,
    "INVALID_TYPE": _MISSING,
    "API_DISABLED_FOR_ORG": _NO_ACCESS,
    "API_CURRENTLY_DISABLED": _NO_ACCESS,
    "INSUFFICIENT_ACCESS": _NO_ACCESS,
}

#: HTTP status → rule (when the ``errorCode`` has no row). 401's fix depends on whether the
#: flow can renew a session (see :func:`error_for`).
BY_STATUS: Mapping[int, ErrorRule] = {
    400: ErrorRule(BadRequestError),
    401: ErrorRule(SessionExpiredError),
    403: _NO_ACCESS,
    404: _MISSING,
}

_SESSION_FIX = {
    True: "; a freshly renewed session was refused too: check the user's access",
    False: "; the access_token expired: supply a new one or use a renewable auth_flow",
}


def error_details(response: requests.Response) -> tuple[str | None, str]:
    """``(errorCode, message)`` of an error answer (JSON list, JSON object or text)."""
    try:
        body: Any = response.json()
    except ValueError:
        return None, response.text[:500]
    if isinstance(body, list) and body and isinstance(body[0], Mapping):
        body = body[0]
    if isinstance(body, Mapping):
        code = body.get("errorCode") or body.get("error")
        message = body.get("message") or body.get("error_description") or ""
        return (str(code) if code else None), str(message)
    return None, str(body)[:500]


def error_for(
    status: int,
    code: str | None,
    message: str,
    where: str,
    *,
    secrets: tuple[str, ...] = (),
    can_renew: bool = True,
) -> SalesforceError:
    """The named error for an answer of ``status`` / ``code`` to the request ``where``
    (``"GET /services/…"``); ``secrets`` are removed from the server's message."""
    message = redact(message, secrets)
    text = f"{where} failed: HTTP {status} {code or ''}: {message}".replace("  ", " ")
    rule = BY_ERROR_CODE.get(code or "") or BY_STATUS.get(status) or ErrorRule(SalesforceError)
    fix = _SESSION_FIX[can_renew] if rule.error is SessionExpiredError else rule.fix
    return rule.error(f"{text}{fix}", status=status, error_code=code)


# What to tell the user for each OAuth error we can recognise.
OAUTH_FIXES = {
    "invalid_client_id": "the client_id is not a known connected app consumer key: copy the "
    "Consumer Key from the connected app into client_id",
    "invalid_client": "the client_id/client_secret pair was refused: check client_secret "
    "against the connected app's Consumer Secret",
    "invalid_grant": "the grant was refused",
    "unsupported_grant_type": "this org or login_url does not allow this auth_flow: "
    "client_credentials needs a My Domain login_url and the flow enabled on the connected app",
    "inactive_user": "the user is inactive: activate the user or use another one",
    "inactive_org": "the org is locked, closed or suspended",
}


def tls_error(url: str) -> TlsVerificationError:
    """The error for a certificate that does not verify (never retried: it will not heal)."""
    return TlsVerificationError(
        f"the TLS certificate of {urlsplit(url).netloc} could not be verified: fix the URL, "
        "or point REQUESTS_CA_BUNDLE at the CA bundle that signs it (verification is never "
        "switched off)"
    )


def oauth_refusal(
    what: str,
    fix: str,
    *,
    status: int,
    code: str | None,
    shown: str | None = None,
    description: str = "",
    secrets: tuple[str | None, ...] = (),
) -> AuthenticationError:
    """The one error for a refusal at the OAuth endpoints: "Salesforce refused {what}:
    {code} ({description}); {fix}" with every known secret removed."""
    description = redact(description, secrets)
    detail = f" ({description})" if description else ""
    return AuthenticationError(
        f"Salesforce refused {what}: {shown or code}{detail}; {fix}",
        status=status,
        error_code=code,
    )
