"""OData literals, Graph URL paths and the portal's own URLs, for any value (issue 14).

The filters the portal builds read back, token by token, as exactly the literals meant:
no value ends its string early or brings an operator along. Identifiers go into Graph
paths as exactly one segment. And the same hostile values, assigned in the emulator and
looked for through the find page, find exactly the object that holds them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import pytest
from django.test import Client
from django.urls import NoReverseMatch, resolve, reverse
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from attributes import validators
from attributes.directory import AllowedValue, Definition, value_filter
from attributes.find import Condition, Query
from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from portal.graph import InvalidIdentifier, odata_string, segment
from tests.attributes.odata import split_filter
from tests.hostile import HOSTILE, hostile_text

GraphAs = Callable[..., Any]
# Half the profile's examples (30 by default): each costs a few requests to the emulator.
HTTP = settings(max_examples=settings.default.max_examples // 2)
SET_TYPE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"

TEXT = Definition("Engineering_ProjectDate", "Engineering", "ProjectDate", "String", False, True)
TAGS = Definition("Engineering_Tags", "Engineering", "Tags", "String", True, True)
LEVEL = Definition("Engineering_NumVendors", "Engineering", "NumVendors", "Integer", False, True)
CHOSEN = Definition(
    "Engineering_Project",
    "Engineering",
    "Project",
    "String",
    True,
    True,
    use_predefined_only=True,
    allowed_values=tuple(AllowedValue(v) for v in HOSTILE.values()),
)


def _blanked(condition: Condition) -> Condition:
    """The same condition looking for empty text (numbers stay: they are no literals)."""
    if condition.definition.type == "Integer":
        return condition
    return Condition(condition.definition, condition.operator, "", condition.negate)


@st.composite
def _conditions(draw: st.DrawFn) -> Condition:
    definition = draw(st.sampled_from([TEXT, TAGS, LEVEL]))
    if definition.type == "Integer":
        return Condition(
            definition,
            draw(st.sampled_from(["eq", "ne"])),
            draw(st.integers(validators.INT32_MIN, validators.INT32_MAX)),
            draw(st.booleans()),
        )
    operator = draw(st.sampled_from(["eq", "ne", "startsWith"]))
    return Condition(definition, operator, draw(hostile_text()), draw(st.booleans()))


# The filters ------------------------------------------------------------------------------


@given(
    conditions=st.lists(_conditions(), min_size=1, max_size=4),
    match=st.sampled_from(["all", "any"]),
)
def test_a_find_filter_reads_back_as_exactly_its_values(
    conditions: list[Condition], match: str
) -> None:
    query = Query(tuple(conditions), match=match)
    skeleton, literals = split_filter(query.filter)
    assert literals == [str(c.value) for c in conditions if c.definition.type == "String"]
    # Nothing but the values differs from the same query looking for empty text: no value
    # brought an operator, a parenthesis or a clause of its own.
    blank = Query(tuple(_blanked(c) for c in conditions), match=match)
    assert skeleton == blank.filter


@given(value=hostile_text())
def test_odata_string_is_one_literal_holding_the_value(value: str) -> None:
    skeleton, literals = split_filter(f"name eq {odata_string(value)} and x eq 'y'")
    assert (skeleton, literals) == ("name eq '' and x eq ''", [value, "y"])


def test_a_value_filter_quotes_every_predefined_value() -> None:
    for value in HOSTILE.values():
        assert split_filter(value_filter(CHOSEN, value))[1] == [value]


# Graph URL paths ----------------------------------------------------------------------------


@given(value=hostile_text())
def test_an_identifier_is_one_path_segment_or_refused(value: str) -> None:
    refusable = value in {"", ".", ".."} or len(value) > 256 or bool(set(value) & set("/\\?#"))
    if refusable or any(ord(c) < 0x20 for c in value):
        with pytest.raises(InvalidIdentifier, match="cannot be used as an identifier"):
            segment(value)
        return
    quoted = segment(value)
    url = urlsplit(f"https://graph.example/v1.0/users/{quoted}/memberOf?$top=1")
    assert url.path.split("/") == ["", "v1.0", "users", quoted, "memberOf"]
    assert (url.query, url.fragment) == ("$top=1", "")
    assert unquote(quoted) == value
    assert unquote(quoted) not in {".", ".."}


@pytest.mark.parametrize("value", ["id\n", ":\n", "a\r\n"])
def test_an_identifier_ending_in_a_line_break_is_refused(value: str) -> None:
    """The pattern's $ matched before a final line break, so these passed (found by the
    thorough profile)."""
    with pytest.raises(InvalidIdentifier):
        segment(value)


# The portal's own URLs --------------------------------------------------------------------

_NAMES = st.one_of(
    st.sampled_from(list(HOSTILE.values())), hostile_text(max_size=40), st.text(max_size=40)
)


@given(set_name=_NAMES, name=_NAMES)
def test_a_definitions_address_names_exactly_its_set_and_attribute(
    set_name: str, name: str
) -> None:
    try:
        url = reverse("attributes:definition_detail", kwargs={"set_name": set_name, "name": name})
    except NoReverseMatch:
        # Only a name holding "/" (or none at all) has no address; Graph refuses both.
        assert "/" in set_name + name or "" in (set_name, name)
        return
    parts = urlsplit(url)
    assert (parts.query, parts.fragment) == ("", "")
    assert parts.path.count("/") == "/sets/S/attributes/N/".count("/")
    assert resolve(unquote(parts.path)).kwargs == {"set_name": set_name, "name": name}
    if not validators.name_errors(set_name, what="set") and not validators.name_errors(
        name, what="attribute"
    ):
        # A name Graph accepts is never a dot segment a browser would remove.
        assert not {".", ".."} & set(unquote(parts.path).split("/"))


# Through the emulator -------------------------------------------------------------------------

DARA = "Engineering_ProjectDate"


def _assignable(value: str) -> bool:
    """What the find form looks for as it is, and the portal would assign."""
    return value == value.strip() and not validators.assigned_value_errors(value, type_="String")


def _found(client: Client, params: dict[str, str]) -> set[str]:
    response = client.get("/find/export.json", params)
    assert response.status_code == 200, response.content[:500]
    return {row["objectId"] for row in json.loads(b"".join(response.streaming_content))}


@pytest.fixture
def ada(signed_in: Callable[[str], Client]) -> Client:
    return signed_in("ada.admin@contoso.example")


@pytest.mark.django_db(transaction=True)
@HTTP
@given(value=hostile_text(max_size=64).filter(_assignable))
def test_a_hostile_value_is_found_on_exactly_the_object_that_holds_it(
    ada: Client, graph_as: GraphAs, value: str
) -> None:
    """Rey gets the value; a find for it, and one for it as a prefix, find Rey."""
    body = {
        "customSecurityAttributes": {"Engineering": {"@odata.type": SET_TYPE, "ProjectDate": value}}
    }
    assert graph_as("PATCH", f"/users/{demo.REY.object_id}", json=body).status_code == 204
    exact = {"a1": DARA, "o1": "eq", "v1": value, "tab": "users"}
    assert _found(ada, exact) == {demo.REY.object_id}
    prefix = {**exact, "o1": "startsWith"}
    assert demo.REY.object_id in _found(ada, prefix)


@pytest.fixture
def notes(graph_as: GraphAs) -> str:
    """A free-form multi-valued attribute, Engineering_Notes, created once per test."""
    created = graph_as("POST", "/directory/customSecurityAttributeDefinitions", json={
        "attributeSet": "Engineering", "name": "Notes", "type": "String", "isCollection": True,
        "isSearchable": True, "status": "Available", "usePreDefinedValuesOnly": False,
    })  # fmt: skip
    assert created.status_code == 201, created.text
    return "Engineering_Notes"


@pytest.mark.django_db(transaction=True)
@HTTP
@given(
    values=st.lists(
        hostile_text(max_size=64).filter(_assignable), min_size=2, max_size=4, unique=True
    )
)
def test_any_of_several_hostile_values_finds_the_object_and_ne_excludes_it(
    ada: Client, graph_as: GraphAs, notes: str, values: list[str]
) -> None:
    """On a multi-valued attribute eq holds when any element is the value, ne when none is."""
    held, absent = values[:-1], values[-1]
    body = {"customSecurityAttributes": {"Engineering": {
        "@odata.type": SET_TYPE, "Notes@odata.type": "#Collection(String)", "Notes": held,
    }}}  # fmt: skip
    assert graph_as("PATCH", f"/users/{demo.REY.object_id}", json=body).status_code == 204
    for value in held:
        query = {"a1": notes, "o1": "eq", "v1": value, "tab": "users"}
        assert _found(ada, query) == {demo.REY.object_id}
        assert demo.REY.object_id not in _found(ada, {**query, "o1": "ne"})
    assert _found(ada, {"a1": notes, "o1": "eq", "v1": absent, "tab": "users"}) == set()


@pytest.mark.django_db(transaction=True)
@HTTP
@given(app_id=hostile_text(max_size=40).filter(lambda t: t and "/" not in t))
def test_an_app_id_in_the_address_stays_inside_its_key(
    ada: Client, emu: EmulatorProcess, app_id: str
) -> None:
    """/objects/by-app-id/<anything>/ asks Graph for that one key, never for another path
    or with query options of its own."""
    assume(app_id not in {".", ".."})
    since = emu.requests_log()[-1]["seq"]
    response = ada.get(f"/objects/by-app-id/{quote(app_id, safe='')}/")
    assert response.status_code in {302, 400, 404}, response.content[:300]
    (sent,) = [e for e in emu.requests_log(since) if "servicePrincipals" in e["path"]]
    assert unquote(sent["path"]) == f"/servicePrincipals(appId={odata_string(app_id)})"
    assert list(sent["query"]) == ["$select"]


@pytest.mark.django_db(transaction=True)
def test_an_app_id_leads_to_its_service_principal(ada: Client, graph_as: GraphAs) -> None:
    """What the property above must not break: a real app id still finds its object."""
    found = graph_as("GET", "/servicePrincipals", params={"$top": "1", "$select": "id,appId"})
    (principal,) = found.json()["value"]
    response = ada.get(f"/objects/by-app-id/{principal['appId']}/")
    assert response.status_code == 302
    assert principal["id"] in response["Location"]


def _phrases(search: str) -> list[str]:
    """The quoted phrases of a $search value, and what lies between them."""
    parts = search.split('"')
    assert len(parts) % 2 == 1, search  # every quote closed
    return parts


@pytest.mark.django_db(transaction=True)
@HTTP
@given(text=hostile_text(max_size=60))
def test_a_search_is_two_quoted_phrases_whatever_is_typed(
    ada: Client, emu: EmulatorProcess, text: str
) -> None:
    since = emu.requests_log()[-1]["seq"]
    response = ada.get("/objects/", {"q": text, "tab": "users"})
    assert response.status_code == 200, response.content[:500]
    for sent in emu.requests_log(since):
        if "$search" in sent["query"]:
            parts = _phrases(sent["query"]["$search"])
            before, name, between, other, after = parts
            assert (before, between, after) == ("", " OR ", "")
            field, _, term = other.partition(":")
            assert field in {"userPrincipalName", "appId"}
            assert name == f"displayName:{term}"
            assert term.strip() == term != ""
