"""Idempotency-Key on POST: same key and body, same answer and the work done
once; same key, other body, 422."""

from __future__ import annotations

import eventlet
import pymongo

from .conftest import A_BUSINESS, OPERATOR_KEY, assert_error, bearer


def count_businesses(mongo_uri: str, database: str) -> int:
    client: pymongo.MongoClient = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    try:
        return client[database].businesses.count_documents({})
    finally:
        client.close()


def post(http_session, body, key, token=OPERATOR_KEY):
    headers = {**bearer(token), "Idempotency-Key": key}
    return http_session.post("/v1/businesses", json=body, headers=headers)


def test_the_same_key_and_body_give_the_same_answer_and_register_once(
    gateway, http_session, mongo_uri, mongo_database
):
    first = post(http_session, A_BUSINESS, "register-happy-paws")
    again = post(http_session, A_BUSINESS, "register-happy-paws")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.headers["Cache-Control"] == again.headers["Cache-Control"] == "no-store"
    assert count_businesses(mongo_uri, mongo_database) == 1


def test_the_same_key_with_another_body_is_refused(
    gateway, http_session, mongo_uri, mongo_database
):
    assert post(http_session, A_BUSINESS, "k-1").status_code == 201
    other = post(http_session, {**A_BUSINESS, "name": "Other Kennel"}, "k-1")
    body = assert_error(other, 422, "refused")
    assert "Idempotency-Key" in body["message"]
    assert count_businesses(mongo_uri, mongo_database) == 1


def test_another_key_does_the_work_again(gateway, http_session, mongo_uri, mongo_database):
    first = post(http_session, A_BUSINESS, "k-1")
    second = post(http_session, A_BUSINESS, "k-2")
    assert first.json()["business_id"] != second.json()["business_id"]
    assert count_businesses(mongo_uri, mongo_database) == 2


def test_an_invalid_request_does_not_use_up_its_key(gateway, http_session):
    assert_error(post(http_session, {"name": "x"}, "k-1"), 400, "invalid_request")
    assert post(http_session, A_BUSINESS, "k-1").status_code == 201


def test_a_malformed_key_is_refused(gateway, http_session):
    body = assert_error(post(http_session, A_BUSINESS, "has space"), 400, "invalid_request")
    assert "Idempotency-Key" in body["message"]


def test_the_same_key_sent_twice_at_once_registers_once(
    gateway, http_session, mongo_uri, mongo_database
):
    pool = eventlet.GreenPool(4)
    replies = list(pool.imap(lambda _: post(http_session, A_BUSINESS, "race"), range(4)))
    statuses = sorted(r.status_code for r in replies)
    assert set(statuses) <= {201, 409}, [r.text for r in replies]
    assert 201 in statuses
    assert len({r.json()["business_id"] for r in replies if r.status_code == 201}) == 1
    assert count_businesses(mongo_uri, mongo_database) == 1
