"""The audit log's write path and hash chain, on the test database (SQLite or PostgreSQL)."""

from __future__ import annotations

import hashlib
import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from attributes import audit
from attributes.audit import (
    GENESIS_HASH,
    Actor,
    Target,
    append,
    record_change,
    verify_chain,
)
from attributes.models import Action, AppendOnlyError, AuditRecord, Outcome, TargetType
from portal.graph import BadRequest, GraphUnavailable

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.smoke]

ADA = Actor(tenant_id="t1", object_id="o-ada", upn="ada@contoso.example", name="Ada", ip="10.0.0.1")
SET = Target(TargetType.ATTRIBUTE_SET, "Engineering", "Engineering")


def _append(n: int = 1, **overrides: object) -> list[AuditRecord]:
    fields = {
        "actor": ADA,
        "action": Action.SET_UPDATED,
        "target": SET,
        "attribute_set": "Engineering",
        "attribute": "",
        "before": {"description": "old"},
        "after": {"description": "new"},
        "reason": "ticket 42",
        "job_id": "",
    }
    fields.update(overrides)
    return [append(**fields) for _ in range(n)]


def _raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_records_are_chained_from_genesis() -> None:
    first, second = _append(2)
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.entry_hash
    assert first.outcome == Outcome.PENDING
    report = verify_chain()
    assert report.ok
    assert report.checked == 2
    assert report.head_hash == second.entry_hash


def test_record_change_commits_the_intent_before_the_body_runs() -> None:
    seen_inside: list[AuditRecord] = []
    with record_change(actor=ADA, action=Action.SET_UPDATED, target=SET, after={"x": 1}):
        # Another connection would see it too: it is committed, not just flushed.
        seen_inside.extend(AuditRecord.objects.all())
    assert [r.outcome for r in seen_inside] == [Outcome.PENDING]
    record = AuditRecord.objects.get()
    assert record.outcome == Outcome.SUCCEEDED
    assert record.completed_at is not None
    assert verify_chain().ok


def test_a_graph_error_marks_the_record_failed_with_graphs_reason() -> None:
    error = BadRequest("Name already used", code="Request_BadRequest", request_id="rid-1")
    with (
        pytest.raises(BadRequest),
        record_change(actor=ADA, action=Action.SET_CREATED, target=SET, reason="new set"),
    ):
        raise error
    record = AuditRecord.objects.get()
    assert record.outcome == Outcome.FAILED
    assert record.error_code == "Request_BadRequest"
    assert record.error_message == "Name already used"
    assert record.graph_request_id == "rid-1"
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("applied", "expected"),
    [(True, Outcome.SUCCEEDED), (False, Outcome.FAILED), (None, Outcome.UNKNOWN)],
)
def test_an_uncertain_outcome_is_settled_by_re_reading(
    applied: bool | None, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The re-read a real action registers, answering as the parameter says.
    monkeypatch.setitem(audit._applied_checks, Action.SET_UPDATED, lambda graph, record: applied)
    with (
        pytest.raises(GraphUnavailable),
        record_change(actor=ADA, action=Action.SET_UPDATED, target=SET),
    ):
        raise GraphUnavailable("timed out", code="ReadTimeout")
    record = AuditRecord.objects.get()
    assert record.outcome == expected
    assert record.error_code == "ReadTimeout"


def test_record_change_refuses_to_run_inside_a_transaction() -> None:
    with (
        transaction.atomic(),
        pytest.raises(RuntimeError, match=r"outside transaction\.atomic"),
        record_change(actor=ADA, action=Action.SET_UPDATED, target=SET),
    ):
        pass
    assert AuditRecord.objects.count() == 0


def test_the_model_and_queryset_refuse_changes() -> None:
    (record,) = _append()
    record.reason = "rewritten"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.filter(seq=record.seq).update(reason="rewritten")
    with pytest.raises(AppendOnlyError):
        AuditRecord.objects.all().delete()


def test_an_outcome_is_written_only_once() -> None:
    (record,) = _append()
    assert AuditRecord.objects.finalize(record.seq, outcome=Outcome.FAILED) == 1
    assert AuditRecord.objects.finalize(record.seq, outcome=Outcome.SUCCEEDED) == 0
    assert AuditRecord.objects.get().outcome == Outcome.FAILED


def test_audit_verify_command_reports_success_and_the_head_hash() -> None:
    records = _append(3)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "intact: 3 records" in out.getvalue()
    assert records[-1].entry_hash in out.getvalue()


# Tampering, done the way an intruder with database access would: raw SQL. On
# PostgreSQL the trigger must be disabled first, which only the table owner can do.


def _tamper(sql: str, params: list[object]) -> None:
    if connection.vendor == "postgresql":
        _raw("ALTER TABLE attributes_auditrecord DISABLE TRIGGER attributes_audit_append_only", [])
    try:
        _raw(sql, params)
    finally:
        if connection.vendor == "postgresql":
            _raw(
                "ALTER TABLE attributes_auditrecord ENABLE TRIGGER attributes_audit_append_only",
                [],
            )


def test_verify_finds_a_row_edited_by_raw_sql() -> None:
    _append(5)
    _tamper("UPDATE attributes_auditrecord SET reason = %s WHERE seq = %s", ["nothing to see", 3])
    report = verify_chain()
    assert report.broken_seq == 3
    assert "content was changed" in report.problem
    assert report.checked == 2
    with pytest.raises(CommandError, match="broken at record #3"):
        call_command("audit_verify", stdout=StringIO())


def test_verify_finds_a_deleted_row() -> None:
    _append(4)
    _tamper("DELETE FROM attributes_auditrecord WHERE seq = %s", [2])
    report = verify_chain()
    assert report.broken_seq == 3
    assert "record #2 is missing" in report.problem


def test_verify_finds_records_removed_from_the_end() -> None:
    _append(4)
    _tamper("DELETE FROM attributes_auditrecord WHERE seq = %s", [4])
    report = verify_chain()
    assert report.broken_seq == 4
    assert "removed" in report.problem


def test_verify_finds_a_rewritten_outcome() -> None:
    with (
        pytest.raises(BadRequest),
        record_change(actor=ADA, action=Action.SET_UPDATED, target=SET),
    ):
        raise BadRequest("no", code="Request_BadRequest")
    _tamper("UPDATE attributes_auditrecord SET outcome = %s WHERE seq = %s", ["succeeded", 1])
    report = verify_chain()
    assert report.broken_seq == 1
    assert "outcome was changed" in report.problem


def _failed_record() -> AuditRecord:
    with (
        pytest.raises(BadRequest),
        record_change(actor=ADA, action=Action.SET_UPDATED, target=SET),
    ):
        raise BadRequest("no", code="Request_BadRequest")
    return AuditRecord.objects.get()


def _forged(record: AuditRecord, *, key: str | None) -> str:
    """A seal over a rewritten outcome, made by someone without the portal's audit key."""
    record.outcome, record.error_code, record.error_message = Outcome.SUCCEEDED, "", ""
    if key is None:  # the unkeyed formula outcomes used to be sealed with
        values = {f: audit._normalised(getattr(record, f)) for f in audit.OUTCOME_FIELDS}
        canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256((record.entry_hash + canonical).encode()).hexdigest()
    return audit.outcome_seal(record, key)


@pytest.mark.parametrize("forging_key", [None, "a-key-of-their-own-" + "x" * 32])
def test_an_outcome_rewritten_and_resealed_without_the_key_is_found(
    forging_key: str | None,
) -> None:
    record = _failed_record()
    seal = _forged(record, key=forging_key)
    # The database administrator copies the real key id: it is right there in the row.
    _tamper(
        "UPDATE attributes_auditrecord SET outcome = %s, error_code = '', error_message = '', "
        "outcome_hash = %s WHERE seq = %s",
        ["succeeded", seal, record.seq],
    )
    report = verify_chain()
    assert report.broken_seq == record.seq
    assert "outcome was changed" in report.problem


def test_a_rotated_key_still_verifies_the_outcomes_it_sealed(settings: Any) -> None:
    old = settings.PORTAL_AUDIT_KEY
    _failed_record()
    settings.PORTAL_AUDIT_KEY = "the-new-audit-key-" + "n" * 32
    settings.PORTAL_AUDIT_KEY_FALLBACKS = [old]
    assert verify_chain().ok
    settings.PORTAL_AUDIT_KEY_FALLBACKS = []
    report = verify_chain()
    assert not report.ok
    assert "PORTAL_AUDIT_KEY_FALLBACKS" in report.problem
