"""The gateway's HTTP frame: what every request goes through before and after
its handler, so handlers stay thin (load, one call, dump).

- ``GatewayWebServer``: nameko's web server, answering unknown paths and
  methods (404, 405) in the API's JSON error format, and taking or making the
  request's ``X-Request-Id``, returned on every answer.
- ``route(method, url, access=..., feature=..., body=..., reply=..., ...)``:
  the gateway's ``@http``. In order: rate limit (per address for public
  routes), credentials (a ``Principal``; failures also count against the
  address), the route's access rule, for an employee token the staff
  service's answer (``is_allowed`` for the route's feature: 403 naming it;
  ``is_active`` where the route needs none), rate limit per caller, the JSON
  body loaded by the
  route's schema, the ``Idempotency-Key`` of a POST, then the handler in a
  nameko worker whose correlation id is the request id (nameko passes it on
  to every RPC call), and the reply dumped by the route's schema. Any
  exception becomes an answer through the error table (``gateway.errors``).

The route's options are also what ``gateway.openapi`` documents.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import sys
import uuid
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal

from eventlet.event import Event
from marshmallow import Schema
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer
from pymongo.errors import PyMongoError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from gateway.calls import EmployeeCheck
from gateway.credentials import Credentials, Kind, Principal, bearer_token, require
from gateway.errors import JSON, ApiError, InvalidRequestError, error_response
from gateway.ratelimit import RateLimits
from gateway.store import GatewayStore, IdempotencyRecords
from pawline.nameko import BadRequestError
from pawline.nameko.eventsourced import CORRELATION_KEY

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,255}$"  # visible ASCII, no spaces
MAX_BODY_BYTES = 1_000_000

# Who may call a route: "infrastructure" (health, metrics: no credentials, not
# rate limited, for probes and scrapers), "public" (no credentials, limited
# per client address), or the kinds of principal allowed.
Access = Literal["infrastructure", "public"] | frozenset[Kind]


@dataclass(frozen=True)
class Call:
    """What a handler gets: the request, already checked and loaded."""

    request: Request
    principal: Principal | None = None
    body: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    path: dict[str, Any] = field(default_factory=dict)

    @property
    def business_id(self) -> str:
        """The caller's business: the only one this request may touch."""
        if self.principal is None or self.principal.business_id is None:
            msg = "this route needs a business's credentials"
            raise AssertionError(msg)
        return self.principal.business_id


# Request ids must be unique, not secret: a generator seeded once from the
# system's randomness makes them without a system call per request.
_request_ids = random.Random()  # noqa: S311  (ids, not secrets)


def new_request_id() -> str:
    """A random (version 4) UUID."""
    return str(uuid.UUID(int=_request_ids.getrandbits(128), version=4))


def request_id_of(request: Request) -> str:
    given = request.headers.get(REQUEST_ID_HEADER)
    if given is None:
        return new_request_id()
    if not re.match(REQUEST_ID_PATTERN, given):
        msg = (
            f"{REQUEST_ID_HEADER} must be 1 to 128 letters, digits or . _ : -; "
            "leave it out and the gateway makes one"
        )
        raise InvalidRequestError(msg)
    return given


class GatewayWsgiApp:
    def __init__(self, server: WebServer) -> None:
        self.url_map = server.make_url_map()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        # shallow: nothing reads the body before the route is known (nameko's way)
        request = Request(environ, shallow=True)
        request_id = new_request_id()
        try:
            request_id = request_id_of(request)
            request.request_id = request_id  # type: ignore[attr-defined]
            provider, values = self.url_map.bind_to_environ(environ).match()
            request.path_values = values  # type: ignore[attr-defined]
            response = provider.handle_request(request)
        except (ApiError, HTTPException) as e:
            response = error_response(e)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response(environ, start_response)


class GatewayWebServer(WebServer):  # type: ignore[misc]
    def get_wsgi_app(self) -> GatewayWsgiApp:
        return GatewayWsgiApp(self)


def load_json_body(request: Request) -> Any:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        msg = f"the body is larger than {MAX_BODY_BYTES} bytes"
        raise InvalidRequestError(msg)
    # also bounds a body sent without Content-Length (chunked)
    request.max_content_length = MAX_BODY_BYTES
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise InvalidRequestError("the body must be a JSON object; it is empty")
    try:
        return json.loads(raw)
    except ValueError as e:
        msg = f"the body is not valid JSON: {e}"
        raise InvalidRequestError(msg) from e


class ApiRoute(HttpRequestHandler):  # type: ignore[misc]
    server = GatewayWebServer()
    store = GatewayStore()
    rate_limits = RateLimits()
    employee_check = EmployeeCheck()

    def __init__(
        self,
        method: str,
        url: str,
        *,
        access: Access,
        feature: str | None = None,
        own: bool = False,
        body: type[Schema] | None = None,
        query: type[Schema] | None = None,
        reply: type[Schema] | None = None,
        status: int = 200,
        content_type: str = JSON,
        replies: dict[int, type[Schema]] | None = None,
        errors: tuple[int, ...] = (),
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("expected_exceptions", (ApiError, BadRequestError))
        super().__init__(method, url, **kwargs)
        self.access = access
        # An employee needs this feature of the permission table, unless the
        # route is ``own`` and its {id} is the employee's own.
        self.feature = feature
        self.own = own
        self.body_schema = body
        self.query_schema = query
        self.reply_schema = reply
        self.status = status
        self.content_type = content_type
        self.replies = replies or {}
        # error statuses the route may answer beyond the frame's own (OpenAPI)
        self.errors = errors
        # one instance each: marshmallow schemas keep no state between calls
        self.loader = body() if body is not None else None
        self.query_loader = query() if query is not None else None
        self.dumper = reply() if reply is not None else None

    def setup(self) -> None:
        super().setup()
        self.credentials = Credentials(
            self.container.config.get("PAWLINE_ADMIN_KEY") or None,
            self.store.business_by_key_hash,
            self.store.employee_by_token_hash,
        )

    def handle_request(self, request: Request) -> Response:
        request.shallow = False
        try:
            call, raw_body = self.admit(request)
            key = request.headers.get(IDEMPOTENCY_KEY_HEADER)
            if self.method == "POST" and key is not None:
                response = self.once(call, key, raw_body)
            else:
                response = self.run(call)
        except Exception as e:
            response = error_response(e)
        if not isinstance(self.access, str):
            # answers to credentials are the caller's own (an API key, once)
            response.headers["Cache-Control"] = "no-store"
        return response

    def admit(self, request: Request) -> tuple[Call, Any]:
        """The checked call, and the body as sent (for idempotency)."""
        principal = None
        if self.access == "public":
            self.rate_limits.charge_address(client_address(request))
        elif self.access != "infrastructure":
            principal = self.authenticate(request)
            require(principal, self.access)
            self.rate_limits.charge_caller(principal.id)
            if principal.kind == "employee":
                feature = self.feature_for(principal, request)
                self.employee_check.check(self, request, principal, feature)
        raw_body: Any = None
        body: dict[str, Any] = {}
        if self.loader is not None:
            raw_body = load_json_body(request)
            if not isinstance(raw_body, dict):
                raise InvalidRequestError("the body must be a JSON object")
            body = self.loader.load(raw_body)
        query: dict[str, Any] = {}
        if self.query_loader is not None:
            query = self.query_loader.load(request.args.to_dict())
        path = dict(getattr(request, "path_values", {}))
        check_path_ids(path)
        return Call(request, principal, body, query, path), raw_body

    def feature_for(self, principal: Principal, request: Request) -> str | None:
        """The feature this employee needs here: none on their own ``own`` route."""
        path = getattr(request, "path_values", {})
        if self.own and principal.employee_id == path.get("id"):
            return None
        return self.feature

    def authenticate(self, request: Request) -> Principal | None:
        try:
            token = bearer_token(request.headers.get("Authorization"))
            return None if token is None else self.credentials.principal(token)
        except ApiError:
            # failed attempts count against the address: guessing keys is slow
            self.rate_limits.charge_address(client_address(request))
            raise

    def once(self, call: Call, key: str, raw_body: Any) -> Response:
        """Run the call unless this key already has an answer; store the answer."""
        if not re.match(IDEMPOTENCY_KEY_PATTERN, key):
            msg = f"{IDEMPOTENCY_KEY_HEADER} must be 1 to 255 visible ASCII characters, no spaces"
            raise InvalidRequestError(msg)
        scope = call.principal.id if call.principal else f"address:{client_address(call.request)}"
        fingerprint = hashlib.sha256(
            json.dumps([self.method, call.request.path, raw_body], sort_keys=True).encode()
        ).hexdigest()
        records = self.store.idempotency()
        record_id = IdempotencyRecords.record_id(scope, key)
        stored = records.begin(record_id, fingerprint)
        if stored is not None:
            replay = Response(stored["body"], status=stored["status"])
            replay.headers["Content-Type"] = stored["content_type"]
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = self.run(call)
        except Exception as e:
            response = error_response(e)
        try:
            if response.status_code >= 500:
                records.abandon(record_id)
            else:
                records.finish(
                    record_id,
                    response.status_code,
                    response.get_data(as_text=True),
                    response.headers.get("Content-Type", JSON),
                )
        except PyMongoError:
            # the work is done and the client gets its answer; only a retry
            # with this key would do it again
            log.warning("could not store the answer for Idempotency-Key %s", key, exc_info=True)
        return response

    def run(self, call: Call) -> Response:
        """The handler in a nameko worker; its reply dumped by the route's schema."""
        event = Event()
        context_data = {CORRELATION_KEY: getattr(call.request, "request_id", None)}
        self.container.spawn_worker(
            self,
            (call,),
            {},
            context_data=context_data,
            handle_result=partial(self.handle_result, event),
        )
        response: Response = event.wait()
        return response

    def handle_result(
        self, event: Event, worker_ctx: Any, result: Any, exc_info: Any
    ) -> tuple[Any, Any]:
        # Dumped here, in the worker, so the metrics (which look at what the
        # worker returned) and the client see the same one Response.
        if exc_info is None:
            try:
                result = self.response_from_result(result)
            except Exception:
                exc_info = sys.exc_info()
                result = None
        event.send(result, exc_info)
        return result, exc_info

    def response_from_result(self, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        if self.dumper is None:
            return Response(json.dumps(result), status=self.status, mimetype=JSON)
        return Response(self.dumper.dumps(result), status=self.status, mimetype=JSON)

    def response_from_exception(self, exc: BaseException) -> Response:
        return error_response(exc)


PATH_ID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def check_path_ids(path: dict[str, Any]) -> None:
    """Every id in a path is a UUID: anything else is named, as a 400."""
    problems = {
        name: [f"{value!r} is not an id: ids are UUIDs"]
        for name, value in path.items()
        if not re.match(PATH_ID_PATTERN, str(value))
    }
    if problems:
        raise InvalidRequestError("the path holds something that is not an id", problems)


def client_address(request: Request) -> str:
    # The gateway is the edge: a proxy in front of it must be configured to
    # pass the address on before X-Forwarded-For could be trusted.
    return request.remote_addr or "unknown"


route = ApiRoute.decorator
