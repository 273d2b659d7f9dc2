"""The tenant's state: attribute schema, directory objects, role assignments, audits.

Plain data with lookups; the rules live in emulator/graph. Names of attribute sets and
definitions are matched without regard to case but kept as written (graph-api.md §1.1).
Every mutation goes through the Graph handlers, which hold the emulator lock and bump
`revision` so cached query results are dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

CsaValue = str | int | bool | list[str] | list[int]
CsaAssignments = dict[str, dict[str, CsaValue]]
ObjectKind = Literal["user", "servicePrincipal"]

# Derived types of user and servicePrincipal (graph-api.md §11.1).
AGENT_IDENTITY = "agentIdentity"
AGENT_BLUEPRINT_PRINCIPAL = "agentIdentityBlueprintPrincipal"
AGENT_USER = "agentUser"

STATUS_AVAILABLE = "Available"
STATUS_DEPRECATED = "Deprecated"


@dataclass(slots=True)
class AttributeSet:
    id: str
    description: str | None = None
    max_attributes_per_set: int | None = None

    def to_graph(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "id": self.id,
            "maxAttributesPerSet": self.max_attributes_per_set,
        }


@dataclass(slots=True)
class AllowedValue:
    id: str
    is_active: bool

    def to_graph(self) -> dict[str, Any]:
        return {"id": self.id, "isActive": self.is_active}


@dataclass(slots=True)
class AttributeDefinition:
    attribute_set: str
    name: str
    type: str
    is_collection: bool
    is_searchable: bool
    status: str
    use_predefined_values_only: bool
    description: str | None = None
    allowed_values: dict[str, AllowedValue] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.attribute_set}_{self.name}"

    @property
    def is_active(self) -> bool:
        return self.status == STATUS_AVAILABLE

    def to_graph(self) -> dict[str, Any]:
        return {
            "attributeSet": self.attribute_set,
            "description": self.description,
            "id": self.id,
            "isCollection": self.is_collection,
            "isSearchable": self.is_searchable,
            "name": self.name,
            "status": self.status,
            "type": self.type,
            "usePreDefinedValuesOnly": self.use_predefined_values_only,
        }

    def clone(self) -> AttributeDefinition:
        values = {key: AllowedValue(v.id, v.is_active) for key, v in self.allowed_values.items()}
        return AttributeDefinition(
            self.attribute_set,
            self.name,
            self.type,
            self.is_collection,
            self.is_searchable,
            self.status,
            self.use_predefined_values_only,
            self.description,
            values,
        )


@dataclass(slots=True)
class DirectoryObject:
    """A user or service principal. `properties` holds its Graph properties except id and
    customSecurityAttributes; it is never mutated in place, so clones may share it.
    `subtype` names a derived type (agentIdentity, agentIdentityBlueprintPrincipal,
    agentUser), `sponsors` the object ids of the users who sponsor it."""

    id: str
    kind: ObjectKind
    properties: dict[str, Any]
    csa: CsaAssignments = field(default_factory=dict)
    subtype: str | None = None
    sponsors: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        return str(self.properties.get("displayName") or "")

    @property
    def odata_type(self) -> str:
        return f"#microsoft.graph.{self.subtype or self.kind}"

    def clone(self) -> DirectoryObject:
        csa = {set_name: dict(values) for set_name, values in self.csa.items()}
        return DirectoryObject(
            self.id, self.kind, self.properties, csa, self.subtype, self.sponsors
        )


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    id: str
    role_definition_id: str
    principal_id: str
    directory_scope_id: str

    def to_graph(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "principalId": self.principal_id,
            "roleDefinitionId": self.role_definition_id,
            "directoryScopeId": self.directory_scope_id,
            "appScopeId": None,
        }


@dataclass(slots=True)
class Tenant:
    attribute_sets: dict[str, AttributeSet] = field(default_factory=dict)
    definitions: dict[str, AttributeDefinition] = field(default_factory=dict)
    users: dict[str, DirectoryObject] = field(default_factory=dict)
    service_principals: dict[str, DirectoryObject] = field(default_factory=dict)
    role_assignments: list[RoleAssignment] = field(default_factory=list)
    audits: list[dict[str, Any]] = field(default_factory=list)
    revision: int = 0
    upn_index: dict[str, str] = field(default_factory=dict)

    # -- attribute schema --------------------------------------------------------------

    def find_set(self, name: str) -> AttributeSet | None:
        return self.attribute_sets.get(name.lower())

    def add_set(self, attribute_set: AttributeSet) -> None:
        self.attribute_sets[attribute_set.id.lower()] = attribute_set

    def find_definition(self, definition_id: str) -> AttributeDefinition | None:
        return self.definitions.get(definition_id.lower())

    def find_definition_in_set(self, set_name: str, name: str) -> AttributeDefinition | None:
        return self.definitions.get(f"{set_name}_{name}".lower())

    def add_definition(self, definition: AttributeDefinition) -> None:
        self.definitions[definition.id.lower()] = definition

    def definitions_in_set(self, set_name: str) -> list[AttributeDefinition]:
        wanted = set_name.lower()
        return [d for d in self.definitions.values() if d.attribute_set.lower() == wanted]

    def active_definition_count(self) -> int:
        return sum(1 for d in self.definitions.values() if d.is_active)

    # -- directory objects -------------------------------------------------------------

    def add_user(self, user: DirectoryObject) -> None:
        self.users[user.id] = user
        self.upn_index[str(user.properties["userPrincipalName"]).lower()] = user.id

    def find_user(self, id_or_upn: str) -> DirectoryObject | None:
        user = self.users.get(id_or_upn.lower())
        if user is None:
            user_id = self.upn_index.get(id_or_upn.lower())
            user = self.users.get(user_id) if user_id else None
        return user

    def add_service_principal(self, sp: DirectoryObject) -> None:
        self.service_principals[sp.id] = sp

    def find_service_principal(self, object_id: str) -> DirectoryObject | None:
        return self.service_principals.get(object_id.lower())

    def find_principal(self, object_id: str) -> DirectoryObject | None:
        return self.find_user(object_id) or self.find_service_principal(object_id)

    def roles_of(self, principal_id: str) -> list[RoleAssignment]:
        return [a for a in self.role_assignments if a.principal_id == principal_id]

    # -- whole-tenant operations -------------------------------------------------------

    def touch(self) -> None:
        self.revision += 1

    def clone(self) -> Tenant:
        tenant = Tenant(
            attribute_sets={
                key: AttributeSet(s.id, s.description, s.max_attributes_per_set)
                for key, s in self.attribute_sets.items()
            },
            definitions={key: d.clone() for key, d in self.definitions.items()},
            users={key: u.clone() for key, u in self.users.items()},
            service_principals={key: sp.clone() for key, sp in self.service_principals.items()},
            role_assignments=list(self.role_assignments),
            audits=list(self.audits),
            upn_index=dict(self.upn_index),
        )
        tenant.revision = self.revision + 1
        return tenant

    def to_json(self) -> dict[str, Any]:
        return {
            "attributeSets": [s.to_graph() for s in self.attribute_sets.values()],
            "definitions": [
                {
                    **d.to_graph(),
                    "allowedValues": [v.to_graph() for v in d.allowed_values.values()],
                }
                for d in self.definitions.values()
            ],
            "users": [_object_to_json(u) for u in self.users.values()],
            "servicePrincipals": [_object_to_json(sp) for sp in self.service_principals.values()],
            "roleAssignments": [a.to_graph() for a in self.role_assignments],
            "audits": self.audits,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Tenant:
        tenant = cls()
        for item in data["attributeSets"]:
            tenant.add_set(
                AttributeSet(item["id"], item["description"], item["maxAttributesPerSet"])
            )
        for item in data["definitions"]:
            tenant.add_definition(_definition_from_json(item))
        for item in data["users"]:
            tenant.add_user(_object_from_json(item, "user"))
        for item in data["servicePrincipals"]:
            tenant.add_service_principal(_object_from_json(item, "servicePrincipal"))
        tenant.role_assignments = [
            RoleAssignment(a["id"], a["roleDefinitionId"], a["principalId"], a["directoryScopeId"])
            for a in data["roleAssignments"]
        ]
        tenant.audits = list(data["audits"])
        return tenant


def _object_to_json(obj: DirectoryObject) -> dict[str, Any]:
    return {
        "id": obj.id,
        "subtype": obj.subtype,
        "properties": obj.properties,
        "customSecurityAttributes": obj.csa,
        "sponsors": list(obj.sponsors),
    }


def _object_from_json(data: dict[str, Any], kind: ObjectKind) -> DirectoryObject:
    # State files written before agents existed have neither subtype nor sponsors.
    return DirectoryObject(
        data["id"],
        kind,
        data["properties"],
        data["customSecurityAttributes"],
        data.get("subtype"),
        tuple(data.get("sponsors", ())),
    )


def _definition_from_json(data: dict[str, Any]) -> AttributeDefinition:
    return AttributeDefinition(
        attribute_set=data["attributeSet"],
        name=data["name"],
        type=data["type"],
        is_collection=data["isCollection"],
        is_searchable=data["isSearchable"],
        status=data["status"],
        use_predefined_values_only=data["usePreDefinedValuesOnly"],
        description=data["description"],
        allowed_values={
            v["id"]: AllowedValue(v["id"], v["isActive"]) for v in data["allowedValues"]
        },
    )
