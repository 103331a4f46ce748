"""Deterministic fake end users with e-mail keys that are awkward on purpose.

Each person belongs to an account (a company with its own `.example` domain, reserved by RFC 2606
so no real mailbox is ever named). The report key is the person's e-mail as WalkMe would export
it; a documented share of keys is awkward, each kind drawn independently:

| kind                 | rate | example                        |
|----------------------|------|--------------------------------|
| `mixed_case`         | 10 % | `Zoe.Smith@Northwind.example`  |
| `plus_address`       |  5 % | `zoe.smith+walkme@…`           |
| `apostrophe`         |  3 % | `liam.o'brien@…`               |
| `non_ascii`          |  3 % | `zoë.müller@…`                 |
| `surrounding_spaces` |  2 % | `" zoe.smith@… "`              |

Keys are unique after trimming and Unicode case folding (`str.strip().casefold()`), which is how
the pipeline compares them; uniqueness is kept per account domain, so memory stays bounded by the
number of accounts, not people.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple


def _words(text: str) -> tuple[str, ...]:
    """Whitespace-separated words (keeps long name lists compact)."""
    return tuple(text.split())


AWKWARD_RATES: dict[str, float] = {
    "mixed_case": 0.10,
    "plus_address": 0.05,
    "apostrophe": 0.03,
    "non_ascii": 0.03,
    "surrounding_spaces": 0.02,
}

FIRST_NAMES = _words(
    "Liam Olivia Noah Emma Oliver Ava Elijah Sophia James Isabella William Mia Benjamin "
    "Amelia Lucas Harper Henry Evelyn Theodore Abigail Jack Emily Levi Ella Alexander "
    "Elizabeth Jackson Camila Mateo Luna Daniel Sofia Michael Avery Mason Mila Sebastian Aria "
    "Ethan Scarlett Logan Penelope Owen Layla Samuel Chloe Jacob Victoria Asher Madison Aiden "
    "Eleanor John Grace Joseph Nora Wyatt Riley David Zoey Leo Hannah Luke Hazel Julian Lily "
    "Hudson Ellie Grayson Violet Matthew Lillian Ezra Zoe Gabriel Stella Carter Aurora Isaac "
    "Natalie Jayden Emilia Anthony Priya Arjun Wei Mei Hiroshi Yuki Fatima Omar Aisha Kwame "
    "Amara Diego Lucia Ana Pedro Ines"
)
NON_ASCII_FIRST_NAMES = _words(
    "Zoë José Søren Françoise Björn Łukasz Renée Chloé Jürgen Ágnes Niamh Íñigo Mária Dağ Åsa "
    "Jérôme Noémie Zoltán Çağla Oğuz"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter "
    "Roberts Patel Shah Kim Chen Wang Tanaka Sato Kowalski Novak Schmidt Fischer Weber Rossi "
    "Bianchi Dubois Laurent"
)
APOSTROPHE_LAST_NAMES = ("O'Brien", "O'Neil", "D'Angelo", "O'Connor", "N'Diaye", "D'Souza")
NON_ASCII_LAST_NAMES = ("Müller", "Núñez", "Åberg", "Kovačević", "Gómez", "Støre", "Łopez")
PLUS_TAGS = ("walkme", "trial", "eu", "2026", "insights", "sso")

_COMPANY_FIRST = _words(
    "Northwind Contoso Fabrikam Tailspin Wingtip Adventure Litware Proseware Lucerne Margie's "
    "Alpine Coho Humongous Trey Blue Yonder Wide World Fourth Coffee Graphic Design "
    "Consolidated Acme Globex Initech Umbrella Stark Wayne Wonka Hooli Vandelay Cyberdyne "
    "Soylent O'Reilly"
)
_COMPANY_SECOND = _words(
    "Traders Systems Analytics Health Logistics Partners Labs Software Energy Foods Bank "
    "Insurance Retail Media Studios Robotics Pharma Airlines Motors Consulting"
)
_COMPANY_SUFFIX = ("", "", "", " Inc.", " Ltd.", " GmbH", " S.A.", ", Inc.", " & Co.", " AG")


class Person(NamedTuple):
    """One end user: names, account, e-mail as stored and the key as exported."""

    first_name: str
    last_name: str
    account_name: str
    email: str  # the e-mail itself (what a CRM record holds)
    key: str  # the report's End User ID (e-mail, maybe with spaces around / other case)
    awkward: list[str]  # the awkward kinds this key has (see AWKWARD_RATES)


@dataclass
class _Account:
    name: str
    domain: str
    remaining: int
    used_locals: set[str] = field(default_factory=set)


_AWKWARD_ITEMS = tuple(AWKWARD_RATES.items())


def _pick(random_: Callable[[], float], options: Sequence[str]) -> str:
    """`random.choice` without its overhead (the generator's hot path)."""
    return options[int(random_() * len(options))]


def _ascii_slug(text: str) -> str:
    return "".join(c for c in text.lower() if c.isascii() and c.isalnum())


def toggle_case(text: str) -> str:
    """A different-case spelling of `text` (first cased letter flipped); same after casefold."""
    for i, char in enumerate(text):
        if char.lower() != char.upper():
            flipped = char.lower() if char.isupper() else char.upper()
            if flipped.casefold() == char.casefold():
                return text[:i] + flipped + text[i + 1 :]
    return text


class PersonFactory:
    """Generate people in account-sized batches from one `random.Random`."""

    def __init__(self, rng: random.Random, *, domain_tag: str = "") -> None:
        self._rng = rng
        self._domain_tag = domain_tag
        self._domains: dict[str, int] = {}  # domain base → accounts using it so far
        self._account: _Account | None = None

    def _new_account(self) -> _Account:
        rng = self._rng
        first = rng.choice(_COMPANY_FIRST)
        second = rng.choice(_COMPANY_SECOND)
        name = f"{first} {second}{rng.choice(_COMPANY_SUFFIX)}"
        base = f"{_ascii_slug(first)}-{_ascii_slug(second)}{self._domain_tag}"
        used = self._domains.get(base, 0)
        self._domains[base] = used + 1
        domain = f"{base}{used + 1}.example" if used else f"{base}.example"
        size = 1 + int(rng.random() ** 2 * 40)  # many small accounts, a few large ones
        return _Account(name, domain, size)

    def next(self) -> Person:
        """The next person (a new account starts when the current one is full)."""
        rng = self._rng
        account = self._account
        if account is None or account.remaining <= 0:
            account = self._account = self._new_account()
        account.remaining -= 1
        random_ = rng.random
        awkward = [kind for kind, rate in _AWKWARD_ITEMS if random_() < rate]
        if "non_ascii" in awkward:
            first = _pick(random_, NON_ASCII_FIRST_NAMES)
            last = _pick(random_, NON_ASCII_LAST_NAMES)
        else:
            first = _pick(random_, FIRST_NAMES)
            last = _pick(random_, LAST_NAMES)
        if "apostrophe" in awkward:
            last = _pick(random_, APOSTROPHE_LAST_NAMES)
        pattern = random_()
        f, la = first.lower(), last.lower().replace(" ", "")
        if pattern < 0.55:
            local = f"{f}.{la}"
        elif pattern < 0.75:
            local = f"{f[0]}{la}"
        elif pattern < 0.9:
            local = f"{f}_{la}"
        else:
            local = f"{f}{la[0]}"
        if "plus_address" in awkward:
            local = f"{local}+{_pick(random_, PLUS_TAGS)}"
        candidate, number = local, 2
        while candidate.casefold() in account.used_locals:
            base, plus, tag = local.partition("+")
            candidate = f"{base}{number}{plus}{tag}"
            number += 1
        account.used_locals.add(candidate.casefold())
        domain = account.domain
        if "mixed_case" in awkward:
            candidate = ".".join(part[:1].upper() + part[1:] for part in candidate.split("."))
            domain = domain[:1].upper() + domain[1:]
        email = f"{candidate}@{domain}"
        key = email
        if "surrounding_spaces" in awkward:
            side = random_()
            key = f" {email}" if side < 0.4 else f"{email} " if side < 0.8 else f"  {email} "
        return Person(first, last, account.name, email, key, awkward)
