"""Keyset pages: newest first by (created_at, seq), never an OFFSET.

"Older" continues after the last record shown (`?before=<seq>`), "Newer" before the
first (`?after=<seq>`). The cursor is a seq; its created_at is looked up by primary key.
Each filter has an index ending in (created_at, seq) (migration 0003), so a page is one
ordered index range scan, even with a time range."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from attributes.models import AuditRecord

PAGE_SIZE = 50
LIST_FIELDS = (
    "seq",
    "created_at",
    "actor_upn",
    "actor_name",
    "actor_object_id",
    "action",
    "target_type",
    "target_id",
    "target_name",
    "attribute_set",
    "attribute",
    "outcome",
    "reason",
    "job_id",
    "before",
    "after",
)


def older_than(records: QuerySet[AuditRecord], at: datetime, seq: int) -> QuerySet[AuditRecord]:
    # (created_at, seq) < (at, seq), written so the range start can use the index.
    return records.filter(created_at__lte=at).filter(Q(created_at__lt=at) | Q(seq__lt=seq))


def newer_than(records: QuerySet[AuditRecord], at: datetime, seq: int) -> QuerySet[AuditRecord]:
    return records.filter(created_at__gte=at).filter(Q(created_at__gt=at) | Q(seq__gt=seq))


NEWEST_FIRST = ("-created_at", "-seq")
OLDEST_FIRST = ("created_at", "seq")


@dataclass(frozen=True)
class Page:
    records: list[AuditRecord]
    older: int | None = None  # cursor for ?before=
    newer: int | None = None  # cursor for ?after=


def _created_at(seq: int) -> datetime | None:
    return AuditRecord.objects.filter(seq=seq).values_list("created_at", flat=True).first()


def keyset_page(
    records: QuerySet[AuditRecord],
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
    fields: tuple[str, ...] = LIST_FIELDS,
) -> Page:
    """One page, newest first: the first page, or the page before/after a cursor."""
    records = records.only(*fields)
    if after is not None and (at := _created_at(after)) is not None:
        rows = list(newer_than(records, at, after).order_by(*OLDEST_FIRST)[: size + 1])
        if rows:
            has_newer = len(rows) > size
            rows = rows[:size][::-1]
            last = rows[-1]
            has_older = older_than(records, last.created_at, last.seq).exists()
            return Page(
                rows,
                older=last.seq if has_older else None,
                newer=rows[0].seq if has_newer else None,
            )
        before = None  # nothing newer than the cursor any more: show the newest page
    if before is not None and (at := _created_at(before)) is not None:
        records_from = older_than(records, at, before)
    else:
        before, records_from = None, records
    rows = list(records_from.order_by(*NEWEST_FIRST)[: size + 1])
    has_older = len(rows) > size
    rows = rows[:size]
    newer = None
    if before is not None and rows:
        first = rows[0]
        if newer_than(records, first.created_at, first.seq).exists():
            newer = first.seq
    return Page(rows, older=rows[-1].seq if has_older else None, newer=newer)


def page_links(query: str, page: Page) -> dict[str, str]:
    """Relative links to the newer and older pages, keeping the filters."""
    prefix = f"?{query}&" if query else "?"
    links = {}
    if page.newer is not None:
        links["newer"] = f"{prefix}after={page.newer}"
    if page.older is not None:
        links["older"] = f"{prefix}before={page.older}"
    return links


def parse_cursor(value: str | None) -> int | None:
    """A page cursor from the URL; anything but a positive integer means the first page."""
    if value and value.isdigit() and len(value) < 19:
        return int(value) or None
    return None
