"""The staff service's domain errors: each has a code and a human sentence.

They are defined in the kit (:mod:`pawline.errors`) so that the gateway,
which cannot import this package, receives them over RPC as themselves.
"""

from __future__ import annotations

from pawline.errors import (
    STAFF_ERRORS,
    EmployeeNotFoundError,
    StaffConflictError,
    StaffError,
    StaffInvalidInputError,
    StaffRefusedError,
    UnknownFeatureError,
)

EXPECTED_ERRORS = STAFF_ERRORS
"""What every staff RPC may raise on purpose (``@rpc(expected_exceptions=...)``)."""

__all__ = [
    "EXPECTED_ERRORS",
    "EmployeeNotFoundError",
    "StaffConflictError",
    "StaffError",
    "StaffInvalidInputError",
    "StaffRefusedError",
    "UnknownFeatureError",
]
