from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
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


def field_errors(html: str, field: str, *, form: str = "id") -> list[str]:
    """The error messages rendered under one form field (Django's `<form>_<field>_error`)."""
    block = re.search(rf'<ul class="errorlist" id="{form}_{field}_error">(.*?)</ul>', html, re.S)
    return (
        [unescape(e) for e in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)] if block else []
    )


def form_errors(html: str) -> list[str]:
    """Errors about the form as a whole."""
    block = re.search(r'<ul class="errorlist nonfield">(.*?)</ul>', html, re.S)
    return (
        [unescape(e) for e in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)] if block else []
    )
