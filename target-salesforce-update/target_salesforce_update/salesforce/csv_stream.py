"""Bulk API 2.0 answers CSV (job results, query results): read them as a stream of lines."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from typing import Any


def response_lines(response: Any) -> Iterator[str]:
    """Stream a text response as lines that keep their endings (what ``csv`` expects)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    for chunk in response.iter_content(chunk_size=64 * 1024):
        pending += decoder.decode(chunk)
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line + "\n"
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending
