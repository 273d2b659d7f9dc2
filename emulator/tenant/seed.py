"""Deterministic tenants: the demo tenant and `large:N` tenants for benchmarks.

Both share one attribute schema with every type and shape of definition, including
Microsoft's documented agent pattern (`AgentAttributes`, `ResourceAttributes`). Ordinary
users and their values come from a seeded RNG, so the same seed always gives the same
tenant. Values of `Marketing/AppCountry` never include "Canada" and generated employee
ids never start with "GS", so the documented filter examples return exactly the
documented users.

`large:N` holds exactly N directory objects of every kind (`LargeMix`): about 85% members,
6% guests, 4% applications of the tenant, 1% Microsoft first-party applications, 1%
managed identities, 2% agent identities under a few dozen blueprints (plus their
blueprint principals) and 1% agent users.
"""

from __future__ import annotations

import base64
import math
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from emulator.tenant import agents, demo, kinds
from emulator.tenant.kinds import MICROSOFT_TENANT_ID
from emulator.tenant.model import (
    STATUS_AVAILABLE,
    STATUS_DEPRECATED,
    AllowedValue,
    AttributeDefinition,
    AttributeSet,
    CsaAssignments,
    DirectoryObject,
    RoleAssignment,
    Tenant,
)

DEMO_USER_COUNT = 200  # people: the demo accounts, the documented users and generated ones
MIN_LARGE_OBJECTS = 10


class SeedError(ValueError):
    pass


def parse_seed(seed: str) -> int | None:
    """The number of directory objects of a `large:N` seed; None for `demo`."""
    if seed == "demo":
        return None
    prefix, _, count = seed.partition(":")
    if prefix != "large" or not count.isdigit() or int(count) < MIN_LARGE_OBJECTS:
        raise SeedError(
            f"Unknown seed {seed!r}: use 'demo' or 'large:N' with N >= {MIN_LARGE_OBJECTS}."
        )
    return int(count)


def build_tenant(seed: str) -> Tenant:
    size = parse_seed(seed)
    rng = random.Random(f"contoso-emulator/{seed}")
    tenant = Tenant()
    _add_schema(tenant)
    for account in demo.DEMO_ACCOUNTS:
        tenant.add_user(_demo_user(account))
    if size is None:
        _add_demo_objects(tenant, rng)
    else:
        _add_large_objects(tenant, rng, LargeMix.of(size))
    tenant.role_assignments = _demo_role_assignments()
    tenant.audits = _historical_audits()
    return tenant


def _add_demo_objects(tenant: Tenant, rng: random.Random) -> None:
    documented = _documented_users()
    for user in documented:
        tenant.add_user(user)
    generated = DEMO_USER_COUNT - len(demo.DEMO_ACCOUNTS) - len(documented)
    for user in _generated_users(rng, generated):
        tenant.add_user(user)
    for sp in _service_principals(rng):
        tenant.add_service_principal(sp)
    # Everything below has fixed ids and draws nothing from the RNG, so the objects
    # above are the same as before agents existed.
    _tag_resources(tenant)
    for sp in _demo_first_party_and_identities():
        tenant.add_service_principal(sp)
    upns = {str(u.properties["userPrincipalName"]): u.id for u in tenant.users.values()}
    for obj in agents.demo_agent_objects(upns):
        if obj.kind == "user":
            tenant.add_user(obj)
        else:
            tenant.add_service_principal(obj)


@dataclass(frozen=True, slots=True)
class LargeMix:
    """How many objects of each kind `large:N` holds; they add up to N."""

    members: int  # including the five demo accounts
    guests: int
    applications: int  # including the portal's
    first_party: int  # including Microsoft Azure CLI and Microsoft Graph
    managed_identities: int
    blueprints: int
    agent_identities: int
    agent_users: int

    @classmethod
    def of(cls, total: int) -> LargeMix:
        agent_identities = total * 2 // 100
        blueprints = min(40, math.ceil(agent_identities / 28))
        mix = {
            "guests": total * 6 // 100,
            "applications": max(1, total * 4 // 100),
            "first_party": max(2, total // 100),
            "managed_identities": total // 100,
            "blueprints": blueprints,
            "agent_identities": agent_identities,
            "agent_users": min(agent_identities, total // 100),
        }
        return cls(members=total - sum(mix.values()), **mix)

    @property
    def total(self) -> int:
        return (
            self.members + self.guests + self.applications + self.first_party
            + self.managed_identities + self.blueprints + self.agent_identities
            + self.agent_users
        )  # fmt: skip


def _add_large_objects(tenant: Tenant, rng: random.Random, mix: LargeMix) -> None:
    generated = mix.members - len(demo.DEMO_ACCOUNTS)
    for user in _generated_users(rng, generated, guest_every=None):
        tenant.add_user(user)
    sponsor_pool = list(tenant.users)
    for user in _generated_guests(rng, mix.guests):
        tenant.add_user(user)
    for sp in _fixed_service_principals(rng):
        tenant.add_service_principal(sp)
    for sp in _large_applications(rng, mix.applications - 1):
        tenant.add_service_principal(sp)
    for sp in _large_first_party(rng, mix.first_party - 2):
        tenant.add_service_principal(sp)
    for sp in _large_managed_identities(rng, mix.managed_identities):
        tenant.add_service_principal(sp)
    for obj in agents.large_agent_objects(
        rng, mix.blueprints, mix.agent_identities, mix.agent_users, sponsor_pool
    ):
        if obj.kind == "user":
            tenant.add_user(obj)
        else:
            tenant.add_service_principal(obj)


# -- schema ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Def:
    name: str
    type: str
    description: str
    collection: bool = False
    searchable: bool = True
    predefined_only: bool = False
    values: tuple[str, ...] = ()
    inactive_values: tuple[str, ...] = ()
    status: str = STATUS_AVAILABLE


_SCHEMA: tuple[tuple[AttributeSet, tuple[_Def, ...]], ...] = (
    (
        AttributeSet("Engineering", "Attributes for engineering team", 25),
        (
            _Def(
                "Project",
                "String",
                "Active projects for user",
                collection=True,
                predefined_only=True,
                values=("Alpine", "Baker", "Cascade"),
                inactive_values=("Denali",),
            ),
            _Def("ProjectDate", "String", "Target completion date"),
            _Def("NumVendors", "Integer", "Number of vendors the user manages"),
            _Def(
                "CostCenter",
                "Integer",
                "Cost centers the user charges time to",
                collection=True,
                predefined_only=True,
                values=("1001", "1002", "1003"),
                inactive_values=("1004",),
            ),
            _Def("Certification", "Boolean", "Has completed the engineering certification"),
            _Def("Datacenter", "String", "Datacenters the user operates in", collection=True),
            _Def(
                "LegacyTeam",
                "String",
                "Team name from the old org chart; replaced by Project",
                status=STATUS_DEPRECATED,
            ),
        ),
    ),
    (
        AttributeSet("Marketing", "Attributes for marketing team", None),
        (
            _Def(
                "AppCountry",
                "String",
                "Countries where the app or person operates",
                collection=True,
                predefined_only=True,
                values=("Canada", "France", "Germany", "India", "Japan", "Mexico", "Brazil"),
                inactive_values=("Atlantis",),
            ),
            _Def("EmployeeId", "String", "Marketing employee identifier"),
            _Def("Campaign", "String", "Current campaign code", searchable=False),
        ),
    ),
    (
        AttributeSet("Security", "Security classification and access review data", 10),
        (
            _Def(
                "Clearance",
                "String",
                "Highest data classification the principal may handle",
                predefined_only=True,
                values=("Public", "Internal", "Confidential", "HighlyConfidential"),
                inactive_values=("Restricted",),
            ),
            _Def("RiskScore", "Integer", "Last access review risk score", searchable=False),
            _Def("MfaExempt", "Boolean", "Temporarily exempt from MFA prompts"),
        ),
    ),
    (
        AttributeSet("Finance", "Cost allocation attributes", None),
        (
            _Def(
                "CostCode",
                "String",
                "Finance cost code; the listed values are suggestions",
                values=("FIN-100", "FIN-200", "FIN-300"),
            ),
            _Def("BudgetOwner", "Boolean", "Owns a budget line"),
        ),
    ),
    # Microsoft's Conditional Access pattern for agents (graph-api.md §11.1).
    (
        AttributeSet("AgentAttributes", "Lifecycle and risk classification of AI agents", None),
        (
            _Def(
                "AgentApprovalStatus",
                "String",
                "Who has reviewed and approved the agent",
                collection=True,
                predefined_only=True,
                values=agents.APPROVAL_STATUSES,
            ),
            _Def(
                "RiskTier",
                "String",
                "Risk tier from the last agent review",
                predefined_only=True,
                values=agents.RISK_TIERS,
            ),
            _Def("Autonomous", "Boolean", "Acts without a signed-in user"),
        ),
    ),
    (
        AttributeSet("ResourceAttributes", "Resources that agents may be allowed to reach", None),
        (
            _Def(
                "Department",
                "String",
                "Departments whose data the resource holds",
                collection=True,
                predefined_only=True,
                values=("Finance", "HR", "IT", "Marketing", "Sales"),
            ),
        ),
    ),
)


def _add_schema(tenant: Tenant) -> None:
    for attribute_set, definitions in _SCHEMA:
        tenant.add_set(
            AttributeSet(
                attribute_set.id, attribute_set.description, attribute_set.max_attributes_per_set
            )
        )
        for spec in definitions:
            allowed = {v: AllowedValue(v, True) for v in spec.values}
            allowed.update({v: AllowedValue(v, False) for v in spec.inactive_values})
            tenant.add_definition(
                AttributeDefinition(
                    attribute_set=attribute_set.id,
                    name=spec.name,
                    type=spec.type,
                    is_collection=spec.collection,
                    is_searchable=spec.searchable,
                    status=spec.status,
                    use_predefined_values_only=spec.predefined_only,
                    description=spec.description,
                    allowed_values=allowed,
                )
            )


# -- users -------------------------------------------------------------------------------

_FIRST_NAMES = (
    "Aarav", "Abigail", "Adrian", "Aisha", "Alejandro", "Amara", "Amelia", "Andrei", "Anika",
    "Arjun", "Beatriz", "Benjamin", "Bilal", "Camila", "Carlos", "Chen", "Chloe", "Daniel",
    "Diego", "Dmitri", "Elena", "Elif", "Emma", "Ethan", "Fatima", "Felix", "Freya", "Gabriel",
    "Grace", "Hana", "Hannah", "Hiroshi", "Ibrahim", "Ingrid", "Isaac", "Ivan", "Jamal",
    "Javier", "Jin", "Julia", "Kai", "Kenji", "Lars", "Leila", "Liam", "Lucas", "Lucía",
    "Maya", "Mei", "Mohammed", "Nadia", "Noah", "Nora", "Olga", "Omar", "Priya", "Rafael",
    "Rohan", "Sakura", "Samuel", "Sara", "Sofia", "Sven", "Tariq", "Thomas", "Valentina",
    "Wei", "Yara", "Yusuf", "Zara", "Zoë", "Mateo", "Olivia", "Ravi", "Sipho", "Thandiwe",
)  # fmt: skip
_LAST_NAMES = (
    "Abe", "Adeyemi", "Andersen", "Bauer", "Becker", "Bianchi", "Castillo", "Chen", "Costa",
    "Dubois", "Eriksson", "Fernández", "Fischer", "García", "Gupta", "Haddad", "Hansen",
    "Hernández", "Ito", "Ivanova", "Jensen", "Johansson", "Kim", "Kowalski", "Kumar", "Larsen",
    "Lee", "Lopez", "Martin", "Meyer", "Moreau", "Müller", "Nakamura", "Nguyen", "Novak",
    "Okafor", "Olsen", "Patel", "Pereira", "Petrov", "Popescu", "Rahman", "Rossi", "Santos",
    "Schmidt", "Sato", "Silva", "Singh", "Smith", "Suzuki", "Tanaka", "Taylor", "Varga",
    "Wagner", "Walker", "Wang", "Weber", "Williams", "Yamamoto", "Zhang", "Zimmermann",
)  # fmt: skip
_DEPARTMENTS: dict[str, tuple[str, ...]] = {
    "Engineering": (
        "Software Engineer",
        "Senior Software Engineer",
        "Site Reliability Engineer",
        "Engineering Manager",
        "QA Engineer",
        "Data Engineer",
    ),
    "Marketing": (
        "Marketing Specialist",
        "Content Strategist",
        "Brand Manager",
        "Marketing Analyst",
    ),
    "Sales": ("Account Executive", "Sales Manager", "Sales Engineer"),
    "Finance": ("Financial Analyst", "Accountant", "Controller"),
    "Human Resources": ("HR Generalist", "Recruiter", "HR Business Partner"),
    "Security": ("Security Analyst", "Security Engineer", "Security Architect"),
    "IT": ("IT Support Specialist", "Systems Administrator", "Network Engineer"),
    "Legal": ("Counsel", "Paralegal", "Compliance Officer"),
    "Operations": ("Operations Manager", "Logistics Coordinator", "Business Analyst"),
    "Customer Support": ("Support Engineer", "Customer Success Manager"),
}
# Engineering and Marketing are over-represented so their attribute sets have many values.
_DEPARTMENT_WEIGHTS = (30, 15, 10, 8, 6, 8, 7, 4, 7, 5)
_OFFICES = ("Seattle", "London", "Bangalore", "Toronto", "São Paulo", "Tokyo", "Berlin")
_GUEST_COMPANIES = (("fabrikam.example", "Fabrikam"), ("northwind.example", "Northwind Traders"))
_PARTNER_COMPANIES = (
    *_GUEST_COMPANIES,
    ("adventure-works.example", "Adventure Works"),
    ("tailspin.example", "Tailspin Toys"),
    ("wingtip.example", "Wingtip Toys"),
    ("litware.example", "Litware"),
)
_DATACENTERS = ("West Europe", "North Europe", "East US", "West US 2", "Southeast Asia")
_COUNTRIES = ("France", "Germany", "India", "Japan", "Mexico", "Brazil")
_CAMPAIGNS = ("SPRING-26", "LAUNCH-X", "PARTNER-Q3", "EVENTS-EU")


def _demo_user(account: demo.DemoAccount) -> DirectoryObject:
    csa: CsaAssignments = {}
    if account is demo.LEE:
        csa = {"Engineering": {"Project": ["Alpine", "Baker"], "Certification": True}}
    return kinds.user(
        account.object_id,
        account.given_name,
        account.surname,
        account.user_principal_name,
        job_title=account.job_title,
        department=account.department,
        office="Seattle",
        csa=csa,
    )


def _documented_users() -> list[DirectoryObject]:
    """The people of the Graph documentation's CSA examples, with their documented values."""

    def person(
        index: int, given: str, surname: str, dept: str, csa: CsaAssignments
    ) -> DirectoryObject:
        upn = f"{given.lower()}.{surname.lower()}@{demo.TENANT_DOMAIN}"
        object_id = str(uuid.uuid5(uuid.UUID(demo.TENANT_ID), f"documented-{index}"))
        return kinds.user(object_id, given, surname, upn, department=dept, office="London", csa=csa)

    return [
        person(1, "Jiya", "Sharma", "Marketing", {
            "Engineering": {"Datacenter": ["India"]},
            "Marketing": {"AppCountry": ["India", "Canada"], "EmployeeId": "KX19476"},
        }),
        person(2, "Jana", "Horvat", "Marketing", {
            "Marketing": {"AppCountry": ["Canada", "Mexico"], "EmployeeId": "GS46982"},
        }),
        person(3, "Joe", "Contoso", "Engineering", {
            "Engineering": {
                "Project": ["Baker", "Cascade"],
                "ProjectDate": "2022-10-01",
                "NumVendors": 8,
                "CostCenter": [1001],
                "Certification": True,
            },
            "Marketing": {"EmployeeId": "QN26904"},
        }),
        person(4, "Isabella", "Moreau", "Marketing", {"Marketing": {"AppCountry": ["France"]}}),
        person(5, "Dara", "Okafor", "Engineering", {"Engineering": {"ProjectDate": "2023-04-12"}}),
        person(6, "Alain", "Dubois", "Sales", {}),
        person(7, "Chandra", "Kumar", "Finance", {}),
    ]  # fmt: skip


def _generated_users(
    rng: random.Random, count: int, *, guest_every: int | None = 12
) -> Iterator[DirectoryObject]:
    """Members, and with `guest_every` one guest in so many (the demo tenant's mix)."""
    departments = list(_DEPARTMENTS)
    taken: dict[str, int] = {}
    for index in range(count):
        given = rng.choice(_FIRST_NAMES)
        surname = rng.choice(_LAST_NAMES)
        alias = _unique(taken, _ascii_alias(f"{given}.{surname}"))
        object_id = _uuid(rng)
        department = rng.choices(departments, weights=_DEPARTMENT_WEIGHTS)[0]
        if guest_every and index % guest_every == guest_every - 1:
            domain, company = rng.choice(_GUEST_COMPANIES)
            yield kinds.guest(object_id, given, surname, alias, domain, company, _guest_values(rng))
            continue
        yield kinds.user(
            object_id, given, surname, f"{alias}@{demo.TENANT_DOMAIN}",
            job_title=rng.choice(_DEPARTMENTS[department]),
            department=department,
            office=rng.choice(_OFFICES),
            enabled=rng.random() > 0.04,
            employee_id=f"{100000 + index}",
            csa=_member_values(rng, department),
        )  # fmt: skip


def _generated_guests(rng: random.Random, count: int) -> Iterator[DirectoryObject]:
    taken: dict[str, int] = {}
    for _ in range(count):
        given = rng.choice(_FIRST_NAMES)
        surname = rng.choice(_LAST_NAMES)
        domain, company = rng.choice(_PARTNER_COMPANIES)
        alias = _unique(taken, _ascii_alias(f"{given}.{surname}"), domain)
        yield kinds.guest(_uuid(rng), given, surname, alias, domain, company, _guest_values(rng))


def _unique(taken: dict[str, int], alias: str, scope: str = "") -> str:
    """`alias`, or `alias2`, `alias3`, … when it is already taken (within `scope`)."""
    key = f"{alias}@{scope}"
    taken[key] = taken.get(key, 0) + 1
    return alias if taken[key] == 1 else f"{alias}{taken[key]}"


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _ascii_alias(name: str) -> str:
    table = str.maketrans("áéíóúüöëñçãï", "aeiouuoencai")
    return name.lower().translate(table)


def _member_values(rng: random.Random, department: str) -> CsaAssignments:
    csa: CsaAssignments = {}
    if department == "Engineering":
        csa["Engineering"] = _engineering_values(rng)
    if department in ("Marketing", "Sales"):
        csa["Marketing"] = _marketing_values(rng)
    if department == "Finance" or rng.random() < 0.05:
        finance: dict[str, Any] = {
            "CostCode": rng.choice(("FIN-100", "FIN-200", "FIN-300", "FIN-410"))
        }
        if rng.random() < 0.3:
            finance["BudgetOwner"] = True
        csa["Finance"] = finance
    security = _security_values(rng)
    if security:
        csa["Security"] = security
    return {name: values for name, values in csa.items() if values}


def _engineering_values(rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if rng.random() < 0.8:
        projects = rng.sample(("Alpine", "Baker", "Cascade"), k=rng.choice((1, 1, 2)))
        if rng.random() < 0.05:
            projects.append("Denali")  # kept after the value was deactivated
        values["Project"] = projects
    if rng.random() < 0.4:
        values["ProjectDate"] = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    if rng.random() < 0.3:
        values["NumVendors"] = rng.randint(0, 12)
    if rng.random() < 0.5:
        values["CostCenter"] = sorted(rng.sample((1001, 1002, 1003), k=rng.choice((1, 1, 2))))
    if rng.random() < 0.5:
        values["Certification"] = rng.random() < 0.7
    if rng.random() < 0.3:
        values["Datacenter"] = rng.sample(_DATACENTERS, k=rng.choice((1, 2)))
    if rng.random() < 0.1:
        values["LegacyTeam"] = rng.choice(("Platform", "Tooling", "Mobile"))
    return values


def _marketing_values(rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if rng.random() < 0.7:
        values["AppCountry"] = rng.sample(_COUNTRIES, k=rng.choice((1, 1, 2, 3)))
    if rng.random() < 0.8:
        prefix = rng.choice(("KX", "QN", "MR", "TL"))
        values["EmployeeId"] = f"{prefix}{rng.randint(10000, 99999)}"
    if rng.random() < 0.3:
        values["Campaign"] = rng.choice(_CAMPAIGNS)
    return values


def _security_values(rng: random.Random) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if rng.random() < 0.35:
        choices = ("Public", "Internal", "Internal", "Confidential", "HighlyConfidential")
        values["Clearance"] = "Restricted" if rng.random() < 0.03 else rng.choice(choices)
    if rng.random() < 0.1:
        values["RiskScore"] = rng.randint(1, 100)
    if rng.random() < 0.04:
        values["MfaExempt"] = True
    return values


def _guest_values(rng: random.Random) -> CsaAssignments:
    if rng.random() < 0.5:
        return {}
    return {"Security": {"Clearance": "Public"}}


# -- service principals ----------------------------------------------------------------

_APPLICATIONS = (
    "Contoso HR Portal", "Payroll Sync", "Expense Tracker", "GitHub Enterprise Cloud",
    "Salesforce", "ServiceNow", "Workday Connector", "Slack", "Zoom", "Jira Cloud",
    "Confluence", "Datadog", "PagerDuty", "Tableau Online", "DocuSign", "Box",
    "Contoso Mobile App", "Contoso Partner API", "Marketing Analytics",
)  # fmt: skip
_SUBSCRIPTION = "6d0e2f1a-0c55-4c2f-9b1e-2f6c3a7d8e90"
_USER_ASSIGNED = "Microsoft.ManagedIdentity/userAssignedIdentities"
_APP_SERVICE = "Microsoft.Web/sites"  # function and web apps with a system-assigned identity
_MANAGED_IDENTITIES = (
    "mi-build-agents", "mi-data-pipeline", "mi-key-rotation", "mi-backup-vault",
    "mi-webapp-prod", "mi-func-ingest", "mi-aks-cluster", "mi-reporting",
)  # fmt: skip


def _fixed_service_principals(rng: random.Random) -> Iterator[DirectoryObject]:
    """The portal, the Azure CLI and Microsoft Graph: every tenant has them."""
    yield _application(rng, demo.PORTAL_APP_NAME, demo.PORTAL_CLIENT_ID, demo.TENANT_ID)
    yield _application(rng, demo.AZURE_CLI_APP_NAME, demo.AZURE_CLI_CLIENT_ID, MICROSOFT_TENANT_ID)
    yield _application(rng, "Microsoft Graph", demo.GRAPH_APP_ID, MICROSOFT_TENANT_ID)


def _service_principals(rng: random.Random) -> Iterator[DirectoryObject]:
    yield from _fixed_service_principals(rng)
    for name in _APPLICATIONS:
        app_id = _uuid(rng)
        sp = _application(rng, name, app_id, demo.TENANT_ID)
        sp.csa = _application_values(rng)
        yield sp
    for name in _MANAGED_IDENTITIES:
        yield _managed_identity(rng, name)


def _application(rng: random.Random, name: str, app_id: str, owner_tenant: str) -> DirectoryObject:
    return kinds.application(_uuid(rng), name, app_id, owner_tenant)


def _managed_identity(rng: random.Random, name: str) -> DirectoryObject:
    object_id = _uuid(rng)
    client_id = _uuid(rng)
    csa: CsaAssignments = {"Engineering": {"Datacenter": [rng.choice(_DATACENTERS)]}}
    return kinds.managed_identity(object_id, name, client_id, _identity_resource(name), csa=csa)


def _identity_resource(name: str, provider: str = _USER_ASSIGNED) -> str:
    return f"/subscriptions/{_SUBSCRIPTION}/resourcegroups/rg-platform/providers/{provider}/{name}"


# The demo tenant's applications that hold data agents may reach (ResourceAttributes).
_RESOURCE_DEPARTMENTS = {
    "Workday Connector": ["HR"],
    "Payroll Sync": ["HR", "Finance"],
    "Expense Tracker": ["Finance"],
    "ServiceNow": ["IT"],
    "Salesforce": ["Sales"],
    "Marketing Analytics": ["Marketing"],
}
SECURITY_COPILOT = "Microsoft Security Copilot"


def _tag_resources(tenant: Tenant) -> None:
    for sp in tenant.service_principals.values():
        departments = _RESOURCE_DEPARTMENTS.get(sp.display_name)
        if departments:
            sp.csa = {**sp.csa, "ResourceAttributes": {"Department": list(departments)}}


def _demo_first_party_and_identities() -> Iterator[DirectoryObject]:
    """More of Microsoft's applications, one of them tagged for Conditional Access as
    Microsoft documents for Security Copilot, and two system-assigned managed identities."""
    for name, app_id in kinds.FIRST_PARTY_APPS[:5]:
        yield kinds.application(
            agents.demo_id(f"first-party-{app_id}"), name, app_id, MICROSOFT_TENANT_ID,
            audience="AzureADMultipleOrgs",
        )  # fmt: skip
    yield kinds.application(
        agents.demo_id("first-party-security-copilot"),
        SECURITY_COPILOT,
        agents.demo_id("app-security-copilot"),
        MICROSOFT_TENANT_ID,
        audience="AzureADMultipleOrgs",
        csa={"Security": {"Clearance": "Confidential"}},
    )
    for name, provider, csa in (
        (
            "func-agent-orchestrator",
            _APP_SERVICE,
            {"Engineering": {"Datacenter": ["West Europe"]}},
        ),
        ("app-attribute-portal", _APP_SERVICE, {}),
    ):
        yield kinds.managed_identity(
            agents.demo_id(f"managed-identity-{name}"),
            name,
            agents.demo_id(f"managed-identity-client-{name}"),
            _identity_resource(name, provider),
            user_assigned=False,
            csa=csa,
        )


# -- large tenants' service principals -----------------------------------------------------

_APP_AREAS = (
    "HR", "Payroll", "Billing", "Inventory", "Logistics", "Analytics", "CRM", "Support",
    "Identity", "Docs", "Wiki", "Build", "Release", "Monitoring", "Backup", "Reporting",
    "Partner", "Mobile", "Intranet", "Learning",
)  # fmt: skip
_APP_KINDS = ("Portal", "API", "Connector", "Sync", "Dashboard", "Service", "Gateway", "App")
_MICROSOFT_PREFIXES = ("Microsoft", "Azure", "Office 365", "Microsoft Dynamics", "Windows")
_MICROSOFT_SERVICES = (
    "Defender", "Purview", "Sentinel", "Bookings", "Forms", "Planner", "Stream", "Whiteboard",
    "Power BI", "Power Automate", "Power Apps", "Information Protection", "Compliance Center",
    "Search", "Graph Connectors", "Device Registration", "Remote Desktop", "Key Vault",
    "Monitor", "Storage", "Resource Manager", "Substrate", "Loop", "Viva Engage", "To Do",
)  # fmt: skip
_WORKLOADS = (
    "build", "ingest", "etl", "backup", "reports", "web", "api", "jobs", "ml", "search",
    "events", "cache", "secrets", "billing", "sync",
)  # fmt: skip
_ENVIRONMENTS = ("prod", "test", "dev", "staging")
_RESOURCE_VALUES = ("Finance", "HR", "IT", "Marketing", "Sales")


def _large_applications(rng: random.Random, count: int) -> Iterator[DirectoryObject]:
    taken: dict[str, int] = {}
    for index in range(count):
        if index < len(_APPLICATIONS):
            name = _APPLICATIONS[index]
        else:
            name = f"Contoso {rng.choice(_APP_AREAS)} {rng.choice(_APP_KINDS)}"
        name = _numbered(taken, name)
        app_id = _uuid(rng)
        sp = _application(rng, name, app_id, demo.TENANT_ID)
        csa = _application_values(rng)
        if rng.random() < 0.2:
            csa["ResourceAttributes"] = {
                "Department": rng.sample(_RESOURCE_VALUES, k=rng.choice((1, 1, 2)))
            }
        sp.csa = csa
        yield sp


def _large_first_party(rng: random.Random, count: int) -> Iterator[DirectoryObject]:
    taken: dict[str, int] = {}
    for index in range(count):
        if index < len(kinds.FIRST_PARTY_APPS):
            name, app_id = kinds.FIRST_PARTY_APPS[index]
        else:
            name = f"{rng.choice(_MICROSOFT_PREFIXES)} {rng.choice(_MICROSOFT_SERVICES)}"
            app_id = _uuid(rng)
        csa: CsaAssignments = {}
        if rng.random() < 0.08:
            csa = {"Security": {"Clearance": rng.choice(("Internal", "Confidential"))}}
        yield kinds.application(
            _uuid(rng), _numbered(taken, name), app_id, MICROSOFT_TENANT_ID,
            audience="AzureADMultipleOrgs", csa=csa,
        )  # fmt: skip


def _large_managed_identities(rng: random.Random, count: int) -> Iterator[DirectoryObject]:
    taken: dict[str, int] = {}
    for _ in range(count):
        workload, environment = rng.choice(_WORKLOADS), rng.choice(_ENVIRONMENTS)
        user_assigned = rng.random() < 0.6
        if user_assigned:
            name, provider = f"mi-{workload}-{environment}", _USER_ASSIGNED
        else:
            name, provider = f"{rng.choice(('func', 'app'))}-{workload}-{environment}", _APP_SERVICE
        name = _numbered(taken, name, separator="-")
        object_id, client_id = _uuid(rng), _uuid(rng)
        csa: CsaAssignments = {}
        if rng.random() < 0.6:
            csa = {"Engineering": {"Datacenter": [rng.choice(_DATACENTERS)]}}
        yield kinds.managed_identity(
            object_id, name, client_id, _identity_resource(name, provider),
            user_assigned=user_assigned, csa=csa,
        )  # fmt: skip


def _numbered(taken: dict[str, int], name: str, separator: str = " ") -> str:
    """`name`, then `name 2`, `name 3`, … for display names that repeat."""
    taken[name] = taken.get(name, 0) + 1
    return name if taken[name] == 1 else f"{name}{separator}{taken[name]}"


def _application_values(rng: random.Random) -> CsaAssignments:
    csa: CsaAssignments = {}
    if rng.random() < 0.6:
        csa["Security"] = {
            "Clearance": rng.choice(("Internal", "Confidential", "HighlyConfidential"))
        }
    if rng.random() < 0.4:
        csa["Marketing"] = {"AppCountry": rng.sample(_COUNTRIES, k=2)}
    return csa


# -- roles and history -------------------------------------------------------------------


def role_assignment_id(role_id: str, principal_id: str, scope: str) -> str:
    """Entra-like assignment ids: two url-safe base64 GUIDs and a scope suffix."""

    def b64(guid: str) -> str:
        return base64.urlsafe_b64encode(uuid.UUID(guid).bytes_le).decode().rstrip("=")

    suffix = "1" if scope == demo.TENANT_SCOPE else uuid.uuid5(uuid.NAMESPACE_URL, scope).hex[:8]
    return f"{b64(role_id)}{b64(principal_id)}-{suffix}"


def _demo_role_assignments() -> list[RoleAssignment]:
    return [
        RoleAssignment(
            role_assignment_id(grant.role_id, account.object_id, grant.scope),
            grant.role_id,
            account.object_id,
            grant.scope,
        )
        for account in demo.DEMO_ACCOUNTS
        for grant in account.roles
    ]


def _historical_audits() -> list[dict[str, Any]]:
    """How the schema came to be: set and definition creations by Ada, early in 2026."""
    audits: list[dict[str, Any]] = []
    for day, (attribute_set, definitions) in enumerate(_SCHEMA, start=5):
        when = f"2026-01-{day:02d}T09:00:00.000000Z"
        audits.append(
            _historical_audit(len(audits), when, "Add an attribute set", attribute_set.id)
        )
        for minute, spec in enumerate(definitions, start=1):
            when = f"2026-01-{day:02d}T09:{minute:02d}:00.000000Z"
            audits.append(
                _historical_audit(
                    len(audits),
                    when,
                    "Add custom security attribute definition in an attribute set",
                    f"{attribute_set.id}_{spec.name}",
                )
            )
    audits.reverse()  # newest first, as the feed lists them
    return audits


def _historical_audit(index: int, when: str, activity: str, target: str) -> dict[str, Any]:
    correlation = str(uuid.uuid5(uuid.UUID(demo.TENANT_ID), f"audit-{index}"))
    return {
        "id": f"Directory_{correlation}_SEED{index:03d}_{386490241 + index}",
        "category": "AttributeManagement",
        "correlationId": correlation,
        "result": "success",
        "resultReason": "",
        "activityDisplayName": activity,
        "activityDateTime": when,
        "loggedByService": "Core Directory",
        "operationType": "Add",
        "userAgent": None,
        "initiatedBy": {
            "app": None,
            "user": {
                "id": demo.ADA.object_id,
                "displayName": demo.ADA.display_name,
                "userPrincipalName": demo.ADA.user_principal_name,
                "ipAddress": "203.0.113.10",
                "userType": "Member",
                "homeTenantId": demo.TENANT_ID,
                "homeTenantName": demo.TENANT_DISPLAY_NAME,
            },
        },
        "targetResources": [
            {
                "id": target,
                "displayName": target,
                "type": "Other",
                "userPrincipalName": None,
                "groupType": None,
                "modifiedProperties": [],
            }
        ],
        "additionalDetails": [],
    }
