from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from steward.api.deps import (
    AuthContext,
    CurrentPrincipal,
    DbSession,
    get_auth_context,
    get_settings_dep,
)
from steward.auth import service
from steward.auth.http import client_ip, remember_device
from steward.auth.schemas import NewTokenOut, TokenCreate, TokenOut, TokenRequest, TokenResponse
from steward.config import Settings
from steward.core.errors import NotAuthenticated
from steward.core.schemas import PathId
from steward.users.models import User
from steward.users.schemas import UserOut

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=TokenResponse)
def issue_token(
    request: Request,
    response: Response,
    session: DbSession,
    settings: Annotated[Settings, Depends(get_settings_dep)],
    body: TokenRequest,
) -> TokenResponse:
    """Exchange e-mail and password for a bearer token (failed attempts are rate-limited)."""
    try:
        user = service.authenticate(
            session,
            settings,
            body.email,
            body.password,
            client_ip(request),
            request.cookies.get(service.DEVICE_COOKIE),
        )
    except NotAuthenticated:
        session.commit()  # the failed attempt must count against the limit
        raise
    token, secret = service.create_token(
        session, user, "api login", actor_id=user.id, expires_at=None
    )
    remember_device(request, response, session, user.email)
    session.commit()
    return TokenResponse(access_token=secret, token_id=token.id)


@router.delete("/auth/token", status_code=204)
def revoke_current_token(
    request: Request, session: DbSession, context: Annotated[AuthContext, Depends(get_auth_context)]
) -> None:
    """Log out: the bearer token used for this request stops working."""
    header = request.headers.get("authorization", "")
    if context.via_cookie or not header.lower().startswith("bearer "):
        raise NotAuthenticated("send the bearer token to revoke")
    service.revoke_secret(session, header[7:].strip(), actor_id=context.principal.user_id)
    session.commit()


@router.get("/me", response_model=UserOut, tags=["users"])
def me(session: DbSession, principal: CurrentPrincipal) -> User:
    user = session.get(User, principal.user_id)
    assert user is not None
    return user


@router.get("/me/tokens", response_model=list[TokenOut])
def my_tokens(session: DbSession, principal: CurrentPrincipal) -> list[TokenOut]:
    return [TokenOut.model_validate(t) for t in service.list_tokens(session, principal.user_id)]


@router.post("/me/tokens", response_model=NewTokenOut, status_code=201)
def create_my_token(
    session: DbSession, principal: CurrentPrincipal, body: TokenCreate
) -> NewTokenOut:
    user = session.get(User, principal.user_id)
    assert user is not None
    token, secret = service.create_token(
        session, user, body.name, actor_id=principal.user_id, expires_at=body.expires_at
    )
    session.commit()
    return NewTokenOut(**TokenOut.model_validate(token).model_dump(), secret=secret)


@router.delete("/me/tokens/{token_id}", response_model=TokenOut)
def revoke_my_token(session: DbSession, principal: CurrentPrincipal, token_id: PathId) -> TokenOut:
    token = service.revoke_token(session, principal.user_id, token_id, actor_id=principal.user_id)
    session.commit()
    return TokenOut.model_validate(token)


api_routers = [router]
