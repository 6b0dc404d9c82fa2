"""The demo's hidden truth, shared by every generator so the history tells one story.

Each account has a *fit* (0–1: how well the product suits it), drawn from (seed, account id).
Poor fit raises the chance of leaving at each renewal and lowers how many seats are used. A
customer that is going to leave shows it first, most of the time: usage slides, touches thin
out, escalations and poor NPS answers come in the months before the end. Some leave the other
way: they migrate to another tool, and in the months before the end their usage *climbs* as
their team exports reports and data (a churn signal real books know, and one no straight-line
model can see, because rising usage is good news in every other account). And some that were
on their way out were saved: their usage slid, their CSM ran a save play (a run of meetings),
usage came back before the renewal and they signed again. So a churn model
trained on the demo's past has something real to find, and nothing it could not have seen
on the day it predicts.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from steward.contracts.models import Contract

WARNING_DAYS = 270  # how long before leaving the signs begin (three quarters)
SHOWS_SIGNS = 0.8  # share of leavers whose usage slides (with the other signs)
MIGRATES = 0.15  # share of leavers that export their data before going; the rest: surprises
SAVES = 0.08  # share of renewals signed after a save play turned a slide around
SAVE_PLAY_DAYS = (200, 110)  # the save play's meetings, in days before the renewal
FLOOR_DAYS = 90  # by a quarter before leaving, usage is down to its floor
FLOOR = 0.15  # the share of usual usage a leaver keeps at the end


def account_fit(seed: int, account_id: int) -> float:
    return random.Random(seed * 1_000_003 + account_id).random()


def churn_multiplier(fit: float) -> float:
    """Multiplies the segment's churn rate at renewal: 1.9× for the worst fit, 0.4× for the
    best (about 1.15× on average)."""
    return 0.4 + 1.5 * (1.0 - fit)


def _departure_draw(seed: int, account_id: int, departure: date) -> float:
    return random.Random(f"{seed}-{account_id}-{departure}").random()


def shows_signs(seed: int, account_id: int, departure: date) -> bool:
    """The leaver's usage slides, touches thin out, escalations and poor NPS answers come."""
    return _departure_draw(seed, account_id, departure) < SHOWS_SIGNS


def migrates(seed: int, account_id: int, departure: date) -> bool:
    """The leaver exports its data before going: usage climbs, nothing else shows."""
    draw = _departure_draw(seed, account_id, departure)
    return SHOWS_SIGNS <= draw < SHOWS_SIGNS + MIGRATES


def departures(session: Session, today: date) -> dict[int, list[date]]:
    """account → the days it left: contract ends (by today) with no contract of the account
    in force 30 days later (the SPEC's renewal grace)."""
    spans: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for account_id, start, end in session.execute(
        select(Contract.account_id, Contract.start_date, Contract.end_date).where(
            Contract.archived_at.is_(None)
        )
    ):
        spans[account_id].append((start, end))
    out: dict[int, list[date]] = {}
    for account_id, terms in spans.items():
        left = []
        for _, end in terms:
            later = end + timedelta(days=30)
            if later > today:
                continue
            if not any(start <= later < stop for start, stop in terms):
                left.append(end)
        if left:
            out[account_id] = sorted(set(left))
    return out


def customer_on(terms: list[tuple[date, date]], day: date) -> bool:
    return any(start <= day < end for start, end in terms)


def usage_left(days_before: int) -> float:
    """The share of its usual usage a leaver showing signs keeps `days_before` its departure:
    all of it nine months before, sliding to 15 % a quarter before (a CSM could see the slide a
    quarter ahead, as in real books, where churn is decided long before the renewal date)."""
    span = WARNING_DAYS - FLOOR_DAYS
    return FLOOR + (1 - FLOOR) * min(1.0, max(0.0, (days_before - FLOOR_DAYS) / span))


def saved(seed: int, account_id: int, renewal: date) -> bool:
    """The renewal on that day was signed after a save play."""
    return random.Random(f"{seed}-{account_id}-{renewal}-save").random() < SAVES


def renewals(terms: list[tuple[date, date]], today: date) -> list[date]:
    """The days, by today, on which a term ended and the customer signed again (a term
    starting within the SPEC's 30-day renewal grace)."""
    return sorted(
        {
            end
            for _, end in terms
            if end <= today and any(end <= start <= end + timedelta(days=30) for start, _ in terms)
        }
    )


def usage_saved(days_before: int) -> float:
    """The share of its usual usage a saved customer keeps `days_before` the renewal: sliding
    from nine months before to 45 % five months before, back to all of it three months before,
    as the save play works."""
    if days_before >= WARNING_DAYS or days_before <= FLOOR_DAYS:
        return 1.0
    low, bottom = 0.45, 150
    if days_before >= bottom:
        return 1 - (1 - low) * (WARNING_DAYS - days_before) / (WARNING_DAYS - bottom)
    return low + (1 - low) * (bottom - days_before) / (bottom - FLOOR_DAYS)


def usage_climb(days_before: int) -> float:
    """How many times its usual usage a migrating leaver shows `days_before` its departure:
    its usual level nine months before, climbing to 3× a quarter before, as more of its
    people export reports and data for the next tool."""
    return 1 + 2 * (1 - (usage_left(days_before) - FLOOR) / (1 - FLOOR))


def days_before_departure(left: list[date], day: date) -> int | None:
    """Days from `day` to the next of `left` (departures, or renewals saved), if one comes
    within the warning window."""
    upcoming = [(d - day).days for d in left if 0 <= (d - day).days <= WARNING_DAYS]
    return min(upcoming) if upcoming else None
