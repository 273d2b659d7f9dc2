"""With DEBUG off, a failure of the portal and a bad request get pages in the portal's
layout that give the request id, never Django's bare text or a traceback."""

from __future__ import annotations

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

from tests.html import Html


@login_not_required
def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


urlpatterns = [
    path("test-only/fails", _fails),
    path("", include("portal.urls")),
]
handler400 = "portal.views.bad_request"
handler500 = "portal.views.server_error"


@pytest.fixture
def client_of_failing_site(db: None) -> Client:
    client = Client(raise_request_exception=False)
    return client


@override_settings(ROOT_URLCONF=__name__, DEBUG=False)
def test_a_failure_shows_the_layout_and_the_request_id(client_of_failing_site: Client) -> None:
    response = client_of_failing_site.get(
        "/test-only/fails", headers={"X-Request-ID": "probe-request-0001"}
    )
    assert response.status_code == 500
    page = Html(response)
    assert page.by_role("link", "Attribute portal")  # the layout's brand link
    assert page.by_test_id("request-id")[0].text() == "probe-request-0001"
    assert "Traceback" not in response.content.decode()
    assert "RuntimeError" not in response.content.decode()


@override_settings(DEBUG=False)
def test_a_bad_request_shows_the_layout_and_the_request_id(client: Client) -> None:
    response = client.get("/", headers={"Host": "not-an-allowed-host.example"})
    assert response.status_code == 400
    page = Html(response)
    assert page.by_test_id("bad-request")
    assert page.by_test_id("request-id")[0].text() == response["X-Request-ID"]
