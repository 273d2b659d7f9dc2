"""The clock that the write quota and the filter index's lag read.

It runs with `time.monotonic()` and can be moved forward through
`POST /_emulator/clock`, so a test can let 150 seconds of quota refill or index lag pass
without waiting. It never goes back, not even on reset. Token lifetimes, dates in answers
and the logs' times use the real clock. Callers that advance it hold the emulator lock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


class ClockError(ValueError):
    pass


@dataclass(slots=True)
class Clock:
    offset: float = 0.0

    def __call__(self) -> float:
        """Seconds on a monotonic scale: real time plus every advance so far."""
        return time.monotonic() + self.offset

    def advance(self, seconds: Any) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
            raise ClockError("advance_seconds must be a number of seconds, 0 or more.")
        self.offset += float(seconds)

    def to_json(self) -> dict[str, float]:
        return {"offset_seconds": self.offset}
