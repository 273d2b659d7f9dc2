"""Runs every bench script and writes bench/RESULTS.md: the machine, the date, and each
script's output under a heading with its command.

    .venv/bin/python bench/run_all.py [--out bench/RESULTS.md] [--only bench_bulk,load]

`make bench` runs this. Each script measures its own baselines in the same run, so the
figures in one RESULTS.md compare with each other; they compare with another machine's
only through the ratios the scripts print. Scripts that print markdown tables (bench/load)
go in as they are, the others as preformatted text. A script that fails is recorded with
its exit code and the run goes on; the exit code is 1 if any failed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

# Each with sizes chosen so the whole run stays near 30 minutes on 2 cores.
SCRIPTS: tuple[tuple[str, list[str], bool], ...] = (
    ("bench_emulator", ["bench/bench_emulator.py"], False),
    ("bench_definitions", ["bench/bench_definitions.py"], False),
    ("bench_objects", ["bench/bench_objects.py"], False),
    ("bench_find", ["bench/bench_find.py"], False),
    ("bench_audit", ["bench/bench_audit.py"], False),
    ("bench_reconcile", ["bench/bench_reconcile.py"], False),
    ("bench_bulk", ["bench/bench_bulk.py"], False),
    (
        "load",
        ["bench/load/run.py", "--duration", "60", "--instances", "1,2,4", "--workers", "1,2"],
        True,
    ),
    (
        "load_faults",
        ["bench/load/run.py", "--faults", "--duration", "90", "--instances", "2", "--workers", "2"],
        True,
    ),
)


def machine() -> list[str]:
    memory = next(
        (
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        ),
        "0",
    )
    return [
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Cores: {os.cpu_count()} ({platform.processor() or platform.machine()}), "
        f"load average at the start {os.getloadavg()[0]:.2f}",
        f"- RAM: {int(memory) / 2**20:.1f} GiB",
        f"- Python: {platform.python_version()} ({platform.platform()})",
        f"- PostgreSQL: {postgres_version()}",
    ]


def postgres_version() -> str:
    try:
        import psycopg

        url = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
        with psycopg.connect(url, connect_timeout=5) as connection:
            row = connection.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else "unknown"
    except psycopg.Error as error:  # the report says why instead of stopping
        return f"not reachable ({error.__class__.__name__})"


def run(name: str, args: list[str], markdown: bool) -> tuple[list[str], int]:
    command = [PY, *args]
    shown = ".venv/bin/python " + shlex.join(args)
    print(f"== {shown}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    output = []
    for line in process.stdout:
        print(line, end="", flush=True)
        output.append(line.rstrip("\n"))
    code = process.wait()
    minutes = (time.monotonic() - started) / 60
    section = [f"## {name}", "", f"`{shown}` ({minutes:.1f} min, exit code {code})", ""]
    # Progress lines ("1/4 speed …") are left out; the tables follow them.
    body = [line for line in output if not line.endswith("…")]
    section += body if markdown else ["```text", *body, "```"]
    return [*section, ""], code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--only", default="", help="comma-separated script names")
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n}
    lines = ["# Benchmark results", "", "Written by `make bench` (bench/run_all.py).", ""]
    lines += ["## The machine", "", *machine(), ""]
    failed = []
    for name, script, markdown in SCRIPTS:
        if only and name not in only:
            continue
        section, code = run(name, script, markdown)
        lines += section
        if code:
            failed.append(name)
    Path(args.out).write_text("\n".join(lines), "utf-8")
    print(f"Wrote {args.out}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
