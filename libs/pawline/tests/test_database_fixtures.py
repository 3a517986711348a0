"""Test databases are dropped when the session ends (not while containers of
a test may still hold a transaction on them), or never when the run's store
is thrown away."""

from __future__ import annotations

import pymongo
import pytest

from pawline.testing import pytest_plugin
from pawline.testing.pytest_plugin import (
    STORE_DISCARDED,
    drop_database_later,
    fresh_database_name,
    pytest_sessionfinish,
)


@pytest.fixture
def client(mongo_uri):
    client = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    yield client
    client.close()


@pytest.fixture
def pending(monkeypatch):
    """The plugin's list of databases to drop, emptied for this test alone."""
    monkeypatch.setattr(pytest_plugin, "_PENDING_DROPS", [])
    return pytest_plugin._PENDING_DROPS


def test_a_database_given_up_is_dropped_when_the_session_ends(client, pending, monkeypatch):
    monkeypatch.delenv(STORE_DISCARDED, raising=False)  # a store of the user's
    name = fresh_database_name()
    client[name].things.insert_one({"_id": 1})
    drop_database_later(name)
    assert name in client.list_database_names()  # not yet
    pytest_sessionfinish(None, 0)
    assert name not in client.list_database_names()
    assert pending == []


def test_nothing_is_dropped_from_a_store_the_run_throws_away(client, pending, monkeypatch):
    monkeypatch.setenv(STORE_DISCARDED, "1")
    name = fresh_database_name()
    client[name].things.insert_one({"_id": 1})
    drop_database_later(name)
    pytest_sessionfinish(None, 0)
    assert pending == []
    assert name in client.list_database_names()
    client.drop_database(name)
