"""Who and what the current log lines are about: the correlation id of the web request (or
the bulk job), and the Entra object id of the person it runs for. For logs and the audit log.

Kept free of Django imports: the logging configuration loads it before apps are ready.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator

_correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")
# The signed-in person's Entra object id (never a UPN or a name: log lines are kept longer
# and read more widely than the directory they describe).
_user_id: contextvars.ContextVar[str] = contextvars.ContextVar("log_user_id", default="-")


def current_correlation_id() -> str:
    return _correlation_id.get()


def set_correlation_id(value: str) -> contextvars.Token[str]:
    return _correlation_id.set(value)


def reset_correlation_id(token: contextvars.Token[str]) -> None:
    _correlation_id.reset(token)


def current_user_id() -> str:
    return _user_id.get()


def set_user_id(value: str) -> None:
    """Names the person from here to the end of the enclosing `log_context`."""
    _user_id.set(value or "-")


@contextlib.contextmanager
def log_context(correlation_id: str, user_id: str = "-") -> Iterator[None]:
    """Log lines within the block carry this correlation id and person; both are restored
    afterwards, whatever the block set."""
    correlation = _correlation_id.set(correlation_id)
    user = _user_id.set(user_id or "-")
    try:
        yield
    finally:
        _user_id.reset(user)
        _correlation_id.reset(correlation)


class CorrelationIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _correlation_id.get()
        record.user_id = _user_id.get()
        return True
