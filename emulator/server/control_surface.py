"""`/_emulator/…` on the browser port: reset, faults, request and write logs, tokens,
settings, the write quota, the filter index's lag and the clock.

JSON in and out, for loopback clients only. A browser form may post to it (the reset
button), but never from another origin.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from emulator.graph.index import IndexConfigError
from emulator.graph.quota import QuotaConfig, QuotaConfigError
from emulator.server.clock import ClockError
from emulator.server.faults import FaultConfigError
from emulator.server.pages import ControlView, control_page
from emulator.server.state import Emulator
from emulator.server.switches import SettingsError
from emulator.server.web import Request, Response
from emulator.server.writelog import MAX_PAGE_SIZE, PAGE_SIZE
from emulator.tenant import demo
from emulator.tenant.seed import SeedError

PREFIX = "/_emulator"
RECENT_ON_PAGE = 25


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class ControlSurface:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.routes: dict[tuple[str, str], Callable[[Request], Response]] = {
            ("GET", ""): self.page,
            ("GET", "/state"): self.state,
            ("POST", "/reset"): self.reset,
            ("GET", "/faults"): self.get_faults,
            ("POST", "/faults"): self.set_faults,
            ("GET", "/requests"): self.requests,
            ("POST", "/tokens/revoke"): self.revoke,
            ("POST", "/tokens/expire"): self.expire,
            ("GET", "/settings"): self.get_settings,
            ("POST", "/settings"): self.set_settings,
            ("GET", "/throttling"): self.get_throttling,
            ("POST", "/throttling"): self.set_throttling,
            ("GET", "/writes"): self.writes,
            ("GET", "/index"): self.get_index,
            ("POST", "/index"): self.set_index,
            ("GET", "/clock"): self.get_clock,
            ("POST", "/clock"): self.advance_clock,
            ("POST", "/objects/rename"): self.rename,
        }

    def handle(self, request: Request) -> Response:
        if not is_loopback(request.client_ip):
            return Response.json(
                403, {"error": "The control surface answers loopback clients only."}
            )
        if request.method == "POST" and not self._same_origin(request):
            return Response.json(403, {"error": "Cross-origin requests are refused."})
        route = self.routes.get((request.method, request.path[len(PREFIX) :].rstrip("/")))
        if route is None:
            return Response.json(
                404, {"error": f"No control endpoint {request.method} {request.path}."}
            )
        try:
            return route(request)
        except ControlError as error:
            return Response.json(error.status, {"error": str(error)})

    def _same_origin(self, request: Request) -> bool:
        origin = request.header("origin")
        if not origin:
            return True  # scripts and tests send no Origin header
        parts = urlsplit(origin)
        return (
            parts.hostname in ("localhost", "127.0.0.1", "::1")
            and parts.port == self.emulator.urls.browser_port
        )

    # -- endpoints ---------------------------------------------------------------------

    def page(self, _request: Request) -> Response:
        with self.emulator.lock:
            view = ControlView(
                state=self._state(),
                authority=self.emulator.urls.authority,
                graph_url=self.emulator.urls.graph_root,
                ca_path=str(self.emulator.ca_path),
                requests=list(reversed(self.emulator.log.entries[-RECENT_ON_PAGE:])),
            )
        return Response.html(200, control_page(view))

    def state(self, _request: Request) -> Response:
        with self.emulator.lock:
            return Response.json(200, self._state())

    def _state(self) -> dict[str, Any]:
        emulator = self.emulator
        tenant = emulator.tenant
        return {
            "tenant_id": demo.TENANT_ID,
            "seed": emulator.seed,
            "revision": tenant.revision,
            "counts": {
                "users": len(tenant.users),
                "servicePrincipals": len(tenant.service_principals),
                "attributeSets": len(tenant.attribute_sets),
                "definitions": len(tenant.definitions),
                "activeDefinitions": tenant.active_definition_count(),
                "audits": len(tenant.audits),
                "roleAssignments": len(tenant.role_assignments),
            },
            "faults": emulator.faults.to_json(),
            "settings": emulator.settings.to_json(),
            "throttling": emulator.quota.to_json(),
            "index": emulator.index.to_json(),
            "clock": emulator.clock.to_json(),
            "writes": len(emulator.writes.entries),
            "token_grants": {
                grant: emulator.tokens.grants.get(grant, 0)
                for grant in ("authorization_code", "refresh_token", "password")
            },
        }

    def reset(self, request: Request) -> Response:
        if request.header("content-type").startswith("application/x-www-form-urlencoded"):
            self.emulator.reset()
            return Response(303, b"", [("Location", f"{PREFIX}/")])
        body = _json_object(request)
        seed = body.get("seed")
        if seed is not None and not isinstance(seed, str):
            raise ControlError(400, "seed must be 'demo' or 'large:N'.")
        try:
            self.emulator.reset(seed)
        except SeedError as error:
            raise ControlError(400, str(error)) from error
        return Response.json(200, {"ok": True, "seed": self.emulator.seed})

    def get_faults(self, _request: Request) -> Response:
        with self.emulator.lock:
            return Response.json(200, self.emulator.faults.to_json())

    def set_faults(self, request: Request) -> Response:
        body = _json_object(request)
        with self.emulator.lock:
            try:
                self.emulator.faults.configure(body)
            except FaultConfigError as error:
                raise ControlError(400, str(error)) from error
            return Response.json(200, self.emulator.faults.to_json())

    def requests(self, request: Request) -> Response:
        since = _whole_number(request, "since", 0)
        with self.emulator.lock:
            return Response.json(200, self.emulator.log.since(since))

    def writes(self, request: Request) -> Response:
        since = _whole_number(request, "since", 0)
        limit = _whole_number(request, "limit", PAGE_SIZE)
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ControlError(400, f"limit must be between 1 and {MAX_PAGE_SIZE}.")
        with self.emulator.lock:
            page = self.emulator.writes.page(since, limit)
        return Response.json(200, page)  # encoded without the lock: pages can be large

    def revoke(self, request: Request) -> Response:
        upn = _json_object(request).get("upn")
        if not isinstance(upn, str) or not upn:
            raise ControlError(400, 'Send {"upn": "user@contoso.example"}.')
        with self.emulator.lock:
            revoked = self.emulator.tokens.revoke_user(upn)
        return Response.json(200, {"ok": True, "revoked_refresh_tokens": revoked})

    def expire(self, _request: Request) -> Response:
        with self.emulator.lock:
            self.emulator.tokens.expire_access_tokens()
        return Response.json(200, {"ok": True})

    def get_settings(self, _request: Request) -> Response:
        with self.emulator.lock:
            return Response.json(200, self.emulator.settings.to_json())

    def set_settings(self, request: Request) -> Response:
        body = _json_object(request)
        with self.emulator.lock:
            try:
                self.emulator.settings.update(body)
            except SettingsError as error:
                raise ControlError(400, str(error)) from error
            return Response.json(200, self.emulator.settings.to_json())

    def get_throttling(self, _request: Request) -> Response:
        with self.emulator.lock:
            return Response.json(200, self.emulator.quota.to_json())

    def set_throttling(self, request: Request) -> Response:
        body = _json_object(request)
        if set(body) != {"write_quota"}:
            raise ControlError(
                400, 'Send {"write_quota": {"limit": N, "window_seconds": S, …}} or null.'
            )
        try:
            config = QuotaConfig.parse(body["write_quota"])
        except QuotaConfigError as error:
            raise ControlError(400, str(error)) from error
        with self.emulator.lock:
            self.emulator.quota.configure(config)
            return Response.json(200, self.emulator.quota.to_json())

    def get_index(self, _request: Request) -> Response:
        with self.emulator.lock:
            return Response.json(200, self.emulator.index.to_json())

    def set_index(self, request: Request) -> Response:
        body = _json_object(request)
        if set(body) != {"lag_seconds"}:
            raise ControlError(400, 'Send {"lag_seconds": S}.')
        with self.emulator.lock:
            try:
                self.emulator.index.configure(body["lag_seconds"])
            except IndexConfigError as error:
                raise ControlError(400, str(error)) from error
            return Response.json(200, self.emulator.index.to_json())

    def rename(self, request: Request) -> Response:
        """Sets a user's or service principal's display name, as the admin center or
        another tool with rights the portal never has would: for tests of text from Graph."""
        body = _json_object(request)
        object_id, name = body.get("id"), body.get("displayName")
        if set(body) != {"id", "displayName"} or not isinstance(object_id, str):
            raise ControlError(400, 'Send {"id": OBJECT_ID, "displayName": TEXT}.')
        if not isinstance(name, str) or not name or len(name) > 256:
            raise ControlError(400, "displayName must be text of 1 to 256 characters.")
        with self.emulator.lock:
            found = self.emulator.tenant.find_principal(object_id)
            if found is None:
                raise ControlError(404, f"No user or service principal {object_id!r}.")
            # Properties are shared with clones, so they are replaced, never changed in place.
            found.properties = {**found.properties, "displayName": name}
        return Response.json(200, {"ok": True})

    def get_clock(self, _request: Request) -> Response:
        with self.emulator.lock:
            return Response.json(200, self.emulator.clock.to_json())

    def advance_clock(self, request: Request) -> Response:
        body = _json_object(request)
        if set(body) != {"advance_seconds"}:
            raise ControlError(400, 'Send {"advance_seconds": S}.')
        with self.emulator.lock:
            try:
                self.emulator.clock.advance(body["advance_seconds"])
            except ClockError as error:
                raise ControlError(400, str(error)) from error
            return Response.json(200, self.emulator.clock.to_json())


def _whole_number(request: Request, name: str, default: int) -> int:
    value = request.query.get(name, str(default))
    if not value.isdigit():
        raise ControlError(400, f"{name} must be a whole number.")
    return int(value)


def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ControlError(400, f"The body is not valid JSON: {error}") from error
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ControlError(400, "The body must be a JSON object.")
    return body
