"""The audit log's review screens (being written: see the audit issue)."""

from __future__ import annotations

from django.http import HttpResponse

from portal.types import PortalRequest


def audit_list(request: PortalRequest) -> HttpResponse:
    raise NotImplementedError


def audit_detail(request: PortalRequest, seq: int) -> HttpResponse:
    raise NotImplementedError


def audit_timeline(request: PortalRequest, target_type: str, target_id: str) -> HttpResponse:
    raise NotImplementedError


def audit_export_csv(request: PortalRequest) -> HttpResponse:
    raise NotImplementedError


def audit_export_json(request: PortalRequest) -> HttpResponse:
    raise NotImplementedError


def entra_feed(request: PortalRequest) -> HttpResponse:
    raise NotImplementedError
