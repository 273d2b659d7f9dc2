"""The kinds of directory object a tenant holds, with the Graph properties Entra gives them.

Users: members, guests (`userType` Guest, invited as `alias_domain#EXT#@tenant`) and
agents' user accounts (agentUser, linked 1:1 to their agent identity by
`identityParentId`). Service principals: this tenant's applications, Microsoft's
first-party ones (`appOwnerOrganizationId` is Microsoft's tenant), managed identities
(`servicePrincipalType` ManagedIdentity), agent identity blueprint principals, and agent
identities (`servicePrincipalType` ServiceIdentity, linked to their blueprint by
`agentIdentityBlueprintId`, which is the blueprint's appId). Both seeds build every object
here, so each kind has the same properties in the demo and the large tenants.
"""

from __future__ import annotations

from typing import Any

from emulator.tenant import demo
from emulator.tenant.model import (
    AGENT_BLUEPRINT_PRINCIPAL,
    AGENT_IDENTITY,
    AGENT_USER,
    CsaAssignments,
    DirectoryObject,
)

MICROSOFT_TENANT_ID = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
CREATED = "2024-03-18T09:12:44Z"
AGENTS_CREATED = "2026-02-16T10:30:00Z"

# Microsoft first-party applications with the appIds they have in every tenant.
FIRST_PARTY_APPS: tuple[tuple[str, str], ...] = (
    ("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000"),
    ("Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000"),
    ("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264"),
    ("Microsoft Intune", "0000000a-0000-0000-c000-000000000000"),
    ("Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c"),
    ("Windows Azure Service Management API", "797f4846-ba00-4fd7-ba43-dac1f8f63013"),
    ("Office 365 Management APIs", "c5393580-f805-4401-95e8-94b7a6ef2fc2"),
    ("Microsoft Azure PowerShell", "1950a258-227b-4e31-a9cf-717495945fc2"),
)


def guest_upn(alias: str, domain: str) -> str:
    """The user principal name Entra gives an invited guest `alias@domain`."""
    return f"{alias}_{domain}#EXT#@{demo.TENANT_DOMAIN}"


def user(
    object_id: str,
    given: str,
    surname: str,
    upn: str,
    *,
    mail: str | None = None,
    job_title: str | None = None,
    department: str | None = None,
    office: str | None = None,
    user_type: str = "Member",
    enabled: bool = True,
    company: str | None = "Contoso",
    employee_id: str | None = None,
    csa: CsaAssignments | None = None,
) -> DirectoryObject:
    properties: dict[str, Any] = {
        "businessPhones": [],
        "displayName": f"{given} {surname}",
        "givenName": given,
        "jobTitle": job_title,
        "mail": mail if mail is not None else upn,
        "mobilePhone": None,
        "officeLocation": office,
        "preferredLanguage": "en-US",
        "surname": surname,
        "userPrincipalName": upn,
        "accountEnabled": enabled,
        "companyName": company,
        "createdDateTime": CREATED,
        "department": department,
        "employeeId": employee_id,
        "userType": user_type,
        "usageLocation": "US",
    }
    return DirectoryObject(object_id, "user", properties, csa or {})


def guest(
    object_id: str,
    given: str,
    surname: str,
    alias: str,
    domain: str,
    company: str,
    csa: CsaAssignments | None = None,
) -> DirectoryObject:
    upn = guest_upn(alias, domain)
    return user(
        object_id, given, surname, upn,
        mail=f"{alias}@{domain}", user_type="Guest", company=company, csa=csa,
    )  # fmt: skip


def agent_user(
    object_id: str,
    display_name: str,
    upn: str,
    identity_parent_id: str,
    *,
    department: str | None,
    csa: CsaAssignments | None = None,
    sponsors: tuple[str, ...] = (),
) -> DirectoryObject:
    properties: dict[str, Any] = {
        "businessPhones": [],
        "displayName": display_name,
        "givenName": None,
        "jobTitle": None,
        "mail": None,
        "mobilePhone": None,
        "officeLocation": None,
        "preferredLanguage": "en-US",
        "surname": None,
        "userPrincipalName": upn,
        "accountEnabled": True,
        "companyName": "Contoso",
        "createdDateTime": AGENTS_CREATED,
        "department": department,
        "employeeId": None,
        "userType": "Member",
        "usageLocation": "US",
        "identityParentId": identity_parent_id,
    }
    return DirectoryObject(object_id, "user", properties, csa or {}, AGENT_USER, sponsors)


def application(
    object_id: str,
    name: str,
    app_id: str,
    owner_tenant: str,
    *,
    audience: str = "AzureADMyOrg",
    csa: CsaAssignments | None = None,
) -> DirectoryObject:
    properties: dict[str, Any] = {
        "accountEnabled": True,
        "alternativeNames": [],
        "appDisplayName": name,
        "appId": app_id,
        "appOwnerOrganizationId": owner_tenant,
        "displayName": name,
        "publisherName": "Microsoft Services" if owner_tenant == MICROSOFT_TENANT_ID else "Contoso",
        "servicePrincipalNames": [app_id],
        "servicePrincipalType": "Application",
        "signInAudience": audience,
        "tags": ["WindowsAzureActiveDirectoryIntegratedApp"],
    }
    return DirectoryObject(object_id, "servicePrincipal", properties, csa or {})


def managed_identity(
    object_id: str,
    name: str,
    client_id: str,
    resource_id: str,
    *,
    user_assigned: bool = True,
    csa: CsaAssignments | None = None,
) -> DirectoryObject:
    properties: dict[str, Any] = {
        "accountEnabled": True,
        "alternativeNames": [f"isExplicit={user_assigned}", resource_id],
        "appDisplayName": None,
        "appId": client_id,
        "appOwnerOrganizationId": None,
        "displayName": name,
        "publisherName": None,
        "servicePrincipalNames": [client_id, f"https://identity.azure.net/{name}"],
        "servicePrincipalType": "ManagedIdentity",
        "signInAudience": None,
        "tags": [],
    }
    return DirectoryObject(object_id, "servicePrincipal", properties, csa or {})


def blueprint_principal(
    object_id: str,
    name: str,
    app_id: str,
    *,
    csa: CsaAssignments | None = None,
    sponsors: tuple[str, ...] = (),
) -> DirectoryObject:
    properties: dict[str, Any] = {
        "accountEnabled": True,
        "alternativeNames": [],
        "appDisplayName": name,
        "appId": app_id,
        "appOwnerOrganizationId": demo.TENANT_ID,
        "displayName": name,
        "publisherName": demo.TENANT_DISPLAY_NAME,
        "servicePrincipalNames": [],  # blocked on blueprint principals
        "servicePrincipalType": "Application",
        "signInAudience": "AzureADMyOrg",
        "tags": [],
        "createdByAppId": demo.GRAPH_APP_ID,
        "createdDateTime": AGENTS_CREATED,
        "disabledByMicrosoftStatus": None,
    }
    return DirectoryObject(
        object_id, "servicePrincipal", properties, csa or {}, AGENT_BLUEPRINT_PRINCIPAL, sponsors
    )


def agent_identity(
    object_id: str,
    name: str,
    blueprint_app_id: str,
    *,
    created: str = AGENTS_CREATED,
    enabled: bool = True,
    csa: CsaAssignments | None = None,
    sponsors: tuple[str, ...] = (),
) -> DirectoryObject:
    properties: dict[str, Any] = {
        "accountEnabled": enabled,
        "alternativeNames": [],
        "appDisplayName": None,
        "appId": object_id,  # an agent identity's appId is its object id
        "appOwnerOrganizationId": None,
        "displayName": name,
        "publisherName": None,
        "servicePrincipalNames": [],
        "servicePrincipalType": "ServiceIdentity",
        "signInAudience": None,
        "tags": [],
        "agentIdentityBlueprintId": blueprint_app_id,
        "createdByAppId": blueprint_app_id,
        "createdDateTime": created,
        "disabledByMicrosoftStatus": None,
    }
    return DirectoryObject(
        object_id, "servicePrincipal", properties, csa or {}, AGENT_IDENTITY, sponsors
    )
