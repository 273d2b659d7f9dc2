"""What each mix of Entra roles and scopes lets a person see and do, without HTTP."""

from __future__ import annotations

import pytest
from django.utils.html import strip_tags

from attributes.capabilities import (
    ASSIGNMENT_ADMINISTRATOR,
    ASSIGNMENT_READER,
    DEFINITION_ADMINISTRATOR,
    DEFINITION_READER,
    GLOBAL_ADMINISTRATOR,
    LOG_READER,
    Capabilities,
    Reach,
    RoleGrant,
)

TENANT = "/"
ENGINEERING = "/attributeSets/Engineering"


def caps(*grants: tuple[str, str], source: str = "roleAssignments") -> Capabilities:
    return Capabilities(
        grants=tuple(RoleGrant(role, scope) for role, scope in grants), source=source
    )


def test_a_set_scoped_role_reaches_only_its_set_whatever_the_case() -> None:
    lead = caps((ASSIGNMENT_ADMINISTRATOR, ENGINEERING))
    assert lead.assignments_write.allows("Engineering")
    assert lead.assignments_write.allows("engineering")
    assert not lead.assignments_write.allows("Marketing")
    assert not lead.assignments_write.allows(None)
    assert strip_tags(lead.assignments_write.label) == "the attribute set Engineering"
    # The set's name is isolated, so a bidi override in it cannot reorder the sentence.
    assert "<bdi>Engineering</bdi>" in lead.assignments_write.label


def test_a_tenant_wide_assignment_beats_a_set_scoped_one() -> None:
    both = caps((DEFINITION_ADMINISTRATOR, ENGINEERING), (DEFINITION_ADMINISTRATOR, TENANT))
    assert both.definitions_write.tenant
    assert both.sets_write


def test_set_scoped_definition_admins_cannot_change_sets_themselves() -> None:
    scoped = caps((DEFINITION_ADMINISTRATOR, ENGINEERING))
    assert scoped.definitions_write.allows("Engineering")
    assert not scoped.sets_write
    assert "cannot change the set itself" in scoped.why_not_write_sets()


@pytest.mark.parametrize(
    ("role", "reads_definitions", "reads_values", "writes_values"),
    [
        (DEFINITION_READER, True, False, False),
        (DEFINITION_ADMINISTRATOR, True, False, False),
        (ASSIGNMENT_READER, True, True, False),
        (ASSIGNMENT_ADMINISTRATOR, True, True, True),
        (LOG_READER, False, False, False),
    ],
)
def test_each_role_grants_what_graph_api_4_2_says(
    role: str, reads_definitions: bool, reads_values: bool, writes_values: bool
) -> None:
    person = caps((role, TENANT))
    assert bool(person.definitions_read) is reads_definitions
    assert bool(person.assignments_read) is reads_values
    assert bool(person.assignments_write) is writes_values
    assert person.has_attribute_role


def test_global_administrator_alone_has_no_attribute_role() -> None:
    gil = caps((GLOBAL_ADMINISTRATOR, TENANT))
    assert not gil.has_attribute_role
    assert not gil.definitions_read
    assert [g.role_name for g in gil.other_grants] == ["Global Administrator"]


def test_log_readers_read_the_whole_portal_log_and_entras_feed() -> None:
    auditor = caps((LOG_READER, TENANT))
    assert auditor.portal_log_read.tenant
    assert auditor.entra_audit_read


def test_other_attribute_roles_read_the_log_of_their_sets_only() -> None:
    lead = caps((ASSIGNMENT_ADMINISTRATOR, ENGINEERING))
    assert lead.portal_log_read.sets == frozenset({"Engineering"})
    assert not lead.portal_log_read.tenant
    assert not lead.entra_audit_read


def test_refusals_name_the_role_and_the_scope() -> None:
    lead = caps((ASSIGNMENT_ADMINISTRATOR, ENGINEERING))
    assert "not the attribute set Marketing" in strip_tags(lead.why_not_read_set("Marketing"))
    assert "or for Marketing" in strip_tags(lead.why_not_read_set("Marketing"))
    assert "the attribute set Marketing" in strip_tags(lead.why_not_write_definitions("Marketing"))
    assert "about the attribute set Marketing" in strip_tags(lead.why_not_read_record("Marketing"))
    assert "not about any attribute set" in lead.why_not_read_record("")


def test_capabilities_survive_the_session_round_trip() -> None:
    original = caps((ASSIGNMENT_ADMINISTRATOR, ENGINEERING), (LOG_READER, TENANT))
    assert Capabilities.from_session(original.to_session()) == original


def test_an_empty_reach_is_false_and_says_none() -> None:
    assert not Reach()
    assert Reach().label == "none"
    assert strip_tags(Reach(sets=frozenset({"B", "A"})).label) == "the attribute sets A, B"
