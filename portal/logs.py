"""Log lines as JSON, one object a line, for log shippers; and each request's summary line.

`LOG_FORMAT=json` (the default with DEBUG off) selects `JsonFormatter` for the portal's
console handler (LOGGING in portal/settings.py); `plain` (make demo) keeps the readable
text line. Both come after the same filters, so a JSON line holds no query value and no
token either (portal.log_redaction, portal.graph).

Every object has `time` (ISO-8601, UTC), `level`, `logger`, `message`, `request_id` (the
web request's correlation id, or the bulk job's id in the worker) and `user` (the Entra
object id of the person it runs for, `-` when nobody is signed in); a traceback goes in
`exception`. A record made with `extra={"fields": {...}}` adds those keys too, as the
request summary line does: `method`, `path` (query parameters' names only), `status`,
`duration_ms`, `graph_round_trips` and `graph_request_ids`.

Kept free of Django's settings and apps: the logging configuration and gunicorn's master
load it before either is ready.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from portal.env import env_str

# The keys every line has; a record's extra fields cannot replace them.
_BASE_KEYS = frozenset({"time", "level", "logger", "message", "request_id", "user"})
FORMATS = ("json", "plain")


def log_format(debug: bool) -> str:
    """LOG_FORMAT, for Django's LOGGING and for gunicorn's own two logs alike."""
    value = env_str("LOG_FORMAT", "plain" if debug else "json").lower()
    if value not in FORMATS:
        raise ImproperlyConfigured(f"LOG_FORMAT={value!r} is not a log format: use json or plain.")
    return value


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "correlation_id", "-"),
            "user": getattr(record, "user_id", "-"),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update({k: v for k, v in fields.items() if k not in _BASE_KEYS})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # ASCII only: a U+2028 in a value would end the line for some readers.
        return json.dumps(line, default=str)


def summary_message(fields: dict[str, Any]) -> str:
    """The summary line as text, for the plain format (the JSON one has the fields too)."""
    ids = fields["graph_request_ids"]
    return (
        f"{fields['method']} {fields['path']} {fields['status']} in {fields['duration_ms']} ms, "
        f"{fields['graph_round_trips']} Graph round trips"
        + (f" (request-ids {' '.join(ids)})" if ids else "")
    )
