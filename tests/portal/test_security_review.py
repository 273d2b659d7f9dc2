"""Security review (issue 14), items 1 and 2: every route of the URLconf is in one table,
every POST is refused without a CSRF token and changes nothing, and every route but an
enumerated few is closed to anonymous visitors.

ROUTES is the table. A route added to the URLconf without a row here fails
`test_every_route_in_the_urlconf_is_in_the_table`, so a new route cannot arrive untested.
What each row claims (the methods it accepts, whether it is public) is itself checked
against the running portal.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from portal.models import PortalSession
from tests.conftest import sign_in

pytestmark = pytest.mark.django_db

GET = frozenset({"GET"})
POST = frozenset({"POST"})
BOTH = GET | POST
JOB = "<a dry run of ada's>"  # replaced by the id of the `job` fixture's draft
ENGINEERING = {"name": "Engineering"}
PROJECT = {"set_name": "Engineering", "name": "Project"}
REY = {"graph_type": "user", "object_id": demo.REY.object_id}
ASSIGNMENT = {**REY, "definition_id": "Engineering_Project"}


@dataclass(frozen=True)
class Route:
    """One named URL pattern: the methods its view accepts, and the kwargs to reverse it
    with demo data (several when one pattern serves several actions)."""

    methods: frozenset[str]
    kwargs: tuple[dict[str, Any], ...] = field(default=({},))
    public: bool = False
    # Only for a route another branch adds: checked when present, not required.
    optional: bool = False


ROUTES: dict[str, Route] = {
    # Public: health for load balancers, and the sign-in flow itself.
    "healthz": Route(GET, public=True),
    "readyz": Route(GET, public=True, optional=True),
    "auth:sign_in": Route(GET, public=True),
    "auth:start": Route(GET, public=True),
    "auth:callback": Route(GET, public=True),
    "auth:sign_out": Route(POST, public=True),
    "auth:signed_out": Route(GET, public=True),
    # Everything else needs a signed-in person.
    "attributes:home": Route(GET),
    "attributes:refresh_roles": Route(POST),
    "attributes:set_list": Route(GET),
    "attributes:set_create": Route(BOTH),
    "attributes:check_set_name": Route(GET),
    # Changes nothing (it checks a pasted list), but is a POST for the list's length.
    "attributes:check_values": Route(POST),
    "attributes:set_detail": Route(GET, (ENGINEERING,)),
    "attributes:set_edit": Route(BOTH, (ENGINEERING,)),
    "attributes:set_policy_edit": Route(POST, (ENGINEERING,)),
    "attributes:definition_create": Route(BOTH, ({"set_name": "Engineering"},)),
    "attributes:check_definition_name": Route(GET, ({"set_name": "Engineering"},)),
    "attributes:definition_detail": Route(GET, (PROJECT,)),
    "attributes:definition_edit": Route(POST, (PROJECT,)),
    "attributes:definition_status": Route(BOTH, (PROJECT,)),
    "attributes:values_add": Route(POST, (PROJECT,)),
    "attributes:value_status": Route(POST, (PROJECT,)),
    "attributes:value_usage": Route(GET, (PROJECT,)),
    "attributes:help_text_edit": Route(POST, (PROJECT,)),
    "attributes:object_search": Route(GET),
    "attributes:object_by_app_id": Route(GET, ({"app_id": demo.GRAPH_APP_ID},)),
    "attributes:object_detail": Route(GET, (REY,)),
    "attributes:assignment_pick": Route(GET, (REY,)),
    "attributes:assignment_edit": Route(BOTH, (ASSIGNMENT,)),
    "attributes:assignment_remove": Route(POST, (ASSIGNMENT,)),
    "attributes:find_by_value": Route(GET),
    "attributes:find_export": Route(GET, ({"extension": "csv"},)),
    "attributes:export_page": Route(GET),
    "attributes:export_all": Route(GET, ({"extension": "csv"},)),
    "attributes:export_set": Route(GET, ({**ENGINEERING, "extension": "csv"},)),
    "attributes:coverage_report": Route(GET),
    "attributes:coverage_export": Route(GET),
    "attributes:agent_board": Route(GET),
    "attributes:agent_move": Route(POST),
    "attributes:bulk_jobs": Route(GET),
    "attributes:bulk_new": Route(BOTH),
    "attributes:bulk_template": Route(GET),
    "attributes:bulk_upload": Route(BOTH),
    "attributes:bulk_job": Route(GET, ({"job_id": JOB},)),
    "attributes:bulk_report": Route(GET, ({"job_id": JOB},)),
    "attributes:bulk_job_action": Route(
        POST,
        tuple(
            {"job_id": JOB, "action": action}
            for action in ("apply", "discard", "pause", "resume", "cancel", "retry")
        ),
    ),
    "attributes:audit_list": Route(GET),
    "attributes:audit_export_csv": Route(GET),
    "attributes:audit_export_json": Route(GET),
    "attributes:entra_feed": Route(GET),
    "attributes:audit_detail": Route(GET, ({"seq": 1},)),
    "attributes:audit_timeline": Route(
        GET, ({"target_type": "user", "target_id": demo.REY.object_id},)
    ),
}


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, inner)
        else:
            assert isinstance(entry, URLPattern)
            yield f"{namespace}{entry.name}", entry


def urlconf_routes() -> dict[str, URLPattern]:
    """Every URL pattern the portal serves, by its namespaced name."""
    found: dict[str, URLPattern] = {}
    for name, pattern in _walk(get_resolver().url_patterns):
        assert pattern.name, f"{pattern.pattern} has no name, so no table row can name it"
        assert name not in found, f"two patterns are named {name}"
        found[name] = pattern
    return found


PRESENT = urlconf_routes()
TABLE = {name: route for name, route in ROUTES.items() if name in PRESENT}


def _cases(
    *, accepts: str = "", only: frozenset[str] | None = None, public: bool | None = None
) -> list[Any]:
    """Table rows as test parameters: those accepting a method, accepting only some, or
    public or not; one parameter per kwargs of a row."""
    return [
        pytest.param(
            name, kwargs, id="-".join([name, *([kwargs["action"]] if "action" in kwargs else [])])
        )
        for name, route in TABLE.items()
        for kwargs in route.kwargs
        if (not accepts or accepts in route.methods)
        and (only is None or route.methods == only)
        and (public is None or route.public == public)
    ]


def test_every_route_in_the_urlconf_is_in_the_table() -> None:
    missing = sorted(set(PRESENT) - set(ROUTES))
    assert not missing, f"routes without a row in ROUTES (add one, with its tests): {missing}"
    gone = sorted(name for name in set(ROUTES) - set(PRESENT) if not ROUTES[name].optional)
    assert not gone, f"rows in ROUTES for routes the URLconf no longer has: {gone}"


# State: what a refused request must leave as it was -------------------------------------


def _state() -> dict[str, list[dict[str, Any]]]:
    """Every row the portal keeps (sessions aside: they are the client's own), by model."""
    models = [
        model
        for label in ("portal", "attributes", "django_tasks_database")
        for model in apps.get_app_config(label).get_models()
        if model is not PortalSession
    ]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in models}


@pytest.fixture
def ada(emu: EmulatorProcess) -> Client:
    """Ada signed in through MSAL, in a client that enforces CSRF as a browser's server would,
    holding the CSRF cookie a page gives her."""
    client = sign_in(
        Client(HTTP_HOST="localhost", enforce_csrf_checks=True), emu, demo.ADA.user_principal_name
    )
    assert client.get("/").status_code == 200
    assert client.cookies["csrftoken"].value
    return client


def _with_token(client: Client) -> dict[str, str]:
    return {"X-CSRFToken": client.cookies["csrftoken"].value}


@pytest.fixture
def job(ada: Client, emu: EmulatorProcess) -> str:
    """A dry run of ada's (nothing written), made through the page with the token."""
    response = ada.post(
        "/bulk/new",
        {
            "target": [f"users:{demo.REY.object_id}"],
            "attribute": "Engineering_ProjectDate",
            "operation": "set",
            "value": "2027-07-31",
            "reason": "security review",
        },
        headers=_with_token(ada),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return urlsplit(response["Location"]).path.split("/")[3]


def _url(name: str, kwargs: dict[str, Any], job_id: str = "") -> str:
    return reverse(name, kwargs={k: job_id if v == JOB else v for k, v in kwargs.items()})


# 1. CSRF ------------------------------------------------------------------------------------


# With the token the request goes through and may change something: audit records are
# committed before Graph is called, which needs real transactions.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("name", "kwargs"), _cases(accepts="POST"))
def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(
    ada: Client, emu: EmulatorProcess, job: str, name: str, kwargs: dict[str, Any]
) -> None:
    url = _url(name, kwargs, job)
    before, since = _state(), emu.writes_page()["last_seq"]
    refused = ada.post(url, {"reason": "no token", "confirm": "yes"})
    assert refused.status_code == 403
    assert "CSRF verification failed" in refused.content.decode()
    assert _state() == before
    assert emu.writes(since) == []
    # A token from another session is no better than none.
    forged = ada.post(url, {"csrfmiddlewaretoken": "x" * 64}, headers={"X-CSRFToken": "y" * 32})
    assert forged.status_code == 403
    assert _state() == before
    assert emu.writes(since) == []
    # The refusal was the token's doing: with it, the same request gets past CSRF.
    passed = ada.post(url, {}, headers=_with_token(ada))
    assert "CSRF verification failed" not in passed.content.decode()
    assert passed.status_code != 405


@pytest.mark.parametrize(("name", "kwargs"), _cases(accepts="POST"))
def test_a_get_of_a_post_route_is_refused_or_only_reads(
    ada: Client, emu: EmulatorProcess, job: str, name: str, kwargs: dict[str, Any]
) -> None:
    route = TABLE[name]
    before, since = _state(), emu.writes_page()["last_seq"]
    response = ada.get(_url(name, kwargs, job), {"reason": "by GET", "confirm": "yes"})
    if route.methods == POST:
        assert response.status_code == 405
        assert response["Allow"] == "POST"
    else:
        # Its form (or, for a dry run without objects, why there is nothing to change).
        assert response.status_code in {200, 400}
    assert _state() == before
    assert emu.writes(since) == []


@pytest.mark.parametrize(("name", "kwargs"), _cases(only=GET))
def test_a_get_only_route_refuses_a_post_even_with_the_token(
    ada: Client, emu: EmulatorProcess, job: str, name: str, kwargs: dict[str, Any]
) -> None:
    before, since = _state(), emu.writes_page()["last_seq"]
    response = ada.post(_url(name, kwargs, job), {}, headers=_with_token(ada))
    assert response.status_code == 405
    assert _state() == before
    assert emu.writes(since) == []


def test_sign_out_without_the_token_leaves_the_person_signed_in(ada: Client) -> None:
    assert ada.post("/auth/sign-out").status_code == 403
    assert ada.get("/").status_code == 200
    assert ada.post("/auth/sign-out", headers=_with_token(ada)).status_code == 302
    assert ada.get("/").status_code == 302


# 2. Sign-in required ------------------------------------------------------------------------


def _is_sign_in_redirect(location: str) -> bool:
    return urlsplit(location).path in {reverse("auth:sign_in"), reverse("auth:start")}


@pytest.mark.parametrize(("name", "kwargs"), _cases(public=False))
def test_an_anonymous_visitor_is_sent_to_sign_in_and_shown_nothing(
    emu: EmulatorProcess, name: str, kwargs: dict[str, Any]
) -> None:
    url = _url(name, kwargs, "6f1c0c2e-7d0b-4a55-9d16-0c4d5b3f1a22")
    anonymous = Client(HTTP_HOST="localhost")
    before, requests_before = _state(), len(emu.requests_log())
    for method in sorted(TABLE[name].methods):
        page = anonymous.generic(method, url)
        assert page.status_code == 302, (method, page.status_code)
        assert _is_sign_in_redirect(page["Location"])
        assert page.content == b""
        fragment = anonymous.generic(method, url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert _is_sign_in_redirect(fragment["HX-Redirect"])
        assert fragment.content == b""
    assert _state() == before
    assert len(emu.requests_log()) == requests_before  # nothing was asked of Graph either


@pytest.mark.parametrize(("name", "kwargs"), _cases(public=True))
def test_the_public_routes_answer_without_sign_in(
    emu: EmulatorProcess, name: str, kwargs: dict[str, Any]
) -> None:
    anonymous = Client(HTTP_HOST="localhost")
    for method in sorted(TABLE[name].methods):
        response = anonymous.generic(method, _url(name, kwargs))
        assert response.status_code != 405
        location = response.get("Location", "")
        assert not location.startswith(reverse("auth:sign_in")), (name, location)


# Delegated tokens only ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the write's audit intent is committed first
def test_every_graph_call_is_made_as_the_signed_in_person(
    ada: Client, emu: EmulatorProcess
) -> None:
    grants_before = emu.state()["token_grants"]
    start = len(emu.requests_log())
    for path in ("/", "/sets/", "/sets/Engineering/", "/objects/?q=Ada", "/agents/", "/audit/"):
        assert ada.get(path).status_code == 200, path
    created = ada.post(
        "/sets/new",
        {"name": "Delegated", "description": "", "confirm": "yes"},
        headers=_with_token(ada),
    )
    assert created.status_code == 302
    calls = [entry for entry in emu.requests_log()[start:] if entry["kind"] == "graph"]
    assert {entry["method"] for entry in calls} >= {"GET", "POST"}
    assert {entry["upn"] for entry in calls} == {demo.ADA.user_principal_name}
    # No new grant at all: the person's token from sign-in served every call.
    assert emu.state()["token_grants"] == grants_before


# SECURITY.md ---------------------------------------------------------------------------------


def test_every_test_security_md_names_exists() -> None:
    """SECURITY.md backs each claim with a test name; a renamed or deleted test fails here."""
    root = Path(__file__).resolve().parents[2]
    text = (root / "SECURITY.md").read_text()
    files = {p.name: p.read_text() for p in (root / "tests").rglob("test_*.py")}
    cited_files = set(re.findall(r"(test_[a-z0-9_]+\.py)", text))
    assert cited_files - set(files) == set()
    for file_name, test_name in re.findall(r"(test_[a-z0-9_]+\.py)::(test_[a-z0-9_]+)", text):
        assert f"def {test_name}(" in files[file_name], f"{file_name}::{test_name}"
    everywhere = "\n".join(files.values())
    names = set(re.findall(r"`(test_[a-z0-9_]+)`", text))
    assert len(names) > 20
    missing = sorted(name for name in names if f"def {name}(" not in everywhere)
    assert missing == []
