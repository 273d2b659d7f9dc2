"""The portal's database becomes unavailable mid-request, then recovers: the person gets a
503 page in the portal's layout with the request id (never a traceback), nothing is
written to Graph without its audit intent, and the next request works again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
import requests
from django.db import connection
from django.test import Client

from attributes.models import AuditChainHead, AuditRecord
from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from tests.db_outage import database_unreachable
from tests.html import Html
from tests.portal.test_gunicorn import _sign_in

MESSAGE = "The portal's database is unavailable; try again in a moment"
REY = demo.REY.object_id
EDIT = f"/objects/user/{REY}/attributes/Engineering_ProjectDate/"


def _assert_unavailable_page(status: int, headers: Any, text: str) -> None:
    assert status == 503
    page = Html(text)
    assert page.by_role("link", "Attribute portal")  # the layout's brand link
    assert page.by_test_id("database-unavailable")
    assert page.one("h1").text() == MESSAGE
    assert page.by_test_id("request-id")[0].text() == headers["X-Request-ID"]
    assert headers["Retry-After"] == "5"
    assert "Traceback" not in text
    assert "OperationalError" not in text


@pytest.mark.django_db(transaction=True)
def test_a_signed_in_page_while_the_database_is_down_is_a_503_then_works_again(
    signed_in: Callable[[str], Client],
) -> None:
    ada = signed_in("ada.admin@contoso.example")
    ada.raise_request_exception = False
    with database_unreachable():
        # The session, read before the view runs, is the first thing that fails.
        response = ada.get("/sets/")
    _assert_unavailable_page(response.status_code, response, response.content.decode())
    assert ada.get("/sets/").status_code == 200


# PostgreSQL: the portal's own connection is terminated while the portal runs ------------


@pytest.fixture
def postgres() -> Iterator[psycopg.Connection[Any]]:
    """A second connection to the test database, as an administrator's would be."""
    assert connection.vendor == "postgresql", "run with DATABASE_URL=postgres://..."
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"],
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    ) as other:
        yield other


def _terminate_the_portals_connections(other: psycopg.Connection[Any]) -> int:
    """Ends every backend of the test database but this test's own two."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (mine,) = cursor.fetchone()
    ended = other.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid NOT IN (pg_backend_pid(), %s)",
        [mine],
    ).fetchone()
    assert ended is not None
    return int(ended[0])


@pytest.fixture
def browser(live_server: Any, emu: EmulatorProcess) -> Iterator[requests.Session]:
    """A person signed in to the live server (a real WSGI server: connections are checked
    and closed between requests as in production)."""
    with requests.Session() as session:
        session.trust_env = False
        _sign_in(session, live_server.url, "ada.admin@contoso.example")
        yield session


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_terminated_between_requests_goes_unnoticed(
    live_server: Any, browser: requests.Session, postgres: psycopg.Connection[Any]
) -> None:
    assert browser.get(f"{live_server.url}/sets/", timeout=30).status_code == 200
    assert _terminate_the_portals_connections(postgres) >= 1
    # CONN_HEALTH_CHECKS: the dead connection is found and replaced before it is used.
    assert browser.get(f"{live_server.url}/sets/", timeout=30).status_code == 200


def _backend_waiting_for_a_lock(other: psycopg.Connection[Any]) -> int:
    """The pid of the backend that waits for the row lock; polls until one does."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row = other.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        ).fetchone()
        if row is not None:
            return int(row[0])
        time.sleep(0.02)
    raise AssertionError("no request came to wait for the audit chain's head row")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_while_writing_the_intent_means_no_graph_write(
    live_server: Any,
    browser: requests.Session,
    postgres: psycopg.Connection[Any],
    emu: EmulatorProcess,
) -> None:
    AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "entry_hash": "0" * 64})
    page = Html(browser.get(f"{live_server.url}{EDIT}", timeout=30).text)
    (form,) = [f for f in page.css("form[method=post]") if f.css("#assign_seen")]
    fields = {str(f.get("name")): f.get("value") or "" for f in form.css("input[type=hidden]")}
    writes_before = emu.writes()
    since = writes_before[-1]["seq"] if writes_before else 0
    records_before = AuditRecord.objects.count()

    answer: dict[str, requests.Response] = {}

    def save() -> None:
        answer["response"] = browser.post(
            f"{live_server.url}{EDIT}",
            data={**fields, "value": "2031-05-05", "reason": "outage test"},
            headers={"Referer": f"{live_server.url}{EDIT}"},
            allow_redirects=False,
            timeout=60,
        )

    # An administrator's transaction holds the chain's head row: the save's intent waits
    # for it, and its connection is terminated while it waits.
    with postgres.transaction():
        postgres.execute("SELECT seq FROM attributes_auditchainhead WHERE id = 1 FOR UPDATE")
        saving = threading.Thread(target=save)
        saving.start()
        waiting = _backend_waiting_for_a_lock(postgres)
        postgres.execute("SELECT pg_terminate_backend(%s)", [waiting])
        saving.join(timeout=60)
    assert not saving.is_alive()

    response = answer["response"]
    _assert_unavailable_page(response.status_code, response.headers, response.text)
    assert emu.writes(since) == []  # no intent, no write
    assert AuditRecord.objects.count() == records_before
    # The next requests get a new connection, and the same save goes through.
    save()
    assert answer["response"].status_code == 302, answer["response"].text[:2000]
    assert [w["target_id"] for w in emu.writes(since)] == [REY]
    assert AuditRecord.objects.count() == records_before + 1
