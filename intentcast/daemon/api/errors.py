"""The API's errors and its one JSON error shape."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse


class ApiError(Exception):
    """An error answered with the API's one JSON shape."""

    status = 400
    code = "bad-request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ApiError):
    """No record matches the id (prefix) in the path."""

    status = 404
    code = "not-found"


class Ambiguous(ApiError):
    """An id prefix matches more than one record."""

    code = "ambiguous"


class BadDraft(ApiError):
    """A request body that is not a valid intent draft, accept or amendment."""

    code = "invalid"


class Unauthorized(ApiError):
    """A call the caller may not make: it needs the API token, or a
    signed-in browser (the message says which)."""

    status = 401
    code = "unauthorized"


class BodyTimeout(ApiError):
    """The request body did not arrive in time."""

    status = 408
    code = "timeout"


class BodyTooLarge(ApiError):
    """The request body is larger than any request needs."""

    status = 413
    code = "too-large"


def error_response(
    status: int, code: str, message: str, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The API's one error shape."""
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )
