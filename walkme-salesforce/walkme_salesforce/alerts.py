"""Alerts after a run: Slack, e-mail, a webhook… through apprise, configured once.

Configuration (shell environment first, then the project's ``.env``):

- ``WALKME_SALESFORCE_ALERT_URLS`` — one or more apprise URLs, separated by commas or spaces,
  e.g. ``slack://TokenA/TokenB/TokenC/#ops``, ``mailtos://user:pass@example.com?to=ops@x``,
  ``json://hooks.example.com/walkme`` (a JSON POST). These URLs hold credentials: keep them in
  ``.env`` (mode 0600), never in ``meltano.yml``; they are never printed or logged here.
- ``WALKME_SALESFORCE_ALERT_ON`` — the alert rule:

  * ``issues`` (default) — alert when a run is anything but ``completed``: a failed run, and a
    run that finished with rejected or failed rows (``completed_with_rejections``,
    ``completed_with_failures`` or any other status the target names), the way Hightouch
    alerts by default. Rows that did not land are what an admin must hear about;
  * ``failure`` — alert only when the run failed (status ``failed``, or Meltano exited
    non-zero without a summary);
  * ``never`` — no alerts.

  Dry runs never alert (nothing was written).

The alert's title and body name the integration, environment, status, counts and run id, and
how to see the details (`walkme-salesforce run-log RUN_ID`). They never carry secrets or report
values: no URLs, no error texts from Salesforce, no keys — only names, statuses and numbers.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dotenv import dotenv_values

from .errors import SetupError
from .run_history import COUNT_KEYS

if TYPE_CHECKING:
    from .runner import RunOutcome

ALERT_URLS_ENV = "WALKME_SALESFORCE_ALERT_URLS"
ALERT_ON_ENV = "WALKME_SALESFORCE_ALERT_ON"
ALERT_RULES = ("issues", "failure", "never")
DEFAULT_ALERT_ON = "issues"
_SPLIT = re.compile(r"[\s,]+")

logger = logging.getLogger(__name__)


def _setting(name: str, project_root: Path | None) -> str:
    value = os.environ.get(name)
    if value is None and project_root is not None:
        dotenv = project_root / ".env"
        if dotenv.is_file():
            value = dotenv_values(dotenv).get(name)
    return (value or "").strip()


def configured_urls(project_root: Path | None = None) -> list[str]:
    """The alert URLs from ``$WALKME_SALESFORCE_ALERT_URLS``, else the project's ``.env``."""
    return [url for url in _SPLIT.split(_setting(ALERT_URLS_ENV, project_root)) if url]


def alert_rule(project_root: Path | None = None) -> str:
    """The alert rule (``issues``, ``failure`` or ``never``); an unknown value is an error."""
    rule = _setting(ALERT_ON_ENV, project_root).lower() or DEFAULT_ALERT_ON
    if rule not in ALERT_RULES:
        raise SetupError(
            f"{ALERT_ON_ENV}={rule!r} is not an alert rule: use one of {', '.join(ALERT_RULES)} "
            f"(default {DEFAULT_ALERT_ON})."
        )
    return rule


class _MaskUrlSecrets(logging.Filter):
    """Masks the parts of the alert URLs (tokens, passwords, path keys) in apprise's log records.

    apprise logs an unparseable URL in full and, at debug level, the endpoint it posts to
    (a Slack webhook's path is its token); those records must not carry the credentials.
    """

    def __init__(self, urls: Sequence[str]) -> None:
        super().__init__()
        parts: set[str] = set()
        for url in urls:
            parts.add(url)
            for piece in re.split(r"[/:@?&=#,\s]+", url):
                if len(piece) >= 6:
                    parts.add(piece)
        self.parts = sorted(parts, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = message
        for part in self.parts:
            masked = masked.replace(part, "<redacted>")
        if masked != message:
            record.msg, record.args = masked, ()
        return True


@contextmanager
def _quiet_apprise(urls: Sequence[str]) -> Iterator[None]:
    """apprise's logger at WARNING or above, with the URLs' secrets masked, while it sends."""
    apprise_logger = logging.getLogger("apprise")
    mask = _MaskUrlSecrets(urls)
    level = apprise_logger.level
    apprise_logger.addFilter(mask)
    if level < logging.WARNING:
        apprise_logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        apprise_logger.removeFilter(mask)
        apprise_logger.setLevel(level)


def send_alert(
    title: str,
    body: str,
    *,
    urls: Sequence[str] | None = None,
    project_root: Path | None = None,
) -> bool:
    """Send one notification to every URL; True when all of them accepted it.

    ``urls`` default to :func:`configured_urls`. False (and a warning naming how many URLs
    failed, never the URLs) when none is configured, one is not a valid apprise URL, or a
    service refused the message.
    """
    import apprise

    targets = list(urls) if urls is not None else configured_urls(project_root)
    if not targets:
        logger.warning("No alert sent: %s is not set.", ALERT_URLS_ENV)
        return False
    with _quiet_apprise(targets):
        return _send(apprise.Apprise(), title, body, targets)


def _send(notifier: Any, title: str, body: str, targets: list[str]) -> bool:
    invalid = sum(0 if notifier.add(url) else 1 for url in targets)
    if invalid:
        logger.warning(
            "%d of %d alert URL(s) in %s are not valid apprise URLs (see apprise's URL formats).",
            invalid,
            len(targets),
            ALERT_URLS_ENV,
        )
    if len(notifier) == 0:
        return False
    sent = bool(notifier.notify(title=title, body=body))
    if not sent:
        logger.warning("An alert service did not accept the notification.")
    return sent and not invalid


def should_alert(outcome: RunOutcome, rule: str) -> bool:
    """Whether the rule asks for an alert about this outcome."""
    if rule == "never" or outcome.dry_run:
        return False
    if rule == "failure":
        return outcome.failed
    return not outcome.ok


def alert_message(outcome: RunOutcome) -> tuple[str, str]:
    """(title, body) of the alert for a run: names, status and counts only."""
    title = f"WalkMe → Salesforce: {outcome.integration} ({outcome.environment}) {outcome.status}"
    lines = [
        f"Integration: {outcome.integration}",
        f"Environment: {outcome.environment}",
        f"Job: {outcome.job}",
        f"Status: {outcome.status}",
        f"Exit code: {outcome.exit_code}",
        f"Run id: {outcome.run_id}",
    ]
    for stream in outcome.streams:
        counts = " ".join(f"{key}={stream.counts.get(key, 0)}" for key in COUNT_KEYS)
        lines.append(f"Report {stream.report} → {stream.sobject or '?'}: {stream.status}; {counts}")
    if not outcome.streams:
        lines.append("The target reported no summary: the run stopped before it finished.")
    rejected, failed = outcome.counts.get("rejected", 0), outcome.counts.get("failed", 0)
    if rejected or failed:
        lines.append(
            f"{rejected} row(s) rejected and {failed} row(s) failed did not land; their reasons "
            "are in failed.csv of the run's results folder. The next run re-reads the export."
        )
    lines.append(f"Details: walkme-salesforce run-log {outcome.run_id}")
    return title, "\n".join(lines)


def alert_for_run(
    outcome: RunOutcome,
    *,
    urls: Sequence[str] | None = None,
    rule: str | None = None,
) -> bool:
    """Send the alert the configured rule asks for; True when an alert was sent."""
    root = outcome.project_root
    rule = rule or alert_rule(root)
    if not should_alert(outcome, rule):
        return False
    targets = list(urls) if urls is not None else configured_urls(root)
    if not targets:
        return False
    title, body = alert_message(outcome)
    return send_alert(title, body, urls=targets)


def alert_test_message(project_root: Path | None, environment: str | None) -> tuple[str, str]:
    """The `alert-test` notification."""
    rule = alert_rule(project_root)
    where = f" ({environment})" if environment else ""
    return (
        f"WalkMe → Salesforce: test alert{where}",
        f"This is a test alert from walkme-salesforce{where}. Alert rule: {rule} "
        f"({ALERT_ON_ENV}). Runs will alert here.",
    )
