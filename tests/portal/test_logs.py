"""LOG_FORMAT=json: every line the portal writes is one JSON object, with the request id,
the person's Entra object id and, at the end of each request, a summary with Graph's
request-ids; still without a query value or a token (portal.logs, portal.log_redaction)."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import include, path

from attributes.bulk import jobs
from attributes.models import BulkJob, JobState
from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from portal.auth.msal_app import CACHE_KEY
from tests.attributes.bulk_helpers import draft, graph_of, users
from tests.attributes.test_bulk_worker import ROOT, _env

SEARCH = "Secret-search-term-7f3"


@login_not_required
def _fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(f"a bug while serving {request.get_full_path()}")


urlpatterns = [path("test-only/fails", _fails), path("", include("portal.urls"))]
handler500 = "portal.views.server_error"


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """What the console handler (LOGGING's, in its default JSON format) writes, parsed line
    by line: a line that is not one JSON object fails the test."""
    (console,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    assert isinstance(console, logging.StreamHandler)
    written = io.StringIO()
    before = console.setStream(written)
    try:
        yield lambda: [json.loads(line) for line in written.getvalue().splitlines()]
    finally:
        console.setStream(before)


def _last_seq(emu: EmulatorProcess) -> int:
    return max((entry["seq"] for entry in emu.requests_log()), default=0)


def _tokens(client: Client) -> list[str]:
    cache = json.loads(client.session[CACHE_KEY])
    secrets = [
        entry["secret"]
        for kind in ("AccessToken", "RefreshToken", "IdToken")
        for entry in cache.get(kind, {}).values()
    ]
    assert secrets
    return secrets


@pytest.mark.django_db
def test_a_request_that_calls_graph_logs_its_summary_with_graphs_request_ids(
    signed_in: Callable[[str], Client],
    emu: EmulatorProcess,
    log_lines: Callable[[], list[dict[str, Any]]],
) -> None:
    ada = signed_in("ada.admin@contoso.example")
    since = _last_seq(emu)
    response = ada.get("/objects/", {"q": SEARCH}, headers={"X-Request-ID": "probe-logs-00001"})
    assert response.status_code == 200

    lines = [line for line in log_lines() if line["request_id"] == "probe-logs-00001"]
    summary = lines[-1]
    assert summary["logger"] == "portal.request"
    assert summary["level"] == "INFO"
    assert summary["time"].endswith("Z")
    assert (summary["method"], summary["path"], summary["status"]) == ("GET", "/objects/?q", 200)
    assert summary["duration_ms"] > 0
    assert summary["user"] == demo.ADA.object_id
    trips = int(response["X-Graph-Round-Trips"])
    assert trips >= 1
    assert summary["graph_round_trips"] == trips
    answered = {entry["request_id"] for entry in emu.requests_log(since)}
    assert len(set(summary["graph_request_ids"])) == trips
    assert set(summary["graph_request_ids"]) <= answered
    # The Graph client's own lines belong to the request and the person too.
    calls = [line for line in lines if line["logger"] == "portal.graph"]
    assert len(calls) == trips
    assert all(line["user"] == demo.ADA.object_id for line in calls)
    everything = json.dumps(log_lines())
    assert SEARCH not in everything
    for token in _tokens(ada):
        assert token not in everything
    assert "Bearer" not in everything


@pytest.mark.django_db
def test_a_failure_logs_its_traceback_in_a_field_without_the_query(
    log_lines: Callable[[], list[dict[str, Any]]],
) -> None:
    client = Client(raise_request_exception=False)
    with override_settings(ROOT_URLCONF=__name__):
        response = client.get("/test-only/fails", {"code": "auth-code-that-is-a-credential"})
    assert response.status_code == 500
    (error,) = [line for line in log_lines() if line["level"] == "ERROR"]
    assert error["request_id"] == response["X-Request-ID"]
    assert error["user"] == "-"
    assert "Traceback (most recent call last)" in error["exception"]
    assert "RuntimeError: a bug while serving /test-only/fails?code" in error["exception"]
    assert "auth-code-that-is-a-credential" not in json.dumps(log_lines())
    (summary,) = [line for line in log_lines() if line["logger"] == "portal.request"]
    assert (summary["path"], summary["status"]) == ("/test-only/fails?code", 500)


@pytest.mark.django_db(transaction=True)
def test_the_bulk_job_worker_logs_json_with_the_job_id_as_request_id(
    signed_in: Callable[[str], Client], emu: EmulatorProcess
) -> None:
    ada = signed_in("ada.admin@contoso.example")  # the job runs with this sign-in's tokens
    graph = graph_of(emu)
    job = draft(graph, users(graph, 5), "Engineering_ProjectDate", "set", "2029-03-01")
    since = _last_seq(emu)
    assert jobs.apply(job, verify=False)
    environment = {**_env(emu), "LOG_LEVEL": "INFO"}
    environment.pop("LOG_FORMAT", None)  # the default with DEBUG off
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
         "--interval", "0.1", "--verbosity", "0"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while BulkJob.objects.get(pk=job.pk).state != JobState.COMPLETED:
            assert time.monotonic() < deadline, "the worker did not finish the job"
            assert worker.poll() is None, "the worker stopped"
            time.sleep(0.05)
    finally:
        worker.terminate()
        _, errors = worker.communicate(timeout=30)
    lines = [json.loads(line) for line in errors.decode().splitlines()]
    slices = [line for line in lines if line.get("job_id") == str(job.pk)]
    assert slices, lines
    assert all(line["request_id"] == str(job.pk) for line in slices)
    assert all(line["user"] == demo.ADA.object_id for line in slices)
    assert sum(line["graph_round_trips"] for line in slices) >= 2  # reads, then the $batch
    request_ids = [rid for line in slices for rid in line["graph_request_ids"]]
    batches = [w["request_id"] for w in emu.requests_log(since) if w["path"].endswith("$batch")]
    assert batches
    assert set(batches) <= set(request_ids)
    calls = [line for line in lines if line["logger"] == "portal.graph"]
    assert calls
    assert all(line["request_id"] == str(job.pk) for line in calls)
    for token in _tokens(ada):
        assert token not in errors.decode()
