"""Behaviour switches that tests flip at run time through `POST /_emulator/settings`."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

# MSAL treats a token with under five minutes left as expired (stack-notes M4), so a
# lifetime of 300 s or less makes every silent call go back to the token endpoint.
DEFAULT_ACCESS_TOKEN_LIFETIME = 3600

# How `customSecurityAttributes` reads when nothing is left (graph-api.md §11.3): "null"
# drops emptied sets and reads an object without values as null; "{}" keeps an emptied
# set as an object holding only its @odata.type and reads an object without values as {}.
EMPTY_AS_NULL = "null"
EMPTY_AS_OBJECT = "{}"
EMPTY_VALUES_CHOICES = (EMPTY_AS_NULL, EMPTY_AS_OBJECT)


class SettingsError(ValueError):
    pass


@dataclass(slots=True)
class RuntimeSettings:
    self_role_read: bool = True  # may users read their own roleAssignments?
    access_token_lifetime: int = DEFAULT_ACCESS_TOKEN_LIFETIME
    empty_values: str = EMPTY_AS_NULL

    def update(self, changes: dict[str, Any]) -> None:
        unknown = set(changes) - {"self_role_read", "access_token_lifetime", "empty_values"}
        if unknown:
            raise SettingsError(f"Unknown settings: {', '.join(sorted(unknown))}.")
        self_role_read = changes.get("self_role_read", self.self_role_read)
        lifetime = changes.get("access_token_lifetime", self.access_token_lifetime)
        empty_values = changes.get("empty_values", self.empty_values)
        if not isinstance(self_role_read, bool):
            raise SettingsError("self_role_read must be true or false.")
        if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 1:
            raise SettingsError("access_token_lifetime must be a positive number of seconds.")
        if empty_values not in EMPTY_VALUES_CHOICES:
            raise SettingsError('empty_values must be "null" or "{}".')
        self.self_role_read = self_role_read
        self.access_token_lifetime = lifetime
        self.empty_values = empty_values

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
