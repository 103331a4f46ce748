"""Seeds: loading one (a built-in name or a JSON file, streamed when large) and applying it to
an :class:`~.org.Org` (metadata, users, connected apps, validation rules, records).

The metadata part of every applied seed is kept in the database so a ``--db`` file can be
reopened later. Seed files above :data:`STREAM_SEED_BYTES` are never held in memory: their
records are read one by one (:mod:`.seed_file`), encoded in batches (:mod:`.seed_records`) and
inserted with ``executemany`` in one transaction per object, with the object's lookup indexes
rebuilt once at the end when a load is large.
"""

from __future__ import annotations

import itertools
import json
import operator
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import ids
from .metadata import make_object
from .record_defaults import default_values
from .seed_file import SeedFile, SeedFormatError
from .seed_records import RecordEncoder, SeedError, batches
from .store import now_iso
from .users import ConnectedApp, User
from .validation_rules import ValidationRule

if TYPE_CHECKING:
    from .org import Org

__all__ = ["STREAM_SEED_BYTES", "Seed", "SeedError", "apply_metadata", "apply_seed", "load_seed"]

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


def apply_seed(org: Org, seed: Seed) -> dict[str, int]:
    """Apply one seed; returns counts of what it added."""
    if isinstance(seed, SeedFile):
        try:
            return apply_seed_file(org, seed)
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
    with org.lock:
        meta = {k: v for k, v in seed.items() if k != "records"}
        counts = apply_metadata(org, meta)
        stored = org.store.get_meta("seeds") or []
        stored.append(meta)
        org.store.set_meta("seeds", stored)
        records = seed.get("records") or {}
        if not isinstance(records, dict):
            raise SeedError("records must be an object of sObject name -> list of records")
        created = 0
        for obj_name, object_records in records.items():
            created += seed_records(org, obj_name, object_records)
        counts["records"] = created
        return counts


def apply_seed_file(org: Org, seed: SeedFile) -> dict[str, int]:
    meta = seed.metadata()
    unknown = set(meta) - _SEED_KEYS
    if unknown:
        raise SeedError(
            f"unknown seed keys {sorted(unknown)}; allowed: org, users, connected_apps, "
            "fields, objects, validation_rules, records"
        )
    with org.lock:
        counts = apply_metadata(org, meta)
        stored = org.store.get_meta("seeds") or []
        stored.append(meta)
        org.store.set_meta("seeds", stored)
        created = 0
        for obj_name, group in itertools.groupby(seed.records(), operator.itemgetter(0)):
            created += seed_records(org, obj_name, (record for _, record in group))
        counts["records"] = created
        return counts


def apply_metadata(org: Org, seed: dict[str, Any]) -> dict[str, int]:
    counts = {"users": 0, "connected_apps": 0, "objects": 0, "fields": 0, "validation_rules": 0}
    org_spec = seed.get("org") or {}
    if org_spec.get("id"):
        org_id = ids.normalize(org_spec["id"])
        if not org_id or not org_id.startswith("00D"):
            raise SeedError("org.id must be a 15- or 18-character Id starting with 00D")
        org.org_id = org_id
    org.org_name = org_spec.get("name", org.org_name)
    org.my_domain = org_spec.get("my_domain", org.my_domain)
    if org_spec.get("api_limit") and not org.api_limit_override:
        org.api.set_maximum(int(org_spec["api_limit"]))
    for odef in seed.get("objects") or []:
        if "name" not in odef or not odef["name"].endswith("__c"):
            raise SeedError("objects[].name must be a custom object API name ending in __c")
        odef = dict(odef)
        odef.setdefault("keyPrefix", free_prefix(org))
        obj = make_object(odef)
        org.objects[obj.name.lower()] = obj
        org.store.ensure_table(obj)
        counts["objects"] += 1
    for obj_name, fdefs in (seed.get("fields") or {}).items():
        obj = org.object(obj_name)
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
        org.store.ensure_table(obj)
    for spec in seed.get("users") or []:
        add_user(org, spec)
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
        org.apps[app.client_id] = app
        counts["connected_apps"] += 1
    for spec in seed.get("validation_rules") or []:
        obj = org.object(spec.get("object", ""))
        if obj is None:
            raise SeedError(f"validation_rules[]: unknown object {spec.get('object')!r}")
        try:
            rule = ValidationRule({**spec, "object": obj.name})
        except (KeyError, ValueError) as exc:
            raise SeedError(f"validation_rules[]: {exc}") from None
        org.rules.setdefault(obj.name.lower(), []).append(rule)
        counts["validation_rules"] += 1
    return counts


def free_prefix(org: Org) -> str:
    used = {o.key_prefix for o in org.objects.values()}
    for n in range(100):
        prefix = f"a0{ids._BASE62[10 + n % 52]}" if n < 52 else f"a1{ids._BASE62[n - 42]}"
        if prefix not in used:
            return prefix
    raise SeedError("no free key prefix; give keyPrefix explicitly")


def add_user(org: Org, spec: dict[str, Any]) -> None:
    try:
        username = spec["username"]
        password = spec["password"]
    except KeyError as exc:
        raise SeedError(f"users[]: missing {exc.args[0]}") from None
    existing = org.user_by_name(username)
    user_id = ids.normalize(spec["id"]) if spec.get("id") else None
    if user_id is None:
        user_id = existing.id if existing else org.store.new_ids("005", 1)[0]
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
    org.users[user.id] = user
    obj = org.objects["user"]
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
    with org.store.transaction() as conn:
        org.store.insert_rows(conn, obj, [row])


def seed_records(org: Org, obj_name: str, records: Iterable[Any]) -> int:
    """Insert one object's seed records (a list or a stream) in one transaction."""
    obj = org.object(obj_name)
    if obj is None:
        raise SeedError(f"records: unknown object {obj_name!r}")
    if isinstance(records, (str, bytes, dict)) or not isinstance(records, Iterable):
        raise SeedError(f"records.{obj_name} must be a list of records")
    admin = org.admin()
    owner = admin.id if admin else ids.make_id("005", 1)
    encoder = RecordEncoder(obj, default_values(obj, now_iso(), owner))
    total = 0
    dropped: list[str] = []
    # A list is in memory already: one batch keeps the insertion order of earlier versions
    # (grouped by column set); a stream goes in bounded batches.
    size = max(len(records), 1) if isinstance(records, list) else SEED_BATCH
    with org.store.transaction() as conn:
        for batch in batches(records, size):
            groups, missing = encoder.encode(total, batch)
            for row, new_id in zip(
                missing, org.store.new_ids(obj.key_prefix, len(missing)), strict=True
            ):
                row[-1] = new_id
            total += len(batch)
            if not dropped and total > REBUILD_INDEXES_AFTER:
                dropped = org.store.drop_lookup_indexes(conn, obj)
            for plan, rows in groups.items():
                org.store.insert_values(conn, obj, plan.columns, rows, plan.constants)
        if dropped:
            org.store.ensure_table(obj)  # builds the dropped indexes once
    return total
