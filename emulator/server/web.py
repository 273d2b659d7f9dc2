"""Framework-free request and response values passed between the servers and handlers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
_PRINTABLE_ASCII = "".join(chr(code) for code in range(0x20, 0x7F))


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query_string: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    client_ip: str

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    def json(self) -> Any:
        """The JSON body; ValueError when it is not valid JSON."""
        return json.loads(self.body.decode("utf-8")) if self.body.strip() else None


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    drop: bool = False  # close the connection without answering (fault injection)

    @classmethod
    def json(
        cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None
    ) -> Response:
        return cls(status, dump_json(payload), [("Content-Type", JSON_TYPE), *(headers or [])])

    @classmethod
    def html(cls, status: int, text: str) -> Response:
        headers = [
            ("Content-Type", HTML_TYPE),
            ("Cache-Control", "no-store"),
            (
                "Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action *",
            ),
            ("X-Frame-Options", "DENY"),
        ]
        return cls(status, text.encode("utf-8"), headers)

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(302, b"", [("Location", location), ("Cache-Control", "no-store")])

    @classmethod
    def dropped(cls) -> Response:
        return cls(0, drop=True)


class Encoded(bytes):
    """A value already encoded as JSON, written into a body as it is."""


def _decoded(value: Any) -> Any:
    if isinstance(value, Encoded):
        return json.loads(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(payload: Any) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=_decoded).encode(
        "utf-8"
    )


def dump_json(payload: Any) -> bytes:
    """The body as JSON. A collection whose items are all `Encoded` (the last key of a
    list reply) is spliced in without decoding them again; anywhere else, as inside a
    `$batch` reply, they are decoded and encoded with the rest."""
    items = payload.get("value") if isinstance(payload, dict) else None
    if not items or not isinstance(items, list) or not all(type(i) is Encoded for i in items):
        return _dumps(payload)
    head = _dumps({k: v for k, v in payload.items() if k != "value"})[:-1]
    return b"".join((head, b"," if len(head) > 1 else b"", b'"value":[', b",".join(items), b"]}"))


def percent_encode_iri(value: str) -> str:
    """`value` with every character outside printable ASCII percent-encoded as UTF-8, the
    way an IRI becomes a URI (RFC 3987 §3.1). Header values must be Latin-1 on the wire and
    clients read them as such, so a `Location` naming `日本語` is sent as `%E6%97%A5…`."""
    if value.isascii() and value.isprintable():
        return value
    return quote(value, safe=_PRINTABLE_ASCII)
