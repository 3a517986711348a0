"""Contracts of the events the billing service publishes (exchange ``billing.events``).

Billing owns invoices, payments, cards on file, accounts (past due),
promotions and memberships. One schema per event type of EVENTS.md, holding
the event's ``data``; ``EXAMPLES`` holds a valid ``data`` of each. Unknown
fields are refused (``RAISE``, see :mod:`pawline.contracts.base`), which also
keeps a card number from ever riding along in ``CardOnFileUpdated``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from marshmallow import fields, validate

from pawline.contracts.base import EventSchema, sample_id
from pawline.contracts.values import (
    choice,
    count,
    currency,
    entity_id,
    flag,
    instant,
    money,
    text,
)

SOURCE: Final = "billing"
PAYMENT_FAILURE_REASONS: Final = ("declined", "timeout", "processor_error", "no_card")


class _BillingEventSchema(EventSchema):
    source = SOURCE


class InvoiceIssuedSchema(_BillingEventSchema):
    """An invoice was issued to a client for a closed ticket."""

    event_type = "InvoiceIssued"

    invoice_id = entity_id()
    ticket_id = entity_id()
    client_id = entity_id()
    amount = money()
    currency = currency()


class PaymentCapturedSchema(_BillingEventSchema):
    """A card payment was captured by the processor, for an invoice or an account."""

    event_type = "PaymentCaptured"

    payment_id = entity_id()
    invoice_id = entity_id(optional=True)
    account_id = entity_id(optional=True)
    amount = money()
    currency = currency()
    processor = text(description="The card processor that captured it.")
    processor_ref = text(description="The processor's reference of the charge.")


class PaymentFailedSchema(_BillingEventSchema):
    """A payment attempt failed, with why and whether it will be tried again."""

    event_type = "PaymentFailed"

    payment_id = entity_id()
    invoice_id = entity_id(optional=True)
    account_id = entity_id(optional=True)
    amount = money()
    currency = currency()
    processor = text()
    reason = choice(PAYMENT_FAILURE_REASONS)
    retryable = flag(description="Whether billing will try this payment again.")
    attempt = count(minimum=1, description="1 for the first attempt.")


class PaymentRefundedSchema(_BillingEventSchema):
    """A captured payment was refunded, in full or in part."""

    event_type = "PaymentRefunded"

    payment_id = entity_id()
    amount = money(description="Refunded amount in minor units of `currency`.")
    currency = currency()


class CardOnFileUpdatedSchema(_BillingEventSchema):
    """An account's card on file was added or replaced (never its number)."""

    event_type = "CardOnFileUpdated"

    account_id = entity_id()
    brand = text(description="e.g. visa, mastercard, amex.")
    last4 = fields.String(
        required=True,
        validate=validate.Regexp(r"^\d{4}$", error="Must be the last 4 digits of the card."),
    )
    exp_month = count(minimum=1, maximum=12)
    exp_year = count(minimum=2000, maximum=9999, description="Four-digit year.")


class AccountPastDueSchema(_BillingEventSchema):
    """An account became past due: what it owes and since when."""

    event_type = "AccountPastDue"

    account_id = entity_id()
    amount_due = money()
    currency = currency()
    since = instant(description="When the account became past due (UTC).")


class PastDueSettledSchema(_BillingEventSchema):
    """A past-due account was settled by a payment."""

    event_type = "PastDueSettled"

    account_id = entity_id()
    payment_id = entity_id()
    amount = money()
    currency = currency()


class PromotionRedeemedSchema(_BillingEventSchema):
    """A promotion voucher (e.g. a daily-deal coupon) was redeemed on a ticket."""

    event_type = "PromotionRedeemed"

    voucher_code = text()
    provider = text(description="Who issued the voucher, e.g. a daily-deal site.")
    ticket_id = entity_id()
    value = money(description="Value taken off the ticket, in minor units of `currency`.")
    currency = currency()


class _MembershipChangeSchema(_BillingEventSchema):
    """A membership changed state."""

    membership_id = entity_id()
    client_id = entity_id()
    plan = text(description="The membership plan's code.")


class MembershipRenewedSchema(_MembershipChangeSchema):
    """A client's membership was renewed for another period."""

    event_type = "MembershipRenewed"


class MembershipLapsedSchema(_MembershipChangeSchema):
    """A client's membership lapsed (not renewed in time)."""

    event_type = "MembershipLapsed"


_CLIENT = sample_id("client:maya")
_TICKET = sample_id("ticket:1001")
_INVOICE = sample_id("invoice:1001")
_PAYMENT = sample_id("payment:1001")
_ACCOUNT = sample_id("account:maya")
_MEMBERSHIP = sample_id("membership:maya")

EXAMPLES: Final[Mapping[str, Mapping[str, Any]]] = {
    "InvoiceIssued": {
        "invoice_id": _INVOICE,
        "ticket_id": _TICKET,
        "client_id": _CLIENT,
        "amount": 63720,
        "currency": "SEK",
    },
    "PaymentCaptured": {
        "payment_id": _PAYMENT,
        "invoice_id": _INVOICE,
        "account_id": None,
        "amount": 63720,
        "currency": "SEK",
        "processor": "devstack-cards",
        "processor_ref": "ch_3Q9xK2",
    },
    "PaymentFailed": {
        "payment_id": _PAYMENT,
        "invoice_id": None,
        "account_id": _ACCOUNT,
        "amount": 29900,
        "currency": "SEK",
        "processor": "devstack-cards",
        "reason": "declined",
        "retryable": True,
        "attempt": 1,
    },
    "PaymentRefunded": {"payment_id": _PAYMENT, "amount": 12900, "currency": "SEK"},
    "CardOnFileUpdated": {
        "account_id": _ACCOUNT,
        "brand": "visa",
        "last4": "4242",
        "exp_month": 8,
        "exp_year": 2029,
    },
    "AccountPastDue": {
        "account_id": _ACCOUNT,
        "amount_due": 29900,
        "currency": "SEK",
        "since": "2026-12-01T00:00:00Z",
    },
    "PastDueSettled": {
        "account_id": _ACCOUNT,
        "payment_id": _PAYMENT,
        "amount": 29900,
        "currency": "SEK",
    },
    "PromotionRedeemed": {
        "voucher_code": "GRP-7Q2M-88KD",
        "provider": "Groupon",
        "ticket_id": _TICKET,
        "value": 20000,
        "currency": "SEK",
    },
    "MembershipRenewed": {
        "membership_id": _MEMBERSHIP,
        "client_id": _CLIENT,
        "plan": "spa-monthly",
    },
    "MembershipLapsed": {"membership_id": _MEMBERSHIP, "client_id": _CLIENT, "plan": "spa-monthly"},
}
