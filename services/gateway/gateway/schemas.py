"""The marshmallow schemas of the gateway's requests and replies: handlers
load and dump with them, and /openapi.json is generated from them."""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

import pycountry
from marshmallow import Schema, fields, validate

MAX_NAME = 200
BLANKS = " \t\n\r"
BLANK_PREFIX_THEN_TEXT = rf"^[{BLANKS}]*[^{BLANKS}]"
MAX_TAX_RATE_BP = 10_000  # 100 %


@functools.cache
def known_timezones() -> frozenset[str]:
    # scanning the tz database takes milliseconds: once per process
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def known_currencies() -> frozenset[str]:
    return frozenset(currency.alpha_3 for currency in pycountry.currencies)


class WholeNumber(fields.Integer):
    """An integer, as JSON Schema counts them: 20 and 20.0 are, "20" and 20.5 are not."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.make_error("invalid")
        return int(super()._deserialize(value, attr, data, **kwargs))


class BusinessRegistrationSchema(Schema):
    """What the platform operator sends to register a business."""

    name = fields.String(
        required=True,
        validate=[
            validate.Length(min=1, max=MAX_NAME),
            # the same in Python and in JSON Schema (whose \\s differs)
            validate.Regexp(BLANK_PREFIX_THEN_TEXT, error="must contain more than spaces"),
        ],
        metadata={"description": "the business's name, as its clients know it"},
    )
    timezone = fields.String(
        required=True,
        # documented as an enum so clients (and schemathesis) know the choices
        validate=validate.OneOf(
            sorted(known_timezones()),
            error="{input!r} is not an IANA time zone (e.g. Europe/Paris)",
        ),
        metadata={"description": "IANA time zone of the business", "example": "Europe/Paris"},
    )
    currency = fields.String(
        required=True,
        validate=validate.OneOf(
            sorted(known_currencies()),
            error="{input!r} is not an ISO 4217 currency code (e.g. EUR)",
        ),
        metadata={"description": "ISO 4217 code of the business's money", "example": "EUR"},
    )
    tax_rate_bp = WholeNumber(
        required=True,
        validate=validate.Range(min=0, max=MAX_TAX_RATE_BP),
        metadata={"description": "sales tax in basis points (2000 = 20 %)"},
    )


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
