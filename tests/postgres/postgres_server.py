"""A real PostgreSQL server for the tests: Debian's ``postgresql`` binaries, a temporary data
directory and a free loopback port, started once per session.

PostgreSQL refuses to run as root, so when the tests run as root (CI containers) the server runs
as the ``postgres`` system user the Debian package creates (``runuser -u postgres``), in a data
directory owned by it. ``.ci/run`` installs the package; without the binaries the tests skip
and say so. The e2e suite's ``project`` fixture (emulators, this project in ``demo``) is reused.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

USER = "meltano"
PASSWORD = "test-only-pg-password"  # a throwaway server on 127.0.0.1 that lives for one session


def pg_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl (Debian keeps them out of PATH)."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    return Path(versions[0]).parent if versions else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    """A running server and the database Meltano uses on it."""

    port: int
    database: str

    @property
    def uri(self) -> str:
        """Meltano's ``MELTANO_DATABASE_URI`` for it (psycopg 3 driver)."""
        return f"postgresql+psycopg://{USER}:{PASSWORD}@127.0.0.1:{self.port}/{self.database}"

    def query(self, sql: str, *params: object) -> list[tuple]:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, password=PASSWORD, dbname=self.database
        ) as connection:
            return connection.execute(sql, params).fetchall()
