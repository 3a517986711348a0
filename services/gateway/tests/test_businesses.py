"""POST /v1/businesses and GET /v1/business over HTTP: real broker, real store."""

from __future__ import annotations

import hashlib

import pymongo

from gateway import store
from gateway.credentials import API_KEY_PREFIX

from .conftest import A_BUSINESS, OPERATOR_KEY, assert_error, bearer, register


def test_operator_registers_a_business_and_its_key_reads_it(gateway, http_session):
    registered = register(http_session)
    assert set(registered) == {"business_id", "slug", "api_key"}
    assert registered["slug"] == "happy-paws"
    assert registered["api_key"].startswith(API_KEY_PREFIX)

    own = http_session.get("/v1/business", headers=bearer(registered["api_key"]))
    assert own.status_code == 200, own.text
    body = own.json()
    assert body["business_id"] == registered["business_id"]
    assert {k: body[k] for k in A_BUSINESS} == A_BUSINESS
    assert body["slug"] == "happy-paws"
    assert "key_hash" not in body
    assert "api_key" not in body


def test_the_api_key_is_stored_only_as_its_hash(gateway, http_session, mongo_uri, mongo_database):
    registered = register(http_session)
    client: pymongo.MongoClient = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    try:
        stored = client[mongo_database].businesses.find_one({"_id": registered["business_id"]})
    finally:
        client.close()
    assert stored is not None
    assert registered["api_key"] not in str(stored)
    assert stored["key_hash"] == hashlib.sha256(registered["api_key"].encode()).hexdigest()


def test_a_taken_slug_gets_a_suffix(gateway, http_session):
    first = register(http_session)
    second = register(http_session)
    assert first["slug"] == "happy-paws"
    assert second["slug"].startswith("happy-paws-")
    assert first["business_id"] != second["business_id"]


def test_each_bad_field_is_named(gateway, http_session):
    reply = http_session.post(
        "/v1/businesses",
        json={"name": " ", "timezone": "Mars/Olympus", "currency": "XXY", "tax_rate_bp": "20",
              "colour": "red"},
        headers=bearer(OPERATOR_KEY),
    )  # fmt: skip
    body = assert_error(reply, 400, "invalid_request")
    assert set(body["fields"]) == {"name", "timezone", "currency", "tax_rate_bp", "colour"}
    assert "IANA" in body["fields"]["timezone"][0]
    assert "ISO 4217" in body["fields"]["currency"][0]


def test_missing_fields_and_out_of_range_tax_are_named(gateway, http_session):
    reply = http_session.post(
        "/v1/businesses", json={"name": "Paws", "tax_rate_bp": 10001}, headers=bearer(OPERATOR_KEY)
    )
    body = assert_error(reply, 400, "invalid_request")
    assert set(body["fields"]) == {"timezone", "currency", "tax_rate_bp"}


def test_a_body_that_is_not_a_json_object_is_refused(gateway, http_session):
    for raw in (b"{not json", b"", b"[1, 2]", b"\xff\xfe"):
        reply = http_session.post(
            "/v1/businesses",
            data=raw,
            headers={**bearer(OPERATOR_KEY), "Content-Type": "application/json"},
        )
        body = assert_error(reply, 400, "invalid_request")
        assert "body" in body["message"]


def test_only_the_operator_registers_businesses(gateway, http_session):
    registered = register(http_session)
    as_business = http_session.post(
        "/v1/businesses", json=A_BUSINESS, headers=bearer(registered["api_key"])
    )
    assert_error(as_business, 403, "not_allowed")
    anonymous = http_session.post("/v1/businesses", json=A_BUSINESS)
    assert_error(anonymous, 401, "not_authenticated")
    wrong_key = http_session.post("/v1/businesses", json=A_BUSINESS, headers=bearer("guess"))
    assert_error(wrong_key, 401, "not_authenticated")
    not_bearer = http_session.post(
        "/v1/businesses", json=A_BUSINESS, headers={"Authorization": f"Basic {OPERATOR_KEY}"}
    )
    assert_error(not_bearer, 401, "not_authenticated")


def test_the_operator_has_no_business_of_its_own(gateway, http_session):
    reply = http_session.get("/v1/business", headers=bearer(OPERATOR_KEY))
    assert_error(reply, 403, "not_allowed")


def test_without_an_operator_key_configured_nobody_is_operator(start_gateway, http_session):
    start_gateway(PAWLINE_ADMIN_KEY=None)
    reply = http_session.post("/v1/businesses", json=A_BUSINESS, headers=bearer("None"))
    assert_error(reply, 401, "not_authenticated")


def test_the_own_business_read_comes_with_the_key_and_is_at_most_10_s_old(
    gateway, http_session, mongo_uri, mongo_database, monkeypatch
):
    registered = register(http_session)
    key = bearer(registered["api_key"])
    assert http_session.get("/v1/business", headers=key).json()["name"] == "Happy Paws"
    client: pymongo.MongoClient = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    try:
        # a change made behind the gateway's back (no route renames a business yet)
        client[mongo_database].businesses.update_one(
            {"_id": registered["business_id"]}, {"$set": {"name": "Happier Paws"}}
        )
    finally:
        client.close()
    # remembered with the key: no store read per request
    assert http_session.get("/v1/business", headers=key).json()["name"] == "Happy Paws"
    # once the key's 10 s are over, both are looked up again
    real_clock = store.clock
    monkeypatch.setattr(store, "clock", lambda: real_clock() + store.KEY_CACHE_SECONDS)
    assert http_session.get("/v1/business", headers=key).json()["name"] == "Happier Paws"
