"""Entra sign-in: discovery, keys, the token endpoint and the authorize and logout pages."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests

from emulator.harness import EmulatorProcess
from emulator.tenant import demo

REDIRECT = "http://localhost:51234/auth/callback"
SCOPES = "https://graph.microsoft.com/.default openid profile offline_access"


def browser() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(32)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    )
    return verifier, challenge


def authorize_params(**overrides: str) -> dict[str, str]:
    params = {
        "client_id": demo.PORTAL_CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "state": "state-123",
        "nonce": "nonce-abc",
        "code_challenge_method": "S256",
    }
    return {**params, **overrides}


def authorize_url(emu: EmulatorProcess, tenant: str | None = None) -> str:
    return f"{emu.browser_url}/{tenant or emu.tenant_id}/oauth2/v2.0/authorize"


def sign_in(
    emu: EmulatorProcess,
    params: dict[str, str],
    user: str = "ada.admin@contoso.example",
    password: str = "demo",
) -> requests.Response:
    return browser().post(
        authorize_url(emu),
        data={**params, "username": user, "password": password},
        allow_redirects=False,
    )


def code_from(response: requests.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def redeem(
    emu: EmulatorProcess, code: str, verifier: str | None, **extra: str
) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "client_id": demo.PORTAL_CLIENT_ID,
        "client_secret": demo.PORTAL_CLIENT_SECRET,
        "code": code,
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        **({"code_verifier": verifier} if verifier else {}),
        **extra,
    }
    return emu.session.post(emu.token_endpoint, data=form, timeout=10)


def token_post(emu: EmulatorProcess, **form: str) -> requests.Response:
    return emu.session.post(emu.token_endpoint, data=form, timeout=10)


def password_form(**overrides: str) -> dict[str, str]:
    form = {
        "grant_type": "password",
        "client_id": demo.AZURE_CLI_CLIENT_ID,
        "username": "ada.admin@contoso.example",
        "password": "demo",
        "scope": SCOPES,
    }
    return {**form, **overrides}


def oauth_error(response: requests.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert {
        "error",
        "error_description",
        "error_codes",
        "timestamp",
        "trace_id",
        "correlation_id",
    } <= set(body)
    assert body["error_description"].startswith(f"AADSTS{body['error_codes'][0]}: ")
    return body


def claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


# -- discovery and keys ------------------------------------------------------------------


@pytest.mark.parametrize("tenant", [demo.TENANT_ID, demo.TENANT_DOMAIN, "organizations", "common"])
def test_discovery(emu: EmulatorProcess, tenant: str) -> None:
    document = emu.session.get(
        f"{emu.authority.rsplit('/', 1)[0]}/{tenant}/v2.0/.well-known/openid-configuration"
    ).json()

    assert document["issuer"] == emu.issuer
    assert document["authorization_endpoint"] == f"{emu.browser_url}/{tenant}/oauth2/v2.0/authorize"
    assert (
        document["token_endpoint"]
        == f"{emu.authority.rsplit('/', 1)[0]}/{tenant}/oauth2/v2.0/token"
    )
    assert document["end_session_endpoint"] == f"{emu.browser_url}/{tenant}/oauth2/v2.0/logout"
    assert document["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "form_post" in document["response_modes_supported"]
    assert {"openid", "offline_access"} <= set(document["scopes_supported"])


def test_discovery_for_unknown_tenant(emu: EmulatorProcess) -> None:
    response = emu.session.get(
        f"{emu.authority.rsplit('/', 1)[0]}/fabrikam.example/v2.0/.well-known/openid-configuration"
    )

    assert oauth_error(response)["error_codes"] == [90002]


def test_tokens_verify_against_the_published_keys(emu: EmulatorProcess) -> None:
    document = emu.session.get(f"{emu.authority}/v2.0/.well-known/openid-configuration").json()
    keys = emu.session.get(document["jwks_uri"]).json()["keys"]
    result = token_post(
        emu,
        **password_form(client_id=demo.PORTAL_CLIENT_ID, client_secret=demo.PORTAL_CLIENT_SECRET),
    ).json()

    key = jwt.PyJWK(keys[0])
    decoded = jwt.decode(
        result["id_token"],
        key.key,
        algorithms=["RS256"],
        audience=demo.PORTAL_CLIENT_ID,
        issuer=emu.issuer,
    )

    assert jwt.get_unverified_header(result["id_token"])["kid"] == keys[0]["kid"]
    assert decoded["preferred_username"] == "ada.admin@contoso.example"
    assert decoded["tid"] == demo.TENANT_ID
    assert decoded["ver"] == "2.0"


# -- password grant ----------------------------------------------------------------------


def test_password_grant(emu: EmulatorProcess) -> None:
    result = token_post(emu, **password_form()).json()

    assert result["token_type"] == "Bearer"
    assert result["expires_in"] == 3600
    access = claims(result["access_token"])
    assert access["aud"] == "https://graph.microsoft.com"
    assert access["upn"] == "ada.admin@contoso.example"
    assert access["appid"] == demo.AZURE_CLI_CLIENT_ID
    assert set(access["scp"].split()) >= set(demo.GRAPH_SCOPES)
    assert "https://graph.microsoft.com/.default" in result["scope"].split()
    client_info = json.loads(base64.urlsafe_b64decode(result["client_info"] + "=="))
    assert client_info == {"uid": demo.ADA.object_id, "utid": demo.TENANT_ID}
    assert emu.state()["token_grants"]["password"] == 1


def test_explicit_and_bare_scopes(emu: EmulatorProcess) -> None:
    scope = "https://graph.microsoft.com/User.Read CustomSecAttributeDefinition.Read.All openid"

    result = token_post(emu, **password_form(scope=scope)).json()

    assert (
        claims(result["access_token"])["scp"]
        == "CustomSecAttributeDefinition.Read.All User.Read openid"
    )
    assert "refresh_token" not in result


def test_access_token_lifetime_setting(emu: EmulatorProcess) -> None:
    emu.configure(access_token_lifetime=900)

    result = token_post(emu, **password_form()).json()

    assert result["expires_in"] == 900
    access = claims(result["access_token"])
    assert access["exp"] - access["iat"] == 900


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"password": "wrong"}, "invalid_grant", 50126),
        ({"username": "hr-onboarding-agent@contoso.example"}, "invalid_grant", 50126),
        ({"username": "nobody@contoso.example"}, "invalid_grant", 50034),
        ({"scope": "User.ReadWrite.All"}, "invalid_grant", 65001),
        ({"scope": "api://portal/read"}, "invalid_resource", 500011),
        ({"scope": ""}, "invalid_request", 900144),
        ({"client_id": "11111111-2222-3333-4444-555555555555"}, "unauthorized_client", 700016),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type", 70003),
    ],
)
def test_password_grant_errors(
    emu: EmulatorProcess, overrides: dict[str, str], error: str, code: int
) -> None:
    body = oauth_error(token_post(emu, **password_form(**overrides)))

    assert (body["error"], body["error_codes"]) == (error, [code])


def test_consent_error_names_the_scope(emu: EmulatorProcess) -> None:
    body = oauth_error(token_post(emu, **password_form(scope="Mail.Send")))

    assert body["suberror"] == "consent_required"
    assert "Mail.Send" in body["error_description"]


def test_disabled_account(emu: EmulatorProcess, ada) -> None:  # type: ignore[no-untyped-def]
    disabled = ada.get(
        "/users?$filter=accountEnabled eq false&$top=1&$select=userPrincipalName"
    ).json()

    body = oauth_error(
        token_post(emu, **password_form(username=disabled["value"][0]["userPrincipalName"]))
    )

    assert body["error_codes"] == [50057]


@pytest.mark.parametrize(
    ("form", "code"),
    [
        ({"client_id": demo.PORTAL_CLIENT_ID}, 7000218),
        ({"client_id": demo.PORTAL_CLIENT_ID, "client_secret": "wrong"}, 7000215),
        ({"client_secret": "anything"}, 700025),
    ],
)
def test_client_authentication(emu: EmulatorProcess, form: dict[str, str], code: int) -> None:
    body = oauth_error(token_post(emu, **password_form(**form)), status=401)

    assert (body["error"], body["error_codes"]) == ("invalid_client", [code])


def test_client_secret_by_basic_authentication(emu: EmulatorProcess) -> None:
    form = password_form(client_id="")
    credentials = base64.b64encode(
        f"{demo.PORTAL_CLIENT_ID}:{demo.PORTAL_CLIENT_SECRET}".encode()
    ).decode()

    response = emu.session.post(
        emu.token_endpoint, data=form, headers={"Authorization": f"Basic {credentials}"}
    )

    assert response.status_code == 200


# -- refresh tokens ----------------------------------------------------------------------


def test_refresh_rotates_and_old_token_stays_usable(emu: EmulatorProcess) -> None:
    first = token_post(emu, **password_form()).json()
    refresh = {
        "grant_type": "refresh_token",
        "client_id": demo.AZURE_CLI_CLIENT_ID,
        "scope": SCOPES,
    }

    second = token_post(emu, **refresh, refresh_token=first["refresh_token"]).json()
    again = token_post(emu, **refresh, refresh_token=first["refresh_token"])

    assert second["refresh_token"] != first["refresh_token"]
    assert claims(second["id_token"])["oid"] == demo.ADA.object_id
    assert second["client_info"] == first["client_info"]
    assert again.status_code == 200
    assert emu.state()["token_grants"]["refresh_token"] == 2


def test_refresh_token_belongs_to_its_client(emu: EmulatorProcess) -> None:
    first = token_post(emu, **password_form()).json()

    response = token_post(
        emu,
        grant_type="refresh_token",
        client_id=demo.PORTAL_CLIENT_ID,
        client_secret=demo.PORTAL_CLIENT_SECRET,
        refresh_token=first["refresh_token"],
        scope=SCOPES,
    )

    assert oauth_error(response)["error"] == "invalid_grant"


def test_revoked_refresh_token(emu: EmulatorProcess) -> None:
    first = token_post(emu, **password_form()).json()
    emu.revoke_tokens("ada.admin@contoso.example")

    response = token_post(
        emu,
        grant_type="refresh_token",
        client_id=demo.AZURE_CLI_CLIENT_ID,
        refresh_token=first["refresh_token"],
        scope=SCOPES,
    )

    body = oauth_error(response)
    assert (body["error"], body["error_codes"]) == ("invalid_grant", [50173])
    assert emu.graph("GET", "/me", token=first["access_token"]).status_code == 401


def test_expired_access_token_can_be_refreshed(emu: EmulatorProcess) -> None:
    first = token_post(emu, **password_form()).json()
    emu.expire_access_tokens()

    second = token_post(
        emu,
        grant_type="refresh_token",
        client_id=demo.AZURE_CLI_CLIENT_ID,
        refresh_token=first["refresh_token"],
        scope=SCOPES,
    ).json()

    assert emu.graph("GET", "/me", token=first["access_token"]).status_code == 401
    assert emu.graph("GET", "/me", token=second["access_token"]).status_code == 200


# -- authorize: the sign-in page ----------------------------------------------------------


def test_sign_in_page_lists_demo_accounts_and_prefills_login_hint(emu: EmulatorProcess) -> None:
    page = browser().get(
        authorize_url(emu), params=authorize_params(login_hint="lee.lead@contoso.example")
    )

    assert page.status_code == 200
    for account in demo.DEMO_ACCOUNTS:
        assert account.display_name in page.text
        assert account.user_principal_name in page.text
    assert "Attribute Assignment Administrator (scope /attributeSets/Engineering)" in page.text
    assert "value='lee.lead@contoso.example'" in page.text
    assert "<script" not in page.text


def test_sign_in_page_escapes_hostile_parameters(emu: EmulatorProcess) -> None:
    hostile = "'><script>alert(1)</script>"

    page = browser().get(
        authorize_url(emu), params=authorize_params(state=hostile, login_hint=hostile)
    )

    assert "<script>alert(1)</script>" not in page.text
    assert "&#x27;&gt;&lt;script&gt;" in page.text


def test_wrong_password_re_renders_with_an_error(emu: EmulatorProcess) -> None:
    response = sign_in(emu, authorize_params(), password="nope")

    assert response.status_code == 200
    assert "Your account or password is incorrect" in response.text
    assert "value='ada.admin@contoso.example'" in response.text


def test_sign_in_redirects_with_code_and_state(emu: EmulatorProcess) -> None:
    result = code_from(sign_in(emu, authorize_params()))

    assert result["state"] == "state-123"
    assert result["code"]


def test_form_post_response_mode(emu: EmulatorProcess) -> None:
    response = sign_in(emu, authorize_params(response_mode="form_post"))

    assert response.status_code == 200
    assert f"action='{REDIRECT}'" in response.text
    assert "name='code'" in response.text
    assert "name='state' value='state-123'" in response.text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"client_id": "11111111-2222-3333-4444-555555555555"}, "AADSTS700016"),
        ({"redirect_uri": "http://evil.example/auth/callback"}, "AADSTS50011"),
        ({"redirect_uri": "http://localhost:51234/other"}, "AADSTS50011"),
        ({"redirect_uri": "https://localhost/auth/callback"}, "AADSTS50011"),
        ({"redirect_uri": ""}, "AADSTS50011"),
    ],
)
def test_unknown_client_or_redirect_gets_an_error_page(
    emu: EmulatorProcess, overrides: dict[str, str], message: str
) -> None:
    response = browser().get(
        authorize_url(emu), params=authorize_params(**overrides), allow_redirects=False
    )

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert message in response.text


def test_redirect_port_is_ignored_for_loopback(emu: EmulatorProcess) -> None:
    params = authorize_params(redirect_uri="http://127.0.0.1:9/auth/callback")

    response = sign_in(emu, params)

    assert response.headers["Location"].startswith("http://127.0.0.1:9/auth/callback?code=")


def test_unknown_tenant_gets_an_error_page(emu: EmulatorProcess) -> None:
    response = browser().get(authorize_url(emu, "fabrikam.example"), params=authorize_params())

    assert response.status_code == 400
    assert "AADSTS90002" in response.text


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"scope": "Mail.Send openid"}, "invalid_grant"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"code_challenge": "abc", "code_challenge_method": "plain"}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
    ],
)
def test_request_errors_go_back_to_the_client(
    emu: EmulatorProcess, overrides: dict[str, str], error: str
) -> None:
    response = browser().get(
        authorize_url(emu), params=authorize_params(**overrides), allow_redirects=False
    )

    result = code_from(response)
    assert result["error"] == error
    assert result["state"] == "state-123"
    assert result["error_description"].startswith("AADSTS")


def test_authorize_on_the_https_port_sends_the_browser_to_the_sign_in_port(
    emu: EmulatorProcess,
) -> None:
    response = emu.session.get(
        f"{emu.authority}/oauth2/v2.0/authorize?client_id=x", allow_redirects=False
    )

    assert response.status_code == 302
    assert (
        response.headers["Location"]
        == f"{emu.browser_url}/{emu.tenant_id}/oauth2/v2.0/authorize?client_id=x"
    )


# -- authorization code redemption -------------------------------------------------------


def test_code_redemption_with_pkce_and_nonce(emu: EmulatorProcess) -> None:
    verifier, challenge = pkce()
    code = code_from(
        sign_in(emu, authorize_params(code_challenge=challenge), user="lee.lead@contoso.example")
    )["code"]

    result = redeem(emu, code, verifier).json()

    identity = claims(result["id_token"])
    assert identity["nonce"] == "nonce-abc"
    assert identity["aud"] == demo.PORTAL_CLIENT_ID
    assert identity["iss"] == emu.issuer
    assert identity["preferred_username"] == "lee.lead@contoso.example"
    assert identity["name"] == "Lee Lead"
    assert {"exp", "iat", "nbf", "sub", "oid", "tid", "auth_time"} <= set(identity)
    assert emu.graph("GET", "/me", token=result["access_token"]).json()["displayName"] == "Lee Lead"


def test_pkce_mismatch(emu: EmulatorProcess) -> None:
    _, challenge = pkce()
    code = code_from(sign_in(emu, authorize_params(code_challenge=challenge)))["code"]

    body = oauth_error(redeem(emu, code, "a-different-verifier-that-is-long-enough-to-count"))

    assert (body["error"], body["error_codes"]) == ("invalid_grant", [501481])


def test_missing_verifier(emu: EmulatorProcess) -> None:
    _, challenge = pkce()
    code = code_from(sign_in(emu, authorize_params(code_challenge=challenge)))["code"]

    assert oauth_error(redeem(emu, code, None))["error_codes"] == [501481]


def test_code_cannot_be_redeemed_twice(emu: EmulatorProcess) -> None:
    verifier, challenge = pkce()
    code = code_from(sign_in(emu, authorize_params(code_challenge=challenge)))["code"]

    assert redeem(emu, code, verifier).status_code == 200
    body = oauth_error(redeem(emu, code, verifier))
    assert (body["error"], body["error_codes"]) == ("invalid_grant", [54005])


def test_code_is_bound_to_its_redirect_uri(emu: EmulatorProcess) -> None:
    verifier, challenge = pkce()
    code = code_from(sign_in(emu, authorize_params(code_challenge=challenge)))["code"]

    body = oauth_error(redeem(emu, code, verifier, redirect_uri="http://localhost:1/auth/callback"))

    assert body["error"] == "invalid_grant"


def test_code_with_wrong_client_secret(emu: EmulatorProcess) -> None:
    verifier, challenge = pkce()
    code = code_from(sign_in(emu, authorize_params(code_challenge=challenge)))["code"]

    body = oauth_error(redeem(emu, code, verifier, client_secret="wrong"), status=401)

    assert body["error_codes"] == [7000215]
    assert redeem(emu, code, verifier).status_code == 200  # a failed attempt does not use it up


def test_unknown_code(emu: EmulatorProcess) -> None:
    assert oauth_error(redeem(emu, "1.Anot-a-code", "verifier"))["error"] == "invalid_grant"


# -- logout ------------------------------------------------------------------------------


def test_logout_redirects_to_a_loopback_address(emu: EmulatorProcess) -> None:
    params = urlencode({"post_logout_redirect_uri": "http://localhost:8000/", "state": "bye"})

    response = browser().get(
        f"{emu.browser_url}/{emu.tenant_id}/oauth2/v2.0/logout?{params}", allow_redirects=False
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "http://localhost:8000/?state=bye"


def test_logout_to_another_address_shows_a_page(emu: EmulatorProcess) -> None:
    params = urlencode({"post_logout_redirect_uri": "https://evil.example/"})

    response = browser().get(
        f"{emu.browser_url}/common/oauth2/v2.0/logout?{params}", allow_redirects=False
    )

    assert response.status_code == 200
    assert "You have signed out" in response.text
    assert "https://evil.example/" in response.text
