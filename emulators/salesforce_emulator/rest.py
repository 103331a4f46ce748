"""REST basics under ``/services/data/``: the handler context, the versions, the resource map,
limits and the object lookup every resource shares.

Handlers receive a :class:`Ctx` (the org, the request, the authenticated user and the API
version) and return a :class:`~salesforce_emulator.wire.Response` or raise
:class:`~salesforce_emulator.wire.ApiError`. The resources themselves: :mod:`.rest_describe`,
:mod:`.rest_query`, :mod:`.rest_records` (and :mod:`.sobject_collections`, :mod:`.sosl`, the
Bulk modules).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .metadata import ObjectDef
from .wire import Request, Response, json_response, not_found

if TYPE_CHECKING:
    from .org import Org
    from .users import User

MIN_VERSION = 31  # SOAP API End-of-Life Policy: versions 31.0 and later are supported
MAX_VERSION = 67
PAGE_SIZE = 2000
_SEASONS = ("Summer", "Winter", "Spring")  # 31.0 was Summer '14


@dataclass
class Ctx:
    org: Org
    req: Request
    user: User
    version: str  # "67.0"

    @property
    def prefix(self) -> str:
        return f"/services/data/v{self.version}"


def versions(base: str = "") -> list[dict[str, str]]:
    """``GET /services/data/``: every supported version, oldest first."""
    out = []
    for v in range(MIN_VERSION, MAX_VERSION + 1):
        step = v - 31
        season = _SEASONS[step % 3]
        year = 14 + (step + 2) // 3
        out.append(
            {"label": f"{season} '{year}", "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
        )
    return out


def resources(ctx: Ctx) -> Response:
    p = ctx.prefix
    return json_response(
        {
            "limits": f"{p}/limits",
            "sobjects": f"{p}/sobjects",
            "query": f"{p}/query",
            "search": f"{p}/search",
            "queryAll": f"{p}/queryAll",
            "composite": f"{p}/composite",
            "jobs": f"{p}/jobs",
        }
    )


def object_or_404(ctx: Ctx, name: str) -> ObjectDef:
    obj = ctx.org.object(name)
    if obj is None or not ctx.user.can(obj.name, "read"):
        raise not_found()
    return obj


def limits(ctx: Ctx) -> Response:
    return json_response(ctx.org.api.limits_json(ctx.org.bulk.batches_used))
