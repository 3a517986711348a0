"""The gateway's OpenAPI 3.1 document, generated with apispec from the routes
themselves (``gateway.routing.route``: method, path, access, and the same
marshmallow schemas the handlers load and dump), and the /docs page made
from it."""

from __future__ import annotations

import functools
import html
import inspect
import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from gateway.errors import JSON
from gateway.routing import (
    IDEMPOTENCY_KEY_HEADER,
    IDEMPOTENCY_KEY_PATTERN,
    PATH_ID_PATTERN,
    REQUEST_ID_HEADER,
    REQUEST_ID_PATTERN,
    ApiRoute,
)
from gateway.schemas import ErrorSchema

TITLE = "Pawline API"
VERSION = "1"
ERRORS = {
    400: "the request is invalid: see message and fields",
    401: "no credentials, or credentials we did not issue",
    403: "these credentials may not do this (for an employee: the message names the feature)",
    404: "no such thing in this business",
    409: "a conflict: a concurrent change, or the same Idempotency-Key still being handled",
    422: "a rule refused it (see message), or the Idempotency-Key was used with another request",
    429: "rate limited: retry after Retry-After seconds",
    503: "a dependency (a service, the store) is down or slow: retry later",
}


def routes(service_cls: type) -> list[tuple[str, ApiRoute]]:
    found = []
    for name, member in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(member, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(entrypoint, ApiRoute):
                found.append((name, entrypoint))
    return sorted(found, key=lambda r: (r[1].url, r[1].method))


def openapi_path(url: str) -> tuple[str, list[str]]:
    """werkzeug's ``/v1/clients/<id>`` as ``/v1/clients/{id}``, and its parameters."""
    names = re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", url)
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", url), names


def error_codes(route: ApiRoute) -> list[int]:
    codes = [400]
    if route.access == "public":
        codes += [429]
    elif route.access != "infrastructure":
        codes += [401, 403, 429, 503]
    if route.method == "POST":
        codes += [409, 422, 503]
    if openapi_path(route.url)[1]:
        codes += [404]
    codes += list(route.errors)
    return sorted(set(codes) - set(route.replies) - {route.status})


def operation(name: str, route: ApiRoute, doc: str) -> dict[str, Any]:
    summary, _, description = (doc or name).strip().partition("\n")
    request_id = {
        "in": "header",
        "name": REQUEST_ID_HEADER,
        "required": False,
        "description": "your id for this request (made if left out); returned, and logged "
        "by every service that works on it",
        "schema": {"type": "string", "pattern": REQUEST_ID_PATTERN},
    }
    echoed = {REQUEST_ID_HEADER: {"schema": {"type": "string"}, "required": True}}
    parameters: list[dict[str, Any]] = [request_id]
    if route.method == "POST":
        parameters.append(
            {
                "in": "header",
                "name": IDEMPOTENCY_KEY_HEADER,
                "required": False,
                "description": "the same key and body return the same answer; the work is "
                "done once",
                "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
            }
        )
    path_names = openapi_path(route.url)[1]
    parameters += [
        {
            "in": "path",
            "name": n,
            "required": True,
            "schema": {"type": "string", "format": "uuid", "pattern": PATH_ID_PATTERN},
        }
        for n in path_names
    ]
    if route.query_schema is not None:
        parameters.append({"in": "query", "schema": route.query_schema})
    if route.content_type == JSON:
        success_schema: Any = route.reply_schema or {"type": "object"}
    else:
        success_schema = {"type": "string"}
    responses: dict[Any, Any] = {
        str(route.status): {
            "description": "done",
            "headers": echoed,
            "content": {route.content_type: {"schema": success_schema}},
        }
    }
    for status, schema in route.replies.items():
        responses[str(status)] = {
            "description": ERRORS.get(status, "see the body"),
            "headers": echoed,
            "content": {JSON: {"schema": schema}},
        }
    for status in error_codes(route):
        headers = dict(echoed)
        if status == 429:
            headers["Retry-After"] = {"schema": {"type": "integer"}, "required": True}
        responses[str(status)] = {
            "description": ERRORS[status],
            "headers": headers,
            "content": {JSON: {"schema": "Error"}},
        }
    op: dict[str, Any] = {
        "operationId": name,
        "summary": summary.strip(),
        "parameters": parameters,
        "responses": responses,
        "security": [] if isinstance(route.access, str) else [{"bearer": []}],
        "x-pawline-access": route.access if isinstance(route.access, str) else sorted(route.access),
    }
    if route.feature is not None:
        op["x-pawline-feature"] = route.feature
        own = " (none on their own {id})" if route.own else ""
        description += (
            f"\n\nAn employee token needs the permission `{route.feature}`{own}; "
            "a business's API key may always."
        )
    if description.strip():
        op["description"] = inspect.cleandoc(description)
    if route.body_schema is not None:
        op["requestBody"] = {"required": True, "content": {JSON: {"schema": route.body_schema}}}
    return op


@functools.cache
def openapi_document(service_cls: type) -> dict[str, Any]:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={
            "description": "Pawline's one public HTTP surface. Errors are "
            "{error, message, fields?}; money is integer minor units and a currency; "
            "instants are ISO 8601 with an offset."
        },
    )
    spec.components.security_scheme(
        "bearer",
        {
            "type": "http",
            "scheme": "bearer",
            "description": "the operator key, a business's API key or an employee token",
        },
    )
    spec.components.schema("Error", schema=ErrorSchema)
    paths: dict[str, dict[str, Any]] = {}
    for name, route in routes(service_cls):
        doc = inspect.getdoc(getattr(service_cls, name)) or name
        path = openapi_path(route.url)[0]
        paths.setdefault(path, {})[route.method.lower()] = operation(name, route, doc)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def docs_page(document: dict[str, Any]) -> str:
    """A readable list of the operations: who may call them, what they take,
    what they answer. Plain HTML, no scripts (nothing to fetch)."""
    schemas = document.get("components", {}).get("schemas", {})
    sections = []
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            access = op.get("x-pawline-access")
            who = access if isinstance(access, str) else ", ".join(access)
            body = ""
            request_body = op.get("requestBody", {}).get("content", {}).get(JSON, {})
            ref = request_body.get("schema", {}).get("$ref", "")
            if ref:
                schema = schemas.get(ref.rsplit("/", 1)[-1], {})
                required = set(schema.get("required", []))
                rows = "".join(
                    f"<tr><td><code>{html.escape(field)}</code></td>"
                    f"<td>{html.escape(str(prop.get('type', '')))}</td>"
                    f"<td>{'yes' if field in required else 'no'}</td>"
                    f"<td>{html.escape(prop.get('description', ''))}</td></tr>"
                    for field, prop in schema.get("properties", {}).items()
                )
                body = (
                    "<table><tr><th>field</th><th>type</th><th>required</th>"
                    f"<th>meaning</th></tr>{rows}</table>"
                )
            answers = ", ".join(sorted(op["responses"]))
            sections.append(
                f"<section><h2><code>{method.upper()} {html.escape(path)}</code></h2>"
                f"<p>{html.escape(op.get('summary', ''))}</p>"
                f"<p>Who: {html.escape(who)}. Answers: {answers}.</p>{body}</section>"
            )
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{TITLE}</title><style>body{{font-family:sans-serif;max-width:60em;"
        "margin:auto}td,th{border:1px solid #ccc;padding:.2em .5em}"
        "table{border-collapse:collapse}</style></head><body>"
        f"<h1>{TITLE}</h1><p>{html.escape(document['info'].get('description', ''))}</p>"
        "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a> (OpenAPI 3.1). "
        "Credentials: <code>Authorization: Bearer &lt;key&gt;</code>.</p>"
        + "".join(sections)
        + "</body></html>"
    )
