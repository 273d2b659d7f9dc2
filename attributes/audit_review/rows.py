"""Records as the list and the timelines show them: links, labels, and before → after.

Text that came from people or from Graph is shown with its invisible characters (RTL
overrides, zero-width spaces) written out, so a diff can never hide a change."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse

from attributes.audit_review.paging import Page
from attributes.models import Action, AuditRecord, Outcome, TargetType

SCHEMA_TYPES = [TargetType.ATTRIBUTE_SET.value, TargetType.DEFINITION.value]


def timeline_records(target_type: str, target_id: str) -> QuerySet[AuditRecord]:
    """Every record about one object; a set's timeline includes its definitions'."""
    own = Q(target_type=target_type, target_id=target_id)
    if target_type == TargetType.ATTRIBUTE_SET:
        # Set names compare case-insensitively; this matches the partial index audit_schema_set.
        own |= Q(target_type__in=SCHEMA_TYPES) & Q(attribute_set__iexact=target_id)
    return AuditRecord.objects.filter(own)


def timeline_url(target_type: str, target_id: str) -> str | None:
    """The link to an object's timeline, or None for ids no URL can carry (e.g. '/')."""
    try:
        return reverse(
            "attributes:audit_timeline",
            kwargs={"target_type": target_type, "target_id": target_id},
        )
    except NoReverseMatch:
        return None


@dataclass(frozen=True)
class Row:
    """A record as a list shows it, with its links and a short before → after.

    Links and labels are worked out here once, not per row in the template (which is
    most of a page's server time; see bench/bench_audit.py)."""

    record: AuditRecord
    detail_url: str
    timeline_url: str | None
    changes: list[DiffEntry]
    badge: str
    action: str
    outcome: str
    target_type: str


OUTCOME_BADGES: dict[str, str] = {
    Outcome.SUCCEEDED: "badge-ok",
    Outcome.FAILED: "badge-error",
    Outcome.UNKNOWN: "badge-warn",
    Outcome.PENDING: "badge-off",
}
_ACTIONS = dict(Action.choices)
_OUTCOMES = dict(Outcome.choices)
_TARGET_TYPES = dict(TargetType.choices)


def rows(page: Page) -> list[Row]:
    detail = reverse("attributes:audit_detail", kwargs={"seq": 1}).removesuffix("1")
    return [
        Row(
            record,
            f"{detail}{record.seq}",
            timeline_url(record.target_type, record.target_id),
            [entry for entry in diff(record.before, record.after) if entry.change != "same"],
            OUTCOME_BADGES.get(record.outcome, "badge-off"),
            _ACTIONS.get(record.action, record.action),
            _OUTCOMES.get(record.outcome, record.outcome),
            _TARGET_TYPES.get(record.target_type, record.target_type),
        )
        for record in page.records
    ]


# Before/after -------------------------------------------------------------------------

_REVEAL = {"Cf", "Cc", "Zl", "Zp", "Co", "Cs"}


def reveal(text: str) -> str:
    """Invisible characters (RTL overrides, zero-width spaces) written out as \\uXXXX."""
    return "".join(
        f"\\u{ord(char):04x}"
        if unicodedata.category(char) in _REVEAL and char not in "\n\t"
        else char
        for char in text
    )


def has_hidden_characters(text: str) -> bool:
    return reveal(text) != text


def shown(value: Any) -> str:
    """A value as compact JSON, with invisible characters revealed (still valid JSON)."""
    return reveal(json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")))


@dataclass(frozen=True)
class DiffEntry:
    key: str
    change: str  # added | removed | changed | same
    before: str = ""
    after: str = ""
    items_added: tuple[str, ...] = ()
    items_removed: tuple[str, ...] = ()


def _as_mapping(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(key): item for key, item in value.items()}
    return {"value": value}


def _items(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return [shown(v) for v in value]
    return None


def diff(before: Any, after: Any) -> list[DiffEntry]:
    """Per key: added, removed, changed or the same; lists of plain values itemised."""
    old, new = _as_mapping(before), _as_mapping(after)
    entries = []
    for key in sorted(old.keys() | new.keys(), key=lambda k: (k.casefold(), k)):
        if key not in old:
            entries.append(DiffEntry(reveal(key), "added", after=shown(new[key])))
        elif key not in new:
            entries.append(DiffEntry(reveal(key), "removed", before=shown(old[key])))
        elif old[key] == new[key]:
            entries.append(DiffEntry(reveal(key), "same", shown(old[key]), shown(new[key])))
        else:
            was, now = _items(old[key]), _items(new[key])
            entries.append(
                DiffEntry(
                    reveal(key),
                    "changed",
                    shown(old[key]),
                    shown(new[key]),
                    items_added=tuple(v for v in now if v not in was) if was and now else (),
                    items_removed=tuple(v for v in was if v not in now) if was and now else (),
                )
            )
    return entries
