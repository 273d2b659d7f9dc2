"""Rules DESIGN.md sets that import-linter cannot see."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GRAPH_WRITES = {"create", "post", "patch", "batch"}


def _calls_to(paths: list[Path], methods: set[str]) -> list[str]:
    found = []
    for path in paths:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in methods
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in {"graph", "g", "client"}
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.func.attr}")
    return found


def test_only_attributes_actions_write_to_graph() -> None:
    outside = [
        p for p in (ROOT / "attributes").rglob("*.py") if "actions" not in p.relative_to(ROOT).parts
    ]
    # Reads may use $batch (counting holders); no other write leaves attributes.actions.
    assert _calls_to(outside, GRAPH_WRITES - {"batch"}) == []


def test_actions_do_write_to_graph() -> None:
    inside = list((ROOT / "attributes" / "actions").rglob("*.py"))
    assert len(_calls_to(inside, GRAPH_WRITES)) >= 6


def test_audit_records_are_only_appended_by_attributes_audit() -> None:
    offenders = []
    for path in (ROOT / "attributes").rglob("*.py"):
        if path.name in {"audit.py", "models.py"} or "migrations" in path.parts:
            continue
        source = path.read_text()
        if "_appending" in source or ("bulk_create" in source and "AuditRecord" in source):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
