"""GET /api/v1/retention: survival curves, sBG fits, a Cox model and CLTV of the book."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query

from steward.api.deps import AppSettings, CurrentPrincipal, DbSession
from steward.retention import service
from steward.retention.schemas import RetentionReport
from steward.retention.service import MIN_DISCOUNT_RATE

router = APIRouter(prefix="/retention", tags=["retention"])


@router.get(
    "",
    response_model=RetentionReport,
    summary="Customer retention of your book: survival curves, sBG, Cox, lifetime value",
    description="Customers (revenue units) of your book from their first month with ARR to "
    "their churn or the last month-end. Per group (`by`: segment, tier or cohort, the year of "
    "the first month) and for all: the Kaplan–Meier curve with its 95 % band, the "
    "shifted-beta-geometric model of yearly renewals (Fader & Hardie 2007) and the current "
    "customers' future margin by discounted expected residual lifetime (Fader & Hardie 2010) "
    "beside one pooled renewal rate and SPEC §3's simple form. A Cox model gives hazard "
    "ratios by segment, tier and starting ARR.",
)
def get_retention(
    session: DbSession,
    principal: CurrentPrincipal,
    settings: AppSettings,
    by: str = "segment",
    discount_rate: Annotated[
        float,
        Query(
            ge=MIN_DISCOUNT_RATE,
            le=1,
            description="Yearly discount rate for lifetime value (0.001 to 1).",
        ),
    ] = 0.1,
) -> Any:
    return service.retention_report(
        session,
        principal,
        settings.currency,
        by=by,
        today=date.today(),
        discount_rate=discount_rate,
        gross_margin=settings.gross_margin,
    )


api_routers = [router]
