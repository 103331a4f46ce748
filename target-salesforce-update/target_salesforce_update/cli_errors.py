"""One clear line instead of a traceback when the target stops for a reason it explains.

A preflight refusal or a Salesforce error (wrong credentials, a missing field, the daily API
limit…) already carries a message naming the problem and the fix; the SDK's exception hook would
log it with a ~40-line traceback after it. Here the target logs the message once, the
`summary.json` of each stream that failed, and exits with status 1 (as an uncaught exception
does). The traceback is logged only at debug level: `LOGLEVEL=debug` (the SDK's switch, also
`TARGET_SALESFORCE_UPDATE_LOGLEVEL`) or `meltano --log-level debug` (`MELTANO_CLI_LOG_LEVEL`).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

from .exceptions import redact

_LEVEL_VARIABLES = ("TARGET_SALESFORCE_UPDATE_LOGLEVEL", "LOGLEVEL", "MELTANO_CLI_LOG_LEVEL")


def debug_requested() -> bool:
    """Whether the user asked for debug output (then tracebacks are shown)."""
    return any(os.environ.get(name, "").lower() == "debug" for name in _LEVEL_VARIABLES)


def exit_with_one_line(
    logger: logging.Logger, error: BaseException, summaries: Iterable[Path] = ()
) -> NoReturn:
    """Log `error` as one line (plus where its summary is), the traceback only for debug; exit 1."""
    logger.error("%s", redact(str(error)) or type(error).__name__)
    for path in summaries:
        logger.error("Summary: %s", path)
    if debug_requested():
        logger.error("Traceback of the error above (debug output)", exc_info=error)
    else:
        logger.info("(run with LOGLEVEL=debug or meltano --log-level debug for the traceback)")
    sys.exit(1)
