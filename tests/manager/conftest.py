"""Fixtures for the setup-command tests (helpers live in setup_helpers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from setup_helpers import copy_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A Meltano project folder holding a copy of the repository's meltano.yml."""
    return copy_project(tmp_path)
