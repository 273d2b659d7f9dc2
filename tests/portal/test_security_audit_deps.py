"""Security review (issue 14), item 8: `make audit-deps` fails on a known vulnerability and
on an audit it could not complete, never passing silently.

.ci/audit_deps.py reads PyPI's project pages from a stand-in PyPI on localhost here
(`--via pypi-json --pypi-url`), so the tests need no outside network; `make audit-deps`
itself asks pypi.org (SECURITY.md gives the figures of a real run).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "audit_deps.py"

PROJECTS: dict[str, dict[str, Any]] = {
    "django": {"info": {"version": "6.1.3"}, "vulnerabilities": []},
    "requests": {"info": {"version": "2.34.2"}, "vulnerabilities": []},
    "urllib3": {
        "info": {"version": "9.9.9"},
        "vulnerabilities": [
            {
                "id": "PYSEC-2099-1",
                "aliases": ["CVE-2099-0001", "GHSA-xxxx-yyyy-zzzz"],
                "fixed_in": ["9.9.10"],
                "withdrawn": None,
            },
            {"id": "PYSEC-2099-2", "aliases": [], "fixed_in": [], "withdrawn": "2099-01-02"},
        ],
    },
}


class _PyPI(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        match = re.fullmatch(r"/pypi/([^/]+)/json", self.path)
        project = PROJECTS.get(match.group(1)) if match else None
        body = json.dumps(project).encode() if project else b"Not Found"
        self.send_response(200 if project else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pypi() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PyPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _audit(tmp_path: Path, pypi_url: str, *pins: str) -> subprocess.CompletedProcess[str]:
    lock = tmp_path / "prod.lock"
    lock.write_text("\n".join([*pins, "    # via nothing", ""]))
    return subprocess.run(
        [
            *(sys.executable, str(SCRIPT), "--lock", str(lock), "--via", "pypi-json"),
            *("--pypi-url", pypi_url, "--timeout", "5"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_pins_that_are_newest_and_clean_pass(tmp_path: Path, pypi: str) -> None:
    result = _audit(tmp_path, pypi, "django==6.1.3", "requests==2.34.2 ; python_version >= '3.12'")
    assert result.returncode == 0, result.stdout
    assert "2 pins in prod.lock audited: no known vulnerabilities." in result.stdout


def test_a_known_vulnerability_fails_with_its_ids_and_fix(tmp_path: Path, pypi: str) -> None:
    result = _audit(tmp_path, pypi, "django==6.1.3", "urllib3==9.9.9")
    assert result.returncode == 1
    assert (
        "VULNERABLE urllib3==9.9.9: PYSEC-2099-1 / CVE-2099-0001 / GHSA-xxxx-yyyy-zzzz "
        "(fixed in 9.9.10)"
    ) in result.stdout
    assert "PYSEC-2099-2" not in result.stdout  # withdrawn
    assert "upgrade and `make lock`" in result.stdout


def test_a_pin_that_cannot_be_looked_up_is_an_unknown_result_not_a_pass(
    tmp_path: Path, pypi: str
) -> None:
    result = _audit(tmp_path, pypi, "django==6.0.0", "no-such-project==1.0")
    assert result.returncode == 3
    assert "NOT AUDITED django==6.0.0: PyPI's project page lists the advisories of 6.1.3" in (
        result.stdout
    )
    assert "NOT AUDITED no-such-project==1.0:" in result.stdout
    assert "2 of 2 pins could not be audited, so the result is unknown" in result.stdout


def test_an_unreachable_service_is_said_plainly(tmp_path: Path) -> None:
    result = _audit(tmp_path, "http://127.0.0.1:9", "django==6.1.3")
    assert result.returncode == 3
    assert "NOT AUDITED django==6.1.3: http://127.0.0.1:9 did not answer" in result.stdout
    assert "Run `make audit-deps` where pypi.org (or api.osv.dev) answers" in result.stdout


def test_an_empty_lock_audits_nothing_and_says_so(tmp_path: Path, pypi: str) -> None:
    result = _audit(tmp_path, pypi)
    assert result.returncode == 3
    assert "nothing was audited" in result.stdout


def test_ci_runs_the_audit_after_the_tests() -> None:
    run = (ROOT / ".ci" / "run").read_text()
    assert run.index("make test") < run.index("make audit-deps")
    makefile = (ROOT / "Makefile").read_text()
    assert "\t$(PY) .ci/audit_deps.py --lock requirements/prod.lock\n" in makefile
