"""The built-in Entra roles the emulator knows, as unifiedRoleDefinition records.

Only the roles that matter for custom security attributes and for granting them are
listed. Descriptions and resource actions follow entra-docs permissions-reference.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from emulator.tenant import demo


@dataclass(frozen=True, slots=True)
class RoleDefinition:
    template_id: str
    display_name: str
    description: str
    actions: tuple[str, ...]
    set_scopable: bool = False

    @property
    def directory_role_id(self) -> str:
        """The tenant's activated directoryRole object id (stable per template)."""
        return str(uuid.uuid5(uuid.UUID(demo.TENANT_ID), self.template_id))

    def to_graph(self) -> dict[str, Any]:
        return {
            "id": self.template_id,
            "description": self.description,
            "displayName": self.display_name,
            "isBuiltIn": True,
            "isEnabled": True,
            "resourceScopes": ["/"],
            "templateId": self.template_id,
            "version": "1",
            "rolePermissions": [{"allowedResourceActions": list(self.actions), "condition": None}],
        }

    def to_directory_role(self) -> dict[str, Any]:
        return {
            "@odata.type": "#microsoft.graph.directoryRole",
            "id": self.directory_role_id,
            "deletedDateTime": None,
            "description": self.description,
            "displayName": self.display_name,
            "roleTemplateId": self.template_id,
        }


_CSA_READ = (
    "microsoft.directory/attributeSets/allProperties/read",
    "microsoft.directory/customSecurityAttributeDefinitions/allProperties/read",
)
_CSA_VALUES = ("users", "servicePrincipals", "devices", "azureManagedIdentities")

ROLE_DEFINITIONS: tuple[RoleDefinition, ...] = (
    RoleDefinition(
        demo.ROLE_ATTRIBUTE_DEFINITION_READER,
        "Attribute Definition Reader",
        "Read custom security attribute definitions.",
        _CSA_READ,
        set_scopable=True,
    ),
    RoleDefinition(
        demo.ROLE_ATTRIBUTE_DEFINITION_ADMINISTRATOR,
        "Attribute Definition Administrator",
        "Define and manage the definition of custom security attributes.",
        (
            "microsoft.directory/attributeSets/allProperties/allTasks",
            "microsoft.directory/customSecurityAttributeDefinitions/allProperties/allTasks",
        ),
        set_scopable=True,
    ),
    RoleDefinition(
        demo.ROLE_ATTRIBUTE_ASSIGNMENT_READER,
        "Attribute Assignment Reader",
        "Read custom security attribute keys and values for supported Microsoft Entra objects.",
        _CSA_READ
        + tuple(
            f"microsoft.directory/{kind}/customSecurityAttributes/read" for kind in _CSA_VALUES
        ),
        set_scopable=True,
    ),
    RoleDefinition(
        demo.ROLE_ATTRIBUTE_ASSIGNMENT_ADMINISTRATOR,
        "Attribute Assignment Administrator",
        "Assign custom security attribute keys and values to supported Microsoft Entra objects.",
        _CSA_READ
        + tuple(
            f"microsoft.directory/{kind}/customSecurityAttributes/{verb}"
            for kind in _CSA_VALUES
            for verb in ("read", "update")
        ),
        set_scopable=True,
    ),
    RoleDefinition(
        demo.ROLE_ATTRIBUTE_LOG_READER,
        "Attribute Log Reader",
        "Read audit logs and configure diagnostic settings for events related to custom "
        "security attributes.",
        ("microsoft.directory/customSecurityAttributeAuditLogs/allProperties/read",),
    ),
    RoleDefinition(
        demo.ROLE_ATTRIBUTE_LOG_ADMINISTRATOR,
        "Attribute Log Administrator",
        "Read audit logs and configure diagnostic settings for events related to custom "
        "security attributes.",
        (
            "microsoft.directory/customSecurityAttributeAuditLogs/allProperties/read",
            "microsoft.azure.customSecurityAttributeDiagnosticSettings/allEntities/allProperties/allTasks",
        ),
    ),
    RoleDefinition(
        demo.ROLE_ATTRIBUTE_PROVISIONING_ADMINISTRATOR,
        "Attribute Provisioning Administrator",
        "Read and edit the provisioning configuration of all active custom security attributes.",
        ("microsoft.directory/customSecurityAttributeDefinitions/allProperties/read",),
    ),
    RoleDefinition(
        demo.ROLE_ATTRIBUTE_PROVISIONING_READER,
        "Attribute Provisioning Reader",
        "Read the provisioning configuration of all active custom security attributes.",
        ("microsoft.directory/customSecurityAttributeDefinitions/allProperties/read",),
    ),
    RoleDefinition(
        demo.ROLE_GLOBAL_ADMINISTRATOR,
        "Global Administrator",
        "Can manage all aspects of Microsoft Entra ID and Microsoft services that use "
        "Microsoft Entra identities.",
        ("microsoft.directory/roleAssignments/allProperties/allTasks",),
    ),
    RoleDefinition(
        demo.ROLE_GLOBAL_READER,
        "Global Reader",
        "Can read everything that a Global Administrator can, but not update anything.",
        ("microsoft.directory/roleAssignments/standard/read",),
    ),
    RoleDefinition(
        demo.ROLE_PRIVILEGED_ROLE_ADMINISTRATOR,
        "Privileged Role Administrator",
        "Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged "
        "Identity Management.",
        ("microsoft.directory/roleAssignments/allProperties/allTasks",),
    ),
    RoleDefinition(
        demo.ROLE_DIRECTORY_READERS,
        "Directory Readers",
        "Can read basic directory information. Commonly used to grant directory read access "
        "to applications and guests.",
        ("microsoft.directory/roleAssignments/standard/read",),
    ),
    RoleDefinition(
        demo.ROLE_USER_ADMINISTRATOR,
        "User Administrator",
        "Can manage all aspects of users and groups, including resetting passwords for "
        "limited admins.",
        ("microsoft.directory/users/allProperties/allTasks",),
    ),
    RoleDefinition(
        demo.ROLE_SECURITY_ADMINISTRATOR,
        "Security Administrator",
        "Can read security information and reports, and manage configuration in Microsoft "
        "Entra ID and Office 365.",
        ("microsoft.directory/auditLogs/allProperties/read",),
    ),
)

ROLES_BY_ID: dict[str, RoleDefinition] = {role.template_id: role for role in ROLE_DEFINITIONS}


def role_name(template_id: str) -> str:
    role = ROLES_BY_ID.get(template_id)
    return role.display_name if role else template_id
