"""The log of Graph and token-endpoint requests that tests and benchmarks inspect.

It never records tokens, secrets, codes or request bodies: only what a request was,
who made it and how it was answered. Callers hold the emulator lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

MAX_ENTRIES = 50_000


@dataclass(slots=True)
class RequestLog:
    entries: list[dict[str, Any]] = field(default_factory=list)
    next_seq: int = 1

    def record(self, **fields: Any) -> dict[str, Any]:
        entry = {
            "seq": self.next_seq,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            **fields,
        }
        self.next_seq += 1
        self.entries.append(entry)
        if len(self.entries) > MAX_ENTRIES:
            del self.entries[: len(self.entries) - MAX_ENTRIES]
        return entry

    def since(self, seq: int) -> list[dict[str, Any]]:
        return [entry for entry in self.entries if entry["seq"] > seq]

    def clear(self) -> None:
        """Empty the log; sequence numbers keep growing so `since` stays meaningful."""
        self.entries.clear()
