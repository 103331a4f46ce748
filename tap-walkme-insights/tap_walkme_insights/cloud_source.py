"""Exports in object stores through fsspec (S3, Azure Blob, GCS…): an object, prefix or glob."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from tap_walkme_insights.export_source import (
    EXPORT_SUFFIXES,
    GLOB_CHARS,
    ExportRef,
    ExportSource,
    FetchedExport,
    SourceError,
    is_export_name,
    iso_time,
    temporary_file,
)
from tap_walkme_insights.http import redact_url


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
            return iso_time(float(value))
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
            if GLOB_CHARS & set(self.path):
                found = self.fs.glob(self.path, detail=True)
                return [info for info in found.values() if info.get("type") != "directory"]
            if self.path.endswith("/") or self.fs.isdir(self.path):
                listing = self.fs.ls(self.path, detail=True)
                return [
                    info
                    for info in listing
                    if info.get("type") != "directory" and is_export_name(info["name"])
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
        with temporary_file(suffix) as (path, handle):
            with self.fs.open(ref.location, "rb") as remote:
                shutil.copyfileobj(remote, handle, 1024 * 1024)
            handle.close()
            yield FetchedExport(ExportRef(ref.label, str(path), ref.identity, ref.compressed), path)
