"""Sign-in through MSAL and the emulator, token refresh, sign-out, and the flow's defences."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from portal.auth.msal_app import CACHE_KEY
from portal.models import User
from tests.conftest import sign_in
from tests.html import Html
from tests.portal.helpers import expire_cached_access_tokens

pytestmark = pytest.mark.django_db

SignedIn = Callable[[str], Client]


def _token_grants(emu: EmulatorProcess) -> dict[str, int]:
    return emu.state()["token_grants"]


def test_sign_in_creates_the_user_keyed_by_tenant_and_object_id(signed_in: SignedIn) -> None:
    client = signed_in("ada.admin@contoso.example")
    user = User.objects.get()
    ada = next(a for a in demo.DEMO_ACCOUNTS if a.user_principal_name.startswith("ada"))
    assert (user.tenant_id, user.object_id) == (demo.TENANT_ID, ada.object_id)
    assert user.user_principal_name == "ada.admin@contoso.example"
    assert user.display_name == ada.display_name
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert Html(html).by_test_id("upn")[0].text() == "ada.admin@contoso.example"
    assert f'<code data-testid="tenant">{demo.TENANT_ID}</code>' in html


def _role_rows(html: str) -> list[tuple[str, str]]:
    rows = Html(html).by_test_id("role-row")
    return [(row.css("td")[0].text(), row.one("td .badge-scope").text()) for row in rows]


def test_home_lists_roles_with_their_scopes(signed_in: SignedIn) -> None:
    page = signed_in("lee.lead@contoso.example").get("/").content.decode()
    assert _role_rows(page) == [("Attribute Assignment Administrator", "attribute set Engineering")]
    assert "can read and assign values in: the attribute set Engineering" in Html(page).text()


def test_home_lists_tenant_wide_roles(signed_in: SignedIn) -> None:
    page = signed_in("ada.admin@contoso.example").get("/").content.decode()
    assert sorted(_role_rows(page)) == [
        ("Attribute Assignment Administrator", "whole tenant"),
        ("Attribute Definition Administrator", "whole tenant"),
        ("Attribute Log Reader", "whole tenant"),
    ]


def test_the_global_administrator_gets_the_missing_role_page(signed_in: SignedIn) -> None:
    response = signed_in("gil.global@contoso.example").get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have no custom security attribute roles" in html
    assert "Global Administrator does not include these roles" in html
    assert "Privileged Role Administrator" in html


def test_a_second_sign_in_refreshes_name_and_upn_without_a_second_user(
    signed_in: SignedIn,
) -> None:
    signed_in("rey.reader@contoso.example")
    User.objects.update(display_name="Old name", user_principal_name="old@contoso.example")
    signed_in("rey.reader@contoso.example")
    user = User.objects.get()
    assert user.user_principal_name == "rey.reader@contoso.example"
    assert user.display_name != "Old name"


def test_sign_in_rotates_the_session_key(emu: EmulatorProcess) -> None:
    client = Client(HTTP_HOST="localhost")
    client.get("/auth/sign-in/microsoft")
    before = client.session.session_key
    sign_in(client, emu, "rey.reader@contoso.example")
    assert client.session.session_key != before


def test_a_tampered_state_is_refused(emu: EmulatorProcess) -> None:
    client = Client(HTTP_HOST="localhost")
    start = client.get("/auth/sign-in/microsoft")
    callback = urlsplit(emu.complete_sign_in(start["Location"], "ada.admin@contoso.example"))
    query = parse_qs(callback.query)
    response = client.get(callback.path, {"code": query["code"][0], "state": "forged-state"})
    assert response.status_code == 400
    assert "This sign-in has expired" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_replayed_callback_is_refused(emu: EmulatorProcess) -> None:
    client = Client(HTTP_HOST="localhost")
    start = client.get("/auth/sign-in/microsoft")
    callback = urlsplit(emu.complete_sign_in(start["Location"], "ada.admin@contoso.example"))
    assert client.get(f"{callback.path}?{callback.query}").status_code == 302
    client.post("/auth/sign-out")
    replay = client.get(f"{callback.path}?{callback.query}")
    assert replay.status_code == 400
    assert "_auth_user_id" not in client.session


def test_an_error_from_the_identity_provider_is_shown(emu: EmulatorProcess) -> None:
    client = Client(HTTP_HOST="localhost")
    start = client.get("/auth/sign-in/microsoft")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    response = client.get(
        "/auth/callback",
        {"state": state, "error": "access_denied", "error_description": "The user <b>declined</b>"},
    )
    assert response.status_code == 400
    assert "The user &lt;b&gt;declined&lt;/b&gt;" in response.content.decode()


# Hostile `next` values: tests/portal/test_security_redirects.py.


def test_next_returns_to_a_same_site_path(emu: EmulatorProcess) -> None:
    client = sign_in(
        Client(HTTP_HOST="localhost"), emu, "ada.admin@contoso.example", next_url="/sets/"
    )
    assert client.get("/sets/").status_code == 200


def test_sign_out_clears_the_session_and_goes_to_the_end_session_endpoint(
    signed_in: SignedIn, emu: EmulatorProcess
) -> None:
    client = signed_in("ada.admin@contoso.example")
    response = client.post("/auth/sign-out")
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}" == emu.browser_url
    assert location.path.endswith("/oauth2/v2.0/logout")
    assert parse_qs(location.query)["post_logout_redirect_uri"] == [
        "http://localhost/auth/signed-out"
    ]
    assert CACHE_KEY not in client.session
    assert client.get("/")["Location"] == "/auth/sign-in?next=/"


def test_an_expired_access_token_is_refreshed_silently(
    signed_in: SignedIn, emu: EmulatorProcess
) -> None:
    client = signed_in("ada.admin@contoso.example")
    refreshes = _token_grants(emu)["refresh_token"]
    expire_cached_access_tokens(client)
    assert client.get("/sets/").status_code == 200
    assert _token_grants(emu)["refresh_token"] == refreshes + 1
    assert client.get("/sets/").status_code == 200
    assert _token_grants(emu)["refresh_token"] == refreshes + 1


def test_a_token_graph_rejects_is_refreshed_once_and_the_call_retried(
    signed_in: SignedIn, emu: EmulatorProcess
) -> None:
    client = signed_in("ada.admin@contoso.example")
    refreshes = _token_grants(emu)["refresh_token"]
    emu.expire_access_tokens()
    assert client.get("/sets/").status_code == 200
    assert _token_grants(emu)["refresh_token"] == refreshes + 1


def test_a_dead_refresh_token_sends_the_person_to_sign_in(
    signed_in: SignedIn, emu: EmulatorProcess
) -> None:
    client = signed_in("ada.admin@contoso.example")
    emu.revoke_tokens("ada.admin@contoso.example")
    expire_cached_access_tokens(client)
    response = client.get("/sets/?q=Eng")
    assert response.status_code == 302
    assert response["Location"] == "/auth/sign-in/microsoft?next=%2Fsets%2F%3Fq%3DEng"


def test_a_dead_refresh_token_in_an_htmx_request_gets_hx_redirect(
    signed_in: SignedIn, emu: EmulatorProcess
) -> None:
    client = signed_in("ada.admin@contoso.example")
    emu.revoke_tokens("ada.admin@contoso.example")
    expire_cached_access_tokens(client)
    response = client.get(
        "/sets/",
        headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/sets/Engineering/"},
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/auth/sign-in/microsoft?next=%2Fsets%2FEngineering%2F"


def test_tokens_never_reach_the_page(signed_in: SignedIn) -> None:
    client = signed_in("ada.admin@contoso.example")
    cache = json.loads(client.session[CACHE_KEY])
    secrets = [
        t["secret"] for kind in ("AccessToken", "RefreshToken") for t in cache[kind].values()
    ]
    html = client.get("/").content.decode() + client.get("/sets/").content.decode()
    assert secrets
    assert not any(secret in html for secret in secrets)


def test_refresh_my_roles_reads_them_again(signed_in: SignedIn, emu: EmulatorProcess) -> None:
    client = signed_in("rey.reader@contoso.example")
    assert _role_rows(client.get("/").content.decode()) == [
        ("Attribute Definition Reader", "whole tenant")
    ]
    gil_token = emu.password_token("gil.global@contoso.example")
    rey = next(a for a in demo.DEMO_ACCOUNTS if a.user_principal_name.startswith("rey"))
    granted = emu.graph(
        "POST",
        "/roleManagement/directory/roleAssignments",
        token=gil_token,
        json={
            "roleDefinitionId": demo.ROLE_ATTRIBUTE_LOG_READER,
            "principalId": rey.object_id,
            "directoryScopeId": "/",
        },
    )
    assert granted.status_code == 201, granted.text
    assert len(_role_rows(client.get("/").content.decode())) == 1
    response = client.post("/me/refresh-roles", follow=True)
    assert ("Attribute Log Reader", "whole tenant") in _role_rows(response.content.decode())
