"""Exports on the local disk: a file, the newest export of a folder, or of a glob."""

from __future__ import annotations

import glob
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from tap_walkme_insights.export_source import (
    EXPORT_SUFFIXES,
    GLOB_CHARS,
    ExportRef,
    ExportSource,
    FetchedExport,
    SourceError,
    is_export_name,
    iso_time,
)


class LocalSource(ExportSource):
    """A local file, folder or glob."""

    def __init__(self, source: str) -> None:
        """Keep the path pattern (``file://`` and ``~`` resolved)."""
        path = source[len("file://") :] if source.startswith("file://") else source
        self.pattern = os.path.expanduser(path)

    def _candidates(self) -> list[Path]:
        if GLOB_CHARS & set(self.pattern):
            return [Path(p) for p in glob.glob(self.pattern, recursive=True) if Path(p).is_file()]
        path = Path(self.pattern)
        if path.is_dir():
            return [p for p in path.iterdir() if p.is_file() and is_export_name(p.name)]
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
            "modified": iso_time(stat.st_mtime),
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
