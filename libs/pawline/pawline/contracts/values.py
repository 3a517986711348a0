"""The value types published events are made of, as marshmallow fields.

Every field here loads to JSON-native data (``str``, ``int``, ``bool``, lists
and dicts of them), so what :func:`pawline.contracts.validate` returns can be
published or stored as it is. The rules come from ARCHITECTURE.md:

- ids are UUID strings (loaded in canonical lower-case form);
- money is an integer of minor units (never a float) next to a ``currency``,
  an ISO 4217 code of three upper-case letters;
- instants are UTC, ISO 8601 / RFC 3339 with ``Z`` (or ``+00:00``);
- calendar dates are ISO dates (``2027-03-31``); clock times are ``HH:MM``;
- time zones are IANA names (``Europe/Stockholm``), checked with ``zoneinfo``.

Fields carry JSON Schema hints in their metadata (``format``, ``pattern``,
``description``) so that the AsyncAPI document says the same as the checks.
Optional fields (``?`` in EVENTS.md) may be absent or ``null`` and load as
``None`` when absent, so consumers can read every listed key.
"""

from __future__ import annotations

import functools
import re
import uuid
import zoneinfo
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any, Final

from marshmallow import fields, validate

UUID_PATTERN: Final = (
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
INSTANT_PATTERN: Final = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|\+00:00)$"
#: Calendar dates from 1900 to 2999: wide enough for any booking, payroll or
#: vaccination, and far from the ends of Python's dates (converting
#: 0001-01-01 local time to UTC overflows).
DATE_PATTERN: Final = r"^(19|2\d)\d{2}-\d{2}-\d{2}$"
CLOCK_TIME_PATTERN: Final = r"^([01]\d|2[0-3]):[0-5]\d$"
END_OF_DAY: Final = "24:00"
CURRENCY_PATTERN: Final = r"^[A-Z]{3}$"
E164_PATTERN: Final = r"^\+[1-9]\d{6,14}$"
#: The largest integer every JSON consumer (JavaScript included) reads exactly.
MAX_SAFE_INTEGER: Final = 2**53 - 1

_UUID = re.compile(UUID_PATTERN)
_INSTANT = re.compile(INSTANT_PATTERN)
_LOCAL_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?$")
_OFFSET_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?[+-]\d{2}:\d{2}$")
_DATE = re.compile(DATE_PATTERN)
_CLOCK_TIME = re.compile(CLOCK_TIME_PATTERN)


def presence(optional: bool) -> dict[str, Any]:
    """Keyword arguments of a field that EVENTS.md lists as required or with ``?``."""
    if optional:
        return {"required": False, "allow_none": True, "load_default": None}
    return {"required": True}


def _metadata(hints: Mapping[str, Any], metadata: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**hints, **(metadata or {})}


class UUIDString(fields.String):
    """A UUID in its 36-character text form; loads as the lower-case string."""

    default_error_messages = {"invalid_uuid": "Not a valid UUID."}  # noqa: RUF012

    def __init__(self, *, metadata: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        hints = {"format": "uuid", "pattern": UUID_PATTERN}
        super().__init__(metadata=_metadata(hints, metadata), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not _UUID.fullmatch(text):
            raise self.make_error("invalid_uuid")
        return str(uuid.UUID(text))


def parse_instant(text: str) -> datetime:
    """The aware UTC datetime of an instant already loaded by :class:`Instant`."""
    return datetime.fromisoformat(text)


class Instant(fields.String):
    """A UTC instant: ISO 8601 / RFC 3339 with ``Z`` or ``+00:00``; loads as given."""

    default_error_messages = {  # noqa: RUF012
        "invalid": "Not a valid instant: use ISO 8601 in UTC, e.g. 2026-11-21T14:03:00Z.",
        "naive": "Instant has no UTC offset: add Z, e.g. 2026-11-21T14:03:00Z.",
        "not_utc": "Instant is not in UTC: convert it and write Z, e.g. 2026-11-21T14:03:00Z.",
    }

    def __init__(self, *, metadata: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        hints = {
            "format": "date-time",
            "pattern": INSTANT_PATTERN,
            "description": "UTC instant, ISO 8601 (RFC 3339) ending in Z.",
        }
        super().__init__(metadata=_metadata(hints, metadata), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _LOCAL_INSTANT.fullmatch(text):
            raise self.make_error("naive")
        if _OFFSET_INSTANT.fullmatch(text) and not _INSTANT.fullmatch(text):
            raise self.make_error("not_utc")
        if not _INSTANT.fullmatch(text):
            raise self.make_error("invalid")
        try:
            parse_instant(text)  # the pattern lets through 2026-02-30 and 25:00
        except ValueError as error:
            raise self.make_error("invalid") from error
        return text


class IsoDate(fields.String):
    """A calendar date, ISO 8601 ``YYYY-MM-DD``; loads as given."""

    default_error_messages = {  # noqa: RUF012
        "invalid": "Not a valid date from 1900 to 2999: use ISO 8601, e.g. 2027-03-31.",
    }

    def __init__(self, *, metadata: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        hints = {"format": "date", "pattern": DATE_PATTERN}
        super().__init__(metadata=_metadata(hints, metadata), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not _DATE.fullmatch(text):
            raise self.make_error("invalid")
        try:
            date.fromisoformat(text)
        except ValueError as error:
            raise self.make_error("invalid") from error
        return text


class ClockTime(fields.String):
    """A wall-clock time ``HH:MM`` (24-hour); ``24:00`` too where it may end a day."""

    default_error_messages = {  # noqa: RUF012
        "invalid": "Not a valid time: use HH:MM on a 24-hour clock, e.g. 09:30.",
    }

    def __init__(
        self,
        *,
        end_of_day: bool = False,
        metadata: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.end_of_day = end_of_day
        pattern = rf"^(([01]\d|2[0-3]):[0-5]\d|{END_OF_DAY})$" if end_of_day else CLOCK_TIME_PATTERN
        super().__init__(metadata=_metadata({"pattern": pattern}, metadata), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _CLOCK_TIME.fullmatch(text) or (self.end_of_day and text == END_OF_DAY):
            return text
        raise self.make_error("invalid")


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` only: no ``"yes"``, ``1`` or ``"true"`` strings."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


@functools.cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


class TimeZoneName(fields.String):
    """An IANA time zone name known to ``zoneinfo`` (``Europe/Stockholm``)."""

    default_error_messages = {  # noqa: RUF012
        "invalid_zone": "Not an IANA time zone name, e.g. Europe/Stockholm.",
    }

    def __init__(self, *, metadata: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        hints = {"description": "IANA time zone name, e.g. Europe/Stockholm."}
        super().__init__(metadata=_metadata(hints, metadata), **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text not in _time_zone_names():
            raise self.make_error("invalid_zone")
        return text


# Factories of the configured fields the contract modules use, so that the same
# kind of value is checked the same way in every event.


def entity_id(*, optional: bool = False, description: str | None = None) -> UUIDString:
    """The id of an aggregate or entity (a UUID string)."""
    metadata = {"description": description} if description else None
    return UUIDString(metadata=metadata, **presence(optional))


def id_list(*, description: str | None = None) -> fields.List[str]:
    """A list of UUID strings (may be empty)."""
    metadata = {"description": description} if description else None
    return fields.List(UUIDString(required=True), required=True, metadata=metadata)


def text(*, optional: bool = False, description: str | None = None) -> fields.String:
    """A non-empty string."""
    metadata = {"description": description} if description else None
    return fields.String(validate=validate.Length(min=1), metadata=metadata, **presence(optional))


def text_list(*, description: str | None = None) -> fields.List[str]:
    """A list of non-empty strings (may be empty)."""
    metadata = {"description": description} if description else None
    return fields.List(
        fields.String(required=True, validate=validate.Length(min=1)),
        required=True,
        metadata=metadata,
    )


def choice(
    choices: Iterable[str],
    *,
    optional: bool = False,
    description: str | None = None,
    data_key: str | None = None,
) -> fields.String:
    """One string out of an enumeration, spelled exactly.

    ``data_key`` names the field on the wire when the attribute cannot (the
    loaded data uses the wire name too).
    """
    metadata = {"description": description} if description else None
    return fields.String(
        validate=validate.OneOf(tuple(choices)),
        metadata=metadata,
        data_key=data_key,
        attribute=data_key,
        **presence(optional),
    )


def money(*, description: str | None = None) -> fields.Integer:
    """An amount in integer minor units of the event's ``currency`` (cents, öre): never a float."""
    return fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=0, max=MAX_SAFE_INTEGER),
        metadata={
            "description": description or "Amount in minor units of `currency` (e.g. cents)."
        },
    )


def currency() -> fields.String:
    """An ISO 4217 currency code: three upper-case letters."""
    return fields.String(
        required=True,
        validate=validate.Regexp(
            CURRENCY_PATTERN, error="Not an ISO 4217 currency code: 3 upper-case letters, e.g. EUR."
        ),
        metadata={"description": "ISO 4217 currency code, e.g. EUR."},
    )


def count(
    *, minimum: int = 0, maximum: int | None = None, description: str | None = None
) -> fields.Integer:
    """A whole number (never a float or a bool) within bounds."""
    metadata = {"description": description} if description else None
    return fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(min=minimum, max=maximum),
        metadata=metadata,
    )


def flag(*, description: str | None = None) -> StrictBoolean:
    """A required ``true`` or ``false``."""
    metadata = {"description": description} if description else None
    return StrictBoolean(required=True, metadata=metadata)


def instant(*, optional: bool = False, description: str | None = None) -> Instant:
    """A required (or optional) UTC instant."""
    metadata = {"description": description} if description else None
    return Instant(metadata=metadata, **presence(optional))


def calendar_date(*, description: str | None = None) -> IsoDate:
    """A required ISO calendar date."""
    metadata = {"description": description} if description else None
    return IsoDate(required=True, metadata=metadata)


def email(*, optional: bool = False) -> fields.Email:
    """An email address."""
    return fields.Email(**presence(optional))


def phone(*, optional: bool = False) -> fields.String:
    """A phone number in E.164 form (``+46701234567``), as SMS providers take it."""
    return fields.String(
        validate=validate.Regexp(
            E164_PATTERN, error="Not an E.164 phone number, e.g. +46701234567."
        ),
        metadata={"description": "Phone number in E.164 form, e.g. +46701234567."},
        **presence(optional),
    )
