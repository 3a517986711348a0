"""The published events' contracts: one marshmallow schema per event type.

This package owns the public API of the platform's events (EVENTS.md): the
schema of every published type's ``data``, one module per producing service
(:mod:`~pawline.contracts.booking`, :mod:`~pawline.contracts.billing`,
:mod:`~pawline.contracts.staff`, :mod:`~pawline.contracts.notify`,
:mod:`~pawline.contracts.status`), the wire envelope
(:mod:`~pawline.contracts.envelope`), the upcasters of old versions, and the
AsyncAPI document generated from them (:mod:`~pawline.contracts.asyncapi`).

Producers check an event's data at publish, consumers the whole message at
receipt::

    data = validate("TicketClosed", data)  # raises ContractError
    envelope = validate_envelope(json.loads(body))  # data upcast + checked

Both return JSON-native data (strings, integers, booleans, lists, dicts), so
the result can be published or stored as it is. Unknown fields are refused:
see :mod:`pawline.contracts.base`.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from types import MappingProxyType, ModuleType
from typing import Any, cast

from marshmallow import Schema, ValidationError

from pawline.contracts import billing, booking, notify, staff, status
from pawline.contracts.base import EventSchema
from pawline.contracts.envelope import EnvelopeSchema
from pawline.contracts.errors import ContractError, UnknownEventType
from pawline.contracts.upcasters import Upcaster, register_upcaster, step

__all__ = [
    "REGISTRY",
    "ContractError",
    "EnvelopeSchema",
    "EventSchema",
    "UnknownEventType",
    "Upcaster",
    "example",
    "register_upcaster",
    "schema_for",
    "sources",
    "types_of",
    "upcast",
    "validate",
    "validate_envelope",
]

#: The producing services' contract modules, in catalog order.
PRODUCERS: tuple[ModuleType, ...] = (booking, billing, staff, notify, status)


def _event_schemas(module: ModuleType) -> list[type[EventSchema]]:
    """The schemas a contract module defines: its classes that name an ``event_type``."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, EventSchema)
        and "event_type" in value.__dict__
        and value.__module__ == module.__name__
    ]


def _collect() -> tuple[dict[str, type[EventSchema]], dict[str, Mapping[str, Any]]]:
    schemas: dict[str, type[EventSchema]] = {}
    examples: dict[str, Mapping[str, Any]] = {}
    for module in PRODUCERS:
        for schema in _event_schemas(module):
            name = schema.event_type
            if name in schemas:
                raise ValueError(
                    f"event type {name} is defined twice: by {schemas[name].source} "
                    f"and by {schema.source}; type names are unique across services"
                )
            if schema.source != module.SOURCE:
                raise ValueError(
                    f"{name} is in the {module.SOURCE} module but names {schema.source}"
                )
            if not schema.fact():
                raise ValueError(f"{name} needs a docstring saying what fact it records")
            schemas[name] = schema
        examples.update(module.EXAMPLES)
    return schemas, examples


_schemas, _examples = _collect()

#: Every published event type -> the schema class of its ``data``.
REGISTRY: Mapping[str, type[EventSchema]] = MappingProxyType(_schemas)


def sources() -> tuple[str, ...]:
    """The services that publish events, in catalog order."""
    return tuple(dict.fromkeys(schema.source for schema in REGISTRY.values()))


def types_of(source: str) -> tuple[str, ...]:
    """The event types ``source`` publishes, in catalog order."""
    names = tuple(name for name, schema in REGISTRY.items() if schema.source == source)
    if not names:
        raise ValueError(
            f"no service named {source!r} publishes events; sources: {', '.join(sources())}"
        )
    return names


def schema_for(event_type: str) -> type[EventSchema]:
    """The schema class of ``event_type``'s data; :class:`UnknownEventType` if none."""
    try:
        return REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def example(event_type: str) -> dict[str, Any]:
    """A valid ``data`` of ``event_type`` (a fresh copy), for documentation and tests."""
    schema_for(event_type)
    return copy.deepcopy(dict(_examples[event_type]))


@functools.cache
def _loader(schema: type[Schema]) -> Schema:
    # Schemas hold no per-load state, and building one copies every field.
    return schema()


def _load(schema: type[Schema], data: Any) -> dict[str, Any]:
    return cast(dict[str, Any], _loader(schema).load(data))


def validate(event_type: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` of ``event_type`` at its current schema version, checked and loaded.

    Returns JSON-native data (absent optional fields as ``None``); raises
    :class:`ContractError` naming the type and every bad field, or
    :class:`UnknownEventType`.
    """
    schema = schema_for(event_type)
    try:
        return _load(schema, data)
    except ValidationError as error:
        raise ContractError(event_type, error.messages_dict) from None


def upcast(event_type: str, version: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` written at ``version`` of ``event_type``, turned into its current shape.

    Applies the registered upcasters one version at a time (on a copy; the
    result is not validated). Raises :class:`ContractError` if the version is
    newer than this kit knows or a step is missing.
    """
    current = schema_for(event_type).schema_version
    if version > current:
        raise ContractError(
            event_type,
            {
                "schema_version": [
                    f"Version {version} is newer than this kit knows ({current}): upgrade pawline."
                ]
            },
        )
    if version < 1:
        raise ContractError(event_type, {"schema_version": ["Must be greater than or equal to 1."]})
    result = copy.deepcopy(dict(data))
    for from_version in range(version, current):
        upcaster = step(event_type, from_version)
        if upcaster is None:
            raise ContractError(
                event_type,
                {
                    "schema_version": [
                        f"No upcaster registered from version {from_version} to {from_version + 1}."
                    ]
                },
            )
        result = upcaster(result)
    return result


def validate_envelope(body: Mapping[str, Any]) -> dict[str, Any]:
    """A received message body: its envelope and its data, checked and loaded.

    Checks the envelope, then that its type is registered and published by
    its ``source``, upcasts ``data`` to the current schema version and checks
    it. Returns the envelope with the loaded data and the current
    ``schema_version``; raises :class:`ContractError` (bad data is reported
    under ``data``, e.g. ``data.lines[0].quantity``) or
    :class:`UnknownEventType`.
    """
    try:
        envelope = _load(EnvelopeSchema, body)
    except ValidationError as error:
        claimed = body.get("type") if isinstance(body, Mapping) else None
        event_type = claimed if isinstance(claimed, str) else None
        raise ContractError(event_type, error.messages_dict) from None
    event_type = envelope["type"]
    schema = schema_for(event_type)
    if envelope["source"] != schema.source:
        raise ContractError(
            event_type,
            {
                "source": [
                    f"{event_type} is published by {schema.source}, not {envelope['source']}."
                ]
            },
        )
    data = envelope["data"]
    if envelope["schema_version"] != schema.schema_version:
        data = upcast(event_type, envelope["schema_version"], data)
    try:
        loaded = _load(schema, data)
    except ValidationError as error:
        raise ContractError(event_type, {"data": error.messages_dict}) from None
    return {**envelope, "schema_version": schema.schema_version, "data": loaded}
