"""MSAL against the emulator over HTTPS, trusting only the emulator's CA.

The confidential client runs the auth code flow with Chromium filling in the sign-in
page; the redirect back to the (non-existent) app is intercepted in the browser. The
public client uses the password grant, as scripts do.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import msal
import pytest
import requests
from playwright.sync_api import Page, Route

from emulator.harness import EmulatorProcess
from emulator.tenant import demo

SCOPES = ["https://graph.microsoft.com/.default"]
REDIRECT = "http://localhost:59999/auth/callback"
QUERY_MODE_WARNING = "ignore:response_mode='form_post' is recommended:UserWarning"
ROPC_WARNING = "ignore:This API has been deprecated:DeprecationWarning"


@pytest.fixture
def no_user_realm_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    """MSAL's password grant first asks https://{host}/common/userrealm/… with the port
    dropped (msal/authority.py), i.e. localhost:443. Tell it that host has no realm
    discovery, as it would remember after a 404."""
    monkeypatch.setattr(
        msal.authority.Authority, "_domains_without_user_realm_discovery", {"localhost"}
    )


def http_client(emu: EmulatorProcess) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.verify = emu.ca_path
    return session


def portal_app(
    emu: EmulatorProcess, cache: msal.SerializableTokenCache
) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        demo.PORTAL_CLIENT_ID,
        client_credential=demo.PORTAL_CLIENT_SECRET,
        authority=emu.authority,
        instance_discovery=False,
        http_client=http_client(emu),
        token_cache=cache,
    )


def sign_in_with_browser(page: Page, auth_uri: str, username: str) -> dict[str, str]:
    """Fill the emulator's sign-in page; returns what the app's callback would receive."""
    received: list[dict[str, str]] = []

    def callback(route: Route) -> None:
        request = route.request
        raw = request.post_data if request.method == "POST" else urlsplit(request.url).query
        received.append({k: v[0] for k, v in parse_qs(raw or "").items()})
        route.fulfill(status=200, content_type="text/html", body="<p>signed in</p>")

    page.route("**/auth/callback**", callback)
    page.goto(auth_uri)
    page.fill("#username", username)
    page.fill("#password", demo.DEMO_PASSWORD)
    with page.expect_response("**/auth/callback**"):
        page.click("button[type=submit]")
        if "response_mode=form_post" in auth_uri:
            page.click("button:has-text('Continue')")
    return received[0]


@pytest.mark.browser
@pytest.mark.filterwarnings(QUERY_MODE_WARNING)
def test_confidential_client_auth_code_flow(emu: EmulatorProcess, page: Page) -> None:
    cache = msal.SerializableTokenCache()
    app = portal_app(emu, cache)
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=REDIRECT)

    auth_response = sign_in_with_browser(page, flow["auth_uri"], "lee.lead@contoso.example")
    result = app.acquire_token_by_auth_code_flow(flow, auth_response)

    assert "access_token" in result, result
    assert result["id_token_claims"]["preferred_username"] == "lee.lead@contoso.example"
    me = emu.graph(
        "GET", "/me?$select=displayName,customSecurityAttributes", token=result["access_token"]
    )
    assert me.json()["customSecurityAttributes"]["Engineering"]["Project"] == ["Alpine", "Baker"]

    account = app.get_accounts()[0]
    assert account["home_account_id"] == f"{demo.LEE.object_id}.{demo.TENANT_ID}"
    cached = app.acquire_token_silent(SCOPES, account=account)
    assert cached["token_source"] == "cache"
    assert emu.state()["token_grants"] == {
        "authorization_code": 1,
        "refresh_token": 0,
        "password": 0,
    }

    refreshed = app.acquire_token_silent(SCOPES, account=account, force_refresh=True)
    assert refreshed["token_source"] == "identity_provider"
    assert emu.state()["token_grants"]["refresh_token"] == 1
    again = app.acquire_token_silent(SCOPES, account=account)
    assert again["token_source"] == "cache"  # the refresh response kept the account (M3)
    assert (
        emu.graph("GET", "/directory/attributeSets", token=again["access_token"]).status_code == 200
    )


@pytest.mark.browser
def test_form_post_response_mode(emu: EmulatorProcess, page: Page) -> None:
    app = portal_app(emu, msal.SerializableTokenCache())
    flow = app.initiate_auth_code_flow(SCOPES, redirect_uri=REDIRECT, response_mode="form_post")

    auth_response = sign_in_with_browser(page, flow["auth_uri"], "ava.auditor@contoso.example")
    result = app.acquire_token_by_auth_code_flow(flow, auth_response)

    assert result["id_token_claims"]["name"] == "Ava Auditor"


@pytest.mark.usefixtures("no_user_realm_lookup")
def test_cache_survives_serialisation(emu: EmulatorProcess) -> None:
    cache = msal.SerializableTokenCache()
    app = portal_app(emu, cache)
    app.acquire_token_by_username_password(
        "ada.admin@contoso.example", demo.DEMO_PASSWORD, scopes=SCOPES
    )
    restored = msal.SerializableTokenCache()
    restored.deserialize(cache.serialize())

    again = portal_app(emu, restored)
    accounts = again.get_accounts(username="ADA.ADMIN@contoso.example")

    assert again.acquire_token_silent(SCOPES, account=accounts[0])["token_source"] == "cache"


@pytest.mark.filterwarnings(ROPC_WARNING)
@pytest.mark.usefixtures("no_user_realm_lookup")
def test_public_client_password_grant(emu: EmulatorProcess) -> None:
    app = msal.PublicClientApplication(
        demo.AZURE_CLI_CLIENT_ID,
        authority=emu.authority,
        instance_discovery=False,
        http_client=http_client(emu),
    )

    result = app.acquire_token_by_username_password(
        "ava.auditor@contoso.example", demo.DEMO_PASSWORD, scopes=SCOPES
    )

    assert "access_token" in result, result
    audits = emu.graph(
        "GET",
        "/auditLogs/customSecurityAttributeAudits",
        token=result["access_token"],
        version="beta",
    )
    assert audits.status_code == 200
    assert audits.json()["value"]


@pytest.mark.filterwarnings(ROPC_WARNING)
@pytest.mark.usefixtures("no_user_realm_lookup")
def test_public_client_sees_wrong_password_as_an_error(emu: EmulatorProcess) -> None:
    app = msal.PublicClientApplication(
        demo.AZURE_CLI_CLIENT_ID,
        authority=emu.authority,
        instance_discovery=False,
        http_client=http_client(emu),
    )

    result = app.acquire_token_by_username_password(
        "ava.auditor@contoso.example", "wrong", scopes=SCOPES
    )

    assert result["error"] == "invalid_grant"
    assert 50126 in result["error_codes"]
