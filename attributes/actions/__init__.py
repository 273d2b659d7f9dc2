"""The only code that changes anything: each action makes one change, audited.

Actions take keyword arguments only. They receive the state the view read from Graph in
this request (`current`), check that what the person saw is still what Graph has
(StaleEdit otherwise: nothing is overwritten blindly), and run the change inside
`attributes.audit.record_change`, which writes the intent before the call and the
outcome after, with the write's own request-id. Each module registers, next to its
actions, how to tell by re-reading whether a change took effect (`applied_check`).

Graph paths are built before `record_change`, so an identifier no URL can carry is
refused (`portal.graph.InvalidIdentifier`) before there is an audit record to claim that
Graph refused it.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import format_html


class StaleEdit(Exception):
    """Someone changed the object since the person loaded it; `current` is the fresh state."""

    def __init__(self, current: Any, what: str) -> None:
        # `what` names the object, its value isolated (portal.isolation): people read this.
        super().__init__(
            format_html("{} was changed by someone else while you were editing it.", what)
        )
        self.current = current
        self.what = what


def fields_match(current: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Whether every field a record says it set has that value now."""
    return all(current.get(key) == value for key, value in expected.items())
