"""pytest plugin of the Pawline suites (``-p pawline.testing.pytest_plugin``).

- Monkey-patches eventlet before any test module is imported, as every nameko
  service runs patched. nameko 2.14 no longer does it for pytest.
- ``mongo_uri``: the store ``make test`` started (``MONGO_URI``), or a real
  MongoDB replica set named the same way.
- ``mongo_database``: the name of a database only this test uses;
  ``fresh_mongo_database()`` makes more (one per service of a test that runs
  several). They are dropped when the session ends, not after each test,
  and not at all when ``PAWLINE_TEST_STORE_DISCARDED=1`` (``make test``
  sets it for the store it starts and deletes). SecantusDB stalls the whole
  store when a database is dropped while a transaction on it is in flight
  (the drop holds the store-wide lock waiting for the transaction, which
  waits for that lock, until the transaction expires). nameko's
  ``container_factory`` kills containers, which can leave a relay's or a
  processor's transaction open on the server; a drop during the run then
  stalled every later test's store calls for seconds. 500 databases alive
  at once were measured not to slow the store down.
- ``http_session``: a requests session on the test container's web port.
- After each test, the Prometheus collectors its containers registered are
  removed (nameko-prometheus registers per-service metrics globally when a
  container is set up; the next container of that service would clash).
  nameko's own ``web_session`` imports ``werkzeug.urls.url_join``, which
  Werkzeug 3 removed.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

DEFAULT_MONGO_URI = "mongodb://127.0.0.1:27017"


def pytest_load_initial_conftests(early_config: Any, parser: Any, args: Any) -> None:
    # eventlet warns on import that it is deprecated; nameko needs it all the same.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet  # noqa: PLC0415  (must come after pytest set up capture)

    eventlet.monkey_patch()


def mongo_uri_from_env() -> str:
    return os.environ.get("MONGO_URI") or DEFAULT_MONGO_URI


def fresh_database_name() -> str:
    return f"test_{uuid.uuid4().hex[:16]}"


def drop_database(name: str) -> None:
    import pymongo  # noqa: PLC0415  (only once eventlet has patched the stdlib)

    client: Any = pymongo.MongoClient(mongo_uri_from_env(), serverSelectionTimeoutMS=5000)
    try:
        client.drop_database(name)
    finally:
        client.close()


_PENDING_DROPS: list[str] = []


STORE_DISCARDED = "PAWLINE_TEST_STORE_DISCARDED"


def drop_database_later(name: str) -> None:
    """Drop ``name`` when the session ends (see above why not sooner)."""
    _PENDING_DROPS.append(name)


def drop_pending_databases() -> None:
    from pymongo.errors import PyMongoError  # noqa: PLC0415  (once eventlet has patched)

    while _PENDING_DROPS:
        name = _PENDING_DROPS.pop()
        try:
            drop_database(name)
        except PyMongoError as e:
            warnings.warn(f"could not drop test database {name}: {e}", stacklevel=1)


def pytest_sessionfinish(session: Any, exitstatus: Any) -> None:
    if os.environ.get(STORE_DISCARDED) == "1":
        _PENDING_DROPS.clear()  # the whole store goes
    else:
        drop_pending_databases()


@pytest.fixture
def mongo_uri() -> str:
    return mongo_uri_from_env()


@pytest.fixture
def mongo_database() -> Iterator[str]:
    name = fresh_database_name()
    yield name
    drop_database_later(name)


@pytest.fixture
def fresh_mongo_database() -> Iterator[Any]:
    names: list[str] = []

    def make() -> str:
        names.append(fresh_database_name())
        return names[-1]

    yield make
    for name in names:
        drop_database_later(name)


@pytest.fixture
def http_session(web_config_port: int) -> Iterator[Any]:
    import requests  # noqa: PLC0415  (only once eventlet has patched the stdlib)

    base = f"http://127.0.0.1:{web_config_port}"

    class Session(requests.Session):
        def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
            return super().request(method, base + str(url), *args, **kwargs)

    with Session() as session:
        yield session


@pytest.fixture(autouse=True)
def _fresh_prometheus_collectors() -> Iterator[None]:
    from prometheus_client import REGISTRY  # noqa: PLC0415  (only once eventlet has patched)

    import pawline.messaging.metrics  # noqa: F401, PLC0415  (module-wide: registered once)

    before = set(REGISTRY._collector_to_names)
    yield
    for collector in set(REGISTRY._collector_to_names) - before:
        REGISTRY.unregister(collector)
