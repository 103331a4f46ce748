"""The `run` and `alert-test` commands.

    walkme-salesforce run NAME_OR_JOB -e ENV [--full-refresh] [--no-alert] [--json]
    walkme-salesforce alert-test [-e ENV] [--url URL ...]

`run` streams Meltano's output, prints one outcome line (and the JSON outcome with --json),
sends the alert the alert rule asks for (:mod:`.alerts`) and exits with Meltano's exit code.
"""

from __future__ import annotations

import argparse
import json
import sys

from . import alerts
from .project import Project
from .runner import run_integration


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `run`."""
    parser.add_argument("name", metavar="NAME_OR_JOB", help="integration name or a job name")
    parser.add_argument("--environment", "-e", help="Meltano environment (required)")
    parser.add_argument("--project-root", help="Meltano project folder (default: nearest)")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="ignore the saved bookmark: re-read the newest export (Meltano saves new state)",
    )
    parser.add_argument("--no-alert", action="store_true", help="do not send an alert")
    parser.add_argument(
        "--json", action="store_true", help="print the outcome as JSON after the output"
    )


def add_alert_test_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `alert-test`."""
    parser.add_argument("--environment", "-e", help="named in the test message only")
    parser.add_argument("--project-root", help="Meltano project folder (default: nearest)")
    parser.add_argument(
        "--url",
        action="append",
        default=None,
        metavar="APPRISE_URL",
        help=f"send to this URL instead of ${alerts.ALERT_URLS_ENV}; repeatable",
    )


def cmd_run(args: argparse.Namespace) -> int:
    """Run an integration now."""
    project = Project.locate(args.project_root, args.environment)
    environment = project.require_environment()

    def show(line: str) -> None:
        print(line, flush=True)

    outcome = run_integration(
        project.root,
        args.name,
        environment=environment,
        full_refresh=args.full_refresh,
        on_output=show,
    )
    print(outcome.outcome_line())
    if args.json:
        print(json.dumps(outcome.to_json(), indent=2))
    if not args.no_alert:
        rule = alerts.alert_rule(project.root)
        if alerts.should_alert(outcome, rule):
            if not alerts.configured_urls(project.root):
                print(
                    f"No alert sent (rule {rule}): set {alerts.ALERT_URLS_ENV} in .env to be "
                    "alerted.",
                    file=sys.stderr,
                )
            elif alerts.alert_for_run(outcome, rule=rule):
                print(f"Alert sent (rule {rule}).")
            else:
                print("The alert could not be sent: see the warning above.", file=sys.stderr)
    if outcome.exit_code == 0 and not outcome.ok:
        print(f"Details: walkme-salesforce run-log {outcome.run_id}")
    return outcome.exit_code


def cmd_alert_test(args: argparse.Namespace) -> int:
    """Send a test alert to the configured (or given) URLs."""
    project = Project.locate(args.project_root, args.environment)
    urls = args.url or alerts.configured_urls(project.root)
    if not urls:
        print(
            f"Error: no alert URL: set {alerts.ALERT_URLS_ENV} in .env (comma- or space-"
            "separated apprise URLs, e.g. slack://…, mailtos://…, json://host/path) or pass "
            "--url.",
            file=sys.stderr,
        )
        return 2
    title, body = alerts.alert_test_message(project.root, project.environment)
    if alerts.send_alert(title, body, urls=urls):
        print(f"Test alert sent to {len(urls)} URL(s).")
        return 0
    print(
        "Error: the test alert was not accepted by every URL: check each URL's format and "
        "the service's credentials.",
        file=sys.stderr,
    )
    return 1
