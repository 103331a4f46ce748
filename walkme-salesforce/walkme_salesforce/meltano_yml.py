"""Round-trip editing of `meltano.yml` that keeps its comments, key order and layout.

The setup commands add and change plugins, jobs, schedules and environment config in the user's
project file. Rewriting it with a plain YAML dumper would drop every comment and re-indent it, so
this module uses ruamel.yaml's round-trip mode, detects the file's list indentation (Meltano
writes `- name:` level with its parent key; many hand-written files indent it), and never wraps
long lines. Writes are atomic (temp file + rename) so a crash cannot leave a truncated file.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from .errors import SetupError

_DASH_LINE = re.compile(r"^(\s*)-\s")
_KEY_LINE = re.compile(r"^(\s*)[^\s#-][^:#]*:\s*(#.*)?$")


def _detect_sequence_offset(text: str) -> int:
    """Return how far a file indents `-` past the key that owns the list (0 or 2 usually)."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        dash = _DASH_LINE.match(line)
        if not dash:
            continue
        for previous in reversed(lines[:index]):
            if not previous.strip() or previous.lstrip().startswith("#"):
                continue
            key = _KEY_LINE.match(previous)
            if key:
                return max(0, len(dash.group(1)) - len(key.group(1)))
            break
    return 0


def _yaml_for(text: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    offset = _detect_sequence_offset(text)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml


def _trailing_slot(node: Any) -> tuple[Any, Any, int] | None:
    """Where ruamel keeps the comment/blank lines that follow `node`'s last scalar.

    Returns (container, key, index into `container.ca.items[key]`), or None for an empty node.
    """
    if isinstance(node, CommentedMap) and len(node):
        key = list(node.keys())[-1]
        inner = _trailing_slot(node[key])
        return inner or (node, key, 2)
    if isinstance(node, CommentedSeq) and len(node):
        index = len(node) - 1
        inner = _trailing_slot(node[index])
        return inner or (node, index, 0)
    return None


def detach_trailer(node: Any) -> Any:
    """Take the blank lines/comment that follow `node` (a list or mapping) off it; return them.

    ruamel attaches whatever follows a block (a blank line, a comment introducing the next
    section) to the block's last scalar. Before appending to a list, or replacing a mapping,
    take it off so it can be put back after the new last item (see `MeltanoYml.append`).
    """
    slot = _trailing_slot(node)
    if slot is None:
        return None
    container, key, position = slot
    entry = container.ca.items.get(key)
    if not entry:
        return None
    token = entry[position]
    entry[position] = None
    return token


def attach_trailer(item: Any, token: Any) -> None:
    """Put a trailer taken by `detach_trailer` after `item`'s last scalar."""
    slot = _trailing_slot(item)
    if slot is None or token is None:
        return
    container, key, position = slot
    container.ca.items.setdefault(key, [None, None, None, None])[position] = token


def remove_keeping_trailer(items: CommentedSeq, index: int) -> None:
    """Delete `items[index]`, handing what followed it (blank lines, a comment) to the item
    before, unless that one already carries a comment of its own."""
    slot = _trailing_slot(items[index])
    token = None
    if slot is not None:
        container, key, position = slot
        entry = container.ca.items.get(key)
        token = entry[position] if entry else None
    del items[index]
    if token is None or index == 0:
        return
    previous = _trailing_slot(items[index - 1])
    if previous is None:
        return
    container, key, position = previous
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    current = entry[position]
    if current is None or not str(getattr(current, "value", "")).strip():
        entry[position] = token


class MeltanoYml:
    """A loaded `meltano.yml`: read it, change `data`, then `save()` it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.is_file():
            raise SetupError(
                f"No meltano.yml at {path}. Run this command from the Meltano project folder "
                "or pass --project-root."
            )
        text = path.read_text(encoding="utf-8")
        self._yaml = _yaml_for(text)
        loaded = self._yaml.load(text)
        self.data: CommentedMap = loaded if loaded is not None else CommentedMap()
        self._pending_trailers: list[tuple[Any, Any]] = []
        if not isinstance(self.data, CommentedMap):
            raise SetupError(f"{path} is not a YAML mapping; fix the file and retry.")

    def append(self, items: CommentedSeq, item: Any) -> None:
        """Append to a list, moving what followed its old last item to after the new one.

        The move happens when the document is dumped, so `item` may still be filled in.
        """
        token = detach_trailer(items)
        items.append(item)
        if token is not None:
            self._pending_trailers.append((item, token))

    def dump(self) -> str:
        """Return the document as text."""
        for item, token in self._pending_trailers:
            attach_trailer(item, token)
        self._pending_trailers.clear()
        buffer = io.StringIO()
        self._yaml.dump(self.data, buffer)
        return buffer.getvalue()

    def save(self) -> None:
        """Write the document back atomically, keeping the file's permissions."""
        text = self.dump()
        mode = self.path.stat().st_mode & 0o777
        fd, tmp_name = tempfile.mkstemp(prefix=".meltano.", suffix=".yml", dir=self.path.parent)
        try:
            os.fchmod(fd, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp_name, self.path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    # -- generic helpers -------------------------------------------------------------------

    def section(self, *keys: str, create: bool = True) -> Any:
        """Return the nested mapping at `keys`, creating empty mappings when asked."""
        node: Any = self.data
        for key in keys:
            child = node.get(key)
            if child is None:
                if not create:
                    return None
                child = CommentedMap()
                node[key] = child
            node = child
        return node

    def seq(self, parent: CommentedMap, key: str, *, create: bool = True) -> CommentedSeq | None:
        """Return the list under `parent[key]`, creating it when asked."""
        value = parent.get(key)
        if value is None and create:
            value = CommentedSeq()
            parent[key] = value
        return value

    @staticmethod
    def find_named(items: CommentedSeq | None, name: str) -> CommentedMap | None:
        """Return the item of a `- name: …` list with that name."""
        for item in items or ():
            if isinstance(item, dict) and item.get("name") == name:
                return item
        return None

    @staticmethod
    def remove_named(items: CommentedSeq | None, name: str) -> bool:
        """Remove the item with that name from a `- name: …` list; True when one was removed."""
        if not items:
            return False
        for index, item in enumerate(items):
            if isinstance(item, dict) and item.get("name") == name:
                remove_keeping_trailer(items, index)
                return True
        return False

    # -- plugins -----------------------------------------------------------------------------

    def plugins(self, plugin_type: str) -> CommentedSeq:
        """The list `plugins.<plugin_type>` (`extractors`, `loaders`), created if missing."""
        plugins = self.section("plugins")
        items = self.seq(plugins, plugin_type)
        assert items is not None
        return items

    def plugin(self, plugin_type: str, name: str) -> CommentedMap | None:
        """The plugin definition with that name, or None."""
        plugins = self.data.get("plugins") or {}
        return self.find_named(plugins.get(plugin_type), name)

    def iter_plugins(self, plugin_type: str) -> Iterator[CommentedMap]:
        """Every plugin definition of one type."""
        plugins = self.data.get("plugins") or {}
        yield from (p for p in plugins.get(plugin_type) or () if isinstance(p, dict))

    # -- environments ------------------------------------------------------------------------

    def environment(self, name: str, *, create: bool = False) -> CommentedMap | None:
        """The `environments:` entry with that name (created at the end when asked)."""
        environments = self.seq(self.data, "environments", create=create)
        found = self.find_named(environments, name)
        if found is None and create:
            assert environments is not None
            found = CommentedMap(name=name)
            self.append(environments, found)
        return found

    def environment_names(self) -> list[str]:
        """Names of the project's environments, in file order."""
        return [
            str(e.get("name")) for e in self.data.get("environments") or () if isinstance(e, dict)
        ]

    def environment_plugin_config(
        self, environment: str, plugin_type: str, plugin: str, *, create: bool = False
    ) -> CommentedMap | None:
        """The `config:` mapping of a plugin inside an environment's `config.plugins` block."""
        env = self.environment(environment, create=create)
        if env is None:
            return None
        env_config = env.get("config")
        if env_config is None:
            if not create:
                return None
            env_config = env["config"] = CommentedMap()
        env_plugins = env_config.get("plugins")
        if env_plugins is None:
            if not create:
                return None
            env_plugins = env_config["plugins"] = CommentedMap()
        items = self.seq(env_plugins, plugin_type, create=create)
        entry = self.find_named(items, plugin)
        if entry is None:
            if not create:
                return None
            assert items is not None
            entry = CommentedMap(name=plugin)
            self.append(items, entry)
        config = entry.get("config")
        if config is None:
            if not create:
                return None
            config = entry["config"] = CommentedMap()
        return config
