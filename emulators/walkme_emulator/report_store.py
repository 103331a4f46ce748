"""The reports the emulator serves: CSV files on disk, addressed by name or by signed-link UUID.

A report named `onboarding` is the file `onboarding.csv` in the reports folder, or any file
registered under that name through the inspection API (registered by path, never copied, so a
million-row export costs nothing to publish). Files are read from disk on every download, so a
generator may rewrite them while the server runs; ETag and Last-Modified come from the file's
size and modification time, like a static web server's.
"""

from __future__ import annotations

import re
import shutil
import threading
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path
from typing import BinaryIO

from .signing import report_uuid

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class ReportNameError(ValueError):
    """A report name the emulator cannot serve; the message says what is allowed."""


@dataclass(frozen=True)
class ReportFile:
    """A report as served right now."""

    name: str
    uuid: str
    path: Path
    size: int
    etag: str
    last_modified: str  # HTTP date

    def as_json(self) -> dict[str, object]:
        """Shape used by the inspection API."""
        return {
            "name": self.name,
            "uuid": self.uuid,
            "path": str(self.path),
            "size": self.size,
            "etag": self.etag,
            "last_modified": self.last_modified,
        }


def clean_name(name: str) -> str:
    """Strip a trailing `.csv` and check the name is URL-safe."""
    if name.lower().endswith(".csv"):
        name = name[:-4]
    if not NAME_PATTERN.match(name):
        raise ReportNameError(
            f"invalid report name {name!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


class ReportStore:
    """Name → file registry over a reports folder; thread-safe."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._registered: dict[str, Path] = {}

    def _candidates(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for path in sorted(self.folder.glob("*.csv")):
            stem = path.name[:-4]
            if NAME_PATTERN.match(stem):
                found[stem] = path
        with self._lock:
            found.update(self._registered)
        return found

    def register(self, name: str, path: Path) -> ReportFile:
        """Serve an existing file under `name` (no copy)."""
        name = clean_name(name)
        path = path.resolve()
        if not path.is_file():
            raise FileNotFoundError(f"report file {path} does not exist; write it first")
        with self._lock:
            self._registered[name] = path
        return self._describe(name, path)

    def upload(self, name: str, body: BinaryIO, length: int) -> ReportFile:
        """Write `length` bytes from `body` to `<folder>/<name>.csv` in chunks and serve it."""
        name = clean_name(name)
        target = self.folder / f"{name}.csv"
        partial = target.with_suffix(".csv.part")
        remaining = length
        with partial.open("wb") as out:
            while remaining > 0:
                chunk = body.read(min(remaining, 1 << 16))
                if not chunk:
                    break
                out.write(chunk)
                remaining -= len(chunk)
        if remaining:
            partial.unlink(missing_ok=True)
            raise ValueError(f"upload of {name!r} ended {remaining} bytes early")
        shutil.move(partial, target)
        with self._lock:
            self._registered.pop(name, None)
        return self._describe(name, target)

    def remove(self, name: str) -> bool:
        """Stop serving `name` (deletes the file only if it lives in the reports folder)."""
        name = clean_name(name)
        with self._lock:
            registered = self._registered.pop(name, None)
        local = self.folder / f"{name}.csv"
        if local.exists():
            local.unlink()
            return True
        return registered is not None

    def by_name(self, name: str) -> ReportFile | None:
        """Look a report up by name (with or without `.csv`)."""
        try:
            name = clean_name(name)
        except ReportNameError:
            return None
        path = self._candidates().get(name)
        return self._describe(name, path) if path else None

    def by_uuid(self, uuid: str) -> ReportFile | None:
        """Look a report up by the UUID of its signed link."""
        for name, path in self._candidates().items():
            if report_uuid(name) == uuid:
                return self._describe(name, path)
        return None

    def all(self) -> list[ReportFile]:
        """Every report currently served."""
        out = []
        for name, path in self._candidates().items():
            described = self._describe(name, path)
            if described:
                out.append(described)
        return out

    @staticmethod
    def _describe(name: str, path: Path) -> ReportFile | None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        etag = f'"{st.st_mtime_ns:x}-{st.st_size:x}"'
        return ReportFile(
            name=name,
            uuid=report_uuid(name),
            path=path,
            size=st.st_size,
            etag=etag,
            last_modified=formatdate(st.st_mtime, usegmt=True),
        )
