"""The settings readers refuse bad values with a message that says how to fix them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal import env

ROOT = Path(__file__).resolve().parents[2]


def test_env_bool_accepts_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("true", True), ("YES", True), ("1", True), ("off", False), ("0", False)]:
        monkeypatch.setenv("FLAG", raw)
        assert env.env_bool("FLAG", not expected) is expected


def test_env_bool_rejects_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"FLAG='maybe' is not a boolean\. Use one of"):
        env.env_bool("FLAG", False)


def test_env_int_rejects_words_and_out_of_range(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNT", "ten")
    with pytest.raises(ImproperlyConfigured, match=r"not a whole number.*COUNT=5"):
        env.env_int("COUNT", 5)
    monkeypatch.setenv("COUNT", "-1")
    with pytest.raises(
        ImproperlyConfigured, match="COUNT=-1 is out of range: it must be at least 0"
    ):
        env.env_int("COUNT", 5, minimum=0)


def test_env_str_required_names_the_variable_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEEDED", raising=False)
    with pytest.raises(ImproperlyConfigured, match=r"NEEDED is required but not set\. Do this\."):
        env.env_str("NEEDED", required=True, hint="Do this.")


def test_env_str_reads_docker_secret_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("TOKEN_FILE", str(secret))
    monkeypatch.setenv("TOKEN", "ignored")
    assert env.env_str("TOKEN") == "from-a-file"


def test_env_str_reports_an_unreadable_secret_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKEN_FILE", "/nonexistent/secret")
    with pytest.raises(ImproperlyConfigured, match="TOKEN_FILE points at '/nonexistent/secret'"):
        env.env_str("TOKEN")


def test_env_str_names_an_empty_secret_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "secret").write_text("\n")
    monkeypatch.setenv("TOKEN_FILE", str(tmp_path / "secret"))
    with pytest.raises(
        ImproperlyConfigured, match=r"TOKEN_FILE points at .*secret', which is empty"
    ):
        env.env_str("TOKEN", "a default must not hide it")


def test_env_url_requires_https_and_a_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHORITY", "http://login.example/tenant")
    with pytest.raises(ImproperlyConfigured, match="must start with https://"):
        env.env_url("AUTHORITY", "https://login.example/t")
    monkeypatch.setenv("AUTHORITY", "https://login.example/tenant/")
    assert env.env_url("AUTHORITY") == "https://login.example/tenant"


def test_env_path_requires_an_existing_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUNDLE", "/nonexistent/ca.pem")
    with pytest.raises(ImproperlyConfigured, match="does not name an existing file"):
        env.env_path("BUNDLE")


def test_env_list_splits_commas_and_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTS", "a.example, b.example c.example")
    assert env.env_list("HOSTS", []) == ["a.example", "b.example", "c.example"]


def _import_settings(**overrides: str) -> subprocess.CompletedProcess[str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PORTAL_", "SECRET_KEY", "DEBUG", "ALLOWED_HOSTS"))
    }
    environment.update(overrides)
    return subprocess.run(
        [sys.executable, "-c", "import portal.settings"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_settings_without_secret_key_fail_loudly_when_debug_is_off() -> None:
    result = _import_settings(DEBUG="false", PORTAL_CLIENT_ID="x", PORTAL_CLIENT_SECRET="y")
    assert result.returncode != 0
    assert "SECRET_KEY is required but not set" in result.stderr
    assert "set DEBUG=true instead" in result.stderr


def test_settings_need_a_client_credential() -> None:
    result = _import_settings(DEBUG="true", PORTAL_CLIENT_ID="x")
    assert result.returncode != 0
    assert "set PORTAL_CLIENT_SECRET, or PORTAL_CLIENT_CERTIFICATE" in result.stderr


def test_settings_without_an_audit_key_fail_loudly_when_debug_is_off() -> None:
    result = _import_settings(
        DEBUG="false", SECRET_KEY="x" * 50, PORTAL_CLIENT_ID="x", PORTAL_CLIENT_SECRET="y"
    )
    assert result.returncode != 0
    assert "PORTAL_AUDIT_KEY is required but not set" in result.stderr
    assert "keep it outside the database" in result.stderr


def test_the_audit_key_can_come_from_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "audit_key"
    key_file.write_text("k" * 40 + "\n")
    result = _import_settings(
        DEBUG="false",
        SECRET_KEY="x" * 50,
        PORTAL_AUDIT_KEY_FILE=str(key_file),
        ALLOWED_HOSTS="portal.example",
        PORTAL_CLIENT_ID="client",
        PORTAL_CLIENT_SECRET="secret",
    )
    assert result.returncode == 0, result.stderr


def test_settings_load_with_a_complete_configuration() -> None:
    result = _import_settings(
        DEBUG="false",
        SECRET_KEY="x" * 50,
        PORTAL_AUDIT_KEY="a" * 50,
        ALLOWED_HOSTS="portal.example",
        PORTAL_CLIENT_ID="client",
        PORTAL_CLIENT_SECRET="secret",
        PORTAL_TENANT_ID="contoso.example",
    )
    assert result.returncode == 0, result.stderr
