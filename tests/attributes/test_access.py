"""Graph's refusals and outages reach people as clear pages, and roles fall back gracefully."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from emulator.harness import EmulatorProcess

pytestmark = pytest.mark.django_db


def test_a_graph_outage_is_a_retryable_page_not_a_traceback(
    ada: Client, emu: EmulatorProcess
) -> None:
    ada.get("/")
    emu.set_faults(rules=[{"path": "/directory/attributeSets", "status": 503, "count": 5}])
    response = ada.get("/sets/")
    html = response.content.decode()
    assert response.status_code == 503
    assert "Microsoft Graph is not answering" in html
    assert 'data-graph-code="' in html
    assert "request-id <code>" in html
    assert '<a class="btn" href="/sets/">Try again</a>' in html
    assert "Traceback" not in html


def test_an_outage_during_an_htmx_request_goes_to_the_alert_area(
    ada: Client, emu: EmulatorProcess
) -> None:
    ada.get("/")
    emu.set_faults(rules=[{"path": "/directory/attributeSets", "status": 503, "count": 5}])
    response = ada.get(
        "/sets/", {"q": "x"}, headers={"HX-Request": "true", "HX-Target": "set-rows"}
    )
    assert response.status_code == 503
    assert response["HX-Retarget"] == "#alerts"
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="alert alert-error"')
    assert "<html" not in html


def test_a_timeout_is_reported_the_same_way(ada: Client, emu: EmulatorProcess) -> None:
    ada.get("/")
    emu.set_faults(rules=[{"path": "/directory/attributeSets", "status": "drop", "count": 5}])
    response = ada.get("/sets/")
    assert response.status_code == 503
    assert "could not be reached or did not answer in time" in response.content.decode()


def test_when_roles_cannot_be_read_the_portal_falls_back_and_graph_decides(
    signed_in: Callable[[str], Client], emu: EmulatorProcess
) -> None:
    emu.configure(self_role_read=False)
    lee = signed_in("lee.lead@contoso.example")
    home = lee.get("/").content.decode()
    assert "Your role assignments could not be read" in home
    # Set-scoped roles are invisible that way, so the portal shows the set and Graph refuses.
    response = lee.get("/sets/Marketing/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "Attribute Definition Reader or Administrator" in html
    assert "Microsoft Graph said" in html
