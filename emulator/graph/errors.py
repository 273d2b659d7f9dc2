"""Graph's error envelope and the errors handlers raise.

`{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}`
(graph-api.md §5.1). Messages for rule violations name the offending property or
attribute, because the portal shows them to people.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

INSUFFICIENT_PRIVILEGES = "Insufficient privileges to complete the operation."


class GraphError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        inner: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.inner = inner or {}

    def envelope(self, request_id: str, client_request_id: str) -> dict[str, Any]:
        inner = {
            **self.inner,
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
            "request-id": request_id,
            "client-request-id": client_request_id,
        }
        return {"error": {"code": self.code, "message": self.message, "innerError": inner}}


def bad_request(message: str, code: str = "Request_BadRequest") -> GraphError:
    return GraphError(400, code, message)


def unsupported_query(message: str = "Unsupported Query.") -> GraphError:
    return GraphError(400, "Request_UnsupportedQuery", message)


def forbidden(message: str = INSUFFICIENT_PRIVILEGES) -> GraphError:
    return GraphError(403, "Authorization_RequestDenied", message)


def not_found(resource_id: str) -> GraphError:
    return GraphError(
        404,
        "Request_ResourceNotFound",
        f"Resource '{resource_id}' does not exist or one of its queried reference-property "
        "objects are not present.",
    )


def unknown_segment(segment: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def method_not_allowed() -> GraphError:
    return GraphError(
        405, "Request_BadRequest", "Specified HTTP method is not allowed for the request uri."
    )


def unauthenticated(message: str) -> GraphError:
    return GraphError(401, "InvalidAuthenticationToken", message)


def throttled(retry_after: str) -> GraphError:
    return GraphError(
        429,
        "TooManyRequests",
        "Please retry again later.",
        headers={"Retry-After": retry_after},
        inner={"code": "429", "message": "Please retry after", "status": "429"},
    )


def server_fault(status: int, retry_after: str | None = None) -> GraphError:
    codes = {
        500: ("Service_InternalServerError", "Encountered an internal server error."),
        503: ("serviceNotAvailable", "The service is temporarily unavailable. Please retry."),
        504: ("UnknownError", "The operation timed out."),
    }
    code, message = codes.get(status, codes[500])
    headers = {"Retry-After": retry_after} if retry_after else {}
    return GraphError(status, code, message, headers=headers)


def unknown_property(name: str, type_name: str) -> GraphError:
    return bad_request(
        f"The property '{name}' does not exist on type '{type_name}'. Make sure to only use "
        "property names that are defined by the type."
    )


def read_only_property(name: str, type_name: str) -> GraphError:
    return bad_request(f"Property '{name}' of '{type_name}' is read-only and cannot be changed.")
