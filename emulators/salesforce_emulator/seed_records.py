"""Turn seed records into stored rows quickly (seeds of a million records load in seconds).

A seed record is a JSON object of field API names (any case) to values. Generated seeds have
a handful of distinct key sets, so :class:`RecordEncoder` works out once per key set which
column each key fills and which converter it needs (see :func:`value_conversion.converter`), then
encodes each record as a tuple in one pass. The stored result is exactly what converting each
value with ``coerce`` and merging it over the object's defaults gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from . import ids
from .metadata import ObjectDef
from .value_conversion import converter
from .write_errors import TypeMismatch

PERSON_OBJECTS = frozenset({"Contact", "Lead", "User"})


class SeedError(ValueError):
    """A seed that cannot be applied; the message names the problem and the fix."""


def sql_literal(value: Any) -> str | None:
    """``value`` as an SQLite literal, or None when it is better bound as a parameter."""
    if value is None:
        return "NULL"
    if type(value) is int:
        return str(value)
    if type(value) is float and math.isfinite(value):
        return repr(value)
    if type(value) is str and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    return None


@dataclass(frozen=True, eq=False)
class Plan:
    """How records with one key set become rows: ``columns`` are bound per row (defaults that
    cannot be literals, the record's columns, Name, Id); ``constants`` are the other defaults,
    the same for every row, written into the INSERT statement as literals."""

    columns: tuple[str, ...]
    constants: tuple[tuple[str, str], ...]  # (column, SQL literal)
    defaults: tuple[Any, ...]  # bound defaults, first in each row
    pairs: tuple[tuple[str, Callable[[Any], Any]], ...]  # (record key, converter), Id last
    has_id: bool
    name_parts: tuple[int, ...]  # indexes of FirstName, LastName in the converted values
    name_at: int | None  # index of a given Name in the converted values (it is recomputed)


class RecordEncoder:
    """Encodes the seed records of one object, a batch at a time (:meth:`encode`)."""

    def __init__(self, obj: ObjectDef, defaults: dict[str, Any]) -> None:
        self.obj = obj
        self._defaults = defaults
        self._plans: dict[tuple[str, ...], Plan] = {}
        self._person_name = obj.name in PERSON_OBJECTS and "Name" in obj.fields

    def _plan(self, index: int, shape: tuple[str, ...]) -> Plan:
        obj = self.obj
        chosen: dict[str, tuple[str, dict[str, Any]]] = {}
        for key in shape:
            if key == "attributes":
                continue
            fdesc = obj.field(key)
            if fdesc is None:
                raise SeedError(
                    f"records.{obj.name}[{index}]: no field {key!r} on {obj.name}; add it "
                    "under 'fields' first"
                )
            chosen[fdesc["name"]] = (key, fdesc)  # a repeated field: the last key wins
        record_columns = tuple(c for c in chosen if c != "Id")
        literals = {c: sql_literal(v) for c, v in self._defaults.items() if c not in chosen}
        base = tuple(c for c, literal in literals.items() if literal is None)
        adds_name = self._person_name and "Name" not in chosen
        order = record_columns + (("Id",) if "Id" in chosen else ())  # Id last: popped first
        parts = tuple(order.index(p) for p in ("FirstName", "LastName") if p in order)
        return Plan(
            columns=base + record_columns + (("Name",) if adds_name else ()) + ("Id",),
            constants=tuple((c, lit) for c, lit in literals.items() if lit is not None),
            defaults=tuple(self._defaults[c] for c in base),
            pairs=tuple((chosen[c][0], converter(chosen[c][1])) for c in order),
            has_id="Id" in chosen,
            name_parts=parts if self._person_name else (),
            name_at=None if adds_name or not self._person_name else order.index("Name"),
        )

    def encode(
        self, first_index: int, records: Sequence[Any]
    ) -> tuple[dict[Plan, list[list[Any]]], list[list[Any]]]:
        """Rows of ``records`` (numbered from ``first_index``) grouped by plan, plus the rows
        whose Id (their last value, None for now) is to be generated, in record order.
        Raises SeedError naming the record and field."""
        groups: dict[Plan, list[list[Any]]] = {}
        needs_id: list[list[Any]] = []
        plans = self._plans
        person = self._person_name
        for index, record in enumerate(records, first_index):
            if type(record) is not dict:
                raise SeedError(f"records.{self.obj.name}[{index}] must be a JSON object")
            shape = tuple(record)
            plan = plans.get(shape)
            if plan is None:
                plan = plans[shape] = self._plan(index, shape)
            try:
                values = [conv(record[key]) for key, conv in plan.pairs]
            except TypeMismatch as exc:
                raise self._type_error(index, plan, exc) from None
            record_id = values.pop() if plan.has_id else None
            if record_id:
                record_id = self._checked_id(index, record_id)
            if person:  # Name is always derived from FirstName and LastName
                name = " ".join([str(values[i]) for i in plan.name_parts if values[i]]) or None
                if plan.name_at is None:
                    values.append(name)
                else:
                    values[plan.name_at] = name
            row = [*plan.defaults, *values, record_id or None]
            group = groups.get(plan)
            if group is None:
                group = groups[plan] = []
            group.append(row)
            if not record_id:
                needs_id.append(row)
        return groups, needs_id

    def _type_error(self, index: int, plan: Plan, exc: TypeMismatch) -> SeedError:
        key = next(k for k, _ in plan.pairs if self.obj.field(k)["name"] == exc.field_name)
        return SeedError(
            f"records.{self.obj.name}[{index}].{key}: {exc.value!r} is not a valid {exc.sf_type}"
        )

    def _checked_id(self, index: int, raw: Any) -> str:
        norm = ids.normalize(raw)
        if norm is None or not norm.startswith(self.obj.key_prefix):
            raise SeedError(
                f"records.{self.obj.name}[{index}]: Id {raw!r} is not a valid "
                f"{self.obj.name} Id (key prefix {self.obj.key_prefix})"
            )
        return norm


def batches(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    """Consecutive lists of at most ``size`` items."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
