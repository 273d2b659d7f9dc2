"""Outcomes are sealed with a keyed MAC (PORTAL_AUDIT_KEY) instead of a plain hash.

Records settled before this migration carry the old unkeyed seal. Each one whose old seal
still verifies is sealed again with the current key; one that does not verify keeps its
old seal, so `audit_verify` reports it as changed instead of the migration blessing it.
Both formulas are written out here, so this migration never changes with the app's code.
On PostgreSQL the append-only trigger is suspended for the re-sealing only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

from django.conf import settings
from django.db import migrations, models

OUTCOME_FIELDS = ("outcome", "completed_at", "graph_request_id", "error_code", "error_message")


def _canonical(row: dict[str, object]) -> str:
    values = {
        name: (
            row[name].astimezone(UTC).isoformat(timespec="microseconds")
            if isinstance(row[name], datetime)
            else row[name]
        )
        for name in OUTCOME_FIELDS
    }
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def forwards(apps, schema_editor) -> None:
    record = apps.get_model("attributes", "AuditRecord")
    key = settings.PORTAL_AUDIT_KEY
    key_id = hashlib.sha256(b"attribute-portal audit key\0" + key.encode()).hexdigest()[:16]
    postgres = schema_editor.connection.vendor == "postgresql"
    table = record._meta.db_table
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER attributes_audit_append_only")
    settled = record.objects.exclude(outcome="pending").filter(outcome_key="")
    for row in settled.values("seq", "entry_hash", "outcome_hash", *OUTCOME_FIELDS).iterator():
        message = row["entry_hash"] + _canonical(row)
        if hashlib.sha256(message.encode()).hexdigest() != row["outcome_hash"]:
            continue
        seal = hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()
        record.objects.filter(seq=row["seq"]).update(outcome_hash=seal, outcome_key=key_id)
    if postgres:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER attributes_audit_append_only")


class Migration(migrations.Migration):
    dependencies = [("attributes", "0004_audit_target_statistics")]
    operations = [
        migrations.AddField(
            model_name="auditrecord",
            name="outcome_key",
            field=models.CharField(blank=True, max_length=16),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
