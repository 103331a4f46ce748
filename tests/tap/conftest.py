"""Fixtures for the tap tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write ``content`` (str → UTF-8, or raw bytes) to ``tmp_path/name``."""

    def write(content: str | bytes, name: str = "report.csv") -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return write


@pytest.fixture(scope="module")
def walkme():
    """A WalkMe emulator (real subprocess, real HTTP) with credentials generated for this run."""
    import secrets

    from walkme_emulator.testing import WalkMeEmulator

    with WalkMeEmulator(
        client_id=f"tap-test-{secrets.token_hex(4)}", client_secret=secrets.token_urlsafe(24)
    ) as emulator:
        yield emulator


@pytest.fixture
def emulator(walkme):
    """The module's emulator with faults and counters cleared for one test."""
    walkme.reset()
    return walkme
