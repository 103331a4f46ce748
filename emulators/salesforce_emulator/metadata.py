"""Object and field metadata: the standard objects the project touches, and describe output.

Field definitions are plain dicts shaped like Salesforce's describe output (``name``, ``type``,
``label``, ``length``, ``precision``, ``scale``, ``updateable`` ...). :func:`field_describe`
fills in every other describe property with Salesforce's defaults for that type, so seeds only
state what differs. The standard objects below carry realistic metadata for Contact, Lead,
Account and User (types, lengths, required fields, picklists, system fields).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
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
KNOWN_TYPES = (
    TEXT_TYPES | ID_TYPES | NUMBER_TYPES | {"boolean", "int", "long", "date", "datetime", "time"}
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


def _picklist(values: list[str], default: str | None = None) -> list[dict[str, Any]]:
    return [
        {"active": True, "defaultValue": v == default, "label": v, "validFor": None, "value": v}
        for v in values
    ]


def _system_fields() -> list[dict[str, Any]]:
    ro = {"updateable": False, "createable": False}
    return [
        _f("Id", "id", "Record ID", length=18, nillable=False, idLookup=True, **ro),
        _f("IsDeleted", "boolean", "Deleted", nillable=False, **ro),
        _f("CreatedDate", "datetime", "Created Date", nillable=False, **ro),
        _f(
            "CreatedById",
            "reference",
            "Created By ID",
            length=18,
            nillable=False,
            referenceTo=["User"],
            relationshipName="CreatedBy",
            **ro,
        ),
        _f("LastModifiedDate", "datetime", "Last Modified Date", nillable=False, **ro),
        _f(
            "LastModifiedById",
            "reference",
            "Last Modified By ID",
            length=18,
            nillable=False,
            referenceTo=["User"],
            relationshipName="LastModifiedBy",
            **ro,
        ),
        _f("SystemModstamp", "datetime", "System Modstamp", nillable=False, **ro),
    ]


_SALUTATIONS = ["Mr.", "Ms.", "Mrs.", "Dr.", "Prof.", "Mx."]
_LEAD_SOURCES = ["Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other"]
_INDUSTRIES = [
    "Agriculture",
    "Banking",
    "Education",
    "Finance",
    "Healthcare",
    "Manufacturing",
    "Retail",
    "Technology",
    "Telecommunications",
    "Other",
]


def _address(prefix: str, label: str) -> list[dict[str, Any]]:
    return [
        _f(f"{prefix}Street", "textarea", f"{label} Street", length=255),
        _f(f"{prefix}City", "string", f"{label} City", length=40),
        _f(f"{prefix}State", "string", f"{label} State/Province", length=80),
        _f(f"{prefix}PostalCode", "string", f"{label} Zip/Postal Code", length=20),
        _f(f"{prefix}Country", "string", f"{label} Country", length=80),
    ]


def _person_name() -> list[dict[str, Any]]:
    return [
        _f("LastName", "string", "Last Name", length=80, nillable=False, nameField=False),
        _f("FirstName", "string", "First Name", length=40),
        _f(
            "Salutation",
            "picklist",
            "Salutation",
            length=40,
            picklistValues=_picklist(_SALUTATIONS),
        ),
        _f(
            "Name",
            "string",
            "Full Name",
            length=121,
            nameField=True,
            updateable=False,
            createable=False,
            calculated=False,
        ),
    ]


def standard_objects() -> list[dict[str, Any]]:
    """Return fresh definitions of the standard objects (Account, Contact, Lead, User)."""
    owner = _f(
        "OwnerId",
        "reference",
        "Owner ID",
        length=18,
        nillable=False,
        referenceTo=["User"],
        relationshipName="Owner",
        defaultedOnCreate=True,
    )
    account = {
        "name": "Account",
        "label": "Account",
        "labelPlural": "Accounts",
        "keyPrefix": "001",
        "custom": False,
        "fields": [
            *_system_fields(),
            _f("Name", "string", "Account Name", length=255, nillable=False, nameField=True),
            _f(
                "Type",
                "picklist",
                "Account Type",
                length=255,
                picklistValues=_picklist(
                    ["Prospect", "Customer - Direct", "Customer - Channel", "Partner", "Other"]
                ),
            ),
            _f(
                "Industry",
                "picklist",
                "Industry",
                length=255,
                picklistValues=_picklist(_INDUSTRIES),
            ),
            _f("Phone", "phone", "Account Phone", length=40),
            _f("Website", "url", "Website", length=255),
            *_address("Billing", "Billing"),
            _f("NumberOfEmployees", "int", "Employees", digits=8),
            _f("AnnualRevenue", "currency", "Annual Revenue", precision=18, scale=0),
            _f("Description", "textarea", "Account Description", length=32000),
            dict(owner),
        ],
    }
    contact = {
        "name": "Contact",
        "label": "Contact",
        "labelPlural": "Contacts",
        "keyPrefix": "003",
        "custom": False,
        "fields": [
            *_system_fields(),
            _f(
                "AccountId",
                "reference",
                "Account ID",
                length=18,
                referenceTo=["Account"],
                relationshipName="Account",
            ),
            *_person_name(),
            *_address("Mailing", "Mailing"),
            _f("Phone", "phone", "Business Phone", length=40),
            _f("MobilePhone", "phone", "Mobile Phone", length=40),
            _f("Email", "email", "Email", length=80, idLookup=True),
            _f("Title", "string", "Title", length=128),
            _f("Department", "string", "Department", length=80),
            _f(
                "LeadSource",
                "picklist",
                "Lead Source",
                length=255,
                picklistValues=_picklist(_LEAD_SOURCES),
            ),
            _f("Birthdate", "date", "Birthdate"),
            _f("Description", "textarea", "Contact Description", length=32000),
            _f("HasOptedOutOfEmail", "boolean", "Email Opt Out", nillable=False),
            _f("DoNotCall", "boolean", "Do Not Call", nillable=False),
            _f("EmailBouncedReason", "string", "Email Bounced Reason", length=255),
            _f("EmailBouncedDate", "datetime", "Email Bounced Date"),
            _f("LastActivityDate", "date", "Last Activity", updateable=False, createable=False),
            dict(owner),
        ],
    }
    lead = {
        "name": "Lead",
        "label": "Lead",
        "labelPlural": "Leads",
        "keyPrefix": "00Q",
        "custom": False,
        "fields": [
            *_system_fields(),
            *_person_name(),
            _f("Title", "string", "Title", length=128),
            _f("Company", "string", "Company", length=255, nillable=False),
            *_address("", "").__iter__(),
            _f("Phone", "phone", "Phone", length=40),
            _f("MobilePhone", "phone", "Mobile Phone", length=40),
            _f("Email", "email", "Email", length=80, idLookup=True),
            _f("Website", "url", "Website", length=255),
            _f("Description", "textarea", "Description", length=32000),
            _f(
                "LeadSource",
                "picklist",
                "Lead Source",
                length=255,
                picklistValues=_picklist(_LEAD_SOURCES),
            ),
            _f(
                "Status",
                "picklist",
                "Status",
                length=255,
                nillable=False,
                defaultedOnCreate=True,
                picklistValues=_picklist(
                    [
                        "Open - Not Contacted",
                        "Working - Contacted",
                        "Closed - Converted",
                        "Closed - Not Converted",
                    ],
                    default="Open - Not Contacted",
                ),
            ),
            _f(
                "Industry",
                "picklist",
                "Industry",
                length=255,
                picklistValues=_picklist(_INDUSTRIES),
            ),
            _f(
                "Rating",
                "picklist",
                "Rating",
                length=255,
                picklistValues=_picklist(["Hot", "Warm", "Cold"]),
            ),
            _f("NumberOfEmployees", "int", "Employees", digits=8),
            _f("HasOptedOutOfEmail", "boolean", "Email Opt Out", nillable=False),
            _f(
                "IsConverted",
                "boolean",
                "Converted",
                nillable=False,
                updateable=False,
                createable=False,
                defaultedOnCreate=True,
            ),
            _f("ConvertedDate", "date", "Converted Date", updateable=False, createable=False),
            _f(
                "ConvertedAccountId",
                "reference",
                "Converted Account ID",
                length=18,
                referenceTo=["Account"],
                updateable=False,
                createable=False,
            ),
            _f(
                "ConvertedContactId",
                "reference",
                "Converted Contact ID",
                length=18,
                referenceTo=["Contact"],
                updateable=False,
                createable=False,
            ),
            _f("IsUnreadByOwner", "boolean", "Unread By Owner", nillable=False),
            dict(owner),
        ],
    }
    # Lead's address fields have no prefix: Street, City, State, PostalCode, Country.
    for fdef in lead["fields"]:
        if fdef["label"].startswith(" "):
            fdef["label"] = fdef["label"].strip()
    user = {
        "name": "User",
        "label": "User",
        "labelPlural": "Users",
        "keyPrefix": "005",
        "custom": False,
        "fields": [
            *_system_fields(),
            _f(
                "Username",
                "string",
                "Username",
                length=80,
                nillable=False,
                unique=True,
                idLookup=True,
            ),
            _f("LastName", "string", "Last Name", length=80, nillable=False),
            _f("FirstName", "string", "First Name", length=40),
            _f(
                "Name",
                "string",
                "Full Name",
                length=121,
                nameField=True,
                updateable=False,
                createable=False,
            ),
            _f("Email", "email", "Email", length=128, nillable=False),
            _f("Alias", "string", "Alias", length=8, nillable=False),
            _f("IsActive", "boolean", "Active", nillable=False),
            _f(
                "ProfileId",
                "reference",
                "Profile ID",
                length=18,
                nillable=False,
                referenceTo=["Profile"],
            ),
            _f(
                "TimeZoneSidKey",
                "picklist",
                "Time Zone",
                length=40,
                nillable=False,
                restrictedPicklist=True,
                picklistValues=_picklist(
                    [
                        "America/Los_Angeles",
                        "America/New_York",
                        "Europe/London",
                        "Europe/Berlin",
                        "Asia/Jerusalem",
                        "GMT",
                    ]
                ),
            ),
            _f(
                "LanguageLocaleKey",
                "picklist",
                "Language",
                length=40,
                nillable=False,
                restrictedPicklist=True,
                picklistValues=_picklist(["en_US", "de", "fr", "he"]),
            ),
            _f("Title", "string", "Title", length=80),
            _f("Department", "string", "Department", length=80),
        ],
    }
    return [account, contact, lead, user]


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
