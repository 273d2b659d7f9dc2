"""Graph's write quota for a tenant, as every process of the portal spends it.

Graph allows an app PORTAL_WRITE_QUOTA writes per tenant (3,000 per 150 s, refilling at 20
a second; graph-api.md §11.5), and every bulk job, worker and person signed in shares it.
The account of it is one row per tenant (`portal.models.WriteBudget`), a token bucket
updated under a row lock, so any number of workers draw on one budget:

- Background work `take`s writes before sending them and waits when there are none. It
  may use only JOB_SHARE of the bucket: Graph throttles Low-priority traffic first once
  less than a tenth of the quota is left, and the rest is for people clicking (High).
- Interactive writes `spend` without waiting: a person is never made to queue behind a
  job, and the job sees the writes they used.
- When Graph answers 429, `hold` stops everyone until its Retry-After has passed; when
  it reports how much of its quota is used (`x-ms-throttle-limit-percentage`, as other
  apps or tools spend it too), `observe` lowers the account to match.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from portal.models import WriteBudget

JOB_SHARE = 0.9


@dataclass(frozen=True)
class Quota:
    limit: int
    window_seconds: float

    @property
    def rate(self) -> float:
        """Writes per second, the sustained rate."""
        return self.limit / self.window_seconds


def quota() -> Quota:
    limit, window = settings.PORTAL_WRITE_QUOTA
    return Quota(limit, window)


def _locked(tenant_id: str, now: float) -> WriteBudget:
    """The tenant's row, brought up to date and locked until the transaction ends."""
    q = quota()
    row, _ = WriteBudget.objects.select_for_update().get_or_create(
        tenant_id=tenant_id, defaults={"tokens": float(q.limit), "updated": now}
    )
    elapsed = max(0.0, now - row.updated)
    row.tokens = min(float(q.limit), row.tokens + elapsed * q.rate)
    row.updated = now
    return row


def take(tenant_id: str, wanted: int, *, now: float | None = None) -> tuple[int, float]:
    """Up to `wanted` writes for background work: (how many, and when none, how many
    seconds until one is free)."""
    now = time.time() if now is None else now
    q = quota()
    reserve = q.limit * (1 - JOB_SHARE)
    with transaction.atomic():
        row = _locked(tenant_id, now)
        if now < row.blocked_until:
            granted, wait = 0, row.blocked_until - now
        else:
            granted = max(0, min(wanted, math.floor(row.tokens - reserve)))
            row.tokens -= granted
            wait = 0.0 if granted else (reserve + 1 - row.tokens) / q.rate
        row.save(update_fields=["tokens", "updated"])
    return granted, max(0.0, wait)


def give_back(tenant_id: str, count: int, *, now: float | None = None) -> None:
    """Writes taken but never sent (a job paused or cancelled between taking and sending)."""
    if count <= 0:
        return
    now = time.time() if now is None else now
    with transaction.atomic():
        row = _locked(tenant_id, now)
        row.tokens = min(float(quota().limit), row.tokens + count)
        row.save(update_fields=["tokens", "updated"])


def spend(tenant_id: str, count: int = 1, *, now: float | None = None) -> None:
    """Writes a person made: counted, never waited for."""
    if not tenant_id or count <= 0:
        return
    now = time.time() if now is None else now
    with transaction.atomic():
        row = _locked(tenant_id, now)
        row.tokens = max(-float(quota().limit), row.tokens - count)
        row.save(update_fields=["tokens", "updated"])


def hold(tenant_id: str, seconds: float, *, now: float | None = None) -> None:
    """Graph throttled a write: nobody's background work sends for `seconds`, and the
    account goes down to where Graph's was when it refused it: at most the share kept
    for people, so that background work waits for the bucket to fill again."""
    now = time.time() if now is None else now
    reserve = quota().limit * (1 - JOB_SHARE)
    with transaction.atomic():
        row = _locked(tenant_id, now)
        row.blocked_until = max(row.blocked_until, now + seconds)
        row.tokens = min(row.tokens, reserve)
        row.save(update_fields=["tokens", "updated", "blocked_until"])


def observe(tenant_id: str, used_share: float, *, now: float | None = None) -> None:
    """Graph says `used_share` (0.8 … 1.0) of its quota is used: if that leaves less than
    this account thinks, others are writing too, and the account follows Graph's."""
    now = time.time() if now is None else now
    left = max(0.0, 1.0 - used_share) * quota().limit
    with transaction.atomic():
        row = _locked(tenant_id, now)
        if left < row.tokens:
            row.tokens = left
            row.save(update_fields=["tokens", "updated"])


def available(tenant_id: str, *, now: float | None = None) -> float:
    """Writes left for background work now (for the job page)."""
    now = time.time() if now is None else now
    row = WriteBudget.objects.filter(tenant_id=tenant_id).first()
    q = quota()
    if row is None:
        return q.limit * JOB_SHARE
    tokens = min(float(q.limit), row.tokens + max(0.0, now - row.updated) * q.rate)
    return max(0.0, tokens - q.limit * (1 - JOB_SHARE))
