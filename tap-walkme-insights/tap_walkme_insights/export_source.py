"""What every export source shares: the located export, its local copy and the base class.

The identity written to the state bookmark is JSON: kind, secret-free location, size and
modification time (files, objects; plus the ETag when the store gives one) or the SHA-256 of the
downloaded body (https). Remote exports are downloaded once to a temporary file so both passes of
the sync read the same bytes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from tap_walkme_insights.errors import TapWalkMeInsightsError

EXPORT_SUFFIXES = (".csv", ".csv.gz")
GLOB_CHARS = set("*?[")


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


def is_export_name(name: str) -> bool:
    """Whether a file or object name is an export (``.csv`` or ``.csv.gz``)."""
    return name.lower().endswith(EXPORT_SUFFIXES)


def iso_time(timestamp: float) -> str:
    """A POSIX timestamp as ISO 8601 in UTC."""
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


@contextmanager
def temporary_file(suffix: str) -> Iterator[tuple[Path, IO[bytes]]]:
    """A named temporary file (path, open handle), deleted afterwards."""
    handle = tempfile.NamedTemporaryFile(prefix="tap-walkme-", suffix=suffix, delete=False)  # noqa: SIM115
    path = Path(handle.name)
    try:
        yield path, handle
    finally:
        handle.close()
        path.unlink(missing_ok=True)
