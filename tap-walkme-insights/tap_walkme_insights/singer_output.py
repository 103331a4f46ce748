"""``SingerStdoutWriter``: Singer messages to stdout, RECORDs encoded with msgspec.

Why not the SDK's writers: the default one encodes with ``simplejson`` (≈ 22 % of the tap's CPU
on large reports) and flushes stdout after every message; ``singer_sdk.contrib.msgspec``
encodes ``time_extracted`` as ``…Z`` (msgspec's native datetime form) where the SDK writes
``…+00:00``, writes only to ``sys.stdout.buffer`` (absent when stdout is redirected to a
``StringIO``, as the SDK's test helpers do) and also flushes per message.

What this writer emits is the same JSON *value* as the SDK's default writer for every message:

- RECORD messages are encoded by msgspec, with ``time_extracted`` pre-formatted exactly as the
  SDK does (``datetime.isoformat(sep="T")``, its date-and-seconds part cached per second).
  Record values are the tap's own (str, int, float, bool, None); msgspec writes non-ASCII
  characters as UTF-8 instead of ``\\u`` escapes and floats in their shortest round-trip form
  (``1e16`` for ``1e+16``) — the same values to any JSON reader. A value msgspec cannot
  encode falls back to the SDK's encoder, and so does everything when msgspec is not installed
  (an environment set up before it became a dependency: slower, same output).
- every other message (SCHEMA, STATE, ACTIVATE_VERSION, BATCH: a handful per run) goes through
  the SDK's own ``serialize_json`` unchanged.

Writing: RECORD lines are collected and written to stdout ~64 KB at a time (one ``write``
instead of one per record; the SDK's writers also flush after every message). Any other
message is written at once *after* the records before it, then stdout is flushed — so a
target sees every record before the STATE that covers it, and a STATE is never held back.
Records still pending at exit are written by an ``atexit`` hook. When stdout is a text stream
without a binary buffer (tests, in-process runs), every line is written at once.
"""

from __future__ import annotations

import atexit
import datetime as dt
import sys
from typing import Any

from singer_sdk.singerlib.encoding.base import GenericSingerWriter
from singer_sdk.singerlib.encoding.simple import Message, RecordMessage
from singer_sdk.singerlib.json import serialize_json

try:
    import msgspec
except ImportError:  # pragma: no cover - an environment installed before msgspec was a dependency
    msgspec = None  # type: ignore[assignment]

_ENCODER = (  # Decimal as a JSON number, like the SDK
    msgspec.json.Encoder(decimal_format="number") if msgspec is not None else None
)
_ENCODE_ERRORS: tuple[type[Exception], ...] = (TypeError, OverflowError, UnicodeEncodeError)
if msgspec is not None:
    _ENCODE_ERRORS += (msgspec.EncodeError,)
_UTC = dt.timezone.utc
_PENDING_BYTES = 64 * 1024


class _UtcIsoformat:
    """``datetime.isoformat(sep="T")`` for UTC datetimes, the date-and-seconds part cached.

    ``isoformat`` costs ~2.5 µs, as much as encoding the rest of a record; records extracted
    within the same second share their first 19 characters.
    """

    __slots__ = ("_key", "_prefix")

    def __init__(self) -> None:
        self._key: tuple[int, ...] = ()
        self._prefix = ""

    def __call__(self, moment: dt.datetime) -> str:
        if moment.tzinfo is not _UTC:
            return moment.isoformat(sep="T")
        key = (moment.second, moment.minute, moment.hour, moment.day, moment.month, moment.year)
        if key != self._key:
            self._key = key
            self._prefix = moment.isoformat(sep="T")[:19]
        micro = moment.microsecond
        return f"{self._prefix}.{micro:06d}+00:00" if micro else f"{self._prefix}+00:00"


_utc_isoformat = _UtcIsoformat()


def _record_payload(message: RecordMessage) -> dict[str, Any]:
    """The SDK's ``RecordMessage.to_dict()``, with ``time_extracted`` already a string."""
    payload: dict[str, Any] = {"type": "RECORD", "stream": message.stream, "record": message.record}
    if message.version is not None:
        payload["version"] = message.version
    if message.time_extracted is not None:
        payload["time_extracted"] = _utc_isoformat(message.time_extracted)
    return payload


class SingerStdoutWriter(GenericSingerWriter[bytes, Message]):
    """Writes one JSON line per message to stdout (see the module docstring)."""

    def serialize_message(self, message: Message) -> bytes:
        """Encode ``message`` as one line of JSON, newline included, in UTF-8."""
        if isinstance(message, RecordMessage):
            payload = _record_payload(message)
            if _ENCODER is not None:
                try:
                    return _ENCODER.encode(payload) + b"\n"
                except _ENCODE_ERRORS:
                    pass
            return (serialize_json(payload) + "\n").encode()
        return (serialize_json(message.to_dict()) + "\n").encode()

    def __init__(self) -> None:
        """Start with nothing pending; pending RECORDs are also written at interpreter exit."""
        super().__init__()
        self._pending = bytearray()
        atexit.register(self._write_pending_at_exit)

    def _write_pending_at_exit(self) -> None:
        """Only non-empty after an abnormal end (every STATE writes what is pending); a reader
        that already went away (closed pipe) is not worth a second traceback."""
        try:
            self._write_pending()
        except (BrokenPipeError, ValueError):
            self._pending.clear()

    def _write_pending(self) -> None:
        if self._pending:
            sys.stdout.buffer.write(self._pending)
            self._pending.clear()
            sys.stdout.flush()

    def write_message(self, message: Message) -> None:
        """Queue a RECORD (written once ~64 KB are pending); write anything else at once, after
        the pending RECORDs, and flush."""
        line = self.format_message(message)
        is_record = isinstance(message, RecordMessage)
        stdout = sys.stdout
        if getattr(stdout, "buffer", None) is None:  # a text stream (tests, in-process runs)
            stdout.write(line.decode())
            if not is_record:
                stdout.flush()
            return
        self._pending += line
        if not is_record or len(self._pending) >= _PENDING_BYTES:
            stdout.buffer.write(self._pending)
            self._pending.clear()
            if not is_record:
                stdout.flush()
