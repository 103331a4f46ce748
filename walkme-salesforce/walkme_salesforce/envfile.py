"""Read and update a Meltano project's `.env` file without exposing or loosening it.

The setup commands keep Salesforce refresh tokens (and other connection values) in `.env`, the
file Meltano loads into every plugin's environment. The file holds secrets, so it is always
written with mode 0600 (created that way, tightened if it was looser, and replaced atomically so
no reader ever sees a half-written or world-readable copy). Lines this module does not manage —
comments, blank lines, other keys — are kept exactly as they were.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from dotenv import dotenv_values

ENV_FILE_MODE = 0o600
_KEY_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")
_VALID_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_value(value: str) -> str:
    """Quote a value so python-dotenv (Meltano's reader) returns it unchanged.

    Backslashes and single quotes are escaped the way python-dotenv decodes them inside single
    quotes. python-dotenv expands `${NAME}` even inside quotes and has no escape for it, so such
    a value is refused (OAuth tokens and secrets never contain it).
    """
    if "\n" in value or "\r" in value:
        raise ValueError("A .env value cannot contain a line break.")
    if "${" in value:
        raise ValueError("A .env value cannot contain '${' (python-dotenv would expand it).")
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def read_env(path: Path) -> dict[str, str]:
    """Return the key → value pairs of a `.env` file (empty when it does not exist)."""
    if not path.exists():
        return {}
    return {k: v for k, v in dotenv_values(path, interpolate=False).items() if v is not None}


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path` atomically with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".env.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, ENV_FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    os.chmod(path, ENV_FILE_MODE)


def update_env(
    path: Path,
    set_values: Mapping[str, str] | None = None,
    unset: Iterable[str] = (),
) -> None:
    """Set and/or remove keys in a `.env` file, keeping every other line as it was.

    A key that already exists is replaced in place (its first occurrence; later duplicates are
    dropped so the file has one value per key); new keys are appended. The result has mode 0600
    even if the file existed with looser permissions.
    """
    set_values = dict(set_values or {})
    removing = set(unset) - set(set_values)
    for key in [*set_values, *removing]:
        if not _VALID_KEY.match(key):
            raise ValueError(f"{key!r} is not a valid environment variable name.")
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    out: list[str] = []
    written: set[str] = set()
    for line in lines:
        match = _KEY_LINE.match(line)
        key = match.group(1) if match else None
        if key is None or (key not in set_values and key not in removing):
            out.append(line)
            continue
        if key in removing or key in written:
            continue
        out.append(f"{key}={quote_value(set_values[key])}")
        written.add(key)
    out.extend(f"{k}={quote_value(v)}" for k, v in set_values.items() if k not in written)
    _write_private(path, "\n".join(out) + ("\n" if out else ""))
