"""Option labels stay findable by their first letters, and are isolated when they must be."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from portal.isolation import FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE, isolated_option


@pytest.mark.parametrize("name", ["Project", "Engineering", "Cost Center 2", "عربي"])
def test_an_option_without_bidi_controls_is_its_value_as_it_is(name: str) -> None:
    assert isolated_option(name) == name


@pytest.mark.parametrize("name", ["Team \u202eretaeper", "\u2067x", "a\u200fb"])
def test_an_option_with_a_bidi_control_is_isolated(name: str) -> None:
    assert isolated_option(name) == f"{FIRST_STRONG_ISOLATE}{name}{POP_DIRECTIONAL_ISOLATE}"


def test_the_filter_escapes_and_isolates_in_a_template() -> None:
    template = Template(
        '<optgroup label="{{ group|isolated_option }}"><option>{{ name|isolated_option }}</option>'
    )
    html = template.render(Context({"group": "A&B", "name": "<\u202ex>"}))
    assert html == (
        '<optgroup label="A&amp;B">'
        f"<option>{FIRST_STRONG_ISOLATE}&lt;\u202ex&gt;{POP_DIRECTIONAL_ISOLATE}</option>"
    )
