"""Every form of the portal, fed hostile text in every field (issue 14).

Whatever arrives, a form either validates or refuses with a message a person can read,
attached to a field it has (or to the form as a whole); it never raises. Rendered back
with that input, it stays inert markup: no element or attribute the input brought along.
No network: the forms are built from definitions and objects as the views build them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from hypothesis import event, given
from hypothesis import strategies as st
from lxml import html as lxml_html

from attributes import forms as portal_forms
from attributes.audit_review.entra import EntraFilterForm, entra_filter
from attributes.audit_review.filters import AuditFilterForm
from attributes.bulk.forms import BulkChangeForm, UploadForm
from attributes.coverage import CoverageForm
from attributes.directory import DEPRECATED, AllowedValue, Definition
from attributes.find import FindForm
from attributes.objects import DirectoryObject, Kind
from attributes.views.agents import MoveForm
from tests.hostile import HOSTILE, hostile_text

STATUS = Definition(
    "Engineering_Status",
    "Engineering",
    "Status",
    "String",
    is_collection=False,
    is_searchable=True,
    use_predefined_only=True,
    allowed_values=(AllowedValue("Active"), AllowedValue("\u202eZap"), AllowedValue("Old", False)),
)
PROJECT = Definition(
    "Engineering_Project",
    "Engineering",
    "Project",
    "String",
    is_collection=True,
    is_searchable=True,
    use_predefined_only=True,
    allowed_values=(AllowedValue("Alpine"), AllowedValue("<b>x</b>"), AllowedValue("Gone", False)),
)
CODE = Definition("Engineering_Code", "Engineering", "Code", "String", False, True)
TAGS = Definition("Engineering_Tags", "Engineering", "Tags", "String", True, True)
LEVEL = Definition("Engineering_Level", "Engineering", "Level", "Integer", False, True)
VENDORS = Definition("Engineering_Vendors", "Engineering", "Vendors", "Integer", True, True)
CERTIFIED = Definition("Engineering_Certified", "Engineering", "Certified", "Boolean", False, True)
HIDDEN = Definition("HR_Hidden", "HR", "Hidden", "String", False, False)
LEGACY = Definition("HR_Legacy", "HR", "Legacy", "String", False, True, DEPRECATED)
DEFINITIONS = [STATUS, PROJECT, CODE, TAGS, LEVEL, VENDORS, CERTIFIED, HIDDEN, LEGACY]

JOE = DirectoryObject(
    "d8fd6d05-1391-5683-a152-f7c0f1ef8043",
    Kind.MEMBER,
    "Joe <b>",
    user_principal_name="joe@contoso.example",
    values={"Engineering": {"Status": "Old", "Project": ["Gone", "Alpine"], "Level": 3}},
)


def _assignment(definition: Definition, **extra: Any) -> Callable[..., forms.Form]:
    def build(*args: Any, **kwargs: Any) -> forms.Form:
        return portal_forms.AssignmentForm(
            *args, definition=definition, current=JOE, **extra, **kwargs
        )

    return build


# Each form as its view builds it. A test is a form and the data a browser could post.
FORMS: dict[str, Callable[..., forms.Form]] = {
    "set create": lambda *a, **k: portal_forms.AttributeSetCreateForm(
        *a, existing_names=["Engineering", "HR"], **k
    ),
    "set edit": lambda *a, **k: portal_forms.AttributeSetEditForm(
        *a, in_use=3, initial={"description": HOSTILE["rtl"]}, **k
    ),
    "set policy": portal_forms.SetPolicyForm,
    "definition create": lambda *a, **k: portal_forms.DefinitionCreateForm(
        *a, existing_names=["Project"], **k
    ),
    "definition edit": lambda *a, **k: portal_forms.DefinitionEditForm(*a, definition=STATUS, **k),
    "values add": lambda *a, **k: portal_forms.AddValuesForm(*a, definition=PROJECT, **k),
    "reason": portal_forms.ReasonForm,
    "value status": portal_forms.ValueStatusForm,
    "help text": portal_forms.HelpTextForm,
    "assign predefined": _assignment(STATUS),
    "assign predefined list": _assignment(PROJECT),
    "assign text": _assignment(CODE),
    "assign text list": _assignment(TAGS),
    "assign integer": _assignment(LEVEL),
    "assign integer list": _assignment(VENDORS),
    "assign boolean": _assignment(CERTIFIED),
    "assign deactivated": _assignment(LEGACY),
    "assign required reason": _assignment(CODE, reason_required=True),
    "remove": _assignment(PROJECT, removing=True),
    "find": lambda *a, **k: FindForm(*a, definitions=DEFINITIONS, **k),
    "coverage": lambda *a, **k: CoverageForm(*a, definitions=DEFINITIONS, **k),
    "agent move": lambda *a, **k: MoveForm(*a, status=STATUS, statuses=("Active", "Old"), **k),
    "bulk change": lambda *a, **k: BulkChangeForm(
        *a, definitions=DEFINITIONS, reason_required={"Engineering"}, **k
    ),
    "audit filters": AuditFilterForm,
    "entra filters": EntraFilterForm,
}


def _choices_of(field: forms.Field) -> list[str]:
    """The values a choice field offers, flattened out of option groups."""
    found: list[str] = []
    for key, label in getattr(field, "choices", ()):
        if isinstance(label, (list, tuple)):
            found += [str(k) for k, _ in label]
        elif key != "":
            found.append(str(key))
    return found


def _field_names(build: Callable[..., forms.Form]) -> dict[str, list[str]]:
    """Each field a post could name, with its offered choices. A bulk change grows a value
    field once an attribute is chosen, so that one is listed by name."""
    fields = {name: _choices_of(f) for name, f in build().fields.items()}
    fields.setdefault("value", [])
    return fields


def _cell(choices: list[str]) -> st.SearchStrategy[list[str]]:
    one = st.one_of(st.sampled_from(choices), hostile_text()) if choices else hostile_text()
    return st.lists(one, min_size=0, max_size=3)


@st.composite
def _posted(draw: st.DrawFn, build: Callable[..., forms.Form]) -> QueryDict:
    """Some of the form's fields, each with zero to three values: offered ones, or not."""
    data = QueryDict(mutable=True)
    for name, choices in _field_names(build).items():
        if draw(st.booleans()):
            data.setlist(name, draw(_cell(choices)))
    return data


def _assert_refusals_are_told(form: forms.Form) -> None:
    for field, messages in form.errors.items():
        assert field == forms.forms.NON_FIELD_ERRORS or field in form.fields, field
        assert messages, field
        for message in messages:
            assert isinstance(message, str)
            assert message.strip(), (field, message)


def _assert_renders_inert(form: forms.Form) -> None:
    """What the input brought along is text or attribute values, never markup."""
    tree = lxml_html.fragment_fromstring(form.as_div(), create_parent="div")
    assert not tree.cssselect("script, img, svg, iframe, object, b")
    for element in tree.iter():
        assert not [a for a in element.attrib if a.lower().startswith("on")], element.attrib


@pytest.mark.parametrize("name", FORMS)
@given(data=st.data())
def test_every_form_validates_or_refuses_with_a_message(name: str, data: st.DataObject) -> None:
    build = FORMS[name]
    form = build(data.draw(_posted(build), label="posted"))
    event("valid" if form.is_valid() else "refused")
    _assert_refusals_are_told(form)
    _assert_renders_inert(form)


# Django refuses to even name an uploaded file "..", before any form sees it.
_FILE_NAMES = hostile_text(max_size=40).filter(
    lambda t: t.replace("\\", "/").rsplit("/", 1)[-1] not in {"", ".", ".."}
)


@given(content=st.binary(max_size=2000), filename=_FILE_NAMES)
def test_the_upload_form_takes_any_file_or_says_why_not(content: bytes, filename: str) -> None:
    upload = SimpleUploadedFile(filename, content, content_type="text/csv")
    form = UploadForm(QueryDict(mutable=True), {"file": upload})
    form.is_valid()
    _assert_refusals_are_told(form)
    _assert_renders_inert(form)


@pytest.mark.parametrize(
    "name", [n for n in FORMS if n.startswith(("assign", "bulk", "find", "agent"))]
)
def test_a_chosen_value_renders_isolated_and_escaped(name: str) -> None:
    """The predefined values hold markup and an override: as options or checkbox labels
    they stay text, and the override is isolated."""
    form = FORMS[name]()
    rendered = form.as_div()
    tree = lxml_html.fragment_fromstring(rendered, create_parent="div")
    assert not tree.cssselect("b")
    for option in tree.cssselect("option"):
        if "\u202e" in option.text_content():
            assert option.text_content().startswith("\u2068"), option.text_content()
    for label in tree.cssselect("label"):
        if "\u202e" in label.text_content():
            assert label.cssselect("bdi"), lxml_html.tostring(label)


@given(data=st.data())
def test_the_entra_feed_filter_quotes_whatever_the_form_accepts(data: st.DataObject) -> None:
    """The feed's filter comes from free text; a value never ends its string literal."""
    from tests.attributes.odata import literals_of

    posted = data.draw(_posted(EntraFilterForm), label="posted")
    form = EntraFilterForm(posted)
    if not form.is_valid():
        return
    built = entra_filter(form.cleaned_data)
    wanted = [form.cleaned_data[k] for k in ("activity", "initiator") if form.cleaned_data.get(k)]
    assert literals_of(built) == wanted
