"""Production serves static files with hashed names (whitenoise's manifest storage)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import override_settings
from django.test.client import RequestFactory

MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.mark.django_db
def test_collectstatic_produces_hashed_compressed_files_the_base_page_links(tmp_path: Path) -> None:
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=MANIFEST_STORAGE):
        call_command("collectstatic", interactive=False, verbosity=0)
        hashed = list(tmp_path.glob("vendor/htmx-2.0.11.min.*.js"))
        assert len(hashed) == 1
        assert Path(f"{hashed[0]}.gz").exists()
        request = RequestFactory().get("/")
        html = render_to_string("auth/signed_out.html", request=request)
    assert f"/static/vendor/{hashed[0].name}" in html
