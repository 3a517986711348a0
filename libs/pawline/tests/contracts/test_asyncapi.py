"""The AsyncAPI document: valid against the official AsyncAPI 3.0.0 JSON schema (npm
``@asyncapi/specs``, installed by ``npm ci --prefix tools/asyncapi``), complete, its
payload schemas agreeing with the marshmallow contracts, and committed up to date."""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from pawline import contracts
from pawline.contracts import REGISTRY
from pawline.contracts.asyncapi import build_document, main, render

REPO = Path(__file__).resolve().parents[4]
COMMITTED = REPO / "docs" / "asyncapi.yaml"
SPECS = REPO / "tools" / "asyncapi" / "node_modules" / "@asyncapi" / "specs"
# The bundle whose $refs all point inside itself ("#/definitions/..."), so nothing is
# fetched; 3.0.0.json is the same schema with http://asyncapi.com/... $ids.
OFFICIAL_SCHEMA = SPECS / "schemas" / "3.0.0-without-$id.json"
DOCUMENT_URI = "urn:pawline:asyncapi"


@functools.cache
def official_schema() -> dict[str, Any]:
    """The official schema; a failure (not a skip) when it is not installed."""
    if not OFFICIAL_SCHEMA.is_file():
        pytest.fail(
            f"The official AsyncAPI 3.0.0 JSON schema is missing ({OFFICIAL_SCHEMA}). "
            "Install it with: npm ci --prefix tools/asyncapi",
            pytrace=False,
        )
    schema: dict[str, Any] = json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return schema


def official_validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(official_schema())


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return build_document()


def problems(validator: jsonschema.Draft7Validator, instance: Any) -> list[str]:
    return [
        f"{error.json_path}: {error.message[:300]}"
        for error in sorted(validator.iter_errors(instance), key=lambda e: e.json_path)
    ]


def test_the_schema_is_asyncapi_3_0_0() -> None:
    assert official_schema()["properties"]["asyncapi"]["const"] == "3.0.0"
    package = json.loads((SPECS / "package.json").read_text(encoding="utf-8"))
    lock = json.loads((REPO / "tools" / "asyncapi" / "package-lock.json").read_text("utf-8"))
    assert package["version"] == lock["packages"]["node_modules/@asyncapi/specs"]["version"]


def test_document_is_valid_asyncapi_3(document: dict[str, Any]) -> None:
    assert problems(official_validator(), document) == []


def test_committed_document_is_valid_asyncapi_3() -> None:
    committed = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    assert problems(official_validator(), committed) == []


@pytest.mark.parametrize(
    "breakage",
    [
        pytest.param(
            lambda d: d["operations"]["sendTicketClosed"].update(action="publish"), id="2.x action"
        ),
        pytest.param(
            lambda d: d["components"]["channelBindings"]["booking.events"]["amqp"].update(
                exchange={"name": "booking.events", "type": "fanout-ish"}
            ),
            id="exchange type",
        ),
        pytest.param(lambda d: d.update(asyncapi="2.6.0"), id="version"),
        pytest.param(
            lambda d: d["components"]["messages"]["TicketClosed"].update(payload=[]),
            id="payload not a schema",
        ),
    ],
)
def test_the_official_schema_has_teeth(document: dict[str, Any], breakage: Any) -> None:
    broken = copy.deepcopy(document)
    breakage(broken)
    assert problems(official_validator(), broken)


def test_every_registered_type_has_a_channel_operation_message_and_schema(
    document: dict[str, Any],
) -> None:
    for event_type, schema in REGISTRY.items():
        channel_id = f"{schema.source}.{event_type}"
        channel = document["channels"][channel_id]
        assert channel["address"] == event_type
        assert channel["messages"] == {event_type: {"$ref": f"#/components/messages/{event_type}"}}
        operation = document["operations"][f"send{event_type}"]
        assert operation["action"] == "send"
        assert operation["channel"] == {"$ref": f"#/channels/{channel_id}"}
        assert operation["messages"] == [{"$ref": f"#/channels/{channel_id}/messages/{event_type}"}]
        message = document["components"]["messages"][event_type]
        assert message["name"] == event_type
        assert message["summary"] == schema.fact()
        assert message["contentType"] == "application/json"
        assert message["payload"]["properties"]["data"] == {
            "$ref": f"#/components/schemas/{event_type}"
        }
        assert document["components"]["schemas"][event_type]["description"] == schema.fact()
    assert len(document["channels"]) == len(document["operations"]) == len(REGISTRY)


def test_channels_are_the_sources_topic_exchanges(document: dict[str, Any]) -> None:
    bindings = document["components"]["channelBindings"]
    for event_type, schema in REGISTRY.items():
        channel = document["channels"][f"{schema.source}.{event_type}"]
        ref = channel["bindings"]["$ref"]
        amqp = resolve(document, ref)["amqp"]
        assert amqp == {
            "is": "routingKey",
            "exchange": {
                "name": f"{schema.source}.events",
                "type": "topic",
                "durable": True,
                "autoDelete": False,
                "vhost": "/",
            },
            "bindingVersion": "0.3.0",
        }
    assert set(bindings) == {f"{source}.events" for source in contracts.sources()}


def test_info_server_and_content_type(document: dict[str, Any]) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == "Pawline events"
    assert document["info"]["version"]
    assert document["defaultContentType"] == "application/json"
    assert document["servers"]["local"]["host"] == "127.0.0.1:5672"
    assert document["servers"]["local"]["protocol"] == "amqp"


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from refs(item)


def test_every_ref_resolves(document: dict[str, Any]) -> None:
    found = list(refs(document))
    assert found
    for ref in found:
        resolve(document, ref)


# -- the payload schemas say what the marshmallow contracts check --------------------------


@pytest.fixture(scope="module")
def payload_validators(document: dict[str, Any]) -> dict[str, jsonschema.Draft7Validator]:
    registry: Registry[Any] = Registry().with_resource(
        DOCUMENT_URI, Resource.from_contents(document, default_specification=DRAFT7)
    )
    return {
        event_type: jsonschema.Draft7Validator(
            {"$ref": f"{DOCUMENT_URI}#/components/messages/{event_type}/payload"},
            registry=registry,
        )
        for event_type in REGISTRY
    }


@pytest.mark.parametrize("event_type", list(REGISTRY))
def test_message_example_is_valid_for_its_payload_and_the_contract(
    document: dict[str, Any],
    payload_validators: dict[str, jsonschema.Draft7Validator],
    event_type: str,
) -> None:
    [example] = document["components"]["messages"][event_type]["examples"]
    assert problems(payload_validators[event_type], example["payload"]) == []
    assert contracts.validate_envelope(example["payload"]) == example["payload"]


def envelope_of(document: dict[str, Any], event_type: str) -> dict[str, Any]:
    [example] = document["components"]["messages"][event_type]["examples"]
    envelope: dict[str, Any] = copy.deepcopy(example["payload"])
    return envelope


@pytest.mark.parametrize(
    ("event_type", "path", "value"),
    [
        pytest.param("TicketClosed", ("data", "total"), 637.2, id="float money"),
        pytest.param("TicketClosed", ("data", "currency"), "sek", id="lowercase currency"),
        pytest.param("TicketClosed", ("data", "closed_at"), "2026-11-21T14:03:00", id="naive"),
        pytest.param("TicketClosed", ("data", "extra"), 1, id="unknown data field"),
        pytest.param("AppointmentBooked", ("data", "source"), "phone", id="unknown enum"),
        pytest.param("ClientDeactivated", ("data", "client_id"), "client-1", id="bad uuid"),
        pytest.param("ClientDeactivated", ("type",), "ClientRegistered", id="other type"),
        pytest.param("ClientDeactivated", ("source",), "billing", id="other source"),
        pytest.param("ClientDeactivated", ("extra",), 1, id="unknown envelope key"),
    ],
)
def test_payload_schema_refuses_what_the_contract_refuses(
    document: dict[str, Any],
    payload_validators: dict[str, jsonschema.Draft7Validator],
    event_type: str,
    path: tuple[str, ...],
    value: Any,
) -> None:
    envelope = envelope_of(document, event_type)
    target = envelope
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert problems(payload_validators[event_type], envelope)
    with pytest.raises(contracts.ContractError):
        contracts.validate_envelope(envelope)


# -- the YAML: deterministic, faithful, committed ---------------------------------------


def test_rendering_is_deterministic(document: dict[str, Any]) -> None:
    assert render(build_document()) == render(document)


def test_yaml_reads_back_as_the_document(document: dict[str, Any]) -> None:
    assert yaml.safe_load(render(document)) == document


def test_committed_document_is_up_to_date(document: dict[str, Any]) -> None:
    assert COMMITTED.is_file(), f"{COMMITTED} is missing: run `make asyncapi`"
    assert COMMITTED.read_text(encoding="utf-8") == render(document), (
        f"{COMMITTED} is stale: the contracts changed. Run `make asyncapi` and commit it."
    )


def test_cli_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "docs" / "asyncapi.yaml"
    assert main(["--output", str(output)]) == 0
    assert output.read_text(encoding="utf-8") == render(build_document())
    assert main(["--check", str(output)]) == 0
    output.write_text("asyncapi: 3.0.0\n", encoding="utf-8")
    assert main(["--check", str(output)]) == 1
    assert "run `make asyncapi`" in capsys.readouterr().err


def test_cli_writes_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert capsys.readouterr().out == render(build_document())
