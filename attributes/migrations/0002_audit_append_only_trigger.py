"""On PostgreSQL, the database itself refuses to change or delete audit records.

The one allowed UPDATE is the outcome transition the portal makes after a Graph
call: a pending record gets its outcome fields once, and nothing else changes.
A trigram index makes free-text search over reasons fast on large logs.
"""

from __future__ import annotations

from django.db import migrations, transaction

IMMUTABLE = [
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
    "entry_hash",
]

FUNCTION = f"""
CREATE OR REPLACE FUNCTION attributes_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit record % cannot be deleted: the audit log is append-only', OLD.seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.outcome = 'pending' AND NEW.outcome <> 'pending'
       AND ({", ".join(f"NEW.{c}" for c in IMMUTABLE)})
           IS NOT DISTINCT FROM ({", ".join(f"OLD.{c}" for c in IMMUTABLE)}) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit record % cannot be changed: the audit log is append-only', OLD.seq
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;
"""

TRIGGER = """
CREATE TRIGGER attributes_audit_append_only
BEFORE UPDATE OR DELETE ON attributes_auditrecord
FOR EACH ROW EXECUTE FUNCTION attributes_audit_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS attributes_audit_append_only ON attributes_auditrecord;
DROP FUNCTION IF EXISTS attributes_audit_append_only();
DROP INDEX IF EXISTS audit_reason_trgm;
"""


def forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    schema_editor.execute(TRIGGER)
    try:
        # pg_trgm is a trusted extension, but a role without CREATE on the database
        # cannot install it; the search then works, only without the index.
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(
                "CREATE INDEX audit_reason_trgm ON attributes_auditrecord "
                "USING gin (reason gin_trgm_ops)"
            )
    except Exception as exc:
        print(f"\n  Skipped the trigram index on audit reasons: {exc}")


def backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("attributes", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
