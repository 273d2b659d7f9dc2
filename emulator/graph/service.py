"""The Graph pipeline: version, bearer token, write quota, injected faults, routing,
logs, response.

Latency and stalls are waited out before the lock is taken, so concurrent requests
overlap. The write quota is checked after authentication (it is per app) and before
faults, so a throttled write consumes no fault rule and changes nothing; faults are drawn
after authentication, so a request with a bad token never consumes a fault rule. Inside
`$batch` each item is a Graph request of its own: it is logged, counted against the
quota, can be hit by a fault rule, and goes through the same handlers and permission
checks. Every write that reaches a handler goes to the write log.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from emulator.graph import audits, directory, roles, schema
from emulator.graph.batch import run_batch
from emulator.graph.context import GraphContext, GraphRequest, Reply
from emulator.graph.errors import (
    GraphError,
    bad_request,
    method_not_allowed,
    server_fault,
    throttled,
    unauthenticated,
)
from emulator.graph.quota import Admission, priority_of, throttle_scope
from emulator.graph.router import Router
from emulator.identity.tokens import AccessTokenError, Caller
from emulator.server.faults import Fault
from emulator.server.state import Emulator
from emulator.server.web import Request, Response, dump_json
from emulator.tenant import demo

VERSIONS = ("v1.0", "beta")
GRAPH_PREFIX = "/graph/"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
LIMIT_PERCENTAGE = "x-ms-throttle-limit-percentage"
JSON_CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;"
    "charset=utf-8"
)
DIAGNOSTIC = json.dumps(
    {"ServerInfo": {"DataCenter": "Local Emulator", "Slice": "E", "Ring": "0", "ScaleUnit": "000",
                    "RoleInstance": "emulator", "ADSiteName": "LOC"}},
    separators=(",", ":"),
)  # fmt: skip


class ConnectionDrop(Exception):
    """A fault rule says: close the connection without answering."""


def build_router() -> Router:
    router = Router()
    csa_definitions = "/directory/customSecurityAttributeDefinitions"
    router.add("/directory/attributeSets", GET=schema.list_sets, POST=schema.create_set)
    router.add(
        "/directory/attributeSets/{set_id}",
        GET=schema.get_set, PATCH=schema.update_set, DELETE=schema.deny_delete,
    )  # fmt: skip
    router.add(csa_definitions, GET=schema.list_definitions, POST=schema.create_definition)
    router.add(
        f"{csa_definitions}/{{definition_id}}",
        GET=schema.get_definition, PATCH=schema.update_definition, DELETE=schema.deny_delete,
    )  # fmt: skip
    router.add(
        f"{csa_definitions}/{{definition_id}}/allowedValues",
        GET=schema.list_allowed_values, POST=schema.create_allowed_value,
    )  # fmt: skip
    router.add(
        f"{csa_definitions}/{{definition_id}}/allowedValues/{{value_id}}",
        GET=schema.get_allowed_value, PATCH=schema.update_allowed_value, DELETE=schema.deny_delete,
    )  # fmt: skip
    agent_users = "/users/microsoft.graph.agentUser"
    router.add("/users/$count", GET=directory.count_users)
    router.add(f"{agent_users}/$count", GET=directory.count_agent_users)
    router.add(agent_users, GET=directory.list_agent_users)
    router.add("/users", GET=directory.list_users, POST=directory.forbid)
    router.add(
        "/users/{user_id}",
        GET=directory.get_user, PATCH=directory.patch_user, DELETE=directory.forbid,
    )  # fmt: skip
    router.add(
        "/users/{user_id}/microsoft.graph.agentUser",
        GET=directory.get_agent_user, PATCH=directory.patch_agent_user,
    )  # fmt: skip
    router.add("/users/{user_id}/sponsors", GET=directory.list_user_sponsors)
    router.add("/me", GET=directory.get_me, PATCH=directory.patch_me)
    router.add("/me/memberOf", GET=roles.my_member_of)
    router.add("/me/memberOf/microsoft.graph.directoryRole", GET=roles.my_directory_roles)
    agents = "/servicePrincipals/microsoft.graph.agentIdentity"
    blueprints = "/servicePrincipals/microsoft.graph.agentIdentityBlueprintPrincipal"
    router.add("/servicePrincipals/$count", GET=directory.count_service_principals)
    router.add(f"{agents}/$count", GET=directory.count_agent_identities)
    router.add(f"{blueprints}/$count", GET=directory.count_agent_blueprint_principals)
    router.add(agents, GET=directory.list_agent_identities)
    router.add(blueprints, GET=directory.list_agent_blueprint_principals)
    router.add(
        "/servicePrincipals",
        GET=directory.list_service_principals, POST=directory.forbid,
    )  # fmt: skip
    router.add(
        "/servicePrincipals/{sp_id}",
        GET=directory.get_service_principal, PATCH=directory.patch_service_principal,
        DELETE=directory.forbid,
    )  # fmt: skip
    router.add(
        "/servicePrincipals/{sp_id}/microsoft.graph.agentIdentity",
        GET=directory.get_agent_identity, PATCH=directory.patch_agent_identity,
    )  # fmt: skip
    router.add(
        "/servicePrincipals/{sp_id}/microsoft.graph.agentIdentity/sponsors",
        GET=directory.list_agent_identity_sponsors,
    )  # fmt: skip
    router.add(
        "/servicePrincipals/{sp_id}/microsoft.graph.agentIdentityBlueprintPrincipal",
        GET=directory.get_agent_blueprint_principal,
        PATCH=directory.patch_agent_blueprint_principal,
    )  # fmt: skip
    router.add(
        "/servicePrincipals/{sp_id}/microsoft.graph.agentIdentityBlueprintPrincipal/sponsors",
        GET=directory.list_agent_blueprint_principal_sponsors,
    )  # fmt: skip
    assignments = "/roleManagement/directory/roleAssignments"
    router.add(assignments, GET=roles.list_role_assignments, POST=roles.create_role_assignment)
    router.add(
        f"{assignments}/{{assignment_id}}",
        GET=roles.get_role_assignment, DELETE=roles.delete_role_assignment,
    )  # fmt: skip
    router.add("/roleManagement/directory/roleDefinitions", GET=roles.list_role_definitions)
    router.add("/roleManagement/directory/roleDefinitions/{role_id}", GET=roles.get_role_definition)
    router.add("/auditLogs/customSecurityAttributeAudits", GET=audits.list_audits)
    router.add("/auditLogs/customSecurityAttributeAudits/{audit_id}", GET=audits.get_audit)
    return router


class GraphService:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.router = build_router()

    def handle(self, request: Request) -> Response:
        version, _, rest = request.path[len(GRAPH_PREFIX) :].partition("/")
        request_id = str(uuid.uuid4())
        client_request_id = request.header("client-request-id") or str(uuid.uuid4())
        with self.emulator.lock:
            connection = self.emulator.faults.connection()
        if connection.delay_seconds:
            time.sleep(connection.delay_seconds)  # outside the lock: other requests keep flowing
        with self.emulator.lock:
            revision = self.emulator.tenant.revision
            first_write = self.emulator.writes.next_seq
            graph_request: GraphRequest | None = None
            dropped = connection.drop
            try:
                if version not in VERSIONS:
                    raise bad_request(f"Invalid version: {version}", "BadRequest")
                graph_request = GraphRequest(
                    method=request.method,
                    version=version,
                    path="/" + rest,
                    params=tuple(_query_pairs(request.query_string)),
                    headers=request.headers,
                    body=request.body,
                    caller=self._authenticate(request),
                    request_id=request_id,
                    client_request_id=client_request_id,
                    client_ip=request.client_ip,
                )
                reply = self._top_level(graph_request)
            except GraphError as error:
                reply = _error_reply(error, request_id, client_request_id)
            except ConnectionDrop:
                dropped = True
            if dropped:
                self.emulator.writes.unanswered(first_write)
            status = None if dropped else reply.status
            self._log(
                request, graph_request, status, request_id, client_request_id,
                stalled=connection.stalled,
            )  # fmt: skip
            response = (
                Response.dropped() if dropped else _response(reply, request_id, client_request_id)
            )
            changed = self.emulator.tenant.revision != revision
        if changed:
            self.emulator.changed()
        return response

    def _authenticate(self, request: Request) -> Caller:
        scheme, _, token = request.header("authorization").partition(" ")
        if not token.strip() or scheme.lower() != "bearer":
            raise unauthenticated("Access token is empty.")
        try:
            return self.emulator.tokens.verify_access_token(token.strip())
        except AccessTokenError as error:
            raise unauthenticated(str(error)) from error

    def _top_level(self, request: GraphRequest) -> Reply:
        if request.path.rstrip("/") != "/$batch":
            return self.execute(request)
        if request.method != "POST":
            raise method_not_allowed()
        fault = self.emulator.faults.pick(request.method, "/$batch", random_faults=False)
        if fault is not None and not fault.after:
            return _fault_reply(fault, request)
        reply = run_batch(request, self._execute_logged)
        # The envelope is no write, but it tells the client how full the bucket is now.
        percentage = self.emulator.quota.limit_percentage(request.caller.app_id, demo.TENANT_ID)
        if percentage is not None:
            reply.headers[LIMIT_PERCENTAGE] = percentage
        return _fault_reply(fault, request) if fault is not None else reply

    def _execute_logged(self, request: GraphRequest) -> Reply:
        reply = self.execute(request)
        self._log_graph(request, reply.status)
        return reply

    def execute(self, request: GraphRequest) -> Reply:
        """One Graph request, with the write quota and faults; errors become replies, a
        drop propagates."""
        admission: Admission | None = None
        if request.method in WRITE_METHODS:
            admission = self.emulator.quota.admit(
                request.caller.app_id, demo.TENANT_ID, request.priority
            )
            if not admission.admitted:
                return _throttled_reply(admission, request)
        fault = self.emulator.faults.pick(request.method, request.path)
        if fault is not None and not fault.after:
            return _fault_reply(fault, request)
        context = GraphContext(
            request,
            self.emulator.tenant,
            self.emulator.settings,
            self.emulator.urls.graph_root,
            self.emulator.query_cache,
            self.emulator.index,
        )
        try:
            reply = self.router.dispatch(context)
        except GraphError as error:
            reply = _error_reply(error, request.request_id, request.client_request_id)
        if admission is not None:
            self._log_write(request, reply, fault)
            if (percentage := admission.limit_percentage) is not None:
                reply.headers[LIMIT_PERCENTAGE] = percentage
        return _fault_reply(fault, request) if fault is not None else reply

    def _log_write(self, request: GraphRequest, reply: Reply, fault: Fault | None) -> None:
        answered: int | None = reply.status
        if fault is not None:
            answered = None if fault.drops_connection else int(fault.status)
        self.emulator.writes.record(
            method=request.method,
            version=request.version,
            path=request.path,
            target_id=self._target_id(request, reply),
            status=answered,
            handler_status=reply.status,
            client_request_id=request.client_request_id,
            request_id=request.request_id,
            priority=request.priority,
            app_id=request.caller.app_id,
            in_batch=request.in_batch,
        )

    def _target_id(self, request: GraphRequest, reply: Reply) -> str | None:
        """The id of the object written: the created one's, the one in the URL (a user's
        or service principal's object id even when addressed by UPN or appId), or the
        caller's for `/me`."""
        body = reply.body
        if reply.status == 201 and isinstance(body, dict) and isinstance(body.get("id"), str):
            return body["id"]
        params = self.router.params(request.path)
        if params is None:
            return None
        if not params:
            return request.caller.user_id if request.path.strip("/").lower() == "me" else None
        tenant = self.emulator.tenant
        if "user_id" in params:
            found = tenant.find_user(params["user_id"])
        elif "sp_id" in params:
            key = params["sp_id"]
            found = tenant.find_service_principal(key)
            if key.startswith("appId="):
                app_id = key.removeprefix("appId=").lower()
                sps = tenant.service_principals.values()
                found = next((sp for sp in sps if sp.properties["appId"] == app_id), None)
        else:
            return list(params.values())[-1]
        return found.id if found is not None else next(iter(params.values()))

    def _log(
        self,
        request: Request,
        graph_request: GraphRequest | None,
        status: int | None,
        request_id: str,
        client_request_id: str,
        *,
        stalled: bool,
    ) -> None:
        if graph_request is not None:
            self._log_graph(graph_request, status, stalled=stalled)
            return
        version, _, rest = request.path[len(GRAPH_PREFIX) :].partition("/")
        self.emulator.log.record(
            kind="graph",
            method=request.method,
            version=version,
            path="/" + rest,
            query=dict(_query_pairs(request.query_string)),
            status=status,
            request_id=request_id,
            client_request_id=client_request_id,
            upn=None,
            in_batch=False,
            consistency_level=request.header("consistencylevel") or None,
            priority=priority_of(request.header("x-ms-throttle-priority")),
            stalled=stalled,
        )

    def _log_graph(
        self, request: GraphRequest, status: int | None, *, stalled: bool = False
    ) -> None:
        self.emulator.log.record(
            kind="graph",
            method=request.method,
            version=request.version,
            path=request.path,
            query=dict(request.params),
            status=status,
            request_id=request.request_id,
            client_request_id=request.client_request_id,
            upn=request.caller.upn,
            in_batch=request.in_batch,
            consistency_level=request.header("consistencylevel") or None,
            priority=request.priority,
            stalled=stalled,
        )


def _query_pairs(query_string: str) -> list[tuple[str, str]]:
    return parse_qsl(query_string, keep_blank_values=True)


def _throttled_reply(admission: Admission, request: GraphRequest) -> Reply:
    error = throttled(str(admission.retry_after))
    error.headers["x-ms-throttle-scope"] = throttle_scope(request.caller.app_id, demo.TENANT_ID)
    error.headers["x-ms-throttle-information"] = "WriteLimitExceeded"
    return _error_reply(error, request.request_id, request.client_request_id)


def _fault_reply(fault: Fault, request: GraphRequest) -> Reply:
    if fault.drops_connection:
        raise ConnectionDrop
    if fault.status == 429:
        error = throttled(fault.retry_after or "2")
    else:
        error = server_fault(int(fault.status), fault.retry_after if fault.status == 503 else None)
    return _error_reply(error, request.request_id, request.client_request_id)


def _error_reply(error: GraphError, request_id: str, client_request_id: str) -> Reply:
    headers = dict(error.headers)
    if error.status == 401:
        headers["WWW-Authenticate"] = (
            'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/'
            'oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"'
        )
    return Reply(error.status, error.envelope(request_id, client_request_id), headers)


def _response(reply: Reply, request_id: str, client_request_id: str) -> Response:
    headers: list[tuple[str, str]] = [
        ("Cache-Control", "no-cache"),
        ("Strict-Transport-Security", "max-age=31536000"),
        ("request-id", request_id),
        ("client-request-id", client_request_id),
        ("x-ms-ags-diagnostic", DIAGNOSTIC),
        ("x-ms-resource-unit", "1"),
        ("OData-Version", "4.0"),
    ]
    body = b""
    content_type = reply.headers.pop("Content-Type", None)
    if reply.body is not None:
        body = _encode_body(reply.body, content_type)
        headers.append(("Content-Type", content_type or JSON_CONTENT_TYPE))
    headers += list(reply.headers.items())
    return Response(reply.status, body, headers)


def _encode_body(body: Any, content_type: str | None) -> bytes:
    if content_type and content_type.startswith("text/plain"):
        return str(body).encode("utf-8")
    return dump_json(body)
