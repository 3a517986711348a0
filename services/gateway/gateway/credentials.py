"""Who is calling: the bearer token of a request turned into a Principal.

Three kinds of callers (API.md): the platform operator (one key, from the
environment), a business admin (an API key returned once when the business
is registered, stored only as its SHA-256), and an employee (a token issued
by the business admin, also stored as its SHA-256; what the employee may do
is the staff service's answer, asked on every request by the route frame).
A principal's ``business_id`` is the only business a request may touch.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from gateway.errors import NotAllowedError, NotAuthenticatedError

Kind = Literal["operator", "business", "employee"]

OPERATOR: frozenset[Kind] = frozenset({"operator"})
BUSINESS_ADMIN: frozenset[Kind] = frozenset({"business"})
BUSINESS_STAFF: frozenset[Kind] = frozenset({"business", "employee"})

# Prefixes tell which kind of secret a token is without a lookup, and let
# secret scanners recognise a leaked key.
API_KEY_PREFIX = "pwl_bk_"
EMPLOYEE_TOKEN_PREFIX = "pwl_et_"  # noqa: S105 (a prefix, not a secret)
MAX_TOKEN = 200


@dataclass(frozen=True)
class Principal:
    kind: Kind
    business_id: str | None = None
    employee_id: str | None = None

    @property
    def id(self) -> str:
        """Whose quota and idempotency keys these are."""
        if self.kind == "operator":
            return "operator"
        if self.kind == "employee":
            return f"employee:{self.employee_id}"
        return f"business:{self.business_id}"


def hash_secret(secret: str) -> str:
    # The secrets are 256-bit random tokens: a plain SHA-256 cannot be
    # reversed or guessed, and it can be looked up by equality.
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def new_employee_token() -> str:
    return EMPLOYEE_TOKEN_PREFIX + secrets.token_urlsafe(32)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, None without one."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NotAuthenticatedError("the Authorization header must be 'Bearer <key or token>'")
    if len(token) > MAX_TOKEN or not token.isascii():
        raise NotAuthenticatedError("that key or token is not one we issued")
    return token


class Credentials:
    """Resolves tokens; business keys are looked up by ``find_business_by_key_hash``."""

    def __init__(
        self,
        operator_key: str | None,
        find_business_by_key_hash: Callable[[str], dict[str, Any] | None],
        find_employee_by_token_hash: Callable[[str], Principal | None] | None = None,
    ) -> None:
        self.operator_key_hash = hash_secret(operator_key) if operator_key else None
        self.find_business_by_key_hash = find_business_by_key_hash
        # the employee a token's hash was issued to, None for a token we did not issue
        self.find_employee_by_token_hash = find_employee_by_token_hash

    def principal(self, token: str) -> Principal:
        token_hash = hash_secret(token)
        if self.operator_key_hash is not None and hmac.compare_digest(
            token_hash, self.operator_key_hash
        ):
            return Principal("operator")
        if token.startswith(API_KEY_PREFIX):
            business = self.find_business_by_key_hash(token_hash)
            # the lookup is by hash; compare again in constant time all the same
            if business is not None and hmac.compare_digest(business["key_hash"], token_hash):
                return Principal("business", business_id=str(business["_id"]))
        if token.startswith(EMPLOYEE_TOKEN_PREFIX):
            if self.find_employee_by_token_hash is None:
                raise NotAuthenticatedError("this gateway does not accept employee tokens")
            employee = self.find_employee_by_token_hash(token_hash)
            if employee is not None:
                return employee
        raise NotAuthenticatedError("that key or token is not one we issued, or it was revoked")


def require(principal: Principal | None, allowed: frozenset[Kind]) -> Principal:
    """The principal, if it is one of the kinds a route allows."""
    if principal is None:
        raise NotAuthenticatedError("this route needs 'Authorization: Bearer <key or token>'")
    if principal.kind not in allowed:
        who = " or ".join(sorted(_WHO[k] for k in allowed))
        raise NotAllowedError(f"only {who} may do this")
    return principal


_WHO: dict[Kind, str] = {
    "operator": "the platform operator",
    "business": "a business admin",
    "employee": "an employee",
}
