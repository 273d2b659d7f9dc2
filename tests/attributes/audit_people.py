"""People and records for the audit review tests: real sessions, real chained records.

People are signed in with `force_login` and their Entra roles are put in the session
exactly where sign-in puts them; records are appended through attributes.audit, so
every test reads a valid hash chain.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from django.test import Client

from attributes.audit import bulk_append
from attributes.capabilities import (
    ASSIGNMENT_ADMINISTRATOR,
    DEFINITION_READER,
    LOG_READER,
    Capabilities,
    RoleGrant,
)
from attributes.models import Action, AuditRecord, Outcome, TargetType
from portal.models import User

TENANT = "3f1e5a2c-8d47-4b6e-9a10-5c2d7e8f9a01"
ADA_ID = "3729d667-ff01-4a53-8a1b-8149d9eebb2b"
LEE_ID = "6acf483d-2df2-43ca-99d7-85e685561426"
USER_ID = "0a1b2c3d-0000-4000-8000-00000000000a"
OTHER_USER_ID = "0a1b2c3d-0000-4000-8000-00000000000b"
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

AUDITOR = ((LOG_READER, "/"),)
LEAD = ((ASSIGNMENT_ADMINISTRATOR, "/attributeSets/Engineering"),)
TENANT_READER = ((DEFINITION_READER, "/"),)
NO_ROLES: tuple[tuple[str, str], ...] = ()

_object_ids = itertools.count(1)


def sign_in(client: Client, grants: tuple[tuple[str, str], ...], upn: str = "") -> Client:
    number = next(_object_ids)
    user = User.objects.create(
        tenant_id=TENANT,
        object_id=f"00000000-0000-4000-8000-{number:012d}",
        user_principal_name=upn or f"person{number}@contoso.example",
        display_name=f"Person {number}",
    )
    client.force_login(user)
    session = client.session
    session["capabilities"] = Capabilities(
        grants=tuple(RoleGrant(role, scope) for role, scope in grants)
    ).to_session()
    session.save()
    return client


def record(**overrides: Any) -> AuditRecord:
    """An unsaved, finished record with sensible defaults (a user's Engineering value)."""
    fields: dict[str, Any] = {
        "created_at": T0,
        "completed_at": None,
        "actor_tenant_id": TENANT,
        "actor_object_id": ADA_ID,
        "actor_upn": "ada.admin@contoso.example",
        "actor_name": "Ada Admin",
        "actor_ip": "10.0.0.1",
        "action": Action.ASSIGNMENT_CHANGED,
        "target_type": TargetType.USER,
        "target_id": USER_ID,
        "target_name": "Uma User",
        "attribute_set": "Engineering",
        "attribute": "Project",
        "before": {"value": "Alpine"},
        "after": {"value": "Baltic"},
        "reason": "ticket CHG-1",
        "outcome": Outcome.SUCCEEDED,
        "graph_request_id": "req-1",
        "error_code": "",
        "error_message": "",
        "job_id": "",
        "correlation_id": "corr-1",
    }
    fields.update(overrides)
    if fields["completed_at"] is None and fields["outcome"] != Outcome.PENDING:
        fields["completed_at"] = fields["created_at"] + timedelta(seconds=1)
    return AuditRecord(**fields)


def seed(*records: AuditRecord) -> list[AuditRecord]:
    """Appends the records to the chain in order; returns them with their seq."""
    bulk_append(records)
    return list(records)
