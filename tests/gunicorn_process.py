"""Run gunicorn as `make serve` and the Dockerfile do: the same config module, the same app.

settings = load_config({"GUNICORN_WORKERS": "3"})      # what gunicorn would read
with running_gunicorn(env, logs=tmp_path) as base_url:  # a real process on a free port
    requests.get(f"{base_url}/healthz")
"""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from gunicorn.app.base import Application
from gunicorn.config import Config

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_MODULE = "portal.gunicorn_config"
CONFIG = f"python:{CONFIG_MODULE}"
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


VARIABLES = (
    "GUNICORN_WORKERS",
    "GUNICORN_THREADS",
    "GUNICORN_TIMEOUT",
    "GUNICORN_GRACEFUL_TIMEOUT",
    "GUNICORN_KEEPALIVE",
    "GUNICORN_MAX_REQUESTS",
)


class _ConfigOnly(Application):
    """gunicorn's own loading of a config module, without an app to serve."""

    def load_config(self) -> None:
        self.load_config_from_module_name_or_filename(CONFIG)

    def init(self, parser: Any, opts: Any, args: Any) -> None:
        raise NotImplementedError

    def load(self) -> Any:
        raise NotImplementedError


def load_config(environment: Mapping[str, str]) -> Config:
    """The settings gunicorn reads from the config module when the GUNICORN_* variables are
    `environment` (any left out are unset)."""
    saved = {name: os.environ.get(name) for name in VARIABLES}

    def run_config_module(values: Mapping[str, str | None]) -> None:
        for name, value in values.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        # The module reads the environment when it is executed, so it runs again here.
        importlib.reload(importlib.import_module(CONFIG_MODULE))

    try:
        run_config_module({name: environment.get(name) for name in VARIABLES})
        return _ConfigOnly().cfg
    finally:
        run_config_module(saved)


def _wait_until_healthy(process: subprocess.Popen[bytes], base_url: str, logs: Path) -> None:
    with requests.Session() as session:
        session.trust_env = False
        # The socket listens before gunicorn starts, so each attempt waits in its backlog
        # until a worker answers; an attempt fails fast only if gunicorn has gone.
        for _ in range(20):
            if process.poll() is not None:
                break
            try:
                if session.get(f"{base_url}/healthz", timeout=30).status_code == 200:
                    return
            except requests.ConnectionError:
                continue
    raise AssertionError(
        f"gunicorn did not become healthy (exit code {process.poll()}):\n"
        + "".join(
            (logs / name).read_text("utf-8", "replace")
            for name in ("error.log", "output.log")
            if (logs / name).exists()
        )
    )


@contextmanager
def running_gunicorn(
    environment: Mapping[str, str], *, logs: Path, extra_args: tuple[str, ...] = ()
) -> Iterator[str]:
    """gunicorn with the shared config, its access log in `logs/access.log` and its error log
    in `logs/error.log`; yields the base URL. Stopped on the way out, so once the block is
    left every line it wrote is in the files."""
    # A socket bound here and handed over (fd://) is a free port that nothing else can take
    # between choosing it and gunicorn listening on it.
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    command = [
        GUNICORN, "portal.wsgi:application",
        "--config", CONFIG,
        "--bind", f"fd://{listener.fileno()}",
        "--access-logfile", str(logs / "access.log"),
        "--error-logfile", str(logs / "error.log"),
        *extra_args,
    ]  # fmt: skip
    try:
        with (logs / "output.log").open("wb") as output:
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=dict(environment),
                pass_fds=[listener.fileno()],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
    finally:
        # Only gunicorn holds the socket now: if it dies, connections fail instead of waiting.
        listener.close()
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_healthy(process, base_url, logs)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
