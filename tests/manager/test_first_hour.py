"""Small pieces of issue 14 ("a newcomer's first hour"), each on its own: errors in one line,
an unknown environment named with the fix, Meltano found without an activated virtualenv, and
the Next: hints in the environment the command worked on."""

from __future__ import annotations

from pathlib import Path

import pytest
from setup_helpers import BIN, clean_env, run_setup
from walkme_salesforce.integration_commands import next_steps
from walkme_salesforce.meltano_cli import find_meltano


def test_an_unknown_environment_is_named_with_the_fix(project: Path) -> None:
    done = run_setup("describe", "-e", "emu", cwd=project)
    assert done.returncode == 2
    assert "Environment 'emu' is not in meltano.yml (it has: demo, sandbox, prod)" in done.stderr
    assert "walkme-salesforce connect -e emu --login-url URL" in done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr  # one line


def test_the_traceback_only_with_debug_output(project: Path) -> None:
    done = run_setup("describe", "-e", "emu", cwd=project, env=clean_env(LOGLEVEL="debug"))
    assert done.returncode == 2
    assert "Environment 'emu' is not in meltano.yml" in done.stderr
    assert "Traceback (most recent call last)" in done.stderr


def test_meltano_is_found_through_the_link_meltano_keeps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / ".meltano" / "run" / "bin"
    link.parent.mkdir(parents=True)
    link.symlink_to(BIN / "meltano")
    other = tmp_path / "elsewhere" / "meltano"
    other.parent.mkdir()
    other.write_text("#!/bin/sh\nexit 3\n")
    other.chmod(0o755)
    monkeypatch.setenv("PATH", str(other.parent))
    monkeypatch.setenv("MELTANO_EXECUTABLE", str(other))
    assert find_meltano(tmp_path) == str(link)
    assert find_meltano(None) == str(other)


@pytest.mark.parametrize("create", [True, False])
def test_next_hints_stay_in_the_environment(create: bool) -> None:
    hint = next_steps("usage", "sandbox", create=create)
    assert "walkme-salesforce preview usage -e sandbox" in hint
    assert "meltano --environment sandbox run walkme-usage-to-salesforce" in hint
    assert ("(the next run re-reads the export)" in hint) is not create
