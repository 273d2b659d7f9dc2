"""Who may read or change what. Every view opens with one call from here.

Each `*_for` helper authorises first, from the person's Entra roles (`Capabilities`),
then fetches, in healthchecks' style: it returns the object, or raises `Refused` (a
PermissionDenied, shown as a 403 page) whose message comes from `Capabilities` and names
the role and scope that would allow it. Graph stays the enforcer of its own data, so an
authorised call can still be refused; the helper notes the role that call needs, and a
refusal from Graph is shown with it. For the portal's own data (the audit log, help
text) these checks are the only ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from functools import wraps
from typing import Concatenate

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.db.models.functions import Upper
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils.html import format_html

from attributes import directory, objects
from attributes.audit_review.entra import ENTRA_FEED
from attributes.capabilities import Capabilities, Reach, read_capabilities
from attributes.directory import AttributeSet, Definition
from attributes.models import AuditRecord, TargetType
from attributes.objects import GRAPH_TYPES, DirectoryObject
from portal.auth.client import graph_for
from portal.graph import Forbidden, GraphError
from portal.isolation import isolated
from portal.types import PortalRequest

SESSION_KEY = "capabilities"


class Refused(PermissionDenied):
    """The person's roles do not allow this; the message says which role and scope would."""


# The person's capabilities ------------------------------------------------------------


def capabilities(request: PortalRequest) -> Capabilities:
    """The person's capabilities, kept in the session and read from Graph again once they
    are older than PORTAL_ROLES_MAX_AGE, so a role removed in Entra soon stops counting."""
    cached: Capabilities | None = getattr(request, "_capabilities", None)
    if cached is not None:
        return cached
    data = request.session.get(SESSION_KEY)
    caps = Capabilities.from_session(data) if data is not None else None
    fresh = caps is not None and caps.age() <= timedelta(seconds=settings.PORTAL_ROLES_MAX_AGE)
    if caps is None or not fresh:
        caps = read_capabilities(graph_for(request), request.user.object_id)
    _keep(request, caps, save=not fresh)
    return caps


def _keep(request: PortalRequest, caps: Capabilities, *, save: bool = True) -> None:
    if save:
        request.session[SESSION_KEY] = caps.to_session()
    # Kept on the request too, so one request decodes the session's copy once.
    request._capabilities = caps  # type: ignore[attr-defined]


def forget_capabilities(request: PortalRequest) -> None:
    request.session.pop(SESSION_KEY, None)
    request.__dict__.pop("_capabilities", None)


def _needs_for_graph(request: PortalRequest, why: str) -> None:
    # What the Graph calls of this request need, for when Graph refuses one of them; an
    # attribute of this one request, which HttpRequest does not declare.
    request._graph_needs = why  # type: ignore[attr-defined]


def graph_refusal(request: PortalRequest) -> str:
    """The roles a refusal from Graph in this request is about."""
    return getattr(request, "_graph_needs", None) or Capabilities.why_graph_refused()


def require_attribute_role[**P](
    view: Callable[Concatenate[PortalRequest, P], HttpResponseBase],
) -> Callable[Concatenate[PortalRequest, P], HttpResponseBase]:
    """Shows the "no attribute roles" page instead of a view the person cannot use, and
    makes a refusal from Graph name the roles that would have allowed it."""

    @wraps(view)
    def wrapper(request: PortalRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        caps = capabilities(request)
        if not caps.has_attribute_role:
            return render(request, "attributes/no_roles.html", {"caps": caps}, status=403)
        try:
            return view(request, *args, **kwargs)
        except Forbidden as exc:
            exc.needed = exc.needed or graph_refusal(request)
            raise

    return wrapper


# Attribute sets and definitions -------------------------------------------------------


def browsable_sets(request: PortalRequest) -> Reach:
    """Where the person may browse sets and definitions; refuses those who may browse none."""
    caps = capabilities(request)
    if not caps.definitions_read:
        raise Refused(caps.why_not_browse_sets())
    return caps.definitions_read


def may_change_sets(request: PortalRequest) -> None:
    """Creating and editing sets themselves needs the definition role tenant-wide."""
    caps = capabilities(request)
    if not caps.sets_write:
        raise Refused(caps.why_not_write_sets())
    _needs_for_graph(request, caps.why_not_write_sets())


def _authorise_set(request: PortalRequest, name: str, *, define: bool) -> None:
    caps = capabilities(request)
    if not caps.definitions_read.allows(name):
        raise Refused(caps.why_not_read_set(name))
    if define:
        if not caps.definitions_write.allows(name):
            raise Refused(caps.why_not_write_definitions(name))
        _needs_for_graph(request, caps.why_not_write_definitions(name))


def set_for(
    request: PortalRequest, name: str, *, edit: bool = False, define: bool = False
) -> AttributeSet:
    """The attribute set `name`, if the person may read it; with `edit`, change the set
    itself; with `define`, add and change the definitions in it."""
    if edit:
        may_change_sets(request)
    _authorise_set(request, name, define=define)
    return directory.get_set(graph_for(request), name)


def definitions_in(request: PortalRequest, set_name: str) -> list[Definition]:
    """The definitions of a set the person may read (without their predefined values)."""
    _authorise_set(request, set_name, define=False)
    return directory.list_definitions(graph_for(request), set_name, with_values=False)


def help_text_for(request: PortalRequest, set_name: str, name: str) -> Definition:
    """A definition whose portal-side help text the person may change: the portal's own
    data, so the definition role must have been read, not assumed."""
    caps = capabilities(request)
    if not caps.set_settings_write(set_name):
        raise Refused(caps.why_not_write_set_settings(set_name))
    return definition_for(request, set_name, name)


def set_policy_for(request: PortalRequest, set_name: str) -> AttributeSet:
    """A set whose portal-side assignment policy the person may change (as help text)."""
    caps = capabilities(request)
    if not caps.set_settings_write(set_name):
        raise Refused(caps.why_not_write_set_settings(set_name, "assignment policy"))
    return set_for(request, set_name)


# Users, service principals and agents --------------------------------------------------


def object_for(request: PortalRequest, graph_type: str, object_id: str) -> DirectoryObject:
    """A user or service principal (or an agent subtype) to look at. Anyone with an
    attribute role may: Graph returns only the values that person's roles may read."""
    found = GRAPH_TYPES.get(graph_type)
    if found is None:
        raise Http404(f"There are no objects of the type {graph_type!r}.")
    caps = capabilities(request)
    _needs_for_graph(request, caps.why_not_read_assignments())
    return objects.get_object(graph_for(request), found, object_id)


def readable_definitions(request: PortalRequest) -> list[Definition]:
    """The definitions whose values the person's roles may read (queries, exports, coverage,
    the agent board), with their predefined values; refuses those who may read none."""
    caps = capabilities(request)
    if not caps.assignments_read:
        raise Refused(caps.why_not_read_assignments())
    _needs_for_graph(request, caps.why_not_read_assignments())
    definitions = directory.list_definitions(graph_for(request))
    return [d for d in definitions if caps.assignments_read.allows(d.attribute_set)]


def assignment_for(
    request: PortalRequest, graph_type: str, object_id: str, set_name: str, name: str
) -> tuple[DirectoryObject, Definition]:
    """An object and a definition whose value on it the person may assign, change or
    remove: Attribute Assignment Administrator for the whole tenant or for the set."""
    caps = capabilities(request)
    if not caps.assignments_write.allows(set_name):
        raise Refused(caps.why_not_assign(set_name))
    definition = directory.get_definition(graph_for(request), set_name, name)
    if definition is None:
        raise Http404(
            format_html(
                "The attribute set {} has no attribute named {}.",
                isolated(set_name),
                isolated(name),
            )
        )
    target = object_for(request, graph_type, object_id)
    _needs_for_graph(request, caps.why_not_assign(set_name))
    return target, definition


def definition_for(
    request: PortalRequest, set_name: str, name: str, *, write: bool = False
) -> Definition:
    """A definition with its predefined values, if the person may read it (or, with
    `write`, change it and its values)."""
    _authorise_set(request, set_name, define=write)
    definition = directory.get_definition(graph_for(request), set_name, name)
    if definition is None:
        raise Http404(
            format_html(
                "The attribute set {} has no attribute named {}.",
                isolated(set_name),
                isolated(name),
            )
        )
    return definition


# The audit log ------------------------------------------------------------------------


def audit_reach(request: PortalRequest) -> Reach:
    """Where the person may read the portal's log; refuses those who may read none of it.

    Only roles that were read count. When none could be, one read of Entra's audit feed,
    which only the log roles may make, can show that the person is a log reader.
    """
    caps = capabilities(request)
    if not caps.portal_log_read and caps.source == "unknown" and caps.log_reader_proven is None:
        caps = _prove_log_reader(request, caps)
    reach = caps.portal_log_read
    if not reach:
        raise Refused(caps.why_not_read_log())
    return reach


def _prove_log_reader(request: PortalRequest, caps: Capabilities) -> Capabilities:
    try:
        graph_for(request).page(ENTRA_FEED, params={"$top": "1"}, version="beta")
        proven = True
    except Forbidden:
        proven = False
    except GraphError:
        return caps  # no answer either way; try again on the next request
    caps = replace(caps, log_reader_proven=proven)
    _keep(request, caps)
    return caps


def scoped(records: QuerySet[AuditRecord], reach: Reach) -> QuerySet[AuditRecord]:
    """The records within `reach`: all of them, or those of its attribute sets."""
    if reach.tenant:
        return records
    if not reach.sets:
        return records.none()
    # UPPER() on both sides, matching the audit_set index.
    keys = sorted({name.upper() for name in reach.sets})
    return records.alias(set_key=Upper("attribute_set")).filter(set_key__in=keys)


def readable_records(request: PortalRequest) -> QuerySet[AuditRecord]:
    """Every record the person may read."""
    return scoped(AuditRecord.objects.all(), audit_reach(request))


def record_for(request: PortalRequest, seq: int) -> AuditRecord:
    reach = audit_reach(request)
    record = get_object_or_404(AuditRecord, seq=seq)
    if not reach.allows(record.attribute_set or None):
        raise Refused(capabilities(request).why_not_read_record(record.attribute_set))
    return record


def timeline_for(
    request: PortalRequest, records: QuerySet[AuditRecord], target_type: str, target_id: str
) -> QuerySet[AuditRecord]:
    """An object's timeline, if the person may read it: a set, or a definition (whose
    records all carry its set), is wholly in reach or out of it; for other objects, only
    the records of the sets in reach are kept."""
    reach = audit_reach(request)
    if reach.tenant:
        return records
    if target_type == TargetType.ATTRIBUTE_SET:
        attribute_set = target_id
    elif target_type == TargetType.DEFINITION:
        attribute_set = records.values_list("attribute_set", flat=True).first() or ""
    else:
        attribute_set = ""
    if attribute_set and not reach.allows(attribute_set):
        raise Refused(capabilities(request).why_not_read_record(attribute_set))
    return scoped(records, reach)


def entra_feed_access(request: PortalRequest) -> Capabilities:
    """Entra's own audit feed needs a log role; refuses everyone else."""
    caps = capabilities(request)
    if not caps.entra_audit_read:
        raise Refused(caps.why_not_entra_audit())
    _needs_for_graph(request, caps.why_not_entra_audit())
    return caps
