"""Each plugin installs and runs without the integration manager (issue 12).

Meltano installs the tap and the target into their own virtualenvs from the local folders
(`make plugins`, a prerequisite of `make test`); those environments must not contain the manager
(`walkme_salesforce`), and the plugins must still answer `--about` there. The plugins' own
sources must not import the manager either, not even lazily.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLUGINS = {
    # folder, package, Meltano venv, console script
    "target": (
        "target-salesforce-update",
        "target_salesforce_update",
        ".meltano/loaders/target-salesforce-update/venv",
        "target-salesforce-update",
    ),
    "tap": (
        "tap-walkme-insights",
        "tap_walkme_insights",
        ".meltano/extractors/tap-walkme-insights/venv",
        "tap-walkme-insights",
    ),
}


def _imported_top_levels(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_plugin_neither_depends_on_nor_imports_the_manager(plugin: str) -> None:
    folder, package, _venv, _script = PLUGINS[plugin]
    dependencies = " ".join(importlib.metadata.requires(folder) or []).lower()
    assert "singer-sdk" in dependencies  # the installed metadata was read
    assert "walkme-salesforce" not in dependencies and "walkme_salesforce" not in dependencies
    importers = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / folder / package).rglob("*.py"))
        if "walkme_salesforce" in _imported_top_levels(path)
    ]
    assert importers == []


@pytest.mark.parametrize("plugin", sorted(PLUGINS))
def test_plugin_runs_in_its_meltano_venv_without_the_manager(plugin: str) -> None:
    _folder, package, venv, script = PLUGINS[plugin]
    venv_dir = ROOT / venv
    if not (venv_dir / "bin" / script).exists():
        pytest.fail(f"{venv} is missing: run `make plugins` (`make test` does it) first")
    python = str(venv_dir / "bin" / "python")
    probe = subprocess.run(
        [python, "-c", "import importlib.util as u; print(u.find_spec('walkme_salesforce'))"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert probe.stdout.strip() == "None", "the manager is installed in the plugin's venv"
    about = subprocess.run(
        [str(venv_dir / "bin" / script), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert about.returncode == 0, about.stderr[-2000:]
    assert json.loads(about.stdout)["name"] == script
    loaded = subprocess.run(
        [
            python,
            "-c",
            f"import {package}.{'target' if plugin == 'target' else 'tap'}, sys; "
            "print(sorted(m for m in sys.modules if m.startswith('walkme_salesforce')))",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert loaded.stdout.strip() == "[]"
