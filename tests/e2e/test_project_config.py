"""The Meltano project as declared: plugins, settings, integrations, jobs, schedules, environments.

These run real `meltano` commands (the ones the README shows) against a throw-away system DB;
they need neither the emulators nor an installed plugin.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MELTANO = Path(sys.executable).parent / "meltano"
INTEGRATIONS = {"onboarding": "Contact", "nps": "Lead"}
SENSITIVE = {
    "tap-walkme-insights": {"client_secret", "storage_options"},
    "target-salesforce-update": {
        "client_secret",
        "refresh_token",
        "password",
        "private_key",
        "access_token",
    },
}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    """A clean environment with a test-only system DB and log directory."""
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("MELTANO_", "TARGET_", "TAP_"))
    }
    clean.update(
        MELTANO_DATABASE_URI=f"sqlite:///{tmp_path / 'meltano.db'}",
        XDG_STATE_HOME=str(tmp_path / "state"),
    )
    return clean


def meltano(env: dict[str, str], *args: str) -> str:
    """Run `meltano ARGS` in the project; return stdout (fail the test on a non-zero exit)."""
    result = subprocess.run(
        [str(MELTANO), *args],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def project_file() -> dict:
    return yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))


def test_schedules_run_each_integration_daily_at_0900_utc(env: dict[str, str]) -> None:
    listed = json.loads(meltano(env, "schedule", "list", "--format=json"))
    schedules = {item["name"]: item for item in listed["schedules"]["job"]}
    assert set(schedules) == {f"walkme-{name}-to-salesforce-daily" for name in INTEGRATIONS}
    for name in INTEGRATIONS:
        schedule = schedules[f"walkme-{name}-to-salesforce-daily"]
        assert schedule["interval"] == "0 9 * * *"
        assert schedule["cron_interval"] == "0 9 * * *"
        assert schedule["job"]["tasks"] == [
            f"tap-walkme-insights--{name} target-salesforce-update--{name}"
        ]
    # the text form the README shows lists them too
    text = meltano(env, "schedule", "list")
    assert text.count("0 9 * * *") == len(INTEGRATIONS)


def test_one_job_per_integration(env: dict[str, str]) -> None:
    jobs = {
        job["job_name"]: job["tasks"]
        for job in json.loads(meltano(env, "job", "list", "--format=json"))["jobs"]
    }
    assert jobs == {
        f"walkme-{name}-to-salesforce": [
            f"tap-walkme-insights--{name} target-salesforce-update--{name}"
        ]
        for name in INTEGRATIONS
    }


def test_plugins_are_custom_inline_and_installed_from_the_repository() -> None:
    plugins = project_file()["plugins"]
    base = {p["name"]: p for kind in ("extractors", "loaders") for p in plugins[kind]}
    assert base["tap-walkme-insights"]["pip_url"].startswith(
        "-e ${MELTANO_PROJECT_ROOT}/tap-walkme-insights"
    )
    assert (
        base["target-salesforce-update"]["pip_url"]
        == "-e ${MELTANO_PROJECT_ROOT}/target-salesforce-update"
    )
    for name in INTEGRATIONS:
        assert base[f"tap-walkme-insights--{name}"]["inherit_from"] == "tap-walkme-insights"
        assert (
            base[f"target-salesforce-update--{name}"]["inherit_from"] == "target-salesforce-update"
        )
        assert base[f"target-salesforce-update--{name}"]["config"]["sobject"] == INTEGRATIONS[name]
        assert base[f"target-salesforce-update--{name}"]["config"]["match_field"] == "Email"


def _about(name: str) -> dict:
    about = subprocess.run(
        [str(Path(sys.executable).parent / name), "--about", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(about.stdout)


def _meltano_kind(schema: dict) -> str:
    """The Meltano setting kind for a JSON-schema property (as `--about` reports it)."""
    if schema.get("enum"):
        return "options"
    types = schema.get("type")
    types = [types] if isinstance(types, str) else [t for t in types or [] if t != "null"]
    kinds = {
        "string": "string",
        "integer": "integer",
        "number": "decimal",
        "boolean": "boolean",
        "object": "object",
        "array": "array",
    }
    assert len(types) == 1, schema
    default = schema.get("default")
    if types[0] == "number" and isinstance(default, int) and not isinstance(default, bool):
        # Whole-number settings are `integer` (see settings.Setting.meltano_kind: Meltano 4.4
        # cannot pass a `decimal` setting given as an environment variable).
        return "integer"
    return kinds[types[0]]


@pytest.mark.parametrize("name", ["tap-walkme-insights", "target-salesforce-update"])
def test_settings_and_capabilities_are_exactly_what_the_plugin_reports(name: str) -> None:
    """meltano.yml declares every setting `--about` reports — the SDK's own (stream_maps,
    flattening, batch_config, load_method…) too — with the matching kind, options and
    sensitivity, and the capabilities exactly as `--about` lists them."""
    plugins = {
        p["name"]: p for kind in ("extractors", "loaders") for p in project_file()["plugins"][kind]
    }
    about = _about(name)
    schema = about["settings"]["properties"]
    declared = {setting["name"]: setting for setting in plugins[name]["settings"]}
    assert sorted(declared) == sorted(schema), f"{name}: declared settings differ from --about"
    for key, prop in schema.items():
        setting = declared[key]
        assert setting["kind"] == _meltano_kind(prop), f"{name}.{key}"
        if prop.get("enum"):
            values = [o["value"] for o in setting["options"]]
            assert values == list(prop["enum"]), f"{name}.{key} options"
        assert bool(setting.get("sensitive")) == bool(prop.get("secret")), f"{name}.{key}"
    assert plugins[name]["capabilities"] == about["capabilities"]


def test_secrets_are_sensitive_and_never_in_meltano_yml() -> None:
    plugins = {
        p["name"]: p for kind in ("extractors", "loaders") for p in project_file()["plugins"][kind]
    }
    for name, secret_names in SENSITIVE.items():
        settings = {s["name"]: s for s in plugins[name]["settings"]}
        for secret in secret_names:
            assert settings[secret].get("sensitive") is True, f"{name}.{secret} must be sensitive"
    # A sensitive setting may appear in meltano.yml only as a reference to an environment
    # variable (`${DEMO_SALESFORCE_PASSWORD}`, `$SF_PROD_REFRESH_TOKEN`), never as a value.
    names = set().union(*SENSITIVE.values())
    reference = re.compile(r"\$\{?[A-Z][A-Z0-9_]*\}?")

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in names and not isinstance(value, dict):
                    assert isinstance(value, str) and reference.fullmatch(value), (key, value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(project_file())


@pytest.mark.parametrize(
    ("environment", "login_url"),
    [("sandbox", "https://test.salesforce.com"), ("prod", "https://login.salesforce.com")],
)
def test_environments_point_at_salesforce_and_redact_secrets(
    env: dict[str, str], environment: str, login_url: str
) -> None:
    secret = f"s3cr3t-{secrets.token_hex(8)}"
    env = {**env, "TARGET_SALESFORCE_UPDATE_CLIENT_SECRET": secret}
    # the README's check, on one integration; `config print` on the other
    listed = meltano(
        env, "--environment", environment, "config", "list", "target-salesforce-update--onboarding"
    )
    assert f"current value: '{login_url}'" in listed
    assert "client_secret" in listed
    assert secret not in listed
    printed = json.loads(
        meltano(
            env, "--environment", environment, "config", "print", "target-salesforce-update--nps"
        )
    )
    assert printed["login_url"] == login_url
    assert printed["sobject"] == "Lead"
    assert printed["client_secret"] != secret
    assert secret not in json.dumps(printed)


def test_demo_environment_uses_the_emulators(env: dict[str, str]) -> None:
    env = {
        **env,
        "DEMO_SALESFORCE_URL": "http://127.0.0.1:1",
        "DEMO_WALKME_URL": "http://127.0.0.1:2",
    }
    printed = json.loads(
        meltano(env, "--environment", "demo", "config", "print", "target-salesforce-update")
    )
    assert printed["login_url"] == "http://127.0.0.1:1"
    assert printed["sobject"] == "Contact"  # the plain pair is the onboarding integration
    tap = json.loads(
        meltano(env, "--environment", "demo", "config", "print", "tap-walkme-insights--nps")
    )
    assert tap["source"] == "http://127.0.0.1:2/insights/reports/nps.csv"
    assert tap["key_column"] == "End User ID"


def test_setup_commands_run_as_plugin_commands(env: dict[str, str]) -> None:
    """`meltano invoke walkme-salesforce:list` (README "Adding an integration")."""
    installed = ROOT / ".meltano/utilities/walkme-salesforce/venv/bin/walkme-salesforce"
    if not installed.exists():
        pytest.fail("the manager utility is not installed: run `make plugins`")
    listed = meltano(env, "--environment", "demo", "invoke", "walkme-salesforce:list")
    assert "onboarding:" in listed and "→ Contact" in listed
    assert "nps:" in listed and "→ Lead" in listed
    assert "job walkme-nps-to-salesforce" in listed


def test_env_example_holds_no_values_and_names_declared_settings() -> None:
    """`.env.example` is all comments; every variable it names is a declared setting."""
    plugins = {
        p["name"]: {setting["name"] for setting in p["settings"]}
        for kind in ("extractors", "loaders")
        for p in project_file()["plugins"][kind]
        if "settings" in p
    }
    prefixes = {
        "TAP_WALKME_INSIGHTS_": plugins["tap-walkme-insights"],
        "TARGET_SALESFORCE_UPDATE_": plugins["target-salesforce-update"],
    }
    named = 0
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        assert not line.strip() or line.lstrip().startswith("#"), f"a value in .env.example: {line}"
        text = line.lstrip("# ").split("=", 1)
        for prefix, settings in prefixes.items():
            if len(text) == 2 and text[0].startswith(prefix):
                assert text[0].removeprefix(prefix).lower() in settings, text[0]
                named += 1
    assert named >= 10


def test_make_runs_targets_call_the_run_history_command() -> None:
    """`make runs RUNS_ARGS=…` and `make run-log RUN=…` (README "Run history") — dry-run make."""

    def make_n(*args: str) -> str:
        clean = {
            k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")
        }
        result = subprocess.run(
            ["make", "--no-print-directory", "-n", *args],
            cwd=ROOT,
            env=clean,
            text=True,
            capture_output=True,
            timeout=60,
            check=True,
        )
        return next(line for line in result.stdout.splitlines() if "walkme-salesforce" in line)

    listing = make_n("runs", "RUNS_ARGS=--integration nps --environment prod")
    assert listing.endswith("walkme-salesforce runs --integration nps --environment prod")
    assert make_n("run-log", "RUN=abc").endswith("walkme-salesforce run-log abc")


def test_target_settings_agree_in_meltano_yml_about_and_the_settings_table() -> None:
    """One table declares the target's settings (target_salesforce_update/settings.py):
    meltano.yml and `--about` agree with it on names, kinds, defaults, options, secrecy and
    descriptions (meltano.yml may show the table's shorter `summary`)."""
    from target_salesforce_update.settings import SETTINGS
    from target_salesforce_update.target import TargetSalesforceUpdate

    loader = next(
        p for p in project_file()["plugins"]["loaders"] if p["name"] == "target-salesforce-update"
    )
    declared = {setting["name"]: setting for setting in loader["settings"]}
    executable = Path(sys.executable).parent / "target-salesforce-update"
    about = json.loads(
        subprocess.run(
            [str(executable), "--about", "--format=json"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    )["settings"]["properties"]
    builtins: dict = {"properties": {}}
    TargetSalesforceUpdate.append_builtin_config(builtins)
    # --about reports the table and singer-sdk's own settings, nothing else
    assert set(about) == set(SETTINGS) | set(builtins["properties"])
    missing = sorted(set(SETTINGS) - set(declared))
    assert missing == [], f"meltano.yml does not declare {missing}"
    for name, setting in SETTINGS.items():
        entry, prop = declared[name], about[name]
        assert setting.kind == _meltano_kind_of(prop), name
        assert entry["kind"] == setting.meltano_kind, name
        assert entry.get("value") == setting.schema_default == prop.get("default"), name
        options = [option["value"] for option in entry.get("options", [])]
        assert options == list(setting.choices) == list(prop.get("enum", [])), name
        assert bool(entry.get("sensitive")) == setting.secret == bool(prop.get("secret")), name
        assert entry["description"] == setting.meltano_description, name
        assert prop["description"] == setting.description, name


def _meltano_kind_of(prop: dict) -> str:
    if prop.get("enum"):
        return "options"
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    (json_type,) = [t for t in types if t != "null"]
    return {"number": "decimal"}.get(json_type, json_type)


REPORT = "End User ID,Country,Total sessions\nada@example.com,Wales,3\nbob@example.com,Peru,5\n"


def _records(output: str) -> list[dict]:
    messages = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return [m["record"] for m in messages if m.get("type") == "RECORD"]


def _report_env(env: dict[str, str], tmp_path: Path) -> dict[str, str]:
    report = tmp_path / "report.csv"
    report.write_text(REPORT, encoding="utf-8")
    return {
        **env,
        "TAP_WALKME_INSIGHTS_SOURCE": str(report),
        "TAP_WALKME_INSIGHTS_REPORT_NAME": "usage",
        "TAP_WALKME_INSIGHTS_KEY_COLUMN": "End User ID",
    }


@pytest.mark.slow
def test_stream_maps_from_the_environment_reach_the_tap(
    env: dict[str, str], tmp_path: Path
) -> None:
    env = _report_env(env, tmp_path)
    plain = _records(meltano(env, "--environment", "sandbox", "invoke", "tap-walkme-insights"))
    assert [r["country"] for r in plain] == ["Wales", "Peru"]
    env["TAP_WALKME_INSIGHTS_STREAM_MAPS"] = '{"usage": {"country": null}}'
    mapped = _records(meltano(env, "--environment", "sandbox", "invoke", "tap-walkme-insights"))
    assert [r["end_user_id"] for r in mapped] == ["ada@example.com", "bob@example.com"]
    assert all("country" not in r for r in mapped)


@pytest.mark.slow
def test_config_set_stream_maps_stores_an_object_the_tap_accepts(
    env: dict[str, str], tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "meltano.yml").write_text((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (project / "tap-walkme-insights").symlink_to(ROOT / "tap-walkme-insights")
    (project / ".meltano" / "extractors").mkdir(parents=True)
    installed = ROOT / ".meltano" / "extractors" / "tap-walkme-insights"
    (project / ".meltano" / "extractors" / "tap-walkme-insights").symlink_to(installed)
    env = {**_report_env(env, tmp_path), "MELTANO_AUTO_INSTALL": "false"}

    def run(*args: str) -> str:
        done = subprocess.run(
            [str(MELTANO), *args], cwd=project, env=env, text=True, capture_output=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    # Meltano drops null values from stored objects: "__NULL__" is the SDK's spelling of null
    maps = '{"usage": {"country": "__NULL__", "sessions_x2": "total_sessions * 2"}}'
    run("config", "set", "tap-walkme-insights", "stream_maps", maps)
    stored = yaml.safe_load((project / "meltano.yml").read_text(encoding="utf-8"))
    tap = next(p for p in stored["plugins"]["extractors"] if p["name"] == "tap-walkme-insights")
    assert tap["config"]["stream_maps"] == json.loads(maps)  # an object, not a string
    printed = json.loads(run("config", "print", "--format=json", "tap-walkme-insights"))
    assert printed["stream_maps"] == json.loads(maps)
    records = _records(run("invoke", "tap-walkme-insights"))
    assert [r.get("sessions_x2") for r in records] == [6, 10]
    assert all("country" not in r for r in records)


def test_whole_number_settings_can_come_from_the_environment(env: dict[str, str]) -> None:
    """`TARGET_SALESFORCE_UPDATE_PROGRESS_INTERVAL=1` (what the console's Run now sets) and the
    other whole-number settings reach the plugins' config: declared `decimal`, Meltano 4.4
    fails writing the config file ("Object of type Decimal is not JSON serializable")."""
    env = {
        **env,
        "TARGET_SALESFORCE_UPDATE_PROGRESS_INTERVAL": "1",
        "TARGET_SALESFORCE_UPDATE_REQUEST_TIMEOUT": "60",
        "TARGET_SALESFORCE_UPDATE_MAX_DAILY_API_USAGE_PERCENT": "90",
        "TARGET_SALESFORCE_UPDATE_BULK_POLL_TIMEOUT": "600",
        "TAP_WALKME_INSIGHTS_REQUEST_TIMEOUT": "30",
    }
    target = json.loads(
        meltano(env, "--environment", "demo", "invoke", "--dump=config", "target-salesforce-update")
    )
    assert (target["progress_interval"], target["request_timeout"]) == (1, 60)
    assert (target["max_daily_api_usage_percent"], target["bulk_poll_timeout"]) == (90, 600)
    tap = json.loads(
        meltano(env, "--environment", "demo", "invoke", "--dump=config", "tap-walkme-insights")
    )
    assert tap["request_timeout"] == 30
