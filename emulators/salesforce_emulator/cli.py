"""``salesforce-emulator serve …``: start the emulator (see ``emulators/README.md``)."""

from __future__ import annotations

import argparse
import gc
import shutil
import signal
import ssl
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

from . import tls
from .faults import Faults, FaultSettings
from .org import Org
from .seeding import SeedError, load_seed
from .server import make_server


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="salesforce-emulator",
        description="A local, wire-faithful Salesforce org for tests, demos and benchmarks.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the emulated org until SIGINT/SIGTERM")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: loopback only)"
    )
    serve.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    store = serve.add_mutually_exclusive_group()
    store.add_argument(
        "--db", metavar="PATH", help="SQLite file to keep the org in (reopened as is if it exists)"
    )
    store.add_argument("--memory", action="store_true", help="keep the org in memory (default)")
    serve.add_argument(
        "--seed",
        action="append",
        default=[],
        metavar="NAME|FILE.json",
        help="seed to apply after the built-in 'default' seed (repeatable)",
    )
    serve.add_argument(
        "--no-default-seed",
        action="store_true",
        help="do not apply the built-in 'default' seed first",
    )
    serve.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a generated certificate; prints the CA to trust",
    )
    serve.add_argument("--latency-ms", type=int, default=0, help="added latency per request")
    serve.add_argument(
        "--api-limit",
        type=int,
        default=None,
        help="daily API request limit (default: the seed's, else 100000)",
    )
    serve.add_argument(
        "--token-ttl",
        type=float,
        default=None,
        metavar="SECONDS",
        help="access token lifetime (default 7200)",
    )
    serve.add_argument(
        "--auto-approve",
        action="store_true",
        help="OAuth authorize redirects at once without the consent page",
    )
    serve.add_argument(
        "--fault-seed", type=int, default=None, help="random seed for fault decisions"
    )
    serve.add_argument(
        "--error-rate",
        type=float,
        default=0.0,
        help="share of data API calls answered with --error-status",
    )
    serve.add_argument("--error-status", type=int, default=503, choices=(500, 502, 503))
    serve.add_argument(
        "--rate-429",
        type=float,
        default=0.0,
        help="share of data API calls answered 429 with Retry-After",
    )
    serve.add_argument(
        "--retry-after",
        type=int,
        default=None,
        metavar="SECONDS",
        help="Retry-After of 429 answers (default 1) and, when given, of 503 answers",
    )
    serve.add_argument(
        "--lock-rate",
        type=float,
        default=0.0,
        help="share of written records failing with UNABLE_TO_LOCK_ROW",
    )
    serve.add_argument(
        "--drop-rate",
        type=float,
        default=0.0,
        help="share of data API calls whose connection is dropped",
    )
    serve.add_argument(
        "--bulk-delay-ms",
        type=int,
        default=100,
        help="time a Bulk job spends in UploadComplete and in InProgress",
    )
    serve.add_argument(
        "--bulk-queue-ms",
        type=int,
        default=0,
        help="extra time a Bulk ingest job waits in UploadComplete before processing starts "
        "(real jobs queue for seconds to minutes)",
    )
    serve.add_argument(
        "--bulk-records-per-second",
        type=float,
        default=0.0,
        help="pace Bulk ingest processing at this many records per second; "
        "numberRecordsProcessed grows as it goes (0: as fast as possible)",
    )
    serve.add_argument(
        "--verbose", action="store_true", help="log method and path of each request to stderr"
    )
    return parser


GC_THRESHOLDS = (50_000, 20, 10)
"""The serving process's garbage-collector thresholds (Python's default: 700, 10, 10).

A Bulk job of 250,000 records allocates millions of short-lived containers (cells, records,
results) and keeps a job's worth alive for a while; with the default young threshold they
outlive a young collection, are promoted, and set off a full collection — a scan of every
live object — about 15 times a job (40 % of the job's CPU). The org's data lives in SQLite,
not in Python objects, and the serving code makes few reference cycles, so collecting less
often only delays freeing a rare cycle."""


def serve(args: argparse.Namespace) -> int:
    for name in ("error_rate", "rate_429", "lock_rate", "drop_rate"):
        if not 0 <= getattr(args, name) <= 1:
            print(
                f"salesforce-emulator: --{name.replace('_', '-')} must be between 0 and 1",
                file=sys.stderr,
            )
            return 2
    if args.retry_after is not None and args.retry_after < 0:
        print("salesforce-emulator: --retry-after must be 0 or more seconds", file=sys.stderr)
        return 2
    gc.set_threshold(*GC_THRESHOLDS)
    faults = Faults(
        FaultSettings(
            seed=args.fault_seed,
            latency_ms=args.latency_ms,
            error_rate=args.error_rate,
            error_status=args.error_status,
            rate_429=args.rate_429,
            retry_after=args.retry_after,
            lock_rate=args.lock_rate,
            drop_rate=args.drop_rate,
        )
    )
    org = Org(args.db, api_limit=args.api_limit, token_ttl=args.token_ttl, faults=faults)
    org.auto_approve = args.auto_approve
    org.bulk.delay = org.initial_bulk_delay = max(0, args.bulk_delay_ms) / 1000.0
    org.bulk.queue_delay = org.initial_bulk_queue_delay = max(0, args.bulk_queue_ms) / 1000.0
    org.bulk.records_per_second = org.initial_bulk_records_per_second = max(
        0.0, args.bulk_records_per_second
    )
    org.initial_auto_approve = args.auto_approve
    refs: list[str] = [] if args.no_default_seed else ["default"]
    refs += [s for s in args.seed if not (s == "default" and "default" in refs)]
    try:
        seeds = [load_seed(ref) for ref in refs]
        org.startup_seeds = seeds
        if args.db and org.open_existing():
            print(
                f"salesforce-emulator: reopened the org stored in {args.db}; seeds not "
                "re-applied (POST /__emulator/reset to start over)",
                file=sys.stderr,
            )
        else:
            for seed in seeds:
                org.apply_seed(seed)
    except SeedError as exc:
        print(f"salesforce-emulator: {exc}", file=sys.stderr)
        return 2

    context: ssl.SSLContext | None = None
    tls_dir: Path | None = None
    if args.tls:
        tls_dir = Path(tempfile.mkdtemp(prefix="salesforce-emulator-tls-"))
        ca_path, cert_path, key_path = tls.generate(tls_dir, (args.host,))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_path, key_path)
        print(f"salesforce-emulator certificate {ca_path}", flush=True)
    try:
        server = make_server(org, args.host, args.port, ssl_context=context, verbose=args.verbose)
    except OSError as exc:
        print(
            f"salesforce-emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr
        )
        return 1
    stop = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        stop.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print(f"salesforce-emulator listening on {org.base_url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if args.db:
            org.store.set_meta("api_used", org.api.used)
        org.store.close()
        if tls_dir is not None:
            shutil.rmtree(tls_dir, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    return 2  # pragma: no cover - argparse enforces the subcommand


if __name__ == "__main__":
    sys.exit(main())
