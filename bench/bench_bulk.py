"""Bulk jobs against their baselines and limits, all measured in this one run.

    .venv/bin/python bench/bench_bulk.py [--seed large:20000] [--quick]

Starts its own emulator (a `large:` tenant) and a throwaway SQLite database, signs in as
ada.admin through the real MSAL flow, and runs each job the way a worker does
(attributes.bulk.engine.run_slice, slice after slice) in this process:

1. Speed: Graph 50 ms away and no write quota. 1,000 assignments through a job, against
   a naive loop that PATCHes one object after another (the PowerShell way), timed here
   too. Goal: the job takes at most 1/20 of the loop's time.
2. Near the quota: the quota scaled down to 300 writes per 15 s (Graph's 20 a second,
   with a 300-write burst). 3,000 assignments; the rate they are written at once the
   burst is spent, against the quota's 20 a second (goal: at least 90%), the writes
   Graph throttled, and lost and duplicated writes counted in the emulator's write log.
3. Faults: 10% of requests answered 429 and 5% answered 5xx at random, no quota; 10,000
   assignments. The final state is read back from Graph and each item's audit outcomes
   are counted (goal: every object holds the value, one outcome per item).
4. Memory: tracemalloc's peak and the RSS high-water mark while a job of 1,000 and one of
   10,000 items run (goal: flat, a ratio near 1).

It prints tables; it asserts nothing. `--quick` divides every size by ten.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.portal_client import (  # noqa: E402
    configure_django,
    reset_peak_rss,
    rss_kb,
    signed_in_client,
)
from emulator.harness import EmulatorProcess  # noqa: E402

SET_TYPE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"


class Bench:
    def __init__(self, emulator: EmulatorProcess, scale: int) -> None:
        from attributes.audit import Actor
        from attributes.directory import list_definitions
        from emulator.tenant import demo
        from portal.graph import GraphClient
        from portal.http import http_session

        self.emulator, self.scale = emulator, scale
        token = emulator.password_token("ada.admin@contoso.example")
        self.graph = GraphClient(
            session=http_session(),
            token_provider=lambda force_refresh=False: token,
            base_url=emulator.graph_root,
        )
        self.actor = Actor(demo.TENANT_ID, demo.ADA.object_id, demo.ADA.user_principal_name)
        self.date = next(
            d for d in list_definitions(self.graph) if d.id == "Engineering_ProjectDate"
        )
        self.users = self._users()
        self.day = 0

    def _users(self) -> list[Any]:
        from attributes import export
        from attributes.objects import TAB_BY_KEY

        scope = export.Scope(tabs=(TAB_BY_KEY["users"],), columns=())
        found = []
        for user in export.exported_objects(self.graph, scope):
            found.append(user)
            if len(found) >= 10_000 // self.scale:
                break
        return found

    def job(self, count: int) -> Any:
        """A queued job setting a date no user holds yet on the first `count` users."""
        from attributes.bulk import jobs, plan
        from attributes.models import Operation

        self.day += 1
        value = f"2030-01-{self.day:02d}"
        change = plan.Change(self.date, Operation.SET, value)
        draft = plan.draft_for_selection(
            self.actor, self.users[:count], change, source="bench", reason="bench", why_not=""
        )
        jobs.apply(draft, verify=False)
        return draft, value

    @staticmethod
    def run(job: Any) -> float:
        from attributes.bulk import engine

        started = time.perf_counter()
        for _ in range(100_000):
            result = engine.run_slice(job.pk, "bench-worker", arm_guard=lambda job: None)
            if result.outcome not in {"continue", "later"}:
                break
        return time.perf_counter() - started

    def last_write(self) -> int:
        writes = self.emulator.writes()
        return writes[-1]["seq"] if writes else 0

    def no_quota(self, settings: Any) -> None:
        """Neither the emulator nor the portal's budget limits writes."""
        from portal.models import WriteBudget

        self.emulator.disable_write_quota()
        settings.PORTAL_WRITE_QUOTA = (10_000_000, 1.0)
        WriteBudget.objects.all().delete()

    def naive_loop(self, count: int) -> float:
        self.day += 1
        body = {"customSecurityAttributes": {"Engineering": {
            "@odata.type": SET_TYPE, "ProjectDate": f"2030-02-{self.day:02d}"}}}  # fmt: skip
        started = time.perf_counter()
        for user in self.users[:count]:
            self.graph.patch(f"/users/{user.id}", body)
        return time.perf_counter() - started


def speed(bench: Bench, settings: Any) -> dict[str, Any]:
    count = 1000 // bench.scale
    bench.no_quota(settings)
    bench.emulator.set_faults(latency_ms=50)
    naive = bench.naive_loop(count)
    job, _ = bench.job(count)
    seconds = bench.run(job)
    bench.emulator.set_faults()
    return {"count": count, "naive": naive, "job": seconds}


def near_quota(bench: Bench, settings: Any) -> dict[str, Any]:
    count = 3000 // bench.scale
    limit, window = 300 // bench.scale, 15.0 / bench.scale
    settings.PORTAL_WRITE_QUOTA = (limit, window)
    bench.emulator.set_write_quota(limit=limit, window_seconds=window)
    from portal.models import WriteBudget

    WriteBudget.objects.all().delete()  # a full bucket, as the emulator's is now
    job, _ = bench.job(count)
    since = bench.last_write()
    log_start = bench.emulator.requests_log()[-1]["seq"]
    seconds = bench.run(job)
    writes = bench.emulator.writes(since)
    times = sorted(datetime.fromisoformat(w["time"]) for w in writes)
    # The sustained rate: the writes after the first bucketful, over the time they took.
    burst = min(limit, len(times) - 1)
    steady = (times[-1] - times[burst]).total_seconds()
    rate = (len(times) - 1 - burst) / steady if steady else 0.0
    sent = Counter(w["target_id"] for w in writes if w["method"] == "PATCH")
    wanted = {u.id for u in bench.users[:count]}
    throttled = sum(1 for r in bench.emulator.requests_log(log_start) if r["status"] == 429)
    return {
        "count": count,
        "seconds": seconds,
        "rate": rate,
        "quota_rate": limit / window,
        "throttled": throttled,
        "lost": len(wanted - set(sent)),
        "duplicated": sum(n - 1 for n in sent.values() if n > 1),
        "limit": limit,
        "window": window,
    }


def faults(bench: Bench, settings: Any) -> dict[str, Any]:
    from attributes.models import AuditRecord, ItemState

    count = 10_000 // bench.scale
    bench.no_quota(settings)
    bench.emulator.set_faults(fault_rate_429=0.1, fault_rate_5xx=0.05, retry_after="1")
    job, value = bench.job(count)
    seconds = bench.run(job)
    bench.emulator.set_faults()
    job.refresh_from_db()
    wrong = _holding_other_than(bench, bench.users[:count], value)
    outcomes = Counter(
        AuditRecord.objects.filter(job_id=str(job.id)).values_list("target_id", flat=True)
    )
    return {
        "count": count,
        "seconds": seconds,
        "state": job.state,
        "applied": job.items.filter(state=ItemState.APPLIED).count(),
        "wrong": wrong,
        "items_with_one_outcome": sum(1 for n in outcomes.values() if n == 1),
        "items_with_more": sum(1 for n in outcomes.values() if n > 1),
        "pending": AuditRecord.objects.filter(job_id=str(job.id), outcome="pending").count(),
    }


def _holding_other_than(bench: Bench, targets: list[Any], value: str) -> int:
    from attributes.objects import read_objects

    wrong = 0
    for start in range(0, len(targets), 400):
        chunk = targets[start : start + 400]
        found = read_objects(bench.graph, [("users", t.id) for t in chunk])
        wrong += sum(1 for t in chunk if found[t.id].value("Engineering", "ProjectDate") != value)
    return wrong


def memory(bench: Bench, settings: Any) -> list[dict[str, Any]]:
    bench.no_quota(settings)
    results = []
    for count in (1000 // bench.scale, 10_000 // bench.scale):
        job, _ = bench.job(count)
        gc.collect()
        start_rss = rss_kb()
        reset_peak_rss()
        tracemalloc.start()
        seconds = bench.run(job)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results.append(
            {
                "count": count,
                "seconds": seconds,
                "traced": peak / 2**20,
                "rss": (rss_kb("VmHWM") - start_rss) / 1024,
            }
        )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", default="large:20000")
    parser.add_argument("--quick", action="store_true", help="every size divided by ten")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        print(f"Starting the emulator with {args.seed} …", flush=True)
        emulator = EmulatorProcess(seed=args.seed, ca_dir=workdir / "ca").start(timeout=300)
        try:
            configure_django(emulator, workdir)
            from django.conf import settings

            settings.PORTAL_JOB_SLICE_SECONDS = 3600
            signed_in_client(emulator)  # the session whose token cache the jobs use
            bench = Bench(emulator, scale)
            print("1/4 speed …", flush=True)
            fast = speed(bench, settings)
            print("2/4 near the quota …", flush=True)
            quota = near_quota(bench, settings)
            print("3/4 faults …", flush=True)
            faulty = faults(bench, settings)
            print("4/4 memory …", flush=True)
            mem = memory(bench, settings)
        finally:
            emulator.stop()
    _report(fast, quota, faulty, mem)


def _report(
    fast: dict[str, Any], quota: dict[str, Any], faulty: dict[str, Any], mem: list[dict[str, Any]]
) -> None:
    print(f"\n1. Speed: {fast['count']:,} assignments, Graph 50 ms away, no quota")
    print(f"   {'':<36} {'s':>8} {'assignments/s':>14}")
    print(
        f"   {'naive loop, one PATCH per object':<36} {fast['naive']:>8.1f} {fast['count'] / fast['naive']:>14.1f}"
    )
    print(f"   {'the bulk job':<36} {fast['job']:>8.1f} {fast['count'] / fast['job']:>14.1f}")
    ratio = fast["job"] / fast["naive"]
    print(f"   job / loop = {ratio:.3f} = 1/{1 / ratio:.0f}   (goal: at most 1/20 = 0.050)")

    print(
        f"\n2. Near the quota: {quota['count']:,} assignments, quota {quota['limit']} writes per {quota['window']:.0f} s"
    )
    print(
        f"   sustained rate after the burst {quota['rate']:.1f} writes/s against the quota's "
        f"{quota['quota_rate']:.1f}: {quota['rate'] / quota['quota_rate']:.0%}   (goal: at least 90%)"
    )
    print(
        f"   {quota['seconds']:.0f} s in all; writes Graph throttled: {quota['throttled']} "
        f"(each retried after its Retry-After); lost: {quota['lost']}, duplicated: {quota['duplicated']}"
        "   (goal: 0 and 0)"
    )

    print(f"\n3. Faults: {faulty['count']:,} assignments, 10% 429 and 5% 5xx at random")
    print(
        f"   {faulty['seconds']:.0f} s; job {faulty['state']}; applied {faulty['applied']:,}; "
        f"objects not holding the value afterwards: {faulty['wrong']} (goal: 0)"
    )
    print(
        f"   audit: {faulty['items_with_one_outcome']:,} items with exactly one record, "
        f"{faulty['items_with_more']} with more, {faulty['pending']} left pending "
        f"(goal: {faulty['count']:,}, 0, 0)"
    )

    small, large = mem
    print("\n4. Memory while a job runs (this process: engine, ORM, Graph client)")
    print(f"   {'items':>7} {'s':>7} {'tracemalloc peak MiB':>21} {'RSS growth MiB':>15}")
    for row in mem:
        print(
            f"   {row['count']:>7,} {row['seconds']:>7.1f} {row['traced']:>21.1f} {row['rss']:>15.1f}"
        )
    print(
        f"   {large['count'] // small['count']}x the items: {large['traced'] / small['traced']:.2f}x the "
        "traced peak   (goal: flat, near 1.00x)"
    )


if __name__ == "__main__":
    main()
