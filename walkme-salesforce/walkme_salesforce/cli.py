"""`walkme-salesforce`: the integration manager's command line.

    connect      link a Meltano environment to an org (OAuth web-server flow + PKCE, or --jwt)
    check        re-check the stored connection's permissions
    disconnect   revoke the token at Salesforce and remove it locally
    describe     list objects, or one object's fields (what can match, what can be a target)
    add          create an integration (report → object, key pair, mappings, daily schedule)
    edit         change an integration
    remove       delete an integration, its job and its schedule
    list         list the integrations
    preview      dry-run an integration: first N changes before → after, unmatched/ambiguous
    run          run an integration now (meltano run), print its outcome, send the alert
    alert-test   send a test alert to the configured alert URLs
    runs         run history of every integration (status, counts, start, duration)
    run-log      one run: its summary, results files and full log
    console      the web console (accounts, wizard, Run now, run log) on 127.0.0.1

The same commands run as Meltano plugin commands, e.g.
`meltano --environment=prod invoke walkme-salesforce:connect --production`.
Exit status: 0 success, 1 a check found problems (missing permissions, failed dry run),
2 a usage or setup error (the message says what to fix).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from target_salesforce_update.cli_errors import debug_requested
from target_salesforce_update.exceptions import SalesforceError, redact
from target_salesforce_update.salesforce import SalesforceClient
from target_salesforce_update.salesforce.auth import PRODUCTION_LOGIN_URL, SANDBOX_LOGIN_URL
from target_salesforce_update.salesforce.oauth_web_flow import DEFAULT_REDIRECT_URI

from . import connect as connect_module
from . import describe as describe_module
from . import integration_commands, run_commands
from . import preview as preview_module
from . import runs as runs_module
from .console import server as console_server
from .errors import SetupError
from .integrations import tap_name, target_name
from .meltano_cli import plugin_config
from .project import Project


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--environment",
        "-e",
        help="Meltano environment (default: $MELTANO_ENVIRONMENT, else default_environment)",
    )
    parser.add_argument(
        "--project-root", help="Meltano project folder (default: nearest with meltano.yml)"
    )


def _connection_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="JSON file with the target's connection settings, instead of asking Meltano",
    )


def _integration_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="integration name, e.g. onboarding")
    parser.add_argument("--report", help="the report export: path, folder, URL or s3:// etc.")
    parser.add_argument("--report-name", help="stream name of the report (default: the name)")
    parser.add_argument("--key", help="report column holding the unique identifier")
    parser.add_argument("--object", dest="sobject", help="Salesforce object, e.g. Contact")
    parser.add_argument("--match-field", help="Salesforce field the key matches (default Email)")
    parser.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="map a report column (header or property) to a Salesforce field; repeatable",
    )
    parser.add_argument(
        "--columns",
        help="the report's columns as name:type,... when the tap cannot read the export here",
    )
    parser.add_argument(
        "--tap-config", metavar="FILE", help="JSON config for the tap instead of asking Meltano"
    )
    parser.add_argument(
        "--multiple-matches",
        choices=("skip", "update_all", "fail"),
        help="a key matching several records: skip it (what `add` writes by default), "
        "update_all, or fail the run",
    )
    parser.add_argument(
        "--null-values",
        choices=("skip", "clear"),
        help="an empty report value leaves the field alone (skip, default) or clears it",
    )
    _connection_flags(parser)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the commands)."""
    parser = argparse.ArgumentParser(
        prog="walkme-salesforce",
        description="Connect a Salesforce org and manage WalkMe → Salesforce integrations.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("connect", help="connect a Meltano environment to a Salesforce org")
    _common(p)
    org = p.add_mutually_exclusive_group()
    org.add_argument(
        "--production", action="store_const", const=PRODUCTION_LOGIN_URL, dest="login_url"
    )
    org.add_argument("--sandbox", action="store_const", const=SANDBOX_LOGIN_URL, dest="login_url")
    org.add_argument("--my-domain", dest="login_url", metavar="URL", help="My Domain login URL")
    org.add_argument("--login-url", dest="login_url", metavar="URL", help="any login URL")
    p.add_argument("--client-id", help="connected app consumer key ($SALESFORCE_CLIENT_ID)")
    p.add_argument(
        "--client-secret-env",
        default="SALESFORCE_CLIENT_SECRET",
        metavar="VAR",
        help="environment variable holding the consumer secret (default "
        "SALESFORCE_CLIENT_SECRET; prompted for when unset on a terminal)",
    )
    p.add_argument(
        "--redirect-uri",
        default=os.environ.get("SALESFORCE_REDIRECT_URI") or DEFAULT_REDIRECT_URI,
        help=f"loopback redirect URI registered on the connected app ($SALESFORCE_REDIRECT_URI, "
        f"else {DEFAULT_REDIRECT_URI})",
    )
    p.add_argument("--no-browser", action="store_true", help="print the URL, do not open it")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for approval")
    p.add_argument("--jwt", action="store_true", help="JWT bearer flow (headless servers)")
    p.add_argument("--username", help="--jwt: the run-as Salesforce username")
    p.add_argument("--private-key-path", help="--jwt: PEM key whose certificate is on the app")
    p.add_argument(
        "--check-object",
        action="append",
        default=[],
        metavar="OBJECT",
        help="object to verify access to (default: the integrations' objects, else Contact "
        "and Lead); repeatable",
    )

    p = commands.add_parser("check", help="re-check the stored connection's permissions")
    _common(p)
    _connection_flags(p)
    p.add_argument("--check-object", action="append", default=[], metavar="OBJECT")

    p = commands.add_parser("disconnect", help="revoke the token and remove it locally")
    _common(p)
    _connection_flags(p)

    p = commands.add_parser("describe", help="list objects, or one object's fields")
    _common(p)
    _connection_flags(p)
    p.add_argument("object", nargs="?", help="object API name; omit to list objects")
    p.add_argument("--all", action="store_true", help="list every object, not only updateable")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--match", action="store_const", const="match", dest="only")
    only.add_argument("--targets", action="store_const", const="target", dest="only")

    p = commands.add_parser("add", help="add an integration")
    _common(p)
    _integration_flags(p)

    p = commands.add_parser("edit", help="change an integration")
    _common(p)
    _integration_flags(p)
    p.add_argument("--unmap", action="append", default=[], metavar="COLUMN")
    p.add_argument(
        "--replace-mappings",
        action="store_true",
        help="the --map flags replace the whole mapping instead of changing it",
    )

    p = commands.add_parser("remove", help="remove an integration, its job and its schedule")
    _common(p)
    p.add_argument("name")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    p = commands.add_parser("list", help="list the integrations")
    _common(p)

    p = commands.add_parser("preview", help="dry-run an integration and show its first changes")
    _common(p)
    p.add_argument("name")
    p.add_argument("--limit", "-n", type=int, default=10, help="changes to show (default 10)")
    p.add_argument("--tap-config", metavar="FILE", help="JSON tap config instead of Meltano's")
    _connection_flags(p)

    p = commands.add_parser("run", help="run an integration now and report its outcome")
    run_commands.add_run_arguments(p)
    p = commands.add_parser("alert-test", help="send a test alert to the alert URLs")
    run_commands.add_alert_test_arguments(p)
    p = commands.add_parser("runs", help="run history of every integration")
    runs_module.add_list_arguments(p)
    p = commands.add_parser("run-log", help="one run: summary, results files and full log")
    runs_module.add_show_arguments(p)

    p = commands.add_parser("console", help="serve the web console (loopback by default)")
    console_server.add_arguments(p)
    return parser


def _read_json(path: str | None) -> dict[str, Any] | None:
    if not path:
        return None
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SetupError(f"Cannot read JSON config {path}: {exc}") from None
    if not isinstance(document, dict):
        raise SetupError(f"{path} must hold a JSON object.")
    return document


def _connection(project: Project, args: argparse.Namespace) -> dict[str, Any]:
    return connect_module.resolved_connection(project, _read_json(args.config))


def run(args: argparse.Namespace) -> int:
    """Execute one parsed command."""
    command = args.command
    if command == "runs":
        return runs_module.cmd_list(args)
    if command == "run-log":
        return runs_module.cmd_show(args)
    if command == "run":
        return run_commands.cmd_run(args)
    if command == "alert-test":
        return run_commands.cmd_alert_test(args)
    if command == "console":
        return console_server.serve(args)
    project = Project.locate(args.project_root, args.environment)
    if command == "connect":
        options = connect_module.ConnectOptions(
            login_url=args.login_url,
            client_id=args.client_id,
            client_secret_env=args.client_secret_env,
            redirect_uri=args.redirect_uri,
            open_browser=not args.no_browser,
            timeout=args.timeout,
            jwt=args.jwt,
            username=args.username,
            private_key_path=args.private_key_path,
            check_objects=args.check_object,
        )
        return connect_module.connect(project, options)
    if command == "check":
        return connect_module.check(project, _connection(project, args), args.check_object)
    if command == "disconnect":
        return connect_module.disconnect(project, _connection(project, args))
    if command == "describe":
        with SalesforceClient(_connection(project, args)) as client:
            if args.object:
                text = describe_module.describe_object(
                    client, args.object, as_json=args.json, only=args.only
                )
            else:
                text = describe_module.describe_objects(
                    client, show_all=args.all, as_json=args.json
                )
        print(text)
        return 0
    if command in {"add", "edit"}:
        options = integration_commands.IntegrationOptions(
            name=args.name,
            report=args.report,
            key=args.key,
            sobject=args.sobject,
            match_field=args.match_field,
            maps=args.map,
            unmap=getattr(args, "unmap", []),
            replace_mappings=getattr(args, "replace_mappings", False),
            columns=args.columns,
            report_name=args.report_name,
            multiple_matches=args.multiple_matches,
            null_values=args.null_values,
        )
        return integration_commands.save_integration(
            project,
            options,
            _connection(project, args),
            _read_json(args.tap_config),
            create=command == "add",
        )
    if command == "remove":
        return integration_commands.remove(project, args.name, assume_yes=args.yes)
    if command == "list":
        return integration_commands.list_all(project)
    if command == "preview":
        if not (args.config and args.tap_config):
            project.require_environment()
        document = project.load()
        if document.plugin("loaders", target_name(args.name)) is None:
            raise SetupError(f"No integration named {args.name!r}; see `list`.")
        tap_config = _read_json(args.tap_config) or plugin_config(
            project.root, project.environment, tap_name(args.name)
        )
        target_config = _read_json(args.config) or plugin_config(
            project.root, project.environment, target_name(args.name)
        )
        return preview_module.preview(
            project.root, args.name, tap_config, target_config, limit=max(1, args.limit)
        )
    raise SetupError(f"Unknown command {command!r}.")  # pragma: no cover - argparse guards


def _traceback_when_debugging() -> None:
    """The traceback behind a one-line error, only for debug output (`--log-level debug` on
    meltano, or LOGLEVEL=debug); secrets in it are redacted."""
    if debug_requested():
        print(redact(traceback.format_exc()), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point: print errors (never tracebacks or secrets), set the status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = run(args)
    except SetupError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        _traceback_when_debugging()
        code = 2
    except SalesforceError as exc:
        print(f"Error from Salesforce: {exc}", file=sys.stderr)
        _traceback_when_debugging()
        code = 2
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        code = 130
    sys.stdout.flush()
    return code


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
