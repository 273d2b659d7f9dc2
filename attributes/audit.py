"""The audit log's write path and its integrity check.

Every change the portal makes goes through `record_change`:

    with record_change(actor=..., action=..., target=..., before=..., after=..., graph=graph) as change:
        change.wrote(graph.patch(...))

It commits the intent (outcome "pending") in its own transaction *before* the body
runs, and the outcome after, with the request-id of the write the action handed to
`change.wrote` (never that of another call made meanwhile). A Graph error marks the
record failed with Graph's code, message and request-id. When the outcome is
uncertain (a timeout, a dropped connection, a bug after the call) it re-reads the
source of truth to decide, with the check registered for the action
(`@applied_check`, next to each action); if even that fails the record is
"unknown". A process that dies inside the block leaves the record pending, and
`manage.py audit_reconcile` settles it later with the same checks.

Integrity: each record's entry hash covers its immutable fields and the previous
record's hash (a chain). The outcome, written once, is sealed with a keyed MAC
(HMAC-SHA256) over the entry hash and the outcome fields, whose key
(PORTAL_AUDIT_KEY) is never in the database: a database administrator can neither
rewrite a settled outcome nor the entry it seals without it. `outcome_key` names the
key that sealed it, so keys can be rotated (PORTAL_AUDIT_KEY_FALLBACKS).
`verify_chain` recomputes all of it and reports the first record that does not match.
Appends lock the chain-head row, so concurrent writers (gunicorn workers, threads,
the bulk worker) line up instead of forking the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from attributes.models import Action, AuditChainHead, AuditRecord, Outcome, TargetType
from portal.correlation import current_correlation_id
from portal.graph import GraphClient, GraphError, GraphUnavailable, Written
from portal.types import PortalRequest

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
IMMUTABLE_FIELDS = (
    "seq",
    "created_at",
    "actor_tenant_id",
    "actor_object_id",
    "actor_upn",
    "actor_name",
    "actor_ip",
    "action",
    "target_type",
    "target_id",
    "target_name",
    "attribute_set",
    "attribute",
    "before",
    "after",
    "reason",
    "job_id",
    "correlation_id",
    "prev_hash",
)
OUTCOME_FIELDS = ("outcome", "completed_at", "graph_request_id", "error_code", "error_message")


@dataclass(frozen=True)
class Actor:
    """Who made a change, as they were at the time."""

    tenant_id: str
    object_id: str
    upn: str
    name: str = ""
    ip: str | None = None

    @classmethod
    def from_request(cls, request: PortalRequest) -> Actor:
        user = request.user
        return cls(
            tenant_id=user.tenant_id,
            object_id=user.object_id,
            upn=user.user_principal_name,
            name=user.display_name,
            ip=_client_ip(request),
        )


@dataclass(frozen=True)
class Target:
    type: TargetType
    id: str
    name: str = ""


def _client_ip(request: HttpRequest) -> str | None:
    raw = request.META.get("REMOTE_ADDR", "")
    try:
        return ipaddress.ip_address(raw).compressed
    except ValueError:
        return None


# Hashing ------------------------------------------------------------------------------


def _normalised(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def _digest(prefix: str, values: dict[str, Any]) -> str:
    # sort_keys: PostgreSQL's jsonb does not keep key order, the hash must not depend on it.
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prefix + canonical).encode()).hexdigest()


def compute_entry_hash(record: AuditRecord) -> str:
    return _digest("", {f: _normalised(getattr(record, f)) for f in IMMUTABLE_FIELDS})


def key_id(key: str) -> str:
    """A short public name for an audit key; the key itself never leaves the settings."""
    return hashlib.sha256(b"attribute-portal audit key\0" + key.encode()).hexdigest()[:16]


def _audit_keys() -> dict[str, str]:
    """The current key and the earlier ones still trusted, by key id."""
    keys = [settings.PORTAL_AUDIT_KEY, *settings.PORTAL_AUDIT_KEY_FALLBACKS]
    return {key_id(key): key for key in reversed(keys)}


def outcome_seal(record: AuditRecord, key: str) -> str:
    """HMAC-SHA256, with `key`, over the entry hash and the outcome fields."""
    values = {f: _normalised(getattr(record, f)) for f in OUTCOME_FIELDS}
    canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    message = (record.entry_hash + canonical).encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def seal_outcome(record: AuditRecord) -> None:
    """Seals a record's outcome with the current key (in memory; finalize writes it)."""
    record.outcome_key = key_id(settings.PORTAL_AUDIT_KEY)
    record.outcome_hash = outcome_seal(record, settings.PORTAL_AUDIT_KEY)


# Appending ----------------------------------------------------------------------------


def _new_record(
    *,
    actor: Actor,
    action: Action,
    target: Target,
    attribute_set: str,
    attribute: str,
    before: Any,
    after: Any,
    reason: str,
    job_id: str,
) -> AuditRecord:
    return AuditRecord(
        created_at=timezone.now(),
        actor_tenant_id=actor.tenant_id,
        actor_object_id=actor.object_id,
        actor_upn=actor.upn,
        actor_name=actor.name,
        actor_ip=actor.ip,
        action=action,
        target_type=target.type,
        target_id=target.id,
        target_name=target.name,
        attribute_set=attribute_set,
        attribute=attribute,
        before=before,
        after=after,
        reason=reason.strip(),
        job_id=job_id,
        correlation_id=current_correlation_id() if current_correlation_id() != "-" else "",
        outcome=Outcome.PENDING,
    )


def _link(record: AuditRecord, seq: int, prev_hash: str) -> None:
    record.seq = seq
    record.prev_hash = prev_hash
    record.entry_hash = compute_entry_hash(record)


def _locked_head() -> AuditChainHead:
    """The chain head, locked until the transaction ends (created with the first record)."""
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(
        pk=1, defaults={"seq": 0, "entry_hash": GENESIS_HASH}
    )
    return head


def append(**fields: Any) -> AuditRecord:
    """Appends one pending record to the chain and commits it."""
    record = _new_record(**fields)
    with transaction.atomic():
        head = _locked_head()
        _link(record, head.seq + 1, head.entry_hash)
        # The one way past AuditRecord.save's refusal; not a model field.
        record._appending = True  # type: ignore[attr-defined]
        record.save(force_insert=True)
        head.seq, head.entry_hash = record.seq, record.entry_hash
        head.save(update_fields=["seq", "entry_hash"])
    return record


def append_intents(
    intents: Iterable[dict[str, Any]],
    *,
    linked: Callable[[list[AuditRecord]], None] | None = None,
) -> list[AuditRecord]:
    """Appends and commits several pending records at once, each from the fields `append`
    takes: a bulk job records the intent of every item of a `$batch` before sending it.
    `linked` runs in the same transaction, so whatever points at the records (the job's
    items) is committed with them or not at all."""
    records = [_new_record(**fields) for fields in intents]
    for record in records:
        if record.action not in _applied_checks:
            raise RuntimeError(f"No @applied_check is registered for {record.action!r}.")
    if connection.in_atomic_block:
        raise RuntimeError("append_intents must run outside transaction.atomic.")
    with transaction.atomic():
        bulk_append(records)
        if linked is not None:
            linked(records)
    return records


def bulk_append(records: Iterable[AuditRecord], *, batch_size: int = 5000) -> int:
    """Appends finished records in bulk, chaining them in memory (seeding, imports)."""
    count = 0
    with transaction.atomic():
        head = _locked_head()
        seq, prev = head.seq, head.entry_hash
        batch: list[AuditRecord] = []
        for record in records:
            seq += 1
            _link(record, seq, prev)
            if record.outcome != Outcome.PENDING:
                seal_outcome(record)
            prev = record.entry_hash
            batch.append(record)
            if len(batch) >= batch_size:
                AuditRecord.objects.bulk_create(batch)
                count += len(batch)
                batch = []
        if batch:
            AuditRecord.objects.bulk_create(batch)
            count += len(batch)
        head.seq, head.entry_hash = seq, prev
        head.save(update_fields=["seq", "entry_hash"])
    return count


def finalize(
    record: AuditRecord,
    outcome: Outcome,
    *,
    request_id: str | None = None,
    error_code: str = "",
    error_message: str = "",
) -> bool:
    """Writes the outcome of a pending record; False if it was already final."""
    record.outcome = outcome
    record.completed_at = timezone.now()
    record.graph_request_id = request_id or ""
    record.error_code = error_code[:128]
    record.error_message = error_message
    seal_outcome(record)
    updated = AuditRecord.objects.finalize(
        record.seq,
        **{f: getattr(record, f) for f in (*OUTCOME_FIELDS, "outcome_hash", "outcome_key")},
    )
    if not updated:
        logger.warning("audit record %s was already final", record.seq)
    return bool(updated)


def finalize_many(outcomes: Iterable[tuple[AuditRecord, Outcome, dict[str, str]]]) -> int:
    """Writes the outcomes of several pending records at once (each as `finalize`, with
    `request_id`, `error_code` and `error_message` in its dict); how many were written."""
    records = []
    now = timezone.now()
    for record, outcome, details in outcomes:
        record.outcome = outcome
        record.completed_at = now
        record.graph_request_id = details.get("request_id") or ""
        record.error_code = details.get("error_code", "")[:128]
        record.error_message = details.get("error_message", "")
        seal_outcome(record)
        records.append(record)
    written = AuditRecord.objects.finalize_many(
        records, (*OUTCOME_FIELDS, "outcome_hash", "outcome_key")
    )
    if written < len(records):
        logger.warning("%d audit records were already final", len(records) - written)
    return written


class Change:
    """The handle `record_change` yields: the pending record, and the write's own answer."""

    def __init__(self, record: AuditRecord) -> None:
        self.record = record
        self.request_id: str | None = None

    def wrote(self, written: Written) -> Written:
        """Keeps the request-id of the write this record is about; returns the answer."""
        self.request_id = written.request_id
        return written


# "Was it applied?" ------------------------------------------------------------------

AppliedCheck = Callable[[GraphClient | None, AuditRecord], bool | None]
_applied_checks: dict[str, AppliedCheck] = {}


def applied_check(*actions: Action) -> Callable[[AppliedCheck], AppliedCheck]:
    """Registers how to tell, by re-reading, whether a recorded change of these kinds is in
    effect: True (it is), False (it is not) or None (cannot tell). Each action module
    registers its own, next to the action; `record_change` and reconcile use them."""

    def register(check: AppliedCheck) -> AppliedCheck:
        for action in actions:
            _applied_checks[action] = check
        return check

    return register


def is_applied(graph: GraphClient | None, record: AuditRecord) -> bool | None:
    check = _applied_checks.get(record.action)
    return None if check is None else check(graph, record)


@contextmanager
def record_change(
    *,
    actor: Actor,
    action: Action,
    target: Target,
    attribute_set: str = "",
    attribute: str = "",
    before: Any = None,
    after: Any = None,
    reason: str = "",
    job_id: str = "",
    graph: GraphClient | None = None,
) -> Iterator[Change]:
    """Records intent, runs the change, records the outcome (see the module docstring).

    `graph` is only for re-reading when the outcome is uncertain; changes to the portal's
    own tables pass none.
    """
    if connection.in_atomic_block:
        raise RuntimeError(
            "record_change must run outside transaction.atomic: its intent has to be "
            "committed before the change is attempted."
        )
    if action not in _applied_checks:
        raise RuntimeError(
            f"No @applied_check is registered for {action!r}: without one, an uncertain "
            "outcome could never be settled."
        )
    record = append(
        actor=actor,
        action=action,
        target=target,
        attribute_set=attribute_set,
        attribute=attribute,
        before=before,
        after=after,
        reason=reason,
        job_id=job_id,
    )
    change = Change(record)
    try:
        yield change
    except GraphUnavailable as exc:
        exc.applied = _settle_uncertain(record, graph, exc)
        raise
    except GraphError as exc:
        finalize(
            record,
            Outcome.FAILED,
            request_id=exc.request_id,
            error_code=exc.code,
            error_message=exc.message,
        )
        raise
    except Exception as exc:
        _settle_uncertain(record, graph, exc)
        raise
    else:
        finalize(record, Outcome.SUCCEEDED, request_id=change.request_id)


def _settle_uncertain(
    record: AuditRecord, graph: GraphClient | None, error: Exception
) -> bool | None:
    """Settles the record by reading Graph again; returns whether the change was applied
    (None when that could not be read either)."""
    applied: bool | None = None
    try:
        applied = is_applied(graph, record)
    except GraphError as exc:
        logger.warning("could not re-read Graph for audit record %s: %s", record.seq, exc)
    code = error.code if isinstance(error, GraphError) else type(error).__name__
    message = error.message if isinstance(error, GraphError) else str(error)
    request_id = error.request_id if isinstance(error, GraphError) else None
    if applied is None:
        outcome = Outcome.UNKNOWN
    else:
        outcome = Outcome.SUCCEEDED if applied else Outcome.FAILED
    finalize(record, outcome, request_id=request_id, error_code=code, error_message=message)
    return applied


# Verification -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    checked: int
    head_hash: str
    broken_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_chain(*, chunk_size: int = 5000) -> ChainReport:
    """Recomputes every hash and seal in order and reports the first record that does not fit."""
    keys = _audit_keys()
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    last_seq = 0
    queryset = AuditRecord.objects.order_by("seq")
    while True:
        chunk = list(queryset.filter(seq__gt=last_seq)[:chunk_size])
        if not chunk:
            break
        for record in chunk:
            problem = _problem_with(record, expected_seq, prev_hash, keys)
            if problem:
                return ChainReport(checked, prev_hash, broken_seq=record.seq, problem=problem)
            prev_hash, expected_seq, last_seq = record.entry_hash, record.seq + 1, record.seq
            checked += 1
    head = AuditChainHead.objects.filter(pk=1).first() or AuditChainHead(
        seq=0, entry_hash=GENESIS_HASH
    )
    if head.seq != last_seq or head.entry_hash != prev_hash:
        return ChainReport(
            checked,
            prev_hash,
            broken_seq=last_seq + 1,
            problem=f"the chain head says #{head.seq} but the last record is #{last_seq}: "
            "records at the end were removed",
        )
    return ChainReport(checked, prev_hash)


def _problem_with(
    record: AuditRecord, expected_seq: int, prev_hash: str, keys: dict[str, str]
) -> str:
    if record.seq != expected_seq:
        return f"record #{expected_seq} is missing (the next one is #{record.seq})"
    if record.prev_hash != prev_hash:
        return "its link to the previous record does not match that record's hash"
    if compute_entry_hash(record) != record.entry_hash:
        return "its content was changed after it was written"
    if record.outcome == Outcome.PENDING:
        if record.outcome_hash or record.outcome_key:
            return "it is pending but carries an outcome seal"
        return ""
    key = keys.get(record.outcome_key)
    if key is None:
        return (
            f"its outcome was sealed with a key the portal does not have (key id "
            f"{record.outcome_key or 'none'}): if the audit key was rotated, add the old key "
            "to PORTAL_AUDIT_KEY_FALLBACKS"
        )
    if not hmac.compare_digest(outcome_seal(record, key), record.outcome_hash):
        return "its outcome was changed after it was recorded"
    return ""
