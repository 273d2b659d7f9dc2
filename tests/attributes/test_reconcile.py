"""audit_reconcile finds the actor's token cache directly, stays within its budget, and
settles everything a crashed process left when `make demo` and `make serve` start.

The work is counted in the emulator's request log (Graph and token endpoint alike), so a
regression to trying every session shows as calls, not as seconds.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from attributes.audit import Actor, Target, append
from attributes.models import Action, AuditRecord, Outcome, TargetType
from attributes.reconcile import MAX_SESSIONS_PER_ACTOR, reconcile_pending
from emulator.harness import EmulatorProcess
from emulator.tenant import demo

pytestmark = pytest.mark.django_db(transaction=True)

SignedIn = Callable[[str], Client]
ADA = next(a for a in demo.DEMO_ACCOUNTS if a.user_principal_name.startswith("ada"))
ACTOR = Actor(tenant_id=demo.TENANT_ID, object_id=ADA.object_id, upn=ADA.user_principal_name)
NOW = timedelta(0)
MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


def _pending(description: str = "Never applied") -> AuditRecord:
    return append(
        actor=ACTOR,
        action=Action.SET_UPDATED,
        target=Target(TargetType.ATTRIBUTE_SET, "Engineering", "Engineering"),
        attribute_set="Engineering",
        attribute="",
        before=None,
        after={"description": description},
        reason="",
        job_id="",
    )


def _calls_during(emu: EmulatorProcess, work: Callable[[], Any]) -> tuple[Any, list[str]]:
    """What `work` returned, and the emulator requests it caused as "kind path"."""
    log = emu.requests_log()
    since = log[-1]["seq"] if log else 0
    result = work()
    return result, [f"{e['kind']} {e['path']}" for e in emu.requests_log(since)]


def _outcomes() -> list[str]:
    return list(AuditRecord.objects.order_by("seq").values_list("outcome", flat=True))


def test_the_live_session_is_found_among_twenty_dead_ones_in_two_calls(
    emu: EmulatorProcess, signed_in: SignedIn
) -> None:
    for _ in range(20):
        signed_in(ADA.user_principal_name)
    emu.revoke_tokens(ADA.user_principal_name)
    signed_in(ADA.user_principal_name)
    _pending()
    tally, calls = _calls_during(emu, lambda: reconcile_pending(older_than=NOW))
    assert tally[Outcome.FAILED] == 1
    # The newest session answers with its cached token: one read of the set. Trying the
    # dead ones first cost a Graph call and a refused refresh each, 41 in all.
    assert len(calls) <= 2, calls


def test_dead_sessions_are_tried_once_per_run_and_only_a_few(
    emu: EmulatorProcess, signed_in: SignedIn
) -> None:
    for _ in range(6):
        signed_in(ADA.user_principal_name)
    emu.revoke_tokens(ADA.user_principal_name)
    _pending("first")
    _pending("second")
    tally, calls = _calls_during(emu, lambda: reconcile_pending(older_than=NOW))
    assert tally[Outcome.UNKNOWN] == 2
    # Each dead session costs its Graph call (401) and the refused refresh, and then
    # nothing more: not for the rest of this record, not for the next one.
    assert len(calls) == 2 * MAX_SESSIONS_PER_ACTOR, calls
    assert sum(c.startswith("token ") for c in calls) == MAX_SESSIONS_PER_ACTOR


READ_SET = {"method": "GET", "path": r"/directory/attributeSets/Engineering$"}


def test_a_graph_failure_is_not_retried_with_the_actors_other_sessions(
    emu: EmulatorProcess, signed_in: SignedIn
) -> None:
    signed_in(ADA.user_principal_name)
    signed_in(ADA.user_principal_name)
    _pending()
    emu.set_faults(rules=[{**READ_SET, "status": 503, "count": 5}])
    tally, calls = _calls_during(emu, lambda: reconcile_pending(older_than=NOW))
    # Graph's refusal is about the actor or Graph, not the session: one call decides.
    assert tally[Outcome.UNKNOWN] == 1
    assert calls == ["graph /directory/attributeSets/Engineering"]


def test_a_deadline_already_passed_settles_nothing_and_says_what_is_left(
    emu: EmulatorProcess, signed_in: SignedIn
) -> None:
    signed_in(ADA.user_principal_name)
    for n in range(3):
        _pending(f"change {n}")
    tally, calls = _calls_during(
        emu, lambda: reconcile_pending(older_than=NOW, budget=timedelta(0), clock=lambda: 100.0)
    )
    assert calls == []
    assert tally == {
        Outcome.SUCCEEDED: 0,
        Outcome.FAILED: 0,
        Outcome.UNKNOWN: 0,
        Outcome.PENDING: 3,
    }
    assert _outcomes() == [Outcome.PENDING] * 3


def test_a_generous_budget_settles_them_all(emu: EmulatorProcess, signed_in: SignedIn) -> None:
    signed_in(ADA.user_principal_name)
    for n in range(3):
        _pending(f"change {n}")
    tally = reconcile_pending(older_than=NOW, budget=timedelta(minutes=5))
    assert (tally[Outcome.FAILED], tally[Outcome.PENDING]) == (3, 0)
    assert _outcomes() == [Outcome.FAILED] * 3


def test_time_spent_on_one_record_counts_against_the_next(
    emu: EmulatorProcess, signed_in: SignedIn
) -> None:
    signed_in(ADA.user_principal_name)
    _pending("first")
    _pending("second")
    now = [0.0]

    def clock() -> float:
        return now[0]

    def slow_read(graph: Any, record: AuditRecord) -> bool | None:
        # As if each Graph read took 12 s: the first answer arrives after the 10 s budget
        # (and still counts), so the second record is left for the next run.
        if graph is not None:
            now[0] += 12.0
        return real_is_applied(graph, record)

    from attributes import reconcile

    real_is_applied = reconcile.is_applied
    with mock.patch.object(reconcile, "is_applied", slow_read):
        tally = reconcile_pending(older_than=NOW, budget=timedelta(seconds=10), clock=clock)
    assert (tally[Outcome.FAILED], tally[Outcome.PENDING]) == (1, 1)
    assert _outcomes() == [Outcome.FAILED, Outcome.PENDING]


def test_a_graph_failure_after_the_deadline_leaves_the_record_pending(
    emu: EmulatorProcess, signed_in: SignedIn
) -> None:
    signed_in(ADA.user_principal_name)
    _pending()
    emu.set_faults(rules=[{**READ_SET, "status": 503, "count": 5}])
    now = [0.0]

    def failing_late(graph: Any, record: AuditRecord) -> bool | None:
        # The read fails once the budget is spent: a later run, with time, may tell.
        if graph is not None:
            now[0] += 12.0
        return real_is_applied(graph, record)

    from attributes import reconcile

    real_is_applied = reconcile.is_applied
    with mock.patch.object(reconcile, "is_applied", failing_late):
        tally = reconcile_pending(
            older_than=NOW, budget=timedelta(seconds=10), clock=lambda: now[0]
        )
    assert (tally[Outcome.UNKNOWN], tally[Outcome.PENDING]) == (0, 1)
    assert _outcomes() == [Outcome.PENDING]


def test_the_command_reports_the_records_its_budget_left(
    emu: EmulatorProcess, signed_in: SignedIn
) -> None:
    signed_in(ADA.user_principal_name)
    _pending()
    _pending()
    out = StringIO()
    call_command("audit_reconcile", "--older-than", "0", "--budget-seconds", "0", stdout=out)
    assert "2 pending audit records were left for the next run" in out.getvalue()
    assert _outcomes() == [Outcome.PENDING] * 2


def _recipe(target: str) -> list[str]:
    """The shell commands of a Makefile target's recipe, continuation lines joined."""
    text = MAKEFILE.read_text()
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    assert match, f"no recipe for {target}"
    joined = re.sub(r"\\\n\s*", " ", match.group(1))
    return [part.strip() for part in joined.split(";") if part.strip()]


@pytest.mark.parametrize(("target", "server"), [("demo", "runserver"), ("serve", "gunicorn")])
def test_start_up_settles_a_record_pending_for_seconds(
    target: str, server: str, emu: EmulatorProcess, signed_in: SignedIn
) -> None:
    commands = _recipe(target)
    reconcile = next(i for i, c in enumerate(commands) if "manage.py audit_reconcile" in c)
    assert reconcile < next(i for i, c in enumerate(commands) if server in c)
    arguments = shlex.split(commands[reconcile].split("manage.py audit_reconcile", 1)[1])

    signed_in(ADA.user_principal_name)
    # Written by a process that crashed a few seconds before this start-up.
    with mock.patch.object(timezone, "now", return_value=timezone.now() - timedelta(seconds=5)):
        record = _pending()
    out = StringIO()
    call_command("audit_reconcile", *arguments, stdout=out)
    record.refresh_from_db()
    assert record.outcome == Outcome.FAILED, out.getvalue()
