"""The emulator as a process and server: start-up, CA reuse, state file, control surface,
concurrency. Tests that start their own process share one module-scoped instance."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from emulator.harness import EmulatorError, EmulatorProcess
from tests.emulator.conftest import DEMO_SERVICE_PRINCIPALS, DEMO_USERS, SET_TYPE, GraphCaller

STARTUP_BUDGET = 3.0


def test_demo_seed_starts_within_budget(emulator: EmulatorProcess) -> None:
    assert 0 < emulator.startup_seconds < STARTUP_BUDGET


def test_ready_file_and_urls(emulator: EmulatorProcess) -> None:
    assert emulator.authority == f"https://localhost:{emulator.https_port}/{emulator.tenant_id}"
    assert emulator.issuer == f"{emulator.authority}/v2.0"
    assert emulator.graph_url == f"https://localhost:{emulator.https_port}/graph/v1.0"
    assert emulator.control_url == f"http://localhost:{emulator.browser_port}/_emulator"
    assert Path(emulator.ca_path).name == "ca.pem"


def test_start_up_prints_authority_graph_url_and_ca(emulator: EmulatorProcess) -> None:
    output = emulator.output()

    assert emulator.authority in output
    assert f"https://localhost:{emulator.https_port}/graph" in output
    assert emulator.ca_path in output


def test_ca_key_is_private(emulator: EmulatorProcess) -> None:
    key = Path(emulator.ca_path).with_name("ca-key.pem")

    assert key.stat().st_mode & 0o077 == 0


def test_tls_is_trusted_only_with_the_emulator_ca(emulator: EmulatorProcess) -> None:
    session = requests.Session()
    session.trust_env = False

    with pytest.raises(requests.exceptions.SSLError):
        session.get(f"{emulator.authority}/v2.0/.well-known/openid-configuration", timeout=10)
    session.verify = emulator.ca_path
    for host in ("localhost", "127.0.0.1"):
        url = f"https://{host}:{emulator.https_port}/{emulator.tenant_id}/v2.0/.well-known/openid-configuration"
        assert session.get(url, timeout=10).status_code == 200


def test_state_file_survives_a_restart_and_the_ca_is_reused(tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    with EmulatorProcess(ca_dir=tmp_path / "ca", state_file=state_file) as first:
        token = first.password_token("ada.admin@contoso.example")
        first.graph("POST", "/directory/attributeSets", token=token, json={"id": "Persisted"})
        ca_before = Path(first.ca_path).read_bytes()

    state = json.loads(state_file.read_text("utf-8"))
    assert "Persisted" in {s["id"] for s in state["tenant"]["attributeSets"]}
    restarted = EmulatorProcess(ca_dir=tmp_path / "ca", state_file=state_file).start()
    try:
        token = restarted.password_token("ada.admin@contoso.example")
        assert (
            restarted.graph("GET", "/directory/attributeSets/Persisted", token=token).status_code
            == 200
        )
        assert Path(restarted.ca_path).read_bytes() == ca_before
    finally:
        restarted.stop()


def test_a_bad_seed_stops_the_process_with_a_message(tmp_path: Path) -> None:
    process = EmulatorProcess(seed="huge", ca_dir=tmp_path)

    with pytest.raises(EmulatorError, match="Unknown seed 'huge'"):
        process.start(timeout=10)


def test_reset_to_a_large_seed_and_back_to_the_start_seed(emu: EmulatorProcess) -> None:
    emu.reset("large:3000")

    counts = emu.state()["counts"]
    assert counts["users"] + counts["servicePrincipals"] == 3000
    assert emu.state()["seed"] == "large:3000"
    emu.reset()
    assert emu.state()["counts"]["users"] == DEMO_USERS
    assert emu.state()["seed"] == "demo"


def test_reset_rejects_unknown_seed(emu: EmulatorProcess) -> None:
    with pytest.raises(EmulatorError, match="400"):
        emu.reset("small")
    assert emu.state()["seed"] == "demo"


def test_state_document(emu: EmulatorProcess) -> None:
    state = emu.state()

    assert state["tenant_id"] == "3f1e5a2c-8d47-4b6e-9a10-5c2d7e8f9a01"
    assert state["counts"] | {"audits": 0} == {
        "users": DEMO_USERS,
        "servicePrincipals": DEMO_SERVICE_PRINCIPALS,
        "attributeSets": 6,
        "definitions": 19,
        "activeDefinitions": 18,
        "audits": 0,
        "roleAssignments": 8,
    }
    assert state["settings"] == {
        "self_role_read": True,
        "access_token_lifetime": 3600,
        "empty_values": "null",
    }
    assert state["token_grants"] == {"authorization_code": 0, "refresh_token": 0, "password": 0}


def test_reset_restores_settings_and_data(emu: EmulatorProcess, ada: GraphCaller) -> None:
    emu.configure(self_role_read=False, access_token_lifetime=600)
    ada.post("/directory/attributeSets", {"id": "Temporary"})

    emu.reset()

    assert emu.state()["settings"]["self_role_read"] is True
    assert ada.get("/directory/attributeSets/Temporary").status_code == 404


def test_invalid_settings(emu: EmulatorProcess) -> None:
    with pytest.raises(EmulatorError, match="self_role_read must be true or false"):
        emu.configure(self_role_read="no")
    with pytest.raises(EmulatorError, match="Unknown settings"):
        emu.configure(colour="blue")


def test_control_page_escapes_hostile_values(emu: EmulatorProcess) -> None:
    emu.set_faults(rules=[{"path": "<script>alert(1)</script>", "status": 429}])

    page = emu.session.get(f"{emu.control_url}/", timeout=10)

    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;" in page.text
    assert "Ada Admin" in page.text
    assert "<form method=post action='/_emulator/reset'>" in page.text


def test_rename_sets_a_display_name_until_the_next_reset(
    emu: EmulatorProcess, ada: GraphCaller
) -> None:
    rey = "4c2b71b7-2dc0-465f-b7f1-975c35db0440"
    emu.rename(rey, "Rey <b>\u202e")
    assert ada.get(f"/users/{rey}").json()["displayName"] == "Rey <b>\u202e"
    with pytest.raises(EmulatorError, match="404"):
        emu.rename("no-such-object", "x")
    with pytest.raises(EmulatorError, match="1 to 256"):
        emu.rename(rey, "")
    emu.reset()
    assert ada.get(f"/users/{rey}").json()["displayName"] == "Rey Reader"


def test_control_page_reset_button(emu: EmulatorProcess, ada: GraphCaller) -> None:
    ada.post("/directory/attributeSets", {"id": "Temporary"})

    response = emu.session.post(
        f"{emu.control_url}/reset", data={"go": "1"}, allow_redirects=False, timeout=10
    )

    assert response.status_code == 303
    assert ada.get("/directory/attributeSets/Temporary").status_code == 404


def test_control_refuses_cross_origin_posts(emu: EmulatorProcess) -> None:
    response = emu.session.post(
        f"{emu.control_url}/reset", json={}, headers={"Origin": "http://evil.example"}, timeout=10
    )

    assert response.status_code == 403


def test_unknown_control_endpoint(emu: EmulatorProcess) -> None:
    assert emu.session.get(f"{emu.control_url}/nope", timeout=10).status_code == 404


def test_concurrent_writes_and_reads(emu: EmulatorProcess, ada: GraphCaller) -> None:
    users = ada.get("/users?$top=16&$filter=userType eq 'Member'&$select=id").json()["value"]
    failures: list[str] = []

    def work(user: str, index: int) -> None:
        session = requests.Session()
        session.trust_env = False
        session.verify = emu.ca_path
        headers = {"Authorization": f"Bearer {ada.token}"}
        for step in range(5):
            body = {
                "customSecurityAttributes": {
                    "Finance": {"@odata.type": SET_TYPE, "CostCode": f"T{index}-{step}"}
                }
            }
            patched = session.patch(
                f"{emu.graph_url}/users/{user}", json=body, headers=headers, timeout=30
            )
            read = session.get(
                f"{emu.graph_url}/directory/attributeSets", headers=headers, timeout=30
            )
            if patched.status_code != 204 or read.status_code != 200:
                failures.append(f"{patched.status_code} {read.status_code}")
        session.close()

    threads = [threading.Thread(target=work, args=(u["id"], i)) for i, u in enumerate(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    for index, user in enumerate(users):
        assert ada.user_csa(user["id"])["Finance"]["CostCode"] == f"T{index}-4"
    feed = ada.get(
        "/auditLogs/customSecurityAttributeAudits?$filter=startswith(activityDisplayName,'Update attribute')",
        version="beta",
    )
    assert len(feed.json()["value"]) == min(100, 16 * 5)


def test_help_lists_the_flags() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )

    for flag in ("--host", "--port", "--browser-port", "--seed", "--state", "--ca-dir", "--latency-ms",
                 "--fault-rate-429", "--fault-rate-5xx", "--fault-rate-stall", "--stall-ms",
                 "--fault-rate-drop", "--write-quota", "--index-lag", "--demo-password",
                 "--ready-file"):  # fmt: skip
        assert flag in result.stdout
