"""The fixed identities of the demo tenant: tenant, app registrations, roles, accounts.

Tests, the bench and the portal's demo settings import these constants, so they never
change between runs. Role template ids are Entra's real built-in ones (graph-api.md §4.2).
"""

from __future__ import annotations

from dataclasses import dataclass

TENANT_ID = "3f1e5a2c-8d47-4b6e-9a10-5c2d7e8f9a01"
TENANT_DOMAIN = "contoso.example"
TENANT_DISPLAY_NAME = "Contoso (emulated)"

PORTAL_CLIENT_ID = "8b2f7c1d-4e5a-4c3b-9d8e-1a2b3c4d5e6f"
PORTAL_CLIENT_SECRET = "demo-portal-secret-not-for-production"  # noqa: S105 - a published demo value
PORTAL_APP_NAME = "Attribute Portal (demo)"
PORTAL_REDIRECT_URIS = ("http://localhost/auth/callback", "http://127.0.0.1/auth/callback")

AZURE_CLI_CLIENT_ID = "04b07795-8ddb-461a-bbee-02f9e1bf7b46"
AZURE_CLI_APP_NAME = "Microsoft Azure CLI"

GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
GRAPH_RESOURCE = "https://graph.microsoft.com"

DEMO_PASSWORD = "demo"  # noqa: S105 - the documented demo password

# Built-in role template ids (entra-docs permissions-reference).
ROLE_ATTRIBUTE_DEFINITION_READER = "1d336d2c-4ae8-42ef-9711-b3604ce3fc2c"
ROLE_ATTRIBUTE_DEFINITION_ADMINISTRATOR = "8424c6f0-a189-499e-bbd0-26c1753c96d4"
ROLE_ATTRIBUTE_ASSIGNMENT_READER = "ffd52fa5-98dc-465c-991d-fc073eb59f8f"
ROLE_ATTRIBUTE_ASSIGNMENT_ADMINISTRATOR = "58a13ea3-c632-46ae-9ee0-9c0d43cd7f3d"
ROLE_ATTRIBUTE_LOG_READER = "9c99539d-8186-4804-835f-fd51ef9e2dcd"
ROLE_ATTRIBUTE_LOG_ADMINISTRATOR = "5b784334-f94b-471a-a387-e7219fc49ca2"
ROLE_ATTRIBUTE_PROVISIONING_ADMINISTRATOR = "ecb2c6bf-0ab6-418e-bd87-7986f8d63bbe"
ROLE_ATTRIBUTE_PROVISIONING_READER = "422218e4-db15-4ef9-bbe0-8afb41546d79"
ROLE_GLOBAL_ADMINISTRATOR = "62e90394-69f5-4237-9190-012177145e10"
ROLE_GLOBAL_READER = "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
ROLE_PRIVILEGED_ROLE_ADMINISTRATOR = "e8611ab8-c189-46e8-94e1-60213ab1f814"
ROLE_DIRECTORY_READERS = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"
ROLE_USER_ADMINISTRATOR = "fe930be7-5e62-47db-91af-98c3a49a38b1"
ROLE_SECURITY_ADMINISTRATOR = "194ae4cb-b126-40b2-bd5b-6091b380977d"

TENANT_SCOPE = "/"

# Every scope either client may be granted: consent is treated as given for all of them.
GRAPH_SCOPES = (
    "CustomSecAttributeDefinition.Read.All",
    "CustomSecAttributeDefinition.ReadWrite.All",
    "CustomSecAttributeAssignment.Read.All",
    "CustomSecAttributeAssignment.ReadWrite.All",
    "CustomSecAttributeAuditLogs.Read.All",
    "User.Read",
    "User.Read.All",
    "Application.Read.All",
    "RoleManagement.Read.Directory",
    "RoleManagement.ReadWrite.Directory",
    "Directory.Read.All",
)
OIDC_SCOPES = ("openid", "profile", "offline_access", "email")


def attribute_set_scope(set_name: str) -> str:
    """The directoryScopeId of a role assignment scoped to one attribute set."""
    return f"/attributeSets/{set_name}"


@dataclass(frozen=True, slots=True)
class RoleGrant:
    role_id: str
    scope: str = TENANT_SCOPE


@dataclass(frozen=True, slots=True)
class DemoAccount:
    user_principal_name: str
    object_id: str
    display_name: str
    given_name: str
    surname: str
    job_title: str
    department: str
    roles: tuple[RoleGrant, ...]


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        user_principal_name="ada.admin@contoso.example",
        object_id="3729d667-ff01-4a53-8a1b-8149d9eebb2b",
        display_name="Ada Admin",
        given_name="Ada",
        surname="Admin",
        job_title="Identity Platform Administrator",
        department="IT",
        roles=(
            RoleGrant(ROLE_ATTRIBUTE_DEFINITION_ADMINISTRATOR),
            RoleGrant(ROLE_ATTRIBUTE_ASSIGNMENT_ADMINISTRATOR),
            RoleGrant(ROLE_ATTRIBUTE_LOG_READER),
        ),
    ),
    DemoAccount(
        user_principal_name="lee.lead@contoso.example",
        object_id="6acf483d-2df2-43ca-99d7-85e685561426",
        display_name="Lee Lead",
        given_name="Lee",
        surname="Lead",
        job_title="Engineering Team Lead",
        department="Engineering",
        roles=(
            RoleGrant(ROLE_ATTRIBUTE_ASSIGNMENT_ADMINISTRATOR, attribute_set_scope("Engineering")),
        ),
    ),
    DemoAccount(
        user_principal_name="ava.auditor@contoso.example",
        object_id="08676e01-cde8-4bae-9868-25c9db255c6c",
        display_name="Ava Auditor",
        given_name="Ava",
        surname="Auditor",
        job_title="Internal Auditor",
        department="Legal",
        roles=(
            RoleGrant(ROLE_ATTRIBUTE_LOG_READER),
            RoleGrant(ROLE_ATTRIBUTE_ASSIGNMENT_READER),
        ),
    ),
    DemoAccount(
        user_principal_name="rey.reader@contoso.example",
        object_id="4c2b71b7-2dc0-465f-b7f1-975c35db0440",
        display_name="Rey Reader",
        given_name="Rey",
        surname="Reader",
        job_title="Business Analyst",
        department="Operations",
        roles=(RoleGrant(ROLE_ATTRIBUTE_DEFINITION_READER),),
    ),
    DemoAccount(
        user_principal_name="gil.global@contoso.example",
        object_id="bcb9c949-d716-4a21-a5d8-493897cd36ba",
        display_name="Gil Global",
        given_name="Gil",
        surname="Global",
        job_title="Chief Information Officer",
        department="IT",
        roles=(RoleGrant(ROLE_GLOBAL_ADMINISTRATOR),),
    ),
)

ADA, LEE, AVA, REY, GIL = DEMO_ACCOUNTS


def demo_account(user_principal_name: str) -> DemoAccount:
    """The demo account with this UPN (case-insensitive); KeyError if there is none."""
    wanted = user_principal_name.lower()
    for account in DEMO_ACCOUNTS:
        if account.user_principal_name == wanted:
            return account
    raise KeyError(user_principal_name)
