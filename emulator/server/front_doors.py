"""The two front doors: the HTTPS API (OIDC + Graph) and the plain-HTTP browser port."""

from __future__ import annotations

import re
from urllib.parse import unquote

from emulator.graph.service import GRAPH_PREFIX, GraphService
from emulator.identity import endpoints as identity
from emulator.server.control_surface import PREFIX, ControlSurface
from emulator.server.pages import error_page
from emulator.server.state import Emulator
from emulator.server.web import Request, Response

_DISCOVERY = re.compile(r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$")
_KEYS = re.compile(r"^/(?P<tenant>[^/]+)/discovery(?:/v2\.0)?/keys$")
_TOKEN = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$")
_AUTHORIZE = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/authorize$")
_LOGOUT = re.compile(r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/logout$")
_USER_REALM = re.compile(r"^/common/userrealm/(?P<username>[^/]+)$")


class ApiApp:
    """HTTPS: everything MSAL and Graph clients call."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.graph = GraphService(emulator)

    def __call__(self, request: Request) -> Response:
        path = request.path
        if path.startswith(GRAPH_PREFIX):
            return self.graph.handle(request)
        if match := _DISCOVERY.match(path):
            return identity.discovery(self.emulator, match["tenant"])
        if match := _KEYS.match(path):
            return identity.keys(self.emulator, match["tenant"])
        if (match := _TOKEN.match(path)) and request.method == "POST":
            return identity.token(self.emulator, match["tenant"], request)
        if match := _USER_REALM.match(path):
            return identity.user_realm(unquote(match["username"]))
        if _AUTHORIZE.match(path) or _LOGOUT.match(path):
            # The browser pages live on the plain-HTTP port; send people there.
            query = f"?{request.query_string}" if request.query_string else ""
            return Response.redirect(f"{self.emulator.urls.browser_base}{path}{query}")
        return Response.json(
            404, {"error": "not_found", "error_description": f"No endpoint at {path}."}
        )


class BrowserApp:
    """Plain HTTP: the sign-in and sign-out pages, and the control surface."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.control = ControlSurface(emulator)

    def __call__(self, request: Request) -> Response:
        path = request.path
        if path == PREFIX or path.startswith(f"{PREFIX}/"):
            return self.control.handle(request)
        if (match := _AUTHORIZE.match(path)) and request.method in ("GET", "POST"):
            return identity.authorize(self.emulator, match["tenant"], request)
        if _LOGOUT.match(path) and request.method in ("GET", "POST"):
            return identity.logout(request)
        if path == "/":
            return Response.redirect(f"{PREFIX}/")
        return Response.html(404, error_page("Not found", f"There is nothing at {path}."))
