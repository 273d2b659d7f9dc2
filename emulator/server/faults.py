"""Injected faults: latency, random 429/5xx, stalls and dropped connections at given
rates, and deterministic rules.

A rule hits the next `count` Graph requests whose method matches and whose path (after
`/graph/v1.0` or `/graph/beta`) matches the regex. With `after`, the request runs first
(its side effect happens) and the error replaces its answer.

Random 429/5xx are drawn per Graph request, inside `$batch` per item. Stalls and drops
belong to the connection, so they are drawn once per HTTP request (a `$batch` as a
whole): a stall holds the request `stall_ms` before it runs, a drop lets it run and then
closes the connection without an answer, so the client cannot know whether its write
happened. Latency and stalls are waited out by the caller without the lock, so concurrent
requests overlap. Callers hold the lock.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

FAULT_SEED = 20260101
STATUSES = (429, 500, 503, 504, "drop")
DEFAULT_STALL_MS = 2000


class FaultConfigError(ValueError):
    pass


@dataclass(slots=True)
class FaultRule:
    path: re.Pattern[str]
    status: int | str
    method: str | None = None
    remaining: int = 1
    retry_after: str | None = None
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        if self.remaining <= 0 or (self.method and self.method != method):
            return False
        return self.path.search(path) is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path.pattern,
            "status": self.status,
            "count": self.remaining,
            "retry_after": self.retry_after,
            "after": self.after,
        }


@dataclass(frozen=True, slots=True)
class Fault:
    status: int | str
    retry_after: str | None
    after: bool

    @property
    def drops_connection(self) -> bool:
        return self.status == "drop"


@dataclass(frozen=True, slots=True)
class ConnectionFault:
    """What happens to one HTTP request as a whole."""

    delay_seconds: float  # latency plus any stall, waited out without the lock
    stalled: bool
    drop: bool  # run the request, then close the connection without answering


@dataclass(slots=True)
class FaultInjector:
    latency_ms: int = 0
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_stall: float = 0.0
    stall_ms: int = DEFAULT_STALL_MS
    rate_drop: float = 0.0
    retry_after: str = "2"
    rules: list[FaultRule] = field(default_factory=list)
    rng: random.Random = field(default_factory=lambda: random.Random(FAULT_SEED))
    # Its own generator, so stalls and drops leave the sequence of random 429/5xx alone.
    connection_rng: random.Random = field(default_factory=lambda: random.Random(FAULT_SEED + 1))

    def configure(self, config: dict[str, Any]) -> None:
        """Replace the whole configuration; `{}` clears every fault."""
        latency = _number(config, "latency_ms", int, 0)
        stall_ms = _number(config, "stall_ms", int, DEFAULT_STALL_MS)
        rates = {
            name: _number(config, name, float, 0.0)
            for name in ("fault_rate_429", "fault_rate_5xx", "fault_rate_stall", "fault_rate_drop")
        }
        if latency < 0 or stall_ms < 0 or not all(0 <= rate <= 1 for rate in rates.values()):
            raise FaultConfigError(
                "latency_ms and stall_ms must be >= 0 and rates between 0 and 1."
            )
        rules = [_rule(item) for item in config.get("rules") or []]
        self.latency_ms, self.stall_ms = latency, stall_ms
        self.rate_429, self.rate_5xx = rates["fault_rate_429"], rates["fault_rate_5xx"]
        self.rate_stall, self.rate_drop = rates["fault_rate_stall"], rates["fault_rate_drop"]
        self.retry_after = str(config.get("retry_after", "2"))
        self.rules = rules
        self.rng = random.Random(FAULT_SEED)
        self.connection_rng = random.Random(FAULT_SEED + 1)

    def clear(self) -> None:
        self.configure({})

    def pick(self, method: str, path: str, *, random_faults: bool = True) -> Fault | None:
        """The fault for this Graph request, if any; consumes one hit of a matching rule.
        Random faults are off for a `$batch` envelope: its items draw their own."""
        for rule in self.rules:
            if rule.matches(method, path):
                rule.remaining -= 1
                return Fault(rule.status, rule.retry_after or self.retry_after, rule.after)
        if not random_faults:
            return None
        if self.rate_429 and self.rng.random() < self.rate_429:
            return Fault(429, self.retry_after, after=False)
        if self.rate_5xx and self.rng.random() < self.rate_5xx:
            return Fault(self.rng.choice((500, 503, 504)), None, after=False)
        return None

    def connection(self) -> ConnectionFault:
        """Latency, and the stall and drop draws, for one HTTP request to Graph."""
        stalled = bool(self.rate_stall) and self.connection_rng.random() < self.rate_stall
        drop = bool(self.rate_drop) and self.connection_rng.random() < self.rate_drop
        delay = (self.latency_ms + (self.stall_ms if stalled else 0)) / 1000
        return ConnectionFault(delay, stalled, drop)

    def to_json(self) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "fault_rate_429": self.rate_429,
            "fault_rate_5xx": self.rate_5xx,
            "fault_rate_stall": self.rate_stall,
            "stall_ms": self.stall_ms,
            "fault_rate_drop": self.rate_drop,
            "retry_after": self.retry_after,
            "rules": [rule.to_json() for rule in self.rules if rule.remaining > 0],
        }


def _number(config: dict[str, Any], key: str, kind: type[int] | type[float], default: Any) -> Any:
    value = config.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultConfigError(f"{key} must be a number.")
    return kind(value)


def _rule(item: Any) -> FaultRule:
    if not isinstance(item, dict) or "path" not in item or "status" not in item:
        raise FaultConfigError("Each rule needs at least 'path' and 'status'.")
    if item["status"] not in STATUSES:
        raise FaultConfigError(f"Rule status must be one of {STATUSES}, not {item['status']!r}.")
    try:
        pattern = re.compile(str(item["path"]))
    except re.error as error:
        raise FaultConfigError(f"Rule path is not a valid regex: {error}") from error
    count = item.get("count", 1)
    if not isinstance(count, int) or count < 1:
        raise FaultConfigError("Rule count must be a positive integer.")
    method = item.get("method")
    retry_after = item.get("retry_after")
    return FaultRule(
        path=pattern,
        status=item["status"],
        method=str(method).upper() if method else None,
        remaining=count,
        retry_after=str(retry_after) if retry_after is not None else None,
        after=bool(item.get("after", False)),
    )
