"""Database helpers the ORM has no good form for."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections, models, router


def update_each(
    instances: Sequence[models.Model],
    names: Sequence[str],
    *,
    only_where: Mapping[str, Any] | None = None,
) -> int:
    """Writes the fields `names` of each instance, by primary key, with one statement run
    for all of them (executemany), and says how many rows changed. `only_where` adds
    conditions each row must meet. For many rows at once: the ORM's one UPDATE each, or
    bulk_update's CASE over every field, cost more to build than to run."""
    if not instances:
        return 0
    model = type(instances[0])
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    fields = [_field(model, name) for name in names]
    conditions = [(_field(model, name), value) for name, value in (only_where or {}).items()]
    key = model._meta.pk
    assert key is not None
    assignments = ", ".join(f"{quote(f.column or f.name)} = %s" for f in fields)
    where = " AND ".join(
        f"{quote(f.column or f.name)} = %s" for f in [key, *(f for f, _ in conditions)]
    )
    # Names come from the model; every value is a parameter.
    statement = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {where}"  # noqa: S608
    rows = [
        [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields]
        + [instance.pk]
        + [f.get_db_prep_save(value, connection) for f, value in conditions]
        for instance in instances
    ]
    with connection.cursor() as cursor:
        cursor.executemany(statement, rows)
        return max(int(cursor.rowcount), 0)


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field
