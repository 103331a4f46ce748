"""Answering one request (everything except transport): the inspection API, OAuth, the
identity URL, SOAP and the data API.

Data API requests (``/services/data/vNN.0/…``) go through, in order: fault latency, dropped
connection and injected 429/5xx faults, authentication (401 ``INVALID_SESSION_ID``), the route
(404/405), the daily API limit (403 ``REQUEST_LIMIT_EXCEEDED``), counting
(``Sforce-Limit-Info``) and the resource. Every response under ``/services/data/vNN.0/``
carries ``Sforce-Limit-Info``, errors included.
"""

from __future__ import annotations

import re
import time

from . import identity, inspection, oauth, rest, soap
from .faults import ApiFault
from .limits import LimitExceeded
from .org import Org
from .rest import Ctx
from .routes import find
from .wire import ApiError, OAuthError, Request, Response, json_response, not_found, session_invalid

_DATA = re.compile(r"^/services/data/v(\d+)\.(\d+)(/.*)?$")
_ID_URL = re.compile(r"^/id/([A-Za-z0-9]{15,18})/([A-Za-z0-9]{15,18})/?$")


def _limit_header(org: Org) -> dict[str, str]:
    return {"Sforce-Limit-Info": org.api.header()}


def dispatch(org: Org, req: Request) -> Response:
    """Answer one request (everything except transport concerns)."""
    path = req.path
    try:
        if path.startswith("/__emulator/"):
            return inspection.handle(org, req)
        if path.startswith("/services/"):
            delay = org.faults.latency()
            if delay:
                time.sleep(delay)
        if path.startswith("/services/oauth2/"):
            return oauth.handle(org, req)
        match = _ID_URL.match(path)
        if match:
            org.stats.request("identity", counted=False)
            return identity.identity(org, req, match.group(1), match.group(2))
        if path.rstrip("/") == "/services/data":
            org.stats.request("versions", counted=False)
            return json_response(rest.versions())  # not counted: no Sforce-Limit-Info
        if path.startswith("/services/Soap/"):
            org.stats.request("soap", counted=False)
            return soap.handle(org, req)
        match = _DATA.match(path)
        if match:
            try:
                return _with_limits(org, _data(org, req, match))
            except ApiError as exc:
                return _with_limits(org, exc.response())
        raise not_found()
    except (ApiError, OAuthError) as exc:
        return exc.response()


def _with_limits(org: Org, response: Response) -> Response:
    """Every data API response carries ``Sforce-Limit-Info`` (errors too)."""
    if not response.drop:
        response.headers.setdefault("Sforce-Limit-Info", org.api.header())
    return response


def _data(org: Org, req: Request, match: re.Match[str]) -> Response:
    major, minor, rest_path = int(match.group(1)), match.group(2), match.group(3) or ""
    if minor != "0" or not rest.MIN_VERSION <= major <= rest.MAX_VERSION:
        raise not_found()
    if org.faults.should_drop():
        org.stats.fault("drop")
        return Response(drop=True)
    fault = org.faults.api_fault()
    if fault is not None:
        org.stats.fault(str(fault.status))
        return _fault_response(fault)
    token = identity.bearer(req)
    info = org.tokens.validate(token) if token else None
    if info is None:
        raise session_invalid()
    user = org.users[info.user_id]
    ctx = Ctx(org, req, user, f"{major}.0")
    handler, args, kind, allowed = find(req.method, rest_path)
    if handler is None:
        if allowed:
            raise ApiError(
                405,
                "METHOD_NOT_ALLOWED",
                f"HTTP Method '{req.method}' not allowed. Allowed are {','.join(sorted(allowed))}",
            )
        raise not_found()
    try:
        org.api.consume()
    except LimitExceeded:
        raise ApiError(
            403,
            "REQUEST_LIMIT_EXCEEDED",
            "TotalRequests Limit exceeded.",
            headers=_limit_header(org),
        ) from None
    org.stats.request(kind, counted=True)
    try:
        response = handler(ctx, *args)
    except ApiError as exc:
        response = exc.response()
    response.headers.update(_limit_header(org))
    return response


def _fault_response(fault: ApiFault) -> Response:
    """The answer to an injected fault, given before the request is authenticated or counted.

    429: Salesforce's REST docs list no 429 (their daily-limit answer is 403
    ``REQUEST_LIMIT_EXCEEDED``, fatal); this is a throttle as a proxy or the edge may send it,
    in the REST error shape, always with ``Retry-After``. 503: the front end's HTML page.
    500/502: ``UNKNOWN_EXCEPTION`` JSON."""
    headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
    if fault.status == 429:
        return ApiError(
            429,
            "REQUEST_LIMIT_EXCEEDED",
            f"Too many requests: retry after {fault.retry_after} seconds.",
            headers=headers,
        ).response()
    if fault.status == 503:
        return Response(
            503,
            b"<html><body><h1>Service Unavailable</h1></body></html>",
            content_type="text/html;charset=UTF-8",
            headers=headers,
        )
    return ApiError(
        fault.status,
        "UNKNOWN_EXCEPTION",
        "An unexpected error occurred. Please include this ErrorId if you "
        "contact support: 1234567890-12345 (-1234567890)",
        headers=headers,
    ).response()
