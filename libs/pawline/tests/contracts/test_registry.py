"""The registry holds exactly the published catalog (EVENTS.md), and looks things up.

``CATALOG`` is EVENTS.md written out: type -> (source, fields), ``?`` marking
an optional field. EVENTS.md lives outside the repository, so a change to it
is copied here by hand, together with the schema change.
"""

from __future__ import annotations

import pytest

from pawline import contracts
from pawline.contracts import REGISTRY, ContractError, UnknownEventType, schema_for

CATALOG: dict[str, tuple[str, tuple[str, ...]]] = {
    # booking
    "ClientRegistered": (
        "booking",
        ("client_id", "name", "email?", "phone?", "marketing_opt_in"),
    ),
    "ClientDeactivated": ("booking", ("client_id",)),
    "PetAdded": ("booking", ("client_id", "pet_id", "name", "species", "breed?")),
    "VaccinationRecorded": ("booking", ("pet_id", "vaccine", "expires_on")),
    "AppointmentBooked": (
        "booking",
        (
            "appointment_id",
            "ticket_id",
            "client_id",
            "pet_id",
            "employee_id",
            "service_ids",
            "starts_at",
            "ends_at",
            "source",
        ),
    ),
    "AppointmentRescheduled": (
        "booking",
        ("appointment_id", "starts_at", "ends_at", "employee_id"),
    ),
    "AppointmentCancelled": ("booking", ("appointment_id", "reason")),
    "TicketClosed": (
        "booking",
        (
            "ticket_id",
            "client_id",
            "employee_id?",
            "lines",
            "subtotal",
            "discount",
            "tax",
            "total",
            "currency",
            "coupon_code?",
            "closed_at",
        ),
    ),
    "TicketReopened": ("booking", ("ticket_id", "reason")),
    "WaitListJoined": (
        "booking",
        ("entry_id", "client_id", "pet_id", "service_ids", "employee_id?", "earliest", "latest"),
    ),
    "WaitListSlotOffered": (
        "booking",
        ("entry_id", "client_id", "starts_at", "employee_id", "expires_at"),
    ),
    # billing
    "InvoiceIssued": ("billing", ("invoice_id", "ticket_id", "client_id", "amount", "currency")),
    "PaymentCaptured": (
        "billing",
        (
            "payment_id",
            "invoice_id?",
            "account_id?",
            "amount",
            "currency",
            "processor",
            "processor_ref",
        ),
    ),
    "PaymentFailed": (
        "billing",
        (
            "payment_id",
            "invoice_id?",
            "account_id?",
            "amount",
            "currency",
            "processor",
            "reason",
            "retryable",
            "attempt",
        ),
    ),
    "PaymentRefunded": ("billing", ("payment_id", "amount", "currency")),
    "CardOnFileUpdated": (
        "billing",
        ("account_id", "brand", "last4", "exp_month", "exp_year"),
    ),
    "AccountPastDue": ("billing", ("account_id", "amount_due", "currency", "since")),
    "PastDueSettled": ("billing", ("account_id", "payment_id", "amount", "currency")),
    "PromotionRedeemed": (
        "billing",
        ("voucher_code", "provider", "ticket_id", "value", "currency"),
    ),
    "MembershipRenewed": ("billing", ("membership_id", "client_id", "plan")),
    "MembershipLapsed": ("billing", ("membership_id", "client_id", "plan")),
    # staff
    "EmployeeHired": ("staff", ("employee_id", "name", "role", "email?")),
    "EmployeeScheduleSet": ("staff", ("employee_id", "timezone", "weekly", "effective_from")),
    "TimeOffAdded": ("staff", ("employee_id", "starts_at", "ends_at")),
    "ServiceLimitationsSet": ("staff", ("employee_id", "service_ids", "category_ids")),
    "EmployeePermissionsChanged": ("staff", ("employee_id", "denied")),
    "ClockedIn": ("staff", ("employee_id", "entry_id", "at")),
    "ClockedOut": ("staff", ("employee_id", "entry_id", "at", "worked_minutes")),
    # notify
    "NotificationSent": (
        "notify",
        ("notification_id", "channel", "template", "to", "cause_event_id"),
    ),
    "NotificationFailed": (
        "notify",
        ("notification_id", "channel", "reason", "attempt", "will_retry"),
    ),
    # status
    "ComponentStatusChanged": ("status", ("component", "old_status", "new_status")),
    "IncidentOpened": (
        "status",
        ("incident_id", "name", "impact", "status", "components", "message", "automatic"),
    ),
    "IncidentUpdated": ("status", ("incident_id", "status", "message")),
    "IncidentResolved": ("status", ("incident_id", "resolved_at")),
    "MaintenanceScheduled": (
        "status",
        ("maintenance_id", "name", "components", "scheduled_for", "scheduled_until", "message"),
    ),
    "MaintenanceStarted": ("status", ("maintenance_id",)),
    "MaintenanceCompleted": ("status", ("maintenance_id",)),
    "NoticePosted": (
        "status",
        ("notice_id", "kind", "message", "starts_at?", "ends_at?"),
    ),
}


def wire_fields(event_type: str) -> dict[str, bool]:
    """Field name on the wire -> required, as the registered schema says."""
    schema = schema_for(event_type)()
    return {
        field.data_key or name: field.required and not field.allow_none
        for name, field in schema.fields.items()
    }


def test_every_catalog_type_is_registered_and_nothing_else() -> None:
    assert set(REGISTRY) == set(CATALOG)


def test_registry_is_in_catalog_order() -> None:
    assert list(REGISTRY) == list(CATALOG)


@pytest.mark.parametrize("event_type", list(CATALOG))
def test_type_has_exactly_the_listed_fields(event_type: str) -> None:
    _, listed = CATALOG[event_type]
    expected = {name.rstrip("?"): not name.endswith("?") for name in listed}
    assert wire_fields(event_type) == expected


@pytest.mark.parametrize("event_type", list(CATALOG))
def test_schema_class_names_its_fact(event_type: str) -> None:
    schema = schema_for(event_type)
    source, _ = CATALOG[event_type]
    assert schema.event_type == event_type
    assert schema.source == source
    assert schema.schema_version == 1
    fact = schema.fact()
    assert fact
    assert fact.endswith(".")
    assert "\n" not in (schema.__doc__ or "").strip()


def test_type_names_are_unique_across_services() -> None:
    defined = [
        schema.event_type
        for module in contracts.PRODUCERS
        for schema in contracts._event_schemas(module)
    ]
    assert len(defined) == len(set(defined))
    assert len(defined) == len(REGISTRY)


def test_each_producer_module_holds_only_its_own_types() -> None:
    for module in contracts.PRODUCERS:
        assert {schema.source for schema in contracts._event_schemas(module)} == {module.SOURCE}


def test_sources_in_catalog_order() -> None:
    assert contracts.sources() == ("booking", "billing", "staff", "notify", "status")


def test_types_of_a_source() -> None:
    assert contracts.types_of("notify") == ("NotificationSent", "NotificationFailed")
    assert contracts.types_of("billing")[-2:] == ("MembershipRenewed", "MembershipLapsed")
    for source in contracts.sources():
        assert contracts.types_of(source) == tuple(
            name for name, (owner, _) in CATALOG.items() if owner == source
        )


def test_types_of_an_unknown_source() -> None:
    with pytest.raises(ValueError, match="no service named 'gateway' publishes events"):
        contracts.types_of("gateway")


def test_schema_for_an_unknown_type() -> None:
    with pytest.raises(UnknownEventType) as raised:
        schema_for("TicketOpened")
    assert isinstance(raised.value, ContractError)
    assert raised.value.type == "TicketOpened"
    assert "not a registered event type" in str(raised.value)


def test_registry_is_read_only() -> None:
    with pytest.raises(TypeError):
        REGISTRY["Anything"] = REGISTRY["TicketClosed"]  # type: ignore[index]


def test_every_type_has_an_example_with_every_field() -> None:
    for event_type in CATALOG:
        assert set(contracts.example(event_type)) == set(wire_fields(event_type)), event_type


def test_example_is_a_fresh_copy() -> None:
    first = contracts.example("TicketClosed")
    first["lines"].clear()
    assert contracts.example("TicketClosed")["lines"]


def test_membership_renewed_and_lapsed_have_the_same_fields() -> None:
    assert wire_fields("MembershipRenewed") == wire_fields("MembershipLapsed")
    assert schema_for("MembershipRenewed") is not schema_for("MembershipLapsed")
