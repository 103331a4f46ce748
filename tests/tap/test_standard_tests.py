"""singer-sdk's standard tap tests, on a local export and on the WalkMe emulator.

``get_tap_test_class`` discovers the streams when the module is collected, so the exports (and
the emulator for the https suite) must exist at import time: they are created here, in a
temporary folder, and the emulator process is stopped when the test session ends.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from singer_sdk.testing import SuiteConfig, get_tap_test_class
from tap_walkme_insights.tap import TapWalkMeInsights
from walkme_emulator.testing import WalkMeEmulator

ONBOARDING = (
    "\ufeffEnd User ID,Account Name,Onboarding Progress (%),Onboarding Completed,"
    "First seen timestamp,Last seen timestamp,Total sessions,Average session duration (min),"
    "Feature Adoption,Country\n"
    "ann@example.com,Acme,45.5,false,2026-10-01 09:00:00,2026-11-26 14:03:22,12,7.25,Low,US\n"
    "Bob.O'Brien+crm@Example.com,Acme,100,true,2026-09-12 10:11:12,2026-11-25 08:00:00,40,"
    "12.5,High,IE\n"
    " zoë@example.com ,Globex,80,false,2026-08-01 00:00:00,2026-11-20 17:45:00,22,3,Medium,DE\n"
    "ANN@example.com,Acme,50,false,2026-10-01 09:00:00,2026-11-27 10:00:00,13,7.5,Low,US\n"
)
NPS = (
    "End User ID,Survey Name,Survey ID,Question,Answer,Answer Freetext,Date (UTC),"
    "Question Date & Time (UTC)\n"
    'ann@example.com,Q4 NPS,17,How likely…?,9,"Great, ""really""\nhelpful",2026-11-20,'
    "2026-11-20 10:00:00\n"
    "bob@example.com,Q4 NPS,17,How likely…?,6,,2026-11-21,2026-11-21 11:30:00\n"
)

_FOLDER = Path(tempfile.mkdtemp(prefix="tap-walkme-standard-"))
atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)
(_FOLDER / "onboarding.csv").write_text(ONBOARDING, encoding="utf-8")
(_FOLDER / "nps.csv").write_text(NPS, encoding="utf-8")

LOCAL_CONFIG = {
    "reports": [
        {
            "name": "onboarding",
            "source": str(_FOLDER / "onboarding.csv"),
            "key_column": "End User ID",
        },
        {"name": "nps", "source": str(_FOLDER / "nps.csv"), "key_column": "End User ID"},
    ],
    "system": "Acme CRM",
    "environment": "Production",
}

TestTapWalkMeInsightsLocal = get_tap_test_class(
    tap_class=TapWalkMeInsights,
    config=LOCAL_CONFIG,
    parse_env_config=False,
    suite_config=SuiteConfig(ignore_no_records=False),
)

_EMULATOR = WalkMeEmulator(client_id="standard-tests", client_secret="standard-tests-secret-9f2")
_EMULATOR.start()
atexit.register(_EMULATOR.stop)
_ONBOARDING = _EMULATOR.publish("onboarding", _FOLDER / "onboarding.csv")
_NPS = _EMULATOR.publish("nps", _FOLDER / "nps.csv")

EMULATOR_CONFIG = {
    "reports": [
        # Read with WalkMe's bearer token (client credentials against the emulator).
        {"name": "onboarding", "source": _ONBOARDING.url, "key_column": "End User ID"},
        # A signed link from a report-subscription e-mail (no token).
        {"name": "nps", "source": _NPS.signed_url, "key_column": "End User ID"},
    ],
    "base_url": _EMULATOR.url,
    "client_id": _EMULATOR.client_id,
    "client_secret": _EMULATOR.client_secret,
    "backoff_factor": 0.05,
}

TestTapWalkMeInsightsEmulator = get_tap_test_class(
    tap_class=TapWalkMeInsights,
    config=EMULATOR_CONFIG,
    parse_env_config=False,
    suite_config=SuiteConfig(ignore_no_records=False),
)
