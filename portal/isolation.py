"""Text from Graph or from people, shown so that it cannot reorder the page around it.

A value may hold bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and the like):
shown as is, one would reverse the text that follows it, so "Deactivate HR" could read
as something else. Every such value is rendered isolated, here and nowhere else:

- in HTML, inside `<bdi>` (`|bdi` in templates, `isolated()` in Python when a message is
  composed around a value), which isolates without adding characters to copied text;
- where markup cannot go (`<title>`, attribute values), between the Unicode isolates
  FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE (`|isolated`, `isolated_text()`).
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def isolated(value: object) -> SafeString:
    """The value, escaped, inside <bdi>: safe to place in any HTML text."""
    return format_html("<bdi>{}</bdi>", value)


def isolated_text(value: object) -> str:
    """The value between Unicode isolates, for text that cannot hold markup."""
    return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"
