"""Agents: blueprint principals, agent identities and agents' user accounts, for both seeds.

The demo tenant has four blueprints with ten agent identities and three agent users, with
fixed ids and names (tests and the portal's demo rely on them). Their values follow
Microsoft's documented pattern, `AgentAttributes/AgentApprovalStatus`, spread so that a
status board shows every status; some agents and blueprint principals are tagged and some
are not, and some agents have no sponsor. Large tenants get the same kinds in proportion,
from the seeded RNG.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from emulator.tenant import demo, kinds
from emulator.tenant.model import CsaAssignments, DirectoryObject

APPROVAL_STATUSES = ("New", "In_Review", "HR_Approved", "Finance_Approved", "IT_Approved")
RISK_TIERS = ("Low", "Medium", "High")


def demo_id(name: str) -> str:
    """A fixed object id or appId for a named demo object."""
    return str(uuid.uuid5(uuid.UUID(demo.TENANT_ID), name))


@dataclass(frozen=True, slots=True)
class DemoBlueprint:
    key: str
    display_name: str
    sponsors: tuple[str, ...]  # user principal names
    statuses: tuple[str, ...] = ()  # AgentApprovalStatus; empty: untagged

    @property
    def app_id(self) -> str:
        return demo_id(f"blueprint-{self.key}")

    @property
    def principal_id(self) -> str:
        return demo_id(f"blueprint-principal-{self.key}")


@dataclass(frozen=True, slots=True)
class DemoAgent:
    key: str
    display_name: str
    blueprint: DemoBlueprint
    department: str
    sponsors: tuple[str, ...]  # user principal names; empty: nobody sponsors it
    statuses: tuple[str, ...] = ()  # AgentApprovalStatus; empty: untagged
    risk_tier: str | None = None
    autonomous: bool | None = None
    has_user: bool = False  # an agentUser account linked to this agent

    @property
    def object_id(self) -> str:
        return demo_id(f"agent-{self.key}")

    @property
    def user_id(self) -> str:
        return demo_id(f"agent-user-{self.key}")

    @property
    def user_principal_name(self) -> str:
        return f"{self.key}@{demo.TENANT_DOMAIN}"

    def values(self) -> CsaAssignments:
        attributes: dict[str, str | bool | list[str]] = {}
        if self.statuses:
            attributes["AgentApprovalStatus"] = list(self.statuses)
        if self.risk_tier is not None:
            attributes["RiskTier"] = self.risk_tier
        if self.autonomous is not None:
            attributes["Autonomous"] = self.autonomous
        return {"AgentAttributes": attributes} if attributes else {}


_GIL = demo.GIL.user_principal_name
_ADA = demo.ADA.user_principal_name
_LEE = demo.LEE.user_principal_name
_CHANDRA = f"chandra.kumar@{demo.TENANT_DOMAIN}"
_ALAIN = f"alain.dubois@{demo.TENANT_DOMAIN}"
_JANA = f"jana.horvat@{demo.TENANT_DOMAIN}"

HR_BLUEPRINT = DemoBlueprint("hr", "HR Agent Blueprint", (_GIL,), ("HR_Approved",))
FINANCE_BLUEPRINT = DemoBlueprint(
    "finance", "Finance Agent Blueprint", (_CHANDRA,), ("Finance_Approved",)
)
IT_BLUEPRINT = DemoBlueprint("it", "IT Service Desk Blueprint", (_ADA,))
SALES_BLUEPRINT = DemoBlueprint("sales", "Sales Research Blueprint", (_ALAIN,))
DEMO_BLUEPRINTS = (HR_BLUEPRINT, FINANCE_BLUEPRINT, IT_BLUEPRINT, SALES_BLUEPRINT)

DEMO_AGENTS: tuple[DemoAgent, ...] = (
    DemoAgent(
        "hr-onboarding-agent", "HR Onboarding Agent", HR_BLUEPRINT, "Human Resources", (_GIL,),
        ("HR_Approved", "IT_Approved"), "Medium", has_user=True,
    ),
    DemoAgent(
        "hr-benefits-agent", "HR Benefits Agent", HR_BLUEPRINT, "Human Resources",
        (_GIL, _ADA), ("In_Review",),
    ),
    DemoAgent("hr-policy-agent", "HR Policy Q&A Agent", HR_BLUEPRINT, "Human Resources", ()),
    DemoAgent(
        "invoice-triage-agent", "Invoice Triage Agent", FINANCE_BLUEPRINT, "Finance",
        (_CHANDRA,), ("Finance_Approved", "IT_Approved"), "Medium", True, has_user=True,
    ),
    DemoAgent(
        "expense-audit-agent", "Expense Audit Agent", FINANCE_BLUEPRINT, "Finance", (_CHANDRA,),
        ("New",), "Medium",
    ),
    DemoAgent("procurement-agent", "Procurement Agent", FINANCE_BLUEPRINT, "Finance", ()),
    DemoAgent(
        "password-reset-agent", "Password Reset Agent", IT_BLUEPRINT, "IT", (_ADA,),
        ("IT_Approved",), "High", True,
    ),
    DemoAgent(
        "ticket-routing-agent", "Ticket Routing Agent", IT_BLUEPRINT, "IT", (_ADA, _LEE),
        ("In_Review",), "Low", has_user=True,
    ),
    DemoAgent("lead-research-agent", "Lead Research Agent", SALES_BLUEPRINT, "Sales", (_ALAIN,)),
    DemoAgent(
        "proposal-drafting-agent", "Proposal Drafting Agent", SALES_BLUEPRINT, "Sales",
        (_ALAIN, _JANA),
    ),
)  # fmt: skip

# Only this agent user carries values of its own: agents' user accounts are rarely tagged.
TAGGED_AGENT_USER = DEMO_AGENTS[0]


def demo_agent_objects(resolve: dict[str, str]) -> Iterator[DirectoryObject]:
    """The demo tenant's blueprint principals, agent identities and agent users; `resolve`
    maps a sponsor's user principal name to its object id."""

    def sponsors(upns: Sequence[str]) -> tuple[str, ...]:
        return tuple(resolve[upn] for upn in upns)

    for blueprint in DEMO_BLUEPRINTS:
        csa: CsaAssignments = {}
        if blueprint.statuses:
            csa = {"AgentAttributes": {"AgentApprovalStatus": list(blueprint.statuses)}}
        yield kinds.blueprint_principal(
            blueprint.principal_id,
            blueprint.display_name,
            blueprint.app_id,
            csa=csa,
            sponsors=sponsors(blueprint.sponsors),
        )
    for agent in DEMO_AGENTS:
        yield kinds.agent_identity(
            agent.object_id,
            agent.display_name,
            agent.blueprint.app_id,
            csa=agent.values(),
            sponsors=sponsors(agent.sponsors),
        )
    for agent in DEMO_AGENTS:
        if not agent.has_user:
            continue
        csa = {}
        if agent is TAGGED_AGENT_USER:
            csa = {"AgentAttributes": {"AgentApprovalStatus": ["HR_Approved"]}}
        yield kinds.agent_user(
            agent.user_id,
            agent.display_name,
            agent.user_principal_name,
            agent.object_id,
            department=agent.department,
            csa=csa,
            sponsors=sponsors(agent.sponsors),
        )


# -- large tenants -----------------------------------------------------------------------

_BLUEPRINT_AREAS = (
    "HR", "Finance", "IT Service Desk", "Sales", "Marketing", "Legal", "Procurement",
    "Customer Support", "Security Operations", "Engineering", "Data Platform", "Facilities",
)  # fmt: skip
_BLUEPRINT_KINDS = ("Copilot", "Assistant", "Automation", "Research", "Triage", "Workflow")
_AGENT_TASKS = (
    "Onboarding", "Invoice", "Expense", "Ticket", "Contract", "Lead", "Alert", "Access Review",
    "Knowledge", "Scheduling", "Report", "Translation", "Compliance", "Code Review", "Backlog",
)  # fmt: skip
_AGENT_ROLES = ("Agent", "Assistant", "Bot", "Worker", "Analyst")
_DEPARTMENT_OF_AREA = {
    "HR": "Human Resources",
    "IT Service Desk": "IT",
    "Security Operations": "Security",
    "Data Platform": "Engineering",
}


def large_agent_objects(
    rng: random.Random,
    blueprints: int,
    identities: int,
    users: int,
    sponsor_pool: Sequence[str],
) -> Iterator[DirectoryObject]:
    """`blueprints` blueprint principals, `identities` agent identities spread over them, and
    `users` agent users linked to distinct agent identities. About a third of the agents,
    two in five blueprint principals and one in five agent users are tagged; most agents
    have a sponsor."""
    parents: list[tuple[str, str]] = []  # (appId, area) of each blueprint
    for index in range(blueprints):
        area = _BLUEPRINT_AREAS[index % len(_BLUEPRINT_AREAS)]
        kind = _BLUEPRINT_KINDS[(index // len(_BLUEPRINT_AREAS)) % len(_BLUEPRINT_KINDS)]
        app_id = _uuid(rng)
        parents.append((app_id, area))
        csa: CsaAssignments = {}
        if rng.random() < 0.4:
            csa = {"AgentAttributes": {"AgentApprovalStatus": [_status(rng)]}}
        yield kinds.blueprint_principal(
            _uuid(rng),
            f"{area} {kind} Blueprint",
            app_id,
            csa=csa,
            sponsors=_sponsors(rng, sponsor_pool, 1),
        )
    agents: list[tuple[DirectoryObject, str]] = []  # each with its blueprint's area
    taken: dict[str, int] = {}
    for _ in range(identities if parents else 0):
        app_id, area = rng.choice(parents)
        name = f"{area} {rng.choice(_AGENT_TASKS)} {rng.choice(_AGENT_ROLES)}"
        taken[name] = taken.get(name, 0) + 1
        if taken[name] > 1:
            name = f"{name} {taken[name]}"
        agent = kinds.agent_identity(
            _uuid(rng),
            name,
            app_id,
            created=f"2026-{rng.randint(1, 6):02d}-{rng.randint(1, 28):02d}T09:00:00Z",
            enabled=rng.random() > 0.03,
            csa=_agent_values(rng),
            sponsors=_sponsors(rng, sponsor_pool, 2) if rng.random() < 0.85 else (),
        )
        agents.append((agent, area))
        yield agent
    for agent, area in rng.sample(agents, k=min(users, len(agents))):
        slug = "-".join(agent.display_name.lower().split())
        csa = {}
        if rng.random() < 0.2:
            csa = {"AgentAttributes": {"AgentApprovalStatus": [_status(rng)]}}
        yield kinds.agent_user(
            _uuid(rng),
            agent.display_name,
            f"{slug}-{agent.id[:8]}@{demo.TENANT_DOMAIN}",
            agent.id,
            department=_DEPARTMENT_OF_AREA.get(area, area),
            csa=csa,
            sponsors=agent.sponsors,
        )


def _agent_values(rng: random.Random) -> CsaAssignments:
    if rng.random() >= 0.32:
        return {}
    attributes: dict[str, str | bool | list[str]] = {
        "AgentApprovalStatus": rng.sample(APPROVAL_STATUSES, k=rng.choice((1, 1, 2)))
    }
    if rng.random() < 0.7:
        attributes["RiskTier"] = rng.choices(RISK_TIERS, weights=(5, 3, 1))[0]
    if rng.random() < 0.3:
        attributes["Autonomous"] = rng.random() < 0.6
    return {"AgentAttributes": attributes}


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _status(rng: random.Random) -> str:
    return rng.choices(APPROVAL_STATUSES, weights=(3, 3, 2, 2, 3))[0]


def _sponsors(rng: random.Random, pool: Sequence[str], most: int) -> tuple[str, ...]:
    if not pool:
        return ()
    return tuple(rng.sample(pool, k=min(len(pool), rng.randint(1, most))))
