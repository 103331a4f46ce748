"""The console over plain HTTP: CSRF refusal, the Host check, the loopback/token rule, and that
no page carries a secret."""

from __future__ import annotations

import re
import secrets
import subprocess

import pytest
import requests
from console_harness import BIN, Console, free_port, start_console, stop

pytestmark = pytest.mark.slow

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def token_of(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=60)
    assert page.status_code == 200, page.text[:500]
    found = CSRF.search(page.text)
    assert found, "the page has no CSRF token"
    return found.group(1)


def test_state_changing_requests_need_the_sessions_csrf_token(console: Console) -> None:
    session = requests.Session()
    token = token_of(session, f"{console.url}/accounts")
    target = f"{console.url}/accounts/demo/check"
    assert session.post(target, timeout=60, allow_redirects=False).status_code == 400
    wrong = session.post(target, data={"csrf_token": "x" * 43}, timeout=60, allow_redirects=False)
    assert wrong.status_code == 400
    assert "CSRF" in wrong.text
    # another browser's token is no good either
    other = requests.Session()
    other_token = token_of(other, f"{console.url}/accounts")
    stolen = session.post(target, data={"csrf_token": other_token}, timeout=60)
    assert stolen.status_code == 400
    for path in ("/accounts/sandbox/disconnect", "/integrations/onboarding/run"):
        refused = requests.post(f"{console.url}{path}", data={"environment": "demo"}, timeout=60)
        assert refused.status_code == 400, path
    ok = session.post(target, data={"csrf_token": token}, timeout=120, allow_redirects=False)
    assert ok.status_code == 302


def test_a_forged_oauth_callback_is_refused(console: Console) -> None:
    session = requests.Session()
    token_of(session, f"{console.url}/accounts")
    forged = session.get(
        f"{console.url}/accounts/callback", params={"code": "evil", "state": "forged"}, timeout=60
    )
    assert forged.status_code == 400
    assert "nothing was stored" in forged.text


def test_other_host_names_are_refused_on_loopback(console: Console) -> None:
    port = console.url.rsplit(":", 1)[1]
    refused = requests.get(f"{console.url}/", headers={"Host": f"evil.example:{port}"}, timeout=60)
    assert refused.status_code == 400
    assert requests.get(f"http://localhost:{port}/accounts", timeout=60).status_code == 200


def test_no_page_shows_a_secret(console: Console) -> None:
    session = requests.Session()
    pages = ["/", "/accounts", "/integrations/onboarding/log", "/integrations/nps/remove"]
    bodies = [session.get(f"{console.url}{path}", timeout=120) for path in pages]
    wizard = session.get(f"{console.url}/wizard/new", timeout=60)
    bodies.append(wizard)
    known = console.secrets()
    assert known, "the test knows no secret to look for"
    for body in bodies:
        assert body.status_code == 200, body.url
        for value in known:
            assert value not in body.text, f"a secret appears in {body.url}"
            assert value not in body.url


def test_a_non_loopback_bind_needs_an_access_token(console: Console) -> None:
    env = {k: v for k, v in console.env.items() if k != "WALKME_SALESFORCE_CONSOLE_TOKEN"}
    command = [str(BIN / "walkme-salesforce"), "console", "--host", "0.0.0.0", "--port", "0"]
    refused = subprocess.run(
        [*command, "--project-dir", str(console.project)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert "WALKME_SALESFORCE_CONSOLE_TOKEN" in refused.stderr
    assert "Console listening" not in refused.stdout

    weak = subprocess.run(
        [*command, "--project-dir", str(console.project)],
        env={**env, "WALKME_SALESFORCE_CONSOLE_TOKEN": "short"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert weak.returncode == 2
    assert "shorter than" in weak.stderr

    access = secrets.token_urlsafe(24)
    port = free_port()
    process, output = start_console(
        console.project,
        {**env, "WALKME_SALESFORCE_CONSOLE_TOKEN": access},
        port,
        "--host",
        "0.0.0.0",
    )
    try:
        assert "Console listening on" in output, output
        assert access not in output
        url = f"http://127.0.0.1:{port}"
        session = requests.Session()
        first = session.get(f"{url}/accounts", timeout=60, allow_redirects=False)
        assert first.status_code == 302 and "/login" in first.headers["Location"]
        assert requests.post(f"{url}/accounts/demo/check", timeout=60).status_code == 401
        csrf = token_of(session, f"{url}/login")
        bad = session.post(f"{url}/login", data={"csrf_token": csrf, "token": "nope"}, timeout=60)
        assert bad.status_code == 401
        good = session.post(f"{url}/login", data={"csrf_token": csrf, "token": access}, timeout=60)
        assert good.status_code == 200
        assert "Integrations" in good.text
        assert access not in good.text
        assert session.get(f"{url}/accounts", timeout=120).status_code == 200
    finally:
        stop(process)
