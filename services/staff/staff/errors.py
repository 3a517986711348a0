"""The staff service's domain errors: each has a code and a human sentence.

They cross nameko RPC as themselves when the caller registers them
(``nameko.exceptions.deserialize_to_instance``), so their constructor takes
exactly what ``args`` holds: the sentence and, for invalid input, the fields
at fault (``{"weekly.0.end": ["Must be after start."]}``). The gateway maps
``code`` to its status: not_found 404, conflict 409, refused 422,
invalid_request 400. Class names are unique across services, as nameko's
registry of remote exceptions is keyed by class name.
"""

from __future__ import annotations

from typing import Any, ClassVar


class StaffError(Exception):
    """Base of the staff service's domain errors."""

    code: ClassVar[str] = "staff_error"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message, fields)
        self.message = message
        self.fields = fields

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


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
        problem = f"unknown feature {feature!r}: see the permission table (staff.permissions)"
        return cls(f"{field}: {problem}", {field: [problem]})


EXPECTED_ERRORS: tuple[type[StaffError], ...] = (
    StaffError,
    EmployeeNotFoundError,
    StaffConflictError,
    StaffRefusedError,
    StaffInvalidInputError,
    UnknownFeatureError,
)
"""What every staff RPC may raise on purpose (``@rpc(expected_exceptions=...)``)."""
