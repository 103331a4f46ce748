"""Every setting of the target, declared once.

:data:`SETTINGS` is the one table: name, Meltano kind, default, allowed values, description,
scope and whether the value is a secret. From it come the top-level config schema
(:func:`config_schema`, what ``--about`` prints), the schema of a ``streams.<name>`` override
(:func:`stream_override_schema`), the keys an override may set (:data:`STREAM_KEYS`) and every
default the code falls back to (:func:`default`). ``tests/e2e/test_project_config.py`` checks
meltano.yml and ``--about`` against it; ``tests/target/test_target_settings.py`` the README.

This module imports nothing from the package, so every other module may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from singer_sdk import typing as th

__all__ = [
    "AUTH_FLOWS",
    "DEFAULT_FAIL_ON",
    "FAIL_ON_CHOICES",
    "MATCH_STRATEGIES",
    "MULTIPLE_MATCH_POLICIES",
    "NULL_POLICIES",
    "SETTINGS",
    "STREAM_KEYS",
    "WRITE_METHODS",
    "Setting",
    "config_schema",
    "default",
    "stream_override_schema",
]

AUTH_FLOWS = ("refresh_token", "jwt_bearer", "client_credentials", "password", "access_token")
MULTIPLE_MATCH_POLICIES = ("update_all", "skip", "fail")
NULL_POLICIES = ("skip", "clear")
WRITE_METHODS = ("auto", "collections", "bulk")
#: How keys are matched: ``auto`` picks the cheaper in API calls (see ``match_strategy.py``).
MATCH_STRATEGIES = ("auto", "in_query", "bulk_query")
#: ``fail_on`` values, from most lenient to strictest: which outcome of a stream makes the
#: target exit non-zero (so Meltano and the scheduler mark the job failed). Each includes the
#: ones before it: ``run_failure`` (the run stopped), ``failed_rows`` (also: Salesforce refused
#: or did not confirm a row), ``rejected_rows`` (also: a row was rejected before writing).
FAIL_ON_CHOICES = ("run_failure", "failed_rows", "rejected_rows")
DEFAULT_FAIL_ON = "failed_rows"

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


def _connection(name: str, kind: Kind, description: str, **extra: Any) -> Setting:
    return Setting(name, kind, description, "connection", **extra)


def _run(name: str, kind: Kind, description: str, **extra: Any) -> Setting:
    return Setting(name, kind, description, "run", **extra)


def _stream(name: str, kind: Kind, description: str, **extra: Any) -> Setting:
    return Setting(name, kind, description, "stream", **extra)


_TABLE = (
    # ── Salesforce connection ─────────────────────────────────────────────────────────────
    _connection(
        "auth_flow",
        "options",
        "OAuth flow: `refresh_token` (client id + secret + stored refresh token), "
        "`jwt_bearer` (client id + username + private key), `client_credentials` (client id "
        "+ secret, My Domain login_url only), `access_token` (a given token + instance_url), "
        "or `password` (emulator and tests only). Inferred from the settings when omitted.",
        choices=AUTH_FLOWS,
        summary="OAuth flow; inferred from the credentials given when omitted.",
    ),
    _connection(
        "login_url",
        "string",
        "Where to log in: `https://login.salesforce.com` (production), "
        "`https://test.salesforce.com` (sandbox) or your My Domain URL. `https` only, "
        "except loopback hosts.",
        default="https://login.salesforce.com",
        summary="https://login.salesforce.com (production), https://test.salesforce.com "
        "(sandbox) or My Domain.",
    ),
    _connection("client_id", "string", "Connected app consumer key."),
    _connection("client_secret", "string", "Connected app consumer secret.", secret=True),
    _connection(
        "refresh_token",
        "string",
        "Stored OAuth refresh token (refresh_token flow).",
        secret=True,
        summary="OAuth refresh token (refresh_token flow).",
    ),
    _connection(
        "username",
        "string",
        "Salesforce username (jwt_bearer, password flows).",
        summary="Salesforce username (jwt_bearer subject, or password flow).",
    ),
    _connection(
        "password",
        "string",
        "Password (+ security token) for the `password` flow: emulator/tests only.",
        secret=True,
        summary="Password (+ security token) for the password flow — emulator and tests only.",
    ),
    _connection(
        "private_key",
        "string",
        "PEM private key text for the jwt_bearer flow.",
        secret=True,
        summary="PEM private key for the JWT bearer flow.",
    ),
    _connection(
        "private_key_path",
        "string",
        "Path to the PEM private key file for the jwt_bearer flow.",
        summary="Path to the PEM private key for the JWT bearer flow.",
    ),
    _connection(
        "access_token",
        "string",
        "A ready access token (access_token flow; cannot be renewed).",
        secret=True,
        summary="A ready access token (with instance_url).",
    ),
    _connection(
        "instance_url",
        "string",
        "Instance URL for the access_token flow, e.g. https://acme.my.salesforce.com.",
        summary="Instance URL to use with access_token.",
    ),
    _connection(
        "api_version",
        "string",
        "Salesforce REST API version.",
        default="67.0",
        summary="Salesforce REST API version (default 67.0).",
    ),
    _connection(
        "request_timeout",
        "decimal",
        "Seconds to wait for one HTTP response.",
        default=120,
        summary="Seconds per Salesforce request (default 120).",
    ),
    _connection(
        "max_retries",
        "integer",
        "Retries for 5xx answers, timeouts and UNABLE_TO_LOCK_ROW, with backoff.",
        default=5,
        summary="Retries on 5xx, timeouts and lock errors (default 5).",
    ),
    _connection(
        "retry_backoff_base",
        "decimal",
        "Seconds of the first retry's backoff; each further retry doubles it (jittered, at "
        "most 30 s). A `Retry-After` from Salesforce (seconds or HTTP date, at most 120 s) is "
        "waited instead.",
        default=0.5,
        summary="Seconds of the first retry's backoff, doubled for each further retry "
        "(default 0.5).",
    ),
    _connection(
        "max_concurrency",
        "integer",
        "Parallel match queries and parallel Collections calls (Salesforce allows 25 "
        "long-running requests per org).",
        default=4,
        summary="Parallel match queries and parallel Collections calls (default 4; Salesforce "
        "allows 25 long-running requests per org).",
    ),
    _connection(
        "max_daily_api_usage_percent",
        "decimal",
        "Stop the run before the org's daily API usage (from `Sforce-Limit-Info`) reaches "
        "this percentage of its limit.",
        default=95,
        summary="Stop before the org's daily API usage crosses this percentage (default 95).",
    ),
    _run(
        "bulk_query_page_size",
        "integer",
        "Records per results page (`maxRecords`) of the Bulk query match strategy: one API "
        "call per page; pages are streamed into the local snapshot.",
        default=500_000,
        summary="Records per results page of the Bulk query match strategy (default 500000).",
    ),
    _connection(
        "bulk_poll_timeout",
        "decimal",
        "Seconds to wait for one Bulk API 2.0 job to finish before the run stops (the job "
        "may still finish in Salesforce).",
        default=3600,
        summary="Seconds to wait for a Bulk API 2.0 job to finish (default 3600).",
    ),
    # ── The integration (top level; each may be overridden under streams.<name>) ──────────
    _stream(
        "sobject",
        "string",
        "API name of the object to update: Contact, Lead or any custom `X__c`.",
        summary="Salesforce object to update (Contact, Lead, Account, a custom object…).",
    ),
    _stream(
        "match_property",
        "string",
        "Source property holding the key (the report's unique identifier).",
        summary="Record property holding the key (e.g. end_user_id).",
    ),
    _stream(
        "match_field",
        "string",
        "Salesforce field compared with the key (case-insensitive for text).",
        default="Email",
        summary="Salesforce field the key is matched against (default Email).",
    ),
    _stream(
        "field_mapping",
        "object",
        "Source property → Salesforce field API name, for every field to update.",
        summary="Record property → Salesforce field API name.",
    ),
    _run(
        "streams",
        "object",
        "Per-stream overrides keyed by stream name; each may set any integration setting "
        "(sobject, match_property, match_field, field_mapping and the policies).",
        summary="Per-stream overrides of sobject, match_property, match_field, field_mapping "
        "and the policies.",
    ),
    _stream(
        "multiple_matches",
        "options",
        "When one key matches several records: update them all, skip the row (reported "
        "in ambiguous.csv), or fail the run before writing that batch.",
        default="update_all",
        choices=MULTIPLE_MATCH_POLICIES,
        summary="A key matching several records — update_all (the target's default when "
        "unset), skip, or fail; walkme-salesforce add writes skip unless given "
        "--multiple-matches.",
    ),
    _stream(
        "null_values",
        "options",
        "Empty or null source values: `skip` leaves the Salesforce field as it is, `clear` "
        "writes null (a checkbox becomes false).",
        default="skip",
        choices=NULL_POLICIES,
        summary="Empty values leave the field alone (skip, default) or clear it (clear).",
    ),
    _stream(
        "write_method",
        "options",
        "`auto`: the stream's changed records wait in a spool on disk and are written "
        "together (before any STATE, at 90 MB and at the end of the stream) — one Bulk API "
        "2.0 job when at least bulk_threshold wait, else sObject Collections. `bulk`: the "
        "same, always Bulk. `collections`: each batch is written as soon as it is processed.",
        default="auto",
        choices=WRITE_METHODS,
        summary="auto (default): changed records wait in an on-disk spool and are written "
        "together before any STATE, at 90 MB and at the end of the stream — one Bulk API 2.0 "
        "job when at least bulk_threshold wait, else sObject Collections. bulk: the same, "
        "always Bulk. collections: each batch is written as soon as it is processed.",
    ),
    _stream(
        "match_strategy",
        "options",
        "How keys are matched to records. `in_query`: SOQL `IN` queries per batch. "
        "`bulk_query`: one Bulk API 2.0 query job reads every record whose match field is "
        "set, joined locally (a temporary SQLite file). `auto`: the one needing fewer API "
        "calls, decided per batch from the batch's key count and the object's record count "
        "(one COUNT() query); the choice and why are logged.",
        default="auto",
        choices=MATCH_STRATEGIES,
        summary="auto (default): the match strategy needing fewer API calls, logged with "
        "why; in_query: SOQL IN queries per batch; bulk_query: one Bulk API 2.0 query job "
        "over the object, joined locally.",
    ),
    _stream(
        "bulk_threshold",
        "integer",
        "Changed records waiting to be written (normally the stream's total) from which "
        "`auto` uses Bulk API 2.0.",
        default=2000,
        summary="Changed records waiting to be written (normally the stream's total) from "
        "which auto uses Bulk API 2.0 (default 2000).",
    ),
    _stream(
        "bulk_job_records",
        "integer",
        "Changed records per Bulk API 2.0 update job: once the write spool holds this many, "
        "its job runs in the background while the stream goes on (one job in flight at a "
        "time; its rows are reported, and any STATE printed, only after it is answered).",
        default=250_000,
        summary="Changed records per Bulk update job; full jobs run in the background while "
        "the stream goes on (default 250000).",
    ),
    _stream(
        "query_batch_size",
        "integer",
        "Most keys in one SOQL `IN` query (queries are also filled up to Salesforce's "
        "16,384-byte limit on the request line plus headers).",
        default=500,
        summary="Keys per SOQL IN query (default 500).",
    ),
    _stream(
        "dry_run",
        "boolean",
        "Match and compare, write the results files, but update nothing.",
        default=False,
        summary="Match and diff without writing; results show what would change.",
    ),
    _stream(
        "fail_on",
        "options",
        "Which outcome makes the target exit non-zero (the job fails for the scheduler): "
        "`run_failure` (the run stopped), `failed_rows` (also: Salesforce refused or did "
        "not confirm a row) or `rejected_rows` (also: a row was rejected before writing). "
        f"Default: `{DEFAULT_FAIL_ON}`. Whatever it says, a stream with rejected or failed "
        "rows keeps its bookmark, so the next run re-reads the export.",
        default=DEFAULT_FAIL_ON,
        choices=FAIL_ON_CHOICES,
        declared_default=False,
        summary="Which outcome makes the target exit non-zero so the job fails for the "
        "scheduler — run_failure (the run stopped), failed_rows (default; also Salesforce "
        "refused or did not confirm a row) or rejected_rows (also a row rejected before "
        "writing). Rejected or failed rows always withhold the stream's bookmark, so the next "
        "run re-reads the export.",
    ),
    _stream(
        "fail_on_rejections",
        "boolean",
        "Deprecated: `true` is `fail_on: rejected_rows`; `false` leaves `fail_on` to decide.",
        default=False,
        summary="Deprecated — true is fail_on rejected_rows; false leaves fail_on to decide.",
    ),
    # ── The run (top level only) ───────────────────────────────────────────────────────────
    _run(
        "results_dir",
        "string",
        "Folder for the results CSVs and summary.json (one subfolder per run).",
        default="output/salesforce-results",
        summary="Folder for per-run results CSVs and summary.json.",
    ),
    _run(
        "environment",
        "string",
        "Environment label for the summary; default: $MELTANO_ENVIRONMENT.",
        summary="Label for the summary (defaults to MELTANO_ENVIRONMENT).",
    ),
    _run(
        "progress_interval",
        "decimal",
        "Seconds between progress lines in the log on long runs.",
        default=30,
    ),
    _run(
        "validate_records",
        "boolean",
        "Validate every record against its JSON schema. Off by default: the target coerces "
        "each value to its Salesforce field type and rejects rows that do not fit.",
        default=False,
        summary="Validate every record against its JSON schema (default false: the target "
        "coerces each value to its field's type and rejects only the rows that do not fit).",
    ),
)

SETTINGS: dict[str, Setting] = {setting.name: setting for setting in _TABLE}

#: Settings a ``streams.<name>`` entry may override.
STREAM_KEYS: tuple[str, ...] = tuple(s.name for s in _TABLE if s.scope == "stream")


def default(name: str) -> Any:
    """The value the code uses when ``name`` is not set."""
    return SETTINGS[name].default


_MAPPING = th.ObjectType(additional_properties=th.StringType)
_SIMPLE_TYPES: dict[str, type[th.JSONTypeHelper]] = {
    "string": th.StringType,
    "options": th.StringType,
    "integer": th.IntegerType,
    "decimal": th.NumberType,
    "boolean": th.BooleanType,
}


def _type(setting: Setting) -> th.JSONTypeHelper | type[th.JSONTypeHelper]:
    if setting.name == "field_mapping":
        return _MAPPING
    if setting.name == "streams":
        return th.ObjectType(additional_properties=stream_override_schema())
    return _SIMPLE_TYPES[setting.kind]


def _property(setting: Setting, *, override: bool = False) -> th.Property:
    return th.Property(
        setting.name,
        _type(setting),
        # an override has no defaults: the SDK fills schema defaults into the config, and a
        # filled-in default would hide the top-level value the override falls back to
        default=None if override else setting.schema_default,
        allowed_values=list(setting.choices) or None,
        secret=setting.secret or None,
        description=None if override else setting.description,
    )


def stream_override_schema() -> th.ObjectType:
    """The schema of one ``streams.<name>`` entry: the ``stream`` settings, no defaults."""
    return th.ObjectType(
        *(_property(SETTINGS[name], override=True) for name in STREAM_KEYS),
        additional_properties=False,
    )


def config_schema() -> dict[str, Any]:
    """The target's top-level config JSON schema (descriptions double as ``--about`` docs)."""
    return th.PropertiesList(*(_property(s) for s in _TABLE)).to_dict()
