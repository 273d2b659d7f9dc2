"""Screenshots of the portal's workspaces against the emulator's demo tenant.

    python bench/screenshots.py                 # `make screenshots`: the README's pictures
    python bench/screenshots.py --survey /tmp/s # every page at 1280 and 390 px, full length

Both start what `make serve` starts, on free ports and with a throwaway database: the
emulator, gunicorn with DEBUG off and a bulk-job worker; then Chromium (/usr/bin/chromium)
signs in as ada.admin through the emulator's sign-in page. The default writes one PNG per
workspace at 1280x800 (the viewport only, so each stays small) and one 390 px wide phone
view of an object page into docs/screenshots/. `--survey` is for looking at the layout:
every page at both widths, whole, with a user and an agent identity renamed to 128
characters so that long names from Graph show where they break a page.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.portal_client import portal_environment, wait_healthy  # noqa: E402
from emulator.harness import EmulatorProcess  # noqa: E402
from emulator.tenant.seed import build_tenant  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ADA = "ada.admin@contoso.example"
USER = "4c2b71b7-2dc0-465f-b7f1-975c35db0440"  # Rey Reader
JOE = "d8fd6d05-1391-5683-a152-f7c0f1ef8043"  # Joe Contoso, with values in three sets
AGENT = "93f19af5-a7bf-5a49-8ca1-509f7e6e3c65"  # HR Onboarding Agent, an agent identity
SAMPLE = ROOT / "samples" / "demo-bulk-users.csv"
FIND = "/find/?a1=Engineering_Project&o1=eq&v1=Alpine&tab=all"
COVERAGE = "/coverage/?required=Engineering_Project&required=Security_Clearance&tab=all"
# Graph allows display names of 256 characters; 128 is already more than any layout plans for.
PART = 1200  # px: the height of the parts a long page is cut into
LONG_NAMES = {
    USER: "Maximiliane Alexandrina Konstantinopoulou-Wolfeschlegelsteinhausenbergerdorff "
    "von Hohenzollern-Sigmaringen und Liechtenstein-Vaduz",
    AGENT: "HR-Onboarding-Agent-for-the-European-Subsidiaries-of-Contoso-Worldwide-"
    "Holdings-Incorporated-Production-Slot-0001-Primary-Region",
}


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    alt: str


README_SHOTS = (
    Shot("sets", "/sets/", "The attribute sets, each with its definitions and Entra's limits"),
    Shot("set", "/sets/Engineering/", "The Engineering set's page with its attributes"),
    Shot("object", f"/objects/user/{JOE}/", "A user's page with attributes grouped by set"),
    Shot("find", FIND, "Find by value: who holds Engineering/Project = Alpine"),
    Shot("coverage", COVERAGE, "A coverage report of the objects lacking two attributes"),
    Shot("agents", "/agents/", "The agent board, agent identities grouped by blueprint"),
)
# Taken after the bulk job, so that the log has its records.
AUDIT_SHOT = Shot("audit", "/audit/", "The audit log with its filters and the bulk job's records")

SURVEY_PAGES = (
    "/",
    "/sets/",
    "/sets/Engineering/",
    "/sets/new",
    "/sets/Engineering/edit",
    "/sets/Engineering/attributes/Project/",
    "/sets/Engineering/attributes/new",
    "/objects/?q=a",
    "/objects/?q=hr&tab=agentIdentities",
    f"/objects/user/{USER}/",
    f"/objects/agentIdentity/{AGENT}/",
    f"/objects/user/{USER}/assign",
    FIND,
    COVERAGE,
    "/agents/",
    f"/bulk/new?target=users:{USER}",
    "/bulk/upload",
    "/bulk/",
    "/export/",
    "/audit/",
    "/audit/entra",
    "/no-such-page/",
    "/coverage/?required=Nope_Nothing",
)


# -- the portal -----------------------------------------------------------------------------


def _free_listener() -> socket.socket:
    return socket.create_server(("127.0.0.1", 0))


def _state_with_long_names(path: Path) -> None:
    """The demo tenant with two display names stretched to 128 characters."""
    tenant = build_tenant("demo").to_json()
    for collection in ("users", "servicePrincipals"):
        for item in tenant[collection]:
            if item["id"] in LONG_NAMES:
                item["properties"] = {**item["properties"], "displayName": LONG_NAMES[item["id"]]}
    path.write_text(json.dumps({"version": 1, "seed": "demo", "tenant": tenant}), "utf-8")


@contextmanager
def running_portal(workdir: Path, *, long_names: bool = False) -> Iterator[str]:
    """The portal's base URL, with the emulator, gunicorn and a worker running behind it."""
    state = workdir / "state.json"
    if long_names:
        _state_with_long_names(state)
    emulator = EmulatorProcess(seed="demo", ca_dir=workdir / "ca", state_file=state).start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "DATABASE"))},
            **portal_environment(emulator, f"sqlite:///{workdir / 'portal.sqlite3'}"),
            "PORTAL_CSP_FORM_ACTION": emulator.browser_url.rstrip("/"),
            "GUNICORN_WORKERS": "2",
        }
        for command in (("migrate", "--noinput"), ("collectstatic", "--noinput")):
            subprocess.run(
                [sys.executable, "manage.py", *command, "--verbosity", "0"],
                cwd=ROOT, env=env, check=True,
            )  # fmt: skip
        listener = _free_listener()
        port = listener.getsockname()[1]
        log = (workdir / "portal.log").open("wb")
        processes.append(
            subprocess.Popen(
                [str(Path(sys.executable).parent / "gunicorn"), "portal.wsgi:application",
                 "--config", "python:portal.gunicorn_config", "--bind", f"fd://{listener.fileno()}"],
                cwd=ROOT, env=env, pass_fds=[listener.fileno()], stdout=log, stderr=log,
            )
        )  # fmt: skip
        listener.close()
        processes.append(
            subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
                 "--interval", "1", "--verbosity", "0"],
                cwd=ROOT, env=env, stdout=log, stderr=log,
            )
        )  # fmt: skip
        url = f"http://localhost:{port}"
        wait_healthy(url)
        yield url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        emulator.stop()


# -- the browser ----------------------------------------------------------------------------


def sign_in(page: Page, url: str, upn: str = ADA) -> None:
    page.goto(f"{url}/")
    page.get_by_role("link", name="Sign in with Microsoft").click()
    page.get_by_label("Email or user name").fill(upn)
    page.get_by_label("Password").fill("demo")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{url}/")


def settled(page: Page) -> None:
    """Fragments the page loads by itself (hx-trigger="load") have arrived."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    settled(page)


def start_dry_run(page: Page, url: str) -> None:
    page.goto(f"{url}/bulk/upload")
    page.get_by_label("CSV file").set_input_files(SAMPLE)
    page.get_by_label("Reason").fill("HR-2027 project dates")
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_test_id("dry-run-summary")).to_be_visible()
    settled(page)


def apply_and_finish(page: Page) -> None:
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_test_id("job-progress")).to_have_attribute(
        "data-state", "completed", timeout=120_000
    )
    settled(page)


def readme_shots(url: str, out: Path, browser: Browser) -> list[Path]:
    written: list[Path] = []
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, url)

    def shoot(name: str) -> None:
        path = out / f"{name}.png"
        page.screenshot(path=path)
        written.append(path)

    for shot in README_SHOTS:
        open_page(page, url + shot.path)
        shoot(shot.name)
    start_dry_run(page, url)
    shoot("bulk-dry-run")
    apply_and_finish(page)
    page.reload()  # as a person coming back to the job sees it, without the "queued" notice
    shoot("bulk-job")
    open_page(page, url + AUDIT_SHOT.path)
    shoot(AUDIT_SHOT.name)
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, f"{url}/objects/user/{JOE}/")
    shoot("object-phone")
    context.close()
    return written


def survey_pages(url: str, out: Path, browser: Browser) -> list[Path]:
    written: list[Path] = []
    job_url = ""
    for width in (1280, 390):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        sign_in(page, url)

        def shoot(name: str, page: Page = page, width: int = width) -> None:
            path = out / f"{width}-{name}.png"
            page.screenshot(path=path, full_page=True)
            # A long page is also cut into parts a person can view at full size.
            height = page.evaluate("() => document.documentElement.scrollHeight")
            for part, top in enumerate(range(0, height, PART) if height > PART else ()):
                clip = {"x": 0, "y": top, "width": width, "height": min(PART, height - top)}
                page.screenshot(path=out / f"{width}-{name}-{part}.png", full_page=True, clip=clip)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            print(f"{path.name}: {'overflows by ' + str(overflow) + ' px' if overflow else 'fits'}")
            written.append(path)

        for n, path in enumerate(SURVEY_PAGES):
            open_page(page, url + path)
            shoot(f"{n:02d}-{path.strip('/').replace('/', '_').replace('?', '_')[:60] or 'home'}")
        start_dry_run(page, url)
        shoot("bulk-dry-run")
        if width == 1280:
            apply_and_finish(page)
            job_url = page.url
        else:
            open_page(page, job_url)
        shoot("bulk-job")
        open_page(page, f"{url}/audit/")
        page.locator("table a[href^='/audit/']").first.click()
        settled(page)
        shoot("audit-detail")
        page.goto(f"{url}/objects/user/{USER}/")
        page.get_by_role("link", name=re.compile("^Change or remove")).first.click()
        settled(page)
        shoot("assignment-edit")
        context.close()
    return written


def shoot_all(workdir: Path, out: Path, *, survey: bool) -> list[Path]:
    with running_portal(workdir, long_names=survey) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        written = (survey_pages if survey else readme_shots)(url, out, browser)
        browser.close()
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--survey", type=Path, metavar="DIR", help="every page, both widths")
    args = parser.parse_args()
    out: Path = args.survey or args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as workdir:
        written = shoot_all(Path(workdir), out, survey=bool(args.survey))
    for path in written:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: "
              f"{path.stat().st_size // 1024} KB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
