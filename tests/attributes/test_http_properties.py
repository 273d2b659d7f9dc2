"""Every page that takes input, fed hostile input over HTTP as a signed-in person (issue 14).

The client does not re-raise the view's exceptions, so what is checked is what a browser
gets: never a server error, and a refusal that says what was wrong. Graph is the emulator,
reset once per test: a write an example makes (a description saved) stays for the next
ones, as it would in a tenant. Nothing here confirms a permanent change.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from attributes.models import BulkJob
from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from tests.hostile import hostile_text
from tests.html import Html

pytestmark = pytest.mark.django_db(transaction=True)

REY = demo.REY.object_id
HR_AGENT = "93f19af5-a7bf-5a49-8ca1-509f7e6e3c65"
PROJECT = "/sets/Engineering/attributes/Project/"
ATTRIBUTES = [
    "Engineering_Project",
    "Engineering_ProjectDate",
    "Engineering_NumVendors",
    "Engineering_Certification",
    "Marketing_Campaign",
    "Security_Clearance",
]
# Half the profile's examples (30 by default): each costs a request or two to the emulator.
HTTP = settings(max_examples=settings.default.max_examples // 2)


@pytest.fixture
def ada(signed_in: Callable[[str], Client]) -> Client:
    client = signed_in("ada.admin@contoso.example")
    client.raise_request_exception = False
    return client


def _some(*choices: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(choices), hostile_text())


@st.composite
def _fields(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[str]]) -> dict[str, Any]:
    """Some of the fields, each once or (for a list field) a few times."""
    data: dict[str, Any] = {}
    for name, strategy in fields.items():
        if draw(st.booleans()):
            values = draw(st.lists(strategy, min_size=1, max_size=3))
            data[name] = values if len(values) > 1 else values[0]
    return data


def _messages(page: Html) -> list[str]:
    """Messages on a form or in an alert, or an error page's explanation."""
    found = [n.text() for n in page.css("ul.errorlist li, [role=alert], .landing p")]
    return [text for text in found if text]


def _assert_answered(response: Any, *, refused_if_not: set[int]) -> None:
    """No server error; anything but the statuses of success comes with a message."""
    assert response.status_code < 500, response.content[:2000]
    if response.status_code in refused_if_not or response.status_code in {301, 302, 304}:
        return
    assert "text/html" in response["Content-Type"], response["Content-Type"]
    assert _messages(Html(response)), response.content[:2000]


def _assert_post_answered(response: Any) -> None:
    """A post either went through (a redirect) or the page says why not, or asks to confirm."""
    _assert_answered(response, refused_if_not=set())


# Pages that read their input from the address -----------------------------------------------

_FIND = {
    **{f"a{row}": _some(*ATTRIBUTES, "") for row in (1, 2)},
    **{f"o{row}": _some("eq", "ne", "startsWith") for row in (1, 2)},
    **{f"v{row}": _some("Alpine", "true", "7", "") for row in (1, 2)},
    "n1": _some("on"),
    "match": _some("all", "any"),
    "tab": _some("all", "users", "servicePrincipals", "agentIdentities"),
    "col": _some(*ATTRIBUTES),
}
GETS: dict[str, tuple[str, dict[str, st.SearchStrategy[str]]]] = {
    "set name check": ("/sets/check-name", {"name": hostile_text()}),
    "sets": ("/sets/", {"q": hostile_text()}),
    "set": ("/sets/Engineering/", {"status": _some("active", "deactivated", "all")}),
    "definition name check": (
        "/sets/Engineering/attributes/check-name",
        {"name": hostile_text()},
    ),
    "new definition": ("/sets/Engineering/attributes/new", {"type": _some("String", "Boolean")}),
    "usage": (f"{PROJECT}usage", {"value": _some("Alpine"), "tab": _some("users")}),
    "search": (
        "/objects/",
        {"q": _some("Rey", REY), "tab": _some("all", "users", "guests"), "page": hostile_text()},
    ),
    "pick": (f"/objects/user/{REY}/assign", {"attribute": _some(*ATTRIBUTES)}),
    "find": ("/find/", {**_FIND, "page": hostile_text()}),
    "find export": ("/find/export.csv", _FIND),
    "coverage": (
        "/coverage/",
        {"required": _some(*ATTRIBUTES), "tab": _some("all", "agentIdentities")},
    ),
    "board": (
        "/agents/",
        {
            "attribute": _some("AgentAttributes_Status", *ATTRIBUTES),
            "status": _some("none", "Active"),
            "blueprint": hostile_text(),
        },
    ),
    "audit": (
        "/audit/",
        {
            name: hostile_text()
            for name in ("actor", "target", "set", "attribute", "job", "q", "before", "after")
        }
        | {
            "action": _some("value_assigned", ""),
            "since": _some("2026-01-01", "9999-12-31", "0001-01-01"),
            "until": _some("2026-01-01T10:00", "2026-13-01"),
        },
    ),
    "audit export": ("/audit/export.csv", {"actor": hostile_text(), "since": hostile_text()}),
    "entra": (
        "/audit/entra",
        {
            "activity": hostile_text(),
            "initiator": hostile_text(),
            "match": _some("eq", "startswith"),
            "top": _some("1", "100", "101", "-1", "1e9"),
            "page": hostile_text(),
            "since": hostile_text(),
        },
    ),
    "bulk new": (
        "/bulk/new",
        {
            "target": _some(f"users:{REY}", f"servicePrincipals:{HR_AGENT}", "users:x"),
            "attribute": _some(*ATTRIBUTES),
            "from": _some("find", "search"),
            "query": hostile_text(),
        },
    ),
    "bulk template": (
        "/bulk/template.csv",
        {"target": _some(f"users:{REY}"), "attribute": _some(*ATTRIBUTES)},
    ),
}


@HTTP
@given(
    data=_fields(
        {"values": hostile_text(), "type": _some("String", "Integer"), "existing": hostile_text()}
    )
)
def test_the_live_values_check_answers_any_list(ada: Client, data: dict[str, Any]) -> None:
    """It gives feedback as a person types (a fragment): counts, or what is wrong."""
    response = ada.post("/sets/check-values", data)
    assert response.status_code == 200, response.content[:2000]
    assert Html(response).by_test_id("values-count")


@pytest.mark.parametrize("name", GETS)
@HTTP
@given(data=st.data())
def test_every_page_answers_hostile_query_strings(
    ada: Client, name: str, data: st.DataObject
) -> None:
    path, fields = GETS[name]
    response = ada.get(path, data.draw(_fields(fields), label="query"))
    _assert_answered(response, refused_if_not={200})


@HTTP
@given(
    job_query=_fields({"state": hostile_text(), "after": _some("1", "-5", "9" * 30, "1e3")}),
)
def test_a_bulk_jobs_page_answers_any_filter(ada: Client, job_query: dict[str, Any]) -> None:
    if not BulkJob.objects.exists():
        ada.post("/bulk/new", {"target": f"users:{REY}", "attribute": "Engineering_ProjectDate",
                               "operation": "set", "value": "x"})  # fmt: skip
    job = BulkJob.objects.get()
    response = ada.get(f"/bulk/jobs/{job.id}/", job_query)
    _assert_answered(response, refused_if_not={200})


_SEGMENTS = hostile_text(max_size=40).filter(lambda t: t not in {"", ".", ".."})


@HTTP
@given(
    template=st.sampled_from(
        [
            "/sets/{}/",
            "/sets/{}/edit",
            "/sets/Engineering/attributes/{}/",
            "/sets/{}/attributes/Project/usage",
            "/objects/user/{}/",
            "/objects/{}/" + REY + "/",
            f"/objects/user/{REY}/attributes/{{}}/",
            "/audit/object/user/{}",
            "/audit/object/{}/x",
            "/export/sets/{}.csv",
            "/find/export.{}",
        ]
    ),
    text=_SEGMENTS,
)
def test_every_address_answers_hostile_path_segments(ada: Client, template: str, text: str) -> None:
    response = ada.get(template.format(quote(text, safe="")))
    _assert_answered(response, refused_if_not={200})


# Forms that post ---------------------------------------------------------------------------

_REASON = {"reason": hostile_text()}
POSTS: dict[str, tuple[str, dict[str, st.SearchStrategy[str]]]] = {
    "set create": (
        "/sets/new",
        {"name": hostile_text(), "description": hostile_text(), "max_attributes": _some("5")}
        | _REASON,
    ),
    "set edit": (
        "/sets/Engineering/edit",
        {
            "description": hostile_text(),
            "max_attributes": _some("25", "0", "501", "x"),
            "seen_description": _some("Attributes for engineering team"),
            "seen_max_attributes": _some("25", "1.5"),
        }
        | _REASON,
    ),
    "set policy": ("/sets/Engineering/policy", {"require_reason": _some("on")} | _REASON),
    "definition create": (
        "/sets/Engineering/attributes/new",
        {
            "name": hostile_text(),
            "description": hostile_text(),
            "type": _some("String", "Integer", "Boolean"),
            "is_collection": _some("on"),
            "use_predefined_only": _some("on"),
            "values": hostile_text(),
        }
        | _REASON,
    ),
    "definition edit": (
        f"{PROJECT}edit",
        {"description": hostile_text(), "seen_description": hostile_text()} | _REASON,
    ),
    "definition status": (f"{PROJECT}status", {"confirm": _some("edit")} | _REASON),
    "values add": (f"{PROJECT}values", {"values": hostile_text()} | _REASON),
    "value status": (
        f"{PROJECT}values/status",
        {"value": _some("QWxwaW5l", "Li4"), "active": _some("on", "")} | _REASON,
    ),
    "help text": (f"{PROJECT}help", {"text": hostile_text()} | _REASON),
    "assign text": (
        f"/objects/user/{REY}/attributes/Engineering_ProjectDate/",
        {"value": hostile_text(), "seen": _some("null", '"x"')} | _REASON,
    ),
    "assign list": (
        f"/objects/user/{REY}/attributes/Engineering_Project/",
        {"value": _some("Alpine", "Denali"), "seen": _some("null", "[]")} | _REASON,
    ),
    "assign integer": (
        f"/objects/user/{REY}/attributes/Engineering_NumVendors/",
        {"value": _some("7", "-0", "99999999999"), "seen": _some("null")} | _REASON,
    ),
    "remove": (
        f"/objects/user/{REY}/attributes/Engineering_Project/remove",
        {"seen": _some("null", '["Alpine"]')} | _REASON,
    ),
    "agent move": (
        "/agents/move",
        {
            "agent": _some(HR_AGENT),
            "status_attribute": _some("AgentAttributes_Status"),
            "from_status": _some("none", "Active"),
            "to_status": _some("Active", "Retired"),
            "seen": _some("null"),
            "back": hostile_text(),
        }
        | _REASON,
    ),
    "bulk new": (
        "/bulk/new",
        {
            "target": _some(f"users:{REY}", f"servicePrincipals:{HR_AGENT}"),
            "attribute": _some(*ATTRIBUTES),
            "operation": _some("set", "add", "remove", "clear"),
            "value": _some("Alpine", "x"),
        }
        | _REASON,
    ),
}


@pytest.mark.parametrize("name", POSTS)
@HTTP
@given(data=st.data())
def test_every_form_answers_hostile_posts(ada: Client, name: str, data: st.DataObject) -> None:
    path, fields = POSTS[name]
    response = ada.post(path, data.draw(_fields(fields), label="posted"))
    _assert_post_answered(response)


@HTTP
@given(
    content=st.one_of(
        st.binary(max_size=500),
        hostile_text(max_size=300).map(
            lambda t: f"objectId,Engineering/ProjectDate\n{REY},{t}\n".encode()
        ),
    ),
    # The test client itself refuses to send a file named "..".
    filename=hostile_text(max_size=60).filter(
        lambda t: t.replace("\\", "/").rsplit("/", 1)[-1] not in {"", ".", ".."}
    ),
    reason=hostile_text(),
)
def test_the_upload_answers_any_file(
    ada: Client, content: bytes, filename: str, reason: str
) -> None:
    upload = SimpleUploadedFile(filename, content, content_type="text/csv")
    response = ada.post("/bulk/upload", {"file": upload, "reason": reason})
    _assert_post_answered(response)


def test_a_bulk_job_id_that_is_no_job_is_a_404(ada: Client, emu: EmulatorProcess) -> None:
    response = ada.get(f"/bulk/jobs/{uuid.uuid4()}/")
    assert response.status_code == 404
    assert _messages(Html(response))


# What the properties found, pinned -------------------------------------------------------


def test_an_export_of_no_query_says_what_to_choose(ada: Client) -> None:
    response = ada.get("/find/export.csv")
    assert response.status_code == 400
    assert "Choose at least one attribute" in " ".join(_messages(Html(response)))


@pytest.mark.parametrize(
    ("path", "posted"),
    [
        ("/sets/Engineering/edit", {"description": "x", "seen_max_attributes": "1.5"}),
        (f"{PROJECT}edit", {"description": "x", "seen_description": "nul\x00"}),
        (f"/objects/user/{REY}/attributes/Engineering_Project/remove", {"seen": "{"}),
    ],
)
def test_a_tampered_hidden_field_is_refused_with_a_message(
    ada: Client, path: str, posted: dict[str, str]
) -> None:
    """A hidden field cannot show its error; the form says it instead."""
    response = ada.post(path, posted)
    assert response.status_code == 200
    messages = " ".join(Html(response).form_errors())
    assert "reload the page" in messages, response.content.decode()[:3000]


@pytest.mark.parametrize("attribute", ["/_", "Engineering_a/b", "x_/"])
def test_picking_an_attribute_id_holding_a_slash_is_a_404(ada: Client, attribute: str) -> None:
    """It was a 500: the assignment page's address cannot hold the "/"."""
    response = ada.get(f"/objects/user/{REY}/assign", {"attribute": attribute})
    assert response.status_code == 404
    assert "Choose an attribute to assign." in " ".join(_messages(Html(response)))


@HTTP
@given(value=hostile_text(max_size=64).filter(lambda t: t.strip() and "\x00" not in t))
def test_a_searchs_own_links_carry_any_value_exactly(ada: Client, value: str) -> None:
    """The bookmark and export links of a search hold the value encoded, never cut short."""
    query = {"a1": "Engineering_ProjectDate", "o1": "startsWith", "v1": value, "tab": "users"}
    page = Html(ada.get("/find/", query))
    links = [page.by_test_id(name) for name in ("bookmark", "export-csv", "export-json")]
    if not all(links):
        # Refused (e.g. a control character): the page said why.
        assert page.field_errors("v1", form="find"), page.source[:2000]
        return
    for (link,) in links:
        href = urlsplit(link.get("href") or "")
        assert parse_qs(href.query, keep_blank_values=True)["v1"] == [value]
        assert href.fragment == ""
