"""CSV and JSON exports: complete, filtered and scoped like the list, streamed, and safe
to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.http import StreamingHttpResponse
from django.test import Client

from attributes.audit import verify_chain
from attributes.audit_review.export import EXPORT_CHUNK, EXPORT_FIELDS
from attributes.models import AuditRecord, Outcome
from tests.attributes.audit_people import AUDITOR, LEAD, NO_ROLES, T0, record, seed, sign_in

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def _body(response: StreamingHttpResponse) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode()  # type: ignore[arg-type]


def read_csv(response: StreamingHttpResponse) -> list[dict[str, str]]:
    text = _body(response)
    assert text.startswith("\ufeff"), "a BOM, so spreadsheets read UTF-8"
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def read_json(response: StreamingHttpResponse) -> list[dict[str, object]]:
    return json.loads(_body(response))


@pytest.fixture
def log() -> list[AuditRecord]:
    return seed(
        record(reason="first", before={"value": ["a", "b"]}, after={"value": ["b"]}),
        record(
            created_at=T0 + timedelta(hours=1),
            attribute_set="Marketing",
            attribute="Campaign",
            reason="second",
            outcome=Outcome.FAILED,
            error_code="Request_BadRequest",
        ),
        record(created_at=T0 + timedelta(hours=2), reason="third", job_id="job-9"),
    )


def test_the_csv_export_streams_every_field_of_every_record_oldest_first(
    client: Client, log: list[AuditRecord]
) -> None:
    response = sign_in(client, AUDITOR).get("/audit/export.csv")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="audit-log-20')
    assert disposition.endswith('.csv"')
    rows = read_csv(response)
    assert [row["reason"] for row in rows] == ["first", "second", "third"]
    first = rows[0]
    assert list(first) == list(EXPORT_FIELDS)
    assert first["seq"] == "1"
    assert first["created_at"] == "2026-03-01T09:00:00+00:00"
    assert first["completed_at"] == "2026-03-01T09:00:01+00:00"
    assert first["actor_upn"] == "ada.admin@contoso.example"
    assert first["actor_ip"] == "10.0.0.1"
    # before and after as compact JSON.
    assert first["before"] == '{"value":["a","b"]}'
    assert first["after"] == '{"value":["b"]}'
    assert first["entry_hash"] == log[0].entry_hash
    assert first["outcome_hash"] == log[0].outcome_hash
    assert rows[1]["error_code"] == "Request_BadRequest"


def test_the_json_export_is_a_streamed_array_with_every_field(
    client: Client, log: list[AuditRecord]
) -> None:
    response = sign_in(client, AUDITOR).get("/audit/export.json")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].endswith('.json"')
    items = read_json(response)
    assert [item["seq"] for item in items] == [1, 2, 3]
    assert set(items[0]) == set(EXPORT_FIELDS)
    assert items[0]["before"] == {"value": ["a", "b"]}
    assert items[0]["created_at"] == "2026-03-01T09:00:00+00:00"
    assert items[2]["job_id"] == "job-9"
    assert items[1]["outcome"] == "failed"


def test_an_empty_json_export_is_still_valid_json(client: Client) -> None:
    response = sign_in(client, AUDITOR).get("/audit/export.json")
    assert read_json(response) == []


def test_an_empty_csv_export_has_just_the_header(client: Client) -> None:
    response = sign_in(client, AUDITOR).get("/audit/export.csv")
    assert _body(response) == "\ufeff" + ",".join(EXPORT_FIELDS) + "\r\n"


def test_exports_apply_the_lists_filters(client: Client, log: list[AuditRecord]) -> None:
    client = sign_in(client, AUDITOR)
    assert [r["reason"] for r in read_csv(client.get("/audit/export.csv", {"job": "job-9"}))] == [
        "third"
    ]
    filtered = read_json(
        client.get("/audit/export.json", {"outcome": "failed", "set": "marketing"})
    )
    assert [item["reason"] for item in filtered] == ["second"]
    ranged = read_json(client.get("/audit/export.json", {"since": "2026-03-01T09:30"}))
    assert [item["reason"] for item in ranged] == ["second", "third"]


def test_exports_are_scoped_like_the_list(client: Client, log: list[AuditRecord]) -> None:
    client = sign_in(client, LEAD)
    assert [r["reason"] for r in read_csv(client.get("/audit/export.csv"))] == ["first", "third"]
    assert read_json(client.get("/audit/export.json", {"set": "Marketing"})) == []


def test_exports_refuse_bad_filters_with_the_message_at_the_field(
    client: Client, log: list[AuditRecord]
) -> None:
    response = sign_in(client, AUDITOR).get("/audit/export.csv", {"until": "31/03/2026"})
    assert response.status_code == 400
    assert not isinstance(response, StreamingHttpResponse)
    assert "“31/03/2026” is neither" in response.content.decode()


def test_exports_need_an_attribute_role(client: Client, log: list[AuditRecord]) -> None:
    client = sign_in(client, NO_ROLES)
    assert client.get("/audit/export.csv").status_code == 403
    assert client.get("/audit/export.json").status_code == 403


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_look_like_formulas_are_neutralised(client: Client, start: str) -> None:
    payload = f'{start}HYPERLINK("http://evil.example","x")'
    seed(
        record(
            reason=payload,
            target_name=payload,
            actor_name=payload,
            error_message=payload,
            after=-5 if start == "-" else {"v": payload},
        )
    )
    (row,) = read_csv(sign_in(client, AUDITOR).get("/audit/export.csv"))
    for field in ("reason", "target_name", "actor_name", "error_message"):
        assert row[field] == "'" + payload, field
    if start == "-":
        assert row["after"] == "'-5"
    # JSON keeps the exact value: it is data, not a spreadsheet.
    (item,) = read_json(client.get("/audit/export.json"))
    assert item["reason"] == payload


def test_safe_cells_are_left_alone(client: Client) -> None:
    seed(record(reason="a=b, c+d; -e @f", target_name="Ünïcødé 名前"))
    (row,) = read_csv(sign_in(client, AUDITOR).get("/audit/export.csv"))
    assert row["reason"] == "a=b, c+d; -e @f"
    assert row["target_name"] == "Ünïcødé 名前"


def test_hostile_strings_survive_the_export_exactly(client: Client) -> None:
    hostile = '<script>alert("x")</script>, "quoted"\nnew line \u202eevil'
    seed(record(reason=hostile, after={hostile: hostile}))
    client = sign_in(client, AUDITOR)
    (row,) = read_csv(client.get("/audit/export.csv"))
    assert row["reason"] == hostile
    assert json.loads(row["after"]) == {hostile: hostile}
    (item,) = read_json(client.get("/audit/export.json"))
    assert item["reason"] == hostile


def test_a_long_export_crosses_chunk_boundaries_without_losing_or_repeating_a_record(
    client: Client,
) -> None:
    # More than one chunk, with timestamps shared across the chunk boundary.
    total = EXPORT_CHUNK + 37
    seed(
        *(record(created_at=T0 + timedelta(seconds=n // 10), reason=f"r{n}") for n in range(total))
    )
    client = sign_in(client, AUDITOR)
    rows = read_csv(client.get("/audit/export.csv"))
    assert [int(r["seq"]) for r in rows] == list(range(1, total + 1))
    items = read_json(client.get("/audit/export.json"))
    assert [item["seq"] for item in items] == list(range(1, total + 1))
    assert verify_chain().ok
