"""`walkme-salesforce console`: serve the web console for a Meltano project.

Loopback (127.0.0.1) by default. Binding any other address needs an access token in
`WALKME_SALESFORCE_CONSOLE_TOKEN` (the console then asks for it before any page); without one it
refuses to start. On a loopback bind the Host header must be a loopback name too.
The server is Werkzeug's threaded WSGI server (Flask's own).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys

from ..errors import SetupError
from ..project import find_project_root
from .security import TOKEN_VARIABLE, is_loopback

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
MIN_TOKEN_LENGTH = 16


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of `console`."""
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (loopback)")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port (default {DEFAULT_PORT}; 0 = any free)",
    )
    parser.add_argument(
        "--project-dir",
        "--project-root",
        dest="project_dir",
        help="Meltano project folder (default: nearest with meltano.yml)",
    )


def access_token(host: str) -> str | None:
    """The configured token; an error when a non-loopback bind has none (or a weak one)."""
    token = os.environ.get(TOKEN_VARIABLE) or None
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise SetupError(
            f"{TOKEN_VARIABLE} is shorter than {MIN_TOKEN_LENGTH} characters: use a long random "
            "value, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`."
        )
    if token is None and not is_loopback(host):
        raise SetupError(
            f"Refusing to serve the console on {host} without an access token: anyone who can "
            f"reach it could connect orgs and run integrations. Set {TOKEN_VARIABLE} to a long "
            "random value (the console asks for it), or listen on 127.0.0.1 and use an SSH "
            "tunnel."
        )
    return token


def _stop(*_: object) -> None:
    raise KeyboardInterrupt


def serve(args: argparse.Namespace) -> int:
    """Start the console and serve until Ctrl-C."""
    from werkzeug.serving import make_server

    from .app import create_app

    token = access_token(args.host)
    root = find_project_root(args.project_dir)
    allowed: set[str] | None = set() if is_loopback(args.host) else None
    app = create_app(root, token=token, allowed_hosts=allowed)
    server = make_server(args.host, args.port, app, threaded=True)
    port = server.socket.getsockname()[1]
    if allowed is not None:
        allowed.update(f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]"))
    shown = "127.0.0.1" if args.host in {"0.0.0.0", "::"} else args.host  # noqa: S104
    url = f"http://{shown}:{port}/"
    print(f"WalkMe → Salesforce console for {root}", flush=True)
    print(f"Console listening on {url}", flush=True)
    if token:
        print(f"Access token required ({TOKEN_VARIABLE}).", flush=True)
    print("Press Ctrl-C to stop.", flush=True)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Console stopped.", file=sys.stderr)
    finally:
        server.server_close()
    return 0
