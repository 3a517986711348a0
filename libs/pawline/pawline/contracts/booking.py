"""Contracts of the events the booking service publishes (exchange ``booking.events``).

Booking owns clients, pets, the catalog, tickets, appointments, recurring
series and the wait list. One schema per event type of EVENTS.md, holding the
event's ``data``; ``EXAMPLES`` holds a valid ``data`` of each (documentation
and tests). Unknown fields are refused (``RAISE``): see
:mod:`pawline.contracts.base` for why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from marshmallow import ValidationError, fields, validates_schema

from pawline.contracts.base import EventSchema, PartSchema, sample_id
from pawline.contracts.values import (
    calendar_date,
    choice,
    count,
    currency,
    email,
    entity_id,
    flag,
    id_list,
    instant,
    money,
    parse_instant,
    phone,
    text,
)

SOURCE: Final = "booking"
APPOINTMENT_SOURCES: Final = ("staff", "online", "recurring")
LINE_KINDS: Final = ("service", "product")


class _BookingEventSchema(EventSchema):
    source = SOURCE


class ClientRegisteredSchema(_BookingEventSchema):
    """A client was registered with the business, with how to reach them."""

    event_type = "ClientRegistered"

    client_id = entity_id()
    name = text()
    email = email(optional=True)
    phone = phone(optional=True)
    marketing_opt_in = flag(description="The client agreed to receive marketing messages.")


class ClientDeactivatedSchema(_BookingEventSchema):
    """A client was deactivated: no new bookings, history kept."""

    event_type = "ClientDeactivated"

    client_id = entity_id()


class PetAddedSchema(_BookingEventSchema):
    """A pet was added to a client's household."""

    event_type = "PetAdded"

    client_id = entity_id()
    pet_id = entity_id()
    name = text()
    species = text(description="e.g. dog, cat, rabbit.")
    breed = text(optional=True)


class VaccinationRecordedSchema(_BookingEventSchema):
    """A pet's vaccination was recorded, with the day it stops being valid."""

    event_type = "VaccinationRecorded"

    pet_id = entity_id()
    vaccine = text(description="e.g. rabies, DHPP, bordetella.")
    expires_on = calendar_date(description="Last day the vaccination is valid.")


class AppointmentBookedSchema(_BookingEventSchema):
    """An appointment was booked for a pet with an employee."""

    event_type = "AppointmentBooked"
    ordered_pairs = (("starts_at", "ends_at", False),)

    appointment_id = entity_id()
    ticket_id = entity_id(description="The ticket the appointment's services are charged on.")
    client_id = entity_id()
    pet_id = entity_id()
    employee_id = entity_id()
    service_ids = id_list()
    starts_at = instant()
    ends_at = instant()
    # On the wire this field is ``source``; the class attribute of that name is the producer.
    booked_via = choice(
        APPOINTMENT_SOURCES,
        description="Who booked it: staff, the client online, or a recurring series.",
        data_key="source",
    )


class AppointmentRescheduledSchema(_BookingEventSchema):
    """An appointment was moved to another time or employee."""

    event_type = "AppointmentRescheduled"
    ordered_pairs = (("starts_at", "ends_at", False),)

    appointment_id = entity_id()
    starts_at = instant()
    ends_at = instant()
    employee_id = entity_id()


class AppointmentCancelledSchema(_BookingEventSchema):
    """An appointment was cancelled."""

    event_type = "AppointmentCancelled"

    appointment_id = entity_id()
    reason = text()


class TicketLineSchema(PartSchema):
    """One line of a closed ticket: a service performed or a product sold."""

    kind = choice(LINE_KINDS)
    item_id = entity_id(description="The service's or the product's id, per `kind`.")
    name = text(description="The item's name at the time of sale.")
    quantity = count(minimum=1)
    unit_price = money(description="Price of one unit in minor units of the ticket's currency.")


class TicketClosedSchema(_BookingEventSchema):
    """A ticket was closed at checkout: what was sold and what it came to."""

    event_type = "TicketClosed"

    ticket_id = entity_id()
    client_id = entity_id()
    employee_id = entity_id(optional=True)
    lines = fields.List(fields.Nested(TicketLineSchema, required=True), required=True)
    subtotal = money()
    discount = money()
    tax = money()
    total = money()
    currency = currency()
    coupon_code = text(optional=True)
    closed_at = instant()


class TicketReopenedSchema(_BookingEventSchema):
    """A closed ticket was reopened to be corrected."""

    event_type = "TicketReopened"

    ticket_id = entity_id()
    reason = text()


class WaitListJoinedSchema(_BookingEventSchema):
    """A client joined the wait list for a pet, services and a time window."""

    event_type = "WaitListJoined"
    ordered_pairs = (("earliest", "latest", True),)

    entry_id = entity_id()
    client_id = entity_id()
    pet_id = entity_id()
    service_ids = id_list()
    employee_id = entity_id(optional=True)
    earliest = instant(description="Earliest start the client accepts (UTC).")
    latest = instant(description="Latest start the client accepts (UTC).")


class WaitListSlotOfferedSchema(_BookingEventSchema):
    """A freed slot was offered to a wait-list entry, until the offer expires."""

    event_type = "WaitListSlotOffered"

    entry_id = entity_id()
    client_id = entity_id()
    starts_at = instant()
    employee_id = entity_id()
    expires_at = instant(description="Until when the client may take the slot (UTC).")

    @validates_schema
    def _check_offer_expires_before_slot(self, data: dict[str, Any], **kwargs: Any) -> None:
        if parse_instant(data["expires_at"]) > parse_instant(data["starts_at"]):
            raise ValidationError("The offer must expire by the slot's start.", "expires_at")


_CLIENT = sample_id("client:maya")
_PET = sample_id("pet:biscuit")
_EMPLOYEE = sample_id("employee:jonas")
_TICKET = sample_id("ticket:1001")
_APPOINTMENT = sample_id("appointment:1001")
_BATH = sample_id("service:bath-and-brush")
_NAILS = sample_id("service:nail-trim")
_SHAMPOO = sample_id("product:oatmeal-shampoo")
_WAIT = sample_id("wait-list:1")

EXAMPLES: Final[Mapping[str, Mapping[str, Any]]] = {
    "ClientRegistered": {
        "client_id": _CLIENT,
        "name": "Maya Lindqvist",
        "email": "maya@example.com",
        "phone": "+46701234567",
        "marketing_opt_in": False,
    },
    "ClientDeactivated": {"client_id": _CLIENT},
    "PetAdded": {
        "client_id": _CLIENT,
        "pet_id": _PET,
        "name": "Biscuit",
        "species": "dog",
        "breed": "Cocker Spaniel",
    },
    "VaccinationRecorded": {"pet_id": _PET, "vaccine": "rabies", "expires_on": "2027-03-31"},
    "AppointmentBooked": {
        "appointment_id": _APPOINTMENT,
        "ticket_id": _TICKET,
        "client_id": _CLIENT,
        "pet_id": _PET,
        "employee_id": _EMPLOYEE,
        "service_ids": [_BATH, _NAILS],
        "starts_at": "2026-11-21T13:00:00Z",
        "ends_at": "2026-11-21T14:00:00Z",
        "source": "online",
    },
    "AppointmentRescheduled": {
        "appointment_id": _APPOINTMENT,
        "starts_at": "2026-11-22T09:00:00Z",
        "ends_at": "2026-11-22T10:00:00Z",
        "employee_id": _EMPLOYEE,
    },
    "AppointmentCancelled": {"appointment_id": _APPOINTMENT, "reason": "Pet is unwell."},
    "TicketClosed": {
        "ticket_id": _TICKET,
        "client_id": _CLIENT,
        "employee_id": _EMPLOYEE,
        "lines": [
            {
                "kind": "service",
                "item_id": _BATH,
                "name": "Bath and brush",
                "quantity": 1,
                "unit_price": 45000,
            },
            {
                "kind": "product",
                "item_id": _SHAMPOO,
                "name": "Oatmeal shampoo",
                "quantity": 2,
                "unit_price": 12900,
            },
        ],
        "subtotal": 70800,
        "discount": 7080,
        "tax": 12744,
        "total": 63720,
        "currency": "SEK",
        "coupon_code": "WELCOME10",
        "closed_at": "2026-11-21T14:03:00Z",
    },
    "TicketReopened": {"ticket_id": _TICKET, "reason": "Wrong shampoo size charged."},
    "WaitListJoined": {
        "entry_id": _WAIT,
        "client_id": _CLIENT,
        "pet_id": _PET,
        "service_ids": [_BATH],
        "employee_id": _EMPLOYEE,
        "earliest": "2026-11-23T08:00:00Z",
        "latest": "2026-11-27T16:00:00Z",
    },
    "WaitListSlotOffered": {
        "entry_id": _WAIT,
        "client_id": _CLIENT,
        "starts_at": "2026-11-24T10:00:00Z",
        "employee_id": _EMPLOYEE,
        "expires_at": "2026-11-23T18:00:00Z",
    },
}
