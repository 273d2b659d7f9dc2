"""Entra sign-in: OIDC discovery, JWKS, the token endpoint, authorize and logout pages.

Discovery, keys and token are served over HTTPS (MSAL insists); authorize and logout are
browser pages on the plain-HTTP port. Errors use Entra's OAuth error JSON, and an unknown
client or unregistered redirect URI gets an error page, never a redirect.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit, urlunsplit

from emulator.identity.clients import (
    CLIENTS,
    Client,
    Grant,
    is_post_logout_uri_allowed,
    resolve_scopes,
)
from emulator.identity.oauth_errors import OAuthError, invalid_grant, missing_parameter
from emulator.identity.tokens import CODE_LIFETIME, AuthorizationCode
from emulator.server.pages import (
    SignInView,
    error_page,
    form_post_page,
    sign_in_page,
    signed_out_page,
)
from emulator.server.state import Emulator
from emulator.server.web import Request, Response
from emulator.tenant import demo
from emulator.tenant.model import AGENT_USER, DirectoryObject

TENANT_ALIASES = (demo.TENANT_ID, demo.TENANT_DOMAIN, "organizations", "common")
RESPONSE_MODES = ("query", "form_post")
AUTHORIZE_PARAMS = (
    "client_id", "response_type", "redirect_uri", "scope", "state", "nonce", "code_challenge",
    "code_challenge_method", "response_mode", "login_hint", "prompt", "client_info",
    "domain_hint", "max_age",
)  # fmt: skip


def is_tenant(segment: str) -> bool:
    return segment.lower() in TENANT_ALIASES


def tenant_not_found(segment: str) -> OAuthError:
    return OAuthError(
        "invalid_request",
        90002,
        f"Tenant '{segment}' not found. Check to make sure you have the correct tenant ID and "
        "are signing into the correct cloud.",
    )


# -- discovery and keys (HTTPS) --------------------------------------------------------


def discovery(emulator: Emulator, tenant: str) -> Response:
    if not is_tenant(tenant):
        return tenant_not_found(tenant).response()
    api, browser = emulator.urls.api_base, emulator.urls.browser_base
    document = {
        "token_endpoint": f"{api}/{tenant}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "jwks_uri": f"{api}/{tenant}/discovery/v2.0/keys",
        "response_modes_supported": list(RESPONSE_MODES),
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code"],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": emulator.urls.issuer,
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{browser}/{tenant}/oauth2/v2.0/authorize",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{browser}/{tenant}/oauth2/v2.0/logout",
        "code_challenge_methods_supported": ["S256"],
        "grant_types_supported": ["authorization_code", "refresh_token", "password"],
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "nbf",
            "auth_time",
            "nonce",
            "name",
            "oid",
            "tid",
            "preferred_username",
            "email",
            "ver",
        ],
        "tenant_region_scope": "EU",
        "cloud_instance_name": "localhost",
        "msgraph_host": f"localhost:{emulator.urls.https_port}/graph",
    }
    return Response.json(200, document)


def keys(emulator: Emulator, tenant: str) -> Response:
    if not is_tenant(tenant):
        return tenant_not_found(tenant).response()
    return Response.json(200, {"keys": [emulator.signing_key.jwk(emulator.urls.issuer)]})


def user_realm(username: str) -> Response:
    """Home realm discovery, which MSAL's password grant asks first. Every account here is
    managed (cloud-only), so MSAL goes on to the ordinary password grant."""
    domain = username.rpartition("@")[2].lower()
    known = domain == demo.TENANT_DOMAIN
    return Response.json(
        200,
        {
            "ver": "1.0",
            "account_type": "Managed" if known else "Unknown",
            "domain_name": domain,
            "cloud_instance_name": "microsoftonline.com",
            "cloud_audience_urn": "urn:federation:MicrosoftOnline",
        },
    )


# -- token endpoint (HTTPS) ------------------------------------------------------------


def token(emulator: Emulator, tenant: str, request: Request) -> Response:
    form = request.form()
    grant_type = form.get("grant_type", "")
    with emulator.lock:
        upn: str | None = None
        try:
            if not is_tenant(tenant):
                raise tenant_not_found(tenant)
            client = _authenticate_client(request, form)
            user, payload = _grant(emulator, client, grant_type, form)
            upn = str(user.properties["userPrincipalName"])
            emulator.tokens.count_grant(grant_type)
            response = Response.json(200, payload, [("Cache-Control", "no-store")])
        except OAuthError as error:
            response = error.response()
        emulator.log.record(
            kind="token",
            method=request.method,
            version=None,
            path=f"/{tenant}/oauth2/v2.0/token",
            query={},
            status=response.status,
            request_id=None,
            client_request_id=request.header("client-request-id") or None,
            upn=upn or form.get("username") or None,
            in_batch=False,
            consistency_level=None,
            grant_type=grant_type or None,
        )
    return response


def _authenticate_client(request: Request, form: Mapping[str, str]) -> Client:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    basic_id, basic_secret = _basic_credentials(request.header("authorization"))
    client_id, secret = client_id or basic_id, secret or basic_secret
    if not client_id:
        raise missing_parameter("client_id")
    client = CLIENTS.get(client_id.lower())
    if client is None:
        raise _unknown_client(client_id)
    if client.is_public and secret:
        raise OAuthError(
            "invalid_client",
            700025,
            "Client is public so neither 'client_assertion' nor 'client_secret' should be "
            "presented.",
            status=401,
        )
    if not client.is_public and not secret:
        raise OAuthError(
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or "
            "'client_secret'.",
            status=401,
        )
    if not client.is_public and secret != client.secret:
        raise OAuthError(
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the "
            f"client secret value, not the client secret ID, for a secret added to app "
            f"'{client.client_id}'.",
            status=401,
        )
    return client


def _basic_credentials(header: str) -> tuple[str | None, str | None]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(encoded.strip()).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None, None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def _unknown_client(client_id: str) -> OAuthError:
    return OAuthError(
        "unauthorized_client",
        700016,
        f"Application with identifier '{client_id}' was not found in the directory "
        f"'{demo.TENANT_DISPLAY_NAME}'. This can happen if the application has not been "
        "installed by the administrator of the tenant or consented to by any user in the tenant.",
    )


def _grant(
    emulator: Emulator, client: Client, grant_type: str, form: Mapping[str, str]
) -> tuple[DirectoryObject, dict[str, object]]:
    if grant_type == "authorization_code":
        return _code_grant(emulator, client, form)
    if grant_type == "refresh_token":
        return _refresh_grant(emulator, client, form)
    if grant_type == "password":
        return _password_grant(emulator, client, form)
    if not grant_type:
        raise missing_parameter("grant_type")
    raise OAuthError(
        "unsupported_grant_type",
        70003,
        f"The app requested an unsupported grant type '{grant_type}'. The emulator issues "
        "delegated tokens only: authorization_code, refresh_token and password.",
    )


def _code_grant(
    emulator: Emulator, client: Client, form: Mapping[str, str]
) -> tuple[DirectoryObject, dict[str, object]]:
    for name in ("code", "redirect_uri"):
        if not form.get(name):
            raise missing_parameter(name)
    code = emulator.tokens.redeem_code(
        form["code"], client, form["redirect_uri"], form.get("code_verifier")
    )
    user = _active_user(emulator, code.user_id)
    payload = emulator.tokens.token_response(
        user,
        client,
        code.grant,
        access_lifetime=emulator.settings.access_token_lifetime,
        nonce=code.nonce,
        auth_time=code.auth_time,
    )
    return user, payload


def _refresh_grant(
    emulator: Emulator, client: Client, form: Mapping[str, str]
) -> tuple[DirectoryObject, dict[str, object]]:
    if not form.get("refresh_token"):
        raise missing_parameter("refresh_token")
    grant = emulator.tokens.use_refresh_token(form["refresh_token"], client)
    scopes = resolve_scopes(client, form.get("scope") or "openid profile offline_access")
    user = _active_user(emulator, grant.user_id)
    payload = emulator.tokens.token_response(
        user, client, scopes.for_refresh(), access_lifetime=emulator.settings.access_token_lifetime
    )
    return user, payload


def _password_grant(
    emulator: Emulator, client: Client, form: Mapping[str, str]
) -> tuple[DirectoryObject, dict[str, object]]:
    for name in ("username", "password", "scope"):
        if not form.get(name):
            raise missing_parameter(name)
    scopes = resolve_scopes(client, form["scope"])
    user = check_credentials(emulator, form["username"], form["password"])
    payload = emulator.tokens.token_response(
        user, client, scopes, access_lifetime=emulator.settings.access_token_lifetime
    )
    return user, payload


def check_credentials(emulator: Emulator, username: str, password: str) -> DirectoryObject:
    user = emulator.tenant.find_user(username.strip())
    if user is None:
        raise invalid_grant(
            50034,
            f"The user account {username} does not exist in the {demo.TENANT_DOMAIN} directory. "
            "To sign into this application, the account must be added to the directory.",
        )
    # Agent users authenticate through their agent identity and have no password
    # (agentuser.md), so no password is right for them.
    if password != emulator.demo_password or user.subtype == AGENT_USER:
        raise invalid_grant(
            50126, "Error validating credentials due to invalid username or password."
        )
    return _active_user(emulator, user.id)


def _active_user(emulator: Emulator, user_id: str) -> DirectoryObject:
    user = emulator.tenant.find_user(user_id)
    if user is None:
        raise invalid_grant(50034, "The user account does not exist in the directory.")
    if not user.properties.get("accountEnabled", True):
        raise invalid_grant(50057, "The user account is disabled.")
    return user


# -- authorize (browser) ---------------------------------------------------------------


class _PageError(Exception):
    """A problem that must be shown on an error page rather than sent to the client."""

    def __init__(self, error: OAuthError) -> None:
        super().__init__(error.description)
        self.error = error


def authorize(emulator: Emulator, tenant: str, request: Request) -> Response:
    params = request.query if request.method == "GET" else request.form()
    with emulator.lock:
        try:
            client, redirect_uri = _check_client(tenant, params)
        except _PageError as problem:
            return Response.html(400, error_page("Sign-in failed", problem.error.description))
        mode = params.get("response_mode") or "query"
        try:
            grant = _check_request(client, params)
            if request.method == "POST":
                return _complete_sign_in(emulator, tenant, client, grant, params)
        except OAuthError as error:
            return _redirect_error(redirect_uri, mode, params.get("state"), error)
        return _sign_in_form(tenant, client, grant, params, params.get("login_hint", ""), None)


def _check_client(tenant: str, params: Mapping[str, str]) -> tuple[Client, str]:
    if not is_tenant(tenant):
        raise _PageError(tenant_not_found(tenant))
    client = CLIENTS.get(params.get("client_id", "").lower())
    if client is None:
        raise _PageError(_unknown_client(params.get("client_id", "")))
    redirect_uri = params.get("redirect_uri", "")
    if not client.accepts_redirect_uri(redirect_uri):
        raise _PageError(
            OAuthError(
                "invalid_request",
                50011,
                f"The redirect URI '{redirect_uri}' specified in the request does not match the "
                f"redirect URIs configured for the application '{client.client_id}'.",
            )
        )
    return client, redirect_uri


def _check_request(client: Client, params: Mapping[str, str]) -> Grant:
    if params.get("response_type") != "code":
        raise OAuthError(
            "unsupported_response_type",
            700054,
            f"response_type '{params.get('response_type', '')}' is not enabled for the "
            "application. The emulator supports the authorization code flow.",
        )
    if (params.get("response_mode") or "query") not in RESPONSE_MODES:
        raise OAuthError("invalid_request", 900061, "response_mode must be 'query' or 'form_post'.")
    if params.get("code_challenge") and params.get("code_challenge_method") != "S256":
        raise OAuthError(
            "invalid_request",
            501491,
            "The code_challenge_method must be 'S256'; the emulator does not accept 'plain'.",
        )
    grant = resolve_scopes(client, params.get("scope", ""))
    if params.get("prompt") == "none":
        raise OAuthError(
            "login_required",
            50058,
            "A silent sign-in request was sent but no user is signed in.",
        )
    return grant


def _complete_sign_in(
    emulator: Emulator, tenant: str, client: Client, grant: Grant, params: Mapping[str, str]
) -> Response:
    username = params.get("username", "")
    try:
        user = check_credentials(emulator, username, params.get("password", ""))
    except OAuthError as error:
        return _sign_in_form(tenant, client, grant, params, username, _friendly(error))
    code = emulator.tokens.issue_code(
        AuthorizationCode(
            client_id=client.client_id,
            redirect_uri=params["redirect_uri"],
            user_id=user.id,
            grant=grant,
            nonce=params.get("nonce"),
            code_challenge=params.get("code_challenge") or None,
            expires_at=time.time() + CODE_LIFETIME,
            auth_time=int(time.time()),
        )
    )
    result = {"code": code}
    if params.get("state") is not None:
        result["state"] = params["state"]
    result["session_state"] = str(uuid.uuid4())
    return _deliver(params["redirect_uri"], params.get("response_mode") or "query", result)


def _friendly(error: OAuthError) -> str:
    if error.code in (50034, 50126):
        return "Your account or password is incorrect. Check the user name and the demo password."
    return error.message


def _sign_in_form(
    tenant: str,
    client: Client,
    grant: Grant,
    params: Mapping[str, str],
    username: str,
    error: str | None,
) -> Response:
    carried = {name: params[name] for name in AUTHORIZE_PARAMS if name in params}
    action = f"/{tenant}/oauth2/v2.0/authorize"
    links = {
        account.user_principal_name: f"{action}?{urlencode({**carried, 'login_hint': account.user_principal_name})}"
        for account in demo.DEMO_ACCOUNTS
    }
    view = SignInView(
        action=action,
        app_name=client.name,
        scopes=grant.graph + grant.oidc,
        params={k: v for k, v in carried.items() if k != "login_hint"},
        username=username,
        error=error,
        account_links=links,
    )
    return Response.html(200, sign_in_page(view))


def _redirect_error(redirect_uri: str, mode: str, state: str | None, error: OAuthError) -> Response:
    result = {"error": error.error, "error_description": error.description}
    if error.suberror:
        result["error_subcode"] = error.suberror
    if state is not None:
        result["state"] = state
    return _deliver(redirect_uri, mode if mode in RESPONSE_MODES else "query", result)


def _deliver(redirect_uri: str, mode: str, result: dict[str, str]) -> Response:
    if mode == "form_post":
        return Response.html(200, form_post_page(redirect_uri, result))
    return Response.redirect(_with_query(redirect_uri, result))


def _with_query(uri: str, extra: Mapping[str, str]) -> str:
    parts = urlsplit(uri)
    query = "&".join(q for q in (parts.query, urlencode(extra)) if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


# -- logout (browser) --------------------------------------------------------------------


def logout(request: Request) -> Response:
    params = request.query if request.method == "GET" else request.form()
    target = params.get("post_logout_redirect_uri")
    if target and is_post_logout_uri_allowed(target):
        extra = {"state": params["state"]} if "state" in params else {}
        return Response.redirect(_with_query(target, extra))
    return Response.html(200, signed_out_page(target))
