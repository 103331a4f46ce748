"""The emulated org: objects, users, connected apps, validation rules, counters, jobs, tokens.

Everything a request handler needs hangs off one :class:`Org`: lookups and its lifecycle
(reopen a ``--db`` file, reset) live here; loading and applying seeds is :mod:`.seeding`, users
and connected apps are :mod:`.users`, the counters :mod:`.stats`.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from . import ids, seeding
from .bulk import BulkJobs
from .bulk_query import BulkQueryJobs
from .faults import Faults
from .limits import DEFAULT_API_LIMIT, ApiCounter
from .metadata import ObjectDef, standard_object_defs
from .record_defaults import default_values
from .seeding import STREAM_SEED_BYTES, Seed, SeedError, load_seed
from .stats import Stats
from .store import Store
from .tokens import TokenStore
from .users import ConnectedApp, User
from .validation_rules import ValidationRule

# Names other modules and tests import from here.
__all__ = [
    "STREAM_SEED_BYTES",
    "ConnectedApp",
    "Org",
    "Seed",
    "SeedError",
    "Stats",
    "User",
    "default_values",
    "load_seed",
]


class Org:
    """The whole emulated org."""

    def __init__(
        self,
        db_path: str | None = None,
        *,
        api_limit: int | None = None,
        token_ttl: float | None = None,
        faults: Faults | None = None,
    ) -> None:
        self.store = Store(db_path)
        self.lock = threading.RLock()
        self.api_limit_override = api_limit
        self.api = ApiCounter(api_limit or DEFAULT_API_LIMIT)
        self.token_ttl = token_ttl
        self.faults = faults or Faults()
        self.stats = Stats()
        self.base_url = "http://127.0.0.1"
        self.auto_approve = False
        self.startup_seeds: list[Seed] = []
        self._initial_faults = self.faults.snapshot()
        self.initial_auto_approve = False  # the CLI sets these two to its start values
        self.initial_bulk_delay = 0.1
        self.initial_bulk_queue_delay = 0.0
        self.initial_bulk_records_per_second = 0.0
        self._init_state()
        self.tokens = TokenStore(self)
        self.bulk = BulkJobs(self)
        self.bulk_query = BulkQueryJobs(self)

    def _init_state(self) -> None:
        self.org_id = ids.make_id("00D", 1)
        self.org_name = "Emulated Org"
        self.my_domain = "emulator"
        self.objects: dict[str, ObjectDef] = {}
        self.users: dict[str, User] = {}
        self.apps: dict[str, ConnectedApp] = {}
        self.rules: dict[str, list[ValidationRule]] = {}
        for obj in standard_object_defs():
            self.objects[obj.name.lower()] = obj
            self.store.ensure_table(obj)

    # -- lookups ---------------------------------------------------------------------------
    def object(self, name: str) -> ObjectDef | None:
        return self.objects.get(name.lower())

    def object_by_prefix(self, prefix: str) -> ObjectDef | None:
        for obj in self.objects.values():
            if obj.key_prefix == prefix:
                return obj
        return None

    def user_by_name(self, username: str) -> User | None:
        for user in self.users.values():
            if user.username.lower() == username.lower():
                return user
        return None

    def admin(self) -> User | None:
        for user in self.users.values():
            if user.modify_all_data:
                return user
        return next(iter(self.users.values()), None)

    def rules_for(self, obj: str) -> list[ValidationRule]:
        return self.rules.get(obj.lower(), [])

    # -- lifecycle -------------------------------------------------------------------------
    def open_existing(self) -> bool:
        """Reload metadata stored by a previous run of a ``--db`` file. True if there was one."""
        stored = self.store.get_meta("seeds")
        if not stored:
            return False
        with self.lock:
            for seed in stored:
                seeding.apply_metadata(self, seed)
            counters = self.store.get_meta("api_used")
            if counters:
                self.api.used = int(counters)
        return True

    def reset(self, seeds: list[Seed] | None = None) -> dict[str, Any]:
        """Drop all data and counters, then apply ``seeds`` (default: the startup seeds)."""
        with self.lock:
            self.bulk.clear()
            self.bulk_query.clear()
            self.store.drop_all()
            self._init_state()
            self.stats.reset()
            self.faults.update({"clear": True, **self._initial_faults})
            self.auto_approve = self.initial_auto_approve
            self.bulk.delay = self.initial_bulk_delay
            self.bulk.queue_delay = self.initial_bulk_queue_delay
            self.bulk.records_per_second = self.initial_bulk_records_per_second
            self.api.reset()
            self.api.set_maximum(self.api_limit_override or DEFAULT_API_LIMIT)
            totals: dict[str, int] = {}
            for seed in self.startup_seeds if seeds is None else seeds:
                for key, value in self.apply_seed(seed).items():
                    totals[key] = totals.get(key, 0) + value
            return totals

    def apply_seed(self, seed: Seed) -> dict[str, int]:
        """Apply one seed (see :mod:`.seeding`); returns counts of what it added."""
        return seeding.apply_seed(self, seed)

    def metadata_snapshot(self) -> dict[str, Any]:
        """A copy of the object definitions (for debugging/inspection)."""
        return {o.name: copy.deepcopy(o.fields) for o in self.objects.values()}
