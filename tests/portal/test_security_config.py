"""Security review (issue 14), items 6 and 7: secrets come only from the environment or
files, and the portal refuses to run with DEBUG off on the emulator's demo client."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.checks import Tags, run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from emulator.tenant import demo
from portal import checks
from tests.portal.helpers import python_in_clean_environment

ROOT = Path(__file__).resolve().parents[2]
SECRETS = ("SECRET_KEY", "PORTAL_CLIENT_SECRET", "PORTAL_AUDIT_KEY")
REAL = {
    "PORTAL_TENANT_ID": "contoso.example",
    "PORTAL_CLIENT_ID": "0a1b2c3d-0000-4000-8000-000000000001",
    "PORTAL_CLIENT_SECRET": "a-real-tenants-secret-from-its-vault",
}


# 6. Secrets ------------------------------------------------------------------------------


def _assignments(tree: ast.Module, name: str) -> list[tuple[ast.Assign, list[ast.AST]]]:
    """Every `name = …` in the module, with the statements that enclose it."""
    found: list[tuple[ast.Assign, list[ast.AST]]] = []

    def visit(node: ast.AST, parents: list[ast.AST]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in child.targets
            ):
                found.append((child, parents))
            visit(child, [*parents, child])

    visit(tree, [])
    return found


@pytest.mark.parametrize("name", SECRETS)
def test_settings_read_each_secret_from_the_environment_and_hold_no_literal(name: str) -> None:
    tree = ast.parse((ROOT / "portal" / "settings.py").read_text())
    assignments = _assignments(tree, name)
    assert assignments, f"{name} is not set in portal/settings.py"
    for assignment, parents in assignments:
        call = assignment.value
        assert isinstance(call, ast.Call)
        assert isinstance(call.func, ast.Name)
        assert call.func.id in {"env_str", "env_optional"}, ast.unparse(assignment)
        assert isinstance(call.args[0], ast.Constant)
        assert call.args[0].value == name
        defaults = [a for a in call.args[1:] if isinstance(a, ast.Constant)]
        if defaults:
            # A default exists only for local development, and says so.
            guard = parents[-1]
            assert isinstance(guard, ast.If)
            assert ast.unparse(guard.test) == "DEBUG"
            assert assignment in guard.body
            assert "insecure" in str(defaults[0].value)
            assert not any(k.arg == "required" for k in call.keywords)


def test_the_demo_secret_is_nowhere_in_the_settings() -> None:
    source = (ROOT / "portal" / "settings.py").read_text()
    assert demo.PORTAL_CLIENT_SECRET not in source
    assert demo.PORTAL_CLIENT_ID not in source


def test_every_secret_can_come_from_a_file(tmp_path: Path) -> None:
    environment = {"DEBUG": "false", "ALLOWED_HOSTS": "portal.example", **REAL}
    expected = {}
    for name in SECRETS:
        value = f"{name.lower()}-from-a-file-" + "x" * 40
        (tmp_path / name).write_text(value + "\n")
        environment[f"{name}_FILE"] = str(tmp_path / name)
        environment[name] = "ignored-because-the-file-wins-" + "y" * 40
        expected[name] = value
    printed = ",".join(f"{name}={{s.{name}}}" for name in SECRETS)
    result = python_in_clean_environment(
        f"import portal.settings as s; print(f'{printed}')", **environment
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ",".join(f"{k}={v}" for k, v in expected.items())


def test_an_empty_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("\n")
    result = python_in_clean_environment(
        "import portal.settings",
        DEBUG="false",
        ALLOWED_HOSTS="portal.example",
        SECRET_KEY_FILE=str(tmp_path / "empty"),
        PORTAL_AUDIT_KEY="a" * 50,
        **REAL,
    )
    assert result.returncode != 0
    assert "SECRET_KEY_FILE points at" in result.stderr
    assert "which is empty" in result.stderr


# 7. The demo client with DEBUG off -----------------------------------------------------------


def test_the_checks_demo_values_are_the_emulators() -> None:
    assert checks.DEMO_TENANT_ID == demo.TENANT_ID
    assert checks.DEMO_CLIENT_ID == demo.PORTAL_CLIENT_ID
    assert checks.DEMO_CLIENT_SECRET == demo.PORTAL_CLIENT_SECRET


def _security_errors() -> list[str]:
    return [
        f"{message.id}: {message.msg} {message.hint}"
        for message in run_checks(tags=[Tags.security])
        if message.is_serious()
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("PORTAL_TENANT_ID", demo.TENANT_ID),
        ("PORTAL_CLIENT_ID", demo.PORTAL_CLIENT_ID),
        ("PORTAL_CLIENT_ID", demo.PORTAL_CLIENT_ID.upper()),
        ("PORTAL_CLIENT_SECRET", demo.PORTAL_CLIENT_SECRET),
    ],
)
def test_each_demo_value_with_debug_off_is_an_error_that_says_what_to_do(
    setting: str, value: str
) -> None:
    with override_settings(DEBUG=False, PORTAL_ALLOW_DEMO_CLIENT=False, **{**REAL, setting: value}):
        [error] = _security_errors()
        with pytest.raises(SystemCheckError, match=r"portal\.E001") as raised:
            call_command("check")
    assert error.startswith(f"portal.E001: DEBUG is off but {setting} is the bundled emulator's")
    assert "set PORTAL_TENANT_ID, PORTAL_CLIENT_ID and a credential of its own" in error
    assert "PORTAL_ALLOW_DEMO_CLIENT=true" in str(raised.value)


def test_all_three_demo_values_are_named_in_one_error() -> None:
    demo_values = {
        "PORTAL_TENANT_ID": demo.TENANT_ID,
        "PORTAL_CLIENT_ID": demo.PORTAL_CLIENT_ID,
        "PORTAL_CLIENT_SECRET": demo.PORTAL_CLIENT_SECRET,
    }
    with override_settings(DEBUG=False, PORTAL_ALLOW_DEMO_CLIENT=False, **demo_values):
        [error] = _security_errors()
    assert "PORTAL_TENANT_ID, PORTAL_CLIENT_ID, PORTAL_CLIENT_SECRET are the bundled" in error


@pytest.mark.django_db
@pytest.mark.parametrize(
    "overrides",
    [
        {"DEBUG": True, "PORTAL_ALLOW_DEMO_CLIENT": False},  # make demo
        {"DEBUG": False, "PORTAL_ALLOW_DEMO_CLIENT": True},  # make serve against the emulator
    ],
)
def test_the_check_is_silent_with_debug_on_or_the_explicit_opt_in(
    overrides: dict[str, bool],
) -> None:
    with override_settings(
        **overrides, PORTAL_CLIENT_ID=demo.PORTAL_CLIENT_ID, PORTAL_TENANT_ID=demo.TENANT_ID
    ):
        assert _security_errors() == []
        call_command("check")


def test_the_check_is_silent_for_a_real_tenant() -> None:
    with override_settings(DEBUG=False, PORTAL_ALLOW_DEMO_CLIENT=False, **REAL):
        assert _security_errors() == []


def test_the_start_up_check_raises_with_the_error_and_passes_otherwise() -> None:
    with override_settings(DEBUG=False, PORTAL_ALLOW_DEMO_CLIENT=False, **REAL):
        checks.refuse_to_serve_on_errors()
    demo_client = {**REAL, "PORTAL_CLIENT_ID": demo.PORTAL_CLIENT_ID}
    with (
        override_settings(DEBUG=False, PORTAL_ALLOW_DEMO_CLIENT=False, **demo_client),
        pytest.raises(ImproperlyConfigured, match=r"refuses to start:\n.*portal\.E001"),
    ):
        checks.refuse_to_serve_on_errors()


_DEMO_ENVIRONMENT = {
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "DEBUG": "false",
    "SECRET_KEY": "s" * 50,
    "PORTAL_AUDIT_KEY": "a" * 50,
    "ALLOWED_HOSTS": "localhost",
    "PORTAL_TENANT_ID": demo.TENANT_ID,
    "PORTAL_CLIENT_ID": demo.PORTAL_CLIENT_ID,
    "PORTAL_CLIENT_SECRET": demo.PORTAL_CLIENT_SECRET,
}


def test_gunicorns_app_refuses_to_load_with_the_demo_client_and_debug_off() -> None:
    # gunicorn imports portal.wsgi in each worker and runs no checks of its own.
    refused = python_in_clean_environment("import portal.wsgi", **_DEMO_ENVIRONMENT)
    assert refused.returncode != 0
    assert "The portal refuses to start" in refused.stderr
    assert "portal.E001" in refused.stderr
    allowed = python_in_clean_environment(
        "import portal.wsgi", **_DEMO_ENVIRONMENT, PORTAL_ALLOW_DEMO_CLIENT="true"
    )
    assert allowed.returncode == 0, allowed.stderr


def test_manage_py_commands_refuse_too(tmp_path: Path) -> None:
    environment = {**_DEMO_ENVIRONMENT, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    code = "import sys; from django.core.management import execute_from_command_line as run; "
    refused = python_in_clean_environment(
        code + "run(['manage.py', 'migrate', '--noinput'])", **environment
    )
    assert refused.returncode != 0
    assert "portal.E001" in refused.stderr


def test_make_serve_opts_in_only_on_its_emulator_branch() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert makefile.count("PORTAL_ALLOW_DEMO_CLIENT=true") == 1
    [line] = [line for line in makefile.splitlines() if "PORTAL_ALLOW_DEMO_CLIENT=" in line]
    assert "$(start_emulator)" in line
    assert "$(DEMO_ENV)" in line
