"""Indexes for reviewing the audit log: one per filter, each ending in (created_at, seq).

The review screens list records newest first by (created_at, seq) and page with a
keyset on that pair, so for every filter there is an index whose leading column(s)
match the filter and whose trailing columns give the order: a first page is a single
ordered index range scan that stops after 51 entries, whatever the log's size, and
a time range is a range on the same index. Names (UPN, target name, set, attribute)
are compared case-insensitively, so those indexes are on UPPER(column), matching the
SQL Django writes for `iexact`. On PostgreSQL, free text over reasons uses a trigram
index on UPPER(reason), which is what `icontains` compares; it replaces 0002's
trigram index on the bare column, which `icontains` never used.
Figures: bench/bench_audit.py.
"""

from __future__ import annotations

import django.db.models.functions.text
from django.db import migrations, models, transaction

OLD_TRIGRAM = (
    "CREATE INDEX IF NOT EXISTS audit_reason_trgm ON attributes_auditrecord "
    "USING gin (reason gin_trgm_ops)"
)
NEW_TRIGRAM = (
    "CREATE INDEX IF NOT EXISTS audit_reason_upper_trgm ON attributes_auditrecord "
    "USING gin (upper(reason) gin_trgm_ops)"
)


def _trigram(schema_editor, create: str, drop: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {drop}")
    try:
        # As in 0002: without pg_trgm (a role that may not install it) search still
        # works, only without the index.
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(create)
    except Exception as exc:
        print(f"\n  Skipped the trigram index on audit reasons: {exc}")


def forwards(apps, schema_editor) -> None:
    _trigram(schema_editor, NEW_TRIGRAM, "audit_reason_trgm")


def backwards(apps, schema_editor) -> None:
    _trigram(schema_editor, OLD_TRIGRAM, "audit_reason_upper_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("attributes", "0002_audit_append_only_trigger"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="auditrecord",
            name="audit_target",
        ),
        migrations.RemoveIndex(
            model_name="auditrecord",
            name="audit_actor",
        ),
        migrations.RemoveIndex(
            model_name="auditrecord",
            name="audit_set_attr",
        ),
        migrations.RemoveIndex(
            model_name="auditrecord",
            name="audit_action",
        ),
        migrations.RemoveIndex(
            model_name="auditrecord",
            name="audit_outcome",
        ),
        migrations.RemoveIndex(
            model_name="auditrecord",
            name="audit_time",
        ),
        migrations.RemoveIndex(
            model_name="auditrecord",
            name="audit_job",
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(fields=["created_at", "seq"], name="audit_time"),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(fields=["actor_object_id", "created_at", "seq"], name="audit_actor"),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(
                django.db.models.functions.text.Upper("actor_upn"),
                models.F("created_at"),
                models.F("seq"),
                name="audit_actor_upn",
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(fields=["target_id", "created_at", "seq"], name="audit_target"),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(
                django.db.models.functions.text.Upper("target_name"),
                models.F("created_at"),
                models.F("seq"),
                name="audit_target_name",
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(
                django.db.models.functions.text.Upper("attribute_set"),
                models.F("created_at"),
                models.F("seq"),
                name="audit_set",
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(
                django.db.models.functions.text.Upper("attribute_set"),
                django.db.models.functions.text.Upper("attribute"),
                models.F("created_at"),
                models.F("seq"),
                name="audit_set_attr",
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(
                django.db.models.functions.text.Upper("attribute"),
                models.F("created_at"),
                models.F("seq"),
                name="audit_attr",
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(
                django.db.models.functions.text.Upper("attribute_set"),
                models.F("created_at"),
                models.F("seq"),
                condition=models.Q(("target_type__in", ["attributeSet", "definition"])),
                name="audit_schema_set",
            ),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(fields=["action", "created_at", "seq"], name="audit_action"),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(fields=["outcome", "created_at", "seq"], name="audit_outcome"),
        ),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(fields=["job_id", "created_at", "seq"], name="audit_job"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
