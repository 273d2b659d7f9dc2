"""Forms for the attribute administrator's workspace.

Plain forms (there is no local model to bind): each `clean` applies Graph's rules
from attributes.validators, so invalid input is caught at the field before any call.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from attributes import assignment_rules, validators
from attributes.directory import TYPES, Definition
from attributes.objects import DirectoryObject, Value
from portal.isolation import isolated, isolated_option


def _live_check(field: forms.Field, url: str, target: str, *, method: str = "get") -> None:
    """Server-side feedback while typing (htmx); the form still validates on submit."""
    field.widget.attrs.update(
        {
            f"hx-{method}": url,
            "hx-trigger": "input changed delay:300ms",
            "hx-target": target,
            "hx-swap": "innerHTML",
            "hx-sync": "this:replace",
        }
    )


def _add(form: forms.Form, field: str | None, messages: Iterable[str]) -> None:
    for message in messages:
        form.add_error(field, message)


class PortalForm(forms.Form):
    """Labels without Django's trailing colon; the layout already separates them.

    `id_prefix` keeps element ids unique when several forms share a page (each has a
    reason field), so every label points at its own input.
    """

    id_prefix = "id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)

    def full_clean(self) -> None:
        """A hidden field's refusal is the form's: a page shows no message at a hidden
        field, so the person would see their form back with no word of what was wrong."""
        super().full_clean()
        if not self.is_bound:
            return
        hidden = [name for name in self.errors if name in self.fields and self[name].is_hidden]
        for name in hidden:
            for error in self.errors.as_data()[name]:
                for message in error.messages:
                    # Django's own messages ("Enter a whole number.") name no field.
                    self.add_error(
                        None,
                        message
                        if error.code is None
                        else f"The page's form was altered ({message}); reload the page.",
                    )
            del self.errors[name]


class _OptionsInPython:
    """Writes a select's options in Python rather than one template per option: Django's
    way costs about 0.1 ms an option, and the query builder shows over a hundred."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        select: Any = self
        chosen = {str(v) for v in select.format_value(value)}
        final = select.build_attrs(select.attrs, attrs)
        if select.allow_multiple_selected:
            final["multiple"] = True

        def options(choices: Iterable[tuple[Any, Any]]) -> SafeString:
            return format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((v, " selected" if str(v) in chosen else "", label) for v, label in choices),
            )

        groups = [
            format_html('<optgroup label="{}">{}</optgroup>', key, options(label))
            if isinstance(label, (list, tuple))
            else options([(key, label)])
            for key, label in select.choices
        ]
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(final),
            format_html_join("", "{}", ((g,) for g in groups)),
        )


class QuickSelect(_OptionsInPython, forms.Select):
    pass


class QuickSelectMultiple(_OptionsInPython, forms.SelectMultiple):
    pass


class ReasonField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault(
            "help_text", "Why you are making this change. Auditors see it in the audit log."
        )
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "off"}))
        super().__init__(**kwargs)


class AttributeSetCreateForm(PortalForm):
    name = forms.CharField(
        max_length=200,
        strip=False,
        help_text="Up to 32 letters and digits, no spaces, not starting with a digit. "
        "It can never be changed, and the set can never be deleted.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(required=False, max_length=400, strip=True)
    max_attributes = forms.IntegerField(
        required=False,
        label="Maximum number of attributes",
        help_text="Optional, 1 to 500. Without it only the tenant's limit of 500 active "
        "attributes applies.",
    )
    reason = ReasonField()

    def __init__(
        self,
        *args: Any,
        existing_names: Iterable[str] = (),
        check_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.existing_names = list(existing_names)
        if check_url:
            _live_check(self.fields["name"], check_url, "#name-feedback")

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        errors = validators.new_name_errors(
            name, lambda: self.existing_names, what="attribute set", among="an attribute set"
        ) or validators.set_capacity_errors(sets=len(self.existing_names))
        if errors:
            raise forms.ValidationError(errors)
        return name

    def clean_description(self) -> str:
        return _checked_description(self.cleaned_data["description"])

    def clean_max_attributes(self) -> int | None:
        value: int | None = self.cleaned_data["max_attributes"]
        if errors := validators.max_attributes_errors(value):
            raise forms.ValidationError(errors)
        return value


class AttributeSetEditForm(PortalForm):
    description = forms.CharField(required=False, max_length=400, strip=True)
    max_attributes = forms.IntegerField(required=False, label="Maximum number of attributes")
    reason = ReasonField()
    # The values the person saw, so a change made meanwhile is not overwritten blindly.
    seen_description = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)
    seen_max_attributes = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, in_use: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_use = in_use
        self.fields["max_attributes"].help_text = (
            f"1 to 500, and not below the {in_use} active attributes the set has. "
            "Leave empty for no limit of its own."
        )
        _note_hidden_characters(self)

    def clean(self) -> dict[str, Any]:
        super().clean()
        return _checked_if_changed(self)

    def clean_max_attributes(self) -> int | None:
        value: int | None = self.cleaned_data["max_attributes"]
        if errors := validators.max_attributes_errors(value, in_use=self.in_use):
            raise forms.ValidationError(errors)
        return value


def _checked_description(value: str) -> str:
    if errors := validators.description_errors(value):
        raise forms.ValidationError(errors)
    return value


def _note_hidden_characters(form: forms.Form) -> None:
    """A description from Graph may hold characters the portal's rules refuse; the field
    says which, so that a person can see and remove them."""
    if note := validators.hidden_characters_note(str(form.initial.get("description") or "")):
        form.fields["description"].help_text = note


def _checked_if_changed(form: forms.Form) -> dict[str, Any]:
    """The description's rules apply to what a person changes: one saved unchanged (it came
    from Graph, possibly from another tool) is accepted as it is."""
    data = form.cleaned_data
    description = data.get("description")
    if description is not None and description != data.get("seen_description"):
        for error in validators.description_errors(description):
            form.add_error("description", error)
    return data


class DefinitionCreateForm(PortalForm):
    name = forms.CharField(
        max_length=200,
        strip=False,
        help_text="Up to 32 letters and digits, no spaces, not starting with a digit. Permanent.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    description = forms.CharField(required=False, max_length=400, strip=True)
    type = forms.ChoiceField(
        choices=[(t, t) for t in TYPES],
        initial="String",
        widget=forms.RadioSelect,
        help_text="Permanent.",
    )
    is_collection = forms.BooleanField(
        required=False,
        label="Allow multiple values",
        help_text="Permanent. Not possible for Boolean attributes.",
    )
    is_searchable = forms.BooleanField(
        required=False,
        initial=True,
        label="Searchable",
        help_text="Permanent. Only searchable attributes can be used to filter users and "
        "applications, and their usage counted.",
    )
    use_predefined_only = forms.BooleanField(
        required=False,
        label="Only allow predefined values",
        help_text="Can later be relaxed, never tightened. Not possible for Boolean attributes.",
    )
    values = forms.CharField(
        required=False,
        label="Predefined values",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="One per line, up to 100, each up to 64 characters. Values are case-sensitive "
        "and can be deactivated but never removed.",
    )
    reason = ReasonField()

    def __init__(
        self,
        *args: Any,
        existing_names: Iterable[str] = (),
        capacity_errors: Iterable[str] = (),
        check_url: str | None = None,
        values_check_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.existing_names = list(existing_names)
        self.capacity_errors = list(capacity_errors)
        self.value_list = validators.ValueList()
        if check_url:
            _live_check(self.fields["name"], check_url, "#name-feedback")
        if values_check_url:
            _live_check(self.fields["values"], values_check_url, "#values-feedback", method="post")
            self.fields["values"].widget.attrs["hx-include"] = "[name='type']:checked"
        # Shown disabled while Boolean is chosen; a submitted form still gets clean()'s
        # messages, so nobody's choice is dropped silently.
        if not self.is_bound and self.initial.get("type") == "Boolean":
            for name in ("is_collection", "use_predefined_only", "values"):
                self.fields[name].widget.attrs["disabled"] = True

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"]
        errors = validators.new_name_errors(
            name, lambda: self.existing_names, what="attribute", among="an attribute in this set"
        )
        if errors:
            raise forms.ValidationError(errors)
        return name

    def clean_description(self) -> str:
        return _checked_description(self.cleaned_data["description"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        _add(self, None, self.capacity_errors)
        type_ = data.get("type")
        if type_ == "Boolean":
            if data.get("is_collection"):
                self.add_error("is_collection", "A Boolean attribute cannot hold multiple values.")
            if data.get("use_predefined_only"):
                self.add_error(
                    "use_predefined_only", "A Boolean attribute cannot use predefined values."
                )
            if data.get("values", "").strip():
                self.add_error("values", "A Boolean attribute cannot have predefined values.")
            return data
        if type_:
            self.value_list = validators.parse_values(data.get("values", ""), type_=type_)
            _add(self, "values", self.value_list.errors)
            data["value_list"] = self.value_list.values
            if data.get("use_predefined_only") and not self.value_list.values:
                self.add_error(
                    "values",
                    "Add at least one predefined value, or allow other values: an attribute "
                    "that only accepts predefined values cannot be assigned without them.",
                )
        return data


class DefinitionEditForm(PortalForm):
    id_prefix = "edit"
    description = forms.CharField(required=False, max_length=400, strip=True)
    allow_other_values = forms.BooleanField(
        required=False,
        label="Also allow values that are not predefined",
        help_text="This cannot be undone: once other values are allowed, the attribute can "
        "never again be limited to its predefined values.",
    )
    reason = ReasonField()
    seen_description = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)

    def __init__(self, *args: Any, definition: Definition, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"description": definition.description})
        super().__init__(*args, **kwargs)
        self.definition = definition
        if not definition.use_predefined_only:
            del self.fields["allow_other_values"]
        _note_hidden_characters(self)

    def clean(self) -> dict[str, Any]:
        super().clean()
        return _checked_if_changed(self)


class AddValuesForm(PortalForm):
    id_prefix = "add"
    values = forms.CharField(
        label="New predefined values",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One per line. Paste a list to add many at once.",
    )
    reason = ReasonField()

    def __init__(
        self,
        *args: Any,
        definition: Definition,
        values_check_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definition = definition
        self.value_list = validators.ValueList()
        if values_check_url:
            _live_check(self.fields["values"], values_check_url, "#values-feedback", method="post")
            self.fields["values"].widget.attrs["hx-include"] = "#existing-values"

    def clean_values(self) -> list[str]:
        self.value_list = validators.parse_values(
            self.cleaned_data["values"],
            type_=self.definition.type,
            existing=[v.id for v in self.definition.allowed_values],
        )
        if self.value_list.errors:
            raise forms.ValidationError(self.value_list.errors)
        if not self.value_list.values:
            raise forms.ValidationError("Enter at least one new value.")
        return self.value_list.values


class ReasonForm(PortalForm):
    """For confirmations whose only input is why (status changes)."""

    reason = ReasonField()


def value_token(value: str) -> str:
    """A predefined value as ASCII a form carries unchanged. HTML would turn a NUL into
    U+FFFD and a form submission LF into CRLF, and values hold whatever Graph allows."""
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


class ValueStatusForm(ReasonForm):
    """(De)activating one predefined value, named by its `value_token`."""

    value = forms.CharField(max_length=400, widget=forms.HiddenInput, strip=False)
    active = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_value(self) -> str:
        token: str = self.cleaned_data["value"]
        try:
            return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        except (ValueError, UnicodeDecodeError):
            raise forms.ValidationError(
                "This is not a predefined value of the attribute."
            ) from None


class HelpTextForm(PortalForm):
    id_prefix = "help"
    text = forms.CharField(
        required=False,
        max_length=1000,
        label="Help text",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to people assigning this attribute. It is kept in the portal and "
        "never changes the attribute in Entra. Leave empty to remove it.",
    )
    reason = ReasonField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if note := validators.hidden_characters_note(str(self.initial.get("text") or "")):
            self.fields["text"].help_text = note

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        # Line breaks and tabs are fine in help text; other invisible characters are not.
        if errors := validators.text_errors(text, what="help text", allowed="\n\r\t"):
            raise forms.ValidationError(errors)
        return text


# Assigning values ---------------------------------------------------------------------


class AssignmentForm(PortalForm):
    """One attribute's value on one object, with a control made for its definition:
    a text or number field for free values, a choice of the active predefined values, a
    list for multi-valued attributes, a switch for Boolean. Every rule of graph-api.md §3
    is checked here, at the field, before Graph is called."""

    id_prefix = "assign"
    reason = ReasonField()
    # The value as the person saw it (JSON), so a change made meanwhile is never overwritten.
    seen = forms.CharField(required=False, widget=forms.HiddenInput, strip=False)

    def __init__(
        self,
        *args: Any,
        definition: Definition,
        current: DirectoryObject,
        reason_required: bool = False,
        removing: bool = False,
        **kwargs: Any,
    ) -> None:
        held = current.value(definition.attribute_set, definition.name)
        if removing:
            # Shares the page with the form that sets the value: its own element ids.
            kwargs.setdefault("auto_id", "remove_%s")
        kwargs.setdefault("initial", {})
        kwargs["initial"] = {"value": _initial(held), "seen": json.dumps(held), **kwargs["initial"]}
        super().__init__(*args, **kwargs)
        self.definition, self.current, self.held = definition, current, held
        self.removing = removing
        if not removing:
            self.fields["value"] = value_field(definition, held)
            self.order_fields(["value", "reason", "seen"])
        if reason_required:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = (
                f"Give a reason: the attribute set {definition.attribute_set} requires one for "
                "every assignment."
            )

    def clean_seen(self) -> Value | None:
        try:
            seen: Value | None = json.loads(self.cleaned_data["seen"] or "null")
        except ValueError:
            raise forms.ValidationError("The form was changed; reload the page.") from None
        return seen

    def clean_value(self) -> Value | None:
        return checked_value(self.definition, self.cleaned_data.get("value"), self.held)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.removing:
            data["value"] = None
            return data
        if "value" not in data:
            return data
        for problem in assignment_rules.change_problems(
            self.definition, self.current, data["value"]
        ):
            self.add_error("value", problem)
        return data


def _initial(held: Value | None) -> Any:
    if isinstance(held, list):
        return [str(v) for v in held]
    return held


def _choices(
    definition: Definition, held: Value | None, shown: Callable[[str], str]
) -> list[tuple[str, str]]:
    """The active predefined values, and any the object still holds though deactivated
    (it may keep them; nothing else may get them). `shown` isolates each value's text for
    where it goes: a checkbox's label or a select's option."""
    held_values = {str(v) for v in assignment_rules.items_of(held)}
    choices = [(v.id, shown(v.id)) for v in definition.active_values]
    choices += [
        (v.id, format_html("{} (deactivated; kept while held)", shown(v.id)))
        for v in definition.inactive_values
        if v.id in held_values
    ]
    return choices


def value_field(definition: Definition, held: Value | None) -> forms.Field:
    label = f"Value of {definition.name}"
    if definition.type == "Boolean":
        return forms.BooleanField(
            required=False,
            label=f"{definition.name} is true",
            help_text="On sets it to true, off to false. Remove it to leave it unassigned.",
            widget=forms.CheckboxInput(attrs={"role": "switch"}),
        )
    if definition.use_predefined_only:
        if definition.is_collection:
            return forms.MultipleChoiceField(
                required=False,
                label=label + "s",
                choices=_choices(definition, held, isolated),
                widget=forms.CheckboxSelectMultiple,
                help_text="Choose any number. Choosing none removes the attribute.",
            )
        return forms.ChoiceField(
            label=label,
            choices=[("", "Choose a value"), *_choices(definition, held, isolated_option)],
        )
    if definition.is_collection:
        return forms.CharField(
            required=False,
            label=label + "s",
            strip=False,
            widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
            help_text=f"One per line, each up to {validators.VALUE_MAX} characters. "
            "Leaving it empty removes the attribute.",
        )
    kind = (
        "a whole number"
        if definition.type == "Integer"
        else f"up to {validators.VALUE_MAX} characters"
    )
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=f"One value, {kind}.",
    )


def checked_value(definition: Definition, raw: Any, held: Value | None) -> Value | None:
    """The submitted value as Graph takes it, or ValidationError naming what is wrong."""
    if definition.type == "Boolean":
        return bool(raw)
    if definition.is_collection:
        items = (
            raw if isinstance(raw, list) else [line.strip() for line in str(raw or "").splitlines()]
        )
        texts = [str(item) for item in items if item != ""]
    else:
        texts = [str(raw or "").strip()]
    if problems := assignment_rules.value_problems(definition, texts, held):
        raise forms.ValidationError(problems)
    return assignment_rules.typed(definition, texts)


class SetPolicyForm(PortalForm):
    id_prefix = "policy"
    require_reason = forms.BooleanField(
        required=False,
        label="Require a reason for every assignment in this set",
        help_text="People assigning, changing or removing this set's attributes must say why; "
        "the reason goes into the audit log. The setting is the portal's, not Entra's.",
    )
    reason = ReasonField()
