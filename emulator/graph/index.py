"""The eventually consistent index behind `$filter` on customSecurityAttributes.

Graph answers such filters (and their `$count`) from an index that trails the directory
(graph-api.md §11.4): right after a write, a filter can still find the object by its old
values, or miss it by its new ones, while a GET by id already reads the new ones. With
`lag_seconds` above 0 the emulator does the same: filtered queries see every object's
values as they were `lag_seconds` ago (by the emulator clock), and show those values.

Values are never changed in place (values.py replaces an object's whole map), so the
index keeps, per write still inside the lag, the map the object had before it. A query
evaluates its filter with each such object's oldest kept map swapped in, and answers with
copies that carry it. With no lag, or no recent write, nothing is kept and queries read
the live objects directly. Callers hold the emulator lock.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from emulator.tenant.model import CsaAssignments, DirectoryObject


class IndexConfigError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class IndexView:
    """The index at one moment. `mark` changes whenever a kept write becomes visible, so
    cached results keyed by it stay correct as time passes; `stale` maps the id of each
    object the index still knows by older values to the object and those values."""

    mark: int
    stale: dict[str, tuple[DirectoryObject, CsaAssignments]]

    @contextmanager
    def applied(self) -> Iterator[None]:
        """While inside, the objects read the values the index has for them.

        Swapping the few stale maps in and out (under the lock) keeps the filter's loop
        over 50,000 objects exactly as fast as without a lag."""
        current = [(obj, obj.csa) for obj, _previous in self.stale.values()]
        for obj, previous in self.stale.values():
            obj.csa = previous
        try:
            yield
        finally:
            for obj, csa in current:
                obj.csa = csa

    def shown(self, matches: list[DirectoryObject]) -> list[DirectoryObject]:
        """The matches as the index shows them: stale ones as copies with older values."""
        if not self.stale:
            return matches
        stale = self.stale
        return [
            dataclasses.replace(obj, csa=stale[obj.id][1]) if obj.id in stale else obj
            for obj in matches
        ]


LIVE = IndexView(0, {})


@dataclass(slots=True)
class FilterIndex:
    clock: Callable[[], float]
    lag_seconds: float = 0.0
    # (when, the object, its values before that write), oldest first
    pending: deque[tuple[float, DirectoryObject, CsaAssignments]] = field(default_factory=deque)
    visible: int = 0  # writes that have left `pending`; the view's mark

    def configure(self, lag_seconds: Any) -> None:
        """A new lag applies to writes from now on; writes made before a longer lag was
        set are not hidden again."""
        if isinstance(lag_seconds, bool) or not isinstance(lag_seconds, int | float):
            raise IndexConfigError("lag_seconds must be a number of seconds.")
        if lag_seconds < 0:
            raise IndexConfigError("lag_seconds must be 0 or more.")
        self.lag_seconds = float(lag_seconds)
        self._expire()

    def reset(self, lag_seconds: float) -> None:
        """A new tenant: forget the writes kept for the old one."""
        self.visible += len(self.pending)
        self.pending.clear()
        self.configure(lag_seconds)

    def written(self, obj: DirectoryObject, previous: CsaAssignments) -> None:
        """`obj` has just been given new values; `previous` is the map it had."""
        if self.lag_seconds > 0:
            self.pending.append((self.clock(), obj, previous))

    def view(self) -> IndexView:
        self._expire()
        if not self.pending:
            return IndexView(self.visible, {})
        stale: dict[str, tuple[DirectoryObject, CsaAssignments]] = {}
        for _when, obj, previous in self.pending:
            stale.setdefault(obj.id, (obj, previous))  # the oldest write still hidden
        return IndexView(self.visible, stale)

    def _expire(self) -> None:
        cutoff = self.clock() - self.lag_seconds
        pending = self.pending
        while pending and (self.lag_seconds <= 0 or pending[0][0] <= cutoff):
            pending.popleft()
            self.visible += 1

    def to_json(self) -> dict[str, Any]:
        self._expire()
        return {"lag_seconds": self.lag_seconds, "pending_writes": len(self.pending)}
