"""audit_reconcile settling one record whose actor has 20 dead sessions, Graph at 3 s latency.

    .venv/bin/python bench/bench_reconcile.py [--dead 20] [--latency-ms 3000]

Starts its own emulator and a throwaway SQLite database, signs ada.admin in `--dead`
times through the real MSAL flow, revokes her tokens (every one of those sessions is now
dead), and times `reconcile_pending` on one pending record: once with no live session
left, once after one more sign-in. The calls are counted in the emulator's request log.

The old algorithm decoded every session and tried each of the actor's, in table order
(oldest first): a Graph call and a refused refresh per dead session before the live one.
It is gone, so its cost is printed as it was measured then: Graph calls x latency (the
emulator adds latency to Graph requests only). It prints a table; it asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.portal_client import configure_django, signed_in_client  # noqa: E402
from emulator.harness import EmulatorProcess  # noqa: E402
from emulator.tenant import demo  # noqa: E402

ADA = next(a for a in demo.DEMO_ACCOUNTS if a.user_principal_name.startswith("ada"))


def pending_record() -> None:
    from attributes.audit import Actor, Target, append
    from attributes.models import Action, TargetType

    append(
        actor=Actor(demo.TENANT_ID, ADA.object_id, ADA.user_principal_name),
        action=Action.SET_UPDATED,
        target=Target(TargetType.ATTRIBUTE_SET, "Engineering", "Engineering"),
        attribute_set="Engineering",
        attribute="",
        before=None,
        after={"description": "Never applied"},
        reason="",
        job_id="",
    )


def settle_one(emulator: EmulatorProcess) -> dict[str, Any]:
    from datetime import timedelta

    from attributes.reconcile import reconcile_pending

    pending_record()
    since = emulator.requests_log()[-1]["seq"]
    started = time.perf_counter()
    tally = reconcile_pending(older_than=timedelta(0), budget=timedelta(minutes=5))
    seconds = time.perf_counter() - started
    calls = emulator.requests_log(since)
    return {
        "seconds": seconds,
        "graph": sum(c["kind"] == "graph" for c in calls),
        "token": sum(c["kind"] == "token" for c in calls),
        "outcome": next(outcome for outcome, count in tally.items() if count),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dead", type=int, default=20)
    parser.add_argument("--latency-ms", type=int, default=3000)
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        emulator = EmulatorProcess(seed="demo", ca_dir=workdir / "ca").start()
        try:
            configure_django(emulator, workdir)
            for _ in range(args.dead):
                signed_in_client(emulator)
            emulator.revoke_tokens(ADA.user_principal_name)
            emulator.set_faults(latency_ms=args.latency_ms)
            # Before: a Graph call per dead session (and nothing found).
            rows.append((f"{args.dead} dead", args.dead, settle_one(emulator)))
            emulator.set_faults(latency_ms=0)
            signed_in_client(emulator)
            emulator.set_faults(latency_ms=args.latency_ms)
            # Before: every dead session first, then the live one.
            rows.append((f"{args.dead} dead + 1 live", args.dead + 1, settle_one(emulator)))
        finally:
            emulator.stop()
    print(f"\nSettling one pending record, Graph at {args.latency_ms} ms latency")
    print(
        f"{'actor sessions':<18} {'before: Graph calls':>19} {'x latency s':>11}   "
        f"{'now: Graph calls':>16} {'token calls':>11} {'s':>5}  outcome"
    )
    for label, old_graph_calls, now in rows:
        print(
            f"{label:<18} {old_graph_calls:>19} {old_graph_calls * latency:>11.0f}   "
            f"{now['graph']:>16} {now['token']:>11} {now['seconds']:>5.1f}  {now['outcome']}"
        )


if __name__ == "__main__":
    main()
