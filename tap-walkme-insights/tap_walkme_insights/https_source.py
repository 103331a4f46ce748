"""One export at an HTTPS URL: a signed link, or a URL read with WalkMe's bearer token."""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from tap_walkme_insights.export_source import (
    ExportRef,
    ExportSource,
    FetchedExport,
    SourceError,
    temporary_file,
)
from tap_walkme_insights.http import HttpAuthError, HttpClient, is_plain_http_to_remote, redact_url
from tap_walkme_insights.walkme_auth import WalkMeTokenProvider

# The logger keeps the name it had before sources.py was split (log filters and lines unchanged).
LOGGER = logging.getLogger("tap_walkme_insights.sources")


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
        with temporary_file(suffix) as (path, handle):
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
