"""The beta CSA audit feed: every change made through the emulator's Graph API is recorded.

Records follow `customSecurityAttributeAudit` (graph-api.md §7). `correlationId` is the
request's `client-request-id`, so a client can find the record of its own change.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from emulator.graph import access
from emulator.graph.context import GraphContext, Reply
from emulator.graph.errors import bad_request, not_found, unknown_segment
from emulator.graph.odata import Field, compile_filter, paginate, parse_filter
from emulator.tenant import demo
from emulator.tenant.model import DirectoryObject

ADD_SET = "Add an attribute set"
UPDATE_SET = "Update an attribute set"
ADD_DEFINITION = "Add custom security attribute definition in an attribute set"
UPDATE_DEFINITION = "Update custom security attribute definition in an attribute set"
UPDATE_USER_VALUES = "Update attribute values assigned to a user"
UPDATE_SP_VALUES = "Update attribute values assigned to a servicePrincipal"
AUDIT_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Change:
    name: str
    old: Any
    new: Any


def record(
    ctx: GraphContext,
    activity: str,
    operation_type: str,
    target: dict[str, Any],
    changes: Sequence[Change],
) -> None:
    """Append a successful change to the feed (kept oldest first)."""
    request, me = ctx.request, ctx.me
    modified = [
        {"displayName": c.name, "oldValue": _encode(c.old), "newValue": _encode(c.new)}
        for c in changes
    ]
    if changes:
        names = ", ".join(c.name for c in changes)
        modified.append(
            {
                "displayName": "Included Updated Properties",
                "oldValue": None,
                "newValue": json.dumps(names),
            }
        )
    user_agent = request.header("user-agent") or None
    sequence = len(ctx.tenant.audits) + 1
    ctx.tenant.audits.append(
        {
            "id": f"Directory_{request.client_request_id}_{uuid.uuid4().hex[:5].upper()}_{sequence}",
            "category": "AttributeManagement",
            "correlationId": request.client_request_id,
            "result": "success",
            "resultReason": "",
            "activityDisplayName": activity,
            "activityDateTime": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
            "loggedByService": "Core Directory",
            "operationType": operation_type,
            "userAgent": user_agent,
            "initiatedBy": {"app": None, "user": _initiator(me, ctx)},
            "targetResources": [{**target, "modifiedProperties": modified}],
            "additionalDetails": [{"key": "User-Agent", "value": user_agent or ""}],
        }
    )


def _encode(value: Any) -> str | None:
    """Entra writes old and new values as JSON-encoded arrays, e.g. "[25]"."""
    if value is None:
        return None
    return json.dumps(value if isinstance(value, list) else [value], ensure_ascii=False)


def _initiator(me: DirectoryObject | None, ctx: GraphContext) -> dict[str, Any]:
    properties = me.properties if me else {}
    return {
        "id": ctx.caller.user_id,
        "displayName": properties.get("displayName"),
        "userPrincipalName": ctx.caller.upn,
        "ipAddress": ctx.request.client_ip,
        "userType": properties.get("userType", "Member"),
        "homeTenantId": demo.TENANT_ID,
        "homeTenantName": demo.TENANT_DISPLAY_NAME,
    }


def schema_target(object_id: str) -> dict[str, Any]:
    return {
        "id": object_id,
        "displayName": object_id,
        "type": "Other",
        "userPrincipalName": None,
        "groupType": None,
    }


def principal_target(principal: DirectoryObject) -> dict[str, Any]:
    is_user = principal.kind == "user"
    return {
        "id": principal.id,
        "displayName": principal.display_name,
        "type": "User" if is_user else "App",
        "userPrincipalName": principal.properties.get("userPrincipalName") if is_user else None,
        "groupType": None,
    }


# -- the feed ----------------------------------------------------------------------------


def _require_feed_access(ctx: GraphContext) -> None:
    if ctx.request.version != "beta":
        raise unknown_segment("customSecurityAttributeAudits")
    access.require_scope(ctx.caller, access.AUDIT_READ)
    access.require(ctx.access.read_audits)


def list_audits(ctx: GraphContext) -> Reply:
    _require_feed_access(ctx)
    options = ctx.request.options
    audits = list(ctx.tenant.audits)
    if options.filter:
        predicate = compile_filter(parse_filter(options.filter), _audit_field).predicate
        audits = [a for a in audits if predicate(a)]
    audits.sort(key=lambda a: a["activityDateTime"], reverse=_descending(options.orderby))
    page = paginate(
        audits, options, ctx.request_url, default=AUDIT_PAGE_SIZE, maximum=AUDIT_PAGE_SIZE
    )
    body: dict[str, Any] = {
        "@odata.context": ctx.context_url("auditLogs/customSecurityAttributeAudits"),
        "value": page.items,
    }
    if page.next_link:
        body["@odata.nextLink"] = page.next_link
    return Reply(200, body)


def get_audit(ctx: GraphContext, audit_id: str) -> Reply:
    _require_feed_access(ctx)
    for audit in ctx.tenant.audits:
        if audit["id"] == audit_id:
            context = ctx.context_url("auditLogs/customSecurityAttributeAudits/$entity")
            return Reply(200, {"@odata.context": context, **audit})
    raise not_found(audit_id)


def _descending(orderby: tuple[tuple[str, bool], ...]) -> bool:
    if not orderby:
        return True  # newest first, as directory audit feeds list them
    name, descending = orderby[0]
    if name.lower() != "activitydatetime" or len(orderby) > 1:
        raise bad_request("$orderby is supported only on activityDateTime.")
    return descending


_EQ = frozenset({"eq", "in"})
_EQ_PREFIX = frozenset({"eq", "in", "startswith"})
_DATE_OPS = frozenset({"eq", "ge", "le"})
_AUDIT_FIELDS: dict[str, tuple[str, frozenset[str]]] = {
    "id": ("string", _EQ),
    "activitydatetime": ("datetime", _DATE_OPS),
    "activitydisplayname": ("string", _EQ_PREFIX),
    "category": ("string", _EQ),
    "correlationid": ("string", _EQ),
    "loggedbyservice": ("string", _EQ),
    "operationtype": ("string", _EQ),
    "result": ("string", _EQ),
    "initiatedby/user/id": ("string", _EQ),
    "initiatedby/user/displayname": ("string", _EQ),
    "initiatedby/user/userprincipalname": ("string", _EQ_PREFIX),
    "initiatedby/app/appid": ("string", _EQ),
    "initiatedby/app/displayname": ("string", _EQ),
    "targetresources": ("collection", frozenset()),
    "targetresources/*/id": ("string", _EQ),
    "targetresources/*/displayname": ("string", _EQ_PREFIX),
    "targetresources/*/type": ("string", _EQ),
    "targetresources/*/userprincipalname": ("string", _EQ_PREFIX),
}


def _audit_field(path: tuple[str, ...]) -> Field:
    key = "/".join(path).lower()
    if key not in _AUDIT_FIELDS:
        raise bad_request(f"Invalid filter clause: '{'/'.join(path)}' cannot be filtered.")
    kind, operators = _AUDIT_FIELDS[key]
    # Inside any() the getter receives the element, so only the part after '*' is walked.
    steps = path[path.index("*") + 1 :] if "*" in path else path
    return Field(
        name="/".join(path),
        get=lambda item: _dig(item, steps),
        kind="string" if kind == "collection" else kind,
        operators=operators,
    )


def _dig(item: Any, steps: tuple[str, ...]) -> Any:
    for step in steps:
        if not isinstance(item, dict):
            return None
        item = next((v for k, v in item.items() if k.lower() == step.lower()), None)
    return item
