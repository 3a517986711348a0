"""``validate()``: good data loads as it is (JSON-native), bad data raises a ContractError
that names the type and every bad field."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from pawline import contracts
from pawline.contracts import REGISTRY, ContractError, UnknownEventType, schema_for, validate

Change = Callable[[dict[str, Any]], None]


def changed(event_type: str, change: Change) -> dict[str, Any]:
    data = contracts.example(event_type)
    change(data)
    return data


def setter(path: str, value: Any) -> Change:
    """Set ``value`` at a dotted path (list indices as numbers): ``lines.0.kind``."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return change


def remover(name: str) -> Change:
    def change(data: dict[str, Any]) -> None:
        del data[name]

    return change


def error_of(event_type: str, data: Any) -> ContractError:
    with pytest.raises(ContractError) as raised:
        validate(event_type, data)
    return raised.value


# -- good data ---------------------------------------------------------------------


@pytest.mark.parametrize("event_type", list(REGISTRY))
def test_example_round_trips(event_type: str) -> None:
    data = contracts.example(event_type)
    loaded = validate(event_type, data)
    assert loaded == data
    assert json.loads(json.dumps(loaded)) == loaded
    schema = schema_for(event_type)()
    assert schema.dump(loaded) == data


@pytest.mark.parametrize("event_type", list(REGISTRY))
def test_loaded_data_is_json_native(event_type: str) -> None:
    def check(value: Any) -> None:
        if isinstance(value, dict):
            assert all(isinstance(key, str) for key in value)
            for item in value.values():
                check(item)
        elif isinstance(value, list):
            for item in value:
                check(item)
        else:
            assert value is None or type(value) in (str, int, bool)

    check(validate(event_type, contracts.example(event_type)))


def test_absent_optional_fields_load_as_none() -> None:
    def drop_contact(data: dict[str, Any]) -> None:
        del data["email"], data["phone"]

    data = changed("ClientRegistered", drop_contact)
    loaded = validate("ClientRegistered", data)
    assert loaded["email"] is None
    assert loaded["phone"] is None


def test_optional_fields_may_be_null() -> None:
    data = changed("TicketClosed", lambda d: d.update(employee_id=None, coupon_code=None))
    assert validate("TicketClosed", data) == data


def test_uuids_load_in_canonical_lower_case() -> None:
    client_id = contracts.example("ClientDeactivated")["client_id"]
    loaded = validate("ClientDeactivated", {"client_id": client_id.upper()})
    assert loaded == {"client_id": client_id}


def test_utc_offset_zero_is_accepted_and_kept() -> None:
    data = changed("IncidentResolved", setter("resolved_at", "2026-11-21T15:20:00.123+00:00"))
    assert validate("IncidentResolved", data)["resolved_at"] == "2026-11-21T15:20:00.123+00:00"


def test_end_of_day_ends_a_weekly_slot() -> None:
    data = changed(
        "EmployeeScheduleSet", setter("weekly", [{"weekday": 6, "start": "22:00", "end": "24:00"}])
    )
    assert validate("EmployeeScheduleSet", data)["weekly"][0]["end"] == "24:00"


def test_empty_lists_are_data() -> None:
    data = changed("ServiceLimitationsSet", lambda d: d.update(service_ids=[], category_ids=[]))
    assert validate("ServiceLimitationsSet", data) == data


def test_wait_list_window_may_be_one_instant() -> None:
    data = changed("WaitListJoined", setter("latest", "2026-11-23T08:00:00Z"))
    assert validate("WaitListJoined", data)["latest"] == "2026-11-23T08:00:00Z"


# -- bad data: (type, change, the field path reported, words of its message) --------

BAD: list[tuple[str, str, Change, tuple[str, str]]] = [
    # (test id, type, change, (expected error path in str(error), message fragment))
    ("missing field", "ClientRegistered", remover("client_id"), ("client_id", "Missing data")),
    (
        "missing nested",
        "TicketClosed",
        lambda d: d["lines"][0].pop("quantity"),
        ("lines[0].quantity", "Missing data"),
    ),
    ("null required", "PetAdded", setter("name", None), ("name", "may not be null")),
    ("empty text", "PetAdded", setter("name", ""), ("name", "Shorter than minimum length")),
    ("float money", "TicketClosed", setter("total", 637.2), ("total", "Not a valid integer")),
    (
        "whole float money",
        "InvoiceIssued",
        setter("amount", 63720.0),
        ("amount", "Not a valid integer"),
    ),
    (
        "money as text",
        "PaymentRefunded",
        setter("amount", "12900"),
        ("amount", "Not a valid integer"),
    ),
    ("money as bool", "PaymentRefunded", setter("amount", True), ("amount", "Not a valid integer")),
    (
        "negative money",
        "PaymentRefunded",
        setter("amount", -1),
        ("amount", "greater than or equal"),
    ),
    (
        "float unit price",
        "TicketClosed",
        setter("lines.1.unit_price", 129.0),
        ("lines[1].unit_price", "Not a valid integer"),
    ),
    ("lowercase currency", "TicketClosed", setter("currency", "sek"), ("currency", "ISO 4217")),
    ("long currency", "PastDueSettled", setter("currency", "SEKK"), ("currency", "ISO 4217")),
    (
        "naive datetime",
        "TicketClosed",
        setter("closed_at", "2026-11-21T14:03:00"),
        ("closed_at", "no UTC offset"),
    ),
    (
        "non-UTC offset",
        "ClockedIn",
        setter("at", "2026-11-21T08:58:00+01:00"),
        ("at", "not in UTC"),
    ),
    (
        "date for instant",
        "AccountPastDue",
        setter("since", "2026-12-01"),
        ("since", "Not a valid instant"),
    ),
    (
        "impossible instant",
        "ClockedIn",
        setter("at", "2026-02-30T08:00:00Z"),
        ("at", "Not a valid instant"),
    ),
    ("epoch instant", "ClockedIn", setter("at", 1795766400), ("at", "Not a valid instant")),
    (
        "bad date",
        "VaccinationRecorded",
        setter("expires_on", "31/03/2027"),
        ("expires_on", "Not a valid date"),
    ),
    (
        "impossible date",
        "EmployeeScheduleSet",
        setter("effective_from", "2026-02-30"),
        ("effective_from", "Not a valid date"),
    ),
    (
        "datetime for date",
        "VaccinationRecorded",
        setter("expires_on", "2027-03-31T00:00:00Z"),
        ("expires_on", "Not a valid date"),
    ),
    (
        "unknown appointment source",
        "AppointmentBooked",
        setter("source", "phone"),
        ("source", "Must be one of: staff, online, recurring"),
    ),
    (
        "unknown line kind",
        "TicketClosed",
        setter("lines.0.kind", "gift"),
        ("lines[0].kind", "Must be one of: service, product"),
    ),
    (
        "unknown payment reason",
        "PaymentFailed",
        setter("reason", "stolen"),
        ("reason", "declined, timeout, processor_error, no_card"),
    ),
    (
        "unknown channel",
        "NotificationSent",
        setter("channel", "fax"),
        ("channel", "email, sms, webhook"),
    ),
    (
        "unknown component status",
        "ComponentStatusChanged",
        setter("new_status", "down"),
        ("new_status", "Must be one of"),
    ),
    (
        "unknown incident status",
        "IncidentUpdated",
        setter("status", "fixed"),
        ("status", "investigating, identified, monitoring, resolved, postmortem"),
    ),
    (
        "unknown impact",
        "IncidentOpened",
        setter("impact", "severe"),
        ("impact", "none, minor, major, critical"),
    ),
    (
        "unknown notice kind",
        "NoticePosted",
        setter("kind", "holiday"),
        ("kind", "office_closure, phone_hours, general"),
    ),
    (
        "role spelled otherwise",
        "EmployeeHired",
        setter("role", "admin"),
        ("role", "Admin, Manager, Employee"),
    ),
    ("unknown field", "ClientRegistered", setter("clinet_id", "x"), ("clinet_id", "Unknown field")),
    (
        "card number",
        "CardOnFileUpdated",
        setter("number", "4242424242424242"),
        ("number", "Unknown field"),
    ),
    (
        "unknown nested field",
        "TicketClosed",
        setter("lines.0.price", 1),
        ("lines[0].price", "Unknown field"),
    ),
    (
        "bad uuid",
        "ClientDeactivated",
        setter("client_id", "client-1"),
        ("client_id", "Not a valid UUID"),
    ),
    (
        "uuid without hyphens",
        "ClientDeactivated",
        setter("client_id", "6f1c1d0e1f534a0e9a4e2f0a5e3b7c11"),
        ("client_id", "Not a valid UUID"),
    ),
    ("uuid as number", "ClientDeactivated", setter("client_id", 42), ("client_id", "Not a valid")),
    (
        "bad uuid in list",
        "AppointmentBooked",
        setter("service_ids.1", "bath"),
        ("service_ids[1]", "Not a valid UUID"),
    ),
    (
        "text boolean",
        "ClientRegistered",
        setter("marketing_opt_in", "yes"),
        ("marketing_opt_in", "Not a valid boolean"),
    ),
    (
        "number boolean",
        "PaymentFailed",
        setter("retryable", 1),
        ("retryable", "Not a valid boolean"),
    ),
    (
        "attempt zero",
        "NotificationFailed",
        setter("attempt", 0),
        ("attempt", "greater than or equal"),
    ),
    (
        "weekday 7",
        "EmployeeScheduleSet",
        setter("weekly.0.weekday", 7),
        ("weekly[0].weekday", "less than or equal to 6"),
    ),
    (
        "unpadded time",
        "EmployeeScheduleSet",
        setter("weekly.0.start", "8:00"),
        ("weekly[0].start", "HH:MM"),
    ),
    (
        "slot ends before it starts",
        "EmployeeScheduleSet",
        setter("weekly.0.end", "07:00"),
        ("weekly[0].end", "after start"),
    ),
    (
        "unknown time zone",
        "EmployeeScheduleSet",
        setter("timezone", "Mars/Olympus"),
        ("timezone", "IANA"),
    ),
    (
        "ends before start",
        "AppointmentBooked",
        setter("ends_at", "2026-11-21T12:00:00Z"),
        ("ends_at", "after starts_at"),
    ),
    (
        "empty time off",
        "TimeOffAdded",
        setter("ends_at", "2026-12-23T00:00:00Z"),
        ("ends_at", "after starts_at"),
    ),
    (
        "maintenance ends first",
        "MaintenanceScheduled",
        setter("scheduled_until", "2026-11-29T01:00:00Z"),
        ("scheduled_until", "after scheduled_for"),
    ),
    (
        "wait list window reversed",
        "WaitListJoined",
        setter("latest", "2026-11-22T08:00:00Z"),
        ("latest", "at or after earliest"),
    ),
    (
        "offer outlives slot",
        "WaitListSlotOffered",
        setter("expires_at", "2026-11-24T11:00:00Z"),
        ("expires_at", "expire by the slot's start"),
    ),
    ("last4 too long", "CardOnFileUpdated", setter("last4", "42424"), ("last4", "last 4 digits")),
    ("month 13", "CardOnFileUpdated", setter("exp_month", 13), ("exp_month", "less than or equal")),
    ("national phone", "ClientRegistered", setter("phone", "070-123 45 67"), ("phone", "E.164")),
    ("bad email", "EmployeeHired", setter("email", "jonas"), ("email", "Not a valid email")),
    (
        "list for text list",
        "IncidentOpened",
        setter("components", "card-payments"),
        ("components", "Not a valid list"),
    ),
]


@pytest.mark.parametrize(
    ("event_type", "change", "expected"),
    [
        pytest.param(event_type, change, expected, id=name)
        for name, event_type, change, expected in BAD
    ],
)
def test_bad_data_names_the_field(
    event_type: str, change: Change, expected: tuple[str, str]
) -> None:
    path, fragment = expected
    error = error_of(event_type, changed(event_type, change))
    assert error.type == event_type
    assert error.code == "contract_violation"
    top = path.split("[")[0].split(".")[0]
    assert top in error.fields
    message = str(error)
    assert message.startswith(f"{event_type} does not keep its contract")
    assert f"{path}: " in message
    assert fragment in message


def test_every_bad_field_is_reported_at_once() -> None:
    def break_several(data: dict[str, Any]) -> None:
        data.update(total=1.5, currency="sek", closed_at="2026-11-21 14:03", extra=True)

    error = error_of("TicketClosed", changed("TicketClosed", break_several))
    assert set(error.fields) == {"total", "currency", "closed_at", "extra"}


def test_fields_are_marshmallows_messages() -> None:
    error = error_of("TicketClosed", changed("TicketClosed", setter("lines.0.quantity", 0)))
    assert error.fields == {"lines": {0: {"quantity": ["Must be greater than or equal to 1."]}}}


def test_data_that_is_not_an_object() -> None:
    error = error_of("TicketClosed", ["not", "an", "object"])
    assert "(whole payload): Invalid input type" in str(error)


def test_unknown_type() -> None:
    with pytest.raises(UnknownEventType) as raised:
        validate("TicketVanished", {})
    assert raised.value.type == "TicketVanished"
    assert raised.value.code == "unknown_event_type"
    assert "'TicketVanished' is not a registered event type" in str(raised.value)


def test_validate_does_not_change_its_input() -> None:
    data = contracts.example("ClientDeactivated")
    data["client_id"] = data["client_id"].upper()
    before = dict(data)
    validate("ClientDeactivated", data)
    assert data == before
