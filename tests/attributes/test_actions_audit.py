"""Every action writes its intent before calling Graph, and its outcome after.

A Graph failure is injected into each action's own write request (after the intent
was recorded). The record must exist, with the whole intent, dated before the request
reached Graph, and end as failed with Graph's code. Reconciliation settles records a
dead process left pending, by re-reading Graph with the actor's own sign-in.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from attributes import audit, directory
from attributes.actions import definitions, sets
from attributes.actions.help_text import set_help_text
from attributes.audit import Actor, Target, append
from attributes.models import Action, AuditRecord, HelpText, Outcome, TargetType
from attributes.reconcile import reconcile_pending
from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from portal.graph import GraphClient, GraphError
from portal.http import http_session

pytestmark = pytest.mark.django_db(transaction=True)

ADA = next(a for a in demo.DEMO_ACCOUNTS if a.user_principal_name.startswith("ada"))
ACTOR = Actor(tenant_id=demo.TENANT_ID, object_id=ADA.object_id, upn=ADA.user_principal_name)


@pytest.fixture
def graph(emu: EmulatorProcess) -> GraphClient:
    token = emu.password_token(ADA.user_principal_name)
    # No retries: each injected failure is seen by the action at once.
    return GraphClient(
        session=http_session(),
        token_provider=lambda force_refresh=False: token,
        base_url=emu.graph_root,
        retry_budget=0,
    )


def _project(graph: GraphClient) -> directory.Definition:
    found = directory.get_definition(graph, "Engineering", "Project")
    assert found is not None
    return found


def _engineering(graph: GraphClient) -> directory.AttributeSet:
    return directory.get_set(graph, "Engineering")


ACTIONS: dict[str, tuple[str, str, Callable[[GraphClient], Any]]] = {
    "create_set": (
        "POST",
        r"/directory/attributeSets$",
        lambda g: sets.create_set(
            graph=g, actor=ACTOR, name="Research", description="d", max_attributes=None, reason="r"
        ),
    ),
    "update_set": (
        "PATCH",
        r"/directory/attributeSets/Engineering$",
        lambda g: sets.update_set(
            graph=g,
            actor=ACTOR,
            current=_engineering(g),
            seen=_engineering(g),
            description="new",
            max_attributes=30,
            reason="r",
        ),
    ),
    "create_definition": (
        "POST",
        r"/directory/customSecurityAttributeDefinitions$",
        lambda g: definitions.create_definition(
            graph=g,
            actor=ACTOR,
            attribute_set="Engineering",
            name="Region",
            description="",
            type_="String",
            is_collection=False,
            is_searchable=True,
            use_predefined_only=False,
            values=[],
            reason="r",
        ),
    ),
    "update_definition": (
        "PATCH",
        r"/customSecurityAttributeDefinitions/Engineering_Project$",
        lambda g: definitions.update_definition(
            graph=g,
            actor=ACTOR,
            current=_project(g),
            seen=_project(g),
            description="new",
            allow_other_values=True,
            reason="r",
        ),
    ),
    "deactivate_definition": (
        "PATCH",
        r"/customSecurityAttributeDefinitions/Engineering_Project$",
        lambda g: definitions.set_definition_status(
            graph=g, actor=ACTOR, current=_project(g), active=False, reason="r"
        ),
    ),
    "add_one_value": (
        "POST",
        r"/Engineering_Project/allowedValues$",
        lambda g: definitions.add_values(
            graph=g, actor=ACTOR, current=_project(g), values=["Everest"], reason="r"
        ),
    ),
    "add_values_by_delta": (
        "PATCH",
        r"/customSecurityAttributeDefinitions/Engineering_Project$",
        lambda g: definitions.add_values(
            graph=g, actor=ACTOR, current=_project(g), values=["Everest", "Fuji"], reason="r"
        ),
    ),
    "deactivate_value": (
        "PATCH",
        r"/customSecurityAttributeDefinitions/Engineering_Project$",
        lambda g: definitions.set_value_active(
            graph=g, actor=ACTOR, current=_project(g), value="Alpine", active=False, reason="r"
        ),
    ),
}


@pytest.mark.parametrize("name", list(ACTIONS))
def test_the_intent_is_recorded_before_graph_is_called(
    name: str, graph: GraphClient, emu: EmulatorProcess
) -> None:
    method, path, run = ACTIONS[name]
    emu.set_faults(rules=[{"method": method, "path": path, "status": 503, "count": 5}])
    with pytest.raises(GraphError):
        run(graph)
    record = AuditRecord.objects.get()
    assert record.outcome == Outcome.FAILED
    assert record.error_code
    assert record.actor_upn == ADA.user_principal_name
    assert record.reason == "r"
    assert record.after
    writes = [e for e in emu.requests_log() if e["method"] == method and e["status"] == 503]
    assert len(writes) == 1
    reached_graph = datetime.fromisoformat(writes[0]["time"])
    assert record.created_at <= reached_graph + timedelta(milliseconds=1)
    assert record.graph_request_id == writes[0]["request_id"]


@pytest.mark.parametrize("name", list(ACTIONS))
def test_a_lost_answer_is_settled_by_re_reading_graph(
    name: str, graph: GraphClient, emu: EmulatorProcess
) -> None:
    method, path, run = ACTIONS[name]
    # The change is applied, then the answer is lost: the action cannot know from the call.
    emu.set_faults(rules=[{"method": method, "path": path, "status": 504, "after": True}])
    with contextlib.suppress(GraphError):
        run(graph)
    assert AuditRecord.objects.get().outcome == Outcome.SUCCEEDED


@pytest.mark.parametrize("name", list(ACTIONS))
def test_a_write_whose_connection_dropped_is_read_again_not_sent_again(
    name: str, emu: EmulatorProcess
) -> None:
    # Found by the load run under faults: a PATCH applied and then dropped was sent again
    # (the client retries what it may), so Graph's write log held two writes for one change.
    token = emu.password_token(ADA.user_principal_name)
    graph = GraphClient(
        session=http_session(),
        token_provider=lambda force_refresh=False: token,
        base_url=emu.graph_root,
        retry_budget=5,
    )
    method, path, run = ACTIONS[name]
    since = emu.writes()[-1]["seq"] if emu.writes() else 0
    emu.set_faults(
        rules=[{"method": method, "path": path, "status": "drop", "after": True, "count": 1}]
    )
    with contextlib.suppress(GraphError):
        run(graph)
    record = AuditRecord.objects.get()
    assert record.outcome == Outcome.SUCCEEDED
    sent = [w for w in emu.writes(since) if w["method"] == method and re.search(path, w["path"])]
    assert len(sent) == 1, sent


@pytest.mark.parametrize("lost", ["drop", 504])
def test_a_create_found_after_a_lost_answer_records_the_posts_request_id_or_none(
    lost: int | str, graph: GraphClient, emu: EmulatorProcess
) -> None:
    # The POST is applied, then its answer is lost; the client re-reads and finds the set.
    emu.set_faults(
        rules=[
            {"method": "POST", "path": r"/directory/attributeSets$", "status": lost, "after": True}
        ]
    )
    sets.create_set(
        graph=graph, actor=ACTOR, name="Research", description="", max_attributes=None, reason=""
    )
    record = AuditRecord.objects.get()
    assert record.outcome == Outcome.SUCCEEDED
    calls = [e for e in emu.requests_log() if "/directory/attributeSets" in e["path"]]
    post = next(e for e in calls if e["method"] == "POST")
    reread = next(e for e in calls if e["method"] == "GET")
    assert record.graph_request_id != reread["request_id"]
    assert record.graph_request_id in {"", post.get("request_id") or ""}


def test_every_action_in_the_vocabulary_can_be_told_applied_or_not() -> None:
    assert [a for a in Action if a not in audit._applied_checks] == []


def test_help_text_records_its_intent_and_outcome() -> None:
    project = directory.Definition(
        id="Engineering_Project",
        attribute_set="Engineering",
        name="Project",
        type="String",
        is_collection=True,
        is_searchable=True,
    )
    set_help_text(actor=ACTOR, definition=project, text="Use the code", reason="r")
    record = AuditRecord.objects.get()
    help_text = HelpText.objects.get()
    assert (record.outcome, record.after) == (Outcome.SUCCEEDED, {"text": "Use the code"})
    assert record.created_at <= help_text.updated_at


# Reconciliation ----------------------------------------------------------------------


def _pending(action: Action, after: dict[str, Any]) -> AuditRecord:
    return append(
        actor=ACTOR,
        action=action,
        target=Target(TargetType.ATTRIBUTE_SET, "Engineering", "Engineering"),
        attribute_set="Engineering",
        attribute="",
        before=None,
        after=after,
        reason="",
        job_id="",
    )


# A dead process's records are at least this old; zero settles the ones just written.
NOW = timedelta(0)


def test_reconcile_marks_a_change_that_happened_as_succeeded(
    signed_in: Callable[[str], Client], graph: GraphClient
) -> None:
    signed_in(ADA.user_principal_name)
    record = _pending(Action.SET_UPDATED, {"description": "Reconciled", "maxAttributesPerSet": 25})
    graph.patch("/directory/attributeSets/Engineering", {"description": "Reconciled"})
    assert reconcile_pending(older_than=NOW)[Outcome.SUCCEEDED] == 1
    record.refresh_from_db()
    assert record.outcome == Outcome.SUCCEEDED
    assert record.error_code == "Reconciled"


def test_reconcile_marks_a_change_that_did_not_happen_as_failed(
    signed_in: Callable[[str], Client],
) -> None:
    signed_in(ADA.user_principal_name)
    record = _pending(Action.SET_UPDATED, {"description": "Never applied"})
    assert reconcile_pending(older_than=NOW)[Outcome.FAILED] == 1
    record.refresh_from_db()
    assert record.outcome == Outcome.FAILED


def test_reconcile_without_the_actors_sign_in_marks_unknown(emu: EmulatorProcess) -> None:
    record = _pending(Action.SET_UPDATED, {"description": "Who knows"})
    assert reconcile_pending(older_than=NOW)[Outcome.UNKNOWN] == 1
    record.refresh_from_db()
    assert record.outcome == Outcome.UNKNOWN
    assert "could not be re-read" in record.error_message


def test_reconcile_leaves_changes_still_in_flight_alone(emu: EmulatorProcess) -> None:
    record = _pending(Action.SET_UPDATED, {"description": "In flight"})
    assert sum(reconcile_pending().values()) == 0
    record.refresh_from_db()
    assert record.outcome == Outcome.PENDING
