"""The only code that changes anything: each action makes one change, audited.

Actions take keyword arguments only, check that what the person saw is still what
Graph has (StaleEdit otherwise: nothing is overwritten blindly), and run the change
inside `record_change`, which writes the intent before the call and the outcome after.
"""

from __future__ import annotations

from typing import Any


class StaleEdit(Exception):
    """Someone changed the object since the person loaded it; `current` is the fresh state."""

    def __init__(self, current: Any, what: str) -> None:
        super().__init__(f"{what} was changed by someone else while you were editing it.")
        self.current = current
        self.what = what
