"""The emulated org: objects, users, connected apps, validation rules, counters — and seeds.

Everything a request handler needs hangs off one :class:`Org`. Seeds (format in
``emulators/README.md`` and docs/architecture.md) are applied in order; the metadata part of
every applied seed is kept in the database so a ``--db`` file can be reopened later.

Seed files above :data:`STREAM_SEED_BYTES` are never held in memory: their records are read
one by one (:mod:`.seed_file`), encoded in batches (:mod:`.seed_records`) and inserted with
``executemany`` in one transaction per object, with the object's lookup indexes rebuilt once
at the end when a load is large.
"""

from __future__ import annotations

import copy
import itertools
import json
import operator
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from . import ids
from .faults import Faults
from .limits import DEFAULT_API_LIMIT, ApiCounter
from .metadata import ObjectDef, make_object, standard_object_defs
from .seed_file import SeedFile, SeedFormatError
from .seed_records import RecordEncoder, SeedError, batches
from .stats import Stats
from .store import Store, now_iso
from .validation_rules import ValidationRule

STREAM_SEED_BYTES = 8 * 1024 * 1024
"""Seed files larger than this are streamed (records last) instead of read whole."""
SEED_BATCH = 5_000
"""Records encoded and inserted per ``executemany`` round."""
REBUILD_INDEXES_AFTER = 50_000
"""A load bigger than this drops the object's lookup indexes and builds them once at the end."""
Seed = dict[str, Any] | SeedFile
_SEED_KEYS = frozenset(
    {
        "org",
        "users",
        "connected_apps",
        "fields",
        "objects",
        "validation_rules",
        "records",
        "description",
        "$schema",
    }
)


def default_values(obj: ObjectDef, now: str, user_id: str) -> dict[str, Any]:
    """Values a new record gets for fields it does not set: false booleans, system stamps,
    owner/creator, default picklist values."""
    out: dict[str, Any] = {}
    for fname, fdesc in obj.fields.items():
        if fdesc["type"] == "boolean":
            out[fname] = 0
        elif fname in {"CreatedDate", "LastModifiedDate", "SystemModstamp"}:
            out[fname] = now
        elif fname in {"CreatedById", "LastModifiedById", "OwnerId"}:
            out[fname] = user_id
        elif fdesc.get("defaultedOnCreate") and fdesc.get("picklistValues"):
            defaults = [p["value"] for p in fdesc["picklistValues"] if p["defaultValue"]]
            if defaults:
                out[fname] = defaults[0]
    return out


@dataclass
class User:
    """An org user and its permissions."""

    id: str
    username: str
    password: str
    security_token: str = ""
    profile: str = "Standard User"
    modify_all_data: bool = False
    object_permissions: dict[str, dict[str, bool]] = field(default_factory=dict)
    read_only_fields: dict[str, list[str]] = field(default_factory=dict)
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    active: bool = True

    def can(self, obj: str, action: str) -> bool:
        """``action`` is read | edit | create | delete. Modify All Data allows everything."""
        if self.modify_all_data:
            return True
        for name, perms in self.object_permissions.items():
            if name.lower() == obj.lower():
                if action != "read" and not perms.get("read", True):
                    return False
                return bool(perms.get(action, True))
        return True

    def field_editable(self, obj: str, field_name: str) -> bool:
        if self.modify_all_data:
            return True
        for name, fields in self.read_only_fields.items():
            if name.lower() == obj.lower() and field_name.lower() in {f.lower() for f in fields}:
                return False
        return True

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or self.username


@dataclass
class ConnectedApp:
    """An OAuth client."""

    client_id: str
    client_secret: str
    redirect_uris: list[str] = field(default_factory=list)
    certificate: str | None = None
    run_as: str | None = None
    scopes: list[str] = field(default_factory=lambda: ["api", "refresh_token"])
    name: str = "Emulator App"


def load_seed(ref: str) -> Seed:
    """Load a seed by built-in name (``default``) or JSON file path.

    Files over :data:`STREAM_SEED_BYTES` come back as a :class:`SeedFile`, read when applied
    (and again on reset) without holding the records in memory."""
    if "/" not in ref and "\\" not in ref and not ref.endswith(".json"):
        try:
            text = (
                resources.files("salesforce_emulator.seeds")
                .joinpath(f"{ref}.json")
                .read_text(encoding="utf-8")
            )
        except FileNotFoundError:
            raise SeedError(
                f"no built-in seed named {ref!r}; use 'default' or a path to a JSON file"
            ) from None
    else:
        path = Path(ref)
        if not path.is_file():
            raise SeedError(f"seed file {ref} does not exist; pass an existing JSON file")
        if path.stat().st_size > STREAM_SEED_BYTES:
            seed = SeedFile(path, ref)
            try:
                seed.metadata()  # fail at start-up, not at the first reset, on a broken head
            except (SeedFormatError, UnicodeDecodeError) as exc:
                raise SeedError(str(exc)) from None
            return seed
        text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SeedError(f"seed {ref} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SeedError(f"seed {ref} must be a JSON object with keys like users, records")
    return data


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
        # Imported here to keep module dependencies one-way (oauth/bulk use Org).
        from .bulk import BulkJobs
        from .bulk_query import BulkQueryJobs
        from .oauth import TokenStore

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
                self._apply_metadata(seed)
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
        """Apply one seed; returns counts of what it added."""
        if isinstance(seed, SeedFile):
            try:
                return self._apply_seed_file(seed)
            except (SeedFormatError, UnicodeDecodeError) as exc:
                raise SeedError(str(exc)) from None
            except OSError as exc:
                raise SeedError(f"seed file {seed.name} cannot be read: {exc}") from None
        if not isinstance(seed, dict):
            raise SeedError("a seed must be a JSON object")
        unknown = set(seed) - _SEED_KEYS
        if unknown:
            raise SeedError(
                f"unknown seed keys {sorted(unknown)}; allowed: org, users, connected_apps, "
                "fields, objects, validation_rules, records"
            )
        with self.lock:
            meta = {k: v for k, v in seed.items() if k != "records"}
            counts = self._apply_metadata(meta)
            stored = self.store.get_meta("seeds") or []
            stored.append(meta)
            self.store.set_meta("seeds", stored)
            records = seed.get("records") or {}
            if not isinstance(records, dict):
                raise SeedError("records must be an object of sObject name -> list of records")
            created = 0
            for obj_name, object_records in records.items():
                created += self._seed_records(obj_name, object_records)
            counts["records"] = created
            return counts

    def _apply_seed_file(self, seed: SeedFile) -> dict[str, int]:
        meta = seed.metadata()
        unknown = set(meta) - _SEED_KEYS
        if unknown:
            raise SeedError(
                f"unknown seed keys {sorted(unknown)}; allowed: org, users, connected_apps, "
                "fields, objects, validation_rules, records"
            )
        with self.lock:
            counts = self._apply_metadata(meta)
            stored = self.store.get_meta("seeds") or []
            stored.append(meta)
            self.store.set_meta("seeds", stored)
            created = 0
            for obj_name, group in itertools.groupby(seed.records(), operator.itemgetter(0)):
                created += self._seed_records(obj_name, (record for _, record in group))
            counts["records"] = created
            return counts

    def _apply_metadata(self, seed: dict[str, Any]) -> dict[str, int]:
        counts = {"users": 0, "connected_apps": 0, "objects": 0, "fields": 0, "validation_rules": 0}
        org = seed.get("org") or {}
        if org.get("id"):
            org_id = ids.normalize(org["id"])
            if not org_id or not org_id.startswith("00D"):
                raise SeedError("org.id must be a 15- or 18-character Id starting with 00D")
            self.org_id = org_id
        self.org_name = org.get("name", self.org_name)
        self.my_domain = org.get("my_domain", self.my_domain)
        if org.get("api_limit") and not self.api_limit_override:
            self.api.set_maximum(int(org["api_limit"]))
        for odef in seed.get("objects") or []:
            if "name" not in odef or not odef["name"].endswith("__c"):
                raise SeedError("objects[].name must be a custom object API name ending in __c")
            odef = dict(odef)
            odef.setdefault("keyPrefix", self._free_prefix())
            obj = make_object(odef)
            self.objects[obj.name.lower()] = obj
            self.store.ensure_table(obj)
            counts["objects"] += 1
        for obj_name, fdefs in (seed.get("fields") or {}).items():
            obj = self.object(obj_name)
            if obj is None:
                raise SeedError(
                    f"fields: unknown object {obj_name!r}; declare custom objects under 'objects'"
                )
            for fdef in fdefs:
                try:
                    obj.add_field(fdef)
                except (KeyError, ValueError) as exc:
                    raise SeedError(f"fields.{obj_name}: {exc}") from None
                counts["fields"] += 1
            self.store.ensure_table(obj)
        for spec in seed.get("users") or []:
            self._add_user(spec)
            counts["users"] += 1
        for spec in seed.get("connected_apps") or []:
            try:
                app = ConnectedApp(
                    client_id=spec["client_id"],
                    client_secret=spec["client_secret"],
                    redirect_uris=list(spec.get("redirect_uris", [])),
                    certificate=spec.get("certificate"),
                    run_as=spec.get("run_as"),
                    scopes=list(spec.get("scopes", ["api", "refresh_token"])),
                    name=spec.get("name", "Emulator App"),
                )
            except KeyError as exc:
                raise SeedError(f"connected_apps[]: missing {exc.args[0]}") from None
            self.apps[app.client_id] = app
            counts["connected_apps"] += 1
        for spec in seed.get("validation_rules") or []:
            obj = self.object(spec.get("object", ""))
            if obj is None:
                raise SeedError(f"validation_rules[]: unknown object {spec.get('object')!r}")
            try:
                rule = ValidationRule({**spec, "object": obj.name})
            except (KeyError, ValueError) as exc:
                raise SeedError(f"validation_rules[]: {exc}") from None
            self.rules.setdefault(obj.name.lower(), []).append(rule)
            counts["validation_rules"] += 1
        return counts

    def _free_prefix(self) -> str:
        used = {o.key_prefix for o in self.objects.values()}
        for n in range(100):
            prefix = f"a0{ids._BASE62[10 + n % 52]}" if n < 52 else f"a1{ids._BASE62[n - 42]}"
            if prefix not in used:
                return prefix
        raise SeedError("no free key prefix; give keyPrefix explicitly")

    def _add_user(self, spec: dict[str, Any]) -> None:
        try:
            username = spec["username"]
            password = spec["password"]
        except KeyError as exc:
            raise SeedError(f"users[]: missing {exc.args[0]}") from None
        existing = self.user_by_name(username)
        user_id = ids.normalize(spec["id"]) if spec.get("id") else None
        if user_id is None:
            user_id = existing.id if existing else self.store.new_ids("005", 1)[0]
        last = spec.get("last_name") or username.split("@")[0].replace(".", " ").title()
        user = User(
            id=user_id,
            username=username,
            password=password,
            security_token=spec.get("security_token", ""),
            profile=spec.get(
                "profile",
                "System Administrator" if spec.get("modify_all_data") else "Standard User",
            ),
            modify_all_data=bool(spec.get("modify_all_data", False)),
            object_permissions=dict(spec.get("object_permissions", {})),
            read_only_fields=dict(spec.get("read_only_fields", {})),
            first_name=spec.get("first_name", ""),
            last_name=last,
            email=spec.get("email", username),
            active=bool(spec.get("active", True)),
        )
        self.users[user.id] = user
        obj = self.objects["user"]
        now = now_iso()
        row = {
            "Id": user.id,
            "IsDeleted": 0,
            "Username": username,
            "LastName": user.last_name,
            "FirstName": user.first_name or None,
            "Name": user.display_name,
            "Email": user.email,
            "Alias": (user.first_name[:1] + user.last_name)[:8] or "user",
            "IsActive": int(user.active),
            "ProfileId": ids.make_id("00e", 1 if user.modify_all_data else 2),
            "TimeZoneSidKey": "GMT",
            "LanguageLocaleKey": "en_US",
            "CreatedDate": now,
            "LastModifiedDate": now,
            "SystemModstamp": now,
            "CreatedById": user.id,
            "LastModifiedById": user.id,
        }
        with self.store.transaction() as conn:
            self.store.insert_rows(conn, obj, [row])

    def _seed_records(self, obj_name: str, records: Iterable[Any]) -> int:
        """Insert one object's seed records (a list or a stream) in one transaction."""
        obj = self.object(obj_name)
        if obj is None:
            raise SeedError(f"records: unknown object {obj_name!r}")
        if isinstance(records, (str, bytes, dict)) or not isinstance(records, Iterable):
            raise SeedError(f"records.{obj_name} must be a list of records")
        admin = self.admin()
        owner = admin.id if admin else ids.make_id("005", 1)
        encoder = RecordEncoder(obj, default_values(obj, now_iso(), owner))
        total = 0
        dropped: list[str] = []
        # A list is in memory already: one batch keeps the insertion order of earlier versions
        # (grouped by column set); a stream goes in bounded batches.
        size = max(len(records), 1) if isinstance(records, list) else SEED_BATCH
        with self.store.transaction() as conn:
            for batch in batches(records, size):
                groups, missing = encoder.encode(total, batch)
                for row, new_id in zip(
                    missing, self.store.new_ids(obj.key_prefix, len(missing)), strict=True
                ):
                    row[-1] = new_id
                total += len(batch)
                if not dropped and total > REBUILD_INDEXES_AFTER:
                    dropped = self.store.drop_lookup_indexes(conn, obj)
                for plan, rows in groups.items():
                    self.store.insert_values(conn, obj, plan.columns, rows, plan.constants)
            if dropped:
                self.store.ensure_table(obj)  # builds the dropped indexes once
        return total

    def metadata_snapshot(self) -> dict[str, Any]:
        """A copy of the object definitions (for debugging/inspection)."""
        return {o.name: copy.deepcopy(o.fields) for o in self.objects.values()}
