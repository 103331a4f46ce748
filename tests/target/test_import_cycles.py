"""No import cycle inside either plugin (nor the manager, nor the emulators): every module
imports, and the graph of each package's imports of its own modules has no cycle.

Imports under ``if TYPE_CHECKING:`` are left out (they never run); imports inside functions
count — a lazy import is how a cycle hides.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "target_salesforce_update": ROOT / "target-salesforce-update" / "target_salesforce_update",
    "tap_walkme_insights": ROOT / "tap-walkme-insights" / "tap_walkme_insights",
    "walkme_salesforce": ROOT / "walkme-salesforce" / "walkme_salesforce",
    "salesforce_emulator": ROOT / "emulators" / "salesforce_emulator",
    "walkme_emulator": ROOT / "emulators" / "walkme_emulator",
}


def _modules(name: str, folder: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(folder.rglob("*.py")):
        parts = [name, *path.relative_to(folder).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package's own modules that ``module`` imports."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    targets: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # a submodule, else a name from the module ``base``
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in modules else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {t for t in targets if t in modules and t != module}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def walk(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := walk(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := walk(node)):
            return found
    return None


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_every_module_imports(name: str) -> None:
    for module in _modules(name, PACKAGES[name]):
        if not module.endswith(".__main__"):  # `python -m` entry points run when imported
            importlib.import_module(module)


@pytest.mark.parametrize("name", sorted(PACKAGES))
def test_no_import_cycle(name: str) -> None:
    modules = _modules(name, PACKAGES[name])
    graph = {m: _imports(m, p, modules) for m, p in modules.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_walk_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
