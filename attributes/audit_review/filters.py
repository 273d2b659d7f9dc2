"""The list's filters, typed by people and kept in the URL, and the page cursor.

A time is a day, a minute or a second in UTC ("to 2026-03-31" includes all of that
day). Every filter compares in the way its index does (see migration 0003)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.db.models import Q, QuerySet

from attributes.forms import PortalForm
from attributes.models import Action, AuditRecord, Outcome

_GUID = re.compile(
    r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\Z"
)


@dataclass(frozen=True)
class Moment:
    """A point in time typed by a person: a day, a minute or a second, in UTC."""

    start: datetime
    unit: timedelta

    @property
    def end(self) -> datetime:
        """The first instant after it: "to 2026-03-31" includes all of that day."""
        return self.start + self.unit


FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)

_MOMENT_FORMATS = (
    ("%Y-%m-%dT%H:%M:%S", timedelta(seconds=1)),
    ("%Y-%m-%dT%H:%M", timedelta(minutes=1)),
    ("%Y-%m-%d", timedelta(days=1)),
)


def parse_moment(text: str) -> Moment | None:
    """2026-03-31, 2026-03-31T14:05 or 2026-03-31 14:05:09 (a trailing Z is allowed)."""
    cleaned = text.strip().replace(" ", "T").removesuffix("Z").removesuffix("z")
    for pattern, unit in _MOMENT_FORMATS:
        try:
            parsed = datetime.strptime(cleaned, pattern)
        except ValueError:
            continue
        return Moment(parsed.replace(tzinfo=UTC), unit)
    return None


class MomentField(forms.Field):
    default_error_messages = {
        "invalid": "Enter a date like 2026-03-31, or a date and time like 2026-03-31T14:05 "
        "(UTC). “%(value)s” is neither.",
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "placeholder": "YYYY-MM-DD or YYYY-MM-DDTHH:MM",
                    "autocomplete": "off",
                    "maxlength": "40",
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Moment | None:
        text = str(value or "").strip()
        if not text:
            return None
        moment = parse_moment(text) if len(text) <= 40 else None
        if moment is None:
            raise forms.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": text}
            )
        if not FIRST_DAY <= moment.start.date() <= LAST_DAY:
            # A range ends at the first instant after its last day, so 9999-12-31 would
            # end beyond the last date Python (and PostgreSQL's timestamps) can hold.
            raise forms.ValidationError(
                f"Enter a date from {FIRST_DAY} to {LAST_DAY}. “{text}” is outside that range.",
                code="out_of_range",
            )
        return moment


def _text(label: str, *, max_length: int, help_text: str = "", search: bool = False) -> Any:
    attrs = {"autocomplete": "off", "spellcheck": "false"}
    widget = forms.TextInput(attrs=attrs)
    if search:
        widget.input_type = "search"
    return forms.CharField(
        label=label, required=False, max_length=max_length, help_text=help_text, widget=widget
    )


def _choices(label: str, choices: Iterable[tuple[str, str]], anything: str) -> Any:
    return forms.ChoiceField(
        label=label,
        required=False,
        choices=[("", anything), *choices],
        error_messages={
            "invalid_choice": f"“%(value)s” is not one of the {label.lower()}s the portal "
            "records. Choose one from the list."
        },
    )


def query_string(form: forms.Form) -> str:
    """A filter form's fields as a query string (without any page cursor), for links."""
    if not form.is_bound:
        return ""
    pairs = [(name, form.data.get(name, "")) for name in form.fields]
    return urlencode([(name, value) for name, value in pairs if value])


def _check_range(form: forms.Form, data: dict[str, Any]) -> dict[str, Any]:
    since, until = data.get("since"), data.get("until")
    if since and until and until.end <= since.start:
        form.add_error("until", "“To” is before “From”: no record can be in that range.")
    return data


class AuditFilterForm(PortalForm):
    """The list's filters; they live in the URL, so every view of the log can be linked."""

    actor = _text("Actor", max_length=255, help_text="UPN or object id.")
    target = _text("Target", max_length=255, help_text="Object id or name.")
    set = _text("Attribute set", max_length=64)
    attribute = _text("Attribute", max_length=100, help_text="Name, or Set_Name.")
    action = _choices("Action", Action.choices, "Any action")
    outcome = _choices("Outcome", Outcome.choices, "Any outcome")
    since = MomentField(label="From (UTC)")
    until = MomentField(label="To (UTC)")
    job = _text("Bulk job id", max_length=64)
    q = _text("Reason contains", max_length=200, search=True)

    def clean(self) -> dict[str, Any]:
        super().clean()
        return _check_range(self, self.cleaned_data)

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            actor=data["actor"],
            target=data["target"],
            attribute_set=data["set"],
            attribute=data["attribute"],
            action=data["action"],
            outcome=data["outcome"],
            since=data["since"].start if data["since"] else None,
            until=data["until"].end if data["until"] else None,
            job=data["job"],
            text=data["q"],
        )

    def query(self) -> str:
        return query_string(self)


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""
    target: str = ""
    attribute_set: str = ""
    attribute: str = ""
    action: str = ""
    outcome: str = ""
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    job: str = ""
    text: str = ""

    @property
    def active(self) -> bool:
        return any(getattr(self, name) for name in self.__dataclass_fields__)

    def apply(self, records: QuerySet[AuditRecord]) -> QuerySet[AuditRecord]:
        q = Q()
        if self.actor:
            # A UPN always has an @; an object id never does. One indexed condition each.
            if "@" in self.actor:
                q &= Q(actor_upn__iexact=self.actor)
            else:
                q &= Q(actor_object_id=_id(self.actor))
        if self.target:
            q &= Q(target_id=_id(self.target)) | Q(target_name__iexact=self.target)
        attribute_set, attribute = self.attribute_set, self.attribute
        if "_" in attribute:
            # Set and attribute names cannot contain "_", so this is a definition id.
            prefix, _, attribute = attribute.partition("_")
            q &= Q(attribute_set__iexact=prefix)
        if attribute_set:
            q &= Q(attribute_set__iexact=attribute_set)
        if attribute:
            q &= Q(attribute__iexact=attribute)
        if self.action:
            q &= Q(action=self.action)
        if self.outcome:
            q &= Q(outcome=self.outcome)
        if self.since:
            q &= Q(created_at__gte=self.since)
        if self.until:
            q &= Q(created_at__lt=self.until)
        if self.job:
            q &= Q(job_id=self.job)
        if self.text:
            q &= Q(reason__icontains=self.text)
        return records.filter(q)


def _id(value: str) -> str:
    # Entra writes object ids in lower case; people paste them in any case.
    return value.lower() if _GUID.match(value) else value
