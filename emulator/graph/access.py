"""What the signed-in caller may do: delegated scopes AND directory roles (graph-api.md §4).

Delegated access needs both: the token's scope for the API, and an Entra role that grants
the action, possibly limited to some attribute sets by `directoryScopeId`. Rights from
several assignments add up; a tenant-wide assignment beats a set-scoped one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from emulator.graph.errors import forbidden
from emulator.identity.tokens import Caller
from emulator.tenant import demo
from emulator.tenant.model import RoleAssignment

SET_SCOPE_PREFIX = "/attributesets/"

DEFINITION_READ = (
    "customsecattributedefinition.read.all",
    "customsecattributedefinition.readwrite.all",
)
DEFINITION_WRITE = ("customsecattributedefinition.readwrite.all",)
ASSIGNMENT_READ = (
    "customsecattributeassignment.read.all",
    "customsecattributeassignment.readwrite.all",
)
ASSIGNMENT_WRITE = ("customsecattributeassignment.readwrite.all",)
AUDIT_READ = ("customsecattributeauditlogs.read.all",)
_DIRECTORY_READ = ("directory.read.all", "directory.readwrite.all")
USER_READ_ALL = ("user.read.all", "user.readwrite.all", "user.readbasic.all", *_DIRECTORY_READ)
USER_READ_SELF = ("user.read", *USER_READ_ALL)
SP_READ = ("application.read.all", "application.readwrite.all", *_DIRECTORY_READ)
ROLE_READ = (
    "rolemanagement.read.directory",
    "rolemanagement.read.all",
    "rolemanagement.readwrite.directory",
    *_DIRECTORY_READ,
)
ROLE_WRITE = ("rolemanagement.readwrite.directory",)
MEMBER_OF_READ = ("user.read", "groupmember.read.all", *_DIRECTORY_READ)

_DEFINITION_READERS = {
    demo.ROLE_ATTRIBUTE_DEFINITION_READER,
    demo.ROLE_ATTRIBUTE_DEFINITION_ADMINISTRATOR,
    demo.ROLE_ATTRIBUTE_ASSIGNMENT_READER,
    demo.ROLE_ATTRIBUTE_ASSIGNMENT_ADMINISTRATOR,
}
_ASSIGNMENT_READERS = {
    demo.ROLE_ATTRIBUTE_ASSIGNMENT_READER,
    demo.ROLE_ATTRIBUTE_ASSIGNMENT_ADMINISTRATOR,
}
_LOG_READERS = {demo.ROLE_ATTRIBUTE_LOG_READER, demo.ROLE_ATTRIBUTE_LOG_ADMINISTRATOR}
_ROLE_MANAGERS = {demo.ROLE_GLOBAL_ADMINISTRATOR, demo.ROLE_PRIVILEGED_ROLE_ADMINISTRATOR}
_ROLE_READERS = _ROLE_MANAGERS | {demo.ROLE_GLOBAL_READER, demo.ROLE_DIRECTORY_READERS}


@dataclass(frozen=True, slots=True)
class SetScope:
    """The attribute sets a right applies to: all of them, or some by (lower-cased) name."""

    everything: bool = False
    names: frozenset[str] = frozenset()

    def covers(self, set_name: str) -> bool:
        return self.everything or set_name.lower() in self.names

    @property
    def granted(self) -> bool:
        return self.everything or bool(self.names)


@dataclass(frozen=True, slots=True)
class Access:
    define: SetScope
    read_definitions: SetScope
    assign: SetScope
    read_assignments: SetScope
    read_audits: bool
    manage_roles: bool
    read_others_roles: bool

    @classmethod
    def of(cls, assignments: Iterable[RoleAssignment]) -> Access:
        held = list(assignments)
        roles = {a.role_definition_id for a in held}
        return cls(
            define=_scope(held, {demo.ROLE_ATTRIBUTE_DEFINITION_ADMINISTRATOR}),
            read_definitions=_scope(held, _DEFINITION_READERS),
            assign=_scope(held, {demo.ROLE_ATTRIBUTE_ASSIGNMENT_ADMINISTRATOR}),
            read_assignments=_scope(held, _ASSIGNMENT_READERS),
            read_audits=bool(roles & _LOG_READERS),
            manage_roles=bool(roles & _ROLE_MANAGERS),
            read_others_roles=bool(roles & _ROLE_READERS),
        )


def _scope(assignments: list[RoleAssignment], roles: set[str]) -> SetScope:
    everything, names = False, set()
    for assignment in assignments:
        if assignment.role_definition_id not in roles:
            continue
        scope = assignment.directory_scope_id
        if scope == demo.TENANT_SCOPE:
            everything = True
        elif scope.lower().startswith(SET_SCOPE_PREFIX):
            names.add(scope[len(SET_SCOPE_PREFIX) :].lower())
    return SetScope(everything, frozenset(names))


def has_scope(caller: Caller, accepted: Iterable[str]) -> bool:
    return any(scope in caller.scopes for scope in accepted)


def require_scope(caller: Caller, accepted: Iterable[str]) -> None:
    if not has_scope(caller, accepted):
        raise forbidden()


def require(condition: bool) -> None:
    """A missing role reads exactly like a missing scope: 403 Authorization_RequestDenied."""
    if not condition:
        raise forbidden()
