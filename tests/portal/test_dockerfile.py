"""Docker cannot build on our machines, so the Dockerfile's promises are checked by reading it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.gunicorn_process import CONFIG, load_config

DOCKERFILE = (Path(__file__).resolve().parents[2] / "Dockerfile").read_text()


def _stages() -> list[list[str]]:
    """Instructions per stage, with continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    stages: list[list[str]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


def test_it_is_multi_stage_on_slim_python_313() -> None:
    stages = _stages()
    assert len(stages) >= 2
    for stage in stages:
        assert re.match(r"FROM python:3\.13-slim\b", stage[0])


def test_dependencies_come_from_the_lock_file() -> None:
    build = " ".join(_stages()[0])
    assert "pip install --require-virtualenv -r requirements/prod.lock" in build


def test_static_files_are_collected_at_build_time() -> None:
    assert any("manage.py collectstatic --noinput" in line for line in _stages()[0])


def test_the_runtime_stage_runs_as_a_non_root_user() -> None:
    runtime = _stages()[-1]
    users = [line.split()[1] for line in runtime if line.startswith("USER ")]
    assert users
    assert users[-1] not in {"root", "0"}


def _runtime_environment() -> dict[str, str]:
    environment: dict[str, str] = {}
    for line in _stages()[-1]:
        if line.startswith("ENV "):
            environment.update(pair.split("=", 1) for pair in shlex.split(line[4:]))
    return environment


def test_gunicorn_is_the_entry_point_with_the_shared_config() -> None:
    cmd = next(line for line in _stages()[-1] if line.startswith("CMD "))
    assert f"gunicorn portal.wsgi:application --config {CONFIG} " in cmd
    assert "--bind 0.0.0.0:${PORT}" in cmd
    assert "PORT" in _runtime_environment()


def test_workers_threads_and_timeout_come_from_the_image_environment() -> None:
    variables = ("GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT")
    environment = {name: _runtime_environment()[name] for name in variables}
    settings = load_config(environment)
    assert (settings.workers, settings.threads, settings.timeout) == tuple(
        int(environment[name]) for name in variables
    )


def test_the_healthcheck_calls_healthz() -> None:
    runtime = _stages()[-1]
    healthcheck = next(line for line in runtime if line.startswith("HEALTHCHECK"))
    assert "portal.healthcheck" in healthcheck
    source = (Path(__file__).resolve().parents[2] / "portal" / "healthcheck.py").read_text()
    assert "/healthz" in source


@pytest.mark.parametrize("path", ["requirements/prod.lock", "portal", "templates", "static"])
def test_everything_copied_exists(path: str) -> None:
    assert (Path(__file__).resolve().parents[2] / path).exists()
