"""The portal's own records: the audit log, and help text layered over Entra's names.

The audit log is append-only and tamper-evident. Design (docs: attributes/audit.py):
each record's `entry_hash` covers its immutable fields and the previous record's
hash, so the chain proves no record was inserted, removed or altered. The outcome
is written once, after the Graph call, and sealed by `outcome_hash`, a keyed MAC over
the entry hash and the outcome fields whose key is kept outside the database. That one
pending → final transition is the only update the model and, on PostgreSQL, a
trigger allow.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from portal.db import update_each


class Action(models.TextChoices):
    SET_CREATED = "set_created", "Attribute set created"
    SET_UPDATED = "set_updated", "Attribute set updated"
    DEFINITION_CREATED = "definition_created", "Definition created"
    DEFINITION_UPDATED = "definition_updated", "Definition updated"
    DEFINITION_DEACTIVATED = "definition_deactivated", "Definition deactivated"
    DEFINITION_REACTIVATED = "definition_reactivated", "Definition reactivated"
    VALUE_ADDED = "value_added", "Predefined value added"
    VALUE_DEACTIVATED = "value_deactivated", "Predefined value deactivated"
    VALUE_REACTIVATED = "value_reactivated", "Predefined value reactivated"
    ASSIGNMENT_SET = "assignment_set", "Assignment set"
    ASSIGNMENT_CHANGED = "assignment_changed", "Assignment changed"
    ASSIGNMENT_REMOVED = "assignment_removed", "Assignment removed"
    HELP_TEXT_CHANGED = "help_text_changed", "Help text changed"
    SET_POLICY_CHANGED = "set_policy_changed", "Set policy changed"


class Outcome(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    UNKNOWN = "unknown", "Unknown"


class TargetType(models.TextChoices):
    ATTRIBUTE_SET = "attributeSet", "Attribute set"
    DEFINITION = "definition", "Attribute definition"
    USER = "user", "User"
    SERVICE_PRINCIPAL = "servicePrincipal", "Service principal"


class AppendOnlyError(Exception):
    """Raised on any attempt to change or delete an audit record."""


class AuditRecordQuerySet(models.QuerySet["AuditRecord"]):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit records cannot be updated.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit records cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit records cannot be updated.")

    def finalize(self, seq: int, **fields: Any) -> int:
        """The one permitted change: a pending record gets its outcome, once."""
        pending = self.filter(seq=seq, outcome=Outcome.PENDING)
        return models.QuerySet.update(pending, **fields)

    def finalize_many(self, records: list[AuditRecord], names: tuple[str, ...]) -> int:
        """`finalize` for several records in one statement run for each (a bulk job's
        batch): the same change, to pending records only."""
        return update_each(records, names, only_where={"outcome": Outcome.PENDING})


class AuditRecord(models.Model):
    """One change the portal made (or tried to make), as the person who made it."""

    seq = models.BigIntegerField(primary_key=True)
    created_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    actor_tenant_id = models.CharField(max_length=64)
    actor_object_id = models.CharField(max_length=64)
    actor_upn = models.CharField(max_length=255)
    actor_name = models.CharField(max_length=255, blank=True)
    actor_ip = models.GenericIPAddressField(null=True, blank=True)

    action = models.CharField(max_length=32, choices=Action.choices)
    target_type = models.CharField(max_length=32, choices=TargetType.choices)
    target_id = models.CharField(max_length=255)
    target_name = models.CharField(max_length=255, blank=True)
    attribute_set = models.CharField(max_length=64, blank=True)
    attribute = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    graph_request_id = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=128, blank=True)
    error_message = models.TextField(blank=True)

    job_id = models.CharField(max_length=64, blank=True)
    correlation_id = models.CharField(max_length=64, blank=True)

    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)
    outcome_hash = models.CharField(max_length=64, blank=True)
    # Names the key that sealed the outcome (attributes.audit.key_id), for key rotation.
    outcome_key = models.CharField(max_length=16, blank=True)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        ordering: ClassVar[list[str]] = ["-seq"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # Two records can never claim the same predecessor: the chain cannot fork.
            models.UniqueConstraint(fields=["prev_hash"], name="audit_chain_no_fork"),
        ]
        # Every list, timeline and export reads newest (or oldest) first by
        # (created_at, seq), so each filter has an index ending in those two columns:
        # a filtered page is one ordered index range scan that stops after 51 rows, and
        # a time range composes with any of them. Names are matched case-insensitively,
        # hence the UPPER() expressions. Plan and figures: bench/bench_audit.py.
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["created_at", "seq"], name="audit_time"),
            models.Index(fields=["actor_object_id", "created_at", "seq"], name="audit_actor"),
            models.Index(Upper("actor_upn"), F("created_at"), F("seq"), name="audit_actor_upn"),
            models.Index(fields=["target_id", "created_at", "seq"], name="audit_target"),
            models.Index(Upper("target_name"), F("created_at"), F("seq"), name="audit_target_name"),
            models.Index(Upper("attribute_set"), F("created_at"), F("seq"), name="audit_set"),
            models.Index(
                Upper("attribute_set"),
                Upper("attribute"),
                F("created_at"),
                F("seq"),
                name="audit_set_attr",
            ),
            models.Index(Upper("attribute"), F("created_at"), F("seq"), name="audit_attr"),
            # A set's timeline reads the set's and its definitions' records. Schema changes
            # are few, so this partial index stays small when assignments number millions.
            models.Index(
                Upper("attribute_set"),
                F("created_at"),
                F("seq"),
                name="audit_schema_set",
                condition=Q(target_type__in=["attributeSet", "definition"]),
            ),
            models.Index(fields=["action", "created_at", "seq"], name="audit_action"),
            models.Index(fields=["outcome", "created_at", "seq"], name="audit_outcome"),
            models.Index(fields=["job_id", "created_at", "seq"], name="audit_job"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.get_action_display()} {self.target_name or self.target_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit records cannot be updated.")
        if not getattr(self, "_appending", False):
            raise AppendOnlyError("Audit records are written only through attributes.audit.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Audit records cannot be deleted.")


class AuditChainHead(models.Model):
    """The latest record's position and hash; appends lock this one row to serialise."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"Audit chain head at #{self.seq}"


class HelpText(models.Model):
    """Portal-side help for one attribute, shown wherever it is assigned.

    It never changes the attribute in Entra, whose name is immutable. Every change
    goes through attributes.actions and is audited.
    """

    definition_id = models.CharField(max_length=80, unique=True)
    text = models.TextField(max_length=1000)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=255)

    def __str__(self) -> str:
        return f"Help for {self.definition_id}"


class AttributeSetPolicy(models.Model):
    """Portal-side rules for assigning one attribute set's attributes (today: whether a
    reason is required). It never changes anything in Entra; every change goes through
    attributes.actions and is audited, like help text."""

    # As Entra spells it; looked up without regard to case, as set names are.
    attribute_set = models.CharField(max_length=64, unique=True)
    require_reason = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.CharField(max_length=255)

    def __str__(self) -> str:
        return f"Assignment policy of {self.attribute_set}"

    @classmethod
    def requires_reason(cls, attribute_set: str) -> bool:
        return cls.objects.filter(attribute_set__iexact=attribute_set, require_reason=True).exists()


# Bulk jobs ------------------------------------------------------------------------------


class JobState(models.TextChoices):
    DRAFT = "draft", "Preview"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    SIGN_IN_NEEDED = "sign_in", "Waiting for sign-in"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


class Operation(models.TextChoices):
    SET = "set", "Set the value"
    ADD = "add", "Add values"
    REMOVE = "remove", "Remove values"
    CLEAR = "clear", "Clear the value"
    IMPORT = "import", "As in the uploaded file"


class ItemState(models.TextChoices):
    # The dry run's verdicts.
    CHANGE = "change", "Will change"
    UNCHANGED = "unchanged", "Already as wanted"
    REFUSED = "refused", "Refused"
    # While and after the job runs.
    PENDING = "pending", "Being sent"
    APPLIED = "applied", "Applied"
    SKIPPED = "skipped", "Already as wanted when sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not sent (cancelled)"


FINAL_ITEM_STATES = (
    ItemState.UNCHANGED,
    ItemState.REFUSED,
    ItemState.APPLIED,
    ItemState.SKIPPED,
    ItemState.FAILED,
    ItemState.CANCELLED,
)


class BulkJob(models.Model):
    """One bulk change: its dry run (a draft), then its run as a background job.

    The run holds a lease (`lease_owner`, `lease_until`) that it renews as it goes, so
    exactly one worker runs a job at a time and a job whose worker died is taken over
    once its lease has run out (attributes.bulk.engine).
    """

    id = models.UUIDField(primary_key=True)
    tenant_id = models.CharField(max_length=64)
    created_by_object_id = models.CharField(max_length=64)
    created_by_upn = models.CharField(max_length=255)
    created_by_name = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.DRAFT)
    # Where the objects came from, as people read it ("Find by value: …", "upload.csv").
    source = models.CharField(max_length=500)
    operation = models.CharField(max_length=16, choices=Operation.choices)
    # One attribute for a change to a selection; empty for an upload (one per column).
    attribute_set = models.CharField(max_length=64, blank=True)
    attribute = models.CharField(max_length=64, blank=True)
    value = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    verify = models.BooleanField(default=True)
    verified = models.IntegerField(null=True, blank=True)
    retry_of = models.UUIDField(null=True, blank=True)

    pause_requested = models.BooleanField(default=False)
    cancel_requested = models.BooleanField(default=False)
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The task queued to take over if the worker running the job dies (attributes.tasks).
    guard = models.CharField(max_length=64, blank=True)
    # What the run last said about itself ("Paused: sign in to continue", a Graph error).
    message = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["tenant_id", "-created_at"], name="bulk_job_recent"),
            models.Index(fields=["created_by_object_id", "-created_at"], name="bulk_job_mine"),
        ]

    def __str__(self) -> str:
        return f"Bulk job {self.id} ({self.get_state_display()})"

    @property
    def is_finished(self) -> bool:
        return self.state in {JobState.CANCELLED, JobState.COMPLETED}


class BulkItem(models.Model):
    """One object and one attribute of a bulk job: what the dry run found, then what
    happened. Its audit record (`audit_seq`) is written once, before the first send."""

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="items")
    line = models.IntegerField()  # the row in the preview, or the line in the uploaded file
    target_type = models.CharField(max_length=32, choices=TargetType.choices)
    target_id = models.CharField(max_length=64)
    target_name = models.CharField(max_length=512, blank=True)
    target_kind = models.CharField(max_length=32, blank=True)
    attribute_set = models.CharField(max_length=64)
    attribute = models.CharField(max_length=64)
    operation = models.CharField(max_length=16, choices=Operation.choices)
    # What the operation was given: the value to set, or the values to add or remove.
    given = models.JSONField(null=True, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    state = models.CharField(max_length=16, choices=ItemState.choices)
    # Why it was refused or failed: a short code to count by, and the full message.
    problem = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)
    attempts = models.IntegerField(default=0)
    retry_at = models.DateTimeField(null=True, blank=True)
    audit_seq = models.BigIntegerField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    verified = models.BooleanField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["job", "state", "line"], name="bulk_item_state"),
            models.Index(fields=["job", "line"], name="bulk_item_line"),
            models.Index(fields=["job", "finished_at"], name="bulk_item_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.target_name or self.target_id} {self.attribute_set}/{self.attribute}"
