"""The domain errors services raise on purpose, shared by every service and the gateway.

A service raises them from its RPC methods (listed in ``expected_exceptions``);
they cross nameko RPC as themselves once the caller registers them with
``nameko.exceptions.deserialize_to_instance`` (``register_remote_errors``
does it for every subclass defined here). That is why they live in the kit:
the gateway cannot import a service's package, but both import this.

Each carries a sentence (``message``), the fields at fault (``fields``, e.g.
``{"weekly.0.end": ["Must be after start."]}``) and a ``code`` the gateway
maps to its status: ``invalid_request`` 400, ``not_allowed`` 403,
``not_found`` 404, ``conflict`` 409, ``refused`` 422. Their constructor takes
exactly what ``args`` holds, so nameko can rebuild them. Class names must be
unique across services: nameko's registry of remote exceptions is keyed by
class name.
"""

from __future__ import annotations

from typing import Any, ClassVar

from nameko.exceptions import deserialize_to_instance


class ServiceError(Exception):
    """Base of every service's domain errors."""

    code: ClassVar[str] = "service_error"

    def __init__(self, message: str, fields: dict[str, Any] | None = None) -> None:
        # args hold the fields only when there are some: nameko sends each arg
        # as JSON or, failing that, as its str ("None")
        super().__init__(*((message, fields) if fields else (message,)))
        self.message = message
        self.fields = fields or None

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


# The staff service (employees, schedules, time clock, permissions).


class StaffError(ServiceError):
    """Base of the staff service's domain errors."""

    code = "staff_error"


class EmployeeNotFoundError(StaffError):
    """No such employee in this business (another business's look the same)."""

    code = "not_found"


class StaffConflictError(StaffError):
    """Someone else changed the same employee at the same time: try again."""

    code = "conflict"


class StaffRefusedError(StaffError):
    """A business rule refuses the command (clocking in twice, a deactivated employee...)."""

    code = "refused"


class StaffInvalidInputError(StaffError):
    """The input is unusable; ``fields`` names what is wrong with each field."""

    code = "invalid_request"

    @classmethod
    def of_field(cls, field: str, problem: str) -> StaffInvalidInputError:
        return cls(f"{field}: {problem}", {field: [problem]})


class UnknownFeatureError(StaffInvalidInputError):
    """A feature name that is not in the permission table."""

    @classmethod
    def naming(cls, feature: str, field: str = "feature") -> UnknownFeatureError:
        problem = f"unknown feature {feature!r}: see the permission table (GET /v1/permissions)"
        return cls(f"{field}: {problem}", {field: [problem]})


STAFF_ERRORS: tuple[type[StaffError], ...] = (
    StaffError,
    EmployeeNotFoundError,
    StaffConflictError,
    StaffRefusedError,
    StaffInvalidInputError,
    UnknownFeatureError,
)


def service_errors() -> list[type[ServiceError]]:
    """Every domain error class defined here (and in subclasses loaded so far)."""
    found: list[type[ServiceError]] = []
    pending: list[type[ServiceError]] = [ServiceError]
    while pending:
        cls = pending.pop(0)
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def register_remote_errors() -> list[type[ServiceError]]:
    """Let RPC error replies of these types arrive as themselves; returns them."""
    classes = service_errors()
    for cls in classes:
        deserialize_to_instance(cls)
    return classes
