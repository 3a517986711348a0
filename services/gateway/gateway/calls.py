"""How the gateway calls the services: nameko RPC, every call bounded.

A service that does not run (no queue: nameko's UnknownService, at once) or
does not answer within ``RPC_TIMEOUT`` seconds (default 5) gives
``UnavailableError`` (503), never a hang. Calls go through the worker's context,
so nameko passes the request's correlation id on to the service.

Also the gateway's readiness: the kit's checks (broker) plus its own store
and an RPC ``ping`` of each service it needs (``GATEWAY_NEEDS``).
"""

from __future__ import annotations

import time
from typing import Any

import eventlet
from eventlet.semaphore import Semaphore
from nameko.containers import WorkerContext
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.rpc import MethodProxy, ReplyListener

from gateway.credentials import Principal
from gateway.errors import ApiError, NotAllowedError, NotAuthenticatedError, UnavailableError
from gateway.store import GatewayStore
from pawline.errors import EmployeeNotFoundError
from pawline.nameko.eventsourced import CORRELATION_KEY
from pawline.nameko.health import CHECK_TIMEOUT, OK, Readiness

DEFAULT_RPC_TIMEOUT = 5.0
DEFAULT_NEEDS = "booking,billing,staff,notify,status"
READY_CACHE_SECONDS = 1.0


def rpc_timeout(config: dict[str, Any]) -> float:
    return float(config.get("RPC_TIMEOUT") or DEFAULT_RPC_TIMEOUT)


class ReplyWaiter:
    """The reply listener as one call sees it: it remembers the call's
    correlation id, so a call that fails (no such service, too late) can drop
    its waiting slot. nameko drops a slot only when a reply arrives, so every
    call to an absent service would otherwise leave one behind for good."""

    def __init__(self, listener: ReplyListener) -> None:
        self.listener = listener
        self.correlation_id: str | None = None

    @property
    def routing_key(self) -> str:
        return str(self.listener.routing_key)

    def get_reply_event(self, correlation_id: str) -> Any:
        self.correlation_id = correlation_id
        return self.listener.get_reply_event(correlation_id)

    def forget(self) -> None:
        if self.correlation_id is not None:
            self.listener._reply_events.pop(self.correlation_id, None)


def pending_replies(listener: ReplyListener) -> int:
    """How many calls still wait for a reply (the tests check none is left behind)."""
    return len(listener._reply_events)


def call_service(
    worker_ctx: Any,
    reply_listener: ReplyListener,
    timeout: float,
    service: str,
    method: str,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """``service.method(*args, **kwargs)`` over RPC, within ``timeout`` seconds."""
    late = UnavailableError(f"the {service} service did not answer within {timeout:g} s")
    # The publish (broker down: kombu retries) and the wait for the reply are
    # both inside the bound.
    waiter = ReplyWaiter(reply_listener)
    try:
        with eventlet.Timeout(timeout, late):
            proxy = MethodProxy(worker_ctx, service, method, waiter)
            return proxy(*args, **kwargs)
    except BaseException:
        waiter.forget()
        raise


class ServiceCalls:
    """What a handler uses: ``services.call("booking", "book", ...)``."""

    def __init__(self, worker_ctx: Any, reply_listener: ReplyListener, timeout: float) -> None:
        self.worker_ctx = worker_ctx
        self.reply_listener = reply_listener
        self.timeout = timeout

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        return call_service(
            self.worker_ctx, self.reply_listener, self.timeout, service, method, *args, **kwargs
        )


class Services(DependencyProvider):  # type: ignore[misc]
    """Gives workers ``ServiceCalls``."""

    reply_listener = ReplyListener()

    def get_dependency(self, worker_ctx: Any) -> ServiceCalls:
        return ServiceCalls(worker_ctx, self.reply_listener, rpc_timeout(self.container.config))


class GatewayReadiness(Readiness):
    """The kit's readiness, with the gateway's store and the services it needs."""

    reply_listener = ReplyListener()
    store = GatewayStore()

    def get_dependency(self, worker_ctx: Any) -> Any:
        return lambda: self.check_with(worker_ctx)

    def needs(self) -> list[str]:
        names = self.container.config.get("GATEWAY_NEEDS", DEFAULT_NEEDS) or ""
        return [name.strip() for name in str(names).split(",") if name.strip()]

    def setup(self) -> None:
        super().setup()
        self.lock = Semaphore()
        self.last: tuple[dict[str, str], float] | None = None

    def check_with(self, worker_ctx: Any) -> dict[str, str]:
        """The checks, made at most once per READY_CACHE_SECONDS: a burst of
        probes (or a load balancer per replica) costs the broker, the store
        and the services one round of checks, not one per probe."""
        with self.lock:
            if self.last is None or self.last[1] <= time.monotonic():
                self.last = (self.check_now(worker_ctx), time.monotonic() + READY_CACHE_SECONDS)
            return dict(self.last[0])

    def check_now(self, worker_ctx: Any) -> dict[str, str]:
        checks = self.check()
        checks["store"] = self._store(self.store.database)
        timeout = min(rpc_timeout(self.container.config), CHECK_TIMEOUT)
        services = self.needs()
        # all at once: the page answers within one timeout, not one per service
        pool = eventlet.GreenPool(max(1, len(services)))
        answers = pool.imap(lambda name: self._ping(worker_ctx, name, timeout), services)
        for name, answer in zip(services, answers, strict=True):
            checks[f"service.{name}"] = answer
        return checks

    def _ping(self, worker_ctx: Any, service: str, timeout: float) -> str:
        try:
            call_service(worker_ctx, self.reply_listener, timeout, service, "ping")
        except UnavailableError as e:
            return e.message
        except UnknownService:
            return "not running (nothing consumes its RPC queue)"
        except Exception as e:
            return f"does not answer: {type(e).__name__}: {e}"
        return OK


class EmployeeCheck(SharedExtension):  # type: ignore[misc]
    """What an employee token may do, asked of the staff service on every
    request, before the handler runs (the route frame calls ``check``).

    A route's feature goes to ``staff.is_allowed``: refused, the answer is 403
    naming the feature. A route that needs no feature asks ``staff.is_active``:
    a deactivated employee's tokens stop working at once (401). The calls
    carry the request's id as their correlation id, like the handler's.
    """

    reply_listener = ReplyListener()

    def check(
        self, entrypoint: Any, request: Any, principal: Principal, feature: str | None
    ) -> None:
        business_id, employee_id = principal.business_id, principal.employee_id
        context = WorkerContext(
            self.container,
            None,
            entrypoint,
            data={CORRELATION_KEY: getattr(request, "request_id", None)},
        )
        args: tuple[Any, ...]
        if feature is None:
            method, args = "is_active", (business_id, employee_id)
            refusal: ApiError = NotAuthenticatedError(
                f"employee {employee_id} is deactivated: their tokens no longer work"
            )
        else:
            method, args = "is_allowed", (business_id, employee_id, feature)
            refusal = NotAllowedError(
                f"this needs the permission {feature!r}, which employee {employee_id} "
                "does not have (their role lacks it, it is denied to them, "
                "or they are deactivated)"
            )
        timeout = rpc_timeout(self.container.config)
        try:
            answer = call_service(context, self.reply_listener, timeout, "staff", method, *args)
        except EmployeeNotFoundError:
            msg = "that token's employee does not exist in the staff service"
            raise NotAuthenticatedError(msg) from None
        except UnknownService:
            msg = "the staff service, which checks employee tokens, is not running"
            raise UnavailableError(msg) from None
        if not answer:
            raise refusal
