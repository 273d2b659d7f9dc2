"""axe-core in a Playwright page: `assert_accessible(page)` fails on every serious or
critical violation, naming the rule, the elements and the rule's help page.

The portal's CSP allows only its own nonced scripts, so a `<script>` tag added by the
test would be refused (and reported as a CSP violation the journeys assert against).
The source is evaluated through the DevTools protocol instead, which no page policy
governs; the page under test keeps its real CSP."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"

# The impacts that fail a test; "minor" and "moderate" ones are printed by nobody.
FAILING = frozenset({"serious", "critical"})


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def violations(page: Page, context: str | None = None) -> list[dict[str, Any]]:
    """axe's serious and critical violations on the page as it is now (or within the
    element `context` selects)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_source())
    found: list[dict[str, Any]] = page.evaluate(
        """async (context) => {
            const result = await window.axe.run(context ? document.querySelector(context) : document,
                {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                targets: v.nodes.map(n => n.target.join(" ")),
                summary: v.nodes.slice(0, 3).map(n => n.failureSummary),
            }));
        }""",
        context,
    )
    return [v for v in found if v["impact"] in FAILING]


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        lines.extend(f"    {target}" for target in v["targets"][:10])
        lines.extend(f"      {summary}" for summary in v["summary"][:1])
    return "\n".join(lines)


def assert_accessible(page: Page, context: str | None = None, *, where: str = "") -> None:
    found = violations(page, context)
    assert not found, f"axe on {where or page.url}:\n{describe(found)}"
