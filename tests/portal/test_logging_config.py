"""LOGGING keeps query values out of runserver's request lines and the portal's own logs.

The requests go to Django's own development server and request handler on a free port,
so the records are the ones runserver (`make demo`) writes, through the `django.server`
logger as LOGGING configures it (tests.settings loads portal.settings).
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator

import pytest
import requests
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.utils.log import ServerFormatter

CODE = "0.AXYA-authorization-code-Zx9"
STATE = "c3RhdGUtdmFsdWUtOTk"


def _app(environ: dict[str, object], start_response: Callable[..., object]) -> Iterable[bytes]:
    start_response("302 Found", [("Location", "/"), ("Content-Length", "0")])
    return [b""]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def server_log() -> Iterator[tuple[logging.Handler, _Records]]:
    """The handler LOGGING gives `django.server`, and every record that reaches it."""
    logger = logging.getLogger("django.server")
    configured = next(h for h in logger.handlers if isinstance(h.formatter, ServerFormatter))
    records = _Records()
    logger.addHandler(records)
    try:
        yield configured, records
    finally:
        logger.removeHandler(records)


@pytest.fixture
def dev_server() -> Iterator[WSGIServer]:
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(_app)
    try:
        yield server
    finally:
        server.server_close()


def _one_request(server: WSGIServer, send: Callable[[str], object]) -> None:
    """Serves exactly one request; when it returns, the server has written its log line."""
    worker = threading.Thread(target=server.handle_request)
    worker.start()
    try:
        send(f"127.0.0.1:{server.server_address[1]}")
    finally:
        worker.join(timeout=10)
    assert not worker.is_alive()


def _lines(configured: logging.Handler, records: _Records) -> list[str]:
    return [configured.format(record) for record in records.records]


def test_the_callback_request_line_keeps_only_the_parameter_names(
    dev_server: WSGIServer, server_log: tuple[logging.Handler, _Records]
) -> None:
    def send(host: str) -> None:
        with requests.Session() as session:
            session.trust_env = False
            response = session.get(
                f"http://{host}/auth/callback?code={CODE}&state={STATE}",
                headers={"Connection": "close"},
                allow_redirects=False,
                timeout=10,
            )
        assert response.status_code == 302

    _one_request(dev_server, send)
    (line,) = _lines(*server_log)
    assert '"GET /auth/callback?code&state HTTP/1.1" 302 0' in line
    assert CODE not in line
    assert STATE not in line


def test_a_malformed_request_line_is_redacted_in_the_error_too(
    dev_server: WSGIServer, server_log: tuple[logging.Handler, _Records]
) -> None:
    def send(host: str) -> None:
        address, port = host.split(":")
        with socket.create_connection((address, int(port)), timeout=10) as connection:
            connection.sendall(
                f"GET /auth/callback?code={CODE}&state={STATE} extra HTTP/1.1\r\n\r\n".encode()
            )
            answer = b""
            while chunk := connection.recv(4096):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 400 ")

    _one_request(dev_server, send)
    lines = _lines(*server_log)
    assert len(lines) == 2  # the error, then the request line
    assert any(
        "Bad request syntax" in line and "/auth/callback?code&state" in line for line in lines
    )
    for line in lines:
        assert CODE not in line
        assert STATE not in line


def test_the_portals_own_log_lines_keep_only_the_parameter_names() -> None:
    (console,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    record = logging.getLogger("portal.auth.views").makeRecord(
        "portal.auth.views",
        logging.WARNING,
        __file__,
        1,
        "could not finish %s",
        (f"/auth/callback?code={CODE}&state={STATE}",),
        None,
    )
    assert console.filter(record)
    line = json.loads(console.format(record))  # LOG_FORMAT's default with DEBUG off
    assert line["logger"] == "portal.auth.views"
    assert line["request_id"] == "-"
    assert line["message"] == "could not finish /auth/callback?code&state"
