"""Graph's write quota for identity and access: a token bucket per app and tenant.

By default 3,000 writes per 150 s for each app (the token's client id) in each tenant,
the limit that binds for bulk assignment (graph-api.md §11.5). Every POST, PATCH, PUT or
DELETE takes one write from its bucket, which refills continuously at limit/window per
second up to the limit; inside `$batch` each inner write counts on its own and the outer
POST not at all.

Priority (`x-ms-throttle-priority`) changes who is throttled first, never the rate: Low
writes may not take the last `low_reserve` share of the bucket and Normal writes not the
last `normal_reserve`, so when a bulk job at Low has drained the bucket, Normal and High
writes still get through, and High ones last longest. Refill, and so the sustained rate,
is the same for all. Callers hold the emulator lock.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

PRIORITIES = ("Low", "Normal", "High")
DEFAULT_PRIORITY = "Normal"  # Graph's default when the header is absent
WARNING_SHARE = 0.8  # x-ms-throttle-limit-percentage appears from here on


class QuotaConfigError(ValueError):
    pass


def priority_of(header: str) -> str:
    """The request's priority; a missing or unknown value is Normal."""
    wanted = header.strip().lower()
    return next((p for p in PRIORITIES if p.lower() == wanted), DEFAULT_PRIORITY)


@dataclass(frozen=True, slots=True)
class QuotaConfig:
    limit: int = 3000
    window_seconds: float = 150.0
    low_reserve: float = 0.10  # share of the limit that Low writes may not use
    normal_reserve: float = 0.02  # share that Normal writes may not use

    @property
    def per_second(self) -> float:
        return self.limit / self.window_seconds

    def floor(self, priority: str) -> float:
        """How many writes must stay in the bucket after a write of this priority; a full
        bucket always takes one, however small the limit."""
        reserve = {"Low": self.low_reserve, "Normal": self.normal_reserve}.get(priority, 0.0)
        return min(reserve * self.limit, self.limit - 1.0)

    @classmethod
    def parse(cls, value: Any) -> QuotaConfig | None:
        """`{"limit", "window_seconds", "low_reserve", "normal_reserve"}` (each optional,
        defaulting to Graph's numbers) or `None` for no quota at all."""
        if value is None:
            return None
        if not isinstance(value, dict):
            raise QuotaConfigError("write_quota must be an object or null.")
        unknown = set(value) - {"limit", "window_seconds", "low_reserve", "normal_reserve"}
        if unknown:
            raise QuotaConfigError(f"Unknown write_quota fields: {', '.join(sorted(unknown))}.")
        default = cls()
        limit = value.get("limit", default.limit)
        window = value.get("window_seconds", default.window_seconds)
        low = value.get("low_reserve", default.low_reserve)
        normal = value.get("normal_reserve", default.normal_reserve)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise QuotaConfigError("write_quota.limit must be a whole number of writes, 1 or more.")
        if not _is_number(window) or window <= 0:
            raise QuotaConfigError("write_quota.window_seconds must be a positive number.")
        if not (_is_number(low) and _is_number(normal) and 0 <= normal <= low < 1):
            raise QuotaConfigError(
                "write_quota reserves must satisfy 0 <= normal_reserve <= low_reserve < 1."
            )
        return cls(limit, float(window), float(low), float(normal))


@dataclass(slots=True)
class Bucket:
    available: float
    updated: float


@dataclass(frozen=True, slots=True)
class Admission:
    """The quota's answer to one write."""

    admitted: bool
    used_share: float  # of the limit, after this write
    retry_after: int | None = None  # whole seconds until a write of this priority fits

    @property
    def limit_percentage(self) -> str | None:
        """`x-ms-throttle-limit-percentage`, once 80% of the limit is used."""
        if self.used_share < WARNING_SHARE:
            return None
        return f"{self.used_share:.2f}"


ADMITTED = Admission(admitted=True, used_share=0.0)


@dataclass(slots=True)
class WriteQuota:
    clock: Callable[[], float]
    config: QuotaConfig | None = field(default_factory=QuotaConfig)
    buckets: dict[tuple[str, str], Bucket] = field(default_factory=dict)

    def configure(self, config: QuotaConfig | None) -> None:
        """A new configuration starts every bucket full."""
        self.config = config
        self.buckets.clear()

    def admit(self, app_id: str, tenant_id: str, priority: str) -> Admission:
        """Take one write from the app's bucket, or say how long until one fits."""
        config = self.config
        if config is None:
            return ADMITTED
        bucket = self._refilled(config, (app_id, tenant_id))
        floor = config.floor(priority)
        if bucket.available - 1 >= floor - 1e-9:
            bucket.available -= 1
            return Admission(True, _used(config, bucket))
        wait = (floor + 1 - bucket.available) / config.per_second
        return Admission(False, _used(config, bucket), max(1, math.ceil(wait - 1e-9)))

    def limit_percentage(self, app_id: str, tenant_id: str) -> str | None:
        """`x-ms-throttle-limit-percentage` for the app's bucket as it is now, if due."""
        if self.config is None:
            return None
        bucket = self._refilled(self.config, (app_id, tenant_id))
        return Admission(True, _used(self.config, bucket)).limit_percentage

    def _refilled(self, config: QuotaConfig, key: tuple[str, str]) -> Bucket:
        now = self.clock()
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = Bucket(float(config.limit), now)
        elapsed = max(0.0, now - bucket.updated)
        bucket.available = min(float(config.limit), bucket.available + elapsed * config.per_second)
        bucket.updated = now
        return bucket

    def to_json(self) -> dict[str, Any]:
        config = self.config
        buckets = []
        if config is not None:
            for app_id, tenant_id in sorted(self.buckets):
                bucket = self._refilled(config, (app_id, tenant_id))
                buckets.append(
                    {
                        "app_id": app_id,
                        "tenant_id": tenant_id,
                        "available": round(bucket.available, 3),
                        "used_share": round(_used(config, bucket), 4),
                    }
                )
        return {"write_quota": asdict(config) if config else None, "buckets": buckets}


def throttle_scope(app_id: str, tenant_id: str) -> str:
    return f"Tenant_Application/ReadWrite/{app_id}/{tenant_id}"


def _used(config: QuotaConfig, bucket: Bucket) -> float:
    return max(0.0, (config.limit - bucket.available) / config.limit)


def _is_number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float)
