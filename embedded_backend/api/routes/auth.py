"""/api/v1/auth/token: OAuth2 password flow returning a JWT.

Every attempt is audited (``auth.login`` / ``auth.login_failed``, with the username and
the client address, never the password). Failed logins are limited per username
(``login_failures_per_minute``): once a username has that many failures in the last
minute, every attempt for it, right password or not, gets 429 with ``Retry-After`` until
the oldest failure is a minute old. Other usernames are not affected.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from embedded_backend.api.deps import StateDep
from embedded_backend.api.problems import problem_responses
from embedded_backend.erp import audit, users
from embedded_backend.errors import AuthenticationError
from embedded_backend.schemas.users import Token
from embedded_backend.security import TokenClaims, create_access_token
from embedded_backend.state import AppState
from embedded_backend.throttle import retry_after_header

log = logging.getLogger(__name__)

router = APIRouter(tags=["auth"])

# Longer names cannot be accounts; cutting them keeps throttle keys and audit rows small.
MAX_USERNAME_KEY = 200


@router.post("/token", response_model=Token, responses=problem_responses(401, 429))
def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], state: StateDep, request: Request
) -> Token:
    username = form.username[:MAX_USERNAME_KEY]
    client = request.client.host if request.client else None
    _refuse_if_throttled(state, username)
    with state.db.read_session() as session:
        user = users.authenticate(session, form.username, form.password)
    if user is None:
        _failed(state, username, client)
        raise AuthenticationError("wrong username or password")
    minutes = state.settings.jwt_expire_minutes
    token = create_access_token(
        TokenClaims(user.id, user.username, user.role), state.secrets.secret_key, minutes
    )
    name = user.username
    state.db.write(lambda s: audit.record(s, name, "auth.login", name, {"client": client}))
    log.info("user %s logged in", name)
    return Token(access_token=token, expires_in=minutes * 60)


def _refuse_if_throttled(state: AppState, username: str) -> None:
    throttle = state.login_failures
    wait_s = throttle.retry_after(username) if throttle is not None else 0.0
    if wait_s:
        raise HTTPException(
            429,
            f"too many failed logins for this username; try again in "
            f"{retry_after_header(wait_s)} s",
            headers={"Retry-After": retry_after_header(wait_s)},
        )


def _failed(state: AppState, username: str, client: str | None) -> None:
    log.warning("failed login for user %r", username[:64])
    throttle = state.login_failures
    limit_reached = False
    if throttle is not None:
        throttle.hit(username)
        limit_reached = throttle.retry_after(username) > 0  # this failure was the last allowed

    def work(session: Session) -> None:
        audit.record(session, username[:64], "auth.login_failed", username, {"client": client})
        if limit_reached and throttle is not None:
            detail = {"client": client, "failures_per_minute": throttle.limit}
            audit.record(session, "vigia", "auth.login_throttled", username, detail)

    state.db.write(work)
