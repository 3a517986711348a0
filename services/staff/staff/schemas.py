"""marshmallow schemas of the staff service's commands and queries (RPC arguments).

Each RPC loads its arguments with one of these; what fails comes back as a
:class:`~staff.errors.StaffInvalidInputError` naming every bad field, with
dotted paths into lists (``weekly.0.end``). Field rules are the contracts'
own (``pawline.contracts.values``), so a command that loads makes an event
that passes its contract. The gateway may reuse them for its bodies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from pawline.contracts.staff import (
    ROLES,
    ServiceLimitationsRequestSchema,
    TimeOffRequestSchema,
    TimeWindowSchema,
    WeeklySlotSchema,
)
from pawline.contracts.values import (
    IsoDate,
    TimeZoneName,
    email,
    entity_id,
    instant,
    text,
    text_list,
)
from staff.errors import StaffInvalidInputError


class CommandSchema(Schema):
    class Meta:
        unknown = RAISE


class HireSchema(CommandSchema):
    name = text()
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    email = email(optional=True)


class UpdateEmployeeSchema(CommandSchema):
    name = text(optional=True)
    role = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(ROLES))
    email = email(optional=True)


class ScheduleSchema(CommandSchema):
    timezone = TimeZoneName(required=True)
    weekly = fields.List(fields.Nested(WeeklySlotSchema), required=True)
    effective_from = IsoDate(allow_none=True, load_default=None)


WindowSchema = TimeWindowSchema
TimeOffSchema = TimeOffRequestSchema
ServiceLimitationsSchema = ServiceLimitationsRequestSchema


class PermissionsSchema(CommandSchema):
    denied = text_list()


class ClockSchema(CommandSchema):
    at = instant(optional=True, description="When; now if absent (the gateway sends none).")


class CorrectionSchema(CommandSchema):
    entry_id = entity_id()
    clocked_in_at = instant(optional=True)
    clocked_out_at = instant(optional=True)
    reason = text()
    corrected_by = text(description="Who corrected it: an employee id or 'admin'.")


MAX_RANGE_DAYS = 366


class DateRangeSchema(CommandSchema):
    """Local dates ``from_date``..``to_date``, both included, at most a year."""

    from_date = IsoDate(required=True)
    to_date = IsoDate(required=True)
    timezone = TimeZoneName(allow_none=True, load_default=None)

    @validates_schema
    def _check_range(self, data: dict[str, Any], **kwargs: Any) -> None:
        first, last = date.fromisoformat(data["from_date"]), date.fromisoformat(data["to_date"])
        if last < first:
            raise ValidationError(f"Must not be before from_date {first}.", "to_date")
        if last - first >= timedelta(days=MAX_RANGE_DAYS):
            raise ValidationError(f"Must be within {MAX_RANGE_DAYS} days of from_date.", "to_date")


class TimesheetSchema(DateRangeSchema):
    timezone = TimeZoneName(required=True)
    week_starts_on = fields.Integer(
        strict=True, load_default=0, validate=validate.Range(min=0, max=6)
    )


def field_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages flattened to dotted field paths."""
    if isinstance(messages, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            flat.update(field_messages(value, path))
        return flat
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": messages}
    return {prefix or "_schema": [str(messages)]}


def load(schema: type[Schema], data: Mapping[str, Any]) -> dict[str, Any]:
    """The loaded arguments, or StaffInvalidInputError naming each bad field."""
    try:
        loaded: dict[str, Any] = schema().load(dict(data))
    except ValidationError as error:
        problems = field_messages(error.messages)
        sentence = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in problems.items())
        raise StaffInvalidInputError(f"invalid input: {sentence}", problems) from None
    return loaded


def instant_or_none(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def date_of(text: str) -> date:
    return date.fromisoformat(text)
