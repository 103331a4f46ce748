"""Describe: ``GET …/sobjects`` (global), ``GET …/sobjects/{obj}`` and
``GET …/sobjects/{obj}/describe``; ``updateable``/``createable`` reflect the running user."""

from __future__ import annotations

from typing import Any

from .metadata import ObjectDef
from .rest import Ctx, object_or_404
from .wire import Response, json_response


def _object_flags(ctx: Ctx, obj: ObjectDef) -> dict[str, Any]:
    p = ctx.prefix
    user = ctx.user
    return {
        "activateable": False,
        "associateEntityType": None,
        "associateParentEntity": None,
        "createable": user.can(obj.name, "create") and obj.name != "User",
        "custom": obj.custom,
        "customSetting": False,
        "deepCloneable": False,
        "deletable": user.can(obj.name, "delete") and obj.name != "User",
        "deprecatedAndHidden": False,
        "feedEnabled": not obj.custom,
        "hasSubtypes": False,
        "isInterface": False,
        "isSubtype": False,
        "keyPrefix": obj.key_prefix,
        "label": obj.label,
        "labelPlural": obj.label_plural,
        "layoutable": True,
        "mergeable": obj.name in {"Account", "Contact", "Lead"},
        "mruEnabled": True,
        "name": obj.name,
        "queryable": True,
        "replicateable": True,
        "retrieveable": True,
        "searchable": True,
        "triggerable": True,
        "undeletable": True,
        "updateable": user.can(obj.name, "edit"),
        "urls": {
            "rowTemplate": f"{p}/sobjects/{obj.name}/{{ID}}",
            "defaultValues": f"{p}/sobjects/{obj.name}/defaultValues?recordTypeId&fields",
            "describe": f"{p}/sobjects/{obj.name}/describe",
            "sobject": f"{p}/sobjects/{obj.name}",
        },
    }


def describe_global(ctx: Ctx) -> Response:
    sobjects = [
        _object_flags(ctx, obj)
        for obj in sorted(ctx.org.objects.values(), key=lambda o: o.name)
        if ctx.user.can(obj.name, "read")
    ]
    return json_response({"encoding": "UTF-8", "maxBatchSize": 200, "sobjects": sobjects})


def sobject_info(ctx: Ctx, name: str) -> Response:
    obj = object_or_404(ctx, name)
    return json_response({"objectDescribe": _object_flags(ctx, obj), "recentItems": []})


def describe(ctx: Ctx, name: str) -> Response:
    """Object describe; field ``updateable``/``createable`` reflect the running user."""
    obj = object_or_404(ctx, name)
    user = ctx.user
    can_edit = user.can(obj.name, "edit")
    can_create = user.can(obj.name, "create")
    fields = []
    for fname, fdesc in obj.fields.items():
        out = dict(fdesc)
        writable = user.field_editable(obj.name, fname)
        out["updateable"] = bool(fdesc["updateable"] and can_edit and writable)
        out["createable"] = bool(fdesc["createable"] and can_create and writable)
        fields.append(out)
    body = _object_flags(ctx, obj)
    body.update(
        {
            "actionOverrides": [],
            "childRelationships": [],
            "compactLayoutable": True,
            "defaultImplementation": None,
            "extendedBy": None,
            "extendsInterfaces": None,
            "fields": fields,
            "implementedBy": None,
            "implementsInterfaces": None,
            "listviewable": None,
            "lookupLayoutable": None,
            "namedLayoutInfos": [],
            "networkScopeFieldName": None,
            "recordTypeInfos": [],
            "searchLayoutable": True,
            "sobjectDescribeOption": "FULL",
            "supportedScopes": [
                {"label": "All records", "name": "everything"},
                {"label": "My records", "name": "mine"},
            ],
        }
    )
    return json_response(body)
