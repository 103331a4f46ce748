"""Seeded validation rules: a small, safe expression language over field API names
(see the README's seed format), judged on a record as it would be after the write."""

from __future__ import annotations

import ast
import re
from typing import Any

from .write_errors import RecordError


class RuleError(ValueError):
    """A validation rule condition that is not valid syntax."""


_FUNCS = {
    "ISBLANK": lambda x: x is None or x == "",
    "ISNULL": lambda x: x is None,
    "LEN": lambda x: 0 if x is None else len(str(x)),
    "BEGINS": lambda s, p: s is not None and str(s).startswith(str(p)),
    "CONTAINS": lambda s, p: s is not None and str(p) in str(s),
    "AND": lambda *a: all(a),
    "OR": lambda *a: any(a),
    "NOT": lambda x: not x,
}
_CONSTS = {
    "null": None,
    "NULL": None,
    "true": True,
    "TRUE": True,
    "false": False,
    "FALSE": False,
    "True": True,
    "False": False,
    "None": None,
}
_BASE_ENV: dict[str, Any] = {**_CONSTS, **_FUNCS, **{k.lower(): v for k, v in _FUNCS.items()}}
_ALLOWED = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.UAdd,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Mod,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.Call,
)


class ValidationRule:
    """A compiled, seedable validation rule."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.object = spec["object"]
        self.name = spec.get("name", "Rule")
        self.field = spec.get("field")
        self.message = spec.get("message", f"Validation rule {self.name} failed")
        self.condition = spec["condition"]
        text = self.condition.replace("&&", " and ").replace("||", " or ").replace("<>", "!=")
        text = re.sub(r"(?<![=<>!])=(?!=)", "==", text)
        text = re.sub(r"!(?!=)", " not ", text)
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise RuleError(
                f"validation rule {self.name}: bad condition {self.condition!r}"
            ) from exc
        for node in ast.walk(tree):
            if not isinstance(node, _ALLOWED):
                raise RuleError(
                    f"validation rule {self.name}: {type(node).__name__} is not allowed in "
                    "conditions"
                )
            if isinstance(node, ast.Call) and (
                not isinstance(node.func, ast.Name) or node.func.id.upper() not in _FUNCS
            ):
                raise RuleError(f"validation rule {self.name}: unknown function")
        self._code = compile(tree, f"<rule {self.name}>", "eval")
        self.names = sorted(
            {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            - set(_CONSTS)
            - set(_FUNCS)
            - {f.lower() for f in _FUNCS}
        )

    def fails(self, record: dict[str, Any]) -> bool:
        """True when the rule fires (the record is invalid)."""
        env = dict(_BASE_ENV)
        lowered = {k.lower(): v for k, v in record.items()}
        for name in self.names:
            env[name] = lowered.get(name.lower())
        try:
            return bool(eval(self._code, {"__builtins__": {}}, env))  # noqa: S307 - whitelisted AST
        except (TypeError, ZeroDivisionError, ValueError):
            return False

    def error(self) -> RecordError:
        return RecordError(
            "FIELD_CUSTOM_VALIDATION_EXCEPTION", self.message, (self.field,) if self.field else ()
        )
