"""Object and field metadata: the standard objects the project touches, and describe output.

Field definitions are plain dicts shaped like Salesforce's describe output (``name``, ``type``,
``label``, ``length``, ``precision``, ``scale``, ``updateable`` ...). :func:`field_describe`
fills in every other describe property with Salesforce's defaults for that type, so seeds only
state what differs. The standard objects (Account, Contact, Lead, Opportunity, Case, Campaign,
CampaignMember, User, Task, Event) come from one data file, ``data/standard_objects.json``,
whose ``source`` names the Salesforce Object Reference version it follows.
"""

from __future__ import annotations

import copy
import functools
import json
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

TEXT_TYPES = frozenset(
    {
        "string",
        "textarea",
        "email",
        "phone",
        "url",
        "picklist",
        "multipicklist",
        "combobox",
        "encryptedstring",
    }
)
ID_TYPES = frozenset({"id", "reference"})
NUMBER_TYPES = frozenset({"double", "currency", "percent"})
# ``address``: a compound field (BillingAddress …), read-only as a whole; its components carry
# ``compoundFieldName`` (Object Reference, "Compound Fields").
KNOWN_TYPES = (
    TEXT_TYPES
    | ID_TYPES
    | NUMBER_TYPES
    | {"boolean", "int", "long", "date", "datetime", "time", "address"}
)

_SOAP_TYPES = {
    "id": "tns:ID",
    "reference": "tns:ID",
    "boolean": "xsd:boolean",
    "int": "xsd:int",
    "long": "xsd:long",
    "double": "xsd:double",
    "currency": "xsd:double",
    "percent": "xsd:double",
    "date": "xsd:date",
    "datetime": "xsd:dateTime",
    "time": "xsd:time",
    "address": "urn:address",
}

SYSTEM_FIELDS = (
    "Id",
    "IsDeleted",
    "CreatedDate",
    "CreatedById",
    "LastModifiedDate",
    "LastModifiedById",
    "SystemModstamp",
)


def _f(name: str, ftype: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": ftype, "label": label, **extra}


STANDARD_OBJECTS_FILE = "standard_objects.json"


@functools.lru_cache(maxsize=1)
def _standard_data() -> dict[str, Any]:
    """The standard-object data file (its ``source`` names the Object Reference version)."""
    text = resources.files(__package__).joinpath("data", STANDARD_OBJECTS_FILE).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _expand(fdef: dict[str, Any], picklists: dict[str, list[str]]) -> dict[str, Any]:
    """A data-file field → a field definition: ``picklist`` names a value list of the file's
    ``picklists`` and ``default`` the value that is the default."""
    out = {k: v for k, v in fdef.items() if k not in {"picklist", "default"}}
    if "picklist" in fdef:
        values = fdef["picklist"]
        values = picklists[values] if isinstance(values, str) else values
        default = fdef.get("default")
        out["picklistValues"] = [
            {"active": True, "defaultValue": v == default, "label": v, "validFor": None, "value": v}
            for v in values
        ]
    return out


def _system_fields() -> list[dict[str, Any]]:
    return copy.deepcopy(_standard_data()["systemFields"])


def standard_source() -> str:
    """Where the standard-object metadata comes from (the data file's ``source``)."""
    return str(_standard_data()["source"])


def other_key_prefixes() -> dict[str, str]:
    """Key prefixes of objects that reference fields point at but the emulator does not hold
    (Group, Profile, UserRole, RecordType)."""
    return dict(_standard_data()["otherKeyPrefixes"])


def standard_objects() -> list[dict[str, Any]]:
    """Fresh definitions of the standard objects, read from ``data/standard_objects.json``."""
    data = _standard_data()
    picklists = data["picklists"]
    out = []
    for odef in data["objects"]:
        fields = [*_system_fields(), *(_expand(f, picklists) for f in odef["fields"])]
        out.append(
            {
                "name": odef["name"],
                "label": odef["label"],
                "labelPlural": odef["labelPlural"],
                "keyPrefix": odef["keyPrefix"],
                "custom": False,
                "fields": fields,
            }
        )
    return out


# Object-level defaults applied to every object definition.
_OBJECT_DEFAULTS: dict[str, Any] = {"custom": False, "labelPlural": None, "keyPrefix": None}


def field_describe(fdef: dict[str, Any], *, custom_object: bool = False) -> dict[str, Any]:
    """Return a complete describe dict for a (possibly partial) field definition."""
    name = fdef["name"]
    ftype = fdef.get("type", "string")
    if ftype not in KNOWN_TYPES:
        raise ValueError(f"field {name}: unknown type {ftype!r}")
    custom = name.endswith("__c")
    text_like = ftype in TEXT_TYPES or ftype in ID_TYPES
    length = fdef.get("length", 18 if ftype in ID_TYPES else (255 if text_like else 0))
    nillable_default = ftype != "boolean"
    out: dict[str, Any] = {
        "aggregatable": ftype not in {"textarea", "boolean"},
        "aiPredictionField": False,
        "autoNumber": False,
        "byteLength": length * 3 if text_like else 0,
        "calculated": False,
        "calculatedFormula": None,
        "cascadeDelete": False,
        "caseSensitive": False,
        "compoundFieldName": None,
        "controllerName": None,
        "createable": True,
        "custom": custom,
        "defaultValue": False if ftype == "boolean" else None,
        "defaultValueFormula": None,
        "defaultedOnCreate": ftype == "boolean",
        "dependentPicklist": False,
        "deprecatedAndHidden": False,
        "digits": fdef.get("digits", 0),
        "displayLocationInDecimal": False,
        "encrypted": False,
        "externalId": False,
        "extraTypeInfo": None,
        "filterable": ftype != "textarea" or length <= 255,
        "filteredLookupInfo": None,
        "formulaTreatNullNumberAsZero": False,
        "groupable": ftype not in {"textarea", "double", "currency", "percent", "datetime"},
        "highScaleNumber": False,
        "htmlFormatted": False,
        "idLookup": ftype == "id",
        "inlineHelpText": None,
        "label": fdef.get("label", name),
        "length": length,
        "mask": None,
        "maskType": None,
        "name": name,
        "nameField": False,
        "namePointing": False,
        "nillable": nillable_default,
        "permissionable": custom,
        "picklistValues": [],
        "polymorphicForeignKey": False,
        "precision": fdef.get("precision", 18 if ftype in NUMBER_TYPES else 0),
        "queryByDistance": False,
        "referenceTargetField": None,
        "referenceTo": [],
        "relationshipName": None,
        "relationshipOrder": None,
        "restrictedDelete": False,
        "restrictedPicklist": False,
        "scale": fdef.get("scale", 0),
        "searchPrefilterable": ftype in ID_TYPES,
        "soapType": _SOAP_TYPES.get(ftype, "xsd:string"),
        "sortable": ftype not in {"textarea"} or length <= 255,
        "type": ftype,
        "unique": False,
        "updateable": True,
        "writeRequiresMasterRead": False,
    }
    for key, value in fdef.items():
        if key in out or key in {"digits"}:
            out[key] = copy.deepcopy(value)
    if ftype == "picklist" and "picklistValues" in fdef:
        out["picklistValues"] = [_normalize_pick(v) for v in fdef["picklistValues"]]
    if ftype == "multipicklist" and "picklistValues" in fdef:
        out["picklistValues"] = [_normalize_pick(v) for v in fdef["picklistValues"]]
    if ftype == "textarea" and length > 255:
        out["extraTypeInfo"] = fdef.get("extraTypeInfo", "plaintextarea")
    if not out["updateable"] and not out["createable"]:
        out["permissionable"] = False
    del custom_object  # object customness does not change field defaults
    return out


def _normalize_pick(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        return {
            "active": True,
            "defaultValue": False,
            "label": value,
            "validFor": None,
            "value": value,
        }
    return {
        "active": value.get("active", True),
        "defaultValue": value.get("defaultValue", False),
        "label": value.get("label", value["value"]),
        "validFor": None,
        "value": value["value"],
    }


@dataclass
class ObjectDef:
    """One sObject: its object-level properties and its fields (describe dicts, in order)."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    custom: bool
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # canonical name -> describe
    lower: dict[str, str] = field(default_factory=dict)  # lower-case name -> canonical name

    def add_field(self, fdef: dict[str, Any]) -> dict[str, Any]:
        """Add or replace a field; returns its full describe dict."""
        described = field_describe(fdef)
        existing = self.lower.get(described["name"].lower())
        if existing is not None and existing != described["name"]:
            del self.fields[existing]
        self.fields[described["name"]] = described
        self.lower[described["name"].lower()] = described["name"]
        return described

    def field(self, name: str) -> dict[str, Any] | None:
        """Look a field up case-insensitively."""
        canonical = self.lower.get(name.lower())
        return self.fields[canonical] if canonical else None

    def types(self) -> dict[str, str]:
        """Canonical field name -> Salesforce type."""
        return {name: f["type"] for name, f in self.fields.items()}


def make_object(odef: dict[str, Any]) -> ObjectDef:
    """Build an ObjectDef from a seed/standard definition; custom objects get system fields."""
    name = odef["name"]
    custom = odef.get("custom", name.endswith("__c"))
    obj = ObjectDef(
        name=name,
        label=odef.get("label", name.removesuffix("__c").replace("_", " ")),
        label_plural=odef.get("labelPlural") or odef.get("label", name) + "s",
        key_prefix=odef["keyPrefix"],
        custom=custom,
    )
    fields = list(odef.get("fields", []))
    present = {f["name"] for f in fields}
    if custom:
        extra = [f for f in _system_fields() if f["name"] not in present]
        if "Name" not in present:
            extra.append(_f("Name", "string", f"{obj.label} Name", length=80, nameField=True))
        if "OwnerId" not in present:
            extra.append(
                _f(
                    "OwnerId",
                    "reference",
                    "Owner ID",
                    length=18,
                    nillable=False,
                    referenceTo=["User"],
                    relationshipName="Owner",
                    defaultedOnCreate=True,
                )
            )
        fields = extra + fields
    for fdef in fields:
        obj.add_field(fdef)
    return obj


@functools.lru_cache(maxsize=1)
def _standard_prototypes() -> tuple[ObjectDef, ...]:
    return tuple(make_object(odef) for odef in standard_objects())


def standard_object_defs() -> list[ObjectDef]:
    """Fresh ObjectDefs of the standard objects (built once; each call copies the field dicts,
    so an org that adds or replaces fields never changes another org's)."""
    return [
        ObjectDef(
            name=proto.name,
            label=proto.label,
            label_plural=proto.label_plural,
            key_prefix=proto.key_prefix,
            custom=proto.custom,
            fields={name: dict(fdesc) for name, fdesc in proto.fields.items()},
            lower=dict(proto.lower),
        )
        for proto in _standard_prototypes()
    ]
