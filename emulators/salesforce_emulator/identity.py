"""Who a bearer token belongs to: the ``Authorization`` header, ``GET /services/oauth2/userinfo``
and the identity URL ``GET /id/{orgId}/{userId}`` (the token response's ``id``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .wire import Request, Response, json_response

if TYPE_CHECKING:
    from .org import Org
    from .users import User


def bearer(req: Request) -> str | None:
    auth = req.headers.get("authorization", "")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() in {"bearer", "oauth"} and value.strip():
        return value.strip()
    return None


def _identity_user(org: Org, req: Request) -> User | None:
    tok = bearer(req) or req.arg("oauth_token")
    info = org.tokens.validate(tok) if tok else None
    return org.users.get(info.user_id) if info else None


def _urls(org: Org, user: User) -> dict[str, str]:
    base = org.base_url
    return {
        "enterprise": f"{base}/services/Soap/c/{{version}}/{org.org_id[:15]}",
        "metadata": f"{base}/services/Soap/m/{{version}}/{org.org_id[:15]}",
        "partner": f"{base}/services/Soap/u/{{version}}/{org.org_id[:15]}",
        "rest": f"{base}/services/data/v{{version}}/",
        "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
        "search": f"{base}/services/data/v{{version}}/search/",
        "query": f"{base}/services/data/v{{version}}/query/",
        "recent": f"{base}/services/data/v{{version}}/recent/",
        "profile": f"{base}/{user.id}",
        "custom_domain": base,
    }


def userinfo(org: Org, req: Request) -> Response:
    """``GET /services/oauth2/userinfo`` (OpenID Connect shape)."""
    user = _identity_user(org, req)
    if user is None:
        return Response(403, b"Bad_OAuth_Token", content_type="text/plain;charset=UTF-8")
    id_url = f"{org.base_url}/id/{org.org_id}/{user.id}"
    return json_response(
        {
            "sub": id_url,
            "user_id": user.id,
            "organization_id": org.org_id,
            "preferred_username": user.username,
            "nickname": user.username.split("@")[0],
            "name": user.display_name,
            "email": user.email,
            "email_verified": True,
            "given_name": user.first_name,
            "family_name": user.last_name,
            "zoneinfo": "GMT",
            "profile": f"{org.base_url}/{user.id}",
            "urls": _urls(org, user),
            "active": user.active,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": 0,
            "updated_at": "2026-01-01T00:00:00Z",
            "is_app_installed": True,
        }
    )


def identity(org: Org, req: Request, org_id: str, user_id: str) -> Response:
    """``GET /id/{orgId}/{userId}``: the identity URL from the token response."""
    user = _identity_user(org, req)
    if user is None:
        return Response(403, b"Bad_OAuth_Token", content_type="text/plain;charset=UTF-8")
    if org_id[:15] != org.org_id[:15] or user_id[:15] != user.id[:15]:
        return Response(403, b"Bad_Id", content_type="text/plain;charset=UTF-8")
    return json_response(
        {
            "id": f"{org.base_url}/id/{org.org_id}/{user.id}",
            "asserted_user": True,
            "user_id": user.id,
            "organization_id": org.org_id,
            "username": user.username,
            "nick_name": user.username.split("@")[0],
            "display_name": user.display_name,
            "email": user.email,
            "email_verified": True,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "timezone": "GMT",
            "status": {"created_date": None, "body": None},
            "urls": _urls(org, user),
            "active": user.active,
            "user_type": "STANDARD",
            "language": "en_US",
            "locale": "en_US",
            "utcOffset": 0,
            "last_modified_date": "2026-01-01T00:00:00.000+0000",
            "is_app_installed": True,
        }
    )
