"""Template filters for custom security attribute pages: `{% load csa %}`."""

from __future__ import annotations

from django import template

from attributes.forms import value_token as _value_token

register = template.Library()


@register.filter
def value_token(value: str) -> str:
    """A predefined value as the token a form posts (attributes.forms.ValueStatusForm)."""
    return _value_token(value)
