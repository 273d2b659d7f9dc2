from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client


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
