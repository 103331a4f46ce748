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

The identity written to the state bookmark is JSON: kind, secret-free location, size and
modification time (files, objects; plus the ETag when the store gives one) or the SHA-256 of the
downloaded body (https). Remote exports are downloaded once to a temporary file so both passes of
the sync read the same bytes.
"""

from __future__ import annotations

import datetime as dt
import glob
import gzip
import io
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO
from urllib.parse import urlsplit

from tap_walkme_insights.errors import TapWalkMeInsightsError
from tap_walkme_insights.http import (
    HttpAuthError,
    HttpClient,
    is_plain_http_to_remote,
    redact_url,
)
from tap_walkme_insights.settings import ReportSettings
from tap_walkme_insights.walkme_auth import WalkMeTokenProvider

LOGGER = logging.getLogger(__name__)
EXPORT_SUFFIXES = (".csv", ".csv.gz")
_GLOB_CHARS = set("*?[")


class SourceError(TapWalkMeInsightsError, RuntimeError):
    """The source cannot be read; the message names it (without secrets) and the fix."""


@dataclass(frozen=True)
class ExportRef:
    """A located export: a secret-free label, where to read it, and its identity."""

    label: str
    location: str
    identity: dict[str, Any]
    compressed: bool = False


class FetchedExport:
    """An export available locally for as many passes as needed."""

    def __init__(self, ref: ExportRef, path: Path) -> None:
        """Wrap the local ``path`` holding ``ref``'s bytes."""
        self.ref = ref
        self.path = path

    @property
    def label(self) -> str:
        """Secret-free name for messages."""
        return self.ref.label

    @property
    def identity(self) -> dict[str, Any]:
        """Bookmark identity of the export."""
        return self.ref.identity

    def open(self) -> BinaryIO:
        """Open the export from its start (decompressing ``.gz``)."""
        if self.ref.compressed:
            return gzip.open(self.path, "rb")  # type: ignore[return-value]
        return open(self.path, "rb")


def _is_export_name(name: str) -> bool:
    return name.lower().endswith(EXPORT_SUFFIXES)


def _iso(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, tz=dt.timezone.utc).isoformat()


class ExportSource:
    """Base class: ``locate()`` the newest export, ``sample()`` it or ``fetch()`` it."""

    def locate(self) -> ExportRef:
        """Return the export to read (the newest one for folders and globs)."""
        raise NotImplementedError

    def sample(self) -> AbstractContextManager[tuple[ExportRef, BinaryIO]]:
        """Open the newest export for reading its first rows only (discovery)."""
        raise NotImplementedError

    def fetch(
        self, ref: ExportRef, previous: dict[str, Any] | None = None
    ) -> AbstractContextManager[FetchedExport | None]:
        """Make ``ref`` readable locally; its identity is final after this.

        ``previous`` is the identity in the bookmark: a source that can ask the server whether
        the export changed (HTTP ``If-None-Match``) yields ``None`` when it did not.
        """
        raise NotImplementedError


class LocalSource(ExportSource):
    """A local file, folder or glob."""

    def __init__(self, source: str) -> None:
        """Keep the path pattern (``file://`` and ``~`` resolved)."""
        path = source[len("file://") :] if source.startswith("file://") else source
        self.pattern = os.path.expanduser(path)

    def _candidates(self) -> list[Path]:
        if _GLOB_CHARS & set(self.pattern):
            return [Path(p) for p in glob.glob(self.pattern, recursive=True) if Path(p).is_file()]
        path = Path(self.pattern)
        if path.is_dir():
            return [p for p in path.iterdir() if p.is_file() and _is_export_name(p.name)]
        if path.is_file():
            return [path]
        msg = f"Source {self.pattern!r} does not exist; give an existing file, folder or glob."
        raise SourceError(msg)

    def locate(self) -> ExportRef:
        """Return the newest matching file and its identity (path, size, mtime)."""
        candidates = self._candidates()
        if not candidates:
            msg = (
                f"Source {self.pattern!r} matches no export (a folder is searched for "
                f"{' and '.join(EXPORT_SUFFIXES)} files)."
            )
            raise SourceError(msg)
        stats = [(p.stat(), p) for p in candidates]
        stat, newest = max(stats, key=lambda item: (item[0].st_mtime_ns, item[1].name))
        resolved = str(newest.resolve())
        identity = {
            "kind": "file",
            "path": resolved,
            "size": stat.st_size,
            "modified": _iso(stat.st_mtime),
        }
        return ExportRef(
            label=resolved,
            location=resolved,
            identity=identity,
            compressed=resolved.lower().endswith(".gz"),
        )

    @contextmanager
    def sample(self) -> Iterator[tuple[ExportRef, BinaryIO]]:
        """Open the newest file."""
        ref = self.locate()
        with FetchedExport(ref, Path(ref.location)).open() as handle:
            yield ref, handle

    @contextmanager
    def fetch(
        self, ref: ExportRef, previous: dict[str, Any] | None = None
    ) -> Iterator[FetchedExport | None]:
        """Local files are read in place."""
        yield FetchedExport(ref, Path(ref.location))


@contextmanager
def _temporary_file(suffix: str) -> Iterator[tuple[Path, IO[bytes]]]:
    handle = tempfile.NamedTemporaryFile(prefix="tap-walkme-", suffix=suffix, delete=False)  # noqa: SIM115
    path = Path(handle.name)
    try:
        yield path, handle
    finally:
        handle.close()
        path.unlink(missing_ok=True)


class HttpsSource(ExportSource):
    """One export at an HTTPS URL: a signed link, or a URL read with WalkMe's token."""

    def __init__(
        self, url: str, http: HttpClient, token_provider: WalkMeTokenProvider | None
    ) -> None:
        """``token_provider`` is given only when this URL must carry the bearer token."""
        if is_plain_http_to_remote(url):
            msg = f"Source {redact_url(url)} uses plain http; use https (http only for loopback)."
            raise SourceError(msg)
        self.url = url
        self.http = http
        self.token_provider = token_provider
        self.label = redact_url(url)
        self.compressed = urlsplit(url).path.lower().endswith(".gz")

    def _headers_factory(self) -> Callable[[], dict[str, str]] | None:
        return self.token_provider.headers if self.token_provider else None

    def _with_token_retry(self, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except HttpAuthError as error:
            if self.token_provider is None or error.status != 401:
                raise
            LOGGER.info("Token refused for %s; getting a new token and retrying once.", self.label)
            self.token_provider.invalidate()
            return action()

    def locate(self) -> ExportRef:
        """The URL itself (its identity gains the body hash once fetched)."""
        return ExportRef(
            label=self.label,
            location=self.url,
            identity={"kind": "https", "url": self.label},
            compressed=self.compressed,
        )

    @contextmanager
    def sample(self) -> Iterator[tuple[ExportRef, BinaryIO]]:
        """Stream the start of the body without downloading all of it."""
        ref = self.locate()
        headers_factory = self._headers_factory()

        def get() -> Any:
            headers = headers_factory() if headers_factory else None
            return self.http.request("GET", self.url, headers=headers, stream=True)

        response = self._with_token_retry(get)
        try:
            raw: BinaryIO = io.BufferedReader(_ResponseBody(response))  # type: ignore[assignment]
            if self.compressed:
                raw = gzip.GzipFile(fileobj=raw)  # type: ignore[assignment]
            yield ref, raw
        finally:
            response.close()

    @contextmanager
    def fetch(
        self, ref: ExportRef, previous: dict[str, Any] | None = None
    ) -> Iterator[FetchedExport | None]:
        """Download the body to a temporary file, hashing it for the identity.

        When the bookmark holds this URL's ETag, the request is conditional and a 304 answer
        yields ``None`` (nothing downloaded)."""
        suffix = ".csv.gz" if self.compressed else ".csv"
        etag = None
        if previous and previous.get("url") == self.label:
            etag = previous.get("etag")
        with _temporary_file(suffix) as (path, handle):
            info = self._with_token_retry(
                lambda: self.http.download(self.url, handle, self._headers_factory(), etag)
            )
            handle.close()
            if info is None:
                LOGGER.info("%s: not modified since the last sync (ETag).", self.label)
                yield None
                return
            identity = dict(ref.identity, sha256=info.sha256, size=info.size)
            if info.etag:
                identity["etag"] = info.etag
            if info.last_modified:
                identity["last_modified"] = info.last_modified
            LOGGER.info("Downloaded %s (%d bytes).", self.label, info.size)
            yield FetchedExport(ExportRef(self.label, str(path), identity, self.compressed), path)


class _ResponseBody(io.RawIOBase):
    """A streamed ``requests`` body as a raw binary file (urllib3's own object reports itself
    closed as soon as the body is consumed, which ``io.BufferedReader`` rejects)."""

    def __init__(self, response: Any) -> None:
        self._chunks = response.iter_content(64 * 1024)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _modified(info: dict[str, Any]) -> str | None:
    for key in ("LastModified", "last_modified", "updated", "mtime", "modified", "timeCreated"):
        value = info.get(key)
        if value is None:
            continue
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=dt.timezone.utc)
            return value.astimezone(dt.timezone.utc).isoformat()
        if isinstance(value, int | float):
            return _iso(float(value))
        return str(value)
    return None


class FsspecSource(ExportSource):
    """An object, prefix or glob in a store fsspec knows (S3, Azure Blob, GCS…)."""

    _EXTRAS = {"s3": "s3", "s3a": "s3", "az": "azure", "abfs": "azure", "gs": "gcs", "gcs": "gcs"}

    def __init__(self, url: str, storage_options: dict[str, Any]) -> None:
        """Connect lazily to the store named by ``url``'s scheme."""
        import fsspec

        self.url = url
        self.protocol = urlsplit(url).scheme
        self.label = redact_url(url)
        try:
            self.fs, self.path = fsspec.core.url_to_fs(url, **storage_options)
        except ImportError:
            extra = self._EXTRAS.get(self.protocol, self.protocol)
            msg = (
                f"Reading {self.protocol}:// needs its fsspec backend: "
                f"pip install 'tap-walkme-insights[{extra}]'."
            )
            raise SourceError(msg) from None
        except ValueError:
            msg = (
                f"Source {self.label}: unknown scheme {self.protocol}://. Use a local path, "
                "https://, s3://, az://, abfs:// or gs://."
            )
            raise SourceError(msg) from None

    def _url_of(self, path: str) -> str:
        return f"{self.protocol}://{path.lstrip('/')}"

    def _candidates(self) -> list[dict[str, Any]]:
        try:
            if _GLOB_CHARS & set(self.path):
                found = self.fs.glob(self.path, detail=True)
                return [info for info in found.values() if info.get("type") != "directory"]
            if self.path.endswith("/") or self.fs.isdir(self.path):
                listing = self.fs.ls(self.path, detail=True)
                return [
                    info
                    for info in listing
                    if info.get("type") != "directory" and _is_export_name(info["name"])
                ]
            return [self.fs.info(self.path)]
        except FileNotFoundError:
            msg = f"Source {self.label} does not exist."
            raise SourceError(msg) from None
        except (PermissionError, OSError) as error:
            msg = f"Cannot list {self.label}: {type(error).__name__}. Check storage_options."
            raise SourceError(msg) from None

    def locate(self) -> ExportRef:
        """Return the newest object and its identity (location, size, modified, ETag)."""
        candidates = self._candidates()
        if not candidates:
            msg = f"Source {self.label} matches no export ({' or '.join(EXPORT_SUFFIXES)})."
            raise SourceError(msg)
        newest = max(candidates, key=lambda info: (_modified(info) or "", info["name"]))
        location = self._url_of(newest["name"])
        identity: dict[str, Any] = {
            "kind": self.protocol,
            "path": redact_url(location),
            "size": newest.get("size"),
            "modified": _modified(newest),
        }
        etag = newest.get("ETag") or newest.get("etag")
        if etag:
            identity["etag"] = str(etag)
        return ExportRef(
            label=redact_url(location),
            location=newest["name"],
            identity=identity,
            compressed=newest["name"].lower().endswith(".gz"),
        )

    @contextmanager
    def sample(self) -> Iterator[tuple[ExportRef, BinaryIO]]:
        """Open the newest object for streaming."""
        ref = self.locate()
        compression = "gzip" if ref.compressed else None
        with self.fs.open(ref.location, "rb", compression=compression) as handle:
            yield ref, handle

    @contextmanager
    def fetch(
        self, ref: ExportRef, previous: dict[str, Any] | None = None
    ) -> Iterator[FetchedExport | None]:
        """Copy the object to a temporary file (one download, both passes read the same)."""
        suffix = ".csv.gz" if ref.compressed else ".csv"
        with _temporary_file(suffix) as (path, handle):
            with self.fs.open(ref.location, "rb") as remote:
                shutil.copyfileobj(remote, handle, 1024 * 1024)
            handle.close()
            yield FetchedExport(ExportRef(ref.label, str(path), ref.identity, ref.compressed), path)


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
