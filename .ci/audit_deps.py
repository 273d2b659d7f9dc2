"""Audits the pinned runtime dependencies for known vulnerabilities (`make audit-deps`).

First pip-audit, against PyPI's advisory data (`--vulnerability-service pypi`, which
PyPI takes from OSV), with `--strict` so that a dependency it cannot look up is a
failure rather than the "No known vulnerabilities found" pip-audit prints otherwise.
Where PyPI answers only its project pages (`/pypi/NAME/json`, as on a mirror or a proxy
that lets the package index through), pip-audit's per-version lookups fail, and the
project page is read instead: it lists the advisories of the project's newest release,
so a pin that *is* the newest release is audited that way, and any other is reported as
not audited.

Exit status: 0 every pin audited and none known vulnerable; 1 a known vulnerability
(each listed with its id, aliases and the versions that fix it); 3 some pins could not
be audited (each listed with why), so the result is unknown, never a silent pass.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
VULNERABLE, UNKNOWN = 1, 3


@dataclass(frozen=True)
class Finding:
    name: str
    version: str
    ids: list[str]
    fixed_in: list[str]


def pins(lock: Path) -> list[tuple[str, str]]:
    found = []
    for line in lock.read_text().splitlines():
        if match := PIN.match(line.strip()):
            found.append((match.group(1).lower(), match.group(2)))
    return found


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def via_pip_audit(lock: Path, timeout: float) -> tuple[list[Finding], list[str]] | None:
    """Findings and unaudited pins from pip-audit, or None when it could not look every
    pin up (then the project pages are tried)."""
    command = [sys.executable, "-m", "pip_audit", "-r", str(lock), "--no-deps", "--disable-pip"]
    command += ["--vulnerability-service", "pypi", "--strict", "--format", "json"]
    command += ["--progress-spinner", "off", "--timeout", str(int(timeout))]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own argv
    try:
        report = json.loads(result.stdout or "{}")
    except json.JSONDecodeError:
        report = {}
    dependencies = report.get("dependencies", [])
    if result.returncode != 0 and not any(d.get("vulns") for d in dependencies):
        reason = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit could not audit every pin ({reason}); reading PyPI's project pages.")
        return None
    findings = [
        Finding(
            d["name"],
            d["version"],
            [v["id"], *v.get("aliases", [])],
            v.get("fix_versions", []),
        )
        for d in dependencies
        for v in d.get("vulns", [])
    ]
    return findings, []


def _project(pypi_url: str, name: str, timeout: float) -> dict[str, Any]:
    url = f"{pypi_url.rstrip('/')}/pypi/{_normalised(name)}/json"
    with urllib.request.urlopen(url, timeout=timeout) as answer:  # noqa: S310 - https by default
        return json.load(answer)  # type: ignore[no-any-return]


def via_project_pages(
    locked: list[tuple[str, str]], pypi_url: str, timeout: float
) -> tuple[list[Finding], list[str]]:
    findings: list[Finding] = []
    unaudited: list[str] = []
    for name, version in locked:
        try:
            project = _project(pypi_url, name, timeout)
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            reason = getattr(error, "reason", error)
            unaudited.append(f"{name}=={version}: {pypi_url} did not answer ({reason})")
            continue
        newest = project.get("info", {}).get("version")
        if newest != version:
            unaudited.append(
                f"{name}=={version}: PyPI's project page lists the advisories of {newest} "
                "only, and its per-version page is not reachable from here"
            )
            continue
        for vulnerability in project.get("vulnerabilities", []):
            if vulnerability.get("withdrawn"):
                continue
            findings.append(
                Finding(
                    name,
                    version,
                    [vulnerability["id"], *vulnerability.get("aliases", [])],
                    vulnerability.get("fixed_in", []),
                )
            )
    return findings, unaudited


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lock", type=Path, default=ROOT / "requirements" / "prod.lock")
    parser.add_argument("--via", choices=["auto", "pip-audit", "pypi-json"], default="auto")
    parser.add_argument("--pypi-url", default="https://pypi.org")
    parser.add_argument("--timeout", type=float, default=10.0)
    options = parser.parse_args(argv)

    locked = pins(options.lock)
    if not locked:
        print(f"No pins (NAME==VERSION) in {options.lock}: nothing was audited.")
        return UNKNOWN
    result = None
    if options.via in {"auto", "pip-audit"}:
        result = via_pip_audit(options.lock, options.timeout)
        if result is None and options.via == "pip-audit":
            return UNKNOWN
    if result is None:
        result = via_project_pages(locked, options.pypi_url, options.timeout)
    findings, unaudited = result

    for finding in findings:
        fix = ", ".join(finding.fixed_in) or "no fixed release yet"
        print(
            f"VULNERABLE {finding.name}=={finding.version}: {' / '.join(finding.ids)} "
            f"(fixed in {fix})"
        )
    for line in unaudited:
        print(f"NOT AUDITED {line}")
    if findings:
        print(
            f"{len(findings)} known vulnerabilities in {options.lock.name}: upgrade and `make lock`."
        )
        return VULNERABLE
    if unaudited:
        print(
            f"{len(unaudited)} of {len(locked)} pins could not be audited, so the result is "
            "unknown. Run `make audit-deps` where pypi.org (or api.osv.dev) answers, or "
            "upgrade the pins to PyPI's newest releases."
        )
        return UNKNOWN
    print(f"{len(locked)} pins in {options.lock.name} audited: no known vulnerabilities.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
