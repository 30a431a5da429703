"""Dependencies shared by the routes, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from embedded_backend.cache import CacheFront
from embedded_backend.db.database import Database
from embedded_backend.db.models import User
from embedded_backend.errors import AuthenticationError, PermissionDeniedError
from embedded_backend.observability.hub import Observability
from embedded_backend.principals import ADMIN_TOKEN_PRINCIPAL, Principal
from embedded_backend.schemas.common import MAX_ID
from embedded_backend.security import TokenClaims
from embedded_backend.state import AppState

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_state(request: Request) -> AppState:
    state: AppState = request.app.state.vigia
    return state


StateDep = Annotated[AppState, Depends(get_state)]


async def get_db(state: StateDep) -> Database:
    return state.db


DbDep = Annotated[Database, Depends(get_db)]


async def get_cache(state: StateDep) -> CacheFront:
    return state.cache


CacheDep = Annotated[CacheFront, Depends(get_cache)]


async def get_observability(request: Request) -> Observability:
    hub: Observability = request.app.state.observability
    return hub


ObservabilityDep = Annotated[Observability, Depends(get_observability)]


async def read_session(db: DbDep) -> AsyncIterator[Session]:
    """A session for the route; its connection is taken lazily, in the route's thread.

    The dependencies are ``async`` on purpose: a sync dependency costs a thread-pool
    round trip each, which under load costs more than the work itself.
    """
    session = db.new_read_session()
    try:
        yield session
    finally:
        if db.is_sqlite or not session.in_transaction():
            session.close()  # local file: returning the connection takes microseconds
        else:  # a network round trip: keep it off the event loop
            await anyio.to_thread.run_sync(session.close)


SessionDep = Annotated[Session, Depends(read_session)]


def _lookup_user(state: AppState, claims: TokenClaims) -> Principal:
    with state.db.read_session() as session:
        user = session.get(User, claims.user_id)
        if user is None or not user.is_active or user.username != claims.username:
            raise AuthenticationError("this account no longer exists or is disabled")
        return Principal(user.username, user.role, user.id)


async def current_principal(
    state: StateDep, token: Annotated[str | None, Depends(oauth2)]
) -> Principal:
    if not token:
        raise AuthenticationError(
            "send 'Authorization: Bearer <token>' (log in at /api/v1/auth/token)"
        )
    cache = state.principals
    if cache.is_admin_token(token):
        return ADMIN_TOKEN_PRINCIPAL
    principal = cache.cached(token)
    if principal is not None:
        return principal
    claims = cache.claims(token)
    if claims is None:
        raise AuthenticationError("the access token is invalid or has expired; log in again")
    principal = await anyio.to_thread.run_sync(_lookup_user, state, claims)
    cache.remember(token, principal, claims)
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


async def require_admin(principal: CurrentUser) -> Principal:
    if not principal.is_admin:
        raise PermissionDeniedError("this action needs an administrator")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


async def paging(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> Paging:
    return Paging(limit, offset)


PagingDep = Annotated[Paging, Depends(paging)]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="record id")]
