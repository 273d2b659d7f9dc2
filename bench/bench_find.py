"""Find by value, the who-has-what export and the coverage report on a `large:50000`
tenant, with Graph at 0 ms and at 50 ms of added latency.

    .venv/bin/python bench/bench_find.py [--seed large:50000] [--runs 5]

Starts its own emulator and a throwaway SQLite database and signs in as ada.admin through
the real MSAL flow; requests go through Django's test client, so a time includes the
portal's own work and every Graph call. For each latency it measures:

- the tenant export (every user and service principal, every attribute column) as CSV
  and as JSON: rows/s, the Graph pages it read, and the floor those pages set at that
  latency (pages x latency: each page's link comes from the one before, so they cannot
  overlap). The ratio is the export's time over that floor; the goal is <= 1.5.
- the same CSV export's memory, in a second run at 0 ms: tracemalloc's peak after 10 %,
  50 % and 100 % of the rows (flat means the same at each) and the RSS high-water mark
  above where the export started.
- find by value's first page (median of --runs): server time, Graph round trips, floor.
- a coverage report over every object: time, Graph calls (which the report states on
  its page), floor.

It prints tables; it asserts nothing.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
import tracemalloc
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

LATENCIES_MS = (0, 50)
FIND = "/find/?a1=Engineering_Project&o1=eq&v1=Alpine&tab=all"
COVERAGE = "/coverage/?required=Engineering_Project&required=Security_Clearance&tab=all"
EXPORTS = (("CSV", "/export/all.csv"), ("JSON", "/export/all.json"))


def graph_calls(emulator: EmulatorProcess, since: int) -> int:
    return sum(1 for entry in emulator.requests_log(since) if entry["kind"] == "graph")


def last_seq(emulator: EmulatorProcess) -> int:
    log = emulator.requests_log()
    return log[-1]["seq"] if log else 0


def export(client: Any, emulator: EmulatorProcess, path: str) -> dict[str, Any]:
    since = last_seq(emulator)
    started = time.perf_counter()
    response = client.get(path)
    rows = size = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        rows += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    response.close()
    # CSV: a header line; JSON: the opening and closing bracket lines.
    rows -= 1 if path.endswith(".csv") else 2
    return {
        "seconds": seconds,
        "rows": rows,
        "mb": size / 2**20,
        "pages": graph_calls(emulator, since),
    }


def export_memory(client: Any, path: str, total: int) -> dict[str, Any]:
    gc.collect()
    start_rss = rss_kb()
    reset_peak_rss()
    response = client.get(path)
    marks = {max(1, total // 10): 10, max(1, total // 2): 50}
    peaks: dict[int, float] = {}
    rows = 0
    tracemalloc.start()
    for chunk in response.streaming_content:
        rows += chunk.count(b"\n")
        for mark, percent in marks.items():
            if rows >= mark and percent not in peaks:
                peaks[percent] = tracemalloc.get_traced_memory()[1] / 2**20
    peaks[100] = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    response.close()
    return {"traced": peaks, "rss_start": start_rss / 1024, "rss_peak": rss_kb("VmHWM") / 1024}


def timed_get(client: Any, emulator: EmulatorProcess, path: str) -> dict[str, Any]:
    since = last_seq(emulator)
    started = time.perf_counter()
    response = client.get(path)
    seconds = time.perf_counter() - started
    assert response.status_code == 200, (path, response.status_code)
    return {
        "seconds": seconds,
        "graph": response.wsgi_request.graph_round_trips.seconds,
        "trips": int(response["X-Graph-Round-Trips"]),
        "calls": graph_calls(emulator, since),
    }


def median_get(client: Any, emulator: EmulatorProcess, path: str, runs: int) -> dict[str, Any]:
    timed_get(client, emulator, path)  # warm: connections, the definitions cache
    samples = [timed_get(client, emulator, path) for _ in range(runs)]
    return {
        "seconds": statistics.median(s["seconds"] for s in samples),
        "portal": statistics.median(s["seconds"] - s["graph"] for s in samples),
        "trips": max(s["trips"] for s in samples),
        "calls": max(s["calls"] for s in samples),
    }


def ratio(seconds: float, floor: float) -> str:
    return f"{seconds / floor:.2f}x" if floor else "—"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", default="large:50000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    results: list[tuple[int, str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        print(f"Starting the emulator with {args.seed} …", flush=True)
        emulator = EmulatorProcess(seed=args.seed, ca_dir=workdir / "ca").start(timeout=300)
        try:
            configure_django(emulator, workdir)
            client = signed_in_client(emulator)
            for latency in LATENCIES_MS:
                emulator.set_faults(latency_ms=latency)
                for label, path in EXPORTS:
                    results.append((latency, f"export {label}", export(client, emulator, path)))
                results.append(
                    (latency, "find: first page", median_get(client, emulator, FIND, args.runs))
                )
                results.append(
                    (latency, "coverage report", median_get(client, emulator, COVERAGE, args.runs))
                )
            emulator.set_faults(latency_ms=0)
            total = next(r for _, name, r in results if name == "export CSV")["rows"]
            memory = export_memory(client, "/export/all.csv", total)
        finally:
            emulator.stop()

    print(f"\nWho-has-what export of the whole tenant ({args.seed}), through the test client")
    print(
        f"{'latency':>7} {'format':<6} {'rows':>7} {'MB':>6} {'s':>7} {'rows/s':>8} "
        f"{'pages':>5} {'floor s':>7} {'ratio':>6}"
    )
    for latency, name, r in results:
        if name.startswith("export"):
            floor = r["pages"] * latency / 1000
            print(
                f"{latency:>4} ms {name.split()[1]:<6} {r['rows']:>7} {r['mb']:>6.1f} "
                f"{r['seconds']:>7.2f} {r['rows'] / r['seconds']:>8.0f} {r['pages']:>5} "
                f"{floor:>7.2f} {ratio(r['seconds'], floor):>6}"
            )
    traced = memory["traced"]
    print(
        f"\nCSV export memory at 0 ms: tracemalloc peak {traced[10]:.1f} MiB after 10 % of the "
        f"rows, {traced[50]:.1f} MiB after 50 %, {traced[100]:.1f} MiB after 100 %; RSS "
        f"high-water mark {memory['rss_peak']:.0f} MiB, {memory['rss_peak'] - memory['rss_start']:+.0f} "
        f"MiB over the {memory['rss_start']:.0f} MiB at the start"
    )
    print(f"\nPages (median of {args.runs} runs after one warm-up)")
    print(
        f"{'latency':>7} {'page':<18} {'ms':>8} {'portal ms':>9} {'round trips':>11} "
        f"{'Graph requests':>14} {'floor ms':>8} {'ratio':>6}"
    )
    for latency, name, r in results:
        if not name.startswith("export"):
            floor = r["trips"] * latency / 1000
            print(
                f"{latency:>4} ms {name:<18} {r['seconds'] * 1000:>8.0f} {r['portal'] * 1000:>9.0f} "
                f"{r['trips']:>11} {r['calls']:>14} {floor * 1000:>8.0f} "
                f"{ratio(r['seconds'], floor):>6}"
            )
    print(
        "\nThe floor is the round trips (pages) times the latency: the emulator adds its latency "
        "once per HTTP request, a $batch included,\nand each page's link comes from the page "
        "before. A ratio of 1.00x would mean nothing but that wait. 'portal ms' is a request's\n"
        "time less its time waiting on Graph; 'Graph requests' counts each item of a $batch."
    )


if __name__ == "__main__":
    main()
