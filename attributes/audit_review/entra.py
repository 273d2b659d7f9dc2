"""Entra's own CSA audit feed (beta, graph-api.md §7) beside the portal's log, and the
links between an Entra entry and the portal record of the same change."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import Q

from attributes.audit_review.filters import MomentField, _check_range, _text, query_string
from attributes.audit_review.rows import reveal, shown
from attributes.forms import PortalForm
from attributes.models import AuditRecord, TargetType
from portal.graph import GraphClient, odata_string

LINK_WINDOW = timedelta(minutes=5)
ENTRA_FEED = "/auditLogs/customSecurityAttributeAudits"
ENTRA_PAGE_MAX = 100
ENTRA_PAGE_DEFAULT = 50


class EntraFilterForm(PortalForm):
    """Filters passed through to Graph's $filter (graph-api.md §7)."""

    since = MomentField(label="From (UTC)")
    until = MomentField(label="To (UTC)")
    activity = _text("Activity", max_length=200)
    match = forms.ChoiceField(
        label="Activity match",
        required=False,
        choices=[("startswith", "starts with"), ("eq", "is exactly")],
        error_messages={"invalid_choice": "Choose “starts with” or “is exactly”."},
    )
    initiator = _text("Initiated by", max_length=255, help_text="The UPN, or its beginning.")
    top = forms.IntegerField(
        label="Per page",
        required=False,
        min_value=1,
        max_value=ENTRA_PAGE_MAX,
        help_text=f"At most {ENTRA_PAGE_MAX}, Graph's limit for this feed.",
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        return _check_range(self, self.cleaned_data)

    def query(self) -> str:
        return query_string(self)


def _odata_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entra_filter(data: dict[str, Any]) -> str:
    """The $filter for the feed from the form's cleaned data ("" when there is none)."""
    clauses = []
    if data.get("since"):
        clauses.append(f"activityDateTime ge {_odata_time(data['since'].start)}")
    if data.get("until"):
        # Graph offers ge/le only; the last microsecond before the end is inclusive.
        last = data["until"].end - timedelta(microseconds=1)
        clauses.append(f"activityDateTime le {_odata_time(last)}")
    if data.get("activity"):
        literal = odata_string(data["activity"])
        if data.get("match") == "eq":
            clauses.append(f"activityDisplayName eq {literal}")
        else:
            clauses.append(f"startswith(activityDisplayName, {literal})")
    if data.get("initiator"):
        literal = odata_string(data["initiator"])
        clauses.append(f"startswith(initiatedBy/user/userPrincipalName, {literal})")
    return " and ".join(clauses)


def is_feed_link(link: str, graph: GraphClient) -> bool:
    """Only next-page links of the feed itself are followed from a URL someone can edit."""
    prefix = f"{graph.base_url}/beta{ENTRA_FEED}?"
    return link.startswith(prefix) and link.isprintable() and " " not in link


@dataclass(frozen=True)
class EntraChange:
    name: str
    old: str
    new: str


@dataclass(frozen=True)
class EntraTarget:
    id: str
    name: str
    type: str
    upn: str
    changes: tuple[EntraChange, ...]


@dataclass(frozen=True)
class EntraEntry:
    id: str
    at: datetime | None
    activity: str
    operation: str
    result: str
    result_reason: str
    initiated_by: str
    initiator_ip: str
    correlation_id: str
    targets: tuple[EntraTarget, ...]
    portal_seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.result.lower() == "success"


@dataclass(frozen=True)
class EntraPage:
    entries: list[EntraEntry]
    next_link: str | None
    filter: str = ""


_FRACTION = re.compile(r"(\.\d{6})\d+")


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    # Graph writes up to seven fractional digits; Python reads six.
    text = _FRACTION.sub(r"\1", value.replace("Z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _decoded(value: Any) -> str:
    """modifiedProperties values are JSON-encoded strings, e.g. "[25]"; show the JSON."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return reveal(value)
    return shown(value)


def _target(item: dict[str, Any]) -> EntraTarget:
    changes = tuple(
        EntraChange(
            reveal(str(prop.get("displayName") or "")),
            _decoded(prop.get("oldValue")),
            _decoded(prop.get("newValue")),
        )
        for prop in item.get("modifiedProperties") or []
        # A summary Entra adds: the names of the properties listed anyway.
        if prop.get("displayName") != "Included Updated Properties"
    )
    return EntraTarget(
        id=str(item.get("id") or ""),
        name=str(item.get("displayName") or ""),
        type=str(item.get("type") or ""),
        upn=str(item.get("userPrincipalName") or ""),
        changes=changes,
    )


def parse_entry(item: dict[str, Any]) -> EntraEntry:
    initiated = item.get("initiatedBy") or {}
    user = initiated.get("user") or {}
    app = initiated.get("app") or {}
    who = user.get("userPrincipalName") or user.get("displayName") or app.get("displayName") or ""
    return EntraEntry(
        id=str(item.get("id") or ""),
        at=_when(item.get("activityDateTime")),
        activity=str(item.get("activityDisplayName") or ""),
        operation=str(item.get("operationType") or ""),
        result=str(item.get("result") or ""),
        result_reason=str(item.get("resultReason") or ""),
        initiated_by=str(who),
        initiator_ip=str(user.get("ipAddress") or ""),
        correlation_id=str(item.get("correlationId") or ""),
        targets=tuple(_target(t) for t in item.get("targetResources") or []),
    )


def read_entra_page(
    graph: GraphClient,
    data: dict[str, Any],
    *,
    next_link: str | None = None,
) -> EntraPage:
    """One page of Entra's CSA audit feed (beta), filtered, or the page a nextLink names."""
    odata = entra_filter(data)
    params = {"$top": str(data.get("top") or ENTRA_PAGE_DEFAULT)}
    if odata:
        params["$filter"] = odata
    page = graph.page(ENTRA_FEED, params=params, version="beta", next_link=next_link)
    entries = [parse_entry(item) for item in page.items if isinstance(item, dict)]
    return EntraPage(entries, page.next_link, odata)


# Linking the two logs -----------------------------------------------------------------


def _close_in_time(at: datetime | None, record: AuditRecord) -> timedelta | None:
    if at is None:
        return None
    gaps = [abs(at - moment) for moment in (record.created_at, record.completed_at) if moment]
    gap = min(gaps)
    return gap if gap <= LINK_WINDOW else None


def _same_attribute(record: AuditRecord, target: EntraTarget) -> bool:
    # A set or definition is itself the target; its modifiedProperties are its fields.
    if record.target_type in (TargetType.ATTRIBUTE_SET, TargetType.DEFINITION):
        return True
    if not record.attribute:
        return True
    # On users and service principals Entra names the attribute "Set_Attribute"
    # (or, in some tenants' records, just "Attribute").
    wanted = {record.attribute.casefold(), f"{record.attribute_set}_{record.attribute}".casefold()}
    return any(change.name.casefold() in wanted for change in target.changes)


def same_change(record: AuditRecord, entry: EntraEntry) -> timedelta | None:
    """How far apart in time a portal record and an Entra entry are, if they describe the
    same change (same target and attribute, within five minutes); None if they do not."""
    gap = _close_in_time(entry.at, record)
    if gap is None:
        return None
    for target in entry.targets:
        if target.id.casefold() == record.target_id.casefold() and _same_attribute(record, target):
            return gap
    return None


def link_to_portal(entries: list[EntraEntry]) -> list[EntraEntry]:
    """Each Entra entry with the portal record of the same change, if there is one."""
    ids = {t.id for e in entries for t in e.targets if t.id}
    times = [e.at for e in entries if e.at]
    if not ids or not times:
        return entries
    low, high = min(times) - LINK_WINDOW, max(times) + LINK_WINDOW
    candidates = list(
        AuditRecord.objects.filter(target_id__in=ids)
        .filter(Q(created_at__range=(low, high)) | Q(completed_at__range=(low, high)))
        .only(
            "seq",
            "created_at",
            "completed_at",
            "target_type",
            "target_id",
            "attribute_set",
            "attribute",
        )
    )
    linked = []
    for entry in entries:
        matches = [(gap, r.seq) for r in candidates if (gap := same_change(r, entry)) is not None]
        linked.append(replace(entry, portal_seq=min(matches)[1] if matches else None))
    return linked


def find_in_entra(graph: GraphClient, record: AuditRecord) -> EntraEntry | None:
    """The Entra entry for a portal record: one page of the feed around its time."""
    start = record.created_at - LINK_WINDOW
    end = (record.completed_at or record.created_at) + LINK_WINDOW
    params = {
        "$top": str(ENTRA_PAGE_MAX),
        "$filter": f"activityDateTime ge {_odata_time(start)} and "
        f"activityDateTime le {_odata_time(end)}",
    }
    page = graph.page(ENTRA_FEED, params=params, version="beta")
    found = []
    for item in page.items:
        entry = parse_entry(item)
        gap = same_change(record, entry)
        if gap is not None:
            found.append((gap, entry.id, entry))
    return min(found)[2] if found else None


def entra_window(record: AuditRecord) -> str:
    """The Entra feed's query string for the minutes around a portal record."""
    start = record.created_at - LINK_WINDOW
    end = (record.completed_at or record.created_at) + LINK_WINDOW
    fmt = "%Y-%m-%dT%H:%M"
    return urlencode({"since": start.strftime(fmt), "until": end.strftime(fmt)})
