"""A newcomer's first hour, driven by the README (issue 14, "Done when").

The test reads the README section "Try the setup commands on the emulators" and runs its
commands in order, exactly as written (placeholders aside: the report file the test writes
and the run id), with no activated virtualenv — `.venv/bin` is not on PATH, commands call
`.venv/bin/walkme-salesforce` / `.venv/bin/meltano` by path:

make emulators → connect a new environment → describe → add → preview → run → runs → run-log
→ edit → run → remove → disconnect; the emulator's records show each mapping landed.

The project is a copy of meltano.yml in a temp folder whose `.venv`, plugin folders and
installed Meltano plugins are links to the repository's (so nothing here touches the
repository's meltano.yml, .env or system DB). `make emulators` runs in the repository with
`--dir` in the temp folder.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from setup_helpers import REPO
from walkme_salesforce.envfile import read_env
from walkme_salesforce.meltano_yml import MeltanoYml

pytestmark = pytest.mark.slow

SECTION = "### Try the setup commands on the emulators"
API = "v67.0"


def readme_commands() -> list[str]:
    """The commands of the README's walkthrough block, one per line."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the walkthrough section has no ```sh block"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def readme_report_header() -> str:
    """The header row of the example report the README shows."""
    section = (REPO / "README.md").read_text(encoding="utf-8").split(SECTION, 1)[1]
    example = re.search(r"```\n(End User ID[^\n]*)\n", section)
    assert example, "the walkthrough shows no example report"
    return example.group(1)


def project_copy(folder: Path) -> Path:
    """meltano.yml copied; the virtualenv, plugin sources and installed plugins linked."""
    folder.mkdir()
    (folder / "meltano.yml").write_text((REPO / "meltano.yml").read_text(encoding="utf-8"))
    for name in (".venv", "tap-walkme-insights", "target-salesforce-update", "walkme-salesforce"):
        (folder / name).symlink_to(REPO / name)
    for kind in ("extractors", "loaders", "utilities"):
        for installed in (REPO / ".meltano" / kind).iterdir():
            (folder / ".meltano" / kind).mkdir(parents=True, exist_ok=True)
            (folder / ".meltano" / kind / installed.name).symlink_to(installed)
    return folder


def shell_env(tmp_path: Path) -> dict[str, str]:
    """The user's shell: no virtualenv on PATH, no plugin variables, own Meltano log folder."""
    venv_bin = str(REPO / ".venv" / "bin")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("MELTANO_", "TARGET_SALESFORCE_UPDATE", "TAP_WALKME_INSIGHTS", "SALESFORCE_", "DEMO_")
        )
        and k != "VIRTUAL_ENV"
    }
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(venv_bin)
    )
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    # The copy's pip_url points at its own folder: Meltano must not reinstall the linked plugins.
    env["MELTANO_AUTO_INSTALL"] = "false"
    return env


@pytest.fixture
def emulators(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`make emulators` (in the repository, data in the temp folder); its exports, parsed."""
    env = shell_env(tmp_path)
    arguments = f"EMULATORS_ARGS=--dir {tmp_path / 'emu'} --rows 20"
    process = subprocess.Popen(
        ["make", "--no-print-directory", "emulators", arguments],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    exports: dict[str, str] = {}
    seen = []
    for line in process.stdout:
        seen.append(line)
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            exports[name] = shlex.split(value)[0]
        if "SALESFORCE_REDIRECT_URI" in exports:
            break
    try:
        assert "DEMO_SALESFORCE_URL" in exports, "".join(seen)
        yield exports
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # what Ctrl-C does (SIGTERM: never ignored)
        rest, _ = process.communicate(timeout=60)
    assert "Emulators stopped." in rest


def salesforce_contacts(exports: dict[str, str], emails: list[str]) -> dict[str, dict]:
    """The Contacts with those e-mails, read back from the emulator as the demo admin."""
    token = requests.post(
        f"{exports['DEMO_SALESFORCE_URL']}/services/oauth2/token",
        data={
            "grant_type": "password",
            "username": exports["DEMO_SALESFORCE_USERNAME"],
            "password": exports["DEMO_SALESFORCE_PASSWORD"],
            "client_id": exports["DEMO_SALESFORCE_CLIENT_ID"],
            "client_secret": exports["DEMO_SALESFORCE_CLIENT_SECRET"],
        },
        timeout=30,
    ).json()
    quoted = ",".join("'" + e.replace("'", "\\'") + "'" for e in emails)
    soql = f"SELECT Id, Email, WalkMe_Segment__c, Title FROM Contact WHERE Email IN ({quoted})"
    answer = requests.get(
        f"{token['instance_url']}/services/data/{API}/query",
        params={"q": soql},
        headers={"Authorization": f"Bearer {token['access_token']}"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return {r["Email"]: r for r in answer.json()["records"]}


def unique_contact_emails(world: Path, count: int) -> list[str]:
    """E-mails that exactly one Contact of the demo world has (so they match, unambiguously)."""
    contacts = json.loads((world / "salesforce-seed.json").read_text(encoding="utf-8"))
    emails = [r["Email"] for r in contacts["records"]["Contact"] if r.get("Email")]
    lowered = [e.lower() for e in emails]
    return [e for e in emails if lowered.count(e.lower()) == 1 and e.isascii()][:count]


def run_line(line: str, project: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", line],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def connect_line(line: str, project: Path, env: dict[str, str]) -> tuple[int, str]:
    """Run `connect`; play the browser: open the authorize URL it prints (auto-approved)."""
    process = subprocess.Popen(
        ["bash", "-c", line],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    seen = []
    for out in process.stdout:
        seen.append(out)
        if "/services/oauth2/authorize?" in out:
            landing = requests.get(out.strip(), timeout=30)
            assert landing.status_code == 200, landing.text
            break
    rest, errors = process.communicate(timeout=120)
    return process.returncode, "".join(seen) + rest + errors


def test_readme_walkthrough_without_an_activated_virtualenv(
    tmp_path: Path, emulators: dict[str, str]
) -> None:
    commands = readme_commands()
    project = project_copy(tmp_path / "project")
    original = (project / "meltano.yml").read_text(encoding="utf-8")
    env = {**shell_env(tmp_path), **emulators}
    assert not any(Path(p, "meltano").exists() for p in env["PATH"].split(os.pathsep) if p)

    emails = unique_contact_emails(tmp_path / "emu" / "world", 3)
    assert len(emails) == 3
    header = readme_report_header()
    assert header == "End User ID,Segment,Title"
    rows = [f"{email},Enterprise,Head of Operations {n}" for n, email in enumerate(emails)]
    (project / "my-report.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")

    steps = iter(commands)
    results: dict[str, subprocess.CompletedProcess[str]] = {}

    def step(prefix: str, **substitute: str) -> subprocess.CompletedProcess[str]:
        line = next(steps)
        assert line.startswith(prefix), (prefix, line)
        for placeholder, value in substitute.items():
            line = line.replace(placeholder, value)
        done = run_line(line, project, env)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        results[prefix] = done
        return done

    line = next(steps)
    assert line.startswith(".venv/bin/walkme-salesforce connect -e emu"), line
    code, output = connect_line(line, project, env)
    assert code == 0, output
    assert "Environment 'emu' is not in meltano.yml yet" in output
    assert "walkme-salesforce describe -e emu" in output  # the Next: hint
    text = (project / "meltano.yml").read_text(encoding="utf-8")
    assert text.startswith(original), "connect changed meltano.yml above the new environment"
    assert MeltanoYml(project / "meltano.yml").environment("emu") is not None
    refresh_token = read_env(project / ".env")["SF_EMU_REFRESH_TOKEN"]
    assert refresh_token not in output

    described = step(".venv/bin/walkme-salesforce describe -e emu Contact")
    assert re.search(r"^WalkMe_Segment__c\s+string", described.stdout, re.M)

    added = step(".venv/bin/walkme-salesforce add trial -e emu")
    assert "Next: preview it: walkme-salesforce preview trial -e emu" in added.stdout
    assert "meltano --environment emu run walkme-trial-to-salesforce" in added.stdout

    preview = step(".venv/bin/walkme-salesforce preview trial -e emu")
    assert "would update 3," in preview.stdout
    assert all(
        c.get("WalkMe_Segment__c") is None for c in salesforce_contacts(emulators, emails).values()
    )

    ran = step(".venv/bin/meltano --environment emu run walkme-trial-to-salesforce")
    contacts = salesforce_contacts(emulators, emails)
    assert {c["WalkMe_Segment__c"] for c in contacts.values()} == {"Enterprise"}, ran.stderr[-3000:]
    assert all(
        not (c.get("Title") or "").startswith("Head of Operations") for c in contacts.values()
    )

    runs = step(".venv/bin/walkme-salesforce runs -e emu")
    run_ids = re.findall(r"^([0-9a-f-]{36})\s+trial\s", runs.stdout, re.M)
    assert len(run_ids) == 1, runs.stdout
    assert "completed" in runs.stdout

    log = step(".venv/bin/walkme-salesforce run-log", RUN_ID=run_ids[0])
    assert run_ids[0] in log.stdout and "updated" in log.stdout

    edited = step(".venv/bin/walkme-salesforce edit trial -e emu")
    assert "(the next run re-reads the export)" in edited.stdout
    assert "meltano --environment emu run walkme-trial-to-salesforce" in edited.stdout

    step(".venv/bin/meltano --environment emu run")
    contacts = salesforce_contacts(emulators, emails)
    assert sorted(c["Title"] for c in contacts.values()) == [r.split(",")[2] for r in rows]

    step(".venv/bin/walkme-salesforce remove trial -e emu --yes")
    document = MeltanoYml(project / "meltano.yml")
    assert document.plugin("loaders", "target-salesforce-update--trial") is None
    assert document.plugin("extractors", "tap-walkme-insights--trial") is None

    step(".venv/bin/walkme-salesforce disconnect -e emu")
    assert "SF_EMU_REFRESH_TOKEN" not in read_env(project / ".env")
    refreshed = requests.post(
        f"{emulators['DEMO_SALESFORCE_URL']}/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": emulators["SALESFORCE_CLIENT_ID"],
            "client_secret": emulators["SALESFORCE_CLIENT_SECRET"],
        },
        timeout=30,
    )
    assert refreshed.status_code == 400  # revoked at Salesforce
    assert next(steps, None) is None, "a README command the test does not run"
