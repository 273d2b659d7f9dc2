"""Security review (issue 14), item 9: a request too large for Django's limits gets the
portal's 400 page saying so, not a bare error, and nothing is written; the bulk upload
refuses an oversized file at its field."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from attributes.bulk.upload import MAX_UPLOAD_BYTES
from attributes.models import AuditRecord, BulkJob
from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from tests.conftest import sign_in
from tests.html import Html

pytestmark = pytest.mark.django_db

SignedIn = Callable[[str], Client]


@pytest.fixture
def ada(emu: EmulatorProcess) -> Client:
    """Signed in, enforcing CSRF, with the token in the header as htmx and the page send it:
    the CSRF middleware reads the body first, as it does for a browser."""
    client = sign_in(
        Client(HTTP_HOST="localhost", enforce_csrf_checks=True), emu, demo.ADA.user_principal_name
    )
    client.get("/")
    client.defaults["HTTP_X_CSRFTOKEN"] = client.cookies["csrftoken"].value
    return client


def _refusal(response: object) -> str:
    page = Html(response)
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert page.by_test_id("bad-request")
    assert page.by_test_id("request-id")
    return page.one('[role="alert"]').text()


def _nothing_written(emu: EmulatorProcess, since: int) -> None:
    assert emu.writes(since) == []
    assert not AuditRecord.objects.exists()
    assert not BulkJob.objects.exists()


def test_the_limits_are_djangos_defaults() -> None:
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS == 1000
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES == 100
    # A file is streamed to disk past this size, not held in memory.
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2_621_440


def test_an_oversized_form_post_gets_the_400_page_saying_it_was_too_large(
    ada: Client, emu: EmulatorProcess
) -> None:
    since = emu.writes_page()["last_seq"]
    body = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = ada.post("/sets/new", {"name": "Big", "description": body, "confirm": "yes"})
    message = _refusal(response)
    assert message.startswith("The request was too large: the portal takes at most 2.5 MB")
    assert "upload the changes as a file" in message
    assert "DATA_UPLOAD_MAX_MEMORY_SIZE" not in response.content.decode()
    _nothing_written(emu, since)


def test_more_fields_than_django_takes_get_the_400_page_saying_what_to_do(
    ada: Client, emu: EmulatorProcess
) -> None:
    since = emu.writes_page()["last_seq"]
    ticked = [f"users:{n:08x}-0000-4000-8000-000000000000" for n in range(1001)]
    response = ada.post("/bulk/new", {"target": ticked, "attribute": "Engineering_Project"})
    message = _refusal(response)
    assert message.startswith("The request was too large: it had more than 1,000 fields.")
    assert "Change all matching" in message
    _nothing_written(emu, since)


def test_an_oversized_multipart_body_gets_the_400_page_too(
    ada: Client, emu: EmulatorProcess
) -> None:
    since = emu.writes_page()["last_seq"]
    small = SimpleUploadedFile("changes.csv", b"objectId,objectType\n", content_type="text/csv")
    # Django counts a multipart body's fields, not its files, against the limit.
    reason = "r" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = ada.post("/bulk/upload", {"file": small, "reason": reason})
    assert _refusal(response).startswith("The request was too large: the portal takes at most")
    _nothing_written(emu, since)


def test_more_files_than_django_takes_get_the_400_page(ada: Client, emu: EmulatorProcess) -> None:
    since = emu.writes_page()["last_seq"]
    files = [
        SimpleUploadedFile(f"part-{n}.csv", b"objectId\n", content_type="text/csv")
        for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)
    ]
    response = ada.post("/bulk/upload", {"file": files, "reason": "many"})
    assert _refusal(response).startswith("The request was too large: it had more than 100 files.")
    _nothing_written(emu, since)


def test_a_file_over_the_uploads_limit_is_refused_at_its_field(
    ada: Client, emu: EmulatorProcess
) -> None:
    since = emu.writes_page()["last_seq"]
    # Over 5 MB and over Django's in-memory size, so Django streams it to a temporary file
    # and the form refuses it with its own message.
    header = b"objectId,objectType,displayName,principalName\n"
    big = header + b"x" * (MAX_UPLOAD_BYTES - len(header) + 100_000)
    assert len(big) > settings.FILE_UPLOAD_MAX_MEMORY_SIZE
    upload = SimpleUploadedFile("changes.csv", big, content_type="text/csv")
    response = ada.post("/bulk/upload", {"file": upload, "reason": "too big"})
    assert response.status_code in {200, 400}
    errors = Html(response).field_errors("file", form="upload")
    assert errors == [
        "The file is 5.1 MB; the limit is 5 MB. Split it into smaller files and upload each."
    ]
    _nothing_written(emu, since)
