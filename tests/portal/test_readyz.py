"""/readyz: ready when the database answers and the authority's discovery document can be
fetched; 503 naming what failed. /healthz stays liveness only."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client, override_settings

from emulator.harness import EmulatorProcess
from tests.db_outage import closed_port, database_unreachable


class _Discovery(BaseHTTPRequestHandler):
    """An authority that counts how often its discovery document is fetched."""

    fetched = 0

    def do_GET(self) -> None:
        type(self).fetched += 1
        body = json.dumps({"issuer": "http://127.0.0.1/t/v2.0"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def counting_authority() -> Iterator[type[_Discovery]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
    _Discovery.fetched = 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with override_settings(PORTAL_AUTHORITY=f"http://127.0.0.1:{server.server_port}/t"):
            yield _Discovery
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_ready_with_the_emulator_up(client: Client, emu: EmulatorProcess) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "authority": "ok"}}
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.django_db
def test_unavailable_when_the_authority_cannot_be_reached(
    client: Client, emu: EmulatorProcess
) -> None:
    with override_settings(PORTAL_AUTHORITY=f"https://127.0.0.1:{closed_port()}/tenant"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["authority"] == "unreachable (ConnectionError)"
    # Liveness does not depend on Entra: the process is fine, only not ready.
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_unavailable_when_the_database_is_down(client: Client, emu: EmulatorProcess) -> None:
    with database_unreachable():
        response = client.get("/readyz")
        liveness = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"] == {
        "database": "unreachable (OperationalError)",
        "authority": "ok",
    }
    assert liveness.status_code == 503
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_a_good_answer_from_the_authority_is_kept_for_a_while(
    client: Client, counting_authority: type[_Discovery]
) -> None:
    assert client.get("/readyz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert counting_authority.fetched == 1


@pytest.mark.django_db
def test_probes_need_no_sign_in_and_are_never_redirected(
    client: Client, emu: EmulatorProcess
) -> None:
    with override_settings(SECURE_SSL_REDIRECT=True):
        ready = client.get("/readyz")
        live = client.get("/healthz")
        page = client.get("/sets/")
    assert (ready.status_code, live.status_code) == (200, 200)
    assert page.status_code == 301  # everything else goes to https first
