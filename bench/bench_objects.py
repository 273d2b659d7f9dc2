"""Server time and Graph round trips of the assignment workspace, at 1,000 and 50,000
directory objects, and at 50,000 with Graph 50 ms away.

    .venv/bin/python bench/bench_objects.py [--runs 20] [--search-runs 10] [--typing-runs 3]

Starts its own emulator seeded `large:1000` and a throwaway SQLite database, signs in as
ada.admin through the real MSAL flow, and drives the portal with Django's test client
(server time is the whole request, Graph calls to the local emulator included; "Graph ms"
is the part spent waiting on Graph, "portal ms" the rest). Then it resets the same emulator to `large:50000`
(N directory objects of every kind, emulator/README.md) and measures again, and once more
with 50 ms of latency added to every Graph request, which is where round trips show.
In each tenant it measures, against the agent identity "HR Onboarding Agent":

  object page      GET of a user's and an agent identity's page: median, p95, round trips
  search           a display-name prefix, the agent's object id, an empty query, and a
                   kind tab, as full pages: median, p95, round trips, matches
  typing           "H", "HR", "HR ", "HR O", ... up to the agent's whole name, each as the
                   htmx request typing sends (HX-Request, HX-Target: object-results):
                   p50 and p95 over every prefix, and each prefix's median
  save             a POST of Engineering/ProjectDate (each run changes it), audited

Before each search the bench changes a value straight through Graph (untimed), so the
emulator cannot answer from the matches it keeps per tenant revision: every search is
computed afresh over the whole tenant, as each new prefix typed is. It ends with how
each figure changes from 1,000 to 50,000 objects (the ratio) and what 50 ms of latency
adds. It prints tables; it asserts nothing. About two minutes.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.portal_client import ADA, configure_django, signed_in_client  # noqa: E402
from emulator.harness import EmulatorProcess  # noqa: E402
from emulator.tenant import demo  # noqa: E402

AGENT_NAME = "HR Onboarding Agent"
TYPED = [AGENT_NAME[:length] for length in range(1, len(AGENT_NAME) + 1)]
HTMX = {"HX-Request": "true", "HX-Target": "object-results"}
SAVED = "Engineering_ProjectDate"
TENANTS = [  # label, seed, Graph latency in ms
    ("1,000 objects", "large:1000", 0),
    ("50,000 objects", "large:50000", 0),
    ("50,000 @ 50 ms", "large:50000", 50),
]


@dataclass
class Timings:
    """Requests of one kind: wall time and Graph time in ms, and round trips."""

    total: list[float] = field(default_factory=list)
    graph: list[float] = field(default_factory=list)
    trips: set[int] = field(default_factory=set)
    found: str = ""

    def add(self, response: Any, started: float) -> None:
        self.total.append((time.perf_counter() - started) * 1000)
        self.graph.append(response.wsgi_request.graph_round_trips.seconds * 1000)
        self.trips.add(int(response["X-Graph-Round-Trips"]))

    @property
    def median(self) -> float:
        return statistics.median(self.total)

    @property
    def p95(self) -> float:
        ordered = sorted(self.total)
        return ordered[max(0, int(len(ordered) * 0.95) - 1)]

    @property
    def graph_median(self) -> float:
        return statistics.median(self.graph)

    @property
    def portal_median(self) -> float:
        """The portal's own part: each request's time less its time waiting on Graph."""
        return statistics.median(t - g for t, g in zip(self.total, self.graph, strict=True))

    @property
    def round_trips(self) -> str:
        low, high = min(self.trips), max(self.trips)
        return str(low) if low == high else f"{low}-{high}"


def get(
    client: Any, path: str, runs: int, *, fresh: Callable[[], None] | None = None, **kwargs: Any
) -> Timings:
    """`runs` GETs after one to warm the connections; `fresh` runs (untimed) before each."""
    timings = Timings()
    client.get(path, **kwargs)
    for _ in range(runs):
        if fresh is not None:
            fresh()
        started = time.perf_counter()
        response = client.get(path, **kwargs)
        assert response.status_code == 200, (path, response.status_code)
        timings.add(response, started)
    timings.found = _found(response.content.decode())
    return timings


def _found(html: str) -> str:
    """How many objects a search page says it found (the results' live region)."""
    status = re.search(r'data-testid="results-status">([^<]*)<', html)
    if status is None:
        return ""
    return str(sum(int(n) for n in re.findall(r"\d+", status.group(1))))


def save(client: Any, path: str, runs: int) -> Timings:
    """Runs POSTs that each change the value, so each one is a real, audited PATCH."""
    timings = Timings()
    form = re.search(r'name="seen" value="([^"]*)"', client.get(path).content.decode())
    assert form is not None, "the edit page has no form"
    seen: Any = json.loads(html.unescape(form.group(1)))  # what the page says Entra holds
    for run in range(runs + 1):
        value = f"2027-01-{run % 28 + 1:02d}"
        data = {"value": value, "seen": json.dumps(seen), "reason": "bench"}
        started = time.perf_counter()
        response = client.post(path, data)
        assert response.status_code == 302, (path, response.status_code)
        assert "/attributes/" not in response["Location"], "the save was refused as stale"
        if run:  # the first is the warm-up
            timings.add(response, started)
        seen = value
    return timings


class Changes:
    """Writes straight to the emulator (not through the portal, so not counted) that move
    the tenant to a new revision. The emulator keeps each query's matches per revision;
    a search measured after one is computed afresh, as each prefix typed is."""

    def __init__(self, emulator: EmulatorProcess) -> None:
        self.emulator = emulator
        self.token = emulator.password_token(ADA)
        self.count = 0

    def __call__(self) -> None:
        self.count += 1
        body = {
            "customSecurityAttributes": {
                "Engineering": {
                    "@odata.type": "#Microsoft.DirectoryServices.CustomSecurityAttributeValue",
                    "ProjectDate": f"change {self.count}",
                }
            }
        }
        path = f"/users/{demo.REY.object_id}"
        response = self.emulator.graph("PATCH", path, token=self.token, json=body)
        assert response.status_code == 204, response.text


def agent_id(emulator: EmulatorProcess, token: str) -> str:
    response = emulator.graph(
        "GET",
        "/servicePrincipals/microsoft.graph.agentIdentity",
        token=token,
        params={"$filter": f"displayName eq '{AGENT_NAME}'", "$select": "id"},
    )
    response.raise_for_status()
    return str(response.json()["value"][0]["id"])


@dataclass
class Tenant:
    label: str
    pages: dict[str, Timings]
    searches: dict[str, Timings]
    typing: dict[str, Timings]
    saved: Timings

    @property
    def typed(self) -> Timings:
        every = Timings()
        for timings in self.typing.values():
            every.total += timings.total
            every.graph += timings.graph
            every.trips |= timings.trips
        return every


def measure_tenant(
    client: Any, emulator: EmulatorProcess, label: str, args: argparse.Namespace
) -> Tenant:
    runs, search_runs, typing_runs = args.runs, args.search_runs, args.typing_runs
    agent = agent_id(emulator, emulator.password_token(ADA))
    fresh = Changes(emulator)
    pages = {
        "a user's page": get(client, f"/objects/user/{demo.REY.object_id}/", runs),
        "an agent identity's page": get(client, f"/objects/agentIdentity/{agent}/", runs),
    }
    queries = {
        'name prefix "HR"': {"q": "HR"},
        "the agent's object id": {"q": agent},
        "empty query": {"q": ""},
        'agent identities tab, "HR"': {"q": "HR", "tab": "agentIdentities"},
    }
    searches = {
        name: get(client, "/objects/", search_runs, fresh=fresh, data=query)
        for name, query in queries.items()
    }
    typing = {
        prefix: get(client, "/objects/", typing_runs, fresh=fresh, data={"q": prefix}, headers=HTMX)
        for prefix in TYPED
    }
    saved = save(client, f"/objects/agentIdentity/{agent}/attributes/{SAVED}/", runs)
    return Tenant(label, pages, searches, typing, saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="object pages and saves")
    parser.add_argument("--search-runs", type=int, default=10, help="each full-page search")
    parser.add_argument("--typing-runs", type=int, default=3, help="each typed prefix")
    args = parser.parse_args()
    tenants: list[Tenant] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        emulator = EmulatorProcess(seed=TENANTS[0][1], ca_dir=workdir / "ca").start(timeout=120)
        try:
            configure_django(emulator, workdir)
            client = signed_in_client(emulator)
            for label, seed, latency in TENANTS:
                emulator.reset(seed=seed)  # also clears faults
                emulator.disable_write_quota()  # the bench's own writes are not the subject
                if latency:
                    emulator.set_faults(latency_ms=latency)
                tenants.append(measure_tenant(client, emulator, label, args))
        except BaseException:
            print(f"The emulator's output:\n{emulator.output()[-4000:]}", file=sys.stderr)
            raise
        finally:
            emulator.stop()
    report(tenants, args, time.perf_counter() - started)


def report(tenants: list[Tenant], args: argparse.Namespace, seconds: float) -> None:
    runs, search_runs, typing_runs = args.runs, args.search_runs, args.typing_runs
    head = f"{'tenant':<16} {'':<30} {'Graph calls':>11} {'median ms':>10} {'p95 ms':>8}"
    head += f" {'Graph ms':>9} {'portal ms':>10}"
    print(f"\nObject pages: {runs} requests each")
    print(head)
    for tenant in tenants:
        for name, t in tenant.pages.items():
            print(_row(tenant.label, name, t))
    print(f"\nSearch, as full pages: {search_runs} requests each, each computed afresh")
    print(f"{head} {'found':>6}")
    for tenant in tenants:
        for name, t in tenant.searches.items():
            print(f"{_row(tenant.label, name, t)} {t.found:>6}")
    print(
        f"\nSearch as you type: {len(TYPED)} prefixes of {AGENT_NAME!r} as htmx requests, "
        f"{typing_runs} each, each computed afresh"
    )
    print(head)
    for tenant in tenants:
        print(_row(tenant.label, "every prefix (p50, p95)", tenant.typed))
    labels = "".join(f" {t.label:>16}" for t in tenants)
    print(f"\n{'prefix':<22}{labels}   (median ms; objects found)")
    for prefix in TYPED:
        cells = "".join(
            f" {t.typing[prefix].median:>7.1f} {'(' + t.typing[prefix].found + ')':>8}"
            for t in tenants
        )
        print(f"{prefix!r:<22}{cells}")
    print(f"\nSave (POST {SAVED}, each run a change, audited): {runs} each")
    print(head)
    for tenant in tenants:
        print(_row(tenant.label, "save", tenant.saved))
    ratios(tenants)
    print(f"\n({seconds:.0f} s in all)")


def _row(tenant: str, name: str, t: Timings) -> str:
    return (
        f"{tenant:<16} {name:<30} {t.round_trips:>11} {t.median:>10.1f} {t.p95:>8.1f}"
        f" {t.graph_median:>9.1f} {t.portal_median:>10.1f}"
    )


def ratios(tenants: list[Tenant]) -> None:
    small, large, slow = tenants
    print("\nFrom 1,000 to 50,000 objects: medians in ms and their ratio (50,000 / 1,000), for")
    print("the whole request and for the portal's own part; and what 50 ms of Graph latency")
    print("adds to the whole request's median on the 50,000 tenant")
    print(
        f"{'figure':<36} {'Graph calls':>11} {'1,000':>7} {'50,000':>7} {'ratio':>6}"
        f" {'portal':>13} {'ratio':>6} {'+50 ms':>7}"
    )

    def figures(tenant: Tenant) -> dict[str, Timings]:
        return {
            **{f"page: {k}": v for k, v in tenant.pages.items()},
            **{f"search: {k}": v for k, v in tenant.searches.items()},
            "typing: every prefix": tenant.typed,
            "save": tenant.saved,
        }

    for (name, a), b, c in zip(
        figures(small).items(), figures(large).values(), figures(slow).values(), strict=True
    ):
        portal = f"{a.portal_median:.1f} → {b.portal_median:.1f}"
        print(
            f"{name:<36} {b.round_trips:>11} {a.median:>7.1f} {b.median:>7.1f}"
            f" {b.median / a.median:>5.2f}x {portal:>13} {b.portal_median / a.portal_median:>5.2f}x"
            f" {c.median - b.median:>+7.1f}"
        )
    a, b = small.typed, large.typed
    print(
        f"{'typing: every prefix, p95':<36} {'':>11} {a.p95:>7.1f} {b.p95:>7.1f}"
        f" {b.p95 / a.p95:>5.2f}x {'':>13} {'':>6} {slow.typed.p95 - b.p95:>+7.1f}"
    )


if __name__ == "__main__":
    main()
