"""Entra's OAuth error responses (`{"error", "error_description": "AADSTS…", …}`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from emulator.server.web import Response


class OAuthError(Exception):
    """An error the token endpoint answers as JSON, or the authorize endpoint redirects."""

    def __init__(
        self,
        error: str,
        code: int,
        message: str,
        *,
        status: int = 400,
        suberror: str | None = None,
    ) -> None:
        super().__init__(f"AADSTS{code}: {message}")
        self.error = error
        self.code = code
        self.message = message
        self.status = status
        self.suberror = suberror

    @property
    def description(self) -> str:
        return f"AADSTS{self.code}: {self.message}"

    def payload(self) -> dict[str, Any]:
        trace_id, correlation_id = str(uuid.uuid4()), str(uuid.uuid4())
        timestamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
        body: dict[str, Any] = {
            "error": self.error,
            "error_description": (
                f"{self.description} Trace ID: {trace_id} Correlation ID: {correlation_id} "
                f"Timestamp: {timestamp}"
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.code}",
        }
        if self.suberror:
            body["suberror"] = self.suberror
        return body

    def response(self) -> Response:
        return Response.json(self.status, self.payload(), [("Cache-Control", "no-store")])


def missing_parameter(name: str) -> OAuthError:
    return OAuthError(
        "invalid_request",
        900144,
        f"The request body must contain the following parameter: '{name}'.",
    )


def invalid_grant(code: int, message: str, suberror: str | None = None) -> OAuthError:
    return OAuthError("invalid_grant", code, message, suberror=suberror)
