"""Reads Singer messages from stdin: msgspec for speed, the SDK's JSON reader as the fallback.

msgspec decodes lines about twice as fast as the standard library, but refuses a line that holds
bytes that were not valid UTF-8 (stdin is decoded with ``surrogateescape``, so they arrive as
lone surrogates). Such a line is decoded by the SDK's own reader instead, so the bad value
reaches :mod:`.coercion`, which rejects that one row with its reason rather than the whole run.
"""

from __future__ import annotations

from singer_sdk.singerlib.encoding.simple import SimpleSingerReader

try:
    from singer_sdk.contrib.msgspec import MsgSpecReader
except ImportError:  # pragma: no cover - a plugin venv installed before msgspec was a dependency
    MsgSpecReader = None  # type: ignore[assignment,misc]

_FALLBACK = SimpleSingerReader()

if MsgSpecReader is None:  # pragma: no cover
    SingerMessageReader: type = SimpleSingerReader
else:

    class SingerMessageReader(MsgSpecReader):  # type: ignore[no-redef]
        """msgspec reader that hands lines with invalid UTF-8 to the SDK's JSON reader."""

        def deserialize_json(self, line: str) -> dict:
            """Decode one line; see the module docstring."""
            try:
                return super().deserialize_json(line)
            except UnicodeEncodeError:
                return _FALLBACK.deserialize_json(line)
