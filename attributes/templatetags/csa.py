"""Template filters for custom security attribute pages: `{% load csa %}`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import template

from attributes.directory import Definition
from attributes.forms import value_token as _value_token
from attributes.objects import DirectoryObject, shown_values

register = template.Library()


@register.filter
def value_token(value: str) -> str:
    """A predefined value as the token a form posts (attributes.forms.ValueStatusForm)."""
    return _value_token(value)


@register.filter
def cells(target: DirectoryObject, columns: Sequence[Definition]) -> list[list[str]]:
    """An object's values of each column, as text: a list per cell (several for a
    multi-valued attribute, none when it holds nothing)."""
    return [shown_values(value) for value in target.values_of([d.key for d in columns])]


@register.filter
def get_count(counts: Mapping[str, int], key: str) -> int:
    return counts.get(key, 0)


@register.filter
def get_form(forms: Mapping[str, Any], key: str) -> Any:
    return forms.get(key)


@register.filter
def shown(value: Any) -> list[str]:
    """A value as text, one per element (none when nothing is held)."""
    return shown_values(value)


@register.filter
def duration(seconds: float | None) -> str:
    """A time span as people read it: 45 s, 3 min 20 s, 2 h 5 min."""
    total = round(seconds or 0)
    if total < 60:
        return f"{max(total, 1)} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
