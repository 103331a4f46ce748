#!/usr/bin/env python3
"""`make console`: the emulators with the demo world, and the web console on a free loopback port.

1. `demo_emulators(...)` (scripts/demo_emulators.py): a generated demo world and both emulators;
2. a scratch Meltano project in demo-output/console/project/ — a copy of meltano.yml that uses
   this checkout's installed plugins (`.meltano/` plugin folders and the plugin sources are
   linked), so connecting orgs and saving integrations in the console never edits the
   repository's own meltano.yml or .env;
3. a connected app on the Salesforce emulator whose callback is the console's
   `/accounts/callback` ("Add account" fills in its client id and uses its secret from this
   process's environment — nothing is typed, nothing is shown);
4. `walkme-salesforce console` on that port, until Ctrl-C.

The `demo` environment is already connected (the emulator's demo admin, password flow); connect
`sandbox` (or another) with "Add account" and the "My Domain / other" login URL, which is the
Salesforce emulator's.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from demo_emulators import ROOT, demo_emulators, salesforce_demo_admin

OUT = ROOT / "demo-output" / "console"
CONSOLE_CLIENT_ID = "walkme-console-demo"
LINKED = ("tap-walkme-insights", "target-salesforce-update", "walkme-salesforce", "emulators")


def free_port() -> int:
    """A free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def scratch_project(folder: Path, source_root: Path = ROOT) -> Path:
    """A Meltano project in `folder`: meltano.yml copied, installed plugins and sources linked."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source_root / "meltano.yml", folder / "meltano.yml")
    for name in LINKED:
        link = folder / name
        if not link.exists():
            link.symlink_to(source_root / name)
    meltano_dir = folder / ".meltano"
    meltano_dir.mkdir(exist_ok=True)
    for kind in ("extractors", "loaders", "utilities"):
        link = meltano_dir / kind
        if not link.exists() and (source_root / ".meltano" / kind).exists():
            link.symlink_to(source_root / ".meltano" / kind)
    return folder


def register_console_app(salesforce_url: str, redirect_uri: str) -> dict[str, str]:
    """A connected app on the emulator whose callback is the console (emulator-only secret)."""
    secret = "console-" + secrets.token_urlsafe(18)
    body = {
        "connected_apps": [
            {
                "name": "WalkMe console (demo)",
                "client_id": CONSOLE_CLIENT_ID,
                "client_secret": secret,
                "redirect_uris": [redirect_uri],
                "run_as": salesforce_demo_admin()["username"],
                "scopes": ["api", "refresh_token"],
            }
        ]
    }
    request = urllib.request.Request(  # noqa: S310 - the local emulator's URL
        f"{salesforce_url}/__emulator/seed",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - the local emulator
        pass
    return {"SALESFORCE_CLIENT_ID": CONSOLE_CLIENT_ID, "SALESFORCE_CLIENT_SECRET": secret}


def console_env(running: Any, project: Path, port: int) -> dict[str, str]:
    """The console's environment: the demo variables, the console's connected app, the project."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MELTANO_")}
    env.update(running.env)
    env.pop("SALESFORCE_REDIRECT_URI", None)
    callback = f"http://127.0.0.1:{port}/accounts/callback"
    env.update(register_console_app(running.salesforce_url, callback))
    env.update(
        SALESFORCE_LOGIN_URL=running.salesforce_url,
        MELTANO_PROJECT_ROOT=str(project),
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        # The scratch project links the repository's installed plugins: Meltano must never
        # reinstall into them (an integration added in the console shares its parent's venv).
        MELTANO_AUTO_INSTALL="false",
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
    )
    return env


def main() -> int:
    """Start everything, print the console's URL, wait for Ctrl-C."""
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    rows = int(os.environ.get("DEMO_ROWS", "200"))
    port = int(os.environ.get("CONSOLE_PORT") or free_port())
    shutil.rmtree(OUT / "project", ignore_errors=True)
    project = scratch_project(OUT / "project")
    print(f"==> Demo world and emulators in {OUT} ({rows} rows per report)", flush=True)
    try:
        with demo_emulators(OUT, rows=rows, seed=os.environ.get("DEMO_SEED", "42")) as running:
            env = console_env(running, project, port)
            print(
                f"""==> Emulators: Salesforce {running.salesforce_url}   WalkMe {running.walkme_url}
    Reports for the wizard: {running.world_dir}/onboarding.csv, {running.world_dir}/nps.csv
    (or {running.walkme_url}/insights/reports/onboarding.csv in the demo environment)
==> Console project (scratch copy of meltano.yml): {project}""",
                flush=True,
            )
            console = [str(Path(sys.executable).parent / "walkme-salesforce"), "console"]
            console += ["--port", str(port), "--project-dir", str(project)]
            process = subprocess.Popen(console, env=env, cwd=project)
            try:
                return process.wait()
            except KeyboardInterrupt:
                process.terminate()
                process.wait(timeout=20)
    except KeyboardInterrupt:
        pass
    except RuntimeError as error:
        print(f"make console: {error}", file=sys.stderr)
        return 1
    print("\n==> Console and emulators stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
