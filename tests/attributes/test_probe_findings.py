"""Regression tests for what the security probe found (issue 13), one group per finding.

Each test failed before its fix. The probe's other findings live next to the code they
are about: the access log (tests/portal/test_access_log.py), the error pages
(tests/portal/test_error_pages.py) and the audit seal (test_audit_chain.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from attributes.models import Action, AuditRecord, BulkJob, HelpText, Outcome
from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from portal.models import User
from tests.html import Html, Node, unisolated_bidi

pytestmark = pytest.mark.django_db(transaction=True)

GraphAs = Callable[..., Any]
PROJECT = "/sets/Engineering/attributes/Project/"
SET_TYPE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"
HR_AGENT = "93f19af5-a7bf-5a49-8ca1-509f7e6e3c65"  # HR Onboarding Agent


def _add_value(graph_as: GraphAs, value: str) -> None:
    response = graph_as(
        "POST",
        "/directory/customSecurityAttributeDefinitions/Engineering_Project/allowedValues",
        json={"id": value, "isActive": True},
    )
    assert response.status_code == 201, response.text


def _definition(graph_as: GraphAs) -> dict[str, Any]:
    return graph_as(
        "GET",
        "/directory/customSecurityAttributeDefinitions",
        params={"$filter": "id eq 'Engineering_Project'", "$expand": "allowedValues"},
    ).json()["value"][0]


def _toggle_form(page: Html, value: str) -> Node:
    # A browser reads a NUL in the markup as U+FFFD, so that is how the row is found.
    shown = value.replace("\x00", "\ufffd")
    (row,) = [r for r in page.by_test_id("value-row") if r.get("data-value") == shown]
    return row.one("form")


def _submit(client: Client, form: Node) -> Any:
    """Posts a form as a browser would: its action, and its fields' values."""
    data = {field.get("name"): field.get("value") or "" for field in form.css("input[name]")}
    return client.post(form.get("action"), data)


# A predefined value named ".." deactivated the whole attribute ---------------------------


@pytest.mark.parametrize("value", ["..", ".", "nul\x00inside", "two\nlines", "\u202eevil"])
def test_every_predefined_value_can_be_deactivated_and_nothing_else_changes(
    ada: Client, graph_as: GraphAs, value: str
) -> None:
    _add_value(graph_as, value)
    form = _toggle_form(Html(ada.get(PROJECT)), value)
    assert value not in (form.get("action") or "")
    response = _submit(ada, form)
    assert response.status_code == 302
    definition = _definition(graph_as)
    assert definition["status"] == "Available"
    states = {v["id"]: v["isActive"] for v in definition["allowedValues"]}
    assert states[value] is False
    assert states["Alpine"] is True
    record = AuditRecord.objects.get()
    assert (record.action, record.outcome) == (Action.VALUE_DEACTIVATED, Outcome.SUCCEEDED)
    assert record.after == {"value": value, "isActive": False}


@pytest.mark.parametrize("value", [".", ".."])
def test_values_that_a_url_cannot_carry_are_refused_at_the_field(ada: Client, value: str) -> None:
    response = ada.post(f"{PROJECT}values", {"values": value})
    errors = Html(response).field_errors("values", form="add")
    assert any("made only of dots" in error for error in errors), errors
    assert not AuditRecord.objects.exists()


def test_an_unknown_value_is_not_found_in_the_portal_not_in_graph(ada: Client) -> None:
    response = ada.post(f"{PROJECT}values/status", {"value": "Tm9wZQ", "active": "false"})
    assert response.status_code == 404
    assert "Microsoft Graph" not in Html(response).main().text()
    assert not AuditRecord.objects.exists()


def test_an_identifier_no_url_can_carry_is_refused_before_any_graph_call(
    ada: Client, emu: EmulatorProcess
) -> None:
    ada.get("/")
    before = len(emu.requests_log())
    response = ada.get("/sets/Bad%00Name/")
    assert response.status_code == 400
    assert "Microsoft Graph" not in Html(response).main().text()
    assert len(emu.requests_log()) == before


# A far-future date was an HTTP 500 ---------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/audit/", "/audit/export.csv", "/audit/export.json", "/audit/entra"]
)
@pytest.mark.parametrize("field", ["until", "since"])
def test_dates_beyond_what_can_be_stored_are_refused_at_the_field(
    ada: Client, url: str, field: str
) -> None:
    response = ada.get(url, {field: "9999-12-31"})
    assert response.status_code == 400
    errors = Html(response).field_errors(field)
    assert any("Enter a date from 1900-01-01 to 9998-12-31" in e for e in errors), errors


def test_the_last_accepted_day_still_works(ada: Client) -> None:
    assert ada.get("/audit/", {"until": "9998-12-31"}).status_code == 200


# A set named beyond Latin-1 was created, then its answer was lost ------------------------


@pytest.mark.parametrize("name", ["日本語", "Łódź", "𝔘"])  # noqa: RUF001 - beyond Latin-1 on purpose
def test_a_set_named_beyond_latin_1_is_created_with_graphs_own_answer(
    ada: Client, emu: EmulatorProcess, name: str
) -> None:
    response = ada.post("/sets/new", {"name": name, "description": "", "confirm": "yes"})
    assert response.status_code == 302
    posts = [
        e for e in emu.requests_log() if e["method"] == "POST" and "attributeSets" in e["path"]
    ]
    assert [p["status"] for p in posts] == [201]
    record = AuditRecord.objects.get()
    assert record.outcome == Outcome.SUCCEEDED
    # The POST's own answer arrived: its request-id, not a re-read's or none.
    assert record.graph_request_id == posts[0]["request_id"]


# With roles unreadable, the portal's own data was open to everyone ------------------------


@pytest.fixture
def roles_unreadable(emu: EmulatorProcess) -> None:
    emu.configure(self_role_read=False)


@pytest.mark.usefixtures("roles_unreadable")
@pytest.mark.parametrize("url", ["/audit/", "/audit/export.csv", "/audit/export.json"])
def test_unreadable_roles_do_not_open_the_portals_audit_log(
    signed_in: Callable[[str], Client], url: str
) -> None:
    # Lee's only role is scoped to a set, which /me/memberOf cannot show: no role is known.
    client = signed_in("lee.lead@contoso.example")
    response = client.get(url)
    assert response.status_code == 403
    assert "could not be read" in Html(response).main().text()


@pytest.mark.usefixtures("roles_unreadable")
def test_a_log_reader_seen_through_member_of_still_reads_the_log(
    signed_in: Callable[[str], Client],
) -> None:
    ava = signed_in("ava.auditor@contoso.example")
    assert ava.get("/audit/").status_code == 200
    assert ava.get("/audit/export.csv").status_code == 200


@pytest.mark.usefixtures("roles_unreadable")
@pytest.mark.parametrize("upn", ["rey.reader@contoso.example", "lee.lead@contoso.example"])
def test_unreadable_roles_do_not_let_anyone_change_help_text(
    signed_in: Callable[[str], Client], upn: str
) -> None:
    client = signed_in(upn)
    page = Html(client.get(PROJECT))
    assert not page.css('form[action$="/help"]')
    assert "could not be read" in page.one("#help").text()
    response = client.post(f"{PROJECT}help", {"text": "Changed by a reader"})
    assert response.status_code == 403
    assert not HelpText.objects.exists()
    assert not AuditRecord.objects.exists()


def _roles_unknown(client: Client) -> None:
    """As if neither roleAssignments nor memberOf could be read at sign-in."""
    session = client.session
    session["capabilities"] = {**session["capabilities"], "grants": [], "source": "unknown"}
    session.save()


def test_with_no_roles_known_a_read_only_log_roles_can_make_opens_the_log(
    signed_in: Callable[[str], Client], emu: EmulatorProcess
) -> None:
    ava = signed_in("ava.auditor@contoso.example")
    ava.get("/")
    _roles_unknown(ava)
    assert ava.get("/audit/").status_code == 200
    reads = [e for e in emu.requests_log() if "customSecurityAttributeAudits" in e["path"]]
    assert len(reads) == 1
    assert ava.get("/audit/").status_code == 200
    assert len([e for e in emu.requests_log() if "customSecurityAttributeAudits" in e["path"]]) == 1


def test_with_no_roles_known_and_that_read_refused_the_log_stays_closed(
    signed_in: Callable[[str], Client],
) -> None:
    lee = signed_in("lee.lead@contoso.example")
    lee.get("/")
    _roles_unknown(lee)
    response = lee.get("/audit/")
    assert response.status_code == 403
    assert "could not be read" in Html(response).main().text()


# Role changes were not seen until the session ended ---------------------------------------


def _roles_read(client: Client, minutes_ago: int) -> None:
    session = client.session
    caps = session["capabilities"]
    loaded = datetime.fromisoformat(caps["loaded_at"]) - timedelta(minutes=minutes_ago)
    session["capabilities"] = {**caps, "loaded_at": loaded.isoformat()}
    session.save()


def test_removed_roles_stop_opening_the_audit_log_within_minutes(
    ada: Client, graph_as: GraphAs
) -> None:
    assert ada.get("/audit/export.csv").status_code == 200
    ada_id = demo.ADA.object_id
    assignments = graph_as(
        "GET",
        "/roleManagement/directory/roleAssignments",
        upn="gil.global@contoso.example",
        params={"$filter": f"principalId eq '{ada_id}'"},
    ).json()["value"]
    for assignment in assignments:
        removed = graph_as(
            "DELETE",
            f"/roleManagement/directory/roleAssignments/{assignment['id']}",
            upn="gil.global@contoso.example",
        )
        assert removed.status_code == 204, removed.text
    # Within the cache's life the portal still goes by the roles it read...
    assert ada.get("/audit/export.csv").status_code == 200
    # ...and once they are older than that, it reads them again before serving anything.
    _roles_read(ada, minutes_ago=6)
    response = ada.get("/audit/export.csv")
    assert response.status_code == 403
    assert ada.get("/audit/").status_code == 403


def test_the_home_page_says_how_long_roles_are_kept(ada: Client) -> None:
    note = Html(ada.get("/")).by_test_id("roles-read-at")[0].text()
    assert "read again when more than 5 minutes old" in note


# Bidi override characters were shown raw ---------------------------------------------------

OVERRIDE = "Team \u202eretaeper\u202c end"


@pytest.fixture
def hostile_tenant(ada: Client, graph_as: GraphAs) -> None:
    """Bidi overrides wherever a value can come from: Graph, other tools, and people."""
    definitions = "/directory/customSecurityAttributeDefinitions"
    graph_as("PATCH", "/directory/attributeSets/Engineering", json={"description": OVERRIDE})
    graph_as("PATCH", f"{definitions}/Engineering_Project", json={"description": OVERRIDE})
    _add_value(graph_as, "\u202eZap")
    # The value held by a user and an agent, so that it shows on every page about objects.
    for path in (f"/users/{demo.REY.object_id}", f"/servicePrincipals/{HR_AGENT}"):
        held = {"Project@odata.type": "#Collection(String)", "Project": ["\u202eZap"]}
        body = {"customSecurityAttributes": {"Engineering": {"@odata.type": SET_TYPE, **held}}}
        assert graph_as("PATCH", path, json=body).status_code == 204
    # Written by another tool, or before the form refused them:
    HelpText.objects.create(
        definition_id="Engineering_Project", text=OVERRIDE, updated_by="\u202eother@tool"
    )
    User.objects.filter(user_principal_name=demo.ADA.user_principal_name).update(
        display_name="Ada \u202enimda"
    )
    ada.post(
        f"{PROJECT}edit", {"description": "x", "seen_description": OVERRIDE, "reason": OVERRIDE}
    )


@pytest.mark.usefixtures("hostile_tenant")
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/sets/",
        "/sets/Engineering/",
        "/sets/Engineering/edit",
        PROJECT,
        f"{PROJECT}status",
        "/audit/",
        "/audit/object/definition/Engineering_Project",
        "/audit/object/attributeSet/Engineering",
        f"/objects/user/{demo.REY.object_id}/",
        f"/objects/agentIdentity/{HR_AGENT}/",
        "/objects/?q=Rey",
        "/find/?a1=Engineering_Project&o1=startsWith&v1=%E2%80%AEZ&tab=all",
        "/find/?a1=Engineering_Project&o1=eq&v1=%E2%80%AEZap&tab=users&col=Engineering_Project",
        "/coverage/?required=Engineering_Project&required=Security_Clearance&tab=all",
        "/agents/?attribute=Engineering_Project",
        "/export/",
    ],
)
def test_text_from_graph_or_people_is_isolated_on_every_page(ada: Client, url: str) -> None:
    page = Html(ada.get(url))
    assert unisolated_bidi(page) == []


@pytest.mark.usefixtures("hostile_tenant")
def test_an_audit_records_page_isolates_what_it_shows(ada: Client) -> None:
    seq = AuditRecord.objects.latest("seq").seq
    assert unisolated_bidi(Html(ada.get(f"/audit/{seq}"))) == []


def test_help_text_refuses_bidi_overrides_at_the_field(ada: Client) -> None:
    response = ada.post(f"{PROJECT}help", {"text": OVERRIDE})
    errors = Html(response).field_errors("text", form="help")
    assert any("U+202E" in error for error in errors), errors
    assert not HelpText.objects.exists()


def test_an_unchanged_description_holding_an_override_can_be_saved(
    ada: Client, graph_as: GraphAs
) -> None:
    definitions = "/directory/customSecurityAttributeDefinitions"
    graph_as("PATCH", f"{definitions}/Engineering_Project", json={"description": OVERRIDE})
    page = Html(ada.get(PROJECT))
    # The invisible characters are shown, so that a person can find and remove them.
    assert "U+202E" in page.one("#field-edit_description").text()
    response = ada.post(
        f"{PROJECT}edit",
        {"description": OVERRIDE, "seen_description": OVERRIDE, "allow_other_values": "on"},
    )
    assert response.status_code == 302
    assert _definition(graph_as)["usePreDefinedValuesOnly"] is False


@pytest.mark.usefixtures("hostile_tenant")
def test_the_bulk_pages_isolate_what_they_show(ada: Client) -> None:
    targets = [f"users:{demo.REY.object_id}", f"servicePrincipals:{HR_AGENT}"]
    form = ada.get("/bulk/new", {"target": targets, "attribute": "Engineering_Project"})
    assert unisolated_bidi(Html(form)) == []
    ada.post(
        "/bulk/new",
        {"target": targets, "attribute": "Engineering_Project", "operation": "remove",
         "value": ["\u202eZap"], "reason": OVERRIDE},
    )  # fmt: skip
    job = BulkJob.objects.get()
    assert unisolated_bidi(Html(ada.get(f"/bulk/jobs/{job.id}/"))) == []
    assert unisolated_bidi(Html(ada.get("/bulk/"))) == []
