"""Keep match keys out of third-party DEBUG logs: urllib3 logs each request line with its query
string, and a SOQL query string carries email addresses and other match keys."""

from __future__ import annotations

import logging
import re

__all__ = ["protect_urllib3_log"]

_QUERY_STRING = re.compile(r"\?[^\s\"']*")


class _RedactQueryStrings(logging.Filter):
    """Drops query strings from urllib3's DEBUG request lines: SOQL there carries match keys
    (email addresses) that do not belong in logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "?" in message:
            record.msg = _QUERY_STRING.sub("?…", message)
            record.args = ()
        return True


def protect_urllib3_log() -> None:
    pool_logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactQueryStrings) for f in pool_logger.filters):
        pool_logger.addFilter(_RedactQueryStrings())
