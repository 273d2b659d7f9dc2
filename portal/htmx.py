"""Rendering for htmx: which template a response uses, decided in one place.

Pages mark their swappable regions with `{% partialdef name inline %}`, and the element
a partial renders has the partial's name as its id. htmx names the element it will swap
in the HX-Target header, so a request that targets `name` gets `page.html#name`, and
every other request (no JavaScript, a link, or htmx swapping something else) gets the
whole page.
"""

from __future__ import annotations

from django.http import HttpRequest


def template_for(request: HttpRequest, page: str, partial: str, *, any_target: bool = False) -> str:
    """`page#partial` when htmx asks for that element (with `any_target`, for any htmx
    request, e.g. an alert that is retargeted); `page` otherwise."""
    htmx = getattr(request, "htmx", None)
    if htmx and (any_target or htmx.target == partial):
        return f"{page}#{partial}"
    return page
