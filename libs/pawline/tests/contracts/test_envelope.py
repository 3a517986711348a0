"""``validate_envelope()`` on received bodies, and upcasting old versions of data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from marshmallow import fields

from pawline import contracts
from pawline.contracts import (
    ContractError,
    UnknownEventType,
    register_upcaster,
    upcast,
    validate_envelope,
)
from pawline.contracts import upcasters as upcaster_module
from pawline.contracts.billing import PaymentRefundedSchema
from pawline.contracts.envelope import EnvelopeSchema

BUSINESS = "0b6c4b3e-56a4-4c55-9b53-6d0b0d5f3f11"


def body(event_type: str = "TicketClosed", **changes: Any) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "id": "3f0c2a52-8d7e-4d7a-9d7c-5f4b1b0a9e01",
        "type": event_type,
        "schema_version": 1,
        "source": contracts.schema_for(event_type).source,
        "position": 1234,
        "previous_position": 1230,
        "stream_id": "9b2e7c1a-3d4f-4e5a-8b6c-7d8e9f0a1b2c",
        "stream_version": 7,
        "occurred_at": "2026-11-21T14:03:00Z",
        "business_id": BUSINESS,
        "correlation_id": "c0ffee00-1234-4abc-8def-0123456789ab",
        "causation_id": None,
        "data": contracts.example(event_type),
    }
    envelope.update(changes)
    return envelope


def envelope_error(message: dict[str, Any]) -> ContractError:
    with pytest.raises(ContractError) as raised:
        validate_envelope(message)
    return raised.value


@pytest.mark.parametrize("event_type", list(contracts.REGISTRY))
def test_a_good_body_loads_as_it_is(event_type: str) -> None:
    message = body(event_type)
    assert validate_envelope(json.loads(json.dumps(message))) == message


def test_causation_id_may_name_the_causing_event() -> None:
    message = body(causation_id="7e57ab1e-0000-4000-8000-000000000001")
    assert validate_envelope(message)["causation_id"] == "7e57ab1e-0000-4000-8000-000000000001"


def test_the_envelope_schema_lists_the_wire_envelope() -> None:
    assert list(EnvelopeSchema().fields) == [
        "id",
        "type",
        "schema_version",
        "source",
        "position",
        "previous_position",
        "stream_id",
        "stream_version",
        "occurred_at",
        "business_id",
        "correlation_id",
        "causation_id",
        "data",
    ]


@pytest.mark.parametrize(
    ("changes", "field", "fragment"),
    [
        pytest.param({"id": "event-1"}, "id", "Not a valid UUID", id="bad id"),
        pytest.param({"schema_version": 0}, "schema_version", "greater than or equal", id="v0"),
        pytest.param({"schema_version": "1"}, "schema_version", "Not a valid integer", id="v text"),
        pytest.param({"position": 0}, "position", "greater than or equal", id="position 0"),
        pytest.param({"position": 1.0}, "position", "Not a valid integer", id="float position"),
        pytest.param({"stream_version": 0}, "stream_version", "greater than", id="version 0"),
        pytest.param(
            {"occurred_at": "2026-11-21T14:03:00"}, "occurred_at", "no UTC offset", id="naive"
        ),
        pytest.param({"business_id": None}, "business_id", "may not be null", id="no tenant"),
        pytest.param({"causation_id": "x"}, "causation_id", "Not a valid UUID", id="causation"),
        pytest.param({"data": []}, "data", "Not a valid mapping", id="data list"),
        pytest.param({"type": "ticket closed"}, "type", "Not an event type", id="type spelling"),
        pytest.param({"source": "Booking"}, "source", "Not a service name", id="source spelling"),
        pytest.param({"headers": {}}, "headers", "Unknown field", id="extra key"),
    ],
)
def test_a_bad_envelope_names_the_field(changes: dict[str, Any], field: str, fragment: str) -> None:
    error = envelope_error(body(**changes))
    assert field in error.fields
    assert f"{field}: " in str(error)
    assert fragment in str(error)


@pytest.mark.parametrize("missing", ["id", "causation_id", "data", "business_id"])
def test_every_envelope_key_is_required(missing: str) -> None:
    message = body()
    del message[missing]
    error = envelope_error(message)
    assert error.fields == {missing: ["Missing data for required field."]}
    assert error.type == "TicketClosed"


def test_bad_data_is_reported_under_data() -> None:
    message = body()
    message["data"]["lines"][1]["quantity"] = 1.5
    error = envelope_error(message)
    assert error.type == "TicketClosed"
    assert error.fields == {"data": {"lines": {1: {"quantity": ["Not a valid integer."]}}}}
    assert "data.lines[1].quantity: Not a valid integer" in str(error)


def test_unknown_type_says_it_is_not_registered() -> None:
    with pytest.raises(UnknownEventType) as raised:
        validate_envelope(body(type="TicketTeleported", data={"ticket_id": "x"}))
    assert raised.value.type == "TicketTeleported"
    assert "'TicketTeleported' is not a registered event type" in str(raised.value)


def test_a_type_from_the_wrong_source() -> None:
    error = envelope_error(body(source="billing"))
    assert error.fields == {"source": ["TicketClosed is published by booking, not billing."]}


def test_a_body_that_is_not_an_object() -> None:
    with pytest.raises(ContractError) as raised:
        validate_envelope([1, 2, 3])  # type: ignore[arg-type]
    assert raised.value.type is None
    assert "Invalid input type" in str(raised.value)


def test_a_newer_version_than_the_kit_knows() -> None:
    error = envelope_error(body(schema_version=2))
    assert "schema_version: Version 2 is newer than this kit knows (1)" in str(error)


def test_no_upcaster_is_registered_yet() -> None:
    assert dict(upcaster_module.STEPS) == {}


# -- upcasting, with a temporary version 2 of PaymentRefunded ---------------------------


class PaymentRefundedV2Schema(PaymentRefundedSchema):
    """A captured payment was refunded, in full or in part, saying why."""

    event_type = "PaymentRefunded"
    schema_version = 2

    reason = fields.String(required=True)


def refund_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    data["reason"] = "unspecified"
    return data


@pytest.fixture
def refund_v2(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(contracts._schemas, "PaymentRefunded", PaymentRefundedV2Schema)
    register_upcaster("PaymentRefunded", 1, refund_v1_to_v2)
    try:
        yield
    finally:
        upcaster_module.unregister_upcaster("PaymentRefunded", 1)


@pytest.mark.usefixtures("refund_v2")
def test_upcast_applies_the_registered_steps() -> None:
    v1 = contracts.example("PaymentRefunded")
    v2 = upcast("PaymentRefunded", 1, v1)
    assert v2 == {**v1, "reason": "unspecified"}
    assert "reason" not in v1  # the step got a copy
    assert upcast("PaymentRefunded", 2, v2) == v2


@pytest.mark.usefixtures("refund_v2")
def test_a_received_old_version_arrives_upcast() -> None:
    message = body("PaymentRefunded")
    loaded = validate_envelope(message)
    assert loaded["schema_version"] == 2
    assert loaded["data"]["reason"] == "unspecified"


@pytest.mark.usefixtures("refund_v2")
def test_a_current_version_is_not_upcast() -> None:
    message = body("PaymentRefunded", schema_version=2)
    message["data"]["reason"] = "duplicate charge"
    assert validate_envelope(message)["data"]["reason"] == "duplicate charge"


@pytest.mark.usefixtures("refund_v2")
def test_current_version_data_without_the_new_field_is_refused() -> None:
    error = envelope_error(body("PaymentRefunded", schema_version=2))
    assert error.fields == {"data": {"reason": ["Missing data for required field."]}}


def test_a_missing_step_is_a_contract_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(contracts._schemas, "PaymentRefunded", PaymentRefundedV2Schema)
    with pytest.raises(ContractError, match="No upcaster registered from version 1 to 2"):
        upcast("PaymentRefunded", 1, contracts.example("PaymentRefunded"))


def test_an_upcaster_is_registered_once() -> None:
    register_upcaster("PaymentRefunded", 1, refund_v1_to_v2)
    try:
        with pytest.raises(ValueError, match="already registered"):
            register_upcaster("PaymentRefunded", 1, refund_v1_to_v2)
    finally:
        upcaster_module.unregister_upcaster("PaymentRefunded", 1)


@pytest.mark.parametrize("version", [0, -1, True])
def test_an_upcaster_starts_at_version_1_or_later(version: int) -> None:
    with pytest.raises(ValueError, match="from_version must be an integer >= 1"):
        register_upcaster("PaymentRefunded", version, refund_v1_to_v2)


def test_upcast_of_an_unknown_type() -> None:
    with pytest.raises(UnknownEventType):
        upcast("PaymentTeleported", 1, {})


def test_an_envelope_without_previous_position_loads_it_as_null() -> None:
    # get_notifications replies and plain publishers do not set it
    envelope = body()
    del envelope["previous_position"]
    assert contracts.validate_envelope(envelope)["previous_position"] is None


@pytest.mark.parametrize("bad", [0, -3, "1230", 1.5])
def test_previous_position_is_a_positive_whole_number(bad: Any) -> None:
    with pytest.raises(ContractError, match="previous_position"):
        contracts.validate_envelope(body(previous_position=bad))
