"""The portal under load, scaled out, and under faults, end to end.

    .venv/bin/python bench/load/run.py [--duration 120] [--users 30] [--instances 1,2,4]
        [--workers 1,2] [--faults] [--quick]

Deploys the portal as `make serve` does, on this machine: the emulator with `large:50000`
and Graph 50 ms away, a fresh PostgreSQL database (`portal_load`, created as the user
postgres), `migrate`, N gunicorn instances (`--config python:portal.gunicorn_config`,
4 workers each, on their own ports) and M `manage.py db_worker` processes. One bulk job
(an uploaded file setting Engineering/ProjectDate on --job-size users) is applied, then
locust (bench/load/locustfile.py) runs headless for --duration seconds: readers browse,
search, find by value, export and watch the job; editors also assign values to users.
Each request goes to the next instance in turn, so every session moves between them.

The configurations: each --instances count with the fewest --workers, then the most
instances with each other --workers count. Per configuration it reports requests per
second, p50/p95/p99 per page, responses by status, the error rate, and the RSS of the
gunicorn workers and the task workers (sampled each second), then checks, after the job
has finished:

- no 500s, no traceback, every other 5xx the portal's own page with its message;
- `manage.py audit_verify` passes and no audit record is left pending;
- the audit log's succeeded changes equal the writes in the emulator's write log, object
  by object (none lost, none duplicated);
- for every object written, what Graph holds is the latest audit record's "after";
- the bulk job completed.

Graph's write quota is scaled down to 300 writes per 15 s in the emulator and the
portal's budget, so the job (300 + 16 per second of --duration items) runs throughout.
--faults adds, while locust runs: the portal's budget back at Graph's 3,000 per 150 s, so
the emulator's bucket answers 429s, 5% random 5xx, 2% two-second stalls and 1% dropped
connections; and once a tenth of the job is applied every task worker is killed (SIGKILL) and
started again 5 s later. --quick is a ~1 minute smoke run (one configuration, 45 s, 8 users, large:5000).

It prints markdown tables and asserts no speed, but exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))

from bench.portal_client import portal_environment, wait_healthy  # noqa: E402
from emulator.harness import EmulatorProcess  # noqa: E402
from emulator.tenant import demo  # noqa: E402

BIN = Path(sys.executable).parent
ADA = "ada.admin@contoso.example"
DATABASE = "portal_load"
ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE}"
EDIT_ATTRIBUTE = ("Engineering", "ProjectDate")
SEARCH_TERMS = ("Chen", "Aarav", "Müller", "Sofia", "agent", "Engineer", "Patel", "Nora")
FIND_QUERIES = (("Engineering_Project", "Alpine"), ("Engineering_Project", "Cascade"))
FAULTS = {"fault_rate_5xx": 0.05, "fault_rate_stall": 0.02, "stall_ms": 2000}
FAULTS |= {"fault_rate_drop": 0.01, "retry_after": "1"}
# Graph's quota scaled down (20 writes a second, a 300-write burst), so the job outlasts a
# short run and the quota binds. The portal's budget knows it, except under --faults, where
# the portal assumes Graph's real quota and meets the emulator's 429s instead.
QUOTA = {"limit": 300, "window_seconds": 15}


@dataclass
class Config:
    instances: int
    workers: int


@dataclass
class Result:
    config: Config
    seconds: float
    stats: list[dict[str, str]]
    statuses: Counter[int]
    violations: dict[str, int]
    rss: dict[str, float]
    checks: dict[str, str]
    failed: list[str] = field(default_factory=list)
    job: str = ""
    killed: str = ""


# -- processes ------------------------------------------------------------------------------


def portal_env(emulator: EmulatorProcess) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DATABASE"))},
        **portal_environment(emulator, DATABASE_URL),
        "GUNICORN_WORKERS": "4",
        "PORTAL_WRITE_QUOTA": f"{QUOTA['limit']}/{QUOTA['window_seconds']}",
    }


def fresh_database() -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip


@contextmanager
def gunicorns(
    env: dict[str, str], count: int, logs: Path
) -> Iterator[tuple[list[subprocess.Popen[bytes]], list[str]]]:
    """`count` gunicorn instances as `make serve` starts one, each on a port of its own."""
    processes, urls = [], []
    for n in range(count):
        listener = socket.create_server(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        with (logs / f"gunicorn-{n}.log").open("wb") as output:
            processes.append(
                subprocess.Popen(
                    [
                        str(BIN / "gunicorn"),
                        "portal.wsgi:application",
                        "--config",
                        "python:portal.gunicorn_config",
                        "--bind",
                        f"fd://{listener.fileno()}",
                        "--access-logfile",
                        "/dev/null",
                    ],
                    cwd=ROOT,
                    env=env,
                    pass_fds=[listener.fileno()],
                    stdout=output,
                    stderr=subprocess.STDOUT,
                )
            )
        listener.close()
        urls.append(f"http://localhost:{port}")
    try:
        for url in urls:
            wait_healthy(url)
        yield processes, urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)


def start_worker(env: dict[str, str], logs: Path, n: int) -> subprocess.Popen[bytes]:
    with (logs / f"worker-{n}.log").open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
             "--interval", "1", "--verbosity", "0"],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Sampler(threading.Thread):
    """The RSS of every gunicorn worker and task worker, once a second."""

    def __init__(self, masters: list[int], workers: list[subprocess.Popen[bytes]]) -> None:
        super().__init__(daemon=True)
        self.masters, self.workers = masters, workers
        self.web: list[float] = []
        self.task: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1.0):
            self.web += [rss_mib(c) for m in self.masters for c in children(m)]
            self.task += [rss_mib(w.pid) for w in self.workers if w.poll() is None]

    def summary(self) -> dict[str, float]:
        def mean(values: list[float]) -> float:
            return sum(values) / len(values) if values else 0.0

        return {
            "web_mean": mean(self.web),
            "web_max": max(self.web, default=0.0),
            "task_max": max(self.task, default=0.0),
        }


# -- the portal as a person sees it -----------------------------------------------------


def signed_in(base_url: str, upn: str) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    start = session.get(f"{base_url}/auth/sign-in/microsoft", allow_redirects=False, timeout=60)
    authorize = urlsplit(start.headers["Location"])
    form = {**dict(parse_qsl(authorize.query)), "username": upn, "password": demo.DEMO_PASSWORD}
    answer = session.post(
        urlunsplit(authorize._replace(query="")), data=form, allow_redirects=False, timeout=60
    )
    callback = urlsplit(answer.headers["Location"])
    finished = session.get(
        f"{base_url}{callback.path}?{callback.query}", allow_redirects=False, timeout=60
    )
    if finished.status_code != 302:
        raise RuntimeError(f"sign-in as {upn} failed: {finished.status_code}")
    return session


def csrf(session: requests.Session) -> str:
    return session.cookies["csrftoken"]


def start_job(base_url: str, targets: list[str], value: str) -> str:
    """Uploads a file setting `value` on `targets` and applies its dry run; the job's id."""
    session = signed_in(base_url, ADA)
    session.get(f"{base_url}/bulk/upload", timeout=60)
    set_name, name = EDIT_ATTRIBUTE
    rows = "".join(f"{t},user,{value}\n" for t in targets)
    upload = session.post(
        f"{base_url}/bulk/upload",
        data={"csrfmiddlewaretoken": csrf(session), "reason": "load test bulk job"},
        files={"file": ("load.csv", f"objectId,objectType,{set_name}/{name}\n{rows}", "text/csv")},
        allow_redirects=False,
        timeout=600,
    )
    if upload.status_code != 302:
        raise RuntimeError(f"the upload was refused: {upload.status_code} {upload.text[:500]}")
    job_url = upload.headers["Location"]
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1]
    applied = session.post(
        f"{base_url}/bulk/jobs/{job_id}/apply",
        data={"csrfmiddlewaretoken": csrf(session)},
        allow_redirects=False,
        timeout=60,
    )
    if applied.status_code != 302:
        raise RuntimeError(f"apply was refused: {applied.status_code} {applied.text[:500]}")
    return job_id


def member_ids(emulator: EmulatorProcess, token: str, count: int) -> list[str]:
    found: list[str] = []
    url = "/users?$select=id,userType&$top=999"
    while url and len(found) < count:
        page = emulator.graph("GET", url, token=token).json()
        found += [u["id"] for u in page["value"] if u.get("userType") == "Member"]
        url = page.get("@odata.nextLink", "").split("/v1.0", 1)[-1]
    # The demo accounts themselves are left alone.
    accounts = {a.object_id for a in demo.DEMO_ACCOUNTS}
    return [i for i in found if i not in accounts][:count]


# -- one configuration --------------------------------------------------------------------


def run_config(
    config: Config,
    *,
    emulator: EmulatorProcess,
    env: dict[str, str],
    workdir: Path,
    args: argparse.Namespace,
    plan: dict[str, Any],
    round_number: int,
) -> Result:
    import django

    django.setup()
    from attributes.models import AuditRecord

    logs = workdir / f"logs-{round_number}"
    logs.mkdir()
    first_seq = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    first_write = (emulator.writes() or [{"seq": 0}])[-1]["seq"]
    from portal.models import WriteBudget

    # Both buckets full at the start of each configuration.
    emulator.set_faults(latency_ms=50)
    emulator.set_write_quota(**QUOTA)
    WriteBudget.objects.all().delete()
    with gunicorns(env, config.instances, logs) as (web, urls):
        workers = [start_worker(env, logs, n) for n in range(config.workers)]
        try:
            value = f"2031-01-{round_number:02d}"
            plan["job_id"] = start_job(urls[0], plan["bulk_targets"], value)
            plan_file = workdir / f"plan-{round_number}.json"
            plan_file.write_text(json.dumps(plan), "utf-8")
            if args.faults:
                emulator.set_faults(latency_ms=50, **FAULTS)
            sampler = Sampler([p.pid for p in web], workers)
            sampler.start()
            killed: list[str] = []
            killer = (
                _kill_the_workers_later(workers, env, logs, plan["job_id"], killed)
                if args.faults
                else None
            )
            started = time.monotonic()
            out = run_locust(urls, plan_file, logs, args)
            seconds = time.monotonic() - started
            emulator.set_faults()
            job = wait_for_job(plan["job_id"], args.job_timeout)
            if killer:
                killer.join(timeout=1)
            sampler.stop.set()
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=60)
    result = Result(
        config=config,
        seconds=seconds,
        stats=_locust_stats(logs / "locust_stats.csv"),
        statuses=Counter(),
        violations=out["violations"],
        rss=sampler.summary(),
        checks={},
        job=job,
        killed="; ".join(killed) or ("the job never reached a tenth" if args.faults else ""),
    )
    for row in out["statuses"]:
        result.statuses[row["status"]] += row["count"]
    check_consistency(result, emulator, env, first_seq, first_write)
    return result


def _kill_the_workers_later(
    workers: list[subprocess.Popen[bytes]],
    env: dict[str, str],
    logs: Path,
    job_id: str,
    killed: list[str],
) -> threading.Thread:
    """Once a tenth of the job is applied, SIGKILLs every task worker (so surely the one
    holding the job's lease) and starts them again 5 s later."""
    from attributes.models import BulkJob, ItemState, JobState

    def kill_and_restart() -> None:
        job = BulkJob.objects.get(pk=job_id)
        total = job.items.count()
        while job.items.filter(state=ItemState.APPLIED).count() < total / 10:
            time.sleep(0.5)
        if BulkJob.objects.get(pk=job_id).state == JobState.COMPLETED:
            killed.append("the job finished before the kill")
            return
        applied = job.items.filter(state=ItemState.APPLIED).count()
        for worker in workers:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        killed.append(f"SIGKILL to {len(workers)} task worker(s) at {applied}/{total} items")
        print(f"   {killed[-1]}; starting them again in 5 s", flush=True)
        time.sleep(5)
        workers[:] = [start_worker(env, logs, n) for n in range(len(workers))]

    thread = threading.Thread(target=kill_and_restart, daemon=True)
    thread.start()
    return thread


def run_locust(
    urls: list[str], plan_file: Path, logs: Path, args: argparse.Namespace
) -> dict[str, Any]:
    out = logs / "locust-out.json"
    env = {
        **os.environ,
        "LOAD_HOSTS": ",".join(urls),
        "LOAD_PLAN": str(plan_file),
        "LOAD_OUT": str(out),
    }
    command = [
        str(BIN / "locust"), "-f", str(ROOT / "bench" / "load" / "locustfile.py"),
        "--headless", "--users", str(args.users), "--spawn-rate", str(max(1, args.users // 5)),
        "--run-time", f"{args.duration}s", "--stop-timeout", "30",
        "--csv", str(logs / "locust"), "--only-summary", "--loglevel", "WARNING",
        "--host", urls[0],
    ]  # fmt: skip
    with (logs / "locust.log").open("wb") as log:
        subprocess.run(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    if not out.exists():
        raise RuntimeError(f"locust wrote no results:\n{(logs / 'locust.log').read_text()[-3000:]}")
    return json.loads(out.read_text("utf-8"))


def _locust_stats(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def wait_for_job(job_id: str, timeout: float) -> str:
    from attributes.models import BulkJob, JobState

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = BulkJob.objects.get(pk=job_id).state
        if state in {JobState.COMPLETED, JobState.CANCELLED}:
            return str(state)
        time.sleep(1)
    return str(BulkJob.objects.get(pk=job_id).state)


# -- the checks ---------------------------------------------------------------------------


def check_consistency(
    result: Result, emulator: EmulatorProcess, env: dict[str, str], first_seq: int, first_write: int
) -> None:
    from attributes.models import AuditRecord, Outcome

    checks, failed = result.checks, result.failed

    def check(name: str, ok: bool, detail: str) -> None:
        checks[name] = ("pass: " if ok else "FAIL: ") + detail
        if not ok:
            failed.append(name)

    check(
        "no 500s, every 5xx the portal's own page",
        not result.violations,
        "; ".join(f"{k} x{v}" for k, v in result.violations.items()) or "none",
    )
    verify = manage(env, "audit_verify")
    check(
        "manage.py audit_verify",
        verify.returncode == 0,
        (verify.stdout or verify.stderr).splitlines()[0],
    )
    records = list(AuditRecord.objects.filter(seq__gt=first_seq).order_by("seq"))
    pending = [r.seq for r in records if r.outcome == Outcome.PENDING]
    check("no audit record left pending", not pending, f"{len(pending)} pending")
    succeeded = [r for r in records if r.outcome == Outcome.SUCCEEDED]
    writes = [
        w
        for w in emulator.writes(first_write)
        if w["app_id"] == demo.PORTAL_CLIENT_ID
        and w["method"] == "PATCH"
        and 200 <= w["handler_status"] < 300
    ]
    audited = Counter(r.target_id for r in succeeded)
    written = Counter(w["target_id"] for w in writes)
    lost = sum((audited - written).values())
    duplicated = sum((written - audited).values())
    check(
        "audit count = writes",
        lost == 0 and duplicated == 0,
        f"{len(succeeded):,} succeeded audit records, {len(writes):,} writes; "
        f"audited but not written {lost}, written more than audited {duplicated}",
    )
    latest: dict[tuple[str, str, str], Any] = {}
    for record in succeeded:
        # An assignment's record holds {"value": ...}; None when the value was removed.
        latest[(record.target_id, record.attribute_set, record.attribute)] = (
            record.after or {}
        ).get("value")
    wrong = state_mismatches(emulator, latest)
    check(
        "Graph holds each audited 'after'",
        not wrong,
        f"{len(latest):,} values compared, {len(wrong)} differ"
        + (f" (e.g. {wrong[0]})" if wrong else ""),
    )
    check("the bulk job completed", result.job == "completed", result.job)
    if result.killed:
        check(
            "the task workers were killed mid-job",
            result.killed.startswith("SIGKILL"),
            result.killed,
        )


def state_mismatches(
    emulator: EmulatorProcess, latest: dict[tuple[str, str, str], Any]
) -> list[str]:
    token = emulator.password_token(ADA)
    targets = sorted({target for target, _, _ in latest})
    held: dict[str, dict[str, Any]] = {}
    for start in range(0, len(targets), 20):
        chunk = targets[start : start + 20]
        batch = {
            "requests": [
                {"id": t, "method": "GET", "url": f"/users/{t}?$select=id,customSecurityAttributes"}
                for t in chunk
            ]
        }
        answer = emulator.graph("POST", "/$batch", token=token, json=batch).json()
        for item in answer["responses"]:
            held[item["id"]] = (item.get("body") or {}).get("customSecurityAttributes") or {}
    wrong = []
    for (target, set_name, name), after in latest.items():
        now = (held.get(target, {}).get(set_name) or {}).get(name)
        if now != after:
            wrong.append(f"{target} {set_name}/{name}: Graph {now!r}, audit {after!r}")
    return wrong


# -- the report ---------------------------------------------------------------------------


def report(results: list[Result], args: argparse.Namespace) -> None:
    faults = " under faults" if args.faults else ""
    print(f"\n### The load{faults}: {args.users} locust users, {args.duration} s per configuration, "
          f"{args.seed}, Graph 50 ms away, one bulk job of {args.job_size:,} items\n")  # fmt: skip
    if args.faults:
        print(
            "Faults while locust ran: 429s from the emulator's quota bucket, 5% random 5xx, 2% 2-s stalls, "
            "1% dropped connections; every task worker SIGKILLed once a tenth of the job was "
            "applied, and started again 5 s later.\n"
        )
    print(
        "| instances | task workers | requests/s | p50 ms | p95 ms | p99 ms | requests | "
        "non-2xx/3xx | web worker RSS mean / max MiB | task worker RSS max MiB | bulk job |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")  # fmt: skip
    for r in results:
        total = _row(r, "Aggregated")
        errors = sum(n for s, n in r.statuses.items() if not 200 <= s < 400)
        count = sum(r.statuses.values())
        print(
            f"| {r.config.instances} | {r.config.workers} | {float(total['Requests/s']):.1f} "
            f"| {total['50%']} | {total['95%']} | {total['99%']} | {count:,} "
            f"| {errors / count if count else 0:.1%} | {r.rss['web_mean']:.0f} / {r.rss['web_max']:.0f} "
            f"| {r.rss['task_max']:.0f} | {r.job} |"
        )
    last = results[-1]
    print(
        f"\n#### Per page ({last.config.instances} instances, {last.config.workers} task workers)\n"
    )
    print("| page | requests | requests/s | p50 ms | p95 ms | p99 ms | failures |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in last.stats:
        if row["Name"] != "Aggregated":
            print(
                f"| `{row['Name']}` | {int(row['Request Count']):,} | {float(row['Requests/s']):.2f} "
                f"| {row['50%']} | {row['95%']} | {row['99%']} | {row['Failure Count']} |"
            )
    print("\n#### Responses by status\n")
    print(
        "| instances | task workers | " + " | ".join(str(s) for s in _all_statuses(results)) + " |"
    )
    print("|---:|---:|" + "---:|" * len(_all_statuses(results)))
    for r in results:
        cells = " | ".join(f"{r.statuses.get(s, 0):,}" for s in _all_statuses(results))
        print(f"| {r.config.instances} | {r.config.workers} | {cells} |")
    print("\n#### Consistency checks\n")
    print("| instances | task workers | check | result |")
    print("|---:|---:|---|---|")
    for r in results:
        for name, outcome in r.checks.items():
            print(f"| {r.config.instances} | {r.config.workers} | {name} | {outcome} |")


def _row(result: Result, name: str) -> dict[str, str]:
    return next(row for row in result.stats if row["Name"] == name)


def _all_statuses(results: list[Result]) -> list[int]:
    return sorted({s for r in results for s in r.statuses})


def configurations(instances: list[int], workers: list[int]) -> list[Config]:
    found = [Config(i, min(workers)) for i in instances]
    return found + [Config(max(instances), w) for w in workers if w != min(workers)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--duration", type=int, default=120, help="seconds of load per configuration"
    )
    parser.add_argument("--users", type=int, default=30, help="locust users")
    parser.add_argument("--instances", default="1", help="portal instances, e.g. 1,2,4")
    parser.add_argument("--workers", default="1", help="task workers, e.g. 1,2")
    parser.add_argument("--faults", action="store_true", help="faults and a worker kill")
    parser.add_argument("--quick", action="store_true", help="a ~1 minute smoke run")
    parser.add_argument("--seed", default="large:50000")
    parser.add_argument("--job-size", type=int, default=0, help="bulk job items (300 + 16/s)")
    parser.add_argument("--job-timeout", type=float, default=600.0)
    args = parser.parse_args()
    if args.quick:
        args.duration, args.users = 45, 8
        args.seed = "large:5000" if args.seed == "large:50000" else args.seed
        args.instances, args.workers = args.instances.split(",")[-1], args.workers.split(",")[-1]
    # The burst, then about 80% of the quota's 20 a second for the run: the job runs
    # throughout, with room left for the edits.
    args.job_size = args.job_size or 300 + 16 * args.duration
    configs = configurations(
        [int(n) for n in args.instances.split(",")], [int(n) for n in args.workers.split(",")]
    )
    with tempfile.TemporaryDirectory(prefix="bench-load-") as scratch:
        workdir = Path(scratch)
        print(f"Starting the emulator with {args.seed} …", flush=True)
        emulator = EmulatorProcess(seed=args.seed, ca_dir=workdir / "ca").start(timeout=600)
        try:
            env = portal_env(emulator)
            if args.faults:
                del env["PORTAL_WRITE_QUOTA"]
            os.environ.update(env)
            fresh_database()
            migrated = manage(env, "migrate", "--noinput")
            if migrated.returncode:
                raise RuntimeError(migrated.stderr)
            manage(env, "collectstatic", "--noinput")
            token = emulator.password_token(ADA)
            members = member_ids(emulator, token, args.job_size + 300)
            plan = {
                "bulk_targets": members[: args.job_size],
                "edit_targets": members[args.job_size :],
                "edit_attribute": "_".join(EDIT_ATTRIBUTE),
                "search_terms": SEARCH_TERMS,
                "find_queries": FIND_QUERIES,
            }
            results = []
            for n, config in enumerate(configs, start=1):
                print(f"{n}/{len(configs)}: {config.instances} instance(s), "
                      f"{config.workers} task worker(s) …", flush=True)  # fmt: skip
                results.append(
                    run_config(
                        config,
                        emulator=emulator,
                        env=env,
                        workdir=workdir,
                        args=args,
                        plan=plan,
                        round_number=n,
                    )
                )
        finally:
            emulator.stop()
    report(results, args)
    failed = [
        f"{r.config.instances}x{r.config.workers}: {name}" for r in results for name in r.failed
    ]
    if failed:
        print("\nFailed checks: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
