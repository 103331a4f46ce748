"""The re-read rule on the manager side: a changed integration forgets its bookmark.

The tap keeps a bookmark per report ("this export was synced") in Meltano's saved state, so a
run skips an export it has already read ("already synced"). After the mapping (or the report,
key pair or object) of an integration changed — `edit`, or `remove` then `add` of the same
name — the newest export must be read again so the new mapping's values land. So `edit`,
`add` and `remove` clear the saved state of the integration's state ids in every environment
(`<env>:tap-walkme-insights--NAME-to-target-salesforce-update--NAME[:suffix]`), with Meltano's
own `meltano state list` / `meltano state clear --force`. The next run reads the newest export
in full; the target's change detection writes only the values that differ from Salesforce.

The run history shows such a run: the tap starts without a bookmark and logs the report it read
(``Report 'NAME' from …: N rows``) instead of ``… was already synced``.
"""

from __future__ import annotations

from pathlib import Path

from .errors import SetupError
from .integrations import tap_name, target_name
from .meltano_cli import run_meltano


def state_id_pattern(name: str) -> str:
    """Glob of the integration's state ids in every environment (any suffix)."""
    return f"*:{tap_name(name)}-to-{target_name(name)}*"


def _belongs(state_id: str, name: str) -> bool:
    pair = f"{tap_name(name)}-to-{target_name(name)}"
    _, _, rest = state_id.partition(":")
    return rest == pair or rest.startswith(pair + ":")


def saved_state_ids(project_root: Path, name: str) -> list[str]:
    """The integration's state ids that have saved state (Meltano's `state list`)."""
    result = run_meltano(
        project_root, ["state", "list", "--pattern", state_id_pattern(name)], environment=None
    )
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-3:])
        raise SetupError(f"`meltano state list` failed: {tail}")
    return [
        line.strip()
        for line in result.stdout.splitlines()
        if line.strip() and _belongs(line.strip(), name)
    ]


def clear_saved_state(project_root: Path, name: str) -> list[str]:
    """Clear every saved state of the integration; return the state ids cleared."""
    cleared = []
    for state_id in saved_state_ids(project_root, name):
        result = run_meltano(
            project_root, ["state", "clear", "--force", state_id], environment=None
        )
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-3:])
            raise SetupError(
                f"Could not clear the saved state {state_id!r}: {tail}\nClear it by hand: "
                f"meltano state clear --force {state_id}"
            )
        cleared.append(state_id)
    return cleared


def describe_cleared(name: str, cleared: list[str]) -> str:
    """The line `add`/`edit`/`remove` print about the re-read rule."""
    if not cleared:
        return f"state: no saved bookmark for {name!r}; the next run reads the newest export."
    environments = ", ".join(sorted({state_id.split(":", 1)[0] for state_id in cleared}))
    return (
        f"state: saved bookmark cleared in {environments} ({len(cleared)} state id(s)); the "
        "next run re-reads the newest export (only values that differ are written)."
    )
