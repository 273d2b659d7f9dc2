"""The environment `make demo` and `make serve` ran with, for the commands run after them.

Both write `var/portal.env` (mode 600): the variables they set themselves, such as the
demo tenant's identifiers, DEBUG, the database and the path of the audit key, never a
secret from the person's own environment. Settings read the file `PORTAL_ENV_FILE` names;
manage.py names var/portal.env when it exists and the environment does not set DEBUG, so
`python manage.py audit_verify` in a new shell uses the demo's database and audit key. A
variable set in the environment always wins over the file.

Only the command line looks for the file by itself: a web process (gunicorn, the image,
whose build leaves `var/` out) and the test settings never pick one up unasked, and a
shell that configures the portal itself (DEBUG set) is left as it is. Kept free of
Django's settings: it runs before they exist.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import MutableMapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_LINE = re.compile(r"(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)")


def name_the_demos_file(base_dir: Path, environ: MutableMapping[str, str] = os.environ) -> None:
    """For manage.py: PORTAL_ENV_FILE becomes var/portal.env, if that exists and neither
    PORTAL_ENV_FILE nor DEBUG is set."""
    demo = base_dir / "var" / "portal.env"
    if "DEBUG" not in environ and demo.is_file():
        environ.setdefault("PORTAL_ENV_FILE", str(demo))


def parse(path: Path) -> dict[str, str]:
    """NAME=value lines; blank lines and lines starting with # are skipped."""
    mode = path.stat().st_mode
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ImproperlyConfigured(
            f"{path} can be written by other users, and it configures the portal. "
            f"Make it private with chmod 600 {path}."
        )
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.fullmatch(line.strip())
        if match is None:
            raise ImproperlyConfigured(
                f"{path}, line {number}, is not NAME=value (a name of capitals, digits and _)."
            )
        values[match["name"]] = match["value"]
    return values


def load(environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """Adds the variables of PORTAL_ENV_FILE's file that the environment does not set;
    returns the file read, if any."""
    named = environ.get("PORTAL_ENV_FILE", "").strip()
    if not named:
        return None
    path = Path(named)
    if not path.is_file():
        raise ImproperlyConfigured(
            f"PORTAL_ENV_FILE={named!r} does not name an existing file. Point it at the "
            "file `make demo` or `make serve` wrote (var/portal.env), or unset it."
        )
    for name, value in parse(path).items():
        environ.setdefault(name, value)
    return path
