"""Reviewing the audit log: filters, keyset pages, exports, diffs, and Entra's own feed.

The views in attributes/views/audit.py parse, call and render; the rules live here.

Order and paging. Every list is newest first by (created_at, seq) and pages with a
keyset: "Older" continues after the last record shown (`?before=<seq>`), "Newer"
before the first (`?after=<seq>`). The cursor is a seq; its created_at is looked up
by primary key. Each filter has an index ending in (created_at, seq) (migration
0003), so a page is one ordered index range scan, even with a time range, and never
an OFFSET. Exports walk the same keyset oldest first, 2,000 rows at a time.

Scope. People with Attribute Log Reader/Administrator or any tenant-wide attribute
role see every record; a person whose roles are scoped to attribute sets sees only
records of those sets (compared case-insensitively). `Capabilities.portal_log_read`
decides which.

Exports are streamed and guarded against formula injection: a CSV cell that starts
with =, +, -, @, a tab or a carriage return gets a leading single quote, so a
spreadsheet shows it as text instead of evaluating it.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast, Upper
from django.urls import NoReverseMatch, reverse

from attributes.capabilities import Reach
from attributes.forms import PortalForm
from attributes.models import Action, AuditRecord, Outcome, TargetType
from portal.graph import GraphClient, odata_string

PAGE_SIZE = 50
EXPORT_CHUNK = 2000
LINK_WINDOW = timedelta(minutes=5)
ENTRA_FEED = "/auditLogs/customSecurityAttributeAudits"
ENTRA_PAGE_MAX = 100
ENTRA_PAGE_DEFAULT = 50

# Every field, in the model's order: an export is a complete copy that audit tooling
# can re-verify (the hashes are included).
EXPORT_FIELDS = tuple(field.attname for field in AuditRecord._meta.concrete_fields)
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

SCHEMA_TYPES = [TargetType.ATTRIBUTE_SET.value, TargetType.DEFINITION.value]
_GUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")


# Scope --------------------------------------------------------------------------------


def visible_records(reach: Reach) -> QuerySet[AuditRecord]:
    """The records a person may read: all of them, or those of their attribute sets."""
    return scoped(AuditRecord.objects.all(), reach)


def scoped(records: QuerySet[AuditRecord], reach: Reach) -> QuerySet[AuditRecord]:
    if reach.tenant:
        return records
    if not reach.sets:
        return records.none()
    # UPPER() on both sides, matching the audit_set index.
    keys = sorted({name.upper() for name in reach.sets})
    return records.alias(set_key=Upper("attribute_set")).filter(set_key__in=keys)


def scope_refusal(reach: Reach, attribute_set: str) -> str:
    """Why a record of `attribute_set` is out of reach, naming the roles that would do."""
    if not attribute_set:
        return (
            f"This record is not about any attribute set, and your roles cover {reach.label}. "
            "Reading it needs Attribute Log Reader or Attribute Log Administrator, or an "
            "attribute role for the whole tenant."
        )
    return (
        f"This is about the attribute set {attribute_set}, and your roles cover {reach.label}. "
        "Reading it needs Attribute Log Reader or Attribute Log Administrator, or an attribute "
        f"role for the whole tenant or for {attribute_set}."
    )


# Filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    """A point in time typed by a person: a day, a minute or a second, in UTC."""

    start: datetime
    unit: timedelta

    @property
    def end(self) -> datetime:
        """The first instant after it: "to 2026-03-31" includes all of that day."""
        return self.start + self.unit


_MOMENT_FORMATS = (
    ("%Y-%m-%dT%H:%M:%S", timedelta(seconds=1)),
    ("%Y-%m-%dT%H:%M", timedelta(minutes=1)),
    ("%Y-%m-%d", timedelta(days=1)),
)


def parse_moment(text: str) -> Moment | None:
    """2026-03-31, 2026-03-31T14:05 or 2026-03-31 14:05:09 (a trailing Z is allowed)."""
    cleaned = text.strip().replace(" ", "T").removesuffix("Z").removesuffix("z")
    for pattern, unit in _MOMENT_FORMATS:
        try:
            parsed = datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        return Moment(parsed.replace(tzinfo=UTC), unit)
    return None


class MomentField(forms.Field):
    default_error_messages = {
        "invalid": "Enter a date like 2026-03-31, or a date and time like 2026-03-31T14:05 "
        "(UTC). “%(value)s” is neither.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "placeholder": "YYYY-MM-DD or YYYY-MM-DDTHH:MM",
                    "autocomplete": "off",
                    "maxlength": "40",
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Moment | None:
        text = str(value or "").strip()
        if not text:
            return None
        moment = parse_moment(text) if len(text) <= 40 else None
        if moment is None:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": text}
            )
        return moment


def _text(label: str, *, max_length: int, help_text: str = "", search: bool = False) -> Any:
    attrs = {"autocomplete": "off", "spellcheck": "false"}
    widget = forms.TextInput(attrs=attrs)
    if search:
        widget.input_type = "search"
    return forms.CharField(
        label=label, required=False, max_length=max_length, help_text=help_text, widget=widget
    )


def _choices(label: str, choices: Iterable[tuple[str, str]], anything: str) -> Any:
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=[("", anything), *choices],
        error_messages={
            "invalid_choice": f"“%(value)s” is not one of the {label.lower()}s the portal "
            "records. Choose one from the list."
        },
    )


def _check_range(form: forms.Form, data: dict[str, Any]) -> dict[str, Any]:
    since, until = data.get("since"), data.get("until")
    if since and until and until.end <= since.start:
        form.add_error("until", "“To” is before “From”: no record can be in that range.")
    return data


class AuditFilterForm(PortalForm):
    """The list's filters; they live in the URL, so every view of the log can be linked."""

    actor = _text("Actor", max_length=255, help_text="UPN or object id.")
    target = _text("Target", max_length=255, help_text="Object id or name.")
    set = _text("Attribute set", max_length=64)
    attribute = _text("Attribute", max_length=100, help_text="Name, or Set_Name.")
    action = _choices("Action", Action.choices, "Any action")
    outcome = _choices("Outcome", Outcome.choices, "Any outcome")
    since = MomentField(label="From (UTC)")
    until = MomentField(label="To (UTC)")
    job = _text("Bulk job id", max_length=64)
    q = _text("Reason contains", max_length=200, search=True)

    def clean(self) -> dict[str, Any]:
        return _check_range(self, super().clean())

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            actor=data["actor"],
            target=data["target"],
            attribute_set=data["set"],
            attribute=data["attribute"],
            action=data["action"],
            outcome=data["outcome"],
            since=data["since"].start if data["since"] else None,
            until=data["until"].end if data["until"] else None,
            job=data["job"],
            text=data["q"],
        )

    def query(self) -> str:
        """The filters as a query string (without the page cursor), for links."""
        if not self.is_bound:
            return ""
        pairs = [(name, self.data.get(name, "")) for name in self.fields]
        return urlencode([(name, value) for name, value in pairs if value])


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    target: str = ""
    attribute_set: str = ""
    attribute: str = ""
    action: str = ""
    outcome: str = ""
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    job: str = ""
    text: str = ""

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)

    def apply(self, records: QuerySet[AuditRecord]) -> QuerySet[AuditRecord]:
        q = Q()
        if self.actor:
            # A UPN always has an @; an object id never does. One indexed condition each.
            if "@" in self.actor:
                q &= Q(actor_upn__iexact=self.actor)
            else:
                q &= Q(actor_object_id=_id(self.actor))
        if self.target:
            q &= Q(target_id=_id(self.target)) | Q(target_name__iexact=self.target)
        attribute_set, attribute = self.attribute_set, self.attribute
        if "_" in attribute:
            # Set and attribute names cannot contain "_", so this is a definition id.
            prefix, _, attribute = attribute.partition("_")
            q &= Q(attribute_set__iexact=prefix)
        if attribute_set:
            q &= Q(attribute_set__iexact=attribute_set)
        if attribute:
            q &= Q(attribute__iexact=attribute)
        if self.action:
            q &= Q(action=self.action)
        if self.outcome:
            q &= Q(outcome=self.outcome)
        if self.since:
            q &= Q(created_at__gte=self.since)
        if self.until:
            q &= Q(created_at__lt=self.until)
        if self.job:
            q &= Q(job_id=self.job)
        if self.text:
            q &= Q(reason__icontains=self.text)
        return records.filter(q)


def _id(value: str) -> str:
    # Entra writes object ids in lower case; people paste them in any case.
    return value.lower() if _GUID.match(value) else value


def parse_cursor(value: str | None) -> int | None:
    """A page cursor from the URL; anything but a positive integer means the first page."""
    if value and value.isdigit() and len(value) < 19:
        return int(value) or None
    return None


# Keyset pages -------------------------------------------------------------------------


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


# Timelines ----------------------------------------------------------------------------


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


OUTCOME_BADGES = {
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


# Exports ------------------------------------------------------------------------------


def export_rows(
    records: QuerySet[AuditRecord], *, chunk: int = EXPORT_CHUNK
) -> Iterator[list[Any]]:
    """Every record as a list of EXPORT_FIELDS, oldest first, `chunk` rows per query.

    Memory stays flat whatever the size: one chunk of tuples is alive at a time, and
    each query starts where the previous one ended (keyset) instead of skipping rows.
    Times come as ISO 8601 text, `before` and `after` as compact JSON text (None for
    SQL NULL), ready for either format.
    """
    columns = [_JSON_TEXT.get(name, name) for name in EXPORT_FIELDS]
    query = records.annotate(
        **{alias: Cast(name, TextField()) for name, alias in _JSON_TEXT.items()}
    ).order_by(*OLDEST_FIRST)
    compact = _CompactJson()
    position: tuple[datetime, int] | None = None
    while True:
        page = query if position is None else newer_than(query, *position)
        batch = list(page.values_list(*columns)[:chunk])
        for row in batch:
            cells = list(row)
            for index in _TIMES:
                if cells[index] is not None:
                    # Aware datetimes in UTC (USE_TZ); isoformat keeps the offset.
                    cells[index] = cells[index].isoformat()
            cells[_BEFORE] = compact(cells[_BEFORE])
            cells[_AFTER] = compact(cells[_AFTER])
            yield cells
        if len(batch) < chunk:
            return
        last = batch[-1]
        position = (last[1], last[0])


# The JSON columns are read as the database's text, so rows skip the JSONField's decoding;
# the text becomes compact JSON through a small cache, since before/after values repeat.
_JSON_TEXT = {"before": "before_json", "after": "after_json"}
_BEFORE, _AFTER = (EXPORT_FIELDS.index(name) for name in ("before", "after"))
_TIMES = tuple(EXPORT_FIELDS.index(name) for name in ("created_at", "completed_at"))
_compact = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


class _CompactJson:
    """Database JSON text → compact JSON text, remembering up to `size` recent answers."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self.known: dict[str, str] = {}

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        answer = self.known.get(text)
        if answer is None:
            if len(self.known) >= self.size:
                self.known.clear()
            answer = self.known[text] = _compact(json.loads(text))
        return answer


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def guard_cell(text: str) -> str:
    """A CSV cell a spreadsheet will not evaluate: formula-like text gets a leading '."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


_TEXTS = tuple(
    index
    for index, name in enumerate(EXPORT_FIELDS)
    if name not in ("seq", "created_at", "completed_at")
)
_FORMULA_CHARS = frozenset(_FORMULA_STARTS)
_plain = json.JSONEncoder(ensure_ascii=False).encode


def csv_cells(cells: list[Any]) -> list[Any]:
    """An export row as CSV cells: formulas neutralised (in place, for speed)."""
    for index in _TEXTS:
        text = cells[index]
        if text and text[0] in _FORMULA_CHARS:
            cells[index] = "'" + text
    return cells


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_stream(records: QuerySet[AuditRecord], *, batch: int = 500) -> Iterator[str]:
    writer = csv.writer(_Echo())
    # The byte-order mark makes spreadsheet programs read the file as UTF-8.
    yield "\ufeff" + writer.writerow(EXPORT_FIELDS)
    lines: list[str] = []
    for row in export_rows(records):
        lines.append(writer.writerow(csv_cells(row)))
        if len(lines) >= batch:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


_PLAIN_FIELDS = tuple(name for name in EXPORT_FIELDS if name not in _JSON_TEXT)
_PLAIN_POSITIONS = tuple(EXPORT_FIELDS.index(name) for name in _PLAIN_FIELDS)


def _json_object(cells: list[Any]) -> str:
    # The JSON columns are already JSON text: spliced in, not encoded twice.
    head = _plain({name: cells[i] for name, i in zip(_PLAIN_FIELDS, _PLAIN_POSITIONS, strict=True)})
    before, after = cells[_BEFORE] or "null", cells[_AFTER] or "null"
    return f'{head[:-1]},"before":{before},"after":{after}}}'


def json_stream(records: QuerySet[AuditRecord], *, batch: int = 500) -> Iterator[str]:
    """A JSON array, one object per record, written as it is read (valid even if empty)."""
    yield "["
    separator = "\n"
    items: list[str] = []
    for row in export_rows(records):
        items.append(separator + _json_object(row))
        separator = ",\n"
        if len(items) >= batch:
            yield "".join(items)
            items = []
    items.append("\n]\n")
    yield "".join(items)


def export_filename(extension: str, *, today: date | None = None) -> str:
    return f"audit-log-{(today or datetime.now(UTC).date()).isoformat()}.{extension}"


# Entra's feed -------------------------------------------------------------------------


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
        return _check_range(self, super().clean())

    def query(self) -> str:
        if not self.is_bound:
            return ""
        pairs = [(name, self.data.get(name, "")) for name in self.fields]
        return urlencode([(name, value) for name, value in pairs if value])


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


# Retention (shown on the list page; the README carries the longer text) ----------------

RETENTION_NOTE = (
    "Records are kept until someone removes them from the database: the portal never "
    "deletes any. Exports (CSV or JSON, with every field and hash) are how records leave."
)
