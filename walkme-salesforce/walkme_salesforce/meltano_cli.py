"""Ask Meltano itself for a plugin's resolved configuration.

Settings come from many places (shell env, `.env`, the active environment's config with `$VAR`
references, `meltano.yml`, the system DB, the parent plugin, defaults). Rather than re-implement
that precedence, the setup commands run `meltano config --unsafe print --format=json PLUGIN` in
the project and read its JSON. The output holds secrets; it only ever travels through a pipe into
this process and is never printed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from .errors import SetupError

# Variables `meltano invoke` exports to a plugin command. A nested `meltano` would treat them as
# shell overrides (the highest precedence) and so read back the values from before this command
# changed `.env` or `meltano.yml`, or another environment's values: drop them.
_INVOKER_PREFIXES = (
    "TARGET_SALESFORCE_UPDATE",
    "TAP_WALKME_INSIGHTS",
    "MELTANO_LOAD_",
    "MELTANO_EXTRACT_",
    "MELTANO_ENVIRONMENT",
    "WALKME_SALESFORCE",
    "MELTANO_UTILITY_",
)
#: Variables only `meltano invoke` sets: their presence means this runs as a plugin command.
_INVOKED_MARKERS = ("MELTANO_LOAD_", "MELTANO_UTILITY_")


def find_meltano(project_root: Path | None = None) -> str:
    """Path of the `meltano` executable, found the way Meltano finds itself.

    In order: `.meltano/run/bin` in the project (the link Meltano keeps to the executable it
    last ran as), $MELTANO_EXECUTABLE, `meltano` on PATH, `meltano` next to this Python. So the
    commands work without an activated virtualenv (`.venv/bin/walkme-salesforce …`) and as
    Meltano plugin commands (`meltano invoke walkme-salesforce:…`, whose virtualenv has no
    `meltano`).
    """
    candidates = [
        str(project_root / ".meltano" / "run" / "bin") if project_root else None,
        os.environ.get("MELTANO_EXECUTABLE"),
        shutil.which("meltano"),
        str(Path(sys.executable).with_name("meltano")),
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise SetupError(
        "Cannot find the `meltano` executable: run any `meltano` command in the project once "
        "(Meltano then links itself at .meltano/run/bin), put meltano on PATH or set "
        "MELTANO_EXECUTABLE to it."
    )


def nested_env() -> dict[str, str]:
    """The environment for a nested `meltano` call (see `_INVOKER_PREFIXES`)."""
    inside_invoke = any(key.startswith(_INVOKED_MARKERS) for key in os.environ)
    env = dict(os.environ)
    if inside_invoke:
        env = {k: v for k, v in env.items() if not k.startswith(_INVOKER_PREFIXES)}
    env.pop("MELTANO_ENVIRONMENT", None)
    return env


def run_meltano(
    project_root: Path, args: list[str], *, environment: str | None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run `meltano [--environment E] ARGS` in the project and capture its output."""
    command = [find_meltano(project_root)]
    if environment:
        command.append(f"--environment={environment}")
    command.extend(args)
    try:
        return subprocess.run(
            command,
            cwd=project_root,
            env={**nested_env(), "MELTANO_PROJECT_ROOT": str(project_root)},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise SetupError(
            f"`meltano {' '.join(args[:2])}` did not finish within {int(timeout)} s."
        ) from None


def plugin_config(project_root: Path, environment: str | None, plugin: str) -> dict[str, Any]:
    """The plugin's fully resolved config in that environment (secrets included)."""
    result = run_meltano(
        project_root,
        ["config", "--unsafe", "print", "--format=json", plugin],
        environment=environment,
    )
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-3:])
        raise SetupError(
            f"Meltano could not resolve the config of {plugin!r} in environment "
            f"{environment or '(none)'}: {tail}\nCheck meltano.yml and the environment name."
        )
    try:
        config = json.loads(result.stdout)
    except ValueError:
        raise SetupError(f"Meltano printed no JSON config for {plugin!r}.") from None
    if not isinstance(config, dict):
        raise SetupError(f"Meltano printed an unexpected config for {plugin!r}.")
    return config
