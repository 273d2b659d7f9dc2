"""Helpers for the emulator's own tests: tokens per demo account and a small Graph caller.

The session `emulator` and per-test `emu` fixtures come from tests/conftest.py. Tokens
are cached for the session: a reset keeps issued tokens valid, and clears revocations
and forced expiry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from emulator.harness import EmulatorProcess
from emulator.tenant import demo

ADVANCED = {"ConsistencyLevel": "eventual"}
# The demo tenant: 200 people and 3 agent users; 30 service principals before agents, plus
# 6 first-party applications, 2 managed identities, 4 blueprint principals, 10 agents.
DEMO_USERS = 203
DEMO_SERVICE_PRINCIPALS = 52
SET_TYPE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"
SHORT_NAMES = {account.user_principal_name.split(".")[0]: account for account in demo.DEMO_ACCOUNTS}


def upn(name: str) -> str:
    """`ada` -> `ada.admin@contoso.example`; full UPNs pass through."""
    return SHORT_NAMES[name].user_principal_name if name in SHORT_NAMES else name


class GraphCaller:
    """Graph calls as one signed-in user."""

    def __init__(self, emulator: EmulatorProcess, token: str) -> None:
        self.emulator = emulator
        self.token = token

    def request(
        self, method: str, path: str, *, version: str = "v1.0", **kwargs: Any
    ) -> requests.Response:
        return self.emulator.graph(method, path, token=self.token, version=version, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=body, **kwargs)

    def patch(self, path: str, body: Any, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, json=body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def user_csa(self, user_id: str) -> Any:
        response = self.get(f"/users/{user_id}?$select=customSecurityAttributes")
        assert response.status_code == 200, response.text
        return response.json()["customSecurityAttributes"]


@pytest.fixture(scope="session")
def _token_cache() -> dict[tuple[str, tuple[str, ...]], str]:
    return {}


@pytest.fixture
def token_for(
    emu: EmulatorProcess, _token_cache: dict[tuple[str, tuple[str, ...]], str]
) -> Callable[..., str]:
    def get(name: str, scopes: tuple[str, ...] = ("https://graph.microsoft.com/.default",)) -> str:
        key = (upn(name), scopes)
        if key not in _token_cache:
            _token_cache[key] = emu.password_token(upn(name), scopes=scopes)
        return _token_cache[key]

    return get


@pytest.fixture
def graph_as(emu: EmulatorProcess, token_for: Callable[..., str]) -> Callable[..., GraphCaller]:
    def caller(name: str, scopes: tuple[str, ...] | None = None) -> GraphCaller:
        token = token_for(name, scopes) if scopes else token_for(name)
        return GraphCaller(emu, token)

    return caller


@pytest.fixture
def ada(graph_as: Callable[..., GraphCaller]) -> GraphCaller:
    return graph_as("ada")


def error_of(response: requests.Response) -> dict[str, Any]:
    """Graph's error object, after checking the envelope is exactly Graph's."""
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "innerError"}
    inner = error["innerError"]
    assert {"date", "request-id", "client-request-id"} <= set(inner)
    assert inner["request-id"] == response.headers["request-id"]
    return error


def user_id(name: str) -> str:
    return SHORT_NAMES[name].object_id
