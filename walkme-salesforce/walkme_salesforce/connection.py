"""Per-environment Salesforce connection: `.env` variables + `$VAR` references in meltano.yml.

Meltano reads `TARGET_SALESFORCE_UPDATE_REFRESH_TOKEN` from `.env` for *every* environment, so a
sandbox and a production org could not be connected side by side that way. Instead each
environment gets its own variables in `.env`:

    SF_<ENV>_REFRESH_TOKEN, SF_<ENV>_CLIENT_SECRET, SF_<ENV>_INSTANCE_URL

(`<ENV>` is the environment name upper-cased, other characters → `_`; e.g. `SF_PROD_…`,
`SF_SANDBOX_…`), and the environment's block in meltano.yml refers to them:

    environments:
    - name: prod
      config:
        plugins:
          loaders:
          - name: target-salesforce-update
            config:
              auth_flow: refresh_token
              login_url: https://login.salesforce.com
              client_id: 3MVG9…            # not a secret
              client_secret: $SF_PROD_CLIENT_SECRET
              refresh_token: $SF_PROD_REFRESH_TOKEN
              instance_url: $SF_PROD_INSTANCE_URL

Inherited loaders (`target-salesforce-update--<integration>`) inherit these values, so every
integration of that environment uses the connection. A global `TARGET_SALESFORCE_UPDATE_…`
variable in the shell or `.env` would override them all; `connect` warns about that.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from .envfile import read_env, update_env
from .integrations import TARGET
from .project import Project

CONNECTION_KEYS = (
    "auth_flow",
    "login_url",
    "client_id",
    "client_secret",
    "refresh_token",
    "instance_url",
    "username",
    "private_key_path",
)
ENV_PARTS = ("REFRESH_TOKEN", "CLIENT_SECRET", "INSTANCE_URL")
_SHADOWING = ("REFRESH_TOKEN", "CLIENT_SECRET", "CLIENT_ID", "LOGIN_URL", "AUTH_FLOW")


def env_var(environment: str, part: str) -> str:
    """`.env` variable for one part of an environment's connection, e.g. SF_PROD_REFRESH_TOKEN."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", environment).strip("_").upper() or "DEFAULT"
    return f"SF_{slug}_{part}"


def write_connection(
    project: Project,
    environment: str,
    settings: Mapping[str, Any],
    secrets: Mapping[str, str],
) -> list[str]:
    """Store a connection: secrets in `.env` (0600), references and plain settings in meltano.yml.

    `settings` are non-secret config values written literally; `secrets` maps a part name in
    `ENV_PARTS` to its value, stored as `SF_<ENV>_<PART>` and referenced as `$SF_<ENV>_<PART>`.
    Connection keys not given are removed from the environment's block, so switching flows
    leaves nothing stale. Returns the `.env` variable names written.
    """
    names = {part: env_var(environment, part) for part in secrets}
    update_env(
        project.dotenv_path,
        {names[part]: value for part, value in secrets.items()},
        unset=[env_var(environment, part) for part in ENV_PARTS if part not in secrets],
    )
    document = project.load()
    config = document.environment_plugin_config(environment, "loaders", TARGET, create=True)
    assert config is not None
    wanted: dict[str, Any] = dict(settings)
    for part, name in names.items():
        wanted[part.lower()] = f"${name}"
    for key in CONNECTION_KEYS:
        if key in wanted:
            config[key] = wanted[key]
        elif key in config:
            del config[key]
    document.save()
    return list(names.values())


def forget_connection(project: Project, environment: str) -> list[str]:
    """Remove an environment's stored secrets and the settings `connect` wrote for them.

    The non-secret `login_url` and `client_id` stay, so `connect` can run again.
    """
    removed = [env_var(environment, p) for p in ENV_PARTS]
    present = read_env(project.dotenv_path)
    update_env(project.dotenv_path, {}, unset=removed)
    document = project.load()
    config = document.environment_plugin_config(environment, "loaders", TARGET)
    if config is not None:
        # Only what `connect` wrote: references to this environment's variables, and the flow
        # settings they belong to. Hand-written settings (e.g. the demo's password flow) stay.
        ours = {f"${env_var(environment, part)}" for part in ENV_PARTS}
        for key in ("refresh_token", "client_secret", "instance_url"):
            if config.get(key) in ours:
                del config[key]
        flow = config.get("auth_flow")
        if flow == "refresh_token" and "refresh_token" not in config:
            del config["auth_flow"]
        elif flow == "jwt_bearer":
            for key in ("auth_flow", "username", "private_key_path"):
                config.pop(key, None)
        document.save()
    return [name for name in removed if name in present]


def shadowing_variables(project: Project) -> list[str]:
    """Global TARGET_SALESFORCE_UPDATE_* connection variables that override environments."""
    found = []
    dotenv = read_env(project.dotenv_path)
    for part in _SHADOWING:
        name = f"TARGET_SALESFORCE_UPDATE_{part}"
        if name in dotenv:
            found.append(f"{name} (in .env)")
        elif name in os.environ and not any(k.startswith("MELTANO_LOAD_") for k in os.environ):
            found.append(f"{name} (in the shell environment)")
    return found
