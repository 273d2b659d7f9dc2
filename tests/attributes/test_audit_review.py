"""attributes.audit_review without the screens: times, diffs, cells, keysets, chunks,
Entra's filter and the linking of the two logs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from attributes import access, spreadsheet
from attributes.audit_review import entra, export, filters, paging, rows
from attributes.capabilities import Reach
from attributes.models import AuditRecord, TargetType
from portal.graph import GraphClient
from tests.attributes.audit_people import T0, USER_ID, record, seed

pytestmark = pytest.mark.smoke

# Times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start", "unit"),
    [
        ("2026-03-31", datetime(2026, 3, 31, tzinfo=UTC), timedelta(days=1)),
        ("2026-03-31T14:05", datetime(2026, 3, 31, 14, 5, tzinfo=UTC), timedelta(minutes=1)),
        (
            " 2026-03-31 14:05:09Z ",
            datetime(2026, 3, 31, 14, 5, 9, tzinfo=UTC),
            timedelta(seconds=1),
        ),
    ],
)
def test_moments_are_read_as_utc_with_their_precision(
    text: str, start: datetime, unit: timedelta
) -> None:
    moment = filters.parse_moment(text)
    assert moment == filters.Moment(start, unit)
    assert moment.end == start + unit


@pytest.mark.parametrize("text", ["", "yesterday", "31/03/2026", "2026-13-01", "2026-03-31T25:00"])
def test_anything_else_is_not_a_moment(text: str) -> None:
    assert filters.parse_moment(text) is None


# Cells --------------------------------------------------------------------------------


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_formula_starts_get_a_quote(start: str) -> None:
    assert spreadsheet.guard(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("text", ["", "1+1", "a=b", " =1", "\n=1"])
def test_other_cells_are_unchanged(text: str) -> None:
    assert spreadsheet.guard(text) == text


@pytest.mark.parametrize("text", ["", "plain", "=1+1", "'already", "''twice", "-5", "@x"])
def test_unguard_undoes_guard_exactly(text: str) -> None:
    # A leading quote is guarded too, so a file read back gives every value unchanged.
    assert spreadsheet.unguard(spreadsheet.guard(text)) == text


# Diffs --------------------------------------------------------------------------------


def test_a_diff_says_per_key_what_was_added_removed_changed_or_kept() -> None:
    entries = rows.diff(
        {"keep": 1, "drop": "x", "values": ["a", "b"], "nested": {"k": 1}},
        {"keep": 1, "add": True, "values": ["b", "c"], "nested": {"k": 2}},
    )
    assert [(e.key, e.change) for e in entries] == [
        ("add", "added"),
        ("drop", "removed"),
        ("keep", "same"),
        ("nested", "changed"),
        ("values", "changed"),
    ]
    by_key = {e.key: e for e in entries}
    assert by_key["add"].after == "true"
    assert by_key["drop"].before == '"x"'
    assert by_key["nested"].before == '{"k":1}'
    assert by_key["values"].items_added == ('"c"',)
    assert by_key["values"].items_removed == ('"a"',)


def test_a_diff_handles_missing_sides_and_plain_values() -> None:
    assert [(e.key, e.change) for e in rows.diff(None, {"a": 1})] == [("a", "added")]
    assert [(e.key, e.change) for e in rows.diff({"a": 1}, None)] == [("a", "removed")]
    assert rows.diff(None, None) == []
    (entry,) = rows.diff("old", "new")
    assert (entry.key, entry.change, entry.before, entry.after) == (
        "value",
        "changed",
        '"old"',
        '"new"',
    )


def test_invisible_characters_are_written_out_and_the_json_stays_valid() -> None:
    text = "invoice\u202egpj.exe\u200b"
    assert rows.reveal(text) == "invoice\\u202egpj.exe\\u200b"
    assert rows.has_hidden_characters(text)
    assert not rows.has_hidden_characters("Ünïcødé 名前\n")
    assert json.loads(rows.shown({"k": text})) == {"k": text}


# Keyset pages -------------------------------------------------------------------------


@pytest.mark.django_db
def test_pages_walk_older_and_back_newer_without_gaps() -> None:
    # Seven records per timestamp: the order falls back to seq within a timestamp.
    seed(*(record(created_at=T0 + timedelta(minutes=n // 7)) for n in range(23)))
    records = AuditRecord.objects.all()
    first = paging.keyset_page(records, size=10)
    assert [r.seq for r in first.records] == list(range(23, 13, -1))
    assert (first.newer, first.older) == (None, 14)
    second = paging.keyset_page(records, before=first.older, size=10)
    assert [r.seq for r in second.records] == list(range(13, 3, -1))
    assert (second.newer, second.older) == (13, 4)
    third = paging.keyset_page(records, before=second.older, size=10)
    assert [r.seq for r in third.records] == [3, 2, 1]
    assert (third.newer, third.older) == (3, None)
    back = paging.keyset_page(records, after=third.newer, size=10)
    assert [r.seq for r in back.records] == [r.seq for r in second.records]
    assert (back.newer, back.older) == (13, 4)
    top = paging.keyset_page(records, after=back.newer, size=10)
    assert [r.seq for r in top.records] == [r.seq for r in first.records]
    assert top.newer is None


@pytest.mark.django_db
def test_a_newer_page_past_the_newest_record_shows_the_newest_page() -> None:
    seed(*(record() for _ in range(3)))
    page = paging.keyset_page(AuditRecord.objects.all(), after=3, size=10)
    assert [r.seq for r in page.records] == [3, 2, 1]
    assert page.newer is None


@pytest.mark.parametrize(
    ("value", "cursor"),
    [("12", 12), ("0", None), ("-1", None), ("x", None), (None, None), ("9" * 30, None)],
)
def test_cursors_are_positive_integers_or_nothing(value: str | None, cursor: int | None) -> None:
    assert paging.parse_cursor(value) == cursor


def test_page_links_keep_the_query() -> None:
    page = paging.Page([], older=4, newer=13)
    assert paging.page_links("q=a+b&set=X", page) == {
        "newer": "?q=a+b&set=X&after=13",
        "older": "?q=a+b&set=X&before=4",
    }
    assert paging.page_links("", paging.Page([])) == {}


# Scope --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_scope_is_the_tenant_some_sets_or_nothing() -> None:
    seed(
        record(attribute_set="Engineering"),
        record(attribute_set="ENGINEERING"),
        record(attribute_set="Marketing"),
        record(attribute_set=""),
    )

    def seqs(reach: Reach) -> list[int]:
        return sorted(access.scoped(AuditRecord.objects.all(), reach).values_list("seq", flat=True))

    assert seqs(Reach(tenant=True)) == [1, 2, 3, 4]
    assert seqs(Reach(sets=frozenset({"engineering"}))) == [1, 2]
    assert seqs(Reach(sets=frozenset({"Engineering", "Marketing"}))) == [1, 2, 3]
    assert seqs(Reach()) == []


# Exports ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_rows_come_in_chunks_along_the_keyset() -> None:
    seed(*(record(created_at=T0 + timedelta(seconds=n // 4)) for n in range(17)))
    rows = list(export.export_rows(AuditRecord.objects.all(), chunk=3))
    assert [row[0] for row in rows] == list(range(1, 18))
    assert len(rows[0]) == len(export.EXPORT_FIELDS)


def test_export_filenames_are_dated() -> None:
    assert (
        export.export_filename("csv", today=datetime(2026, 3, 9).date())
        == "audit-log-2026-03-09.csv"
    )


# Entra's feed -------------------------------------------------------------------------


def test_the_entra_filter_passes_the_forms_values_through_as_odata() -> None:
    form = entra.EntraFilterForm(
        {
            "since": "2026-03-01",
            "until": "2026-03-02T10:30",
            "activity": "Update attribute values assigned to a user",
            "match": "eq",
            "initiator": "o'brien@",
            "top": "20",
        }
    )
    assert form.is_valid(), form.errors
    assert entra.entra_filter(form.cleaned_data) == (
        "activityDateTime ge 2026-03-01T00:00:00.000000Z"
        " and activityDateTime le 2026-03-02T10:30:59.999999Z"
        " and activityDisplayName eq 'Update attribute values assigned to a user'"
        " and startswith(initiatedBy/user/userPrincipalName, 'o''brien@')"
    )
    prefix = entra.EntraFilterForm({"activity": "Add"})
    assert prefix.is_valid()
    assert entra.entra_filter(prefix.cleaned_data) == "startswith(activityDisplayName, 'Add')"
    assert entra.entra_filter({}) == ""


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"top": "101"}, "top"),
        ({"top": "0"}, "top"),
        ({"match": "like"}, "match"),
        ({"since": "x"}, "since"),
    ],
)
def test_the_entra_form_refuses_what_graph_would(data: dict[str, str], field: str) -> None:
    form = entra.EntraFilterForm(data)
    assert not form.is_valid()
    assert field in form.errors


def test_only_links_back_into_the_feed_are_followed() -> None:
    graph = GraphClient(
        session=None, token_provider=lambda **_: "t", base_url="https://graph.example"
    )  # type: ignore[arg-type]
    feed = "https://graph.example/beta/auditLogs/customSecurityAttributeAudits?$skiptoken=x"
    assert entra.is_feed_link(feed, graph)
    assert not entra.is_feed_link(feed + "\r\nX-Injected: 1", graph)
    assert not entra.is_feed_link("https://graph.example/v1.0/users?$skiptoken=x", graph)
    assert not entra.is_feed_link(
        "https://graph.example.evil/beta/auditLogs/customSecurityAttributeAudits?x", graph
    )
    assert not entra.is_feed_link(
        "https://evil.example/beta/auditLogs/customSecurityAttributeAudits?x", graph
    )


def entra_item(
    *,
    at: str = "2026-03-01T09:00:30.1234567Z",
    target_id: str = USER_ID,
    prop: str = "Engineering_Project",
    **extra: Any,
) -> dict[str, Any]:
    """An entry shaped like graph-api.md §7's customSecurityAttributeAudit."""
    return {
        "id": f"Directory_{target_id}_{at}",
        "activityDateTime": at,
        "activityDisplayName": "Update attribute values assigned to a user",
        "operationType": "Update",
        "result": "success",
        "resultReason": "",
        "correlationId": "c-1",
        "initiatedBy": {
            "user": {"userPrincipalName": "ada.admin@contoso.example", "ipAddress": "10.0.0.1"},
            "app": None,
        },
        "targetResources": [
            {
                "id": target_id,
                "displayName": "Uma User",
                "type": "User",
                "userPrincipalName": "uma@contoso.example",
                "modifiedProperties": [
                    {"displayName": prop, "oldValue": '["Alpine"]', "newValue": '["Baltic"]'},
                    {
                        "displayName": "Included Updated Properties",
                        "oldValue": None,
                        "newValue": f'"{prop}"',
                    },
                ],
            }
        ],
        **extra,
    }


def test_an_entra_entry_is_read_with_its_changes_decoded() -> None:
    entry = entra.parse_entry(entra_item())
    assert entry.at == datetime(2026, 3, 1, 9, 0, 30, 123456, tzinfo=UTC)
    assert entry.initiated_by == "ada.admin@contoso.example"
    assert entry.ok
    (target,) = entry.targets
    assert target.changes == (entra.EntraChange("Engineering_Project", '["Alpine"]', '["Baltic"]'),)


def test_an_entra_entry_tolerates_missing_parts() -> None:
    entry = entra.parse_entry(
        {
            "id": "x",
            "activityDateTime": "not a time",
            "initiatedBy": {"app": {"displayName": "Sync"}},
        }
    )
    assert (entry.at, entry.initiated_by, entry.targets, entry.ok) == (None, "Sync", (), False)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("item", "linked"),
    [
        (entra_item(), True),
        (entra_item(prop="Project"), True),  # the attribute name alone
        (entra_item(prop="engineering_project"), True),
        (entra_item(at="2026-03-01T09:06:30Z"), True),  # near the outcome, not the intent
        (entra_item(at="2026-03-01T09:07:30Z"), False),
        (entra_item(at="2026-03-01T08:54:00Z"), False),
        (entra_item(prop="Engineering_CostCenter"), False),  # another attribute
        (entra_item(target_id="someone-else"), False),
    ],
)
def test_entra_entries_link_to_the_portal_record_of_the_same_change(
    item: dict[str, Any], linked: bool
) -> None:
    (change,) = seed(record(created_at=T0, completed_at=T0 + timedelta(minutes=2)))
    (entry,) = entra.link_to_portal([entra.parse_entry(item)])
    assert entry.portal_seq == (change.seq if linked else None)


@pytest.mark.django_db
def test_a_definition_change_links_by_its_id_and_the_closest_record_wins() -> None:
    far, near = seed(
        record(
            created_at=T0 - timedelta(minutes=4),
            target_type=TargetType.DEFINITION,
            target_id="Engineering_Project",
            attribute="Project",
        ),
        record(
            created_at=T0,
            target_type=TargetType.DEFINITION,
            target_id="Engineering_Project",
            attribute="Project",
        ),
    )
    item = entra_item(target_id="Engineering_Project", prop="description")
    (entry,) = entra.link_to_portal([entra.parse_entry(item)])
    assert entry.portal_seq == near.seq != far.seq
