#!/usr/bin/env python3
"""Both emulators with a generated demo world, for `make demo`, `make emulators` and tests.

`demo_emulators(workdir)` (a context manager):

1. `walkme-emulator generate` — a deterministic demo world in `workdir/world/` (the onboarding
   and NPS report exports and a matching Salesforce seed);
2. starts the Salesforce emulator (its data in `workdir/salesforce.db`, OAuth consent
   auto-approved, a connected app for `walkme-salesforce connect` registered with a loopback
   redirect URI) and the WalkMe emulator (serving the reports) on free loopback ports;
3. yields a `DemoEmulators`: the URLs, the world folder and `env` — the variables the `demo`
   environment of meltano.yml and the `walkme-salesforce` commands read;
4. stops both emulators (SIGTERM, then SIGKILL).

`main()` is `make emulators`: the same, printing the URLs and the `export` lines, staying up
until Ctrl-C. Every credential here is an emulator-only value: the Salesforce emulator's
built-in demo admin (its `default` seed, documented in emulators/README.md) and a WalkMe client
and a connected-app secret generated for this start.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import selectors
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
START_TIMEOUT_S = 30
GENERATE_TIMEOUT_S = 300
#: The connected app `walkme-salesforce connect` uses against the Salesforce emulator.
CONNECT_CLIENT_ID = "walkme-demo-connect"
#: The redirect port `make emulators` prefers (the manager's default redirect URI's port).
PREFERRED_REDIRECT_PORT = 1717


@dataclass(frozen=True)
class DemoEmulators:
    """Running emulators: where they listen and the variables that point Meltano at them."""

    salesforce_url: str
    walkme_url: str
    world_dir: Path
    salesforce_db: Path
    env: dict[str, str] = field(repr=False)

    def exports(self) -> list[str]:
        """`export NAME=value` lines for a shell (emulator-only demo values)."""
        return [f"export {name}={shlex.quote(value)}" for name, value in self.env.items()]


def salesforce_demo_admin() -> dict[str, str]:
    """The Salesforce emulator's built-in demo admin and its connected app (`default` seed).

    Read from the installed package so the values are never copied anywhere.
    """
    seed = json.loads(
        resources.files("salesforce_emulator.seeds").joinpath("default.json").read_text()
    )
    users = seed["users"]
    admin = next((user for user in users if user.get("modify_all_data")), users[0])
    app = seed["connected_apps"][0]
    return {
        "username": admin["username"],
        "password": admin["password"] + (admin.get("security_token") or ""),
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }


def _free_port(preferred: int | None = None) -> int:
    """`preferred` when it is free on loopback, else any free port."""
    for port in (preferred, 0):
        if port is None:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise RuntimeError("no free loopback port")  # pragma: no cover - port 0 always binds


def generate_world(
    world: Path,
    rows: int,
    seed: str | int = 42,
    *,
    reports: Sequence[str] = (),
    log: Path | None = None,
) -> Path:
    """`walkme-emulator generate`: a deterministic demo world in `world`, returned.

    The world: the report exports (`onboarding.csv`, `nps.csv`, or only `reports`), the matching
    Salesforce seed (`salesforce-seed.json`) and the expected outcome (`expected.json`). The one
    place the demo, `make emulators` and the tests make a world. `log` keeps the command's output.
    """
    command = [str(BIN / "walkme-emulator"), "generate", "--rows", str(rows), "--seed", str(seed)]
    command += ["--out", str(world), "--salesforce-seed", str(world / "salesforce-seed.json")]
    if reports:
        command += ["--reports", ",".join(reports)]
    result = subprocess.run(
        command, text=True, capture_output=True, timeout=GENERATE_TIMEOUT_S, check=False
    )
    if log is not None:
        log.write_text(result.stdout + result.stderr, encoding="utf-8")
    if result.returncode != 0:
        where = f" (see {log})" if log is not None else ""
        raise RuntimeError(f"walkme-emulator generate failed{where}:\n{result.stderr[-2000:]}")
    return world


@contextmanager
def _emulator(
    name: str, command: Sequence[str], env: Mapping[str, str], log_path: Path
) -> Iterator[str]:
    """Start an emulator on a free port, yield its URL, stop it (SIGTERM, then SIGKILL)."""
    with log_path.open("w", encoding="utf-8") as errors:
        process = subprocess.Popen(
            list(command), cwd=ROOT, env=dict(env), text=True, stdout=subprocess.PIPE, stderr=errors
        )
        try:
            yield _await_listening(name, process, log_path)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


def _await_listening(name: str, process: subprocess.Popen[str], log_path: Path) -> str:
    """Read the emulator's stdout until `<name> listening on URL` (bounded by a timeout)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline and process.poll() is None:
            if selector.select(timeout=0.2):
                line = process.stdout.readline()
                if f"{name} listening on " in line:
                    return line.rsplit(" ", 1)[-1].strip()
    tail = log_path.read_text(encoding="utf-8", errors="replace")[-2000:]
    raise RuntimeError(f"{name} did not start within {START_TIMEOUT_S}s. Its log:\n{tail}")


@contextmanager
def demo_emulators(
    workdir: Path,
    rows: int = 200,
    seed: str | int = 42,
    *,
    redirect_port: int | None = None,
    fresh: bool = True,
) -> Iterator[DemoEmulators]:
    """Generate a demo world in `workdir`, start both emulators on it, yield where they are.

    `redirect_port`: the loopback port of the connect redirect URI registered on the emulator's
    connected app (default: any free port). `fresh=False` keeps an existing Salesforce database
    in `workdir` (the emulator reopens it as it is).
    """
    workdir = Path(workdir).resolve()
    world = workdir / "world"
    database = workdir / "salesforce.db"
    world.mkdir(parents=True, exist_ok=True)
    if fresh:
        for stale in (database, workdir / "salesforce.db-journal"):
            stale.unlink(missing_ok=True)
    generate_world(world, rows, seed, log=workdir / "generate.log")

    redirect_uri = f"http://localhost:{_free_port(redirect_port)}/OauthRedirect"
    admin = salesforce_demo_admin()
    connect_secret = "demo-" + secrets.token_urlsafe(18)
    app_seed = workdir / "connected-app-seed.json"
    app_seed.write_text(
        json.dumps(
            {
                "connected_apps": [
                    {
                        "name": "walkme-salesforce connect (demo)",
                        "client_id": CONNECT_CLIENT_ID,
                        "client_secret": connect_secret,
                        "redirect_uris": [redirect_uri],
                        "run_as": admin["username"],
                        "scopes": ["api", "refresh_token"],
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    app_seed.chmod(0o600)
    walkme_id, walkme_secret = f"demo-{secrets.token_hex(4)}", secrets.token_urlsafe(24)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("MELTANO_")}
    with ExitStack() as stack:
        salesforce_url = stack.enter_context(
            _emulator(
                "salesforce-emulator",
                [
                    str(BIN / "salesforce-emulator"),
                    "serve",
                    "--port",
                    "0",
                    "--db",
                    str(database),
                    "--seed",
                    str(world / "salesforce-seed.json"),
                    "--seed",
                    str(app_seed),
                    "--auto-approve",
                ],
                base_env,
                workdir / "salesforce-emulator.log",
            )
        )
        walkme_url = stack.enter_context(
            _emulator(
                "walkme-emulator",
                [
                    str(BIN / "walkme-emulator"),
                    "serve",
                    "--port",
                    "0",
                    "--reports-dir",
                    str(world),
                ],
                {
                    **base_env,
                    "WALKME_EMULATOR_CLIENT_ID": walkme_id,
                    "WALKME_EMULATOR_CLIENT_SECRET": walkme_secret,
                },
                workdir / "walkme-emulator.log",
            )
        )
        env = {
            # the `demo` environment of meltano.yml
            "DEMO_SALESFORCE_URL": salesforce_url,
            "DEMO_WALKME_URL": walkme_url,
            "DEMO_SALESFORCE_USERNAME": admin["username"],
            "DEMO_SALESFORCE_PASSWORD": admin["password"],
            "DEMO_SALESFORCE_CLIENT_ID": admin["client_id"],
            "DEMO_SALESFORCE_CLIENT_SECRET": admin["client_secret"],
            # the tap's WalkMe API client (every environment)
            "TAP_WALKME_INSIGHTS_CLIENT_ID": walkme_id,
            "TAP_WALKME_INSIGHTS_CLIENT_SECRET": walkme_secret,
            # `walkme-salesforce connect --login-url $DEMO_SALESFORCE_URL` (a new environment)
            "SALESFORCE_CLIENT_ID": CONNECT_CLIENT_ID,
            "SALESFORCE_CLIENT_SECRET": connect_secret,
            "SALESFORCE_REDIRECT_URI": redirect_uri,
        }
        yield DemoEmulators(
            salesforce_url=salesforce_url,
            walkme_url=walkme_url,
            world_dir=world,
            salesforce_db=database,
            env=env,
        )


def main(argv: list[str] | None = None) -> int:
    """`make emulators`: start both emulators, print URLs and exports, stay up until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="make emulators", description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, default=ROOT / "emulators-output")
    parser.add_argument("--rows", type=int, default=int(os.environ.get("DEMO_ROWS", "200")))
    parser.add_argument("--seed", default=os.environ.get("DEMO_SEED", "42"))
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    print(f"==> Generating a demo world ({args.rows} rows per report) in {args.dir}/world/")
    try:
        with demo_emulators(
            args.dir, rows=args.rows, seed=args.seed, redirect_port=PREFERRED_REDIRECT_PORT
        ) as running:
            print(
                f"""==> Emulators running (Ctrl-C stops them)
    Salesforce  {running.salesforce_url}   (data: {running.salesforce_db})
    WalkMe      {running.walkme_url}   (reports: {running.world_dir})

Paste these into another shell in {ROOT} (emulator-only demo values):

{chr(10).join(running.exports())}

Then, e.g. (README "Try the setup commands on the emulators"):
    .venv/bin/meltano run walkme-onboarding-to-salesforce
    .venv/bin/walkme-salesforce connect -e emu --login-url "$DEMO_SALESFORCE_URL" --no-browser
""",
                flush=True,
            )
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        print("\n==> Emulators stopped.", flush=True)
    except RuntimeError as error:
        print(f"make emulators: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
