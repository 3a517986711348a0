"""The test databases are dropped only once their test is over, containers and all."""

from __future__ import annotations

import pymongo
import pytest

from pawline.testing import pytest_plugin
from pawline.testing.pytest_plugin import (
    drop_database_later,
    drop_pending_databases,
    fresh_database_name,
)


@pytest.fixture
def client(mongo_uri):
    client = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    yield client
    client.close()


def test_a_database_given_up_is_dropped_later_not_at_once(client):
    name = fresh_database_name()
    client[name].things.insert_one({"_id": 1})
    drop_database_later(name)
    # still there: the test's containers may still be writing to it
    assert name in client.list_database_names()
    assert name in pytest_plugin._PENDING_DROPS
    drop_pending_databases()  # what the next test's start does
    assert name not in client.list_database_names()
    assert not pytest_plugin._PENDING_DROPS
