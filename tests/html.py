"""Query server-rendered HTML the way people and screen readers find things: by role and
accessible name, by label, or by CSS, instead of with regexes over the markup.

    page = Html(response)
    page.by_label("Description").get("value")
    [link.text() for link in page.by_role("link", "Engineering")]
    page.field_errors("name")

Parsing follows the HTML5 rules browsers use (lxml), so whitespace, attribute order and
quoting do not matter; text is compared with runs of white space folded to one space.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import html as lxml_html

# Implicit ARIA roles of the elements the portal's pages use.
_ROLES = {
    "link": "a[href]",
    "button": "button, input[type=submit], input[type=button]",
    "heading": "h1, h2, h3, h4, h5, h6",
    "row": "tr",
    "cell": "td",
    "columnheader": "th",
    "table": "table",
    "textbox": "input:not([type]), input[type=text], input[type=search], textarea",
    "checkbox": "input[type=checkbox]",
    "radio": "input[type=radio]",
    "combobox": "select",
    "alert": "[role=alert]",
    "status": "[role=status]",
    "navigation": "nav",
    "form": "form",
    "listitem": "li",
}


def _folded(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class Node:
    """One element, with the few things tests ask of it."""

    def __init__(self, element: Any) -> None:
        self.element = element

    def __repr__(self) -> str:
        return f"<Node {lxml_html.tostring(self.element, encoding='unicode')[:120]}>"

    def get(self, attribute: str, default: str | None = None) -> str | None:
        value = self.element.get(attribute)
        return default if value is None else str(value)

    def has(self, attribute: str) -> bool:
        return self.element.get(attribute) is not None

    def text(self) -> str:
        """The visible text, white space folded (what a person reads)."""
        return _folded(self.element.text_content())

    @property
    def tag(self) -> str:
        return str(self.element.tag)

    def css(self, selector: str) -> list[Node]:
        return [Node(e) for e in self.element.cssselect(selector)]

    def one(self, selector: str) -> Node:
        """The one element matching `selector` (fails if there are none or several)."""
        found = self.css(selector)
        assert len(found) == 1, f"{len(found)} elements match {selector!r}"
        return found[0]

    def accessible_name(self) -> str:
        """aria-label, else the text (buttons: the value), as a screen reader names it."""
        if label := self.get("aria-label"):
            return _folded(label)
        if self.tag == "input" and self.get("type") in {"submit", "button"}:
            return _folded(self.get("value") or "")
        return self.text()

    def by_role(self, role: str, name: str | None = None, *, exact: bool = False) -> list[Node]:
        """Elements of an implicit or explicit ARIA role, optionally with an accessible name
        containing (or, with `exact`, equal to) `name`."""
        selector = _ROLES.get(role, "")
        found = [Node(e) for e in self.element.cssselect(f"{selector}, [role={role}]".lstrip(", "))]
        if name is None:
            return found
        wanted = _folded(name)
        return [
            n
            for n in found
            if (n.accessible_name() == wanted if exact else wanted in n.accessible_name())
        ]

    def by_label(self, label: str) -> Node:
        """The form control a <label> with this text names (by its `for`, or nested)."""
        wanted = _folded(label)
        for element in self.element.cssselect("label"):
            node = Node(element)
            own = _folded("".join(element.itertext()))
            if own != wanted and not own.startswith(wanted + " "):
                continue
            target = node.get("for")
            if target:
                return self.one(f'[id="{target}"]')
            nested = node.css("input, select, textarea")
            if nested:
                return nested[0]
        raise AssertionError(f"no label {label!r} names a control")

    def by_test_id(self, test_id: str) -> list[Node]:
        return self.css(f'[data-testid="{test_id}"]')


class Html(Node):
    """A whole page or a fragment (an htmx partial), parsed."""

    def __init__(self, source: str | bytes | Any) -> None:
        content = getattr(source, "content", source)
        if isinstance(content, bytes):
            content = content.decode()
        self.source = content
        root = (
            lxml_html.document_fromstring(content)
            if content.lstrip()[:15].lower().startswith(("<!doctype", "<html"))
            else lxml_html.fragment_fromstring(content, create_parent="fragment")
        )
        super().__init__(root)

    @property
    def is_fragment(self) -> bool:
        """True for an htmx partial: no <html>, no <head>, no layout around it."""
        return self.tag == "fragment"

    def roots(self) -> list[Node]:
        """The top-level elements of a fragment."""
        return [Node(child) for child in self.element if isinstance(child.tag, str)]

    def main(self) -> Node:
        return self.one("main")

    def field_errors(self, field: str, *, form: str = "id") -> list[str]:
        """The messages rendered under one form field (Django's `<form>_<field>_error`)."""
        return [li.text() for li in self.css(f'ul.errorlist[id="{form}_{field}_error"] li')]

    def form_errors(self) -> list[str]:
        """Errors about a form as a whole."""
        return [li.text() for li in self.css("ul.errorlist.nonfield li")]


# Bidirectional controls that reorder the text after them until they are closed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# A run between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE is isolated, whatever it holds.
_ISOLATED_RUN = re.compile("\u2068[^\u2068\u2069]*\u2069")


def unisolated_bidi(page: Html) -> list[str]:
    """Every piece of text holding a bidi control that is not isolated: inside <bdi> in
    the body, or between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE where markup
    cannot go (<title>, <option>). Returns the offending texts with where they are."""
    found = []
    for element in page.element.iter():
        if not isinstance(element.tag, str):
            continue
        for text, owner in ((element.text, element), (element.tail, element.getparent())):
            # A form control's own text sits in its own box and cannot reorder the page.
            if (
                not text
                or not BIDI_CONTROLS & set(text)
                or owner is None
                or owner.tag == "textarea"
            ):
                continue
            if owner.tag in {"title", "option"}:
                if not BIDI_CONTROLS & set(_ISOLATED_RUN.sub("", text)):
                    continue
            elif any(a.tag == "bdi" for a in [owner, *owner.iterancestors()]):
                continue
            found.append(f"<{owner.tag}> {text.strip()[:60]!r}")
    return found
