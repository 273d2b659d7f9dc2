"""Hostile text from Graph and from people, rendered in Chromium on every page (issue 14).

Markup, script URLs, template syntax, a right-to-left override and a 128-character
astral-plane string are planted where Graph or people put text: set and attribute
descriptions, predefined and assigned values, user and service principal names, an
agent's name, the portal's help text, audit reasons. Then every page of every workspace
is visited, and each must show the text as text: no dialog opens, the browser reports no
CSP violation and logs no error, nothing the text brought becomes an element or an
attribute, `{{ 7*7 }}` stays itself, and every override is isolated. The exports are
downloaded and every cell checked against the formula guard.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from playwright.sync_api import Dialog, Page

from attributes.models import AuditRecord, BulkJob, HelpText
from attributes.spreadsheet import FORMULA_STARTS
from emulator.harness import EmulatorProcess
from emulator.tenant import demo
from portal.models import User
from tests.hostile import ASTRAL, HOSTILE
from tests.html import Html, unisolated_bidi

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GraphAs = Callable[..., Any]
REY = demo.REY.object_id
HR_AGENT = "93f19af5-a7bf-5a49-8ca1-509f7e6e3c65"  # HR Onboarding Agent
DEFINITIONS = "/directory/customSecurityAttributeDefinitions"
SET_TYPE = "#Microsoft.DirectoryServices.CustomSecurityAttributeValue"
PROJECT = "/sets/Engineering/attributes/Project/"
TEMPLATE = HOSTILE["template"]
# Assigned values: what Graph takes in a free-form String (under 64 characters, any text).
# The first is a formula, so that the cell of the whole list starts with one too.
NOTES = [
    HOSTILE[k]
    for k in ("formula", "img", "script", "javascript", "template", "tag", "rtl", "svg", "crlf")
] + ["-2+3", "@SUM(A1)", "+1", "\tindented"]

# Collects what a page must never do, from the first page on.
_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
});
"""
# Elements and attributes that only the planted text could have brought.
_INJECTED = """
() => {
  const found = [];
  for (const el of document.querySelectorAll("img, svg, iframe, object, embed, script:not([src])")) {
    found.push(el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      if (attr.name.startsWith("on")) found.push(`${el.tagName} ${attr.name}`);
      const url = ["href", "src", "action", "formaction", "data", "poster"].includes(attr.name);
      if (url && /^\\s*javascript:/i.test(attr.value)) found.push(`${el.tagName} ${attr.name}=${attr.value}`);
    }
  }
  return found;
}
"""


def _plant(graph_as: GraphAs, emu: EmulatorProcess) -> dict[str, str]:
    """Hostile text wherever Graph holds text; returns the application renamed."""

    def ok(response: Any) -> None:
        assert response.status_code in {200, 201, 204}, response.text

    descriptions = {
        "Engineering": f"{HOSTILE['img']} {TEMPLATE}",
        "Marketing": f"{HOSTILE['svg']} {HOSTILE['tag']}",
        "Security": f"{HOSTILE['script']} {HOSTILE['rtl']}",
    }
    for name, text in descriptions.items():
        ok(graph_as("PATCH", f"/directory/attributeSets/{name}", json={"description": text}))
    ok(
        graph_as(
            "PATCH", f"{DEFINITIONS}/Engineering_Project", json={"description": HOSTILE["script"]}
        )
    )
    ok(graph_as("PATCH", f"{DEFINITIONS}/Engineering_ProjectDate", json={"description": ASTRAL}))
    for value in (HOSTILE["rtl"], HOSTILE["quote"], HOSTILE["close"]):
        ok(graph_as("POST", f"{DEFINITIONS}/Engineering_Project/allowedValues",
                    json={"id": value, "isActive": True}))  # fmt: skip
    ok(graph_as("POST", DEFINITIONS, json={
        "attributeSet": "Engineering", "name": "Notes", "type": "String", "isCollection": True,
        "isSearchable": True, "status": "Available", "usePreDefinedValuesOnly": False,
        "description": f"{HOSTILE['javascript']} {HOSTILE['tag']}",
    }))  # fmt: skip
    held = {
        "@odata.type": SET_TYPE,
        "Notes@odata.type": "#Collection(String)",
        "Notes": NOTES,
        "Project@odata.type": "#Collection(String)",
        "Project": [HOSTILE["rtl"], HOSTILE["close"]],
        "ProjectDate": HOSTILE["formula"],
    }
    for path in (f"/users/{REY}", f"/servicePrincipals/{HR_AGENT}"):
        ok(graph_as("PATCH", path, json={"customSecurityAttributes": {"Engineering": held}}))
    emu.rename(REY, f"Rey {HOSTILE['svg']} {HOSTILE['rtl']}")
    emu.rename(HR_AGENT, f"HR {HOSTILE['img']} {TEMPLATE}")
    listed = graph_as(
        "GET",
        "/servicePrincipals",
        params={"$filter": "servicePrincipalType eq 'Application'", "$top": "1"},
        headers={"ConsistencyLevel": "eventual"},
    )
    (app,) = listed.json()["value"]
    emu.rename(app["id"], ASTRAL)
    return {"app": app["id"]}


def _through_the_portal(ada: Client) -> str:
    """An audited change and a bulk job whose reasons are hostile; returns the job id."""
    reason = f"{HOSTILE['img']} {TEMPLATE} {HOSTILE['rtl']}"
    response = ada.post(
        f"/objects/user/{REY}/attributes/Engineering_ProjectDate/",
        {"value": HOSTILE["svg"], "seen": json.dumps(HOSTILE["formula"]), "reason": reason},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    ada.post("/bulk/new", {
        "target": [f"users:{REY}", f"servicePrincipals:{HR_AGENT}"],
        "attribute": "Engineering_Notes", "operation": "add", "value": HOSTILE["tag"],
        "reason": reason,
    })  # fmt: skip
    HelpText.objects.create(
        definition_id="Engineering_Project",
        text=f"{HOSTILE['script']} {TEMPLATE} {HOSTILE['javascript']}",
        updated_by=HOSTILE["img"],
    )
    return str(BulkJob.objects.get().id)


def _pages(job: str, seq: int, app: str) -> dict[str, list[str]]:
    """Every page, with the planted text it must show literally."""
    find = urlencode({"a1": "Engineering_Notes", "o1": "eq", "v1": HOSTILE["img"],
                      "tab": "all", "col": "Engineering_Project"})  # fmt: skip
    starts = urlencode({"a1": "Engineering_Notes", "o1": "startsWith", "v1": "<", "tab": "users"})
    targets = [f"users:{REY}", f"servicePrincipals:{HR_AGENT}"]
    bulk = urlencode({"target": targets, "attribute": "Engineering_Notes"}, doseq=True)
    return {
        "/": [],
        "/sets/": [HOSTILE["img"], TEMPLATE, HOSTILE["svg"], HOSTILE["script"]],
        "/sets/Engineering/": [HOSTILE["img"], TEMPLATE, HOSTILE["script"]],
        "/sets/Marketing/": [HOSTILE["svg"], HOSTILE["tag"]],
        "/sets/Security/": [HOSTILE["script"]],
        "/sets/Engineering/edit": [],
        "/sets/Engineering/attributes/new": [],
        PROJECT: [HOSTILE["script"], TEMPLATE],
        f"{PROJECT}status": [],
        f"{PROJECT}usage": [],
        "/sets/Engineering/attributes/ProjectDate/": [ASTRAL],
        "/sets/Engineering/attributes/Notes/": [HOSTILE["javascript"], HOSTILE["tag"]],
        "/objects/?q=Rey": [HOSTILE["svg"]],
        "/objects/?q=HR&tab=agentIdentities": [HOSTILE["img"]],
        f"/objects/user/{REY}/": [HOSTILE["svg"], HOSTILE["img"], HOSTILE["script"], TEMPLATE],
        f"/objects/agentIdentity/{HR_AGENT}/": [HOSTILE["img"], TEMPLATE, HOSTILE["tag"]],
        f"/objects/servicePrincipal/{app}/": [ASTRAL],
        f"/objects/user/{REY}/assign?attribute=Engineering_Notes": [HOSTILE["script"]],
        f"/objects/user/{REY}/attributes/Engineering_Notes/": [HOSTILE["script"]],
        f"/objects/user/{REY}/attributes/Engineering_Project/": [TEMPLATE],
        f"/objects/user/{REY}/attributes/Engineering_ProjectDate/": [],
        f"/find/?{find}": [HOSTILE["img"], HOSTILE["svg"]],
        f"/find/?{starts}": [HOSTILE["svg"]],
        "/coverage/?required=Engineering_Notes&required=Engineering_Project&tab=all": [],
        "/agents/?attribute=Engineering_Project": [],
        "/agents/": [],
        "/export/": [],
        "/bulk/": [],
        f"/bulk/new?{bulk}": [HOSTILE["img"]],
        "/bulk/upload": [],
        f"/bulk/jobs/{job}/": [HOSTILE["img"], TEMPLATE],
        "/audit/": [HOSTILE["img"], TEMPLATE],
        f"/audit/{seq}": [HOSTILE["img"], TEMPLATE, HOSTILE["svg"]],
        f"/audit/object/user/{REY}": [HOSTILE["img"]],
        "/audit/entra": [],
    }


def _problems_on(page: Page, url: str, literal: list[str], dialogs: list[str]) -> list[str]:
    response = page.goto(url)
    assert response is not None
    problems = [f"status {response.status}"] if response.status >= 400 else []
    page.wait_for_load_state("networkidle")
    problems += [f"dialog {d}" for d in dialogs]
    dialogs.clear()
    problems += [f"CSP {v}" for v in page.evaluate("window.__csp")]
    problems += [f"injected {i}" for i in page.evaluate(_INJECTED)]
    text = page.locator("body").inner_text()
    problems += [f"not shown as text: {t[:40]!r}" for t in literal if _visible(t) not in text]
    problems += [f"unisolated {b}" for b in unisolated_bidi(Html(page.content()))]
    return problems


def _visible(text: str) -> str:
    """How a text reads on the page: white space folded, as innerText gives it."""
    return " ".join(text.split())


def _formula_problems(body: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"), newline="")))
    return [
        f"line {n}: {cell[:30]!r}"
        for n, row in enumerate(rows, 1)
        for cell in row
        if cell and cell[0] in FORMULA_STARTS
    ]


def test_hostile_text_renders_inert_on_every_page_and_in_every_export(
    page: Page,
    live_server: Any,
    emu: EmulatorProcess,
    graph_as: GraphAs,
    signed_in: Callable[[str], Client],
    sign_in_as: Callable[[str], None],
    console_errors: list[str],
) -> None:
    planted = _plant(graph_as, emu)
    job = _through_the_portal(signed_in("ada.admin@contoso.example"))
    seq = AuditRecord.objects.filter(target_id=REY).latest("seq").seq
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.add_init_script(_WATCH)
    sign_in_as("ada.admin@contoso.example")
    # The name the portal keeps for the person signed in, as another tool could have set it.
    User.objects.filter(user_principal_name=demo.ADA.user_principal_name).update(
        display_name=f"Ada {HOSTILE['img']} {HOSTILE['rtl']}"
    )

    problems = {
        url: found
        for url, literal in _pages(job, seq, planted["app"]).items()
        if (found := _problems_on(page, live_server.url + url, literal, dialogs))
    }
    assert problems == {}, "\n".join(f"{u}: {p}" for u, p in problems.items())
    assert console_errors == []

    exports = [
        "/export/all.csv",
        "/export/sets/Engineering.csv",
        "/find/export.csv?" + urlencode({"a1": "Engineering_Notes", "o1": "startsWith", "v1": "<"}),
        f"/bulk/jobs/{job}/report.csv",
        "/audit/export.csv",
        "/coverage/gaps.csv?required=Engineering_Notes&tab=all",
    ]
    for url in exports:
        response = page.request.get(live_server.url + url)
        assert response.status == 200, (url, response.status)
        body = response.text()
        assert _formula_problems(body) == [], url
    # The guard kept the values: the export still says what Graph holds.
    assert "'=HYPERLINK" in page.request.get(live_server.url + "/export/all.csv").text()
