"""Security review (issue 14), item 5: no token, code or secret reaches a log line.

A real sign-in through MSAL and the emulator, Graph reads and a write, a silent refresh, a
token Graph rejects and a replayed callback run with every logger (msal, urllib3,
django.request, the portal's own) at DEBUG and captured before any filter; then gunicorn's
access log, with the shared config's logger class, records the real callback. None of the
access, refresh or id tokens, the authorization code, the client secret, the session key,
SECRET_KEY or the audit key appears.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings
from django.test import Client

from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from portal.auth.msal_app import CACHE_KEY
from tests.gunicorn_process import load_config
from tests.portal.helpers import expire_cached_access_tokens

ADA = demo.ADA.user_principal_name


class _Everything(logging.Handler):
    """Keeps every record formatted in full: message, exception and stack."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.names: set[str] = set()
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.names.add(record.name)
        self.lines.append(self.format(record))


@pytest.fixture
def every_log_line() -> Iterator[_Everything]:
    """Every logger at DEBUG with the handler attached directly, so neither a level, a
    filter on another handler nor `propagate = False` keeps a record from it."""
    handler = _Everything()
    names = [
        "",
        *logging.root.manager.loggerDict,
        "msal",
        "urllib3",
        "requests",
        "django.request",
        "django.security",
        "django.server",
        "gunicorn.access",
        "gunicorn.error",
        "portal",
        "attributes",
    ]
    loggers = {logging.getLogger(name) for name in names}
    levels = {log: log.level for log in loggers}
    for log in loggers:
        log.setLevel(logging.DEBUG)
        log.addHandler(handler)
    try:
        yield handler
    finally:
        for log, level in levels.items():
            log.setLevel(level)
            log.removeHandler(handler)


def _secrets_of(client: Client) -> dict[str, set[str]]:
    cache = json.loads(client.session[CACHE_KEY])
    return {
        kind: {entry["secret"] for entry in cache[kind].values()}
        for kind in ("AccessToken", "RefreshToken", "IdToken")
    }


def _sign_in_and_use_graph(emu: EmulatorProcess) -> dict[str, set[str]]:
    """The flow whose logs are read; returns every secret it handled, by kind."""
    client = Client(HTTP_HOST="localhost")
    start = client.get("/auth/sign-in/microsoft", {"next": "/sets/"})
    callback = urlsplit(emu.complete_sign_in(start["Location"], ADA))
    values = dict(parse_qsl(callback.query))
    assert client.get(f"{callback.path}?{callback.query}").status_code == 302
    seen = _secrets_of(client)
    assert client.get("/sets/").status_code == 200
    created = client.post(
        "/sets/new", {"name": "SecurityReview", "description": "", "confirm": "yes"}
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    expire_cached_access_tokens(client)  # a silent refresh with the refresh token
    assert client.get("/sets/").status_code == 200
    emu.expire_access_tokens()  # Graph rejects the token: refreshed and retried
    assert client.get("/objects/", {"q": "Ada"}).status_code == 200
    for kind, secrets in _secrets_of(client).items():
        seen[kind] |= secrets
    assert len(seen["AccessToken"]) >= 2  # the refreshes happened
    session_key = client.session.session_key
    # A replayed callback: the token endpoint refuses the used code.
    replay = Client(HTTP_HOST="localhost")
    replay_start = replay.get("/auth/sign-in/microsoft")
    state = dict(parse_qsl(urlsplit(replay_start["Location"]).query))["state"]
    assert replay.get(callback.path, {"code": values["code"], "state": state}).status_code == 400
    tokens = seen["AccessToken"] | seen["RefreshToken"] | seen["IdToken"]
    return {
        "access token": seen["AccessToken"],
        "refresh token": seen["RefreshToken"],
        "id token": seen["IdToken"],
        # A JWT's signature alone identifies it.
        "token signature": {token.rsplit(".", 1)[-1] for token in tokens if "." in token},
        "authorization code": {values["code"]},
        "state": {values["state"]},
        "client secret": {settings.PORTAL_CLIENT_SECRET},
        "session key": {str(session_key)},
        "SECRET_KEY": {settings.SECRET_KEY},
        "audit key": {settings.PORTAL_AUDIT_KEY},
    }


def _leaked(secrets: dict[str, set[str]], logged: str) -> dict[str, list[str]]:
    return {
        kind: [secret[:12] for secret in found if secret and secret in logged]
        for kind, found in secrets.items()
    }


def test_logging_pins_msal_and_urllib3_at_warning_whatever_log_level_says() -> None:
    assert settings.LOGGING["loggers"]["msal"]["level"] == "WARNING"
    assert settings.LOGGING["loggers"]["urllib3"]["level"] == "WARNING"


@pytest.mark.django_db(transaction=True)  # the write's audit intent is committed first
def test_the_portals_logging_at_debug_writes_no_token_code_or_secret(
    emu: EmulatorProcess,
) -> None:
    """LOGGING as configured, with the root at DEBUG as LOG_LEVEL=DEBUG sets it, read from
    the stream its console handler writes to."""
    [console] = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    stream = io.StringIO()
    previous_stream, previous_level = console.setStream(stream), logging.getLogger().level
    logging.getLogger().setLevel(logging.DEBUG)
    try:
        secrets = _sign_in_and_use_graph(emu)
    finally:
        logging.getLogger().setLevel(previous_level)
        console.setStream(previous_stream)
    logged = stream.getvalue()
    assert "portal.graph" in logged
    assert "graph POST" in logged
    assert _leaked(secrets, logged) == {kind: [] for kind in secrets}


@pytest.mark.django_db(transaction=True)
def test_with_every_logger_forced_to_debug_only_msals_own_lines_hold_the_code(
    emu: EmulatorProcess, every_log_line: _Everything
) -> None:
    """Someone turning msal and urllib3 up to DEBUG to troubleshoot: still no token or
    secret anywhere, but MSAL's token cache logs the authorization code (and its PKCE
    verifier) at DEBUG, which is why LOGGING pins it at WARNING (SECURITY.md)."""
    secrets = _sign_in_and_use_graph(emu)
    logged = "\n".join(every_log_line.lines)
    # The capture saw MSAL and the token endpoint at work, so a leak there would show.
    assert {
        "msal.application",
        "msal.token_cache",
        "urllib3.connectionpool",
        "portal.graph",
    } <= every_log_line.names
    assert "/oauth2/v2.0/token" in logged
    assert _leaked(secrets, logged) == {
        kind: [secret[:12] for secret in secrets[kind]] if kind == "authorization code" else []
        for kind in secrets
    }
    [code] = secrets["authorization code"]
    holding = {
        line.split(" ", 2)[:2] == ["msal.token_cache", "DEBUG"]
        for line in every_log_line.lines
        if code in line
    }
    assert holding == {True}


def test_gunicorns_access_log_keeps_no_code_or_state_of_a_real_callback(
    emu: EmulatorProcess, tmp_path: Path, db: None
) -> None:
    client = Client(HTTP_HOST="localhost")
    start = client.get("/auth/sign-in/microsoft")
    callback = urlsplit(emu.complete_sign_in(start["Location"], ADA))
    values = dict(parse_qsl(callback.query))
    config = load_config({})
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("errorlog", str(tmp_path / "error.log"))
    logger = config.logger_class(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{callback.path}?{callback.query}",
        "PATH_INFO": callback.path,
        "QUERY_STRING": callback.query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": start["Location"],
    }
    request = SimpleNamespace(headers=[("REFERER", start["Location"])])
    response = SimpleNamespace(status="302 Found", sent=0, headers=[("Location", "/")])
    try:
        logger.access(response, request, environ, timedelta(milliseconds=5))
        logger.error("upstream said: %s", f"{callback.path}?{callback.query}")
    finally:
        for name in ("gunicorn.access", "gunicorn.error"):
            for handler in list(logging.getLogger(name).handlers):
                logging.getLogger(name).removeHandler(handler)
                handler.close()
    access_log = (tmp_path / "access.log").read_text()
    error_log = (tmp_path / "error.log").read_text()
    assert "GET /auth/callback?code&state" in access_log
    for log in (access_log, error_log):
        assert values["code"] not in log
        assert values["state"] not in log
