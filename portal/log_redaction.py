"""Query strings reach no log line with their values: only the path and the parameters' names.

A query string can hold what a log file must not: the authorization code and state that
Entra sends to `/auth/callback` (the code is a credential until it is redeemed), attribute
values and search terms typed into filters (directory data that the person's roles let
*them* read, not whoever reads the logs), and `next` URLs with queries of their own. Log
files are kept longer, read by more people and shipped to more places than the database,
so a line keeps the path and the names of the parameters, `/auth/callback?code&state`:
enough to tell which page, filter or form a request used, and no value at all. The Graph
client logs paths only for the same reason (portal.graph).

Everything that writes request lines goes through here: gunicorn's access and error logs
(the logger class in portal.gunicorn_config), runserver's request lines (the `django.server`
logger) and the portal's own console handler (both in LOGGING, portal/settings.py).

Kept free of Django and gunicorn imports: gunicorn's master and Django's logging
configuration both load it before anything else is ready.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping

# A name the portal's own URLs could use; anything else (a bare value such as `?s3cr3t`,
# percent-encoding, control characters that could forge a log line) is shown as HIDDEN.
_PARAMETER_NAME = re.compile(r"[A-Za-z0-9_.$\[\]-]{1,40}")
HIDDEN = "*"

# In free text a query runs from `?` to the next white space: request targets and URLs
# cannot contain raw white space, and quotes can (a search for O'Brien), so they do not end it.
_QUERY_IN_TEXT = re.compile(r"\?(\S*)")

# gunicorn's access-log atoms that hold a query string without its `?`.
_BARE_QUERY_ATOMS = frozenset({"q", "{query_string}e"})


def query_names(query: str) -> str:
    """`code=abc&state=xyz` becomes `code&state`: each parameter's name, in order, no value."""
    names = []
    for field in query.split("&"):
        if not field:
            continue
        name = field.split("=", 1)[0]
        names.append(name if _PARAMETER_NAME.fullmatch(name) else HIDDEN)
    return "&".join(names)


def redact_url(url: str) -> str:
    """A path, request target or absolute URL with its query reduced to the names.

    `/auth/callback?code=abc&state=xyz` becomes `/auth/callback?code&state`; the path, the
    scheme and the host stay as they are, a fragment goes.
    """
    path, has_query, query = url.split("#", 1)[0].partition("?")
    return f"{path}?{query_names(query)}" if has_query else path


def redact_text(text: str) -> str:
    """Every query in a line of text reduced to its names, e.g. in a request line
    `GET /sets/?q=Ada HTTP/1.1` becomes `GET /sets/?q HTTP/1.1`."""
    if "?" not in text:
        return text
    return _QUERY_IN_TEXT.sub(lambda match: f"?{query_names(match.group(1))}", text)


def redact_access_log_atoms(atoms: Mapping[str, object]) -> dict[str, object]:
    """gunicorn's access-log atoms with every query reduced to its names.

    Every text atom goes through `redact_text`, not only the request line (`r`): the
    Referer (`f`, `{referer}i`) carries the query of the page a person came from, and a
    format may name any header or environ variable (a proxy's `X-Original-URI`, RAW_URI).
    """
    redacted: dict[str, object] = {}
    for key, value in atoms.items():
        if isinstance(value, str):
            value = query_names(value) if key in _BARE_QUERY_ATOMS else redact_text(value)
        redacted[key] = value
    return redacted


class RedactQueryStringsFilter(logging.Filter):
    """Rewrites a record whose message or traceback holds a query so that it holds only the
    names.

    The message is formatted here, once, and the record keeps it with no arguments: a
    query can sit in the format string or in any argument, of any type. A traceback is
    formatted here too, as the handler's formatter would, because exception messages quote
    URLs (requests' "Max retries exceeded with url: /v1.0/users?$filter=…").
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            # Arguments that do not fit the format: the handler reports that, as it always does.
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True
