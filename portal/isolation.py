"""Text from Graph or from people, shown so that it cannot reorder the page around it.

A value may hold bidirectional controls (U+202E RIGHT-TO-LEFT OVERRIDE and the like):
shown as is, one would reverse the text that follows it, so "Deactivate HR" could read
as something else. Every such value is rendered isolated, here and nowhere else:

- in HTML, inside `<bdi>` (`|bdi` in templates, `isolated()` in Python when a message is
  composed around a value), which isolates without adding characters to copied text;
- where markup cannot go (`<title>`, attribute values), between the Unicode isolates
  FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE (`|isolated`, `isolated_text()`);
- in an `<option>` or `<optgroup>` label, between the same isolates only when the value
  holds a bidi control (`|isolated_option`, `isolated_option()`): an option holds nothing
  but its value, and a select finds an option by the letters typed on it, which a leading
  isolate defeats for every option (keyboard users type "Proj" to reach "Project").
"""

from __future__ import annotations

from django.utils.html import format_html
from django.utils.safestring import SafeString

FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"
# The marks, embeddings, overrides and isolates that change how the text around them is
# ordered.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def isolated(value: object) -> SafeString:
    """The value, escaped, inside <bdi>: safe to place in any HTML text."""
    return format_html("<bdi>{}</bdi>", value)


def isolated_text(value: object) -> str:
    """The value between Unicode isolates, for text that cannot hold markup."""
    return f"{FIRST_STRONG_ISOLATE}{value}{POP_DIRECTIONAL_ISOLATE}"


def isolated_option(value: object) -> str:
    """The value for an option's text or an optgroup's label: as it is, unless it holds a
    bidi control, then between the Unicode isolates."""
    text = str(value)
    return isolated_text(text) if BIDI_CONTROLS & set(text) else text
