"""Resolve a report ``source`` string to a readable export and the identity of that export.

Source kinds (chosen by the string's form):

- a local path, folder or glob (also ``file://…``): a folder means its ``*.csv`` and
  ``*.csv.gz`` files; with a folder or glob the **newest** file (modification time, then name)
  is the export;
- ``https://…``: one export, downloaded with retries. It is fetched with WalkMe's bearer token
  when the report's ``auth`` is ``walkme``, or ``auto`` with client credentials configured, the
  URL on the WalkMe API host (region / ``base_url``) and no query string; otherwise (a signed
  link) with a plain GET. ``http://`` is accepted for loopback hosts only (tests, emulators);
- any other ``scheme://`` (``s3://``, ``az://``/``abfs://``, ``gs://``…) goes through fsspec with
  the report's ``storage_options``; folders (prefixes) and globs select the newest object.

One module per kind (``local_source``, ``https_source``, ``cloud_source``) on the shared base in
``export_source``; this module picks the kind and re-exports the names other modules use.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from tap_walkme_insights.cloud_source import FsspecSource
from tap_walkme_insights.export_source import (
    EXPORT_SUFFIXES,
    ExportRef,
    ExportSource,
    FetchedExport,
    SourceError,
)
from tap_walkme_insights.http import HttpClient
from tap_walkme_insights.https_source import HttpsSource
from tap_walkme_insights.local_source import LocalSource
from tap_walkme_insights.settings import ReportSettings
from tap_walkme_insights.walkme_auth import WalkMeTokenProvider

__all__ = [
    "EXPORT_SUFFIXES",
    "ExportRef",
    "ExportSource",
    "FetchedExport",
    "FsspecSource",
    "HttpsSource",
    "LocalSource",
    "SourceError",
    "build_source",
]


def _on_walkme_host(url: str, base_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def build_source(
    report: ReportSettings,
    http: HttpClient,
    token_provider: WalkMeTokenProvider | None,
    base_url: str,
) -> ExportSource:
    """Return the :class:`ExportSource` for ``report.source``."""
    source = report.source.strip()
    scheme = urlsplit(source).scheme.lower()
    if scheme in ("https", "http"):
        use_token = report.auth == "walkme" or (
            report.auth == "auto"
            and token_provider is not None
            and not urlsplit(source).query
            and _on_walkme_host(source, base_url)
        )
        if use_token and token_provider is None:
            msg = (
                f"Report {report.name!r} has auth 'walkme' but client_id/client_secret are not set."
            )
            raise SourceError(msg)
        return HttpsSource(source, http, token_provider if use_token else None)
    if scheme in ("", "file") or (len(scheme) == 1 and os.name == "nt"):
        return LocalSource(source)
    return FsspecSource(source, report.storage_options)
