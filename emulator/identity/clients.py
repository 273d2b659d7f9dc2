"""App registrations and delegated scopes: which client may ask for what, and where to."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from emulator.identity.oauth_errors import OAuthError
from emulator.tenant import demo

GRAPH_PREFIX = f"{demo.GRAPH_RESOURCE}/"
GRAPH_DEFAULT_SCOPES = (f"{GRAPH_PREFIX}.default", f"{demo.GRAPH_APP_ID}/.default")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1")
_CANONICAL_SCOPES = {scope.lower(): scope for scope in demo.GRAPH_SCOPES}
# Entra issues a Graph token with User.Read when only OpenID scopes are requested.
BASELINE_SCOPE = "User.Read"


@dataclass(frozen=True, slots=True)
class Client:
    client_id: str
    name: str
    secret: str | None  # None for a public client
    redirect_uris: tuple[str, ...]

    @property
    def is_public(self) -> bool:
        return self.secret is None

    def accepts_redirect_uri(self, candidate: str) -> bool:
        return any(_redirect_matches(registered, candidate) for registered in self.redirect_uris)


CLIENTS: dict[str, Client] = {
    demo.PORTAL_CLIENT_ID: Client(
        demo.PORTAL_CLIENT_ID,
        demo.PORTAL_APP_NAME,
        demo.PORTAL_CLIENT_SECRET,
        demo.PORTAL_REDIRECT_URIS,
    ),
    demo.AZURE_CLI_CLIENT_ID: Client(
        demo.AZURE_CLI_CLIENT_ID, demo.AZURE_CLI_APP_NAME, None, ("http://localhost",)
    ),
}


def _redirect_matches(registered: str, candidate: str) -> bool:
    """Exact match, except that the port of an http loopback URI is ignored (as Entra does)."""
    if registered == candidate:
        return True
    mine, theirs = urlsplit(registered), urlsplit(candidate)
    if mine.scheme != "http" or mine.hostname not in LOOPBACK_HOSTS:
        return False
    try:
        theirs.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return (
        theirs.scheme == "http"
        and theirs.hostname == mine.hostname
        and (theirs.path or "/") == (mine.path or "/")
        and theirs.query == mine.query
        and not theirs.fragment
        and not theirs.username
    )


def is_post_logout_uri_allowed(uri: str) -> bool:
    parts = urlsplit(uri)
    try:
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return False
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS and not parts.username


@dataclass(frozen=True, slots=True)
class Grant:
    """The scopes granted for one token request."""

    graph: tuple[str, ...]  # canonical short names, e.g. "User.Read.All"
    oidc: tuple[str, ...]
    used_default: bool

    @property
    def response_scope(self) -> str:
        scopes = [f"{GRAPH_PREFIX}{name}" for name in self.graph]
        if self.used_default:
            scopes.append(f"{GRAPH_PREFIX}.default")
        return " ".join([*scopes, *self.oidc])

    @property
    def scp(self) -> str:
        return " ".join([*self.graph, *(s for s in self.oidc if s != "offline_access")])

    @property
    def offline(self) -> bool:
        return "offline_access" in self.oidc

    def for_refresh(self) -> Grant:
        """A refresh always answers with a new refresh token and an id_token, as Entra does
        (and as MSAL needs to keep the account, stack-notes M3)."""
        oidc = tuple(dict.fromkeys([*self.oidc, "openid", "offline_access"]))
        return Grant(self.graph, oidc, self.used_default)


def resolve_scopes(client: Client, requested: str) -> Grant:
    """Map a `scope` parameter to consented Graph scopes; OAuthError when any is not."""
    tokens = requested.split()
    if not tokens:
        raise OAuthError(
            "invalid_scope", 70011, "The provided request must include a 'scope' input parameter."
        )
    graph: set[str] = set()
    oidc: list[str] = []
    used_default = False
    for token in tokens:
        if token.lower() in demo.OIDC_SCOPES:
            oidc.append(token.lower())
        elif token.lower() in GRAPH_DEFAULT_SCOPES:
            graph.update(demo.GRAPH_SCOPES)
            used_default = True
        else:
            graph.add(_graph_scope(client, token))
    return Grant(tuple(sorted(graph or {BASELINE_SCOPE})), tuple(dict.fromkeys(oidc)), used_default)


def _graph_scope(client: Client, token: str) -> str:
    name = token[len(GRAPH_PREFIX) :] if token.lower().startswith(GRAPH_PREFIX) else token
    if "/" in name or ":" in name:
        resource = token.rsplit("/", 1)[0]
        raise OAuthError(
            "invalid_resource",
            500011,
            f"The resource principal named {resource} was not found in the tenant named "
            f"{demo.TENANT_DISPLAY_NAME}. This can happen if the application has not been "
            "installed by the administrator of the tenant or consented to by any user in the "
            "tenant.",
        )
    canonical = _CANONICAL_SCOPES.get(name.lower())
    if canonical is None:
        raise OAuthError(
            "invalid_grant",
            65001,
            f"The user or administrator has not consented to use the application with ID "
            f"'{client.client_id}' named '{client.name}'. Send an interactive authorization "
            f"request for this user and resource. (Scope not consented: {name})",
            suberror="consent_required",
        )
    return canonical
