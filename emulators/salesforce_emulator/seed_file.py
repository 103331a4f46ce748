"""Read seed JSON files without holding them in memory.

A generated 1M-row world has a ~375 MB seed; ``json.loads`` of the whole file needs several GB
and holds every record at once. :class:`SeedFile` instead walks the top-level object with an
incremental reader (``json.JSONDecoder.raw_decode`` over a sliding text buffer): metadata keys
(``org``, ``users``, ``fields``…) are decoded whole — they are small — and ``records`` is
yielded one record at a time, so memory stays at one read chunk plus one insert batch.

Because records are applied as they are read, every metadata key of a streamed file must come
*before* ``"records"`` (the generator writes ``{"records": …}`` only); a key after it is a
:class:`SeedFormatError` naming the fix. Small files are read whole by
:func:`salesforce_emulator.seeding.load_seed` and may order their keys freely.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

READ_CHARS = 1 << 20
"""Characters read per refill of the buffer."""
_TRUNCATION_MARGIN = 64
"""A decode error this close to the end of the buffer may be a cut value: read more first."""
_WHITESPACE = " \t\n\r"
_SKIP_WHITESPACE = re.compile(r"[ \t\n\r]*").match
_SEPARATOR = re.compile(r"[ \t\n\r]*([,\]])").match
_FAST_WINDOW = 1 << 16
"""Decode without refill checks while this much buffer is left (far more than a record)."""
_NOTHING = object()


class SeedFormatError(ValueError):
    """The file is not a seed JSON object; the message names the place and the fix."""


def _decode_run(buf: str, pos: int) -> tuple[list[Any], int] | None:
    """Decode the array elements from ``pos`` up to the last ``}`` in ``buf`` that ends one,
    with one ``json.loads`` (a per-record ``raw_decode`` costs as much again in Python).

    ``pos`` is the start of an element, so a cut inside a string or inside a nested object
    leaves the slice unbalanced and ``json.loads`` fails: success means whole elements. Returns
    ``(values, end)`` or None when no cut among the last few ``}`` works.
    """
    cut = buf.rfind("}", pos, len(buf) - 1)
    for _ in range(3):
        if cut <= pos:
            return None
        if _SEPARATOR(buf, cut + 1) is not None:
            try:
                return json.loads("[" + buf[pos : cut + 1] + "]"), cut + 1
            except json.JSONDecodeError:
                pass
        cut = buf.rfind("}", pos, cut)
    return None


class _Reader:
    """Sliding-window JSON reader over a text file (one value or token at a time)."""

    def __init__(self, handle: TextIO, name: str, read_chars: int = READ_CHARS) -> None:
        self._handle = handle
        self._name = name
        self._read_chars = read_chars
        self._decoder = json.JSONDecoder()
        self._buf = ""
        self._pos = 0
        self._consumed = 0  # characters dropped from the front of the buffer
        self._eof = False

    def _fill(self, size: int = 0) -> bool:
        """Append more text (dropping what is consumed); False at end of file."""
        if self._eof:
            return False
        chunk = self._handle.read(size or self._read_chars)
        if not chunk:
            self._eof = True
            return False
        self._consumed += self._pos
        self._buf = self._buf[self._pos :] + chunk
        self._pos = 0
        return True

    def error(self, reason: str, pos: int | None = None) -> SeedFormatError:
        at = self._consumed + (self._pos if pos is None else pos)
        return SeedFormatError(f"seed {self._name} is not valid JSON: {reason} (character {at})")

    def peek(self) -> str:
        """The next non-whitespace character without consuming it ('' at end of file)."""
        while True:
            buf, pos = self._buf, self._pos
            length = len(buf)
            while pos < length and buf[pos] in _WHITESPACE:
                pos += 1
            self._pos = pos
            if pos < length:
                return buf[pos]
            if not self._fill():
                return ""

    def take(self, char: str) -> None:
        found = self.peek()
        if found != char:
            shown = repr(found) if found else "end of file"
            raise self.error(f"expected {char!r}, found {shown}")
        self._pos += 1

    def value(self) -> Any:
        """Decode the next complete JSON value."""
        self.peek()
        read = self._read_chars
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                cut = exc.pos >= len(self._buf) - _TRUNCATION_MARGIN or exc.msg.startswith(
                    "Unterminated string"
                )
                if cut and self._fill(read):
                    read *= 2  # a long value: read bigger steps, not quadratically many
                    continue
                raise self.error(exc.msg, exc.pos) from None
            if (
                type(value) in (int, float)
                and end + _TRUNCATION_MARGIN >= len(self._buf)
                and self._fill(read)
            ):
                continue  # a number near the end of the buffer may go on ("0." of "0.5")
            self._pos = end
            return value

    def string(self) -> str:
        if self.peek() != '"':
            raise self.error("expected a quoted key")
        key = self.value()
        assert isinstance(key, str)
        return key

    def members(self, where: str) -> Iterator[str]:
        """Keys of the object starting here; the caller consumes each value before the next."""
        if self.peek() != "{":
            raise self.error(f"{where} must be a JSON object")
        self._pos += 1
        if self.peek() == "}":
            self._pos += 1
            return
        while True:
            key = self.string()
            self.take(":")
            yield key
            nxt = self.peek()
            self._pos += 1
            if nxt == "}":
                return
            if nxt != ",":
                self._pos -= 1
                raise self.error(f"expected ',' or '}}' in {where}")

    def elements(self, where: str) -> Iterator[Any]:
        """Values of the array starting here, decoded one by one.

        The loop decodes straight from the buffer while plenty of it is left (the common
        case); near the end of the buffer it goes through :meth:`value`, which refills."""
        if self.peek() != "[":
            raise self.error(f"{where} must be a JSON array")
        self._pos += 1
        if self.peek() == "]":
            self._pos += 1
            return
        decode = self._decoder.raw_decode
        runs = True
        while True:
            buf = self._buf
            pos = _SKIP_WHITESPACE(buf, self._pos).end()
            ample = len(buf) - pos > _FAST_WINDOW
            run = _decode_run(buf, pos) if ample and runs else None
            if run is not None:
                values, self._pos = run
                yield from values
            else:
                runs = runs and not ample  # nested objects defeat runs: one at a time from here
                value: Any = _NOTHING
                if ample:
                    try:
                        value, self._pos = decode(buf, pos)
                    except json.JSONDecodeError:
                        value = _NOTHING  # let value() report it with refills and offsets
                if value is _NOTHING:
                    self._pos = pos
                    value = self.value()
                yield value
            match = _SEPARATOR(self._buf, self._pos)
            if match is not None and match.end() < len(self._buf):
                self._pos = match.end()
                if match.group(1) == "]":
                    return
                continue
            nxt = self.peek()
            self._pos += 1
            if nxt == "]":
                return
            if nxt != ",":
                self._pos -= 1
                raise self.error(f"expected ',' or ']' in {where}")

    def end(self) -> None:
        if self.peek() != "":
            raise self.error("unexpected text after the seed object")


class SeedFile:
    """A seed JSON file read incrementally: :meth:`metadata` first, then :meth:`records`.

    ``records()`` yields ``(object_name, record)`` pairs in file order and must be consumed to
    the end; it re-reads the file from the start, so both can be called again (``reset``).
    """

    def __init__(
        self, path: str | Path, name: str | None = None, *, read_chars: int = READ_CHARS
    ) -> None:
        self.path = Path(path)
        self.name = name or str(path)
        self.read_chars = read_chars

    def _open(self) -> TextIO:
        return self.path.open(encoding="utf-8", newline="")  # JSON needs no newline translation

    def metadata(self) -> dict[str, Any]:
        """Every top-level key before ``records`` (records are not read)."""
        with self._open() as handle:
            reader = _Reader(handle, self.name, self.read_chars)
            meta: dict[str, Any] = {}
            for key in reader.members("the seed"):
                if key == "records":
                    return meta
                meta[key] = reader.value()
            reader.end()
            return meta

    def records(self) -> Iterator[tuple[str, Any]]:
        """``(object_name, record)`` for every record, streamed."""
        with self._open() as handle:
            reader = _Reader(handle, self.name, self.read_chars)
            seen_records = False
            for key in reader.members("the seed"):
                if seen_records:
                    raise SeedFormatError(
                        f"seed {self.name}: key {key!r} comes after 'records'; in a streamed "
                        "seed file put 'records' last (metadata must be applied first)"
                    )
                if key != "records":
                    reader.value()  # metadata, already applied from metadata()
                    continue
                seen_records = True
                if reader.peek() == "n":
                    reader.value()  # "records": null, as in a dict seed
                    continue
                for obj_name in reader.members("records"):
                    for record in reader.elements(f"records.{obj_name}"):
                        yield obj_name, record
            reader.end()
