"""The log of Graph writes, for checking that a bulk client lost nothing and wrote nothing
twice.

Every POST, PATCH, PUT or DELETE that reached a handler is recorded in the order it ran,
inside `$batch` too; writes the quota throttled or a fault stopped before the handler are
not. An entry says what was written and how it was answered, never bodies or tokens. It
is kept until reset, for up to MAX_WRITES writes (older ones are then dropped and
counted). Entries are tuples until read, to keep 100,000 of them small. Callers hold the
emulator lock.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any

MAX_WRITES = 200_000
PAGE_SIZE = 10_000
MAX_PAGE_SIZE = 100_000
FIELDS = (
    "seq",
    "time",
    "method",
    "version",
    "path",
    "target_id",
    "status",
    "handler_status",
    "client_request_id",
    "request_id",
    "priority",
    "app_id",
    "in_batch",
)


@dataclass(slots=True)
class WriteLog:
    entries: list[tuple[Any, ...]] = field(default_factory=list)
    next_seq: int = 1
    dropped: int = 0

    def record(
        self,
        *,
        method: str,
        version: str,
        path: str,
        target_id: str | None,
        status: int | None,
        handler_status: int,
        client_request_id: str,
        request_id: str,
        priority: str,
        app_id: str,
        in_batch: bool,
    ) -> None:
        """One write; `status` is what the client was answered (None when the connection
        was dropped), `handler_status` what the handler itself said."""
        self.entries.append(
            (
                self.next_seq,
                time.time(),
                method,
                version,
                path,
                target_id,
                status,
                handler_status,
                client_request_id,
                request_id,
                priority,
                app_id,
                in_batch,
            )
        )
        self.next_seq += 1
        if len(self.entries) > MAX_WRITES:
            excess = len(self.entries) - MAX_WRITES
            del self.entries[:excess]
            self.dropped += excess

    def unanswered(self, first_seq: int) -> None:
        """The connection was dropped: writes from `first_seq` on were never answered."""
        first = self.entries[0][0] if self.entries else self.next_seq
        status = FIELDS.index("status")
        for index in range(max(0, first_seq - first), len(self.entries)):
            entry = self.entries[index]
            self.entries[index] = (*entry[:status], None, *entry[status + 1 :])

    def page(self, since: int, limit: int = PAGE_SIZE) -> dict[str, Any]:
        """Writes after sequence number `since`, oldest first, at most `limit` of them;
        `last_seq` is where the next page starts."""
        first = self.entries[0][0] if self.entries else self.next_seq
        start = max(0, since + 1 - first)
        chosen = self.entries[start : start + limit]
        return {
            "writes": [_to_json(entry) for entry in chosen],
            "last_seq": chosen[-1][0] if chosen else max(since, first - 1),
            "more": start + limit < len(self.entries),
            "total": len(self.entries),
            "dropped": self.dropped,
        }

    def clear(self) -> None:
        """Empty the log; sequence numbers keep growing so `since` stays meaningful."""
        self.entries.clear()
        self.dropped = 0


def _to_json(entry: tuple[Any, ...]) -> dict[str, Any]:
    item = dict(zip(FIELDS, entry, strict=True))
    item["time"] = dt.datetime.fromtimestamp(item["time"], dt.UTC).isoformat(
        timespec="milliseconds"
    )
    return item
