"""How fast the emulator answers the queries the portal leans on, for a small and a large tenant.

Run: .venv/bin/python bench/bench_emulator.py [--samples 50] [--large 50000]

For each seed it starts a fresh emulator and prints start-up time and the median and p95
latency (client side, over HTTPS with keep-alive) of:
  baseline      GET /me, the cheapest authenticated call, to separate transport from work
  filter cold   a customSecurityAttributes filter with $count and ConsistencyLevel, $top=100,
                different each time so no cached result is reused
  filter warm   the same filter repeated (results are cached per tenant revision)
  5 pages       the filter's first page plus four @odata.nextLink pages, as one sample
  agents        the agent identities cast with an AgentApprovalStatus filter, different
                each time (a status board column)
  search        $search on users' displayName, different each time
  definitions   GET /directory/customSecurityAttributeDefinitions?$expand=allowedValues
  $batch        20 PATCHes of values in one $batch (write quota, write log and audit)
  filter lagged the cold filter with a filter index lag and 100 writes still inside it
Numbers are printed, not asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from emulator.harness import EmulatorProcess  # noqa: E402

ADVANCED = {"ConsistencyLevel": "eventual"}
FILTER = "customSecurityAttributes/Engineering/Project eq 'Baker'"


def measure(samples: int, action: Callable[[int], None]) -> tuple[float, float]:
    """Median and p95 in milliseconds, after two warm-up runs."""
    for index in range(2):
        action(-1 - index)
    timings = []
    for index in range(samples):
        started = time.perf_counter()
        action(index)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[
        min(len(timings) - 1, round(0.95 * len(timings)) - 1)
    ]


def bench_seed(seed: str, samples: int) -> list[tuple[str, str, str, str, str]]:
    with tempfile.TemporaryDirectory(prefix="bench-emulator-") as folder:
        emulator = EmulatorProcess(seed=seed, ca_dir=Path(folder)).start(timeout=120)
        try:
            return _run(emulator, seed, samples)
        finally:
            emulator.stop()


def _run(
    emulator: EmulatorProcess, seed: str, samples: int
) -> list[tuple[str, str, str, str, str]]:
    token = emulator.password_token("ada.admin@contoso.example")

    def get(path: str, headers: dict[str, str] | None = None) -> dict:
        response = emulator.graph("GET", path, token=token, headers=headers or {})
        response.raise_for_status()
        return response.json()

    def users_path(extra: str = "", top: int = 100) -> str:
        select = "id,displayName,customSecurityAttributes"
        return f"/users?$count=true&$top={top}&$select={select}&$filter={FILTER}{extra}"

    def cold(index: int) -> None:
        # An always-true extra clause makes every filter text distinct, so nothing is cached.
        get(
            users_path(f" and not(customSecurityAttributes/Marketing/EmployeeId eq 'ZZ{index}')"),
            ADVANCED,
        )

    matches = get(users_path(), ADVANCED)["@odata.count"]
    page = max(1, min(100, matches // 5))  # the demo tenant has too few matches for 5 x 100

    def five_pages(_index: int) -> None:
        body = get(users_path(top=page), ADVANCED)
        for _ in range(4):
            body = get(body["@odata.nextLink"].split("/v1.0", 1)[1], ADVANCED)

    def agents(index: int) -> None:
        status = ("New", "In_Review", "HR_Approved", "Finance_Approved", "IT_Approved")[index % 5]
        extra = f" and not(displayName eq 'ZZ{index}')"  # distinct text, so never cached
        get(
            "/servicePrincipals/microsoft.graph.agentIdentity?$count=true&$top=100"
            "&$select=id,displayName,customSecurityAttributes&$filter=customSecurityAttributes"
            f"/AgentAttributes/AgentApprovalStatus eq '{status}'{extra}",
            ADVANCED,
        )

    def search(index: int) -> None:
        prefix = ("ma", "an", "el", "ju", "sa", "ra", "li", "jo")[index % 8] + "ZZ"[: index % 2]
        get(f'/users?$search="displayName:{prefix}{index}"&$top=100&$select=id', ADVANCED)

    counts = emulator.state()["counts"]
    objects = counts["users"] + counts["servicePrincipals"]
    label = f"{seed} ({objects} objects, {matches} match)"
    rows = [(label, f"{emulator.startup_seconds:.2f} s", "", "", "")]
    cases: list[tuple[str, Callable[[int], None]]] = [
        ("baseline GET /me", lambda _i: get("/me")),
        ("filter cold, $top=100", cold),
        ("filter warm, $top=100", lambda _i: get(users_path(), ADVANCED)),
        (f"filter + 4 nextLinks, $top={page}", five_pages),
        ("agents by status, cold", agents),
        ("$search displayName, cold", search),
        (
            "definitions $expand",
            lambda _i: get("/directory/customSecurityAttributeDefinitions?$expand=allowedValues"),
        ),
    ]
    ids = [u["id"] for u in get("/users?$top=20&$select=id")["value"]]

    def batch(index: int) -> None:
        value = {"@odata.type": "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"}
        requests = [
            {
                "id": str(n),
                "method": "PATCH",
                "url": f"/users/{user}",
                "headers": {"Content-Type": "application/json"},
                "body": {
                    "customSecurityAttributes": {"Finance": {**value, "CostCode": f"B{index}"}}
                },
            }
            for n, user in enumerate(ids)
        ]
        response = emulator.graph("POST", "/$batch", token=token, json={"requests": requests})
        response.raise_for_status()

    cases.append(("$batch, 20 PATCHes", batch))
    for name, action in cases:
        median, p95 = measure(samples, action)
        rows.append(("", "", name, f"{median:7.1f} ms", f"{p95:7.1f} ms"))
    emulator.disable_write_quota()
    emulator.set_index_lag(3600)
    for index in range(5):
        batch(10_000 + index)
    median, p95 = measure(samples, cold)
    rows.append(("", "", "filter cold, 100 writes in lag", f"{median:7.1f} ms", f"{p95:7.1f} ms"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument(
        "--large", type=int, default=50_000, help="directory objects in the large tenant"
    )
    args = parser.parse_args()
    rows = []
    for seed in ("demo", f"large:{args.large}"):
        rows += bench_seed(seed, args.samples)
    header = ("seed", "start-up", "request", "median", "p95")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


if __name__ == "__main__":
    main()
