"""What the gateway answers when something goes wrong: one table from
exception types (the gateway's own, marshmallow's, pymongo's, nameko's and
the services' own, which arrive over RPC as themselves) to API.md's status
codes and its body ``{"error": CODE, "message": sentence, "fields"?: {...}}``.
"""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar

from marshmallow import ValidationError
from nameko.exceptions import (
    MethodNotFound,
    RemoteError,
    UnknownService,
    deserialize_to_instance,
)
from prometheus_client import Counter
from pymongo.errors import DuplicateKeyError, PyMongoError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from pawline.errors import ServiceError, register_remote_errors
from pawline.nameko import BadRequestError

log = logging.getLogger(__name__)

JSON = "application/json"

ERROR_ANSWERS = Counter(
    "pawline_gateway_error_answers",
    "Error answers of the gateway (refused before a worker ran, or after), by status and code",
    ["status", "code"],
)


class ApiError(Exception):
    """An answer the gateway gives on purpose: a status, a code and a sentence."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class InvalidRequestError(ApiError):
    status, code = 400, "invalid_request"


class NotAuthenticatedError(ApiError):
    status, code = 401, "not_authenticated"


class NotAllowedError(ApiError):
    status, code = 403, "not_allowed"


class NotFoundError(ApiError):
    status, code = 404, "not_found"


class MethodNotAllowedError(ApiError):
    status, code = 405, "method_not_allowed"

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.allowed = allowed


class ConflictError(ApiError):
    status, code = 409, "conflict"


class RefusedByRuleError(ApiError):
    status, code = 422, "refused"


class RateLimitedError(ApiError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnavailableError(ApiError):
    status, code = 503, "unavailable"


# Exceptions raised by the services, registered so that nameko turns an RPC
# error reply back into the same type instead of a RemoteError. The services'
# domain errors live in the kit (pawline.errors), which the gateway and the
# services share; each carries a code, mapped to a status by SERVICE_CODES.
REMOTE_ERRORS: tuple[type[Exception], ...] = (BadRequestError, *register_remote_errors())
deserialize_to_instance(BadRequestError)

SERVICE_CODES: dict[str, int] = {
    "invalid_request": 400,
    "not_allowed": 403,
    "not_found": 404,
    "conflict": 409,
    "refused": 422,
}

# Foreign exception type -> (status, code). Looked up along the exception's
# MRO, so the most specific row wins (DuplicateKeyError before PyMongoError).
ERROR_TABLE: dict[type[BaseException], tuple[int, str]] = {
    ValidationError: (400, "invalid_request"),
    BadRequestError: (400, "invalid_request"),
    DuplicateKeyError: (409, "conflict"),
    PyMongoError: (503, "unavailable"),
    UnknownService: (503, "unavailable"),
    MethodNotFound: (503, "unavailable"),
}


def status_and_code(exc: BaseException) -> tuple[int, str]:
    if isinstance(exc, ApiError):
        return exc.status, exc.code
    if isinstance(exc, ServiceError):
        if exc.code in SERVICE_CODES:
            return SERVICE_CODES[exc.code], exc.code
        return 500, "internal"
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            return ERROR_TABLE[cls]
    return 500, "internal"


# What a client is told for foreign exceptions; our own carry their sentence.
FOREIGN_MESSAGES: dict[type[BaseException], str] = {
    ValidationError: "the request has invalid fields: see fields",
    UnknownService: "a service this needs is not running; try again later",
    MethodNotFound: "a service does not offer this operation yet; try again later",
    DuplicateKeyError: "that already exists",
    PyMongoError: "the gateway's store does not answer; try again later",
}


def message_of(exc: BaseException, status: int) -> str:
    if isinstance(exc, ApiError):
        return exc.message
    if isinstance(exc, ServiceError) and status != 500:
        return exc.message
    for cls in type(exc).__mro__:
        if cls in FOREIGN_MESSAGES:
            return FOREIGN_MESSAGES[cls]
    if status == 500:
        # never a stack trace or a remote error's text to a client
        return "something went wrong on our side; it is logged"
    return str(exc) or type(exc).__name__


def fields_of(exc: BaseException) -> dict[str, Any] | None:
    if isinstance(exc, ApiError | ServiceError):
        return exc.fields
    if isinstance(exc, ValidationError):
        messages = exc.messages
        return messages if isinstance(messages, dict) else {"_schema": messages}
    return None


def error_body(status: int, code: str, message: str, fields: dict[str, Any] | None) -> str:
    body: dict[str, Any] = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return json.dumps(body)


def error_response(exc: BaseException) -> Response:
    """The JSON answer for any exception; a 500 only for our own faults."""
    if isinstance(exc, HTTPException) and not isinstance(exc, ApiError):
        exc = from_routing(exc)
    status, code = status_and_code(exc)
    ERROR_ANSWERS.labels(status=str(status), code=code).inc()
    if status >= 500:
        level = logging.ERROR if status == 500 else logging.WARNING
        log.log(level, "answered %s: %r", status, exc, exc_info=status == 500)
    if isinstance(exc, RemoteError):
        log.error("a service failed: %s %s", exc.exc_type, exc.value)
    response = Response(
        error_body(status, code, message_of(exc, status), fields_of(exc)),
        status=status,
        mimetype=JSON,
    )
    if isinstance(exc, RateLimitedError):
        response.headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, MethodNotAllowedError):
        response.headers["Allow"] = ", ".join(exc.allowed)
    return response


def from_routing(exc: HTTPException) -> ApiError:
    """werkzeug's routing answers (no such path, wrong method) in our format."""
    if exc.code == 405:
        allowed = sorted(getattr(exc, "valid_methods", None) or [])
        return MethodNotAllowedError(
            f"this path does not take that method; it takes {', '.join(allowed)}", allowed
        )
    if exc.code == 404:
        return NotFoundError("no such path: see /openapi.json for the routes")
    return InvalidRequestError(exc.description or "the request could not be read")
