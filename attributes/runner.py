"""How a view runs an action, and the one confirm step for changes that cannot be undone.

A view fetches and authorises (attributes.access), validates its form, then:

    if response := run_action(request, update_definition, form=form, done="Saved.",
                              then=detail_url, current=definition, description=...):
        return response
    return render(request, "page.html", {"form": form})   # invalid, or Graph refused

`run_action` supplies `graph` (the signed-in person's client) and `actor`, runs the
action, and redirects with a message when it went through or when the object changed
meanwhile (the page then shows its current state), or when Graph's answer was lost but
reading Graph again shows the change made (a write is never sent twice). When Graph refuses, the reason goes
onto the form, nothing the person typed is lost, and the view renders the form again;
without a form, the refusal is shown as an error page.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, overload

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.safestring import SafeString

from attributes.access import graph_refusal
from attributes.actions import StaleEdit
from attributes.audit import Actor
from portal.auth.client import graph_for
from portal.graph import Forbidden, GraphError, GraphUnavailable, SignInRequired
from portal.isolation import isolated
from portal.types import PortalRequest

APPLIED_ALTHOUGH_LOST = (
    "Microsoft Graph's answer was lost, but reading it again shows the change was made."
)


@overload
def run_action[T](
    request: PortalRequest,
    action: Callable[..., T],
    /,
    *,
    form: None = None,
    done: str | Callable[[T], str],
    then: str | Callable[[T], str],
    stale: str | Callable[[StaleEdit], HttpResponse] | None = None,
    fields: Mapping[str, tuple[str, ...]] | None = None,
    **arguments: Any,
) -> HttpResponse: ...


@overload
def run_action[T](
    request: PortalRequest,
    action: Callable[..., T],
    /,
    *,
    form: forms.Form,
    done: str | Callable[[T], str],
    then: str | Callable[[T], str],
    stale: str | Callable[[StaleEdit], HttpResponse] | None = None,
    fields: Mapping[str, tuple[str, ...]] | None = None,
    **arguments: Any,
) -> HttpResponse | None: ...


def run_action[T](
    request: PortalRequest,
    action: Callable[..., T],
    /,
    *,
    form: forms.Form | None = None,
    done: str | Callable[[T], str],
    then: str | Callable[[T], str],
    stale: str | Callable[[StaleEdit], HttpResponse] | None = None,
    fields: Mapping[str, tuple[str, ...]] | None = None,
    **arguments: Any,
) -> HttpResponse | None:
    """Runs `action(graph=…, actor=…, **arguments)` as the signed-in person.

    Returns the redirect to `then` (a URL, or a function of the result) with `done` as its
    message when the action went through. When someone else changed the object meanwhile,
    it redirects with a warning to `stale` (default: `then`), a page that shows the object's
    current state, or, when `stale` is a function, answers what it returns (e.g. a page
    with both versions, for the person to choose). Returns None when Graph refused and the reason is on `form`. `fields`
    maps form fields to the property names Graph uses in its messages, so a refusal lands
    at the field it is about.
    """
    if _takes_graph(action):
        arguments["graph"] = graph_for(request)
    try:
        result = action(actor=Actor.from_request(request), **arguments)
    except StaleEdit as stale_edit:
        if callable(stale):
            return stale(stale_edit)
        messages.warning(
            request,
            format_html("{} Its current state is shown; check it and try again.", str(stale_edit)),
        )
        return redirect(stale or (then(stale_edit.current) if callable(then) else then))
    except GraphError as error:
        # The answer was lost, but reading Graph again found the change made. With no
        # result, the page to show is the changed object's (the same address).
        lost_but_made = isinstance(error, GraphUnavailable) and error.applied
        if lost_but_made and (isinstance(then, str) or "current" in arguments):
            messages.success(request, APPLIED_ALTHOUGH_LOST)
            return redirect(then if isinstance(then, str) else then(arguments["current"]))
        if isinstance(error, Forbidden):
            error.needed = error.needed or graph_refusal(request)
        if form is None:
            raise
        graph_error_to_form(form, error, fields=fields)
        return None
    messages.success(request, done(result) if callable(done) else done)
    return redirect(then(result) if callable(then) else then)


@cache
def _takes_graph(action: Callable[..., Any]) -> bool:
    # Changes to the portal's own tables (help text) have no Graph client to take.
    return "graph" in inspect.signature(action).parameters


def graph_error_to_form(
    form: forms.Form, error: GraphError, *, fields: Mapping[str, tuple[str, ...]] | None = None
) -> None:
    """Adds Graph's message to the field it concerns (by the property names Graph uses in
    its message), or to the form as a whole, with what to do and the request-id."""
    if isinstance(error, SignInRequired):
        raise error
    # Graph's message can quote the values it refused, so it is shown isolated.
    message = format_html(
        "{}{} {}{}",
        isolated(error.message),
        f" ({error.code})" if error.code else "",
        error.needed or error.advice,
        format_html(" Request id for support: {}.", error.request_id) if error.request_id else "",
    )
    lowered = error.message.casefold()
    for name, graph_names in (fields or {}).items():
        if name in form.fields and any(
            graph_name.casefold() in lowered for graph_name in graph_names
        ):
            form.add_error(name, message)
            return
    form.add_error(None, message)


# The confirm step ---------------------------------------------------------------------


@dataclass(frozen=True)
class Review:
    """What a person confirms before a change that can never be undone."""

    # The browser tab's title (plain text), and the page's heading (which may quote values).
    page_title: str
    title: str
    # The line that says what is permanent, then each permanent choice spelled out.
    warning: str
    permanent: list[SafeString | str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    note: str = ""
    confirm: str = "Confirm"
    breadcrumbs: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Confirmation:
    """Where the confirm step stands: `page` to show until the person confirms."""

    page: HttpResponse | None
    confirmed: bool


def confirm_step(request: PortalRequest, form: forms.Form, review: Review) -> Confirmation:
    """The review page for a valid form, until the person confirms it or goes back.

    The review page posts the form again, unchanged, with `confirm=yes` (go ahead) or
    `confirm=edit` (back to the form, with everything as typed).
    """
    step = request.POST.get("confirm")
    if step == "yes":
        return Confirmation(page=None, confirmed=True)
    if step == "edit":
        return Confirmation(page=None, confirmed=False)
    page = render(
        request,
        "attributes/confirm.html",
        {"review": review, "form": form, "action": request.get_full_path()},
    )
    return Confirmation(page=page, confirmed=False)
