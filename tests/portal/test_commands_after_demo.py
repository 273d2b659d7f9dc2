"""Every manage.py command the README shows runs as written after `make demo`, in a new
shell that exports nothing: `make demo` leaves the environment it used in var/portal.env
(portal/envfile.py), and manage.py reads it."""

from __future__ import annotations

import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from emulator.harness import EmulatorProcess
from portal import envfile

ROOT = Path(__file__).resolve().parents[2]
# What the README shows, in the form it shows it; a new command there fails the first test
# until it is run here too.
README_COMMANDS = {
    "migrate": ["migrate"],
    "audit_verify": ["audit_verify"],
    "audit_reconcile": ["audit_reconcile"],
    "prune_db_task_results": ["prune_db_task_results"],
    "check": ["check", "--deploy"],
}


def _new_shell() -> dict[str, str]:
    """A login shell's environment: nothing of the portal's."""
    return {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}


@pytest.fixture
def demo_var(tmp_path: Path, emulator: EmulatorProcess) -> Path:
    """A var/ directory as `make demo` leaves it: its environment file and audit key (written
    by the same Makefile code, `make demo-env`), and the emulator's CA."""
    made = subprocess.run(
        ["make", "-s", "demo-env", f"VAR={tmp_path}", f"PY={sys.executable}"],
        cwd=ROOT, env=_new_shell(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    (tmp_path / "emulator").mkdir()
    shutil.copy(emulator.ca_path, tmp_path / "emulator" / "ca.pem")
    return tmp_path


def _manage(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**_new_shell(), "PORTAL_ENV_FILE": str(var / "portal.env")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_readme_shows_exactly_these_commands() -> None:
    shown = set(re.findall(r"manage\.py ([a-z_]+)", (ROOT / "README.md").read_text()))
    assert shown == {*README_COMMANDS, "db_worker"}


def test_every_command_in_the_readme_runs_after_make_demo(demo_var: Path) -> None:
    for name, args in README_COMMANDS.items():
        ran = _manage(demo_var, *args)
        assert ran.returncode == 0, (name, ran.stdout, ran.stderr)
    verified = _manage(demo_var, "audit_verify")
    assert "The audit chain is intact" in verified.stdout
    assert (demo_var / "portal.sqlite3").is_file()  # the demo's database, not another


def test_the_worker_starts_as_written_after_make_demo(demo_var: Path) -> None:
    assert _manage(demo_var, "migrate", "--noinput").returncode == 0
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker"],
        cwd=ROOT,
        env={**_new_shell(), "PORTAL_ENV_FILE": str(demo_var / "portal.env")},
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its autoreloader's child goes with it
    )
    try:
        assert worker.stderr is not None
        # Lines until the worker says it started; an empty line means it exited first.
        lines = iter(worker.stderr.readline, "")
        assert any("Starting worker" in line for line in lines), "the worker did not start"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


def test_without_the_file_a_new_shell_could_not_run_them(tmp_path: Path) -> None:
    # manage.py from a directory without var/portal.env, whatever this checkout holds.
    shutil.copy(ROOT / "manage.py", tmp_path / "manage.py")
    ran = subprocess.run(
        [sys.executable, str(tmp_path / "manage.py"), "audit_verify"],
        cwd=tmp_path, env={**_new_shell(), "PYTHONPATH": str(ROOT)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert ran.returncode != 0
    assert "SECRET_KEY" in ran.stderr


def test_the_file_is_private_and_holds_no_secret_of_the_persons_own(tmp_path: Path) -> None:
    shell = {
        **_new_shell(),
        "PORTAL_AUDIT_KEY": "a-key-from-the-persons-own-environment-0123456789",
        "DATABASE_URL": "postgres://portal:their-db-password@db.example/portal",
    }
    made = subprocess.run(
        ["make", "-s", "demo-env", f"VAR={tmp_path}", f"PY={sys.executable}"],
        cwd=ROOT, env=shell, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    written = tmp_path / "portal.env"
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    text = written.read_text()
    assert "a-key-from-the-persons-own" not in text
    assert "their-db-password" not in text
    assert "DEBUG=true" in text.splitlines()
    assert not (tmp_path / "audit.key").exists()  # the person named a key of their own


def test_manage_py_finds_the_demos_file_only_when_the_shell_sets_no_debug(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "portal.env").write_text("DEBUG=true\n")
    bare: dict[str, str] = {}
    envfile.name_the_demos_file(tmp_path, bare)
    assert bare == {"PORTAL_ENV_FILE": str(tmp_path / "var" / "portal.env")}
    configured = {"DEBUG": "false"}
    envfile.name_the_demos_file(tmp_path, configured)
    assert configured == {"DEBUG": "false"}


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "portal.env"
    path.write_text("# a comment\n\nDEBUG=true\nLOG_LEVEL=DEBUG\n")
    path.chmod(0o600)
    environ = {"PORTAL_ENV_FILE": str(path), "LOG_LEVEL": "WARNING"}
    assert envfile.load(environ) == path
    assert environ["DEBUG"] == "true"
    assert environ["LOG_LEVEL"] == "WARNING"


def test_a_file_others_can_write_or_a_malformed_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "portal.env"
    path.write_text("DEBUG=true\n")
    path.chmod(0o666)
    with pytest.raises(ImproperlyConfigured, match="chmod 600"):
        envfile.load({"PORTAL_ENV_FILE": str(path)})
    path.chmod(0o600)
    path.write_text("export DEBUG=true\n")
    with pytest.raises(ImproperlyConfigured, match="line 1"):
        envfile.load({"PORTAL_ENV_FILE": str(path)})
    with pytest.raises(ImproperlyConfigured, match="does not name an existing file"):
        envfile.load({"PORTAL_ENV_FILE": str(tmp_path / "missing.env")})
