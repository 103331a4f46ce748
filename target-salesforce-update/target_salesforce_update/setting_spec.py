"""What one target setting is: :class:`Setting` (name, kind, description, scope, default,
allowed values, secrecy, meltano.yml's shorter text). The table of every setting is
:data:`.settings.SETTINGS`.

This module imports nothing from the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Kind", "Scope", "Setting"]

Kind = Literal["string", "integer", "decimal", "boolean", "object", "options"]
#: ``connection``: read by the client (the ``salesforce`` sub-package). ``run``: top level only.
#: ``stream``: top level, and overridable per stream under ``streams.<name>``.
Scope = Literal["connection", "run", "stream"]


@dataclass(frozen=True)
class Setting:
    """One target setting.

    ``summary`` is the shorter text meltano.yml shows (``meltano config list``); None means the
    description itself. ``declared_default`` False keeps the default out of the schema and
    meltano.yml because the code picks it only when nothing else decides (``fail_on``: the
    deprecated ``fail_on_rejections`` may choose first); the description says so.
    """

    name: str
    kind: Kind
    description: str
    scope: Scope
    default: Any = None
    choices: tuple[str, ...] = ()
    secret: bool = False
    summary: str | None = None
    declared_default: bool = True

    @property
    def meltano_kind(self) -> Kind:
        """The kind meltano.yml declares: a number whose default is whole is ``integer``.

        Meltano 4.4 turns an environment-variable value of a ``decimal`` setting into a
        ``Decimal`` it then cannot write into the plugin's config file (``TypeError: Object of
        type Decimal is not JSON serializable``), so whole-number settings (seconds,
        percentages) are declared ``integer``; values with a fraction written in meltano.yml
        still reach the target unchanged, and the target's schema stays ``number``.
        """
        if self.kind == "decimal" and isinstance(self.default, int):
            return "integer"
        return self.kind

    @property
    def meltano_description(self) -> str:
        return self.summary or self.description

    @property
    def schema_default(self) -> Any:
        """The default the schema (and meltano.yml) declares, None when it declares none."""
        return self.default if self.declared_default else None
