"""SOAP API ``login()`` (``POST /services/Soap/u/NN.0``): the username/password session login
that simple-salesforce and older clients use, and nothing else of the SOAP API.

As Salesforce documents it (SOAP API Developer Guide, "login()" and "LoginResult"): the call
takes ``username`` and ``password`` (the password, followed by the security token when the
client's IP is not trusted) and answers ``sessionId``, ``serverUrl``, ``metadataServerUrl``,
``userId``, ``passwordExpired``, ``sandbox`` and ``userInfo``. Bad credentials are a SOAP fault
(HTTP 500) ``INVALID_LOGIN``. ``login()`` is served in API versions 31.0-64.0 only ("SOAP API
End-of-Life Policy": retired from 65.0; versions before 31.0 answer ``UNSUPPORTED_API_VERSION``).
The session id is an ordinary access token of the emulator, valid on the REST API.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from .oauth_credentials import check_password
from .wire import Request, Response

if TYPE_CHECKING:
    from .org import Org

MIN_LOGIN_VERSION = 31
MAX_LOGIN_VERSION = 64
_PATH = re.compile(r"^/services/Soap/([uc])/(\d+)\.(\d+)(?:/[A-Za-z0-9]*)?/?$")
_PARTNER = "urn:partner.soap.sforce.com"
_ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns="urn:partner.soap.sforce.com" xmlns:sf="urn:fault.partner.soap.sforce.com" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>{body}'
    "</soapenv:Body></soapenv:Envelope>"
)


def _xml(body: str, status: int = 200) -> Response:
    return Response(
        status, _ENVELOPE.format(body=body).encode("utf-8"), content_type="text/xml;charset=UTF-8"
    )


def fault(code: str, message: str, kind: str = "UnexpectedErrorFault") -> Response:
    """A SOAP fault as Salesforce sends it (HTTP 500, ``sf:exceptionCode`` in ``detail``)."""
    text = escape(message)
    return _xml(
        f"<soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {text}"
        f'</faultstring><detail><sf:{kind} xsi:type="sf:{kind}"><sf:exceptionCode>{code}'
        f"</sf:exceptionCode><sf:exceptionMessage>{text}</sf:exceptionMessage></sf:{kind}>"
        "</detail></soapenv:Fault>",
        500,
    )


def _login_args(body: bytes) -> tuple[str, str] | None:
    try:
        root = ElementTree.fromstring(body)  # noqa: S314 - loopback test emulator
    except ElementTree.ParseError:
        return None
    login = root.find(f".//{{{_PARTNER}}}login")
    if login is None:
        login = root.find(".//{urn:enterprise.soap.sforce.com}login")
    if login is None:
        return None
    values = {child.tag.rpartition("}")[2]: child.text or "" for child in login}
    return values.get("username", ""), values.get("password", "")


def handle(org: Org, req: Request) -> Response:
    """``POST /services/Soap/u/NN.0``: ``login()``; any other SOAP call is refused."""
    match = _PATH.match(req.path)
    if match is None or req.method != "POST":
        return fault("INVALID_OPERATION", "The emulator serves only login() on the SOAP API")
    major, minor = int(match.group(2)), match.group(3)
    if minor != "0" or major < MIN_LOGIN_VERSION:
        return fault("UNSUPPORTED_API_VERSION", f"Invalid Api version specified on URL: {major}")
    args = _login_args(req.body)
    if args is None:
        return fault(
            "INVALID_OPERATION",
            "The emulator serves only login() on the SOAP API; the body "
            "must be a SOAP envelope with <login><username/><password/></login>",
        )
    if major > MAX_LOGIN_VERSION:
        return fault(
            "UNSUPPORTED_API_VERSION",
            f"login() is not available in API version {major}.0; use OAuth 2.0, or API "
            f"version {MAX_LOGIN_VERSION}.0 or earlier",
        )
    username, password = args
    user = org.user_by_name(username)
    if user is None or not check_password(user, password):
        return fault(
            "INVALID_LOGIN",
            "Invalid username, password, security token; or user locked out.",
            "LoginFault",
        )
    token = org.tokens.issue(user, None, ("api",))["access_token"]
    version = f"{major}.0"
    org_id = org.org_id[:15]
    base = org.base_url
    return _xml(
        "<loginResponse><result>"
        f"<metadataServerUrl>{base}/services/Soap/m/{version}/{org_id}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired><sandbox>false</sandbox>"
        f"<serverUrl>{base}/services/Soap/u/{version}/{org_id}</serverUrl>"
        f"<sessionId>{escape(token)}</sessionId><userId>{user.id}</userId>"
        f"<userInfo><organizationId>{org.org_id}</organizationId>"
        f"<organizationName>{escape(org.org_name)}</organizationName>"
        f"<userEmail>{escape(user.email)}</userEmail>"
        f"<userFullName>{escape(user.display_name)}</userFullName>"
        f"<userId>{user.id}</userId><userName>{escape(user.username)}</userName>"
        "</userInfo></result></loginResponse>"
    )
