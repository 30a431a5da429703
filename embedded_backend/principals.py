"""Who is calling: the admin token or a user's JWT, resolved to a :class:`Principal`.

A verified token is remembered for a few seconds (``auth_cache_s``, bounded in size) so
that a busy client does not cost a JWT verification and a user lookup on every request.
Changing or deleting a user through the API forgets that user's entries at once; the
TTL bounds how long any other change (another process, an expired token) can go unseen.
"""

from __future__ import annotations

import hmac
import threading
import time
from dataclasses import dataclass

from embedded_backend.security import TokenClaims, decode_access_token

MAX_ENTRIES = 4096


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    user_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


ADMIN_TOKEN_PRINCIPAL = Principal("admin-token", "admin")


class PrincipalCache:
    def __init__(self, admin_token: str, secret_key: str, ttl_s: float) -> None:
        self._admin_token = admin_token.encode()
        self._secret_key = secret_key
        self._ttl = ttl_s
        self._entries: dict[str, tuple[float, Principal]] = {}
        self._lock = threading.Lock()

    def is_admin_token(self, token: str) -> bool:
        return hmac.compare_digest(token.encode(), self._admin_token)

    def cached(self, token: str) -> Principal | None:
        entry = self._entries.get(token)
        if entry is None:
            return None
        if entry[0] < time.monotonic():
            with self._lock:
                self._entries.pop(token, None)
            return None
        return entry[1]

    def claims(self, token: str) -> TokenClaims | None:
        return decode_access_token(token, self._secret_key)

    def remember(self, token: str, principal: Principal, claims: TokenClaims) -> None:
        if self._ttl <= 0:
            return
        until = min(time.monotonic() + self._ttl, time.monotonic() + claims.seconds_left)
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[token] = (until, principal)

    def forget_user(self, user_id: int) -> None:
        with self._lock:
            for token in [t for t, (_, p) in self._entries.items() if p.user_id == user_id]:
                del self._entries[token]

    def forget_all(self) -> None:
        with self._lock:
            self._entries.clear()
