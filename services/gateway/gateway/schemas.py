"""The marshmallow schemas of the gateway's requests and replies: handlers
load and dump with them, and /openapi.json is generated from them."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

import pycountry
from marshmallow import Schema, ValidationError, fields, validate, validates

MAX_NAME = 200
MAX_TAX_RATE_BP = 10_000  # 100 %


@functools.cache
def known_timezones() -> frozenset[str]:
    # scanning the tz database takes milliseconds: once per process
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def known_currencies() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


class BusinessRegistrationSchema(Schema):
    """What the platform operator sends to register a business."""

    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_NAME),
        metadata={"description": "the business's name, as its clients know it"},
    )
    timezone = fields.String(
        required=True,
        metadata={"description": "IANA time zone of the business", "example": "Europe/Paris"},
    )
    currency = fields.String(
        required=True,
        validate=validate.Length(equal=3),
        metadata={"description": "ISO 4217 code of the business's money", "example": "EUR"},
    )
    tax_rate_bp = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=MAX_TAX_RATE_BP),
        metadata={"description": "sales tax in basis points (2000 = 20 %)"},
    )

    @validates("name")
    def name_is_not_blank(self, value: str, **_: Any) -> None:
        if not value.strip():
            raise ValidationError("must contain more than spaces")

    @validates("timezone")
    def timezone_is_iana(self, value: str, **_: Any) -> None:
        if value not in known_timezones():
            raise ValidationError(f"{value!r} is not an IANA time zone (e.g. Europe/Paris)")

    @validates("currency")
    def currency_is_iso_4217(self, value: str, **_: Any) -> None:
        if value not in known_currencies():
            raise ValidationError(f"{value!r} is not an ISO 4217 currency code (e.g. EUR)")


class BusinessRegisteredSchema(Schema):
    """The answer to a registration; the only time the API key is shown."""

    business_id = fields.String(required=True)
    slug = fields.String(
        required=True, metadata={"description": "the business's name in public URLs"}
    )
    api_key = fields.String(
        required=True,
        metadata={"description": "the business admin's key; shown once, stored only as a hash"},
    )


class BusinessSchema(Schema):
    """A business as its own admin sees it."""

    business_id = fields.String(required=True)
    name = fields.String(required=True)
    slug = fields.String(required=True)
    timezone = fields.String(required=True)
    currency = fields.String(required=True)
    tax_rate_bp = fields.Integer(required=True)
    created_at = fields.DateTime(required=True, metadata={"description": "ISO 8601, UTC"})


class ErrorSchema(Schema):
    """Every error answer (API.md)."""

    error = fields.String(required=True, metadata={"description": "a stable code"})
    message = fields.String(required=True, metadata={"description": "what is wrong, for people"})
    fields = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "per field, what is wrong with it"},
    )


class LiveSchema(Schema):
    service = fields.String(required=True)
    status = fields.String(required=True)


class ReadySchema(Schema):
    service = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["ready", "not ready"]))
    checks = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        required=True,
        metadata={"description": 'per dependency, "ok" or what is wrong'},
    )
