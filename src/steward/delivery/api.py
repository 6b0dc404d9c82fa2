from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from steward.api.deps import AdminPrincipal, AppSettings, CurrentPrincipal, DbSession, Paging
from steward.core.schemas import Page, PathId
from steward.delivery import service
from steward.delivery.models import MessageStatus
from steward.delivery.schemas import (
    ChatDestinationIn,
    ChatDestinationOut,
    NotificationOut,
    OutboundMessageOut,
    WebhookEndpointCreate,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
)

webhooks_router = APIRouter(prefix="/webhooks", tags=["webhooks"])
outbox_router = APIRouter(prefix="/outbox", tags=["outbox"])
notifications_router = APIRouter(prefix="/notifications", tags=["notifications"])


@webhooks_router.get("", response_model=list[WebhookEndpointWithSecret])
def list_endpoints(session: DbSession, _: AdminPrincipal, include_archived: bool = False) -> Any:
    return service.list_endpoints(session, include_archived)


@webhooks_router.post("", response_model=WebhookEndpointWithSecret, status_code=201)
def create_endpoint(
    session: DbSession,
    settings: AppSettings,
    principal: AdminPrincipal,
    body: WebhookEndpointCreate,
) -> Any:
    endpoint = service.create_endpoint(session, settings, principal, body.name, body.url)
    session.commit()
    return endpoint


@webhooks_router.patch("/{endpoint_id}", response_model=WebhookEndpointOut)
def update_endpoint(
    session: DbSession,
    settings: AppSettings,
    principal: AdminPrincipal,
    endpoint_id: PathId,
    body: WebhookEndpointUpdate,
) -> Any:
    changes = body.model_dump(exclude_unset=True)
    endpoint = service.update_endpoint(session, settings, principal, endpoint_id, changes)
    session.commit()
    return endpoint


@webhooks_router.post("/{endpoint_id}/rotate-secret", response_model=WebhookEndpointWithSecret)
def rotate_secret(session: DbSession, principal: AdminPrincipal, endpoint_id: PathId) -> Any:
    endpoint = service.rotate_secret(session, principal, endpoint_id)
    session.commit()
    return endpoint


@webhooks_router.post(
    "/{endpoint_id}/ping",
    response_model=OutboundMessageOut,
    status_code=202,
    summary="Queue a signed test delivery",
)
def ping_endpoint(session: DbSession, principal: AdminPrincipal, endpoint_id: PathId) -> Any:
    endpoint = service.get_endpoint(session, endpoint_id)
    message = service.queue_webhook(
        session, endpoint, "ping", {"endpoint": endpoint.name, "by": principal.email}
    )
    session.commit()
    return message


@webhooks_router.delete("/{endpoint_id}", response_model=WebhookEndpointOut)
def archive_endpoint(session: DbSession, principal: AdminPrincipal, endpoint_id: PathId) -> Any:
    endpoint = service.archive_endpoint(session, principal, endpoint_id)
    session.commit()
    return endpoint


@outbox_router.get("", response_model=Page[OutboundMessageOut])
def list_messages(
    session: DbSession, _: AdminPrincipal, paging: Paging, status: MessageStatus | None = None
) -> Any:
    items, total = service.list_messages(session, status, paging.limit, paging.offset)
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@outbox_router.post("/{message_id}/retry", response_model=OutboundMessageOut)
def retry_message(session: DbSession, _: AdminPrincipal, message_id: PathId) -> Any:
    message = service.retry_message(session, message_id)
    session.commit()
    return message


@notifications_router.get("", response_model=list[NotificationOut])
def my_notifications(
    session: DbSession,
    principal: CurrentPrincipal,
    unread_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    return service.notifications_of(session, principal, unread_only=unread_only, limit=limit)


@notifications_router.post("/{notification_id}/read")
def mark_read(session: DbSession, principal: CurrentPrincipal, notification_id: PathId) -> Any:
    count = service.mark_read(session, principal, notification_id)
    session.commit()
    return {"marked_read": count}


@notifications_router.post("/read-all")
def mark_all_read(session: DbSession, principal: CurrentPrincipal) -> Any:
    count = service.mark_read(session, principal, None)
    session.commit()
    return {"marked_read": count}


chat_router = APIRouter(prefix="/me/chat", tags=["chat"])


@chat_router.get("", response_model=list[ChatDestinationOut])
def list_chat_destinations(session: DbSession, principal: CurrentPrincipal) -> Any:
    """Where your notifications and digest go in Slack or Teams."""
    return service.chat_destinations_of(session, principal)


@chat_router.post("", response_model=ChatDestinationOut, status_code=201)
def add_chat_destination(
    session: DbSession, principal: CurrentPrincipal, settings: AppSettings, body: ChatDestinationIn
) -> Any:
    """Your notifications (rule firings, escalations) and your daily digest go here too, each
    with its why sentence and a link; in Slack with buttons (claim, snooze a day, log a note).
    The URL or token is stored encrypted; webhook URLs obey the webhook SSRF rule."""
    destination = service.add_chat_destination(
        session,
        settings,
        principal,
        kind=body.kind,
        url=body.url,
        token=body.token,
        channel=body.channel,
        slack_user_id=body.slack_user_id,
    )
    session.commit()
    return destination


@chat_router.post("/{destination_id}/test", response_model=OutboundMessageOut, status_code=202)
def test_chat_destination(
    session: DbSession, principal: CurrentPrincipal, destination_id: PathId
) -> Any:
    """Queues a test message to this destination (sent by the worker within a minute)."""
    destination = service.get_chat_destination(session, principal, destination_id)
    [message] = service.queue_chat_to(
        session,
        destination,
        {"title": "Steward is connected", "text": "Notifications for you will arrive here."},
    )
    session.commit()
    return message


@chat_router.delete("/{destination_id}", status_code=204)
def remove_chat_destination(
    session: DbSession, principal: CurrentPrincipal, destination_id: PathId
) -> Response:
    destination = service.get_chat_destination(session, principal, destination_id)
    session.delete(destination)
    session.commit()
    return Response(status_code=204)


api_routers = [webhooks_router, outbox_router, notifications_router, chat_router]
