"""Where the Meltano project is and which Meltano environment a command works on."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import SetupError
from .meltano_yml import MeltanoYml


def find_project_root(explicit: str | None = None) -> Path:
    """--project-root, else $MELTANO_PROJECT_ROOT, else the nearest folder up with meltano.yml."""
    if explicit:
        root = Path(explicit).expanduser().resolve()
        if not (root / "meltano.yml").is_file():
            raise SetupError(f"--project-root {root} has no meltano.yml.")
        return root
    if os.environ.get("MELTANO_PROJECT_ROOT"):
        return Path(os.environ["MELTANO_PROJECT_ROOT"]).resolve()
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "meltano.yml").is_file():
            return folder
    raise SetupError(
        "No meltano.yml found in this folder or above: run the command inside the Meltano "
        "project or pass --project-root."
    )


@dataclass
class Project:
    """A Meltano project on disk plus the environment chosen for this command."""

    root: Path
    environment: str | None

    @classmethod
    def locate(cls, project_root: str | None, environment: str | None) -> Project:
        """Find the project; the environment is --environment, $MELTANO_ENVIRONMENT or default."""
        root = find_project_root(project_root)
        env = environment or os.environ.get("MELTANO_ENVIRONMENT") or None
        if env is None:
            default = MeltanoYml(root / "meltano.yml").data.get("default_environment")
            env = str(default) if default else None
        return cls(root=root, environment=env)

    @property
    def meltano_yml_path(self) -> Path:
        """The project file."""
        return self.root / "meltano.yml"

    @property
    def dotenv_path(self) -> Path:
        """The `.env` file Meltano loads (secrets live here, mode 0600)."""
        return self.root / ".env"

    def load(self) -> MeltanoYml:
        """Load meltano.yml for round-trip editing."""
        return MeltanoYml(self.meltano_yml_path)

    def require_environment(self, *, may_be_new: bool = False) -> str:
        """The environment name, or an error saying how to choose one.

        Unless `may_be_new` (only `connect`, which adds the environment), the environment must
        be in meltano.yml: the error names the environments there and how to add one.
        """
        if not self.environment:
            raise SetupError(
                "No Meltano environment chosen: pass --environment (e.g. prod, sandbox, demo) "
                "or set MELTANO_ENVIRONMENT."
            )
        if not may_be_new and not self.has_environment(self.environment):
            known = ", ".join(self.load().environment_names()) or "none"
            raise SetupError(
                f"Environment {self.environment!r} is not in meltano.yml (it has: {known}). "
                f"Connect it to an org first, which adds it: walkme-salesforce connect "
                f"-e {self.environment} --login-url URL (or --production / --sandbox)."
            )
        return self.environment

    def has_environment(self, name: str) -> bool:
        """Whether meltano.yml defines that environment."""
        return name in self.load().environment_names()
