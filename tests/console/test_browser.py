"""The console in a real headless Chromium, against the emulators: connect an org through the
browser (OAuth web-server flow + PKCE, the emulator auto-approves), create an integration with
the wizard, preview it, save, Run now, read the run in the log with the demo world's expected
counts, edit it (opens at the mapping screen), disconnect. A screenshot of each screen is saved
in the test's output folder."""

from __future__ import annotations

import csv
import io
import os
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
import requests
from console_harness import ROOT, Console
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait
from walkme_salesforce.envfile import read_env
from walkme_salesforce.meltano_yml import MeltanoYml

pytestmark = pytest.mark.slow

MAPPING = {
    "onboarding_progress_pct": "WalkMe_Onboarding_Progress__c",
    "onboarding_completed": "WalkMe_Onboarding_Completed__c",
    "first_seen_timestamp": "WalkMe_First_Seen__c",
    "last_seen_timestamp": "WalkMe_Last_Seen__c",
    "total_sessions": "WalkMe_Total_Sessions__c",
    "average_session_duration_min": "WalkMe_Avg_Session_Minutes__c",
    "feature_adoption": "WalkMe_Feature_Adoption__c",
}
RUN_WAIT_S = 600
DOCS = ROOT / "docs" / "console"


class Screens:
    """Screenshots (full page height) and every page's HTML, for the secret check."""

    def __init__(self, driver: Any, folder: Path) -> None:
        self.driver = driver
        self.folder = folder
        self.pages: list[tuple[str, str]] = []

    def shot(self, name: str) -> Path:
        height = self.driver.execute_script("return document.body.scrollHeight")
        self.driver.set_window_size(1440, max(900, min(int(height) + 40, 2400)))
        path = self.folder / f"{name}.png"
        self.driver.save_screenshot(str(path))
        self.pages.append((name, self.driver.page_source))
        self.driver.set_window_size(1440, 1000)
        return path


def wait(driver: Any, seconds: float = 120) -> WebDriverWait:
    return WebDriverWait(driver, seconds)


def text(driver: Any, css: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).text


def page_left(old: Any) -> Any:
    """A wait condition: the page that held `old` has been replaced.

    Selenium's `staleness_of` asks the old element `is_enabled()`; while Chromium is swapping
    documents it can answer with a plain WebDriverException ("Node with given id does not belong
    to the document") instead of a stale-element error — that answer means the same thing.
    """

    def left(_driver: Any) -> bool:
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    return left


def submit(driver: Any, css: str) -> None:
    """Click a button and wait for the next page."""
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, css).click()
    wait(driver, RUN_WAIT_S).until(page_left(old))


def test_connect_wizard_run_log_edit_disconnect(
    console: Console, browser: Any, tmp_path: Path
) -> None:
    driver = browser
    screens = Screens(driver, tmp_path)
    world = console.expected("onboarding")
    # The wizard writes what `add` writes: multiple_matches skip, so the world's ambiguous keys
    # are reported (ambiguous.csv) and nothing of theirs is written.
    expected = {
        "updated": world["should_update"],
        "ambiguous": world["ambiguous"],
        "unchanged": world["unchanged"],
        "unmatched": world["unmatched"],
        "several": world["ambiguous"],
    }

    # Accounts: the demo environment is connected (password flow); connect sandbox via OAuth.
    driver.get(f"{console.url}/accounts")
    assert "connected" in text(driver, "#account-demo .status")
    assert "not connected" in text(driver, "#account-sandbox .status")
    Select(driver.find_element(By.ID, "account-environment")).select_by_visible_text("sandbox")
    assert driver.find_element(By.ID, "org-custom").is_selected()
    assert driver.find_element(By.ID, "login-url").get_attribute("value") == console.salesforce_url
    submit(driver, "#connect")  # → emulator authorize (auto-approve) → /accounts/callback
    assert driver.current_url.startswith(f"{console.url}/accounts")
    assert "Connected 'sandbox' as admin@walkme-demo.example" in text(driver, ".flash")
    row = "#account-sandbox"
    assert text(driver, f"{row} .status") == "connected"
    assert text(driver, f"{row} .user") == "admin@walkme-demo.example"
    assert text(driver, f"{row} .org").startswith("00D")
    assert text(driver, f"{row} .instance") == console.salesforce_url
    assert "passed" in text(driver, f"{row} .perm")
    screens.shot("01-accounts")
    dotenv = console.project / ".env"
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    refresh_token = read_env(dotenv)["SF_SANDBOX_REFRESH_TOKEN"]
    assert refresh_token

    # Wizard screen 1: environment (connected only) and the report.
    driver.get(f"{console.url}/wizard/new")
    environments = [o.text for o in Select(driver.find_element(By.ID, "environment")).options]
    assert environments == ["demo", "sandbox"]
    driver.find_element(By.ID, "name").send_keys("usage")
    Select(driver.find_element(By.ID, "environment")).select_by_visible_text("sandbox")
    driver.find_element(By.ID, "source").send_keys(str(console.world / "onboarding.csv"))
    screens.shot("02-wizard-report")
    submit(driver, "#continue")

    # Screen 2: columns from the tap's discovery, the object, the key pair.
    assert driver.current_url.endswith("/2"), driver.page_source[:2000]
    columns = text(driver, "#report-columns")
    assert "End User ID" in columns and "total_sessions" in columns
    assert (
        Select(driver.find_element(By.ID, "sobject")).first_selected_option.get_attribute("value")
        == "Contact"
    )
    match = Select(driver.find_element(By.ID, "match-field"))
    offered = [o.get_attribute("value") for o in match.options]
    assert "Email" in offered and "Id" in offered
    # unique / id-lookup fields first, and marked
    assert offered.index("Id") < offered.index("Department")
    assert "id lookup" in next(o.text for o in match.options if o.get_attribute("value") == "Id")
    match.select_by_value("Email")
    screens.shot("03-wizard-object")
    submit(driver, "#continue")

    # Screen 3: mapping rows; Save is enabled after one valid row.
    assert driver.current_url.endswith("/3")
    save = driver.find_element(By.ID, "save")
    assert not save.is_enabled()
    for index, (column, field) in enumerate(MAPPING.items()):
        if index:
            driver.find_element(By.ID, "add-column").click()
        row_element = driver.find_elements(By.CSS_SELECTOR, "#mapping tr.map-row")[index]
        column_select = Select(row_element.find_element(By.CSS_SELECTOR, ".map-column"))
        assert "end_user_id" not in [o.get_attribute("value") for o in column_select.options]
        column_select.select_by_value(column)
        field_select = Select(row_element.find_element(By.CSS_SELECTOR, ".map-field"))
        fields = [o.get_attribute("value") for o in field_select.options]
        assert "Email" not in fields  # the match field is never a target
        assert all(f not in fields for f in list(MAPPING.values())[:index])  # used fields
        field_select.select_by_value(field)
        if index == 0:
            assert save.is_enabled()
    # the boolean column is offered only fields a boolean fits
    boolean_row = driver.find_elements(By.CSS_SELECTOR, "#mapping tr.map-row")[1]
    boolean_fields = [
        o.get_attribute("value")
        for o in Select(boolean_row.find_element(By.CSS_SELECTOR, ".map-field")).options
    ]
    assert "WalkMe_Total_Sessions__c" not in boolean_fields
    screens.shot("04-wizard-mapping")

    submit(driver, "#preview")
    counts = text(driver, "#preview-counts")
    assert f"would update {expected['updated']}" in counts
    assert f"unchanged {expected['unchanged']}" in counts
    assert f"unmatched {expected['unmatched']}" in counts
    assert f"ambiguous {expected['ambiguous']}" in counts
    assert f"keys matching several records: {expected['several']}" in counts
    assert driver.find_elements(By.CSS_SELECTOR, "#preview-changes tbody tr")
    assert "unmatched" in text(driver, "#preview-reasons")
    screens.shot("05-wizard-preview")
    submit(driver, "#save")
    assert "Added integration 'usage'" in text(driver, ".flash")
    saved = MeltanoYml(console.project / "meltano.yml")
    target = saved.plugin("loaders", "target-salesforce-update--usage")
    assert dict(target["config"]["field_mapping"]) == MAPPING
    assert target["config"]["match_field"] == "Email"
    assert target["config"]["multiple_matches"] == "skip"  # what `add` writes

    # The grid, then Run now (a second Run now while it runs is refused).
    driver.get(f"{console.url}/?environment=sandbox")
    grid_row = "#integration-usage"
    assert "daily 09:00 UTC" in text(driver, grid_row)
    assert "09:00 UTC" in text(driver, grid_row).split("daily 09:00 UTC", 1)[1]
    assert "never run" in text(driver, grid_row)
    screens.shot("06-integrations")
    submit(driver, "#run-usage")
    assert "/integrations/usage/running" in driver.current_url
    driver.back()
    driver.refresh()
    submit(driver, "#run-usage")
    assert "already running" in text(driver, ".flash")
    wait(driver, RUN_WAIT_S).until(
        lambda d: d.find_element(By.ID, "run-progress").get_attribute("data-finished") == "true"
    )
    assert text(driver, "#run-status") == "completed"
    assert text(driver, "#count-updated") == str(expected["updated"])
    assert text(driver, "#rows-written") == str(expected["updated"])
    screens.shot("07-run-now")

    # The values landed on the records, and nothing was inserted (the console writes only
    # through a run, and a run only updates).
    stats = requests.get(f"{console.salesforce_url}/__emulator/stats", timeout=30).json()
    assert stats["records_created"] == 0
    contacts = requests.get(
        f"{console.salesforce_url}/__emulator/records/Contact", timeout=30
    ).json()["records"]
    with (console.world / "onboarding.csv").open(newline="", encoding="utf-8") as handle:
        report = {row["End User ID"].strip().casefold(): row for row in csv.DictReader(handle)}
    landed = [
        c
        for c in contacts
        if str(c.get("Email") or "").casefold() in report
        and c.get("WalkMe_Total_Sessions__c") is not None
        and int(float(c["WalkMe_Total_Sessions__c"]))
        == int(report[str(c["Email"]).casefold()]["Total sessions"])
    ]
    assert len(landed) >= expected["updated"]

    # The log: the run with its counts, the chart, per-row results, CSV, the full log.
    submit(driver, "#open-log")
    runs = driver.find_elements(By.CSS_SELECTOR, "#runs tr.run-row")
    assert len(runs) == 1
    cells = [c.text for c in runs[0].find_elements(By.TAG_NAME, "td")]
    assert cells[1:6] == ["usage", "Contact", "sandbox", cells[4], "completed"]
    assert cells[6:12] == [
        str(expected["updated"]),
        str(expected["unchanged"]),
        str(expected["unmatched"]),
        str(expected["ambiguous"]),
        "0",
        "0",
    ]
    wait(driver).until(
        lambda d: d.find_element(By.ID, "counts-chart").get_attribute("data-rendered") == "true"
    )
    screens.shot("08-log")
    submit(driver, "#runs tr.run-row a.button")
    Select(driver.find_element(By.ID, "outcome")).select_by_value("unmatched")
    submit(driver, "#filter")
    rows = driver.find_elements(By.CSS_SELECTOR, "#rows tbody tr.o-unmatched")
    assert len(rows) == expected["unmatched"]
    screens.shot("09-run-rows")
    link = driver.find_element(By.ID, "download").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
    download = requests.get(link, cookies=cookies, timeout=60)
    assert download.status_code == 200
    assert download.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(download.text)))
    assert len(lines) == expected["unmatched"]
    assert {line["outcome"] for line in lines} == {"unmatched"}
    submit(driver, "#show-log")
    assert "Summary: stream=usage" in text(driver, "#full-log")
    screens.shot("10-run-log")

    # Edit opens at screen 3 with the saved mapping; drop one row and save.
    driver.get(f"{console.url}/?environment=sandbox")
    submit(driver, "#edit-usage")
    assert driver.current_url.endswith("/3")
    mapping_rows = driver.find_elements(By.CSS_SELECTOR, "#mapping tr.map-row")
    assert len(mapping_rows) == len(MAPPING)
    screens.shot("11-edit")
    submit(driver, "#back")  # Back to the key pair and Continue again: the rows stay
    assert driver.current_url.endswith("/2")
    submit(driver, "#continue")
    assert driver.current_url.endswith("/3")
    mapping_rows = driver.find_elements(By.CSS_SELECTOR, "#mapping tr.map-row")
    assert len(mapping_rows) == len(MAPPING)
    mapping_rows[-1].find_element(By.CSS_SELECTOR, ".delete-row").click()
    submit(driver, "#save")
    assert "Updated integration 'usage'" in text(driver, ".flash")
    target = MeltanoYml(console.project / "meltano.yml").plugin(
        "loaders", "target-salesforce-update--usage"
    )
    assert "feature_adoption" not in dict(target["config"]["field_mapping"])
    assert len(target["config"]["field_mapping"]) == len(MAPPING) - 1
    assert target["config"]["multiple_matches"] == "skip"  # an edit keeps the policies

    # Disconnect: revoked at Salesforce, removed from .env.
    driver.get(f"{console.url}/accounts")
    old = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.ID, "disconnect-sandbox").click()
    wait(driver, 10).until(ec.alert_is_present())
    driver.switch_to.alert.accept()
    wait(driver).until(page_left(old))
    assert "Disconnected 'sandbox'" in text(driver, ".flash")
    assert "not connected" in text(driver, "#account-sandbox .status")
    screens.shot("12-disconnected")
    assert "SF_SANDBOX_REFRESH_TOKEN" not in read_env(dotenv)
    assert stat.S_IMODE(dotenv.stat().st_mode) == 0o600
    refused = requests.post(
        f"{console.salesforce_url}/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": console.env["SALESFORCE_CLIENT_ID"],
            "client_secret": console.env["SALESFORCE_CLIENT_SECRET"],
        },
        timeout=30,
    )
    assert refused.status_code == 400

    # No page showed a secret.
    known = [*console.secrets(), refresh_token]
    for name, html in screens.pages:
        for value in known:
            assert value not in html, f"a secret appears in the {name} page"

    if os.environ.get("CONSOLE_SCREENSHOTS") == "docs":  # refresh the README's screenshots
        DOCS.mkdir(parents=True, exist_ok=True)
        for path in tmp_path.glob("*.png"):
            shutil.copy(path, DOCS / path.name)
