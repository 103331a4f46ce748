"""`walkme-emulator` command line: `serve`, `generate` and `sign`.

`serve` follows the emulator start contract: it binds (127.0.0.1 by default), then prints exactly
one line `walkme-emulator listening on http://HOST:PORT` on stdout (flushed) and serves until
SIGINT/SIGTERM. Secrets are taken from flags or the environment and never printed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from types import FrameType

from . import defaults
from .signing import SIGNED_PREFIX, sign_path, signed_path_for


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="walkme-emulator",
        description="Local WalkMe Insights emulator and demo-world generator (tests and demos).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the HTTP emulator")
    serve.add_argument("--host", default=defaults.DEFAULT_HOST, help="bind address (127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    serve.add_argument(
        "--reports-dir",
        type=Path,
        help="folder whose *.csv files are served as reports (default: a temporary folder)",
    )
    serve.add_argument(
        "--client-id",
        default=None,
        help=f"accepted client id (env {defaults.ENV_CLIENT_ID}; demo default documented)",
    )
    serve.add_argument(
        "--client-secret",
        default=None,
        help=f"accepted client secret (env {defaults.ENV_CLIENT_SECRET}; demo default documented)",
    )
    serve.add_argument(
        "--token-ttl",
        type=int,
        default=defaults.DEFAULT_TOKEN_TTL,
        help="expires_in of issued tokens, seconds (86400)",
    )
    serve.add_argument(
        "--signing-key",
        default=None,
        help=f"HMAC key for signed report links (env {defaults.ENV_SIGNING_KEY})",
    )

    generate = commands.add_parser("generate", help="write demo reports and a Salesforce seed")
    generate.add_argument("--rows", type=int, required=True, help="data rows per report")
    generate.add_argument("--seed", type=int, default=42, help="random seed (42)")
    generate.add_argument("--out", type=Path, required=True, help="output folder")
    generate.add_argument(
        "--reports",
        default="onboarding,nps",
        help="comma-separated reports to write: onboarding, nps (both)",
    )
    generate.add_argument(
        "--salesforce-seed",
        type=Path,
        default=None,
        help="where to write the Salesforce seed (default: OUT/salesforce-seed.json)",
    )
    generate.add_argument(
        "--as-of",
        default=None,
        help="export time, ISO 8601 UTC (default 2026-11-26T09:00:00Z, fixed for determinism)",
    )
    generate.add_argument("--bom", action="store_true", help="start each CSV with a UTF-8 BOM")
    generate.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="processes writing reports side by side (default: 2 from 100000 rows, else 1)",
    )

    sign = commands.add_parser("sign", help="print a signed /g_reports/ path")
    target = sign.add_mutually_exclusive_group(required=True)
    target.add_argument("--path", help="the /g_reports/<uuid>.csv path to sign")
    target.add_argument("--report", help="report name; signs its /g_reports/<uuid>.csv path")
    sign.add_argument("--ttl", type=int, default=defaults.DEFAULT_SIGNED_TTL, help="seconds")
    sign.add_argument("--signing-key", default=None, help="same key as the server's")
    sign.add_argument("--base-url", default="", help="prefix, e.g. http://127.0.0.1:PORT")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `walkme-emulator` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    if args.command == "generate":
        return _generate(args)
    return _sign(args)


def _serve(args: argparse.Namespace) -> int:
    from .server import EmulatorServer
    from .state import EmulatorState

    temporary = None
    reports_dir: Path = args.reports_dir
    if reports_dir is None:
        temporary = tempfile.mkdtemp(prefix="walkme-emulator-")
        reports_dir = Path(temporary)
    elif not reports_dir.is_dir():
        print(
            f"walkme-emulator: --reports-dir {reports_dir} is not a folder; create it first",
            file=sys.stderr,
        )
        return 2
    state = EmulatorState.create(
        reports_dir=reports_dir,
        client_id=args.client_id or defaults.client_id_default(),
        client_secret=args.client_secret or defaults.client_secret_default(),
        token_ttl=args.token_ttl,
        signing_key=args.signing_key or defaults.signing_key_default(),
    )
    try:
        server = EmulatorServer((args.host, args.port), state)
    except OSError as exc:
        print(f"walkme-emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else str(host)
    state.base_url = f"http://{shown}:{port}"

    def _stop(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    print(f"walkme-emulator listening on {state.base_url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if temporary:
            shutil.rmtree(temporary, ignore_errors=True)
    return 0


def _generate(args: argparse.Namespace) -> int:
    from .generator import GeneratorError, generate

    reports = [r.strip() for r in args.reports.split(",") if r.strip()]
    try:
        expected = generate(
            rows=args.rows,
            seed=args.seed,
            out_dir=args.out,
            reports=reports,
            salesforce_seed_path=args.salesforce_seed,
            as_of=args.as_of,
            bom=args.bom,
            jobs=args.jobs,
        )
    except GeneratorError as exc:
        print(f"walkme-emulator generate: {exc}", file=sys.stderr)
        return 2
    summary = {
        name: {k: report[k] for k in ("file", "rows", "distinct_keys", "should_match")}
        for name, report in expected["reports"].items()
    }
    print(json.dumps({"out": str(args.out), "reports": summary}, ensure_ascii=False))
    return 0


def _sign(args: argparse.Namespace) -> int:
    path = signed_path_for(args.report) if args.report else args.path
    if not path.startswith(SIGNED_PREFIX):
        print(f"walkme-emulator sign: --path must start with {SIGNED_PREFIX}", file=sys.stderr)
        return 2
    key = args.signing_key or defaults.signing_key_default()
    print(args.base_url.rstrip("/") + sign_path(key, path, args.ttl))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
