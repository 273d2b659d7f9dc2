"""Role management: role definitions, role assignments, and `/me/memberOf`.

[inf] A user may read their own role assignments (a `$filter` pinned to their own
principalId) with RoleManagement.Read.Directory; reading anyone else's needs Global
Administrator, Privileged Role Administrator, Global Reader or Directory Readers.
Only Global Administrator and Privileged Role Administrator may create or remove them.
"""

from __future__ import annotations

from typing import Any

from emulator.graph import access
from emulator.graph.context import GraphContext, Reply
from emulator.graph.errors import bad_request, not_found, unknown_property
from emulator.graph.odata import (
    Compare,
    Field,
    In,
    Logical,
    Node,
    compile_filter,
    paginate,
    parse_filter,
)
from emulator.tenant import demo
from emulator.tenant.model import RoleAssignment
from emulator.tenant.rolecatalog import ROLE_DEFINITIONS, ROLES_BY_ID
from emulator.tenant.seed import role_assignment_id

ASSIGNMENT_TYPE = "microsoft.graph.unifiedRoleAssignment"
ASSIGNMENT_FIELDS = {
    "id": "id",
    "principalid": "principalId",
    "roledefinitionid": "roleDefinitionId",
    "directoryscopeid": "directoryScopeId",
}
DEFINITION_FIELDS = {"id": "id", "displayname": "displayName", "templateid": "templateId"}
_EQ_IN = frozenset({"eq", "in"})


# -- role definitions --------------------------------------------------------------------


def list_role_definitions(ctx: GraphContext) -> Reply:
    access.require_scope(ctx.caller, access.ROLE_READ)
    definitions = [role.to_graph() for role in ROLE_DEFINITIONS]
    if ctx.request.options.filter:
        predicate = compile_filter(
            parse_filter(ctx.request.options.filter), lambda p: _field(p, DEFINITION_FIELDS)
        ).predicate
        definitions = [d for d in definitions if predicate(d)]
    context = ctx.context_url("roleManagement/directory/roleDefinitions")
    return Reply(200, {"@odata.context": context, "value": definitions})


def get_role_definition(ctx: GraphContext, role_id: str) -> Reply:
    access.require_scope(ctx.caller, access.ROLE_READ)
    role = ROLES_BY_ID.get(role_id.lower())
    if role is None:
        raise not_found(role_id)
    context = ctx.context_url("roleManagement/directory/roleDefinitions/$entity")
    return Reply(200, {"@odata.context": context, **role.to_graph()})


# -- role assignments --------------------------------------------------------------------


def list_role_assignments(ctx: GraphContext) -> Reply:
    access.require_scope(ctx.caller, access.ROLE_READ)
    options = ctx.request.options
    assignments = list(ctx.tenant.role_assignments)
    node = parse_filter(options.filter) if options.filter else None
    if node is not None:
        predicate = compile_filter(node, lambda p: _field(p, ASSIGNMENT_FIELDS)).predicate
        assignments = [a for a in assignments if predicate(a.to_graph())]
    if not ctx.access.read_others_roles:
        pinned = _pinned_principals(node) if node is not None else None
        access.require(ctx.settings.self_role_read and pinned == {ctx.caller.user_id})
    expand = _expansions(ctx)
    page = paginate(assignments, options, ctx.request_url)
    suffix = f"({','.join(f'{name}()' for name in expand)})" if expand else ""
    body: dict[str, Any] = {
        "@odata.context": ctx.context_url(f"roleManagement/directory/roleAssignments{suffix}"),
        "value": [_assignment_json(ctx, a, expand) for a in page.items],
    }
    if page.next_link:
        body["@odata.nextLink"] = page.next_link
    return Reply(200, body)


def get_role_assignment(ctx: GraphContext, assignment_id: str) -> Reply:
    access.require_scope(ctx.caller, access.ROLE_READ)
    assignment = _find_assignment(ctx, assignment_id)
    if not ctx.access.read_others_roles:
        own = assignment.principal_id == ctx.caller.user_id
        access.require(own and ctx.settings.self_role_read)
    context = ctx.context_url("roleManagement/directory/roleAssignments/$entity")
    return Reply(
        200, {"@odata.context": context, **_assignment_json(ctx, assignment, _expansions(ctx))}
    )


def create_role_assignment(ctx: GraphContext) -> Reply:
    access.require_scope(ctx.caller, access.ROLE_WRITE)
    access.require(ctx.access.manage_roles)
    body = ctx.request.json_object()
    for key in body:
        if key not in (
            "@odata.type",
            "roleDefinitionId",
            "principalId",
            "directoryScopeId",
            "appScopeId",
        ):
            raise unknown_property(key, ASSIGNMENT_TYPE)
    role = ROLES_BY_ID.get(str(body.get("roleDefinitionId", "")).lower())
    if role is None:
        raise bad_request(f"The role definition '{body.get('roleDefinitionId')}' does not exist.")
    principal_id = str(body.get("principalId", "")).lower()
    if ctx.tenant.find_principal(principal_id) is None:
        raise bad_request(
            f"The principal '{body.get('principalId')}' does not exist in the directory."
        )
    scope = _check_scope(ctx, body.get("directoryScopeId"), role.set_scopable, role.display_name)
    if any(
        a.role_definition_id == role.template_id
        and a.principal_id == principal_id
        and a.directory_scope_id.lower() == scope.lower()
        for a in ctx.tenant.role_assignments
    ):
        raise bad_request(
            "A conflicting object with one or more of the specified property values is present "
            "in the directory."
        )
    assignment = RoleAssignment(
        role_assignment_id(role.template_id, principal_id, scope),
        role.template_id,
        principal_id,
        scope,
    )
    ctx.tenant.role_assignments.append(assignment)
    ctx.tenant.touch()
    context = ctx.context_url("roleManagement/directory/roleAssignments/$entity")
    return Reply(201, {"@odata.context": context, **assignment.to_graph()})


def delete_role_assignment(ctx: GraphContext, assignment_id: str) -> Reply:
    access.require_scope(ctx.caller, access.ROLE_WRITE)
    access.require(ctx.access.manage_roles)
    assignment = _find_assignment(ctx, assignment_id)
    ctx.tenant.role_assignments.remove(assignment)
    ctx.tenant.touch()
    return Reply(204)


def _check_scope(ctx: GraphContext, value: Any, set_scopable: bool, role_name: str) -> str:
    if value == demo.TENANT_SCOPE:
        return value
    if not isinstance(value, str) or not value.lower().startswith(access.SET_SCOPE_PREFIX):
        raise bad_request(
            "Property 'directoryScopeId' is required: use '/' for the whole tenant or "
            "'/attributeSets/{name}' for one attribute set."
        )
    attribute_set = ctx.tenant.find_set(value[len(access.SET_SCOPE_PREFIX) :])
    if attribute_set is None:
        raise bad_request(f"The directory scope '{value}' does not exist.")
    if not set_scopable:
        raise bad_request(f"The role '{role_name}' cannot be scoped to an attribute set.")
    return demo.attribute_set_scope(attribute_set.id)


def _find_assignment(ctx: GraphContext, assignment_id: str) -> RoleAssignment:
    for assignment in ctx.tenant.role_assignments:
        if assignment.id == assignment_id:
            return assignment
    raise not_found(assignment_id)


def _expansions(ctx: GraphContext) -> tuple[str, ...]:
    expand = []
    for name in ctx.request.options.expand:
        canonical = {"roledefinition": "roleDefinition", "principal": "principal"}.get(name.lower())
        if canonical is None:
            raise bad_request(
                f"Could not find a property named '{name}' on type '{ASSIGNMENT_TYPE}'."
            )
        expand.append(canonical)
    return tuple(expand)


def _assignment_json(
    ctx: GraphContext, assignment: RoleAssignment, expand: tuple[str, ...]
) -> dict[str, Any]:
    item = assignment.to_graph()
    if "roleDefinition" in expand:
        role = ROLES_BY_ID.get(assignment.role_definition_id)
        item["roleDefinition"] = role.to_graph() if role else None
    if "principal" in expand:
        principal = ctx.tenant.find_principal(assignment.principal_id)
        item["principal"] = _principal_json(principal) if principal else None
    return item


def _principal_json(principal: Any) -> dict[str, Any]:
    kind = "user" if principal.kind == "user" else "servicePrincipal"
    item = {
        "@odata.type": f"#microsoft.graph.{kind}",
        "id": principal.id,
        "displayName": principal.display_name,
    }
    if kind == "user":
        item["userPrincipalName"] = principal.properties.get("userPrincipalName")
    return item


def _pinned_principals(node: Node) -> set[str] | None:
    """The principal ids a filter restricts results to, when a top-level clause pins them."""
    clauses = node.operands if isinstance(node, Logical) and node.op == "and" else (node,)
    for clause in clauses:
        if isinstance(clause, Compare) and clause.op == "eq" and _is_principal(clause.path):
            return {str(clause.literal.value).lower()}
        if isinstance(clause, In) and _is_principal(clause.path):
            return {str(literal.value).lower() for literal in clause.literals}
    return None


def _is_principal(path: tuple[str, ...]) -> bool:
    return "/".join(path).lower() == "principalid"


def _field(path: tuple[str, ...], fields: dict[str, str]) -> Field:
    name = fields.get("/".join(path).lower())
    if name is None:
        raise bad_request(f"Invalid filter clause: '{'/'.join(path)}' cannot be filtered.")
    return Field(name, lambda item: item.get(name), operators=_EQ_IN)


# -- /me/memberOf ------------------------------------------------------------------------


def my_member_of(ctx: GraphContext) -> Reply:
    return _member_of(ctx, "directoryObjects")


def my_directory_roles(ctx: GraphContext) -> Reply:
    return _member_of(ctx, "directoryRoles")


def _member_of(ctx: GraphContext, context_name: str) -> Reply:
    """Activated directory roles held tenant-wide. Set-scoped assignments do not appear
    here (graph-api.md §4.4), so this cannot tell a set-scoped admin from a non-admin."""
    access.require_scope(ctx.caller, access.MEMBER_OF_READ)
    held = dict.fromkeys(
        a.role_definition_id
        for a in ctx.tenant.roles_of(ctx.caller.user_id)
        if a.directory_scope_id == demo.TENANT_SCOPE
    )
    roles = [ROLES_BY_ID[role_id].to_directory_role() for role_id in held if role_id in ROLES_BY_ID]
    return Reply(200, {"@odata.context": ctx.context_url(context_name), "value": roles})
