"""Small readers for settings that come from environment variables.

Each one fails loudly with a message that names the variable, shows what was
wrong and says how to fix it, because a portal that starts with a half-read
configuration fails later in ways that are much harder to diagnose.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str) -> str | None:
    """The value of NAME, or the contents of the file named by NAME_FILE (Docker secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            contents = Path(file_name).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(
                f"{name}_FILE points at {file_name!r}, which cannot be read ({exc.strerror}). "
                f"Point it at a readable file, or unset it and set {name} instead."
            ) from exc
        if not contents:
            raise ImproperlyConfigured(
                f"{name}_FILE points at {file_name!r}, which is empty. Write the value into "
                f"that file, or unset {name}_FILE and set {name} instead."
            )
        return contents
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def env_str(
    name: str, default: str | None = None, *, required: bool = False, hint: str = ""
) -> str:
    value = _raw(name)
    if value is not None:
        return value
    if required or default is None:
        raise ImproperlyConfigured(
            f"The environment variable {name} is required but not set. "
            f"{hint or 'See .env.example for what it should contain.'}"
        )
    return default


def env_optional(name: str) -> str | None:
    return _raw(name)


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a boolean. Use one of: true, false (or 1, 0, yes, no, on, off)."
    )


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a whole number. Set it to digits only, e.g. {name}={default}."
        ) from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        low = "" if minimum is None else f"at least {minimum}"
        high = "" if maximum is None else f"at most {maximum}"
        bounds = " and ".join(part for part in (low, high) if part)
        raise ImproperlyConfigured(f"{name}={number} is out of range: it must be {bounds}.")
    return number


def env_float(name: str, default: float, *, minimum: float = 0.0) -> float:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = float(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a number. Set it to a number of seconds, e.g. {name}={default}."
        ) from None
    if number < minimum:
        raise ImproperlyConfigured(
            f"{name}={number} is out of range: it must be at least {minimum}."
        )
    return number


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma- or space-separated list."""
    value = _raw(name)
    if value is None:
        return list(default)
    return [item for item in value.replace(",", " ").split() if item]


def env_url(name: str, default: str | None = None, *, schemes: tuple[str, ...] = ("https",)) -> str:
    value = env_str(name, default)
    scheme, sep, rest = value.partition("://")
    if not sep or scheme not in schemes or not rest or rest.startswith("/"):
        allowed = " or ".join(f"{s}://" for s in schemes)
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a valid URL. It must start with {allowed} and name a host, "
            f"e.g. {name}={default or 'https://example.com/path'}."
        )
    return value.rstrip("/")


def env_path(name: str) -> str | None:
    """An optional path to a file that must exist."""
    value = _raw(name)
    if value is None:
        return None
    if not Path(value).is_file():
        raise ImproperlyConfigured(
            f"{name}={value!r} does not name an existing file. "
            "Give the full path of the file, or unset the variable."
        )
    return value
