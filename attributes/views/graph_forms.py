"""Showing Graph's refusals on the form that caused them, with nothing the person typed lost."""

from __future__ import annotations

from django import forms

from portal.graph import GraphError, SignInRequired


def graph_error_to_form(
    form: forms.Form, error: GraphError, *, fields: dict[str, tuple[str, ...]] | None = None
) -> None:
    """Adds Graph's message to the field it concerns (by the property names Graph uses in
    its message), or to the form as a whole, with the request-id for support."""
    if isinstance(error, SignInRequired):
        raise error
    message = error.message
    if error.code:
        message += f" ({error.code})"
    message += f" {error.needed or error.advice}"
    if error.request_id:
        message += f" Request id for support: {error.request_id}."
    lowered = error.message.casefold()
    for field, graph_names in (fields or {}).items():
        if field in form.fields and any(name.casefold() in lowered for name in graph_names):
            form.add_error(field, message)
            return
    form.add_error(None, message)
