"""The services' domain errors cross nameko RPC as themselves, fields and all."""

from __future__ import annotations

import json

import pytest
from nameko.exceptions import deserialize, serialize

from pawline.errors import (
    EmployeeNotFoundError,
    ServiceError,
    StaffInvalidInputError,
    StaffRefusedError,
    register_remote_errors,
    service_errors,
)


@pytest.fixture(autouse=True)
def _registered() -> None:
    register_remote_errors()


def over_the_wire(error: Exception) -> Exception:
    # what nameko sends is JSON: go through it as the broker would
    arrived = deserialize(json.loads(json.dumps(serialize(error))))
    assert isinstance(arrived, Exception)
    return arrived


def test_an_error_without_fields_arrives_without_fields():
    arrived = over_the_wire(StaffRefusedError("Ana is already clocked in"))
    assert type(arrived) is StaffRefusedError
    assert arrived.message == "Ana is already clocked in"
    assert arrived.fields is None
    assert arrived.as_dict() == {"error": "refused", "message": "Ana is already clocked in"}


def test_an_error_with_fields_arrives_with_them():
    error = StaffInvalidInputError.of_field("weekly.0.end", "Must be after start.")
    arrived = over_the_wire(error)
    assert type(arrived) is StaffInvalidInputError
    assert arrived.fields == {"weekly.0.end": ["Must be after start."]}
    assert str(arrived) == "weekly.0.end: Must be after start."


def test_every_domain_error_is_registered_and_has_a_code():
    classes = service_errors()
    assert EmployeeNotFoundError in classes
    assert all(isinstance(cls.code, str) for cls in classes)
    assert over_the_wire(EmployeeNotFoundError("no employee x")).code == "not_found"
    assert issubclass(EmployeeNotFoundError, ServiceError)
