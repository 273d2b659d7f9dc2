"""The load's people, for locust; bench/load/run.py starts it and says what it measures.

Each locust user signs in through the real flow (the portal's MSAL redirect, the
emulator's sign-in form, the callback) as one of the large seed's demo accounts, then
works through a mix of pages. Every request goes to the next portal instance in turn
(LOAD_HOSTS, round robin per request, never sticky), so a session begun on one instance
is carried on by the others.

What a response may be: 2xx or a redirect; a 4xx the portal chose (a conflict, a form
refusal); or, for 502/503/504 only, the portal's own error page with its message. A 500,
a 5xx without the portal's alert, or a traceback counts as a violation. Every response is
counted by page and status into LOAD_OUT (JSON), which run.py reads.

Environment: LOAD_HOSTS (comma-separated base URLs, host `localhost`), LOAD_PLAN (a JSON
file: the users to edit, the attribute to edit, the search terms), LOAD_OUT.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
import uuid
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import requests
from locust import HttpUser, between, events, task

HOSTS = [h.rstrip("/") for h in os.environ.get("LOAD_HOSTS", "http://localhost:8000").split(",")]
PLAN: dict[str, Any] = json.loads(Path(os.environ["LOAD_PLAN"]).read_text("utf-8"))
PASSWORD = "demo"
EDITOR = "ada.admin@contoso.example"
READERS = ("rey.reader@contoso.example", EDITOR)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SEEN = re.compile(r'id="assign_seen"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*id="assign_seen"')
CLEAR_ERROR = 'role="alert"'
TRACEBACK = "Traceback (most recent call last)"

_next_host = itertools.cycle(HOSTS).__next__
_host_lock = threading.Lock()
statuses: Counter[tuple[str, int]] = Counter()
violations: Counter[str] = Counter()


def host() -> str:
    with _host_lock:
        return _next_host()


def _violation(kind: str, name: str, status: int) -> None:
    violations[f"{kind}: {name} answered {status}"] += 1


class PortalUser(HttpUser):
    """A person using the portal; `upn` decides which tasks they may do."""

    abstract = True
    wait_time = between(0.5, 2.0)
    host = HOSTS[0]
    upn = READERS[0]

    def on_start(self) -> None:
        self.emulator = requests.Session()
        self.emulator.trust_env = False
        self.sign_in()

    def on_stop(self) -> None:
        self.emulator.close()

    def sign_in(self) -> None:
        start = self.client.get(
            f"{host()}/auth/sign-in/microsoft", allow_redirects=False, name="/auth/sign-in"
        )
        authorize = urlsplit(start.headers["Location"])
        # The emulator's sign-in form carries the authorize parameters, as a browser posts it.
        form = {**dict(parse_qsl(authorize.query)), "username": self.upn, "password": PASSWORD}
        answer = self.emulator.post(
            urlunsplit(authorize._replace(query="")), data=form, allow_redirects=False, timeout=60
        )
        callback = urlsplit(answer.headers["Location"])
        self.get(f"{callback.path}?{callback.query}", name="/auth/callback", redirects=False)

    def get(self, path: str, *, name: str, redirects: bool = True, **params: Any) -> str:
        """One GET to the next instance; returns the body (empty when it failed)."""
        with self.client.get(
            f"{host()}{path}",
            params=params or None,
            name=name,
            allow_redirects=redirects,
            catch_response=True,
        ) as response:
            return self._judge(response, name)

    def post(self, path: str, data: dict[str, Any], *, name: str) -> str:
        with self.client.post(
            f"{host()}{path}",
            data=data,
            name=name,
            allow_redirects=False,
            catch_response=True,
            headers={"Referer": f"{HOSTS[0]}{path}"},
        ) as response:
            return self._judge(response, name)

    def _judge(self, response: Any, name: str) -> str:
        status = int(response.status_code or 0)
        statuses[(name, status)] += 1
        body = response.text if status else ""
        if status == 0:
            _violation("no answer", name, status)
            response.failure(f"no answer: {response.error}")
        elif status == 500 or TRACEBACK in body:
            _violation("500 or traceback", name, status)
            response.failure(f"{status} from {name}")
        elif status >= 500 and CLEAR_ERROR not in body:
            _violation("5xx without the portal's message", name, status)
            response.failure(f"{status} from {name} without a message")
        elif status >= 400:
            # A clear refusal or a degraded page: counted by status, not a failure of the run.
            response.success()
        if "/auth/sign-in" in response.headers.get("Location", "") and name != "/auth/callback":
            self.sign_in()
        return body if status < 400 else ""

    # -- the mix ---------------------------------------------------------------------------

    @task(4)
    def home(self) -> None:
        self.get("/", name="/")

    @task(2)
    def sets(self) -> None:
        self.get("/sets/", name="/sets/")
        self.get("/sets/Engineering/", name="/sets/[name]/")

    @task(4)
    def search(self) -> None:
        self.get("/objects/", name="/objects/?q", q=random.choice(PLAN["search_terms"]))

    @task(2)
    def object_page(self) -> None:
        target = random.choice(PLAN["edit_targets"])
        self.get(f"/objects/user/{target}/", name="/objects/user/[id]/")

    @task(3)
    def find(self) -> None:
        attribute, value = random.choice(PLAN["find_queries"])
        self.get("/find/", name="/find/?a1&v1", a1=attribute, v1=value, tab="users")

    @task(1)
    def export(self) -> None:
        attribute, value = random.choice(PLAN["find_queries"])
        self.get("/find/export.csv", name="/find/export.csv", a1=attribute, v1=value)

    @task(1)
    def audit(self) -> None:
        self.get("/audit/", name="/audit/")

    @task(1)
    def bulk_job(self) -> None:
        self.get(f"/bulk/jobs/{PLAN['job_id']}/", name="/bulk/jobs/[id]/")


class Reader(PortalUser):
    """Browses, searches, finds and exports (Attribute Assignment/Definition Reader)."""

    weight = 2

    def on_start(self) -> None:
        self.upn = random.choice(READERS)
        super().on_start()


class Editor(PortalUser):
    """Does what a reader does, and assigns values to users (Attribute Assignment Admin)."""

    weight = 1
    upn = EDITOR

    @task(3)
    def edit(self) -> None:
        target = random.choice(PLAN["edit_targets"])
        url = f"/objects/user/{target}/attributes/{PLAN['edit_attribute']}/"
        page = self.get(url, name="/objects/user/[id]/attributes/[id]/")
        csrf, seen = CSRF.search(page), SEEN.search(page)
        if not (csrf and seen):
            return  # the page itself degraded; counted above
        data = {
            "csrfmiddlewaretoken": csrf.group(1),
            "seen": _unescape(seen.group(1) or seen.group(2) or ""),
            "value": f"load-{uuid.uuid4().hex[:12]}",
            "reason": "load test",
        }
        self.post(url, data, name="POST /objects/user/[id]/attributes/[id]/")


def _unescape(value: str) -> str:
    return (
        value.replace("&quot;", '"')
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


@events.quitting.add_listener
def _write_counts(environment: Any, **_kwargs: Any) -> None:
    out = os.environ.get("LOAD_OUT")
    if out:
        counts = [{"name": n, "status": s, "count": c} for (n, s), c in sorted(statuses.items())]
        Path(out).write_text(
            json.dumps({"statuses": counts, "violations": dict(violations)}), "utf-8"
        )
