"""The forms that start a bulk change: one attribute for a selection, or an uploaded file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from attributes.bulk.operations import COLLECTION_ONLY
from attributes.bulk.plan import Change
from attributes.bulk.upload import MAX_UPLOAD_BYTES
from attributes.directory import Definition
from attributes.forms import PortalForm, QuickSelect, ReasonField, checked_value, value_field
from attributes.models import Operation
from attributes.objects import Value

OPERATIONS = [(o.value, o.label) for o in Operation if o != Operation.IMPORT]


class BulkChangeForm(PortalForm):
    """Set, add to, remove from or clear one attribute on every selected object. The value
    field is the one the assignment form uses for the chosen attribute."""

    id_prefix = "bulk"
    attribute = forms.ChoiceField(label="Attribute", widget=QuickSelect)
    operation = forms.ChoiceField(
        label="Change", choices=OPERATIONS, initial=Operation.SET, widget=forms.RadioSelect
    )
    reason = ReasonField()

    def __init__(
        self,
        *args: Any,
        definitions: list[Definition],
        reason_required: set[str] = frozenset(),  # type: ignore[assignment]
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.definitions = {d.id.casefold(): d for d in definitions if d.is_active}
        grouped: dict[str, list[tuple[str, str]]] = {}
        for d in sorted(
            self.definitions.values(), key=lambda d: (d.attribute_set.casefold(), d.name.casefold())
        ):
            grouped.setdefault(d.attribute_set, []).append((d.id, d.name))
        field = self.fields["attribute"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose an attribute"), *grouped.items()]
        # Choosing an attribute brings its value field (htmx), the one its shape needs.
        field.widget.attrs.update(
            {
                "hx-get": reverse("attributes:bulk_new"),
                # Not the CSRF token: it has no business in an address.
                "hx-include": "[name=target], [name=from], [name=query], [name=operation]",
                "hx-target": "#value-field",
                "hx-select": "#value-field",
                "hx-swap": "outerHTML",
            }
        )
        self.reason_required = {s.casefold() for s in reason_required}
        self.definition = self._chosen()
        if self.definition is not None:
            # A collection lists its deactivated values too, for removing them.
            every = [v.id for v in self.definition.allowed_values]
            held = every if self.definition.is_collection else None
            self.fields["value"] = value_field(self.definition, held)
            self.fields["value"].required = False
            self.order_fields(["attribute", "operation", "value", "reason"])

    def _chosen(self) -> Definition | None:
        raw = (
            self.data.get(self.add_prefix("attribute")) if self.is_bound else None
        ) or self.initial.get("attribute")
        return self.definitions.get(str(raw or "").casefold())

    def clean_attribute(self) -> Definition:
        definition = self.definitions.get(self.cleaned_data["attribute"].casefold())
        if definition is None:
            raise forms.ValidationError("Choose an active attribute you may assign.")
        return definition

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        definition, operation = data.get("attribute"), data.get("operation")
        if definition is None or operation is None:
            return data
        if operation in COLLECTION_ONLY and not definition.is_collection:
            self.add_error(
                "operation",
                f"{definition.name} holds one value: adding and removing work on multi-valued "
                "attributes. Use “Set the value” or “Clear the value”.",
            )
            return data
        if operation != Operation.CLEAR:
            data["given"] = self._given(definition, operation)
        if definition.attribute_set.casefold() in self.reason_required and not data.get("reason"):
            self.add_error(
                "reason",
                f"Give a reason: the attribute set {definition.attribute_set} requires one for "
                "every assignment.",
            )
        return data

    def _given(self, definition: Definition, operation: str) -> Value | None:
        # Removing may name deactivated values objects still hold; nothing else may.
        held = [v.id for v in definition.allowed_values] if operation == Operation.REMOVE else None
        try:
            given = checked_value(definition, self.cleaned_data.get("value"), held)
        except forms.ValidationError as error:
            self.add_error("value", error)
            return None
        if "value" in self.errors:
            return None
        if given is None and operation != Operation.SET:
            self.add_error("value", "Name the values to add or remove.")
        return given

    def change(self) -> Change:
        data = self.cleaned_data
        return Change(data["attribute"], data["operation"], data.get("given"))


class UploadForm(PortalForm):
    id_prefix = "upload"
    file = forms.FileField(
        label="CSV file",
        help_text="The who-has-what format: an export, or a template, edited. At most "
        f"{MAX_UPLOAD_BYTES // 2**20} MB, UTF-8.",
    )
    reason = ReasonField()
