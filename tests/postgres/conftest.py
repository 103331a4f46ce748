"""Fixtures of the PostgreSQL tests (helpers: postgres_server.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from postgres_server import PASSWORD, TESTS, USER, PostgresServer, free_port, pg_bin_dir

sys.path.insert(0, str(TESTS / "e2e"))
from e2e_fixtures import meltano_installed, project, world

__all__ = ["meltano_installed", "project", "world"]


@pytest.fixture(scope="session")
def postgres_binaries() -> Path:
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        message = (
            "PostgreSQL server binaries (initdb, pg_ctl) are not installed: "
            "`apt-get install -y postgresql` (`make test` does it as root)."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return bin_dir


@pytest.fixture(scope="session")
def postgres_server(postgres_binaries: Path) -> Iterator[int]:
    """initdb + pg_ctl start on a free port; stopped (and its folder removed) at session end."""
    as_root = os.geteuid() == 0
    runner = ["runuser", "-u", "postgres", "--"] if as_root else []
    base = Path(tempfile.mkdtemp(prefix="walkme-pg-"))
    data, socket_dir, pwfile = base / "data", base / "sock", base / "pwfile"
    socket_dir.mkdir()
    pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
    if as_root:
        shutil.chown(base, "postgres")
        for path in (socket_dir, pwfile):
            shutil.chown(path, "postgres")
    port = free_port()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*runner, *args], text=True, capture_output=True, timeout=120, check=False
        )

    init = run(
        str(postgres_binaries / "initdb"),
        "-D", str(data), "-U", USER, f"--pwfile={pwfile}",
        "--auth=scram-sha-256", "-E", "UTF8", "--no-sync",
    )  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    options = f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = run(
        str(postgres_binaries / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"),
        "-o", options, "-w", "-t", "60", "start",
    )  # fmt: skip
    assert start.returncode == 0, start.stdout + start.stderr + _tail(base / "server.log")
    try:
        yield port
    finally:
        run(str(postgres_binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def _tail(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")[-3000:]
    except OSError:
        return ""


@pytest.fixture
def postgres(postgres_server: int, request: pytest.FixtureRequest) -> PostgresServer:
    """A fresh database on the session's server for one test (its own Meltano system DB)."""
    import psycopg

    name = "meltano_" + request.node.name.lower().replace("[", "_").replace("]", "")[:40]
    with psycopg.connect(
        host="127.0.0.1",
        port=postgres_server,
        user=USER,
        password=PASSWORD,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return PostgresServer(port=postgres_server, database=name)
