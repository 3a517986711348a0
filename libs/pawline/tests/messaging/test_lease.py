"""One holder at a time, taken over once it stops renewing; in the real store."""

from __future__ import annotations

import time

import pymongo

from pawline.messaging.lease import Lease


def test_one_holder_at_a_time_and_a_takeover_after_expiry(mongo_uri, mongo_database):
    client: pymongo.MongoClient = pymongo.MongoClient(mongo_uri)
    leases = client[mongo_database]["leases"]
    first = Lease(leases, "relay", ttl=1.2, holder="first")
    second = Lease(leases, "relay", ttl=1.2, holder="second")

    assert first.hold()
    assert not second.hold()
    assert first.current_holder() == "first"

    expires = leases.find_one({"_id": "relay"})["expires_at"]
    assert first.hold()  # renewed a moment ago: not written again
    assert leases.find_one({"_id": "relay"})["expires_at"] == expires

    time.sleep(1.4)  # the first holder died: it renews no more
    assert not first.held
    assert second.hold()
    assert second.current_holder() == "second"
    assert not first.hold()  # the old holder finds it taken

    second.release()
    assert second.current_holder() is None
    assert first.hold()
    client.close()
