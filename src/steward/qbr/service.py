"""Making a pack: gather, lay out, draw as a deck or a PDF in the workspace's template, and
draft the QBR activity (one per account and quarter, however often the pack is made)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from steward.accounts.repository import get_account
from steward.activities.models import Activity, ActivityType
from steward.core import crud
from steward.core.errors import InvalidField
from steward.core.principal import Principal
from steward.db.base import utcnow
from steward.qbr.deck import render_deck
from steward.qbr.layout import Cover, Look, pages
from steward.qbr.models import DEFAULT_ACCENT, DEFAULT_PRIMARY, SECTIONS, QbrPack, QbrTemplate
from steward.qbr.pack import Pack, gather, parse_quarter
from steward.qbr.report import render_report
from steward.qbr.schemas import QbrFormat, QbrTemplateIn, QbrTemplateOut

MEDIA_TYPES = {
    QbrFormat.PPTX: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    QbrFormat.PDF: "application/pdf",
}
LOGO_TYPES = {"image/png", "image/jpeg"}
MAX_LOGO_BYTES = 1_000_000


@dataclass(frozen=True)
class MadePack:
    content: bytes
    filename: str
    media_type: str
    pack: Pack


def template_row(session: Session) -> QbrTemplate | None:
    return session.scalar(select(QbrTemplate).order_by(QbrTemplate.id).limit(1))


def template_out(session: Session) -> QbrTemplateOut:
    row = template_row(session)
    if row is None:
        return QbrTemplateOut(
            company_name=None,
            primary_color=DEFAULT_PRIMARY,
            accent_color=DEFAULT_ACCENT,
            sections=list(SECTIONS),
            has_logo=False,
        )
    return QbrTemplateOut(
        company_name=row.company_name,
        primary_color=row.primary_color,
        accent_color=row.accent_color,
        sections=[s for s in row.sections.split(",") if s in SECTIONS],
        has_logo=row.logo is not None,
    )


def save_template(
    session: Session,
    principal: Principal,
    data: QbrTemplateIn,
    logo: tuple[bytes, str] | None = None,
    remove_logo: bool = False,
) -> QbrTemplateOut:
    values: dict[str, object] = {
        "company_name": data.company_name,
        "primary_color": data.primary_color.lower(),
        "accent_color": data.accent_color.lower(),
        "sections": ",".join(s for s in SECTIONS if s in data.sections),
    }
    if logo is not None:
        content, media_type = logo
        if media_type not in LOGO_TYPES or not _is_image(content):
            raise InvalidField("logo", "must be a PNG or JPEG image")
        if len(content) > MAX_LOGO_BYTES:
            raise InvalidField("logo", f"must be at most {MAX_LOGO_BYTES // 1000} kB")
        values |= {"logo": content, "logo_type": media_type}
    elif remove_logo:
        values |= {"logo": None, "logo_type": None}
    row = template_row(session)
    if row is None:
        row = QbrTemplate(**values)
        crud.create(session, principal.user_id, row)
    else:
        crud.update(session, principal.user_id, row, values)
    session.flush()
    return template_out(session)


def _is_image(content: bytes) -> bool:
    return content.startswith(b"\x89PNG\r\n\x1a\n") or content.startswith(b"\xff\xd8\xff")


def look_of(session: Session) -> tuple[Look, list[str]]:
    row = template_row(session)
    if row is None:
        return Look(DEFAULT_PRIMARY, DEFAULT_ACCENT, None, None), list(SECTIONS)
    sections = [s for s in row.sections.split(",") if s in SECTIONS]
    return Look(row.primary_color, row.accent_color, row.company_name, row.logo), sections


def make_pack(
    session: Session,
    principal: Principal,
    account_id: int,
    period: str,
    fmt: QbrFormat,
    today: date | None = None,
) -> MadePack:
    get_account(session, principal, account_id)  # outside the book: 404, whatever the period
    quarter = parse_quarter(period)
    pack = gather(session, principal, account_id, quarter)
    look, sections = look_of(session)
    laid_out = pages(pack, sections)
    made = today or date.today()
    render = render_deck if fmt == QbrFormat.PPTX else render_report
    content = render(laid_out, look, Cover(pack.account_name, str(quarter), made, pack.team))
    _draft_activity(session, principal, pack)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", pack.account_name).strip("-") or "account"
    return MadePack(content, f"{slug}-QBR-{quarter}.{fmt.value}", MEDIA_TYPES[fmt], pack)


def _draft_activity(session: Session, principal: Principal, pack: Pack) -> None:
    """The QBR activity, drafted once per account and quarter (the unique key holds it when
    two people make the same pack at once); a pack made again refreshes its text."""
    subject = f"QBR {pack.quarter} in preparation (pack made)"
    body = " ".join(pack.narrative) or None
    period = str(pack.quarter)
    statement = select(QbrPack).where(
        QbrPack.account_id == pack.account_id, QbrPack.period == period
    )
    record = session.scalar(statement)
    if record is None:
        activity = Activity(
            account_id=pack.account_id,
            user_id=principal.user_id or None,
            type=ActivityType.QBR_DRAFT,
            subject=subject,
            body=body,
            occurred_at=utcnow(),
        )
        try:
            with session.begin_nested():
                crud.create(session, principal.user_id, activity)
                session.flush()
                session.add(
                    QbrPack(
                        account_id=pack.account_id,
                        period=period,
                        activity_id=activity.id,
                        generated_by_id=principal.user_id or None,
                    )
                )
                session.flush()
            return
        except IntegrityError:
            record = session.scalar(statement)  # someone else drafted it a moment ago
            if record is None:
                raise
    record.generated_at = utcnow()
    record.generated_by_id = principal.user_id or None
    record.generations += 1
    activity_row = session.get(Activity, record.activity_id) if record.activity_id else None
    if activity_row is not None and activity_row.type == ActivityType.QBR_DRAFT:
        activity_row.body = body
