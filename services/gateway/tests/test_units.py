"""Fast unit tests of the gateway's own logic: no broker, no store, no HTTP."""

from __future__ import annotations

import json

import pytest
from marshmallow import ValidationError
from nameko.exceptions import RemoteError, UnknownService, deserialize, serialize
from pymongo.errors import DuplicateKeyError, ServerSelectionTimeoutError
from werkzeug.exceptions import MethodNotAllowed, NotFound

from gateway.credentials import (
    API_KEY_PREFIX,
    BUSINESS_STAFF,
    OPERATOR,
    Credentials,
    Principal,
    bearer_token,
    hash_secret,
    new_api_key,
    require,
)
from gateway.errors import (
    NotAllowedError,
    NotAuthenticatedError,
    RateLimitedError,
    error_response,
    status_and_code,
)
from gateway.openapi import openapi_path
from gateway.ratelimit import parse_limits
from gateway.schemas import BusinessRegistrationSchema
from gateway.store import slug_of
from pawline.nameko import BadRequestError

VALID = {"name": "Happy Paws", "timezone": "Europe/Paris", "currency": "EUR", "tax_rate_bp": 2000}


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Happy Paws", "happy-paws"),
        ("  Café  du Chien!! ", "cafe-du-chien"),
        ("???", "business"),
        ("Ünïcödé Groomers & Co.", "unicode-groomers-co"),
        ("a" * 60 + " b", "a" * 48),
    ],
)
def test_slug_is_lowercase_ascii_words(name, slug):
    assert slug_of(name) == slug


def test_bearer_token_reads_the_authorization_header():
    assert bearer_token(None) is None
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer   abc ") == "abc"
    for bad in ("Basic abc", "Bearer", "Bearer " + "x" * 201, "Bearer clé"):
        with pytest.raises(NotAuthenticatedError):
            bearer_token(bad)


def test_credentials_tell_operator_business_and_strangers_apart():
    key = new_api_key()
    stored = {hash_secret(key): {"_id": "b-1", "key_hash": hash_secret(key)}}
    credentials = Credentials("operator-secret", stored.get)
    assert credentials.principal("operator-secret") == Principal("operator")
    assert credentials.principal(key) == Principal("business", business_id="b-1")
    assert key.startswith(API_KEY_PREFIX)
    with pytest.raises(NotAuthenticatedError):
        credentials.principal(new_api_key())
    with pytest.raises(NotAuthenticatedError, match="employee tokens"):
        credentials.principal("pwl_et_sometoken")
    with pytest.raises(NotAuthenticatedError):
        Credentials(None, stored.get).principal("operator-secret")


def test_principal_ids_scope_quotas_and_idempotency_keys():
    assert Principal("operator").id == "operator"
    assert Principal("business", business_id="b-1").id == "business:b-1"
    assert Principal("employee", business_id="b-1", employee_id="e-7").id == "employee:e-7"


def test_require_names_who_may_call():
    with pytest.raises(NotAuthenticatedError):
        require(None, OPERATOR)
    with pytest.raises(NotAllowedError, match="platform operator"):
        require(Principal("business", business_id="b"), OPERATOR)
    business = Principal("business", business_id="b")
    assert require(business, BUSINESS_STAFF) is business


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (ValidationError({"name": ["bad"]}), 400, "invalid_request"),
        (BadRequestError("after must be 0 or more"), 400, "invalid_request"),
        (DuplicateKeyError("E11000"), 409, "conflict"),
        (ServerSelectionTimeoutError("down"), 503, "unavailable"),
        (UnknownService("booking"), 503, "unavailable"),
        (RemoteError("KeyError", "secret detail"), 500, "internal"),
        (RuntimeError("bug"), 500, "internal"),
    ],
)
def test_the_error_table(exc, status, code):
    assert status_and_code(exc) == (status, code)
    response = error_response(exc)
    body = json.loads(response.get_data())
    assert response.status_code == status
    assert body["error"] == code
    assert body["message"]
    assert "secret detail" not in body["message"]


def test_validation_errors_name_their_fields():
    body = json.loads(error_response(ValidationError({"name": ["bad"]})).get_data())
    assert body["fields"] == {"name": ["bad"]}


def test_rate_limited_answers_say_when_to_retry():
    response = error_response(RateLimitedError("slow down", 7))
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_routing_errors_are_json():
    assert error_response(NotFound()).status_code == 404
    response = error_response(MethodNotAllowed(valid_methods=["POST", "GET"]))
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert json.loads(response.get_data())["error"] == "method_not_allowed"


def test_registered_service_errors_arrive_over_rpc_as_themselves():
    arrived = deserialize(serialize(BadRequestError("limit must be 1 to 1000")))
    assert type(arrived) is BadRequestError
    assert str(arrived) == "limit must be 1 to 1000"


def test_openapi_paths_from_werkzeug_rules():
    assert openapi_path("/v1/businesses") == ("/v1/businesses", [])
    assert openapi_path("/v1/clients/<id>/pets") == ("/v1/clients/{id}/pets", ["id"])
    assert openapi_path("/v1/x/<int:n>/<y>") == ("/v1/x/{n}/{y}", ["n", "y"])


def test_registration_schema_accepts_valid_and_names_each_problem():
    assert BusinessRegistrationSchema().load(VALID) == VALID
    assert (
        BusinessRegistrationSchema().load({**VALID, "tax_rate_bp": 2000.0})["tax_rate_bp"] == 2000
    )
    bad = {"name": " \t", "timezone": "Europe/Atlantis", "currency": "EUX", "tax_rate_bp": "20"}
    with pytest.raises(ValidationError) as caught:
        BusinessRegistrationSchema().load(bad)
    problems = caught.value.messages
    assert isinstance(problems, dict)
    assert set(problems) == {"name", "timezone", "currency", "tax_rate_bp"}
    assert "Europe/Atlantis" in problems["timezone"][0]
    assert "EUX" in problems["currency"][0]
    for rate in (True, 20.5, -1, 10_001):
        with pytest.raises(ValidationError):
            BusinessRegistrationSchema().load({**VALID, "tax_rate_bp": rate})


def test_rate_limit_settings_are_read_or_refused_by_name():
    assert [str(item) for item in parse_limits("10/second;200/minute", "X")] == [
        "10 per 1 second",
        "200 per 1 minute",
    ]
    with pytest.raises(ValueError, match="RATE_LIMIT_PER_CALLER"):
        parse_limits("lots", "RATE_LIMIT_PER_CALLER")


def test_employee_tokens_are_found_through_their_hash():
    token = "pwl_et_" + "t" * 43
    employee = Principal("employee", business_id="b-1", employee_id="e-7")
    credentials = Credentials(None, {}.get, {hash_secret(token): employee}.get)
    assert credentials.principal(token) == employee
    assert require(employee, BUSINESS_STAFF) is employee
    with pytest.raises(NotAuthenticatedError):
        credentials.principal("pwl_et_" + "u" * 43)
