"""Unique-identifier handling: key comparison, empty keys and duplicate-key policies.

Keys are compared after trimming surrounding whitespace; a key that contains ``@`` (an
e-mail-like key) is compared case-insensitively (``str.casefold``), any other key exactly.
The record keeps the key *as written* in the export.

Policies for several rows with the same key (setting ``duplicate_keys``):

- ``last`` (default): the last row in the export wins;
- ``first``: the first row wins;
- ``fail``: the sync stops, naming the first duplicated rows.

Memory: the first pass over the export keeps, per distinct key, a 128-bit *fingerprint* of its
comparison form — not the key text, not its row — in a ``set`` (≈ 80 bytes a key; measured on
1,000,000 e-mail keys: ≈ 80 MB where a ``dict`` of key text → row number took ≈ 150 MB). Only
keys that do repeat get a winning row number, in a ``dict`` (``fail`` keeps every key's row,
to name both rows). Rows themselves are never held: the second pass re-reads the export and
emits only winning rows.

The fingerprint is two 64-bit SipHash values (Python's ``hash`` of the key and of the key plus
a separator) under the interpreter's per-process random hash key. Two *different* keys share
a fingerprint with a probability of about n² / 2¹²⁹ (≈ 10⁻²⁷ for a million keys) — far below
the rate of undetected hardware errors — so keys are, in practice, compared exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tap_walkme_insights.errors import TapWalkMeInsightsError

DUPLICATE_POLICIES = ("last", "first", "fail")
_EXAMPLES = 5
_MASK64 = (1 << 64) - 1
_FIRST_PENDING = 0
"""``first`` policy: a repeated key's winner is the first row pass 2 meets (row numbers start
at 1, so 0 is free to mean "not met yet")."""


class DuplicateKeyError(TapWalkMeInsightsError, ValueError):
    """Raised under ``duplicate_keys: fail`` when a key repeats."""


def normalize_key(value: str | None) -> str | None:
    """Return the comparison form of a key, or ``None`` for an empty key."""
    if value is None:
        return None
    key = value.strip()
    if not key:
        return None
    return key.casefold() if "@" in key else key


def key_fingerprint(value: str | None) -> int | None:
    """128-bit fingerprint of a key's comparison form, or ``None`` for an empty key."""
    key = normalize_key(value)
    if key is None:
        return None
    return ((hash(key) & _MASK64) << 64) | (hash(key + "\x1f") & _MASK64)


def comparison_forms(raw_keys: Sequence[str]) -> list[str]:
    """:func:`normalize_key` of each key, with ``""`` (not ``None``) for an empty key."""
    return [key.casefold() if "@" in key else key for key in map(str.strip, raw_keys)]


def fingerprints_of(keys: Sequence[str]) -> list[int]:
    """The fingerprint of each (non-empty) comparison form: the value of
    :func:`key_fingerprint` for a raw key with that form."""
    mask = _MASK64
    return [((hash(key) & mask) << 64) | (hash(key + "\x1f") & mask) for key in keys]


@dataclass
class KeyIndex:
    """Which row wins for each key, built in a first pass over the export."""

    policy: str = "last"
    label: str = "export"
    key_header: str = "key"
    empty_keys: int = 0
    empty_key_rows: list[int] = field(default_factory=list)
    duplicate_rows: int = 0
    duplicated_keys: int = 0
    _seen: set[int] = field(default_factory=set, repr=False)
    _winners: dict[int, int] = field(default_factory=dict, repr=False)
    """Repeated keys (``last``/``first``) or every key (``fail``) → winning row number."""

    def __post_init__(self) -> None:
        if self.policy not in DUPLICATE_POLICIES:
            allowed = ", ".join(DUPLICATE_POLICIES)
            msg = f"duplicate_keys must be one of {allowed}, not {self.policy!r}."
            raise ValueError(msg)

    @property
    def distinct_keys(self) -> int:
        """Number of distinct non-empty keys seen so far."""
        return len(self._winners) if self.policy == "fail" else len(self._seen)

    def add(self, raw_key: str, row_number: int) -> None:
        """Record one row's key (pass 1)."""
        self._add(key_fingerprint(raw_key), row_number)

    def add_batch(self, raw_keys: Sequence[str], start: int) -> None:
        """Record the keys of rows ``start + 1``, ``start + 2``, …: the same as calling
        :meth:`add` for each in turn (the same counts, examples, winners and error). When no
        key of the batch repeats (and no empty key is still wanted as an example), that is
        done for the whole batch at once; otherwise row by row."""
        forms = comparison_forms(raw_keys)
        empties = forms.count("")
        prints = fingerprints_of([key for key in forms if key] if empties else forms)
        if not empties or len(self.empty_key_rows) >= _EXAMPLES:
            if self.policy == "fail":
                winners = self._winners
                if winners.keys().isdisjoint(prints):
                    before = len(winners)
                    rows: Iterable[int] = range(start + 1, start + 1 + len(forms))
                    if empties:
                        rows = [row for row, key in zip(rows, forms, strict=True) if key]
                    winners.update(zip(prints, rows, strict=True))
                    if len(winners) - before == len(prints):
                        self.empty_keys += empties
                        return
                    for fingerprint in prints:  # a key repeats within the batch: undo
                        winners.pop(fingerprint, None)
            else:
                seen = self._seen
                if seen.isdisjoint(prints):
                    before = len(seen)
                    seen.update(prints)
                    if len(seen) - before == len(prints):
                        self.empty_keys += empties
                        return
                    seen.difference_update(prints)  # a key repeats within the batch: undo
        add = self._add
        next_print = iter(prints).__next__
        for row_number, key in enumerate(forms, start + 1):
            add(next_print() if key else None, row_number)

    def _add(self, fingerprint: int | None, row_number: int) -> None:
        if fingerprint is None:
            self.empty_keys += 1
            if len(self.empty_key_rows) < _EXAMPLES:
                self.empty_key_rows.append(row_number)
            return
        if self.policy == "fail":
            previous = self._winners.setdefault(fingerprint, row_number)
            if previous != row_number:
                msg = (
                    f"{self.label}: rows {previous} and {row_number} have the same "
                    f"{self.key_header!r} (compared case-insensitively for e-mail-like keys). "
                    "Remove the duplicates or set `duplicate_keys` to 'last' or 'first'."
                )
                raise DuplicateKeyError(msg)
            return
        seen = self._seen
        before = len(seen)
        seen.add(fingerprint)
        if len(seen) != before:
            return
        self.duplicate_rows += 1
        winners = self._winners
        if fingerprint not in winners:
            self.duplicated_keys += 1
            winners[fingerprint] = _FIRST_PENDING
        if self.policy == "last":
            winners[fingerprint] = row_number

    def finish(self) -> None:
        """End of pass 1 (kept for callers; nothing to release)."""

    def is_winner(self, raw_key: str, row_number: int) -> bool:
        """Whether this row is the one emitted for its key (pass 2, rows in export order)."""
        fingerprint = key_fingerprint(raw_key)
        if fingerprint is None:
            return False
        winner = self._winners.get(fingerprint)
        if winner is None:  # a key that does not repeat (unless pass 1 never saw it)
            return self.policy != "fail" and fingerprint in self._seen
        if winner == _FIRST_PENDING:
            self._winners[fingerprint] = winner = row_number
        return winner == row_number
