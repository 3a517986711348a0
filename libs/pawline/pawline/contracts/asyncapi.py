"""The AsyncAPI 3.0.0 document of the published events, generated from the contracts.

One channel per event type: the AMQP topic exchange ``<source>.events`` with
the event type as routing key (nameko's convention), one ``send`` operation
per channel (the producer publishes), and one message whose payload is the
envelope with ``data`` as the type's schema. Payload schemas are converted
from the marshmallow schemas by apispec's marshmallow plugin (JSON Schema of
OpenAPI 3.1, which AsyncAPI's schema format reads as it is).

The output is deterministic (catalog order, no timestamps), so the committed
``docs/asyncapi.yaml`` changes only when a contract does::

    python -m pawline.contracts.asyncapi --output docs/asyncapi.yaml
    python -m pawline.contracts.asyncapi --check docs/asyncapi.yaml
"""

from __future__ import annotations

import argparse
import copy
import importlib.metadata
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import yaml
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from pawline.contracts import REGISTRY, example, sources
from pawline.contracts.base import EventSchema, sample_id
from pawline.contracts.envelope import EnvelopeSchema

ASYNCAPI_VERSION: Final = "3.0.0"
AMQP_BINDING_VERSION: Final = "0.3.0"
TITLE: Final = "Pawline events"
HEADER: Final = (
    "# Generated from pawline.contracts by `make asyncapi`"
    " (python -m pawline.contracts.asyncapi): do not edit.\n"
)
ENVELOPE: Final = "Envelope"

DESCRIPTION: Final = """\
The facts Pawline's services publish. Every event is a persistent JSON message on the
topic exchange `<source>.events` with the event type as routing key, so a nameko
`@event_handler("booking", "TicketClosed")` receives it. The body is the envelope
(`Envelope`): `position` is the event's place in the producer's notification log
(gapless, in commit order), `id` is unique per event.

Delivery is at least once: consumers drop duplicates by `source` + `position` and
apply events per source in position order, filling gaps from the producer's
`get_notifications(after, limit)` RPC. Data is checked with `pawline.contracts` at
publish and at receipt; unknown fields are refused. Ids are UUID strings, money is
integer minor units next to an ISO 4217 `currency`, instants are UTC ISO 8601.
A breaking change is a new `schema_version` with an upcaster; types are never
renamed or removed.
"""

SOURCE_DESCRIPTIONS: Final = {
    "booking": "Clients, pets, catalog, tickets, appointments, recurring series, wait list.",
    "billing": "Invoices, payments, cards on file, past-due accounts, promotions, memberships.",
    "staff": "Employees, schedules, time clock, permissions, service limitations.",
    "notify": "Notifications, subscriptions, templates, contact book.",
    "status": "Components, incidents, maintenance windows and notices of the status page.",
}


def _schema_name(schema: type[Schema] | Schema) -> str:
    """Component name of a schema (apispec passes classes or instances): class name - Schema."""
    name = (schema if isinstance(schema, type) else type(schema)).__name__
    return name.removesuffix("Schema") or name


def _channel_id(event_type: str) -> str:
    return f"{REGISTRY[event_type].source}.{event_type}"


def _converted_schemas() -> dict[str, Any]:
    """``components.schemas``: the envelope, every event's data and their nested parts."""
    spec = APISpec(
        title=TITLE,
        version="0",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
    )
    spec.components.schema(
        ENVELOPE,
        {"description": EnvelopeSchema.__doc__ or ""},
        schema=EnvelopeSchema,
    )
    for event_type, schema in REGISTRY.items():
        spec.components.schema(event_type, {"description": schema.fact()}, schema=schema)
    schemas: dict[str, Any] = spec.to_dict()["components"]["schemas"]
    for schema_cls in _nested_part_classes():
        name = _schema_name(schema_cls)
        if name in schemas and "description" not in schemas[name]:
            schemas[name] = {"description": (schema_cls.__doc__ or "").strip(), **schemas[name]}
    return schemas


def _nested_part_classes() -> list[type[Schema]]:
    parts: list[type[Schema]] = []
    for schema in REGISTRY.values():
        for field in schema().fields.values():
            inner = getattr(field, "inner", field)
            nested = getattr(inner, "nested", None)
            if isinstance(nested, type) and issubclass(nested, Schema) and nested not in parts:
                parts.append(nested)
    return parts


def _payload(
    envelope: dict[str, Any], event_type: str, schema: type[EventSchema]
) -> dict[str, Any]:
    """The envelope's JSON schema with this type's ``type``, ``source``, version and ``data``."""
    payload = copy.deepcopy(envelope)
    payload["description"] = f"The envelope of {event_type}, with its data."
    properties = payload["properties"]
    properties["type"] = {**properties["type"], "const": event_type}
    properties["source"] = {**properties["source"], "const": schema.source}
    properties["schema_version"] = {**properties["schema_version"], "const": schema.schema_version}
    properties["data"] = {"$ref": f"#/components/schemas/{event_type}"}
    return payload


def _example_envelope(event_type: str, position: int) -> dict[str, Any]:
    schema = REGISTRY[event_type]
    return {
        "id": sample_id(f"event:{event_type}"),
        "type": event_type,
        "schema_version": schema.schema_version,
        "source": schema.source,
        "position": position,
        "previous_position": position - 1 if position > 1 else None,
        "stream_id": sample_id(f"stream:{event_type}"),
        "stream_version": 1,
        "occurred_at": "2026-11-21T14:03:00Z",
        "business_id": sample_id("business:happy-paws"),
        "correlation_id": sample_id(f"correlation:{event_type}"),
        "causation_id": None,
        "data": example(event_type),
    }


def _message(
    envelope: dict[str, Any], event_type: str, schema: type[EventSchema], position: int
) -> dict[str, Any]:
    return {
        "name": event_type,
        "title": event_type,
        "summary": schema.fact(),
        "contentType": "application/json",
        "correlationId": {"$ref": "#/components/correlationIds/correlation_id"},
        "tags": [{"name": schema.source}],
        "bindings": {
            "amqp": {"messageType": event_type, "bindingVersion": AMQP_BINDING_VERSION},
        },
        "payload": _payload(envelope, event_type, schema),
        "examples": [
            {
                "name": f"{event_type}Example",
                "summary": f"A {event_type} event as it travels.",
                "payload": _example_envelope(event_type, position),
            }
        ],
    }


def build_document() -> dict[str, Any]:
    """The AsyncAPI 3.0.0 document of every registered event type."""
    schemas = _converted_schemas()
    envelope = schemas[ENVELOPE]
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for position, (event_type, schema) in enumerate(REGISTRY.items(), start=1):
        channel_id = _channel_id(event_type)
        exchange = f"{schema.source}.events"
        messages[event_type] = _message(envelope, event_type, schema, position)
        channels[channel_id] = {
            "address": event_type,
            "title": f"{event_type} on {exchange}",
            "summary": schema.fact(),
            "messages": {event_type: {"$ref": f"#/components/messages/{event_type}"}},
            "bindings": {"$ref": f"#/components/channelBindings/{exchange}"},
        }
        operations[f"send{event_type}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{channel_id}"},
            "summary": f"{schema.source} publishes {event_type}.",
            "tags": [{"name": schema.source}],
            "bindings": {"$ref": "#/components/operationBindings/publish"},
            "messages": [{"$ref": f"#/channels/{channel_id}/messages/{event_type}"}],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": "urn:pawline:events",
        "info": {
            "title": TITLE,
            "version": importlib.metadata.version("pawline"),
            "description": DESCRIPTION,
            "tags": [
                {"name": source, "description": SOURCE_DESCRIPTIONS.get(source, "")}
                for source in sources()
            ],
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "The RabbitMQ of `make up` on this machine.",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "correlationIds": {
                "correlation_id": {
                    "description": "The request or flow the event is part of.",
                    "location": "$message.payload#/correlation_id",
                }
            },
            "channelBindings": {
                f"{source}.events": {
                    "amqp": {
                        "is": "routingKey",
                        "exchange": {
                            "name": f"{source}.events",
                            "type": "topic",
                            "durable": True,
                            "autoDelete": False,
                            "vhost": "/",
                        },
                        "bindingVersion": AMQP_BINDING_VERSION,
                    }
                }
                for source in sources()
            },
            "operationBindings": {
                "publish": {
                    "amqp": {
                        "deliveryMode": 2,
                        "mandatory": True,
                        "bindingVersion": AMQP_BINDING_VERSION,
                    }
                }
            },
        },
    }


class _Dumper(yaml.SafeDumper):
    """Block style, multi-line text as literal blocks, no anchors."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_text)


def render(document: dict[str, Any]) -> str:
    """The document as YAML, keys in the order built (stable between runs)."""
    body = yaml.dump(
        document,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )
    return HEADER + body


def main(argv: Sequence[str] | None = None) -> int:
    """Write the document (to stdout or ``--output``), or ``--check`` a committed one."""
    parser = argparse.ArgumentParser(
        prog="python -m pawline.contracts.asyncapi",
        description="Generate the AsyncAPI document of pawline.contracts.",
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--output", type=Path, help="write the YAML here (default: stdout)")
    target.add_argument(
        "--check", type=Path, help="exit 1 if this file differs from the generated document"
    )
    args = parser.parse_args(argv)
    text = render(build_document())
    if args.check is not None:
        committed = args.check.read_text(encoding="utf-8") if args.check.exists() else None
        if committed != text:
            print(
                f"{args.check} is not what pawline.contracts generates: run `make asyncapi`",
                file=sys.stderr,
            )
            return 1
        return 0
    if args.output is not None:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({len(REGISTRY)} event types from {len(sources())} sources)")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
