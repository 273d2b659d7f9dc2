from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from emulator.harness import EmulatorProcess


@pytest.fixture
def ada(signed_in: Callable[[str], Client]) -> Client:
    """Attribute Definition and Assignment Administrator, Attribute Log Reader (tenant)."""
    return signed_in("ada.admin@contoso.example")


@pytest.fixture
def lee(signed_in: Callable[[str], Client]) -> Client:
    """Attribute Assignment Administrator for the Engineering set only."""
    return signed_in("lee.lead@contoso.example")


@pytest.fixture
def rey(signed_in: Callable[[str], Client]) -> Client:
    """Attribute Definition Reader (tenant)."""
    return signed_in("rey.reader@contoso.example")


@pytest.fixture
def gil(signed_in: Callable[[str], Client]) -> Client:
    """Global Administrator without attribute roles."""
    return signed_in("gil.global@contoso.example")


@pytest.fixture
def graph_as(emu: EmulatorProcess) -> Callable[..., Any]:
    """Calls the emulator's Graph directly, as a demo account: the other side of each rule."""
    tokens: dict[str, str] = {}

    def call(method: str, path: str, upn: str = "ada.admin@contoso.example", **kwargs: Any) -> Any:
        if upn not in tokens:
            tokens[upn] = emu.password_token(upn)
        return emu.graph(method, path, token=tokens[upn], **kwargs)

    return call
