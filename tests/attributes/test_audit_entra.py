"""Entra's own CSA audit feed beside the portal's log, against the emulator over HTTPS:
signed in through MSAL, changes made through Graph, the feed read with each person's
delegated token."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from attributes.access import SESSION_KEY
from attributes.audit import Actor, Target, append
from attributes.capabilities import LOG_READER, Capabilities, RoleGrant
from attributes.models import Action, AuditRecord, TargetType

pytestmark = pytest.mark.django_db(transaction=True)

VALUE_TYPE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"
ALAIN = "alain.dubois@contoso.example"
HTMX = {"HTTP_HX_REQUEST": "true"}


def entra_rows(html: str) -> list[str]:
    """Each feed row's text, tags stripped."""
    rows = re.findall(r'<tr data-testid="entra-row".*?</tr>', html, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def portal_links(html: str) -> list[int]:
    return [int(s) for s in re.findall(r'href="/audit/(\d+)" data-testid="portal-link"', html)]


@pytest.fixture
def ava(signed_in: Callable[[str], Client]) -> Client:
    """Attribute Log Reader and Attribute Assignment Reader (tenant)."""
    return signed_in("ava.auditor@contoso.example")


@pytest.fixture
def alain(graph_as: Callable[..., Any]) -> str:
    return graph_as("GET", f"/users/{ALAIN}").json()["id"]


def set_value(
    graph_as: Callable[..., Any], user: str, attribute: str, value: Any, **types: str
) -> None:
    body = {
        "customSecurityAttributes": {
            "Engineering": {"@odata.type": VALUE_TYPE, **types, attribute: value}
        }
    }
    response = graph_as("PATCH", f"/users/{user}", json=body)
    assert response.status_code == 204, response.text


def test_a_change_made_through_the_portal_is_linked_both_ways(ada: Client, ava: Client) -> None:
    created = ada.post(
        "/sets/new",
        {
            "name": "AuditTrail",
            "description": "For the audit test",
            "reason": "trail",
            "confirm": "yes",
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    record = AuditRecord.objects.get(action=Action.SET_CREATED, target_id="AuditTrail")

    feed = ava.get("/audit/entra")
    assert feed.status_code == 200
    html = feed.content.decode()
    rows = entra_rows(html)
    assert "Add an attribute set" in rows[0]
    assert "AuditTrail" in rows[0]
    assert "ada.admin@contoso.example" in rows[0]
    assert "success" in rows[0]
    # The seed's historical entries (made before the portal existed) are not linked.
    assert portal_links(html) == [record.seq]

    detail = ava.get(f"/audit/{record.seq}")
    assert f'hx-get="/audit/{record.seq}?entra=1"' in detail.content.decode()
    found = ava.get(f"/audit/{record.seq}", {"entra": "1"}, **HTMX)
    assert found.status_code == 200
    assert "<html" not in found.content.decode()  # the fragment only
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", found.content.decode())).split())
    assert "Seen in Entra's log: Add an attribute set" in text
    assert "by ada.admin@contoso.example" in text
    # Without JavaScript, the link gives the whole page with the answer in it.
    page = ava.get(f"/audit/{record.seq}", {"entra": "1"}).content.decode()
    assert "<html" in page
    assert "Seen in Entra" in page
    assert 'href="?entra=1"' not in page


def test_value_changes_link_by_target_attribute_and_time(
    ava: Client, graph_as: Callable[..., Any], alain: str
) -> None:
    # The portal recorded this change (as its actions do), and Graph made it.
    recorded = append(
        actor=Actor(tenant_id="t", object_id="o", upn="ada.admin@contoso.example"),
        action=Action.ASSIGNMENT_CHANGED,
        target=Target(TargetType.USER, alain, "Alain Dubois"),
        attribute_set="Engineering",
        attribute="ProjectDate",
        before=None,
        after={"value": "2030-01-01"},
        reason="",
        job_id="",
    )
    set_value(graph_as, alain, "ProjectDate", "2030-01-01")
    # This one was made outside the portal: same user, another attribute.
    set_value(graph_as, alain, "NumVendors", 3, **{"NumVendors@odata.type": "#Int32"})

    html = ava.get(
        "/audit/entra", {"activity": "Update attribute values assigned to a user", "match": "eq"}
    ).content.decode()
    outside, inside = entra_rows(html)[:2]
    assert "Engineering_NumVendors" in outside
    assert "made outside the portal" in outside
    assert "Engineering_ProjectDate" in inside
    assert '"2030-01-01"' in inside
    assert portal_links(html) == [recorded.seq]


def test_filters_are_passed_to_graph(ava: Client, graph_as: Callable[..., Any], alain: str) -> None:
    set_value(graph_as, alain, "ProjectDate", "2031-02-03")
    everything = entra_rows(ava.get("/audit/entra").content.decode())
    assert len(everything) > 1

    updates = ava.get(
        "/audit/entra", {"activity": "Update attribute values", "match": "startswith"}
    )
    html = updates.content.decode()
    assert "startswith(activityDisplayName, &#x27;Update attribute values&#x27;)" in html
    rows = entra_rows(html)
    assert len(rows) == 1
    assert "Engineering_ProjectDate" in rows[0]

    by_ava = entra_rows(ava.get("/audit/entra", {"initiator": "ava."}).content.decode())
    assert by_ava == []
    by_ada = entra_rows(ava.get("/audit/entra", {"initiator": "ada."}).content.decode())
    assert len(by_ada) == len(everything)

    history = entra_rows(
        ava.get("/audit/entra", {"since": "2026-01-05", "until": "2026-01-05"}).content.decode()
    )
    assert history
    assert all(row.startswith("2026-01-05") for row in history)
    assert entra_rows(ava.get("/audit/entra", {"since": "2099-01-01"}).content.decode()) == []


def test_paging_follows_graphs_next_link(ava: Client) -> None:
    first = ava.get("/audit/entra", {"top": "2", "activity": "Add"})
    html = first.content.decode()
    page_one = entra_rows(html)
    assert len(page_one) == 2
    link = re.search(r'data-testid="next-page" href="\?([^"]+)"', html)
    assert link, "a next-page link"
    query = unescape(link.group(1))
    assert "top=2" in query
    assert "activity=Add" in query
    second = ava.get(f"/audit/entra?{query}")
    assert second.status_code == 200
    page_two = entra_rows(second.content.decode())
    assert len(page_two) == 2
    assert not set(page_one) & set(page_two)
    assert 'href="?activity=Add&amp;top=2">First page</a>' in second.content.decode()


def test_a_next_link_to_anywhere_else_is_not_followed(ava: Client) -> None:
    elsewhere = "https://evil.example/beta/auditLogs/customSecurityAttributeAudits?$skiptoken=x"
    response = ava.get(f"/audit/entra?page={quote(elsewhere, safe='')}")
    assert response.status_code == 200
    assert "is not one of Entra's audit feed, so it was not followed" in unescape(
        response.content.decode()
    )
    assert entra_rows(response.content.decode())  # the first page instead


def test_bad_filters_are_refused_before_calling_graph(ava: Client) -> None:
    ava.get("/")  # reads Ava's roles once, as after any sign-in
    response = ava.get("/audit/entra", {"since": "last week", "top": "500"})
    assert response.status_code == 400
    assert response["X-Graph-Round-Trips"] == "0"
    html = unescape(response.content.decode())
    assert "“last week” is neither" in html
    assert "Ensure this value is less than or equal to 100." in html


def test_a_set_scoped_lead_sees_the_tab_disabled_with_the_reason(lee: Client) -> None:
    lee.get("/")  # reads Lee's roles once, as after any sign-in
    listing = lee.get("/audit/")
    assert listing.status_code == 200
    assert b'data-testid="entra-tab-disabled"' in listing.content
    refused = lee.get("/audit/entra")
    assert refused.status_code == 403
    assert b"Needs the Attribute Log Reader or Attribute Log Administrator role." in refused.content
    assert refused["X-Graph-Round-Trips"] == "0"


def test_graphs_refusal_names_the_role_that_is_needed(lee: Client) -> None:
    # The portal believes Lee is a log reader (say, roles changed since sign-in);
    # Graph, which enforces, refuses the feed.
    session = lee.session
    session[SESSION_KEY] = Capabilities(grants=(RoleGrant(LOG_READER, "/"),)).to_session()
    session.save()
    response = lee.get("/audit/entra")
    assert response.status_code == 403
    html = unescape(response.content.decode())
    assert "Microsoft Graph said" in html
    assert "Needs the Attribute Log Reader or Attribute Log Administrator role." in html
