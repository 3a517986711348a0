"""/openapi.json is valid OpenAPI 3.1 and documents every route; /docs lists them."""

from __future__ import annotations

from openapi_spec_validator import validate

from gateway.openapi import openapi_path, routes
from gateway.service import GatewayService


def test_openapi_json_is_valid_openapi_3_1_with_every_route(gateway, http_session):
    reply = http_session.get("/openapi.json")
    assert reply.status_code == 200
    document = reply.json()
    assert document["openapi"] == "3.1.0"
    validate(document)
    for name, route in routes(GatewayService):
        operation = document["paths"][openapi_path(route.url)[0]][route.method.lower()]
        assert operation["operationId"] == name
    register = document["paths"]["/v1/businesses"]["post"]
    assert register["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BusinessRegistration"
    }
    assert set(register["responses"]) >= {"201", "400", "401", "403", "409", "422", "429", "503"}
    assert register["security"] == [{"bearer": []}]


def test_docs_page_lists_every_operation(gateway, http_session):
    reply = http_session.get("/docs")
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/html")
    for _, route in routes(GatewayService):
        assert f"{route.method} {openapi_path(route.url)[0]}" in reply.text
    assert "tax_rate_bp" in reply.text
