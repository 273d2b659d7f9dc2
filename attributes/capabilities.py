"""What the signed-in person may do, from their Entra directory roles and role scopes.

For Graph's data Graph stays the enforcer: this decides what screens show, and explains
every hidden or disabled action by naming the role, and the scope, that would allow it.
When the roles cannot be read, those screens show everything and let Graph decide.
The portal's own data (its audit log, help text) is different: Graph never checks it,
so only roles that were actually read count there, never an assumption.
Role facts: graph-api.md §4.2 (template ids) and §4.3 (attribute-set scopes).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from portal.graph import EVENTUAL, Forbidden, GraphClient, odata_string
from portal.isolation import isolated

logger = logging.getLogger(__name__)

DEFINITION_READER = "1d336d2c-4ae8-42ef-9711-b3604ce3fc2c"
DEFINITION_ADMINISTRATOR = "8424c6f0-a189-499e-bbd0-26c1753c96d4"
ASSIGNMENT_READER = "ffd52fa5-98dc-465c-991d-fc073eb59f8f"
ASSIGNMENT_ADMINISTRATOR = "58a13ea3-c632-46ae-9ee0-9c0d43cd7f3d"
LOG_READER = "9c99539d-8186-4804-835f-fd51ef9e2dcd"
LOG_ADMINISTRATOR = "5b784334-f94b-471a-a387-e7219fc49ca2"
GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"

ROLE_NAMES = {
    DEFINITION_READER: "Attribute Definition Reader",
    DEFINITION_ADMINISTRATOR: "Attribute Definition Administrator",
    ASSIGNMENT_READER: "Attribute Assignment Reader",
    ASSIGNMENT_ADMINISTRATOR: "Attribute Assignment Administrator",
    LOG_READER: "Attribute Log Reader",
    LOG_ADMINISTRATOR: "Attribute Log Administrator",
    GLOBAL_ADMINISTRATOR: "Global Administrator",
    PRIVILEGED_ROLE_ADMINISTRATOR: "Privileged Role Administrator",
}
ATTRIBUTE_ROLES = frozenset(
    {
        DEFINITION_READER,
        DEFINITION_ADMINISTRATOR,
        ASSIGNMENT_READER,
        ASSIGNMENT_ADMINISTRATOR,
        LOG_READER,
        LOG_ADMINISTRATOR,
    }
)
SET_SCOPE_PREFIX = "/attributeSets/"
REFRESH_HINT = "If a role was assigned recently, use “Refresh my roles” on the home page."


@dataclass(frozen=True)
class RoleGrant:
    role_id: str
    scope: str  # "/" for the whole tenant, or "/attributeSets/{name}"

    @property
    def role_name(self) -> str:
        return ROLE_NAMES.get(self.role_id, f"Directory role {self.role_id}")

    @property
    def attribute_set(self) -> str | None:
        if self.scope.startswith(SET_SCOPE_PREFIX):
            return self.scope.removeprefix(SET_SCOPE_PREFIX)
        return None

    @property
    def scope_label(self) -> str:
        if self.scope == "/":
            return "whole tenant"
        if self.attribute_set:
            return format_html("attribute set {}", isolated(self.attribute_set))
        return self.scope


@dataclass(frozen=True)
class Reach:
    """Where a right applies: the whole tenant, some attribute sets, or nowhere."""

    tenant: bool = False
    sets: frozenset[str] = frozenset()
    # True when the roles could not be read: everything is shown and Graph decides.
    assumed: bool = False

    def __bool__(self) -> bool:
        return self.tenant or bool(self.sets)

    def allows(self, attribute_set: str | None) -> bool:
        if self.tenant:
            return True
        if attribute_set is None:
            return False
        return attribute_set.casefold() in {s.casefold() for s in self.sets}

    @property
    def label(self) -> str:
        if self.assumed:
            return "not known (your roles could not be read; Microsoft Graph decides)"
        if self.tenant:
            return "whole tenant"
        if len(self.sets) == 1:
            return format_html("the attribute set {}", isolated(next(iter(self.sets))))
        if self.sets:
            names = format_html_join(", ", "{}", ((isolated(s),) for s in sorted(self.sets)))
            return format_html("the attribute sets {}", names)
        return "none"


def _the_set(name: str) -> SafeString:
    return format_html("the attribute set {}", isolated(name))


def _reach(grants: tuple[RoleGrant, ...], roles: set[str]) -> Reach:
    relevant = [g for g in grants if g.role_id in roles]
    if any(g.scope == "/" for g in relevant):
        return Reach(tenant=True)
    return Reach(sets=frozenset(g.attribute_set for g in relevant if g.attribute_set))


@dataclass(frozen=True)
class Capabilities:
    grants: tuple[RoleGrant, ...] = ()
    # roleAssignments (scopes known), memberOf (roles known, set scopes invisible),
    # or unknown (nothing could be read: show everything and let Graph decide).
    source: str = "roleAssignments"
    loaded_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    # With no roles readable: whether a read only log roles may make (Entra's audit feed)
    # succeeded; None until it is tried.
    log_reader_proven: bool | None = None

    @property
    def loaded_label(self) -> str:
        return self.loaded_at[:16].replace("T", " ")

    def age(self, now: datetime | None = None) -> timedelta:
        return (now or datetime.now(UTC)) - datetime.fromisoformat(self.loaded_at)

    @property
    def certain(self) -> bool:
        """Only role assignments show scopes; otherwise screens show everything and
        Graph's answers decide (a set-scoped role is invisible through memberOf)."""
        return self.source == "roleAssignments"

    def _reach(self, *roles: str) -> Reach:
        """For Graph's data: when the roles are uncertain, everything, and Graph decides."""
        if not self.certain:
            return Reach(tenant=True, assumed=True)
        return _reach(self.grants, set(roles))

    def _seen(self, *roles: str) -> Reach:
        """For the portal's own data: only what the roles that were read allow."""
        return _reach(self.grants, set(roles))

    @property
    def definitions_read(self) -> Reach:
        return self._reach(
            DEFINITION_READER, DEFINITION_ADMINISTRATOR, ASSIGNMENT_READER, ASSIGNMENT_ADMINISTRATOR
        )

    @property
    def definitions_write(self) -> Reach:
        return self._reach(DEFINITION_ADMINISTRATOR)

    @property
    def sets_write(self) -> bool:
        """Creating and editing sets needs the Definition Administrator role tenant-wide."""
        return self._reach(DEFINITION_ADMINISTRATOR).tenant

    @property
    def assignments_read(self) -> Reach:
        return self._reach(ASSIGNMENT_READER, ASSIGNMENT_ADMINISTRATOR)

    @property
    def assignments_write(self) -> Reach:
        return self._reach(ASSIGNMENT_ADMINISTRATOR)

    @property
    def entra_audit_read(self) -> bool:
        return self._reach(LOG_READER, LOG_ADMINISTRATOR).tenant

    @property
    def portal_log_read(self) -> Reach:
        """The portal's own log: log readers see all; other attribute roles their sets."""
        if self._seen(LOG_READER, LOG_ADMINISTRATOR).tenant or self.log_reader_proven:
            return Reach(tenant=True)
        return self._seen(*ATTRIBUTE_ROLES)

    def set_settings_write(self, attribute_set: str) -> bool:
        """The portal's own settings for a set's attributes (help text, the assignment
        policy): the definition role for the set must have been read, not assumed."""
        return self._seen(DEFINITION_ADMINISTRATOR).allows(attribute_set)

    @property
    def attribute_grants(self) -> list[RoleGrant]:
        return [g for g in self.grants if g.role_id in ATTRIBUTE_ROLES]

    @property
    def other_grants(self) -> list[RoleGrant]:
        return [g for g in self.grants if g.role_id not in ATTRIBUTE_ROLES]

    @property
    def has_attribute_role(self) -> bool:
        return not self.certain or bool(self.attribute_grants)

    # Refusals: every "you may not" the portal shows comes from here, naming the role and
    # the scope that would allow it.

    @staticmethod
    def why_not_browse_sets() -> str:
        return (
            "Browsing attribute sets needs Attribute Definition Reader or Administrator, or an "
            "Attribute Assignment role."
        )

    def why_not_read_set(self, attribute_set: str) -> str:
        return format_html(
            "Your roles cover {}, not the attribute set {}. Reading it needs Attribute "
            "Definition Reader or Administrator, or an Attribute Assignment role, for the whole "
            "tenant or for {}.",
            self.definitions_read.label,
            isolated(attribute_set),
            isolated(attribute_set),
        )

    def why_not_write_definitions(self, attribute_set: str | None = None) -> str:
        where = _the_set(attribute_set) if attribute_set else "an attribute set"
        return format_html(
            "Needs the Attribute Definition Administrator role for the whole tenant or for {}.",
            where,
        )

    @staticmethod
    def why_not_write_sets() -> str:
        return (
            "Creating or editing attribute sets needs the Attribute Definition Administrator "
            "role for the whole tenant; a role scoped to one set cannot change the set itself."
        )

    @staticmethod
    def why_not_read_assignments() -> str:
        return "Needs the Attribute Assignment Reader or Administrator role."

    def why_not_read_set_values(self, attribute_set: str) -> str:
        return format_html(
            "You can't read this set's values: your roles cover {}. Reading them needs the "
            "Attribute Assignment Reader or Administrator role for the whole tenant or for {}.",
            self.assignments_read.label,
            isolated(attribute_set),
        )

    @staticmethod
    def why_not_assign(attribute_set: str | None = None) -> str:
        where = _the_set(attribute_set) if attribute_set else "the set"
        return format_html(
            "Assigning needs the Attribute Assignment Administrator role for {}.", where
        )

    @staticmethod
    def why_not_entra_audit() -> str:
        return "Needs the Attribute Log Reader or Attribute Log Administrator role."

    @property
    def _unread(self) -> str:
        return (
            "Your role assignments could not be read from Entra, and Microsoft Graph never "
            "checks the portal's own data, so the portal cannot tell whether you may "
        )

    def why_not_read_log(self) -> str:
        needs = (
            "Reading the audit log needs Attribute Log Reader or Administrator, or an "
            "attribute definition or assignment role."
        )
        if not self.certain:
            return format_html("{}read its audit log. {} {}", self._unread, needs, REFRESH_HINT)
        return needs

    def why_not_write_set_settings(self, attribute_set: str, what: str = "help text") -> str:
        needs = self.why_not_write_definitions(attribute_set)
        if not self.certain:
            return format_html("{}change its {}. {} {}", self._unread, what, needs, REFRESH_HINT)
        return needs

    def why_not_read_record(self, attribute_set: str) -> str:
        reach = self.portal_log_read
        if not attribute_set:
            return format_html(
                "This record is not about any attribute set, and your roles cover {}. Reading "
                "it needs Attribute Log Reader or Attribute Log Administrator, or an attribute "
                "role for the whole tenant.",
                reach.label,
            )
        return format_html(
            "This is about the attribute set {}, and your roles cover {}. Reading it needs "
            "Attribute Log Reader or Attribute Log Administrator, or an attribute role for the "
            "whole tenant or for {}.",
            isolated(attribute_set),
            reach.label,
            isolated(attribute_set),
        )

    @staticmethod
    def why_graph_refused() -> str:
        """When Graph refused and the page cannot tell which role the call needed."""
        return (
            "Microsoft Graph refused this with your current Entra roles. Reading attribute sets "
            "and definitions needs Attribute Definition Reader or Administrator, or an Attribute "
            "Assignment role; changing them needs Attribute Definition Administrator; Entra's "
            "audit feed needs Attribute Log Reader. Each can be granted for the whole tenant or "
            f"for one attribute set. {REFRESH_HINT}"
        )

    # Session storage ------------------------------------------------------------------

    def to_session(self) -> dict[str, Any]:
        return {
            "grants": [[g.role_id, g.scope] for g in self.grants],
            "source": self.source,
            "loaded_at": self.loaded_at,
            "log_reader_proven": self.log_reader_proven,
        }

    @classmethod
    def from_session(cls, data: dict[str, Any]) -> Capabilities:
        return cls(
            grants=tuple(RoleGrant(role_id, scope) for role_id, scope in data["grants"]),
            source=data["source"],
            loaded_at=data["loaded_at"],
            log_reader_proven=data.get("log_reader_proven"),
        )


def read_capabilities(graph: GraphClient, object_id: str) -> Capabilities:
    """Reads the person's directory roles, falling back as graph-api.md §4.4 describes."""
    try:
        assignments = graph.iterate(
            "/roleManagement/directory/roleAssignments",
            params={"$filter": f"principalId eq {odata_string(object_id)}"},
        )
        grants = tuple(
            RoleGrant(a["roleDefinitionId"], a.get("directoryScopeId") or "/") for a in assignments
        )
        return Capabilities(grants=grants, source="roleAssignments")
    except Forbidden:
        logger.info("role assignments are not readable; falling back to /me/memberOf")
    try:
        roles = graph.iterate(
            "/me/memberOf/microsoft.graph.directoryRole",
            params={"$select": "id,displayName,roleTemplateId"},
            headers=EVENTUAL,
        )
        # memberOf shows activated tenant-wide roles only; set-scoped ones are invisible.
        grants = tuple(
            RoleGrant(r["roleTemplateId"], "/") for r in roles if r.get("roleTemplateId")
        )
        return Capabilities(grants=grants, source="memberOf")
    except Forbidden:
        logger.info("directory roles are not readable either; capabilities unknown")
    return Capabilities(source="unknown")
