"""Preflight: every problem with an integration is found before any write, with its fix."""

from __future__ import annotations

import pytest
from target_salesforce_update.integration import IntegrationConfigError, resolve_integration
from target_salesforce_update.preflight import PreflightError, check_integration


def integration(**overrides):
    config = {
        "sobject": "Contact",
        "match_property": "end_user_id",
        "field_mapping": {
            "progress": "WalkMe_Onboarding_Progress__c",
            "segment": "WalkMe_Segment__c",
        },
    }
    config.update(overrides)
    return resolve_integration(config, "onboarding")


SCHEMA = {
    "properties": {
        "end_user_id": {"type": ["string", "null"]},
        "progress": {"type": ["number", "null"]},
        "segment": {"type": ["string", "null"]},
        "done": {"type": ["boolean", "null"]},
        "seen": {"type": ["string", "null"], "format": "date-time"},
        "blob": {"type": ["object", "null"]},
    }
}


def test_valid_integration_gives_a_plan(contact_describe):
    plan = check_integration(integration(), contact_describe, SCHEMA)
    assert plan.sobject == "Contact"
    assert plan.match.name == "Email"
    assert set(plan.fields) == {"progress", "segment"}
    assert plan.select_fields == [
        "Id",
        "Email",
        "WalkMe_Onboarding_Progress__c",
        "WalkMe_Segment__c",
    ]
    assert plan.extra_filter == ""
    # Email is neither unique nor an id lookup in this describe: a warning, not an error.
    assert any("neither unique nor an Id lookup" in w for w in plan.warnings)


def test_field_names_are_matched_case_insensitively(contact_describe):
    plan = check_integration(
        integration(match_field="email", field_mapping={"segment": "walkme_segment__C"}),
        contact_describe,
        SCHEMA,
    )
    assert plan.match.name == "Email"
    assert plan.fields["segment"].name == "WalkMe_Segment__c"


def test_missing_object(contact_describe):
    with pytest.raises(PreflightError, match="does not exist or this user cannot see it"):
        check_integration(integration(sobject="Contatc"), None, SCHEMA)


def test_object_not_updateable(contact_describe):
    contact_describe["updateable"] = False
    with pytest.raises(PreflightError, match="grant Edit on Contact"):
        check_integration(integration(), contact_describe, SCHEMA)


def test_every_problem_is_listed(contact_describe):
    for f in contact_describe["fields"]:
        if f["name"] == "WalkMe_NPS_Score__c":
            f["updateable"] = False
    mapping = {
        "progress": "WalkMe_Onboarding_Progress__c",
        "segment": "WalkMe_Onboarding_Progress__c",  # mapped twice
        "done": "No_Such_Field__c",
        "seen": "Email",  # the match field
        "blob": "WalkMe_NPS_Score__c",  # not editable
    }
    with pytest.raises(PreflightError) as info:
        check_integration(integration(field_mapping=mapping), contact_describe, SCHEMA)
    text = str(info.value)
    assert "mapped twice" in text
    assert "No_Such_Field__c does not exist" in text
    assert "is the match field and also a mapping target" in text
    assert "not editable for this user" in text and "field-level security" in text
    assert len(info.value.problems) == 4


def test_types_and_schema_properties(contact_describe):
    mapping = {
        "blob": "WalkMe_Segment__c",  # object → string: impossible
        "done": "WalkMe_First_Seen__c",  # boolean → datetime: impossible
        "seen": "WalkMe_Total_Sessions__c",  # date-time string → double: impossible
        "missing": "WalkMe_NPS_Comment__c",  # not in the schema
    }
    with pytest.raises(PreflightError) as info:
        check_integration(integration(field_mapping=mapping), contact_describe, SCHEMA)
    problems = info.value.problems
    assert len(problems) == 4
    assert any("the stream has no property 'missing'" in p for p in problems)
    assert any("blob is object" in p for p in problems)


def test_match_property_and_match_field_checks(contact_describe):
    with pytest.raises(PreflightError, match="match_property 'user' is not a property"):
        check_integration(integration(match_property="user"), contact_describe, SCHEMA)
    with pytest.raises(PreflightError, match="not filterable"):
        check_integration(
            integration(match_field="WalkMe_NPS_Comment__c"), contact_describe, SCHEMA
        )
    with pytest.raises(PreflightError, match="match_field 'Mail' does not exist"):
        check_integration(integration(match_field="Mail"), contact_describe, SCHEMA)


def test_unique_match_field_has_no_warning(contact_describe):
    for f in contact_describe["fields"]:
        if f["name"] == "Email":
            f["idLookup"] = True
    assert check_integration(integration(), contact_describe, SCHEMA).warnings == ()


def test_lead_excludes_converted(contact_describe):
    contact_describe["name"] = "Lead"
    contact_describe["fields"].append(
        {"name": "IsConverted", "type": "boolean", "updateable": False}
    )
    plan = check_integration(integration(sobject="Lead"), contact_describe, SCHEMA)
    assert plan.extra_filter == "IsConverted = false"


def test_integration_settings_shape():
    with pytest.raises(IntegrationConfigError, match="Stream 'other' has no integration"):
        resolve_integration({"streams": {"onboarding": {}}}, "other")
    with pytest.raises(IntegrationConfigError) as info:
        resolve_integration({"sobject": "Contact", "multiple_matches": "first"}, "s")
    text = str(info.value)
    assert "match_property" in text and "field_mapping" in text and "multiple_matches" in text
    with pytest.raises(IntegrationConfigError, match="Unknown setting"):
        resolve_integration({"streams": {"s": {"sobjekt": "Lead"}}}, "s")


def test_stream_overrides_merge_over_top_level():
    config = {
        "sobject": "Contact",
        "match_property": "id",
        "field_mapping": {"a": "A__c"},
        "null_values": "clear",
        "streams": {"nps": {"sobject": "Lead", "field_mapping": {"b": "B__c"}}},
    }
    nps = resolve_integration(config, "nps")
    assert (nps.sobject, nps.match_property, nps.field_mapping, nps.null_values) == (
        "Lead",
        "id",
        {"b": "B__c"},
        "clear",
    )
    other = resolve_integration(config, "onboarding")
    assert other.sobject == "Contact"


def test_match_on_id_selects_id_once_and_keeps_the_key_prefix(contact_describe):
    contact_describe["keyPrefix"] = "003"
    plan = check_integration(integration(match_field="Id"), contact_describe, SCHEMA)
    assert plan.select_fields == ["Id", "WalkMe_Onboarding_Progress__c", "WalkMe_Segment__c"]
    assert plan.key_prefix == "003"


def test_id_match_field_needs_a_text_key_property(contact_describe):
    schema = {"properties": {**SCHEMA["properties"], "end_user_id": {"type": "integer"}}}
    with pytest.raises(PreflightError, match="match_field Id holds Salesforce Ids"):
        check_integration(integration(match_field="Id"), contact_describe, schema)


def test_compound_fields_name_their_components(contact_describe):
    # The describe shape Salesforce documents: the compound field is not updateable, and each
    # component names it in compoundFieldName.
    contact_describe["fields"] += [
        {"name": "Name", "type": "string", "updateable": False},
        {"name": "FirstName", "type": "string", "updateable": True, "compoundFieldName": "Name"},
        {"name": "LastName", "type": "string", "updateable": True, "compoundFieldName": "Name"},
        {"name": "MailingAddress", "type": "address", "updateable": False},
        {
            "name": "MailingCity",
            "type": "string",
            "updateable": True,
            "compoundFieldName": "MailingAddress",
        },
    ]
    mapping = {"segment": "Name", "progress": "MailingAddress"}
    with pytest.raises(PreflightError) as caught:
        check_integration(integration(field_mapping=mapping), contact_describe, None)
    name, address = caught.value.problems
    assert "Name is a compound field" in name and "FirstName, LastName" in name
    assert "MailingAddress is a compound field" in address and "MailingCity" in address
    assert "grant Edit" not in name + address
