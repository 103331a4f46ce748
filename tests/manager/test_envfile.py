"""`.env` writing: mode 0600, other lines kept, values read back unchanged by python-dotenv."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from dotenv import dotenv_values
from walkme_salesforce.envfile import read_env, update_env


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_is_private_and_values_round_trip(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    awkward = "5Aep861$HOME'\"\\#x y=z!"
    update_env(path, {"SF_PROD_REFRESH_TOKEN": awkward, "SF_PROD_INSTANCE_URL": "https://x"})
    assert mode(path) == 0o600
    # Meltano reads .env with python-dotenv's default interpolation: the value must survive.
    assert dotenv_values(path)["SF_PROD_REFRESH_TOKEN"] == awkward
    assert read_env(path)["SF_PROD_INSTANCE_URL"] == "https://x"


def test_existing_lines_are_kept_and_keys_replaced_in_place(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text(
        "# comment\nA=1\nSF_X_REFRESH_TOKEN=old\n\nexport B=2\nSF_X_REFRESH_TOKEN=dup\n"
    )
    path.chmod(0o644)
    update_env(path, {"SF_X_REFRESH_TOKEN": "new", "C": "3"}, unset=["B"])
    assert mode(path) == 0o600
    assert path.read_text().splitlines() == [
        "# comment",
        "A=1",
        "SF_X_REFRESH_TOKEN='new'",
        "",
        "C='3'",
    ]


def test_unset_removes_and_rejects_bad_input(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    update_env(path, {"K": "v"})
    update_env(path, {}, unset=["K", "ABSENT"])
    assert read_env(path) == {}
    with pytest.raises(ValueError, match="line break"):
        update_env(path, {"K": "a\nb"})
    with pytest.raises(ValueError, match="expand"):
        update_env(path, {"K": "a${PATH}"})
    with pytest.raises(ValueError, match="not a valid"):
        update_env(path, {"BAD-NAME": "v"})
