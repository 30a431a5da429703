"""Password hashing (argon2) and access tokens (JWT, HS256)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
ALGORITHM = "HS256"
_dummy_hash: str | None = None


def _dummy() -> str:
    """A hash verified when the user does not exist, so timing does not reveal usernames.
    Made on first use, not at import (argon2 is deliberately slow)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
    try:
        return _hasher.verify(hashed or _dummy(), password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(18)


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    username: str
    role: str
    expires_at: float = 0.0  # POSIX time

    @property
    def seconds_left(self) -> float:
        return self.expires_at - time.time()


def create_access_token(claims: TokenClaims, key: str, expire_minutes: int) -> str:
    now = datetime.now(UTC)
    payload = {
        "sub": str(claims.user_id),
        "name": claims.username,
        "role": claims.role,
        "iat": now,
        "exp": now + timedelta(minutes=expire_minutes),
    }
    return jwt.encode(payload, key, algorithm=ALGORITHM)


def decode_access_token(token: str, key: str) -> TokenClaims | None:
    """The claims of a valid, unexpired token; None for anything else.

    ``iat`` is not checked: a token issued while the machine's clock was ahead would be
    "issued in the future" once the clock is corrected, and every user who logged in
    meanwhile would be thrown out. ``exp`` (and the signature) is what bounds a token.
    """
    try:
        payload = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            options={"require": ["exp"], "verify_iat": False},
        )
        return TokenClaims(
            int(payload["sub"]), str(payload["name"]), str(payload["role"]), float(payload["exp"])
        )
    except (jwt.InvalidTokenError, KeyError, ValueError, TypeError):
        return None
