"""Round trips and server time of the attribute-set pages and edits, on the demo tenant
and at 500 active definitions.

    .venv/bin/python bench/bench_definitions.py [--runs 20]

Starts its own emulator and a throwaway SQLite database, signs in as ada.admin through
the real MSAL flow, and times the sets list and set pages with Django's test client
(server time here includes the Graph calls to the local emulator), then each kind of
edit a definition page makes. Then it creates definitions through Graph until the tenant
holds 500 active ones and measures the pages again. It prints tables; it asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.portal_client import ADA, configure_django, signed_in_client  # noqa: E402
from emulator.harness import EmulatorProcess  # noqa: E402

PAGES = ["/sets/", "/sets/Engineering/"]


def measure(client: Any, path: str, runs: int) -> dict[str, float]:
    timings, trips = [], set()
    client.get(path)  # warm: discovery metadata, connections
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        trips.add(int(response["X-Graph-Round-Trips"]))
    ordered = sorted(timings)
    return {
        "median": statistics.median(ordered),
        "p95": ordered[max(0, int(len(ordered) * 0.95) - 1)],
        "trips": max(trips),
        "bytes": len(response.content),
    }


PROJECT = "/sets/Engineering/attributes/Project"


def _edits() -> list[tuple[str, str, Any]]:
    """Each edit as (label, path, data for run i); consecutive runs undo each other."""

    def description(i: int) -> dict[str, str]:
        old, new = (f"Edited {i - 1}" if i else "Active projects for user"), f"Edited {i}"
        return {"description": new, "seen_description": old, "reason": "bench"}

    def value(i: int) -> dict[str, str]:
        from attributes.forms import value_token

        active = "false" if i % 2 == 0 else "true"
        return {"value": value_token("Alpine"), "active": active, "reason": "bench"}

    def help_text(i: int) -> dict[str, str]:
        return {"text": f"Help {i}", "reason": "bench"}

    def set_description(i: int) -> dict[str, str]:
        old = f"Edited {i - 1}" if i else "Attributes for engineering team"
        return {
            "description": f"Edited {i}",
            "max_attributes": "25",
            "seen_description": old,
            "seen_max_attributes": "25",
        }

    return [
        ("edit a definition", f"{PROJECT}/edit", description),
        ("deactivate/reactivate a value", f"{PROJECT}/values/status", value),
        ("edit help text", f"{PROJECT}/help", help_text),
        ("edit a set", "/sets/Engineering/edit", set_description),
    ]


def measure_edits(client: Any, runs: int) -> list[tuple[str, dict[str, float]]]:
    results = []
    for label, path, data in _edits():
        timings, trips = [], set()
        for i in range(runs):
            started = time.perf_counter()
            response = client.post(path, data(i))
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 302, (path, response.status_code)
            assert "/edit" not in response["Location"], "the edit was refused as stale"
            trips.add(int(response["X-Graph-Round-Trips"]))
        results.append(
            (label, {"median": statistics.median(timings), "trips": max(trips), "runs": runs})
        )
    return results


def grow_to_500_active(emulator: EmulatorProcess) -> int:
    """Adds sets Bulk01.. with definitions of every shape until 500 are active."""
    token = emulator.password_token(ADA)
    existing = emulator.graph(
        "GET", "/directory/customSecurityAttributeDefinitions", token=token, params={"$top": "999"}
    ).json()["value"]
    active = sum(1 for d in existing if d["status"] == "Available")
    created, set_number = 0, 0
    while active < 500:
        set_number += 1
        name = f"Bulk{set_number:02d}"
        emulator.graph("POST", "/directory/attributeSets", token=token, json={"id": name})
        for index in range(min(100, 500 - active)):
            kind = ("String", "Integer", "Boolean")[index % 3]
            body: dict[str, Any] = {
                "attributeSet": name,
                "name": f"Attribute{index:03d}",
                "description": f"Generated attribute {index} of {name}",
                "type": kind,
                "isCollection": kind != "Boolean" and index % 2 == 0,
                "isSearchable": True,
                "status": "Available",
                "usePreDefinedValuesOnly": kind == "String",
            }
            if kind == "String":
                body["allowedValues"] = [
                    {"id": f"Value{v:02d}", "isActive": True} for v in range(index % 20 + 1)
                ]
            response = emulator.graph(
                "POST", "/directory/customSecurityAttributeDefinitions", token=token, json=body
            )
            assert response.status_code == 201, response.text
            active += 1
            created += 1
    return created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        emulator = EmulatorProcess(seed="demo", ca_dir=workdir / "ca").start()
        try:
            configure_django(emulator, workdir)
            client = signed_in_client(emulator)
            rows = [("demo tenant", path, measure(client, path, args.runs)) for path in PAGES]
            edits = measure_edits(client, args.runs)
            created = grow_to_500_active(emulator)
            big = [*PAGES, "/sets/Bulk01/"]
            rows += [("500 active definitions", p, measure(client, p, args.runs)) for p in big]
        finally:
            emulator.stop()
    print(f"\nAttribute-set pages: {args.runs} requests each ({created} definitions added for 500)")
    print(
        f"{'tenant':<24} {'page':<20} {'Graph calls':>11} {'median ms':>10} {'p95 ms':>8} {'KB':>6}"
    )
    for tenant, path, result in rows:
        print(
            f"{tenant:<24} {path:<20} {result['trips']:>11} {result['median']:>10.1f} "
            f"{result['p95']:>8.1f} {result['bytes'] / 1024:>6.0f}"
        )
    print(f"\nEdits on the demo tenant: {args.runs} each, every one audited")
    print(f"{'edit':<32} {'Graph calls':>11} {'median ms':>10}")
    for label, result in edits:
        print(f"{label:<32} {result['trips']:>11} {result['median']:>10.1f}")


if __name__ == "__main__":
    main()
