"""The audit log at scale: first pages per filter, exports, and the chain, on PostgreSQL.

    .venv/bin/python bench/bench_audit.py [--records 1000000] [--runs 7]

Drops and creates the database portal_bench on the local PostgreSQL
(postgres://postgres@127.0.0.1:5432, trust auth; BENCH_POSTGRES_URL overrides),
migrates it, and seeds N records with the hash chain computed in Python and written
with COPY. The hashes and seals are attributes.audit's own (compute_entry_hash and
seal_outcome); `verify_chain` checks all of them at the end. Then it times,
through Django's test client (middleware, session, view, SQL and template):

  * the first page of the list for each filter, as a log reader and as a lead scoped
    to one set, with the SQL it ran, and EXPLAIN (ANALYZE) of the slowest;
  * the CSV and JSON exports of every record: rows per second, and memory (RSS sampled
    while streaming, and tracemalloc's peak at 10 %, 50 % and 100 % of the rows).

It prints tables; it asserts nothing. Goal (issue 5): every filtered first page under
100 ms of server time, exports at 20,000 rows/s or more with flat memory.

Index plan (migration 0003). Pages are newest first by (created_at, seq), with a
keyset cursor, so every filter has a b-tree whose leading column is the filter and
whose trailing columns are (created_at, seq): the page is one backward index range
scan that stops after 51 entries however many records match, and a time range is a
range on those same trailing columns. Names (UPN, target name, set, attribute) are
matched case-insensitively on UPPER(column) indexes, which is the SQL `iexact` emits.
"Target" (id or name) is a BitmapOr of two indexes and a top-N sort of that object's
records. Free text over reasons uses a trigram GIN index on UPPER(reason) (what
`icontains` compares); for frequent words the planner walks the time index instead.
A set's timeline reads a small partial index of schema records (sets, definitions);
a definition's walks audit_target, which the planner picks once migration 0004's
dependency statistics tell it that a target id determines the target type.
Exports walk the time index oldest first in keyset chunks of 2,000 rows.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import statistics
import sys
import time
import tracemalloc
import warnings
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.portal_client import rss_kb  # noqa: E402

SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
DATABASE = "portal_bench"
END = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=365)
TENANT = "3f1e5a2c-8d47-4b6e-9a10-5c2d7e8f9a01"
SETS = [
    "Engineering",
    "Marketing",
    "Security",
    "Finance",
    "Sales",
    "Legal",
    "Research",
    "Operations",
    "Support",
    "Partners",
    "Compliance",
    "Projects",
]
ATTRIBUTES = ["Project", "CostCenter", "Level", "Clearance", "Region", "Team", "Manager", "Tier"]
WORDS = ["Alpine", "Baltic", "Caspian", "Danube", "Elbe", "Fjord", "Gobi", "Hudson", "Indus"]
REASONS = [
    "Quarterly access review",
    "Onboarding",
    "Offboarding",
    "HR sync correction",
    "Team reorganisation",
    "Requested by the project owner",
    "Audit finding follow-up",
    "Contractor extension",
]


# Database -----------------------------------------------------------------------------


def recreate_database() -> str:
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {DATABASE}")
    return f"{SERVER}/{DATABASE}"


def configure_django(url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-that-is-long-enough-to-pass",
            "PORTAL_AUDIT_KEY": "bench-only-audit-key-that-is-long-enough-to-pass",
            "ALLOWED_HOSTS": "testserver,localhost",
            "SECURE_COOKIES": "false",
            "DATABASE_URL": url,
            "DATABASE_CONN_MAX_AGE": "600",
            "PORTAL_CLIENT_ID": "00000000-0000-0000-0000-000000000000",
            "PORTAL_CLIENT_SECRET": "bench-does-not-call-graph",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django
    from django.core.management import call_command
    from django.test.utils import override_settings

    # whitenoise looks for STATIC_ROOT, which only collectstatic creates.
    warnings.filterwarnings("ignore", message="No directory at")
    django.setup()
    # Templates use {% static %}; the manifest only exists after collectstatic.
    override_settings(
        STORAGES={
            "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    ).enable()
    call_command("migrate", verbosity=0)


# Seeding ------------------------------------------------------------------------------


class Fields:
    """Just the attributes the hash functions read: much cheaper than model instances."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class World:
    """A tenant's worth of people, objects and habits, drawn from one seed."""

    def __init__(self, rng: random.Random, records: int) -> None:
        self.rng = rng
        self.actors = [
            (f"{rng.getrandbits(128):032x}", f"admin{n:02d}@contoso.example", f"Admin {n:02d}")
            for n in range(40)
        ]
        self.actor_weights = [40 if n < 4 else 3 for n in range(40)]
        users = max(1000, records // 20)
        self.users = [(_guid(rng), f"User {n:05d}") for n in range(users)]
        self.principals = [(_guid(rng), f"App {n:04d}") for n in range(max(100, users // 25))]
        self.job: tuple[str, int, str] | None = None  # id, remaining, reason


def _guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def generate(world: World, count: int) -> Iterator[dict[str, Any]]:
    """Records oldest first, one every ~30 s over a year, a few out of order by
    milliseconds (concurrent appends), some in bulk jobs of hundreds to thousands."""
    rng = world.rng
    step = SPAN / count
    at = END - SPAN
    for _ in range(count):
        at += step * rng.uniform(0.2, 1.8)
        created = at - timedelta(milliseconds=rng.randint(1, 40)) if rng.random() < 0.01 else at
        actor_id, upn, name = rng.choices(world.actors, world.actor_weights)[0]
        attribute_set = SETS[min(int(rng.expovariate(0.35)), len(SETS) - 1)]
        attribute = rng.choice(ATTRIBUTES)
        roll = rng.random()
        job = ""
        if roll < 0.02:
            action = rng.choice(["set_updated", "set_created"])
            target = ("attributeSet", attribute_set, attribute_set)
            attribute = ""
            before, after = {"description": "old text"}, {"description": f"{attribute_set} data"}
        elif roll < 0.07:
            action = rng.choice(
                [
                    "definition_created",
                    "definition_updated",
                    "definition_deactivated",
                    "definition_reactivated",
                    "value_added",
                    "value_deactivated",
                    "help_text_changed",
                ]
            )
            target = ("definition", f"{attribute_set}_{attribute}", attribute)
            before, after = {"isActive": True}, {"isActive": action != "definition_deactivated"}
        else:
            action = rng.choice(["assignment_set", "assignment_changed", "assignment_removed"])
            if rng.random() < 0.9:
                # A tenth of the changes go to a thousand busy people (~100 records each).
                busy = rng.random() < 0.1
                pick = rng.randrange(1000) if busy else rng.randrange(len(world.users))
                object_id, display = world.users[pick]
                target = ("user", object_id, display)
            else:
                object_id, display = rng.choice(world.principals)
                target = ("servicePrincipal", object_id, display)
            before = None if action == "assignment_set" else {"value": rng.choice(WORDS)}
            after = None if action == "assignment_removed" else {"value": rng.choice(WORDS)}
            if world.job is None and rng.random() < 0.0005:
                world.job = (_guid(rng), rng.randint(200, 5000), rng.choice(REASONS))
            if world.job is not None:
                job_id, remaining, job_reason = world.job
                job = job_id
                world.job = (job_id, remaining - 1, job_reason) if remaining > 1 else None
        outcome_roll = rng.random()
        outcome = (
            "succeeded"
            if outcome_roll < 0.96
            else "failed"
            if outcome_roll < 0.99
            else "unknown"
            if outcome_roll < 0.998
            else "pending"
        )
        if job:
            reason = world.job[2] if world.job else "Bulk change"
        elif rng.random() < 0.2:
            reason = ""
        elif rng.random() < 0.5:
            reason = f"{rng.choice(REASONS)} (CHG-{rng.randrange(1_000_000):06d})"
        else:
            reason = rng.choice(REASONS)
        yield {
            "created_at": created,
            "completed_at": None
            if outcome == "pending"
            else created + timedelta(milliseconds=rng.randint(80, 900)),
            "actor_tenant_id": TENANT,
            "actor_object_id": actor_id,
            "actor_upn": upn,
            "actor_name": name,
            "actor_ip": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            "action": action,
            "target_type": target[0],
            "target_id": target[1],
            "target_name": target[2],
            "attribute_set": attribute_set,
            "attribute": attribute,
            "before": before,
            "after": after,
            "reason": reason,
            "outcome": outcome,
            "graph_request_id": _guid(rng) if outcome != "pending" else "",
            "error_code": "Request_BadRequest" if outcome == "failed" else "",
            "error_message": "The value is not allowed." if outcome == "failed" else "",
            "job_id": job,
            "correlation_id": f"{rng.getrandbits(64):016x}",
        }


def seed(count: int) -> dict[str, Any]:
    """Chains and COPYs `count` records; returns timings and what filters should pick."""
    from django.db import connection

    from attributes.audit import GENESIS_HASH, compute_entry_hash, seal_outcome
    from attributes.audit_review.export import EXPORT_FIELDS
    from attributes.models import AuditChainHead

    rng = random.Random(20260301)
    world = World(rng, count)
    counts: dict[str, Counter[str]] = {k: Counter() for k in ("actor", "target", "user", "job")}
    columns = ", ".join(EXPORT_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'attributes_auditrecord' "
            "AND indexname NOT LIKE '%pkey' AND indexdef NOT LIKE 'CREATE UNIQUE%'"
        )
        indexes = cursor.fetchall()
    started = time.perf_counter()
    # Loading without the secondary indexes and building them afterwards is how a large
    # import is done; the index build time is reported separately.
    with connection.cursor() as cursor:
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    prev, seq, hashing = GENESIS_HASH, 0, 0.0
    raw = connection.connection  # psycopg's connection, for COPY
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY attributes_auditrecord ({columns}) FROM STDIN") as copy,
    ):
        for values in generate(world, count):
            seq += 1
            tick = time.perf_counter()
            values["seq"], values["prev_hash"] = seq, prev
            fields = Fields(values)
            fields.entry_hash = compute_entry_hash(fields)  # type: ignore[attr-defined]
            fields.outcome_hash = fields.outcome_key = ""  # type: ignore[attr-defined]
            if values["outcome"] != "pending":
                seal_outcome(fields)  # type: ignore[arg-type]
            hashing += time.perf_counter() - tick
            prev = fields.entry_hash  # type: ignore[attr-defined]
            row = fields.__dict__
            copy.write_row(
                [
                    json.dumps(row[f])
                    if f in ("before", "after") and row[f] is not None
                    else row[f]
                    for f in EXPORT_FIELDS
                ]
            )
            counts["actor"][values["actor_upn"]] += 1
            counts["target"][values["target_id"]] += 1
            if values["target_type"] == "user":
                counts["user"][values["target_id"]] += 1
            if values["job_id"]:
                counts["job"][values["job_id"]] += 1
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": seq, "entry_hash": prev})
    loaded = time.perf_counter() - started
    tick = time.perf_counter()
    with connection.cursor() as cursor:
        for _, definition in indexes:
            cursor.execute(definition)
    indexed = time.perf_counter() - tick
    tick = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) attributes_auditrecord")
    vacuumed = time.perf_counter() - tick
    return {
        "records": seq,
        "load": loaded,
        "hashing": hashing,
        "indexes": indexed,
        "index_count": len(indexes),
        "vacuum": vacuumed,
        "counts": counts,
    }


# Pages --------------------------------------------------------------------------------


def client_for(grants: tuple[tuple[str, str], ...], name: str) -> Any:
    from django.test import Client

    from attributes.capabilities import Capabilities, RoleGrant
    from portal.models import User

    user, _ = User.objects.get_or_create(
        tenant_id=TENANT,
        object_id=f"00000000-0000-4000-8000-{abs(hash(name)) % 10**12:012d}",
        defaults={"user_principal_name": f"{name}@contoso.example", "display_name": name},
    )
    client = Client()
    client.force_login(user)
    session = client.session
    session["capabilities"] = Capabilities(
        grants=tuple(RoleGrant(r, s) for r, s in grants)
    ).to_session()
    session.save()
    return client


def measure(client: Any, path: str, params: dict[str, str], runs: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(path, params)  # warm: plan cache, session, templates
    assert response.status_code == 200, (path, params, response.status_code)
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path, params)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    page = [q for q in queries.captured_queries if "LIMIT 51" in q["sql"]]
    return {
        "median": statistics.median(timings),
        "max": max(timings),
        "rows": len(re.findall(rb'data-testid="(?:audit|timeline)-row"', response.content)),
        "queries": len(queries.captured_queries),
        "sql_ms": sum(float(q["time"]) * 1000 for q in queries.captured_queries),
        "sql": page[0]["sql"] if page else "",
    }


def filter_cases(info: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    from attributes.models import AuditRecord

    counts = info["counts"]
    busy_actor = counts["actor"].most_common(1)[0][0]
    quiet_actor = counts["actor"].most_common()[-1][0]
    busy_target = counts["target"].most_common(1)[0][0]
    busy_user = counts["user"].most_common(1)[0][0]
    job = counts["job"].most_common(1)[0][0] if counts["job"] else "none"
    users = AuditRecord.objects.filter(target_type="user").order_by("seq")
    user = users.values("target_id", "target_name")[info["records"] // 2]
    tickets = AuditRecord.objects.filter(reason__contains="CHG-").order_by("seq")
    ticket = tickets[info["records"] // 10].reason.split("(")[-1].rstrip(")")
    actor_id = AuditRecord.objects.filter(actor_upn=busy_actor).values_list(
        "actor_object_id", flat=True
    )[0]
    mid = END - SPAN / 2
    week = {
        "since": mid.strftime("%Y-%m-%d"),
        "until": (mid + timedelta(days=6)).strftime("%Y-%m-%d"),
    }
    return [
        ("none", "/audit/", {}),
        ("actor (UPN, busy)", "/audit/", {"actor": busy_actor}),
        ("actor (UPN, quiet)", "/audit/", {"actor": quiet_actor.upper()}),
        ("actor (object id)", "/audit/", {"actor": actor_id}),
        ("target (id, busiest)", "/audit/", {"target": busy_target}),
        ("target (user id)", "/audit/", {"target": user["target_id"]}),
        ("target (name)", "/audit/", {"target": user["target_name"].lower()}),
        ("set", "/audit/", {"set": "finance"}),
        ("set + attribute", "/audit/", {"set": "Compliance", "attribute": "Tier"}),
        ("attribute (Set_Name)", "/audit/", {"attribute": "Projects_Clearance"}),
        ("action (common)", "/audit/", {"action": "assignment_changed"}),
        ("action (rare)", "/audit/", {"action": "definition_deactivated"}),
        ("outcome (failed)", "/audit/", {"outcome": "failed"}),
        ("outcome (pending)", "/audit/", {"outcome": "pending"}),
        ("time range (a week)", "/audit/", week),
        (
            "time range (a minute)",
            "/audit/",
            {"since": f"{week['since']}T12:00", "until": f"{week['since']}T12:00"},
        ),
        (
            "since (last 30 days)",
            "/audit/",
            {"since": (END - timedelta(days=30)).strftime("%Y-%m-%d")},
        ),
        (
            "until (a year ago)",
            "/audit/",
            {"until": (END - SPAN + timedelta(days=7)).strftime("%Y-%m-%d")},
        ),
        ("job", "/audit/", {"job": job}),
        ("reason (ticket)", "/audit/", {"q": ticket}),
        ("reason (common word)", "/audit/", {"q": "onboarding"}),
        ("reason (no match)", "/audit/", {"q": "zebra crossing"}),
        (
            "combined",
            "/audit/",
            {"set": "Security", "action": "assignment_removed", "outcome": "failed", **week},
        ),
        ("combined + text", "/audit/", {"set": "Engineering", "q": "review", **week}),
        ("page 2 (before=)", "/audit/", {"outcome": "failed", "before": "__older__"}),
        ("timeline: user", f"/audit/object/user/{busy_user}", {}),
        ("timeline: set", "/audit/object/attributeSet/Engineering", {}),
        ("timeline: definition", "/audit/object/definition/Engineering_Project", {}),
    ]


def explain(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return [line for (line,) in cursor.fetchall()]


# Exports ------------------------------------------------------------------------------


def copy_baseline(fmt: str) -> float:
    """Seconds PostgreSQL's own COPY takes to stream the export's columns, in its order,
    to this process: the floor for an export that goes through Django."""
    from django.db import connection

    from attributes.audit_review.export import EXPORT_FIELDS
    from attributes.models import AuditRecord

    columns = ", ".join(
        connection.ops.quote_name(AuditRecord._meta.get_field(name).column)
        for name in EXPORT_FIELDS
    )
    query = f"SELECT {columns} FROM attributes_auditrecord ORDER BY created_at, seq"
    if fmt == "JSON":
        query = f"SELECT row_to_json(r)::text FROM ({query}) r"
    connection.ensure_connection()
    raw = connection.connection
    started = time.perf_counter()
    with raw.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
        for _chunk in copy:
            pass
    return time.perf_counter() - started


def export(client: Any, path: str, total: int, *, traced: bool) -> dict[str, Any]:
    gc.collect()
    response = client.get(path)
    rows = size = 0
    start_rss = peak_rss = rss_kb()
    milestones: dict[int, float] = {}
    marks = {max(1, total // 10): 10, max(1, total // 2): 50}
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
        if traced:
            for mark, percent in marks.items():
                if rows >= mark and percent not in milestones:
                    milestones[percent] = tracemalloc.get_traced_memory()[1] / 2**20
        elif rows % 20000 < 600:
            peak_rss = max(peak_rss, rss_kb())
    elapsed = time.perf_counter() - started
    if traced:
        milestones[100] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    response.close()
    return {
        "seconds": elapsed,
        "lines": rows,
        "mb": size / 2**20,
        "rss_start": start_rss / 1024,
        "rss_peak": max(peak_rss, rss_kb()) / 1024,
        "traced": milestones,
    }


# Main ---------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    url = recreate_database()
    configure_django(url)
    from django.db import connection

    from attributes.audit import verify_chain
    from attributes.capabilities import ASSIGNMENT_ADMINISTRATOR, LOG_READER

    print(f"Seeding {args.records:,} audit records into {DATABASE} …", flush=True)
    info = seed(args.records)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('attributes_auditrecord'))")
        (table_size,) = cursor.fetchone()

    print(f"\nSeeding {info['records']:,} records (PostgreSQL {connection.pg_version // 10000}):")
    print(
        f"  generate + chain + COPY  {info['load']:8.1f} s   (of which hashing {info['hashing']:.1f} s)"
    )
    print(f"  build {info['index_count']} indexes         {info['indexes']:8.1f} s")
    print(f"  VACUUM ANALYZE           {info['vacuum']:8.1f} s")
    print(
        f"  total                    {info['load'] + info['indexes'] + info['vacuum']:8.1f} s   table + indexes {table_size}"
    )

    auditor = client_for(((LOG_READER, "/"),), "bench.auditor")
    lead = client_for(((ASSIGNMENT_ADMINISTRATOR, "/attributeSets/Engineering"),), "bench.lead")
    cases = filter_cases(info)
    by_name = {name: params for name, _, params in cases}
    results = []
    for name, path, params in cases:
        if params.get("before") == "__older__":
            first = auditor.get(path, {k: v for k, v in params.items() if k != "before"})
            older = re.search(rb'data-testid="older" href="\?[^"]*before=(\d+)', first.content)
            params = {**params, "before": older.group(1).decode() if older else "1"}
        results.append(("log reader", name, params, measure(auditor, path, params, args.runs)))
    for name, path, params in [
        ("none", "/audit/", {}),
        ("attribute", "/audit/", {"attribute": "Project"}),
        ("reason (ticket)", "/audit/", by_name["reason (ticket)"]),
        (
            "combined",
            "/audit/",
            {"action": "assignment_set", "outcome": "failed", **by_name["time range (a week)"]},
        ),
    ]:
        results.append(("lead (Engineering)", name, params, measure(lead, path, params, args.runs)))

    print(f"\nFirst pages: server time through the test client, median of {args.runs} runs (ms)")
    print(
        f"{'who':<19} {'filter':<24} {'rows':>4} {'median':>7} {'max':>7} {'SQL ms':>7} {'queries':>7}"
    )
    for who, name, _, r in results:
        flag = "" if r["median"] < 100 else "  > 100 ms"
        print(
            f"{who:<19} {name:<24} {r['rows']:>4} {r['median']:>7.1f} {r['max']:>7.1f} "
            f"{r['sql_ms']:>7.1f} {r['queries']:>7}{flag}"
        )
    worst = max(results, key=lambda item: item[3]["median"])
    print("\nThe SQL of each page query (WHERE … ORDER BY … LIMIT 51):")
    for who, name, params, r in results:
        where = (
            r["sql"][r["sql"].find(" WHERE ") :]
            if " WHERE " in r["sql"]
            else r["sql"][r["sql"].find(" ORDER BY ") :]
        )
        print(f"  [{who} · {name}] {json.dumps(params)}\n     {where.strip()[:600]}")
    print(
        f"\nEXPLAIN (ANALYZE, BUFFERS) of the slowest, {worst[0]} · {worst[1]} ({worst[3]['median']:.1f} ms):"
    )
    for line in explain(worst[3]["sql"]):
        print(f"  {line}")

    total = info["records"]
    exports = []
    for label, path in (("CSV", "/audit/export.csv"), ("JSON", "/audit/export.json")):
        exports.append((label, export(auditor, path, total, traced=False)))
    traced = [
        (label, export(auditor, path, total, traced=True))
        for label, path in (("CSV", "/audit/export.csv"), ("JSON", "/audit/export.json"))
    ]
    floors = {label: copy_baseline(label) for label in ("CSV", "JSON")}
    print(f"\nExports of all {total:,} records, streamed through the test client, against")
    print("PostgreSQL's own COPY of the same columns in the same order (text, or row_to_json)")
    print(
        f"{'format':<6} {'seconds':>8} {'rows/s':>9} {'MB':>7} {'RSS start':>10} {'RSS peak':>9} "
        f"{'COPY s':>7} {'ratio':>6}   tracemalloc peak at 10 % / 50 % / 100 % (MB)"
    )
    for (label, r), (_, t) in zip(exports, traced, strict=True):
        marks = " / ".join(f"{t['traced'].get(p, 0):.1f}" for p in (10, 50, 100))
        print(
            f"{label:<6} {r['seconds']:>8.1f} {total / r['seconds']:>9,.0f} {r['mb']:>7.0f} "
            f"{r['rss_start']:>9.0f}M {r['rss_peak']:>8.0f}M {floors[label]:>7.1f} "
            f"{r['seconds'] / floors[label]:>5.1f}x   {marks}"
        )

    started = time.perf_counter()
    report = verify_chain()
    verified = time.perf_counter() - started
    print(
        f"\nverify_chain: {'ok' if report.ok else 'BROKEN at #' + str(report.broken_seq) + ': ' + report.problem}, "
        f"{report.checked:,} records in {verified:.1f} s ({report.checked / verified:,.0f} records/s)"
    )


if __name__ == "__main__":
    main()
