"""HTTP plumbing: threaded HTTP/1.1 servers with keep-alive, TLS done per connection.

Every response carries Content-Length so clients can reuse connections. The TLS
handshake runs in the connection's own thread, so one slow or broken client never
holds up `accept()` for the others.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import sys
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from emulator.server.web import Request, Response, percent_encode_iri

App = Callable[[Request], Response]
HANDSHAKE_TIMEOUT = 10.0
IDLE_TIMEOUT = 120.0  # how long a kept-alive connection may sit idle
MAX_BODY = 10 * 1024 * 1024


class AppServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ssl_context: ssl.SSLContext | None = None,
        verbose: bool = False,
    ) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.app: App | None = None
        self.ssl_context = ssl_context
        self.verbose = verbose
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        if self.ssl_context is not None:
            try:
                request.settimeout(HANDSHAKE_TIMEOUT)
                request = self.ssl_context.wrap_socket(request, server_side=True)
            except OSError:  # includes ssl.SSLError: a client that gave up or distrusts us
                self.shutdown_request(request)
                return
        super().process_request_thread(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "EntraGraphEmulator/1.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    # Headers and body leave in separate writes; without TCP_NODELAY, Nagle's algorithm
    # and the client's delayed ACK add about 40 ms to every kept-alive response.
    disable_nagle_algorithm = True
    server: AppServer

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _handle(self) -> None:
        body = self._read_body()
        if body is None:
            return
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query_string=url.query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            client_ip=str(self.client_address[0]),
        )
        response = self._respond(request)
        if response.drop:
            self._drop()
            return
        self.send_response(response.status)
        for name, value in response.headers:
            # A value that is not Latin-1 would raise in send_header after the handler ran,
            # and the client would see a dropped connection instead of the answer.
            self.send_header(name, percent_encode_iri(value))
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _respond(self, request: Request) -> Response:
        app = self.server.app
        if app is None:
            return Response.json(503, {"error": "starting"})
        try:
            return app(request)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            error = {
                "code": "Service_InternalServerError",
                "message": "Encountered an internal server error.",
            }
            return Response.json(500, {"error": error})

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        if not length.isdigit() or int(length) > MAX_BODY:
            self.send_error(413 if length.isdigit() else 400)
            return None
        return self.rfile.read(int(length))

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()  # the blank line after the last chunk
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)
