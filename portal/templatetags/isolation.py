"""`|bdi`, `|isolated` and `|isolated_option`, built into every template (TEMPLATES'
builtins): see portal.isolation."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from portal.isolation import isolated, isolated_option, isolated_text

register = template.Library()


@register.filter(name="bdi")
def bdi(value: object) -> SafeString:
    """Text from Graph or from a person, in HTML: `{{ set.description|bdi }}`."""
    return isolated(value)


@register.filter(name="isolated")
def isolated_filter(value: object) -> str:
    """The same where markup cannot go: `<title>{{ name|isolated }}</title>`."""
    return isolated_text(value)


@register.filter(name="isolated_option")
def isolated_option_filter(value: object) -> str:
    """For `<option>` text and `<optgroup label>`: isolated only if it holds a bidi control,
    so a select's type-ahead finds the option by its first letters."""
    return isolated_option(value)
