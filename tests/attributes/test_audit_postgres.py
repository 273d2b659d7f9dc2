"""What only PostgreSQL can show: its trigger, and many concurrent writers on one chain."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from attributes.audit import Actor, Target, append, verify_chain
from attributes.models import Action, AuditRecord, Outcome, TargetType

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ACTOR = Actor(tenant_id="t1", object_id="o1", upn="ada@contoso.example")
TARGET = Target(TargetType.DEFINITION, "Engineering_Project", "Project")


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://..."


def _one() -> AuditRecord:
    return append(
        actor=ACTOR,
        action=Action.DEFINITION_UPDATED,
        target=TARGET,
        attribute_set="Engineering",
        attribute="Project",
        before={"description": "a"},
        after={"description": "b"},
        reason="",
        job_id="",
    )


def _execute(sql: str, params: list[object]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_trigger_refuses_to_change_a_record() -> None:
    record = _one()
    with pytest.raises(DatabaseError, match="append-only"):
        _execute("UPDATE attributes_auditrecord SET reason = %s WHERE seq = %s", ["x", record.seq])


def test_the_trigger_refuses_to_delete_a_record() -> None:
    record = _one()
    with pytest.raises(DatabaseError, match="cannot be deleted"):
        _execute("DELETE FROM attributes_auditrecord WHERE seq = %s", [record.seq])


def test_the_trigger_allows_the_outcome_once_and_never_again() -> None:
    record = _one()
    _execute(
        "UPDATE attributes_auditrecord SET outcome = %s, error_code = %s WHERE seq = %s",
        [Outcome.FAILED, "X", record.seq],
    )
    with pytest.raises(DatabaseError, match="append-only"):
        _execute(
            "UPDATE attributes_auditrecord SET outcome = %s WHERE seq = %s",
            [Outcome.SUCCEEDED, record.seq],
        )


def test_the_trigger_refuses_content_changes_smuggled_into_the_outcome_update() -> None:
    record = _one()
    with pytest.raises(DatabaseError, match="append-only"):
        _execute(
            "UPDATE attributes_auditrecord SET outcome = %s, after = %s WHERE seq = %s",
            [Outcome.SUCCEEDED, '{"description": "forged"}', record.seq],
        )


def test_eight_concurrent_writers_never_fork_the_chain() -> None:
    threads, per_thread = 8, 100
    errors: list[BaseException] = []
    start = threading.Barrier(threads)

    def writer() -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                _one()
        except BaseException as exc:  # collected and re-raised in the test thread
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=writer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    seqs = list(AuditRecord.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, threads * per_thread + 1))
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == threads * per_thread
