"""singer-sdk's standard target tests, run against the Salesforce emulator.

Every standard stream is given an integration on Contact that matches its key property against
Email; none of those keys exists, so the suite exercises message handling end to end (schema
changes, state, odd names, encodings) while the org is left untouched.
"""

from __future__ import annotations

import importlib.resources

import pytest
from singer_sdk.testing import get_target_test_class, target_test_streams
from singer_sdk.testing.runners import TargetTestRunner
from singer_sdk.testing.suites import SingerTestSuite
from singer_sdk.testing.target_tests import TargetRecordMissingRequiredProperty
from target_salesforce_update.target import TargetSalesforceUpdate

_KEYS = {"TestCamelcase": "Id", "ForecastingTypeToCategory": "Id", "example_stream": "email"}
_SPECIAL = "test:SpecialChars!in?attributes"


def _standard_streams() -> dict[str, dict]:
    import json

    streams: dict[str, dict] = {}
    for path in importlib.resources.files(target_test_streams).iterdir():
        if not path.name.endswith(".singer"):
            continue
        for line in path.read_text().splitlines():
            message = json.loads(line)
            if message.get("type") != "SCHEMA":
                continue
            name = message["stream"]
            properties = message["schema"].get("properties") or {}
            key = _KEYS.get(name) or ("_id" if name == _SPECIAL else "id")
            if key not in properties:
                continue
            streams[name] = {
                "match_property": key,
                "field_mapping": {key: "WalkMe_Total_Sessions__c"},
            }
    return streams


# The SDK's own suite leaves out TargetMultipleStateMessages (STATE timing is tested against
# this target's guarantees in test_target_faults.py) and TargetRecordMissingRequiredProperty,
# which applies here (a row without its key is rejected), so it is added back.
_Suite = get_target_test_class(
    TargetSalesforceUpdate,
    config={},
    custom_suites=[SingerTestSuite(kind="target", tests=[TargetRecordMissingRequiredProperty])],
)

_NOT_APPLICABLE = {
    "test_target_schema_no_properties": (
        "its streams carry only an object-valued property and no key; Salesforce fields cannot "
        "hold JSON objects, so preflight rejects the integration by design"
    ),
}


class TestStandardTargetSuite(_Suite):
    """The SDK's target suite; tests that cannot apply are skipped with their reason."""

    @pytest.fixture
    def runner(self, sf, base_config) -> TargetTestRunner:
        config = base_config(
            sobject="Contact",
            match_property=None,
            field_mapping=None,
            streams=_standard_streams(),
        )
        config = {k: v for k, v in config.items() if v is not None}
        return TargetTestRunner(target_class=TargetSalesforceUpdate, config=config)


def _skipped(reason: str):
    @pytest.mark.skip(reason=reason)
    def test(self) -> None:
        """Not applicable to this target; see the skip reason."""

    return test


for _name, _reason in _NOT_APPLICABLE.items():
    setattr(TestStandardTargetSuite, _name, _skipped(_reason))
