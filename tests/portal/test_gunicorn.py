"""gunicorn as `make serve` and the Dockerfile run it, and what its logs keep of a sign-in.

The access-log test starts a real gunicorn with the shared config module, DEBUG off and
SQLite in a temporary directory, signs in against the session's emulator with a
requests.Session that follows the redirects a browser follows, and then reads the log
file gunicorn wrote.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured

from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from tests.gunicorn_process import CONFIG, REPO_ROOT, load_config, running_gunicorn
from tests.html import Html

UPN = "ada.admin@contoso.example"


def _recipe(target: str) -> str:
    """A Makefile target's recipe, continuation lines joined."""
    makefile = (REPO_ROOT / "Makefile").read_text()
    recipe = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, f"no {target} target in the Makefile"
    return re.sub(r"\\\n\s*", " ", recipe.group(1))


def test_make_serve_runs_gunicorn_with_the_shared_config() -> None:
    assert f"gunicorn portal.wsgi:application --config {CONFIG} " in _recipe("serve")


def test_the_config_reads_workers_threads_and_timeout_from_the_environment() -> None:
    defaults = load_config({})
    assert (defaults.workers, defaults.threads, defaults.timeout) == (2, 8, 120)
    assert (defaults.graceful_timeout, defaults.keepalive) == (60, 75)
    assert (defaults.max_requests, defaults.max_requests_jitter) == (2000, 200)
    assert defaults.worker_class_str == "gthread"
    chosen = load_config(
        {"GUNICORN_WORKERS": "5", "GUNICORN_THREADS": "1", "GUNICORN_TIMEOUT": "90"}
    )
    assert (chosen.workers, chosen.threads, chosen.timeout) == (5, 1, 90)
    chosen = load_config(
        {
            "GUNICORN_GRACEFUL_TIMEOUT": "25",
            "GUNICORN_KEEPALIVE": "130",
            "GUNICORN_MAX_REQUESTS": "0",
        }
    )
    assert (chosen.graceful_timeout, chosen.keepalive) == (25, 130)
    assert (chosen.max_requests, chosen.max_requests_jitter) == (0, 0)


def test_a_malformed_worker_count_stops_gunicorn_with_a_message() -> None:
    with pytest.raises(ImproperlyConfigured, match="GUNICORN_WORKERS='many' is not a whole number"):
        load_config({"GUNICORN_WORKERS": "many"})


def test_the_config_logs_requests_to_stdout_without_a_control_socket() -> None:
    settings = load_config({})
    assert settings.accesslog == "-"
    assert settings.errorlog == "-"
    assert settings.control_socket_disable is True


@pytest.fixture
def gunicorn_loggers() -> Iterator[None]:
    """gunicorn's loggers are global: what a test's Logger attaches to them goes again."""
    loggers = [logging.getLogger(name) for name in ("gunicorn.error", "gunicorn.access")]
    before = [(list(log.handlers), list(log.filters)) for log in loggers]
    try:
        yield
    finally:
        for log, (handlers, filters) in zip(loggers, before, strict=True):
            for handler in [h for h in log.handlers if h not in handlers]:
                log.removeHandler(handler)
                handler.close()
            log.filters[:] = filters


def test_the_logger_class_keeps_only_parameter_names_in_both_logs(
    tmp_path: Path, gunicorn_loggers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOG_FORMAT", "plain")
    settings = load_config({})
    settings.set("accesslog", str(tmp_path / "access.log"))
    settings.set("errorlog", str(tmp_path / "error.log"))
    settings.set("access_log_format", '"%(r)s" %(s)s q=%(q)s "%(f)s" "%({x-original-uri}i)s"')
    logger = settings.logger_class(settings)
    logger.setup(settings)  # as a reload (SIGHUP) does
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/auth/callback?code=abc&state=xyz",
        "PATH_INFO": "/auth/callback",
        "QUERY_STRING": "code=abc&state=xyz",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": "https://login.example/t/oauth2/v2.0/authorize?state=xyz",
    }
    request = SimpleNamespace(
        headers=[
            ("REFERER", environ["HTTP_REFERER"]),
            ("X-ORIGINAL-URI", environ["RAW_URI"]),
        ]
    )
    response = SimpleNamespace(status="302 Found", sent=0, headers=[("Location", "/")])
    logger.access(response, request, environ, timedelta(milliseconds=3))
    logger.warning(
        "Invalid request from ip=127.0.0.1: Invalid HTTP request line: %r", "GET /x?code=abc"
    )

    access_log = (tmp_path / "access.log").read_text()
    assert access_log == (
        '"GET /auth/callback?code&state HTTP/1.1" 302 q=code&state '
        '"https://login.example/t/oauth2/v2.0/authorize?state" "/auth/callback?code&state"\n'
    )
    error_log = (tmp_path / "error.log").read_text()
    assert "Invalid HTTP request line: 'GET /x?code" in error_log
    assert "abc" not in error_log
    assert len(logger.error_log.filters) == 1


def test_with_json_logs_both_of_gunicorns_logs_are_json_without_query_values(
    tmp_path: Path, gunicorn_loggers: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOG_FORMAT", raising=False)  # the default with DEBUG off
    settings = load_config({})
    settings.set("accesslog", str(tmp_path / "access.log"))
    settings.set("errorlog", str(tmp_path / "error.log"))
    logger = settings.logger_class(settings)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/sets/?q=secret-term",
        "PATH_INFO": "/sets/",
        "QUERY_STRING": "q=secret-term",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", sent=0, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    logger.warning("Invalid request: %r", "GET /x?code=abc")

    (access,) = [json.loads(line) for line in (tmp_path / "access.log").read_text().splitlines()]
    assert access["logger"] == "gunicorn.access"
    assert '"GET /sets/?q HTTP/1.1" 200' in access["message"]
    errors = [json.loads(line) for line in (tmp_path / "error.log").read_text().splitlines()]
    assert errors[-1]["level"] == "WARNING"
    assert errors[-1]["message"].startswith("Invalid request: 'GET /x?code")
    assert "abc" not in (tmp_path / "error.log").read_text()
    assert "secret-term" not in (tmp_path / "access.log").read_text()


@pytest.fixture
def portal_environment(emulator: EmulatorProcess, tmp_path: Path) -> dict[str, str]:
    """What the portal needs to run against the emulator (as tests/conftest.py points the
    in-process settings at it), as environment variables, with a migrated database."""
    # Nothing else of this process's environment: a DATABASE_URL or PORTAL_AUDIT_KEY_FILE
    # of its own would win over the values below.
    passed_on = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    environment = {
        **passed_on,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "false",
        "SECRET_KEY": "gunicorn-access-log-test-secret-key-0123456789",
        "PORTAL_AUDIT_KEY": "gunicorn-access-log-test-audit-key-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_COOKIES": "false",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "PORTAL_TENANT_ID": demo.TENANT_ID,
        "PORTAL_CLIENT_ID": demo.PORTAL_CLIENT_ID,
        "PORTAL_CLIENT_SECRET": demo.PORTAL_CLIENT_SECRET,
        # DEBUG off with the demo client, as `make serve` runs it (portal/checks.py).
        "PORTAL_ALLOW_DEMO_CLIENT": "true",
        "PORTAL_AUTHORITY": emulator.authority,
        "PORTAL_GRAPH_URL": emulator.graph_root,
        "PORTAL_CA_BUNDLE": str(emulator.ca_path),
        "PORTAL_CSP_FORM_ACTION": emulator.browser_url.rstrip("/"),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
        # The lines are compared as text; the JSON form has its own test above.
        "LOG_FORMAT": "plain",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=REPO_ROOT,
        env=environment,
        check=True,
        capture_output=True,
    )
    return environment


def _sign_in(browser: requests.Session, portal: str, upn: str) -> tuple[str, str]:
    """Portal → the emulator's sign-in page → its form → the portal's callback, as a browser
    goes; returns the callback URL the emulator sent the browser to, and the page's URL."""
    start = browser.get(
        f"{portal}/auth/sign-in/microsoft", params={"next": "/sets/"}, allow_redirects=False
    )
    assert start.status_code == 302, start.text[:2000]
    page = browser.get(start.headers["Location"], timeout=30)
    assert page.status_code == 200, page.text[:2000]
    form = Html(page.text).one("form[method=post]")
    fields = {
        str(field.get("name")): field.get("value") or "" for field in form.css("input[type=hidden]")
    }
    signed_in = browser.post(
        urljoin(page.url, form.get("action") or ""),
        data={**fields, "username": upn, "password": demo.DEMO_PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code in {302, 303}, signed_in.text[:2000]
    callback_url = signed_in.headers["Location"]
    assert callback_url.startswith(f"{portal}/auth/callback?")
    # A browser may send the sign-in page's address, its state included, as the Referer.
    finished = browser.get(
        callback_url, headers={"Referer": page.url}, allow_redirects=False, timeout=30
    )
    assert finished.status_code == 302, finished.text[:2000]
    assert finished.headers["Location"] == "/sets/"
    return callback_url, page.url


def _send_raw(base_url: str, request_line: str) -> bytes:
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as connection:
        connection.sendall(f"{request_line}\r\nHost: 127.0.0.1\r\n\r\n".encode())
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    return answer


def test_a_sign_in_leaves_no_code_or_state_in_gunicorns_logs(
    emulator: EmulatorProcess, portal_environment: dict[str, str], tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    with running_gunicorn(portal_environment, logs=logs) as portal, requests.Session() as browser:
        browser.trust_env = False
        browser.verify = str(emulator.ca_path)
        callback_url, sign_in_page = _sign_in(browser, portal, UPN)
        raw_query = urlsplit(callback_url).query
        values = dict(parse_qsl(raw_query))
        # A request line gunicorn cannot parse is quoted in its error log.
        assert _send_raw(portal, f"GET /auth/callback?{raw_query}").startswith(b"HTTP/1.1 400 ")

    access_log = (logs / "access.log").read_text()
    error_log = (logs / "error.log").read_text()
    # The callback's line is there, so a code or state in it would be seen.
    (callback_line,) = [line for line in access_log.splitlines() if "/auth/callback" in line]
    secrets = {
        values["code"],
        values["state"],
        *(field.split("=", 1)[1] for field in raw_query.split("&") if "=" in field),
    }
    assert "code=" not in callback_line
    assert "state=" not in callback_line
    assert not [secret for secret in secrets if secret in callback_line]
    names = "&".join(field.split("=", 1)[0] for field in raw_query.split("&"))
    assert names.startswith("code&state")
    assert f'"GET /auth/callback?{names} HTTP/1.1" 302 ' in callback_line
    # The Referer, the sign-in page's address, keeps its parameters' names only too.
    page_address, page_query = sign_in_page.split("?", 1)
    page_names = "&".join(field.split("=", 1)[0] for field in page_query.split("&"))
    assert "state" in page_names.split("&")
    assert f'"{page_address}?{page_names}"' in callback_line
    assert '"GET /auth/sign-in/microsoft?next HTTP/1.1" 302 ' in access_log
    # The closing quote goes with the last value: a quote in a value must not end the query.
    assert f"Invalid HTTP request line: 'GET /auth/callback?{names}\n" in error_log
    for log in (access_log, error_log):
        assert "code=" not in log
        assert "state=" not in log
        assert not [secret for secret in secrets if secret in log]
