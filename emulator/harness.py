"""Start, drive and stop an emulator process from tests and benchmarks.

    emulator = EmulatorProcess(ca_dir=tmp_path).start()
    token = emulator.password_token("ada.admin@contoso.example")
    emulator.graph("GET", "/users", token=token).json()
    emulator.stop()

Every HTTPS call trusts only the emulator's CA: the session ignores REQUESTS_CA_BUNDLE
and proxies from the environment (stack-notes M2).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests

from emulator.tenant import demo

REPO_ROOT = Path(__file__).resolve().parent.parent
GRAPH_DEFAULT_SCOPE = f"{demo.GRAPH_RESOURCE}/.default"


class EmulatorError(RuntimeError):
    pass


class EmulatorProcess:
    def __init__(
        self,
        *,
        seed: str = "demo",
        ca_dir: Path,
        state_file: Path | None = None,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.seed = seed
        self.ca_dir = Path(ca_dir)
        self.state_file = state_file
        self.extra_args = tuple(extra_args)
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_seconds = 0.0
        self.authority = self.issuer = self.graph_url = self.graph_root = ""
        self.browser_url = self.control_url = self.ca_path = self.tenant_id = ""
        self.https_port = self.browser_port = 0
        self._workdir = tempfile.TemporaryDirectory(prefix="emulator-run-")
        self._output_path = Path(self._workdir.name) / "output.log"
        self._ready_path = Path(self._workdir.name) / "ready.json"
        self.session = requests.Session()
        self.session.trust_env = False

    # -- lifecycle ---------------------------------------------------------------------

    def start(self, timeout: float = 20.0) -> EmulatorProcess:
        command = [
            sys.executable, "-m", "emulator",
            "--port", "0", "--browser-port", "0",
            "--seed", self.seed,
            "--ca-dir", str(self.ca_dir),
            "--ready-file", str(self._ready_path),
            *(["--state", str(self.state_file)] if self.state_file else []),
            *self.extra_args,
        ]  # fmt: skip
        started = time.monotonic()
        with self._output_path.open("wb") as output:
            self.process = subprocess.Popen(  # noqa: S603 - a fixed argument list, no shell
                command, cwd=REPO_ROOT, stdout=output, stderr=subprocess.STDOUT
            )
        ready = self._wait_until_ready(started + timeout)
        self.startup_seconds = time.monotonic() - started
        self._configure(ready)
        return self

    def _wait_until_ready(self, deadline: float) -> dict[str, Any]:
        assert self.process is not None
        while time.monotonic() < deadline:
            if self._ready_path.exists():
                return json.loads(self._ready_path.read_text("utf-8"))
            if self.process.poll() is not None:
                raise EmulatorError(
                    f"The emulator exited with {self.process.returncode}:\n{self.output()}"
                )
            time.sleep(0.02)
        self.stop()
        raise EmulatorError(f"The emulator did not become ready in time:\n{self.output()}")

    def _configure(self, ready: dict[str, Any]) -> None:
        self.authority = ready["authority"]
        self.issuer = ready["issuer"]
        self.graph_url = ready["graph_url"]
        self.graph_root = ready["graph_root"]
        self.browser_url = ready["browser_url"]
        self.control_url = ready["control_url"]
        self.ca_path = ready["ca_path"]
        self.tenant_id = ready["tenant_id"]
        self.https_port = ready["https_port"]
        self.browser_port = ready["browser_port"]
        self.session.verify = self.ca_path

    def output(self) -> str:
        return self._output_path.read_text("utf-8", "replace") if self._output_path.exists() else ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.session.close()
        self._workdir.cleanup()

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- control surface ---------------------------------------------------------------

    def _control(self, method: str, path: str, payload: Any = None) -> Any:
        response = self.session.request(
            method, f"{self.control_url}{path}", json=payload, timeout=30
        )
        if response.status_code >= 400:
            raise EmulatorError(f"{method} {path}: {response.status_code} {response.text}")
        return response.json()

    def reset(self, seed: str | None = None) -> None:
        self._control("POST", "/reset", {"seed": seed} if seed else {})

    def set_faults(self, **faults: Any) -> None:
        self._control("POST", "/faults", faults)

    def requests_log(self, since: int = 0) -> list[dict[str, Any]]:
        return self._control("GET", f"/requests?since={since}")

    def state(self) -> dict[str, Any]:
        return self._control("GET", "/state")

    def revoke_tokens(self, upn: str) -> None:
        self._control("POST", "/tokens/revoke", {"upn": upn})

    def expire_access_tokens(self) -> None:
        self._control("POST", "/tokens/expire", {})

    def rename(self, object_id: str, display_name: str) -> None:
        """A user's or service principal's display name, changed outside Graph's API."""
        self._control("POST", "/objects/rename", {"id": object_id, "displayName": display_name})

    def configure(self, **settings: Any) -> None:
        self._control("POST", "/settings", settings)

    def set_write_quota(self, **quota: Any) -> dict[str, Any]:
        """Graph's write quota per app and tenant, e.g. `limit=300, window_seconds=15`;
        fields left out take Graph's values (3,000 per 150 s, reserves 0.10 for Low and
        0.02 for Normal). Every bucket starts full. Returns `throttling()`."""
        return self._control("POST", "/throttling", {"write_quota": quota})

    def disable_write_quota(self) -> dict[str, Any]:
        """No write quota at all until `set_write_quota` or a reset."""
        return self._control("POST", "/throttling", {"write_quota": None})

    def throttling(self) -> dict[str, Any]:
        """`{"write_quota": {limit, window_seconds, low_reserve, normal_reserve} | None,
        "buckets": [{app_id, tenant_id, available, used_share}]}`."""
        return self._control("GET", "/throttling")

    def writes_page(self, since: int = 0, limit: int = 10_000) -> dict[str, Any]:
        """One page of the write log: `{"writes": [...], "last_seq", "more", "total",
        "dropped"}`; pass `last_seq` as `since` for the next page."""
        return self._control("GET", f"/writes?since={since}&limit={limit}")

    def writes(self, since: int = 0) -> list[dict[str, Any]]:
        """Every write after sequence number `since`, oldest first, across pages. Each is
        `{seq, time, method, version, path, target_id, status, handler_status,
        client_request_id, request_id, priority, app_id, in_batch}`."""
        found: list[dict[str, Any]] = []
        while True:
            page = self.writes_page(since, limit=100_000)
            found += page["writes"]
            since = page["last_seq"]
            if not page["more"]:
                return found

    def set_index_lag(self, seconds: float) -> dict[str, Any]:
        """How far `$filter` on customSecurityAttributes trails writes, by the emulator
        clock; 0 (the default) makes filters read the live values. Returns `index()`."""
        return self._control("POST", "/index", {"lag_seconds": seconds})

    def index(self) -> dict[str, Any]:
        """`{"lag_seconds", "pending_writes"}`: writes filters do not see yet."""
        return self._control("GET", "/index")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        """Move the clock of the write quota and the index lag forward, as if `seconds`
        had passed (it never goes back). Returns `{"offset_seconds"}`, the total so far."""
        return self._control("POST", "/clock", {"advance_seconds": seconds})

    # -- tokens and Graph --------------------------------------------------------------

    def complete_sign_in(
        self, authorize_url: str, upn: str, password: str = demo.DEMO_PASSWORD
    ) -> str:
        """Submits the sign-in page for `authorize_url` as a person would (its form carries
        the authorize parameters); returns where the browser is sent next."""
        url = urlsplit(authorize_url)
        response = self.session.post(
            urlunsplit(url._replace(query="")),
            data={**dict(parse_qsl(url.query)), "username": upn, "password": password},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code not in {302, 303}:
            raise EmulatorError(f"sign-in as {upn} failed: {response.status_code} {response.text}")
        return response.headers["Location"]

    @property
    def token_endpoint(self) -> str:
        return f"{self.authority}/oauth2/v2.0/token"

    def password_token(
        self,
        upn: str,
        password: str = demo.DEMO_PASSWORD,
        scopes: Sequence[str] = (GRAPH_DEFAULT_SCOPE,),
        client_id: str = demo.AZURE_CLI_CLIENT_ID,
    ) -> str:
        """An access token for Graph through the resource-owner password grant."""
        form = {
            "grant_type": "password",
            "client_id": client_id,
            "username": upn,
            "password": password,
            "scope": " ".join(scopes),
        }
        if client_id == demo.PORTAL_CLIENT_ID:
            form["client_secret"] = demo.PORTAL_CLIENT_SECRET
        response = self.session.post(self.token_endpoint, data=form, timeout=30)
        if response.status_code != 200:
            raise EmulatorError(f"password grant for {upn} failed: {response.text}")
        return response.json()["access_token"]

    def graph(
        self, method: str, path: str, *, token: str, version: str = "v1.0", **kwargs: Any
    ) -> requests.Response:
        """An HTTPS call to `{graph_root}/{version}{path}` with the bearer token."""
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 30)
        url = f"{self.graph_root}/{version}{path}"
        return self.session.request(method, url, headers=headers, **kwargs)
