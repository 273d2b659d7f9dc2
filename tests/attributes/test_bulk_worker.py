"""A real `manage.py db_worker` process runs a job, is killed mid-job, and a second worker
finishes it: no write is sent twice and every item ends with one audit outcome."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from attributes.bulk import jobs
from attributes.models import AuditRecord, BulkJob, ItemState, JobState, Outcome
from emulator.harness import EmulatorProcess
from tests.attributes.bulk_helpers import draft, graph_of, users

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.smoke]

ROOT = Path(__file__).resolve().parents[2]
LEASE = 2


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _env(emu: EmulatorProcess) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DATABASE_URL": _database_url(),
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,  # the sessions' signatures
        "PORTAL_AUDIT_KEY": os.environ["PORTAL_AUDIT_KEY"],
        "PORTAL_TENANT_ID": settings.PORTAL_TENANT_ID,
        "PORTAL_CLIENT_ID": settings.PORTAL_CLIENT_ID,
        "PORTAL_CLIENT_SECRET": settings.PORTAL_CLIENT_SECRET,
        # DEBUG off with the demo client, as `make serve` runs it (portal/checks.py).
        "PORTAL_ALLOW_DEMO_CLIENT": "true",
        "PORTAL_AUTHORITY": emu.authority,
        "PORTAL_GRAPH_URL": emu.graph_root,
        "PORTAL_CA_BUNDLE": str(emu.ca_path),
        "PORTAL_JOB_LEASE_SECONDS": str(LEASE),
        "PORTAL_JOB_SLICE_SECONDS": "30",
        "PORTAL_WRITE_QUOTA": "40/2",
        "LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def workers(emu: EmulatorProcess) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _start(emu: EmulatorProcess, workers: list[subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
         "--interval", "0.1", "--verbosity", "0"],
        cwd=ROOT, env=_env(emu), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    workers.append(process)
    return process


def _wait_for(condition: Any, what: str, timeout: float = 90.0) -> None:
    """Waits for a state of the database (polling it), failing with `what` if it never comes."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_a_killed_worker_is_taken_over_and_nothing_is_written_twice(
    ada: Client, emu: EmulatorProcess, workers: list[subprocess.Popen[bytes]]
) -> None:
    graph = graph_of(emu)
    targets = users(graph, 150)
    job = draft(graph, targets, "Engineering_ProjectDate", "set", "2028-02-29")
    changing = {i.target_id for i in job.items.filter(state=ItemState.CHANGE)}
    assert len(changing) > 100
    # A small quota (20 writes a second after a burst of 40), so the job is still running
    # when its worker is killed.
    emu.set_write_quota(limit=40, window_seconds=2)
    since = emu.writes()[-1]["seq"] if emu.writes() else 0
    assert jobs.apply(job, verify=False)

    first = _start(emu, workers)
    applied = job.items.filter(state=ItemState.APPLIED)
    _wait_for(lambda: applied.count() >= 20, "the first worker to apply some items")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    assert applied.count() < len(changing), "the job finished before its worker was killed"

    _start(emu, workers)
    _wait_for(
        lambda: BulkJob.objects.get(pk=job.pk).state == JobState.COMPLETED,
        "a second worker to take the job over and finish it",
    )
    patches = Counter(w["target_id"] for w in emu.writes(since) if w["method"] == "PATCH")
    assert patches == Counter(changing)  # each object written once, none twice
    assert applied.count() == len(changing)
    records = AuditRecord.objects.filter(job_id=str(job.id))
    assert sorted(records.values_list("target_id", flat=True)) == sorted(changing)
    assert set(records.values_list("outcome", flat=True)) == {Outcome.SUCCEEDED}
