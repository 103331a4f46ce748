"""Where an integration's report source is kept: a signed link is a secret, so it lives in `.env`.

A pre-signed export link (``…?X-Amz-Signature=…``, ``?sig=…``, ``?token=…``; see
:mod:`.redact`) lets anyone who has it read the report until it expires. `add`/`edit` store such
a link in the project's `.env` (mode 0600) as ``WALKME_<NAME>_SOURCE`` and write the reference
``source: ${WALKME_<NAME>_SOURCE}`` into `meltano.yml`, which Meltano expands at run time.
Plain locations (a folder, an ``s3://`` prefix, an unsigned URL) stay readable in
`meltano.yml`: the setting is not declared ``sensitive`` (that would hide every location in
``meltano config list``/``print``), so signed links are kept out of `meltano.yml` this way.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from .envfile import read_env, update_env
from .redact import is_signed_url, redact_text

_REFERENCE = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$")


def source_env_name(name: str) -> str:
    """The `.env` variable holding an integration's signed source link."""
    return "WALKME_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper() + "_SOURCE"


def reference_of(source: str) -> str | None:
    """The variable a ``$VAR`` / ``${VAR}`` source refers to, or None for a literal source."""
    match = _REFERENCE.match(source.strip())
    return match.group(1) if match else None


def resolve_source(source: str, dotenv_path: Path) -> str:
    """The real location of a source: a ``${VAR}`` reference looked up in the env and `.env`."""
    variable = reference_of(source)
    if variable is None:
        return source
    return os.environ.get(variable) or read_env(dotenv_path).get(variable) or source


def store_source(name: str, source: str, dotenv_path: Path) -> str:
    """The value to write as ``source`` in meltano.yml; a signed link goes to `.env` first."""
    if reference_of(source) or not is_signed_url(source):
        return source
    variable = source_env_name(name)
    update_env(dotenv_path, {variable: source})
    return "${" + variable + "}"


def shown_source(source: str) -> str:
    """A source as `list` shows it: references named, signed links redacted."""
    variable = reference_of(source)
    if variable is not None:
        return f"${{{variable}}} (kept in .env)"
    if is_signed_url(source):
        hint = " (a signed link in meltano.yml: re-save it with `edit --report` to move it to .env)"
        return redact_text(source) + hint
    return source
