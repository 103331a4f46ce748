"""The data API's route table: method + path under ``/services/data/vNN.0`` → handler, and the
request kind each route is counted as in ``requests_by_kind``."""

from __future__ import annotations

import re
from collections.abc import Callable

from . import rest, rest_describe, rest_query, rest_records, sobject_collections, sosl
from .wire import Response

Handler = Callable[..., Response]
# (method, pattern, kind, handler)
_ROUTES: list[tuple[str, re.Pattern[str], str, Handler]] = []


def _route(method: str, pattern: str, kind: str, handler: Handler) -> None:
    _ROUTES.append((method, re.compile(f"^{pattern}/?$"), kind, handler))


_NAME = r"([A-Za-z][A-Za-z0-9_]*)"
_route("GET", "", "resources", rest.resources)
_route("GET", "/limits", "limits", rest.limits)
_route("GET", "/sobjects", "describe", rest_describe.describe_global)
_route("GET", f"/sobjects/{_NAME}", "describe", rest_describe.sobject_info)
_route("POST", f"/sobjects/{_NAME}", "sobject_create", rest_records.create_record)
_route("GET", f"/sobjects/{_NAME}/describe", "describe", rest_describe.describe)
_route("GET", f"/sobjects/{_NAME}/([^/]+)", "sobject_get", rest_records.get_record)
_route("PATCH", f"/sobjects/{_NAME}/([^/]+)", "sobject_update", rest_records.patch_record)
_route("DELETE", f"/sobjects/{_NAME}/([^/]+)", "sobject_delete", rest_records.delete_record)
_route("GET", "/query", "query", rest_query.query)
_route("GET", "/search", "search", sosl.search)
_route("GET", "/query/([^/]+)", "query", rest_query.query_more)
_route("GET", "/queryAll", "query", lambda ctx: rest_query.query(ctx, include_deleted=True))
_route("GET", "/queryAll/([^/]+)", "query", rest_query.query_more)
_route("PATCH", "/composite/sobjects", "collections_update", sobject_collections.update)
_route("POST", "/composite/sobjects", "collections_create", sobject_collections.create)
_route("DELETE", "/composite/sobjects", "collections_delete", sobject_collections.delete)
_route(
    "POST",
    "/jobs/ingest",
    "bulk_ingest",
    lambda ctx: ctx.org.bulk.create(ctx.req, ctx.user, ctx.version),
)
_route("GET", "/jobs/ingest", "bulk_ingest", lambda ctx: ctx.org.bulk.list(ctx.user))
_route(
    "GET",
    "/jobs/ingest/(750[A-Za-z0-9]+)",
    "bulk_ingest",
    lambda ctx, j: ctx.org.bulk.info(ctx.user, j),
)
_route(
    "PATCH",
    "/jobs/ingest/(750[A-Za-z0-9]+)",
    "bulk_ingest",
    lambda ctx, j: ctx.org.bulk.patch(ctx.req, ctx.user, j),
)
_route(
    "DELETE",
    "/jobs/ingest/(750[A-Za-z0-9]+)",
    "bulk_ingest",
    lambda ctx, j: ctx.org.bulk.delete(ctx.user, j),
)
_route(
    "PUT",
    "/jobs/ingest/(750[A-Za-z0-9]+)/batches",
    "bulk_ingest",
    lambda ctx, j: ctx.org.bulk.upload(ctx.req, ctx.user, j),
)
_route(
    "GET",
    "/jobs/ingest/(750[A-Za-z0-9]+)/(successfulResults|failedResults|unprocessedrecords)",
    "bulk_ingest",
    lambda ctx, j, kind: ctx.org.bulk.results(ctx.user, j, kind),
)
_route(
    "POST",
    "/jobs/query",
    "bulk_query",
    lambda ctx: ctx.org.bulk_query.create(ctx.req, ctx.user, ctx.version),
)
_route(
    "GET", "/jobs/query/(750[A-Za-z0-9]+)", "bulk_query", lambda ctx, j: ctx.org.bulk_query.info(j)
)
_route(
    "PATCH",
    "/jobs/query/(750[A-Za-z0-9]+)",
    "bulk_query",
    lambda ctx, j: ctx.org.bulk_query.patch(ctx.req, j),
)
_route(
    "DELETE",
    "/jobs/query/(750[A-Za-z0-9]+)",
    "bulk_query",
    lambda ctx, j: ctx.org.bulk_query.delete(j),
)
_route(
    "GET",
    "/jobs/query/(750[A-Za-z0-9]+)/results",
    "bulk_query",
    lambda ctx, j: ctx.org.bulk_query.results(ctx.req, j, ctx.version),
)


def find(method: str, path: str) -> tuple[Handler | None, tuple[str, ...], str, set[str]]:
    allowed: set[str] = set()
    for route_method, pattern, kind, handler in _ROUTES:
        m = pattern.match(path)
        if m:
            if route_method == method:
                return handler, m.groups(), kind, allowed
            allowed.add(route_method)
    return None, (), "", allowed
