"""A deterministic demo workspace that looks like a real B2B SaaS company.

Everything is derived from (seed, today): three years of contracts with renewals, upsells,
downgrades and churn, people, pipeline and activity. Rows are written with bulk inserts
(100k accounts take well under a minute); the roll-ups are computed by the same code the
services use, so the demo shows what the product computes, not numbers made up here.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, insert, select, text
from sqlalchemy.orm import Session

from steward.accounts.models import Account, AccountAncestor, LifecycleStage
from steward.activities.models import Activity
from steward.activities.service import refresh_activity_rollups
from steward.contacts.models import Contact
from steward.contracts.models import Contract, LineItem
from steward.contracts.terms import refresh_account_revenue
from steward.db.engine import Database
from steward.demo import names
from steward.demo.latent import (
    SAVE_PLAY_DAYS,
    WARNING_DAYS,
    account_fit,
    churn_multiplier,
    saved,
    shows_signs,
)
from steward.demo.sales import seed_sales_history
from steward.opportunities.models import STAGE_PROBABILITY, Opportunity, OpportunityLineItem
from steward.products.models import Product
from steward.products.pricing import arr_scaled, scaled_to_minor
from steward.tasks.models import Task
from steward.usage.service import create_source
from steward.users.models import Role, Team, User
from steward.users.passwords import hash_password

DEMO_WRITE_KEY = "demo-write-key"
DEMO_SOURCE = "Demo product"
DEMO_PASSWORD = "steward-demo"

# (email, full name, role, team key)
DEMO_USERS: list[tuple[str, str, Role, str | None]] = [
    ("admin@example.com", "Alex Admin", Role.ADMIN, None),
    ("vp@example.com", "Valeria Price", Role.VP, None),
    ("director@example.com", "Daniel Ortiz", Role.DIRECTOR, None),
    ("lead@example.com", "Leah Brandt", Role.TEAM_LEAD, "north"),
    ("am@example.com", "Amara Mensah", Role.AM, "north"),
    ("am.north2@example.com", "Jonas Weber", Role.AM, "north"),
    ("am.north3@example.com", "Priya Patel", Role.AM, "north"),
    ("sam@example.com", "Sven Larsen", Role.STRATEGIC_AM, "north"),
    ("lead2@example.com", "Marco Rossi", Role.TEAM_LEAD, "south"),
    ("am2@example.com", "Hana Tanaka", Role.AM, "south"),
    ("am.south2@example.com", "Diego Reyes", Role.AM, "south"),
    ("am.south3@example.com", "Elif Yilmaz", Role.AM, "south"),
    ("csm@example.com", "Camille Dubois", Role.CSM, "north"),
    ("csm2@example.com", "Kenji Nakamura", Role.CSM, "north"),
    ("csm3@example.com", "Ines Silva", Role.CSM, "south"),
    ("csm4@example.com", "Oskar Andersson", Role.CSM, "south"),
    ("ae@example.com", "Aisha Okafor", Role.AE, None),
    ("ae2@example.com", "Felix Fischer", Role.AE, None),
    ("strategist@example.com", "Sofia Moreau", Role.STRATEGIST, None),
]
TEAMS = {"north": "Team North", "south": "Team South"}

# sku, name, family, list price per unit per period (dollars), period, per-seat?
PRODUCTS: list[tuple[str, str, str, int, str, bool]] = [
    ("CORE-SEAT", "Steward Core (per seat)", "Platform", 600, "annual", True),
    ("ANALYTICS", "Analytics add-on (per seat)", "Add-ons", 180, "annual", True),
    ("AUTOMATION", "Automation Studio", "Add-ons", 6000, "annual", False),
    ("PREMIUM-SUPPORT", "Premium Support", "Services", 4800, "annual", False),
    ("API-ACCESS", "API access", "Add-ons", 250, "monthly", False),
    ("DWH-SYNC", "Warehouse Sync", "Add-ons", 1500, "quarterly", False),
    ("ONBOARDING", "Onboarding package", "Services", 5000, "one_time", False),
    ("TRAINING", "Training day", "Services", 2500, "one_time", False),
]

SEGMENT_MIX = [("smb", 0.55), ("mid_market", 0.30), ("enterprise", 0.15)]
SEATS = {"smb": (5, 40), "mid_market": (30, 200), "enterprise": (150, 1500)}
# Before fit (demo.latent): about 1.15× these on average.
CHURN_AT_RENEWAL = {"smb": 0.14, "mid_market": 0.08, "enterprise": 0.045}
DISCOUNT = {"smb": (0, 5), "mid_market": (5, 15), "enterprise": (10, 30)}


@dataclass
class DemoSummary:
    accounts: int = 0
    contracts: int = 0
    line_items: int = 0
    contacts: int = 0
    opportunities: int = 0
    activities: int = 0
    tasks: int = 0
    users: dict[str, str] = field(default_factory=dict)


def is_seeded(db: Database) -> bool:
    with db.session() as session:
        return session.scalar(select(User.id).where(User.email == "admin@example.com")) is not None


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 17), rng.choice([0, 15, 30, 45])), UTC)


class _Ids:
    """Explicit primary keys, so related rows can be bulk-inserted without round trips."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def next(self, table: str) -> int:
        value = self._next.get(table, 0) + 1
        self._next[table] = value
        return value


class _Buffer:
    """Rows per table, flushed in batches with executemany."""

    def __init__(self, session: Session, batch: int = 20_000) -> None:
        self.session = session
        self.batch = batch
        self.rows: dict[Table, list[dict[str, Any]]] = {}
        self.counts: dict[str, int] = {}
        # Parents before children, so foreign keys hold at every flush.
        self.order: list[Table] = []

    def add(self, table: Table, row: dict[str, Any]) -> None:
        if table not in self.rows:
            self.rows[table] = []
            self.order.append(table)
        self.rows[table].append(row)
        self.counts[table.name] = self.counts.get(table.name, 0) + 1

    def maybe_flush(self) -> None:
        """Called between accounts, so one account's rows are complete when written."""
        if max((len(rows) for rows in self.rows.values()), default=0) >= self.batch:
            self.flush()

    def flush(self) -> None:
        for table in self.order:
            rows = self.rows[table]
            if rows:
                self.session.execute(insert(table), rows)
                self.rows[table] = []


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def generate(
    db: Database, *, seed: int = 7, accounts: int = 400, today: date | None = None
) -> DemoSummary:
    today = today or date.today()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    summary = DemoSummary()
    ids = _Ids()
    with db.session() as session:
        buf = _Buffer(session)
        users = _seed_people(session, summary)
        products = _seed_products(session)
        ams = [u for u in users.values() if u.role in (Role.AM, Role.STRATEGIC_AM)]
        csms = [u for u in users.values() if u.role == Role.CSM]
        aes = [u for u in users.values() if u.role == Role.AE]
        strategist = users["strategist@example.com"]
        small = accounts > 5000  # keep 100k-account workspaces to a sensible size
        used_names: set[str] = set()
        for index in range(accounts):
            _seed_account(
                buf,
                ids,
                rng,
                seed,
                today,
                now,
                index,
                used_names,
                ams,
                csms,
                aes,
                strategist,
                products,
                small,
            )
            buf.maybe_flush()
        buf.flush()
        _finish(session, db, today)
        won_deals = seed_sales_history(session, today)
        account_ids = session.scalars(select(Account.id)).all()
        refresh_account_revenue(session, account_ids, today)
        refresh_activity_rollups(session, None)
        # The product-usage source of SPEC §7: Segment clients send with this write key.
        create_source(session, DEMO_SOURCE, actor_id=None, write_key=DEMO_WRITE_KEY)
        counts = buf.counts
        summary.accounts = counts.get("accounts", 0)
        summary.contracts = counts.get("contracts", 0)
        summary.line_items = counts.get("line_items", 0)
        summary.contacts = counts.get("contacts", 0)
        summary.opportunities = counts.get("opportunities", 0) + won_deals
        summary.activities = counts.get("activities", 0)
        summary.tasks = counts.get("tasks", 0)
    return summary


def _seed_people(session: Session, summary: DemoSummary) -> dict[str, User]:
    password_hash = hash_password(DEMO_PASSWORD)
    teams = {key: Team(name=name) for key, name in TEAMS.items()}
    session.add_all(teams.values())
    session.flush()
    users: dict[str, User] = {}
    for email, full_name, role, team_key in DEMO_USERS:
        user = User(
            email=email,
            full_name=full_name,
            role=role,
            team_id=teams[team_key].id if team_key else None,
            password_hash=password_hash,
        )
        session.add(user)
        users[email] = user
        summary.users[email] = f"{full_name} ({user.role_label})"
    session.flush()
    teams["north"].lead_id = users["lead@example.com"].id
    teams["south"].lead_id = users["lead2@example.com"].id
    session.flush()
    return users


def _seed_products(session: Session) -> dict[str, Product]:
    products = {}
    for sku, name, family, price, period, per_seat in PRODUCTS:
        product = Product(
            sku=sku,
            name=name,
            family=family,
            list_price_minor=price * 100,
            billing_period=period,
            is_recurring=period != "one_time",
            is_per_seat=per_seat,
        )
        session.add(product)
        products[sku] = product
    session.flush()
    return products


def _pick_segment(rng: random.Random) -> str:
    roll = rng.random()
    for segment, share in SEGMENT_MIX:
        if roll < share:
            return segment
        roll -= share
    return SEGMENT_MIX[-1][0]


def _company_name(rng: random.Random, used: set[str]) -> str:
    for _ in range(20):
        name = f"{rng.choice(names.COMPANY_FIRST)} {rng.choice(names.COMPANY_SECOND)}"
        if rng.random() < 0.4:
            name += f" {rng.choice(names.COMPANY_SUFFIX)}"
        if name not in used:
            used.add(name)
            return name
    name = f"{name} {len(used)}"
    used.add(name)
    return name


def _domain(name: str) -> str:
    parts = [
        p.lower()
        for p in name.split()
        if p.lower() not in {"inc", "gmbh", "ltd", "co", "sa", "llc", "ab", "bv"}
    ]
    return "".join(ch for ch in "-".join(parts) if ch.isalnum() or ch == "-") + ".example"


def _seed_account(
    buf: _Buffer,
    ids: _Ids,
    rng: random.Random,
    seed: int,
    today: date,
    now: datetime,
    index: int,
    used_names: set[str],
    ams: list[User],
    csms: list[User],
    aes: list[User],
    strategist: User,
    products: dict[str, Product],
    small: bool,
) -> None:
    segment = _pick_segment(rng)
    tier = "standard"
    if segment == "enterprise":
        tier = rng.choices(["standard", "key", "strategic"], [0.3, 0.45, 0.25])[0]
    elif segment == "mid_market" and rng.random() < 0.15:
        tier = "key"
    name = _company_name(rng, used_names)
    account_id = ids.next("accounts")
    am = rng.choice(ams)
    ae = rng.choice(aes)
    is_prospect = rng.random() < 0.05
    # Signed at some point in the last three years (the newest ones are still onboarding).
    signup = today - timedelta(days=rng.randint(5, 3 * 365))
    row: dict[str, Any] = {
        "id": account_id,
        "external_id": f"ACC-{account_id:06d}",
        "name": name,
        "domain": _domain(name),
        "industry": rng.choice(names.INDUSTRIES),
        "segment": segment,
        "tier": tier,
        "lifecycle_stage": LifecycleStage.PROSPECT if is_prospect else LifecycleStage.ONBOARDING,
        "parent_id": None,
        "owner_am_id": None if is_prospect else am.id,
        "csm_id": None
        if is_prospect or (segment == "smb" and rng.random() < 0.5)
        else rng.choice(csms).id,
        "ae_id": ae.id,
        "strategist_id": strategist.id if tier == "strategic" else None,
        "arr_minor": 0,
        "created_at": datetime.combine(signup - timedelta(days=30), time(9), UTC),
        "updated_at": now,
        "version": 1,
    }
    buf.add(_table(Account), row)
    buf.add(
        _table(AccountAncestor), {"account_id": account_id, "ancestor_id": account_id, "depth": 0}
    )
    contact_ids = _seed_contacts(
        buf, ids, rng, account_id, row["domain"], 1 if small else 2, 3 if small else 5
    )
    if is_prospect:
        _seed_opportunity(
            buf,
            ids,
            rng,
            today,
            now,
            account_id,
            ae.id,
            "new_business",
            open_deal=True,
            segment=segment,
            seat=products["CORE-SEAT"],
        )
        return
    fit = account_fit(seed, account_id)
    churned, last_end, signed = _seed_contracts(
        buf, ids, rng, today, now, account_id, segment, signup, products, am.id, fit
    )
    age = (today - signup).days
    if churned:
        stage = LifecycleStage.CHURNED
    elif age < 90:
        stage = LifecycleStage.ONBOARDING
    elif age < 365:
        stage = LifecycleStage.ADOPTING
    else:
        stage = LifecycleStage.MATURE
    if stage in (LifecycleStage.ADOPTING, LifecycleStage.MATURE) and rng.random() < 0.12:
        stage = LifecycleStage.AT_RISK
    row["lifecycle_stage"] = stage
    user_ids = [u for u in (row["owner_am_id"], row["csm_id"]) if u]
    _seed_activities(
        buf,
        ids,
        rng,
        today,
        now,
        account_id,
        contact_ids,
        user_ids,
        (signup, min(today, last_end) if churned else today),
        churned and shows_signs(seed, account_id, last_end),
        tier,
        small,
    )
    for renewal in signed:
        if saved(seed, account_id, renewal):
            _seed_save_play(buf, ids, seed, now, account_id, contact_ids, user_ids, renewal)
    if not churned:
        _seed_tasks(buf, ids, rng, today, now, account_id, user_ids, small)
        if rng.random() < 0.25:
            kind = rng.choice(["upsell", "cross_sell"])
            _seed_opportunity(
                buf, ids, rng, today, now, account_id, am.id, kind, open_deal=True, segment=segment
            )
    if rng.random() < 0.1:  # history: a deal that was lost
        _seed_opportunity(
            buf, ids, rng, today, now, account_id, am.id, "upsell", open_deal=False, segment=segment
        )
    # Some enterprises have subsidiaries managed as child accounts.
    if segment == "enterprise" and not churned and rng.random() < 0.15 and not small:
        for region in rng.sample(["EMEA", "APAC", "Americas"], rng.randint(1, 2)):
            child_id = ids.next("accounts")
            buf.add(
                _table(Account),
                row
                | {
                    "id": child_id,
                    "external_id": f"ACC-{child_id:06d}",
                    "name": f"{name} — {region}",
                    "domain": None,
                    "parent_id": account_id,
                    "segment": "mid_market",
                    "tier": "standard",
                    "owner_am_id": rng.choice(ams).id,
                    "strategist_id": None,
                },
            )
            buf.add(
                _table(AccountAncestor),
                {"account_id": child_id, "ancestor_id": child_id, "depth": 0},
            )
            buf.add(
                _table(AccountAncestor),
                {"account_id": child_id, "ancestor_id": account_id, "depth": 1},
            )
            child_signup = today - timedelta(days=rng.randint(30, 700))
            _seed_contracts(
                buf,
                ids,
                rng,
                today,
                now,
                child_id,
                "mid_market",
                child_signup,
                products,
                am.id,
                account_fit(seed, child_id),
            )


def _seed_contacts(
    buf: _Buffer, ids: _Ids, rng: random.Random, account_id: int, domain: str, low: int, high: int
) -> list[int]:
    contact_ids = []
    roles = ["champion", "decision_maker", "economic_buyer", "user", "influencer", "detractor"]
    now = datetime.now(UTC)
    for position in range(rng.randint(low, high)):
        contact_id = ids.next("contacts")
        first, last = rng.choice(names.FIRST_NAMES), rng.choice(names.LAST_NAMES)
        buf.add(
            _table(Contact),
            {
                "id": contact_id,
                "account_id": account_id,
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}{contact_id}@{domain}".lower(),
                "title": rng.choice(names.TITLES),
                "deal_role": roles[position] if position < len(roles) else "user",
                "sentiment": rng.choices(
                    ["positive", "neutral", "negative", "unknown"], [4, 4, 1, 2]
                )[0],
                "created_at": now,
                "updated_at": now,
            },
        )
        contact_ids.append(contact_id)
    return contact_ids


def _seed_contracts(
    buf: _Buffer,
    ids: _Ids,
    rng: random.Random,
    today: date,
    now: datetime,
    account_id: int,
    segment: str,
    signup: date,
    products: dict[str, Product],
    am_id: int,
    fit: float,
) -> tuple[bool, date, list[date]]:
    """Yearly contracts from signup to today: renewals with expansion, contraction or churn
    (likelier for accounts the product fits poorly, demo.latent). Returns whether the account
    left, the end of its last term and the days it signed a renewal."""
    signed: list[date] = []
    low, high = SEATS[segment]
    seats = rng.randint(low, high)
    discount = Decimal(rng.randint(*DISCOUNT[segment]))
    addons = [
        sku
        for sku in ("ANALYTICS", "AUTOMATION", "PREMIUM-SUPPORT", "API-ACCESS", "DWH-SYNC")
        if rng.random() < 0.25
    ]
    start = signup
    previous: int | None = None
    term = 1
    while True:
        end = _add_years(start, 1)
        contract_id = ids.next("contracts")
        buf.add(
            _table(Contract),
            {
                "id": contract_id,
                "account_id": account_id,
                "external_id": f"CTR-{contract_id:07d}",
                "name": f"Subscription {start.year}-{start.month:02d}"
                + (" (renewal)" if previous else ""),
                "start_date": start,
                "end_date": end,
                "auto_renew": segment == "smb",
                "currency": "USD",
                "renewal_of_id": previous,
                "created_at": datetime.combine(min(start, today), time(10), UTC),
                "updated_at": now,
                "version": 1,
            },
        )
        kind = "initial" if previous is None else "renewal"
        core_id = _line(
            buf, ids, contract_id, products["CORE-SEAT"], seats, discount, start, end, kind, am_id
        )
        for sku in addons:
            qty = seats if sku == "ANALYTICS" else 1
            _line(buf, ids, contract_id, products[sku], qty, discount, start, end, kind, am_id)
        if previous is None and segment != "smb":
            _line(
                buf,
                ids,
                contract_id,
                products["ONBOARDING"],
                1,
                Decimal(0),
                start,
                end,
                "initial",
                am_id,
            )
        # Mid-term amendment: seats added (or removed) part-way through the year.
        mid = start + timedelta(days=rng.randint(60, 300))
        if mid < min(end, today) and rng.random() < 0.18:
            change = rng.choice([1, 1, 1, -1])
            new_seats = max(1, int(seats * (1 + change * rng.uniform(0.1, 0.4))))
            kind = "upsell" if new_seats > seats else "downgrade"
            _line(
                buf,
                ids,
                contract_id,
                products["CORE-SEAT"],
                new_seats,
                discount,
                mid,
                end,
                kind,
                am_id,
                supersedes=core_id,
            )
            seats = new_seats
        if end > today:
            if (end - today).days <= 150:
                _seed_renewal(buf, ids, today, now, rng, account_id, contract_id, am_id, end, seats)
            return False, end, signed
        if previous is not None and rng.random() < 0.5:
            _seed_renewal(buf, ids, today, now, rng, account_id, previous, am_id, start, seats)
        risk = CHURN_AT_RENEWAL[segment] * (1.3 if term == 1 else 1.0) * churn_multiplier(fit)
        if rng.random() < risk:
            # Some churned customers come back months later (a reactivation, SPEC §3).
            back = end + timedelta(days=rng.randint(120, 300))
            if rng.random() < 0.15 and back < today - timedelta(days=30):
                seats = max(1, int(seats * rng.uniform(0.5, 1.0)))
                previous, start, term = None, back, 1
                continue
            return True, end, signed
        # Renewal: usually flat or growing, sometimes shrinking; a cross-sell now and then.
        seats = max(1, int(seats * rng.choice([1.0, 1.0, 1.1, 1.25, 1.5, 0.8])))
        if rng.random() < 0.2:
            extra = rng.choice(["ANALYTICS", "AUTOMATION", "PREMIUM-SUPPORT", "DWH-SYNC"])
            if extra not in addons:
                addons.append(extra)
        signed.append(end)
        previous = contract_id
        start = end
        term += 1


def _seed_renewal(
    buf: _Buffer,
    ids: _Ids,
    today: date,
    now: datetime,
    rng: random.Random,
    account_id: int,
    contract_id: int,
    owner_id: int,
    renewal_date: date,
    seats: int,
) -> None:
    """The renewal deal of a contract: open if ahead, won if the renewal was signed."""
    days_left = (renewal_date - today).days
    if days_left <= 0:
        stage, category, closed_at = (
            "closed_won",
            "closed",
            datetime.combine(renewal_date, time(12), UTC),
        )
    else:
        stage = "negotiation" if days_left < 45 else "proposal" if days_left < 90 else "discovery"
        category = "commit" if days_left < 45 else "best_case" if days_left < 90 else "pipeline"
        closed_at = None
    buf.add(
        _table(Opportunity),
        {
            "id": ids.next("opportunities"),
            "account_id": account_id,
            "name": f"Renewal {renewal_date.isoformat()}",
            "type": "renewal",
            "stage": stage,
            "probability": STAGE_PROBABILITY[stage],
            "amount_minor": seats * 60_000,
            "close_date": renewal_date,
            "forecast_category": category,
            "owner_id": owner_id,
            "contract_id": contract_id,
            "close_reason": None,
            "closed_at": closed_at,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        },
    )
    del rng


def _line(
    buf: _Buffer,
    ids: _Ids,
    contract_id: int,
    product: Product,
    quantity: int,
    discount: Decimal,
    start: date,
    end: date,
    kind: str,
    user_id: int,
    supersedes: int | None = None,
) -> int:
    line_id = ids.next("line_items")
    buf.add(
        _table(LineItem),
        {
            "id": line_id,
            "contract_id": contract_id,
            "product_id": product.id,
            "kind": kind,
            "quantity": quantity,
            "unit_price_minor": product.list_price_minor,
            "billing_period": product.billing_period,
            "discount_pct": discount,
            "start_date": start,
            "end_date": end,
            "supersedes_id": supersedes,
            "created_at": datetime.combine(start, time(11), UTC),
            "created_by_id": user_id,
        },
    )
    return line_id


def _seed_opportunity(
    buf: _Buffer,
    ids: _Ids,
    rng: random.Random,
    today: date,
    now: datetime,
    account_id: int,
    owner_id: int,
    kind: str,
    *,
    open_deal: bool,
    segment: str,
    seat: Product | None = None,
) -> None:
    """`seat`: an open new-business deal sells seats of it (line items), so winning it makes
    its contract; the amount is then the seats' ARR."""
    opportunity_id = ids.next("opportunities")
    low, high = {"smb": (3, 25), "mid_market": (20, 120), "enterprise": (80, 600)}[segment]
    amount = rng.randint(low, high) * 100_000
    line: dict[str, Any] | None = None
    if seat is not None:
        # No random draw here: the rest of the demo stays as it was.
        quantity = max(1, round(amount / seat.list_price_minor))
        line = {
            "id": ids.next("opportunity_line_items"),
            "opportunity_id": opportunity_id,
            "product_id": seat.id,
            "quantity": quantity,
            "unit_price_minor": seat.list_price_minor,
            "billing_period": seat.billing_period,
            "discount_pct": Decimal("0"),
        }
        scaled = arr_scaled(quantity, seat.list_price_minor, Decimal("0"), seat.billing_period)
        amount = scaled_to_minor(scaled)
    if open_deal:
        stage = rng.choice(["prospecting", "qualification", "discovery", "proposal", "negotiation"])
        close_date = today + timedelta(days=rng.randint(5, 150))
        category = {"negotiation": "commit", "proposal": "best_case"}.get(stage, "pipeline")
        closed_at, reason = None, None
    else:
        stage = "closed_lost"
        close_date = today - timedelta(days=rng.randint(30, 500))
        category = "omitted"
        closed_at = datetime.combine(close_date, time(16), UTC)
        reason = rng.choice(names.LOST_REASONS)
    label = {
        "new_business": "New business",
        "upsell": "Seat expansion",
        "cross_sell": "Cross-sell",
    }[kind]
    buf.add(
        _table(Opportunity),
        {
            "id": opportunity_id,
            "account_id": account_id,
            "name": f"{label} {close_date.year}",
            "type": kind,
            "stage": stage,
            "probability": STAGE_PROBABILITY[stage],
            "amount_minor": amount,
            "close_date": close_date,
            "forecast_category": category,
            "owner_id": owner_id,
            "contract_id": None,
            "close_reason": reason,
            "closed_at": closed_at,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        },
    )
    if line is not None:
        buf.add(_table(OpportunityLineItem), line)  # after its deal: parents flush first


def _seed_activities(
    buf: _Buffer,
    ids: _Ids,
    rng: random.Random,
    today: date,
    now: datetime,
    account_id: int,
    contact_ids: list[int],
    user_ids: list[int],
    life: tuple[date, date],
    fading: bool,
    tier: str,
    small: bool,
) -> None:
    """Touches over the whole relationship, about one a month (more for key and strategic
    accounts, fewer in neglected books); a leaver showing signs is hardly touched in its last
    months (demo.latent)."""
    if not user_ids:
        return
    since, horizon = life
    per_month = {"standard": 0.7, "key": 1.4, "strategic": 2.2}.get(tier, 0.7)
    per_month *= rng.choice([1.0, 1.0, 1.0, 0.5, 0.25])  # some books are neglected
    if small:
        per_month /= 3
    months = max(1, (horizon - since).days // 30)
    for _ in range(max(1, round(months * per_month * rng.uniform(0.7, 1.3)))):
        day = since + timedelta(days=rng.randint(0, max(0, (horizon - since).days)))
        # Drawn for every touch, so how far back the signs reach never changes which
        # accounts the rest of the generator makes leave.
        skipped = rng.random() < 0.8
        if fading and (horizon - day).days < WARNING_DAYS and skipped:
            continue
        kind = rng.choices(list(names.ACTIVITY_SUBJECTS), [5, 6, 3, 4, 1, 1, 2])[0]
        buf.add(
            _table(Activity),
            {
                "id": ids.next("activities"),
                "account_id": account_id,
                "contact_id": rng.choice(contact_ids) if contact_ids and kind != "note" else None,
                "user_id": rng.choice(user_ids),
                "type": kind,
                "subject": rng.choice(names.ACTIVITY_SUBJECTS[kind]),
                "body": None,
                "occurred_at": _at(day, rng),
                "created_at": now,
                "updated_at": now,
            },
        )


SAVE_PLAY = [
    ("meeting", "Save play: executive sponsor meeting"),
    ("meeting", "Save play: adoption recovery workshop"),
    ("call", "Save play: success plan reset"),
    ("check_in", "Save play: weekly usage review"),
    ("meeting", "Save play: admin re-training"),
]


def _seed_save_play(
    buf: _Buffer,
    ids: _Ids,
    seed: int,
    now: datetime,
    account_id: int,
    contact_ids: list[int],
    user_ids: list[int],
    renewal: date,
) -> None:
    """The run of meetings that turned a sliding customer around before a renewal it signed
    (demo.latent.saved). Drawn from its own generator, so saves never change which accounts
    the rest of the generator makes leave."""
    if not user_ids:
        return
    rng = random.Random(f"{seed}-{account_id}-{renewal}-play")
    first, last = SAVE_PLAY_DAYS
    for kind, subject in rng.sample(SAVE_PLAY, k=rng.randint(3, len(SAVE_PLAY))):
        day = renewal - timedelta(days=rng.randint(last, first))
        buf.add(
            _table(Activity),
            {
                "id": ids.next("activities"),
                "account_id": account_id,
                "contact_id": rng.choice(contact_ids) if contact_ids else None,
                "user_id": rng.choice(user_ids),
                "type": kind,
                "subject": subject,
                "body": None,
                "occurred_at": _at(day, rng),
                "created_at": now,
                "updated_at": now,
            },
        )


def _seed_tasks(
    buf: _Buffer,
    ids: _Ids,
    rng: random.Random,
    today: date,
    now: datetime,
    account_id: int,
    user_ids: list[int],
    small: bool,
) -> None:
    for _ in range(rng.randint(0, 1 if small else 3)):
        status = rng.choices(["open", "in_progress", "done"], [5, 2, 3])[0]
        buf.add(
            _table(Task),
            {
                "id": ids.next("tasks"),
                "account_id": account_id,
                "title": rng.choice(names.TASK_TITLES),
                "assignee_id": rng.choice(user_ids),
                "created_by_id": user_ids[0],
                "due_date": today + timedelta(days=rng.randint(-20, 40)),
                "priority": rng.choices(["low", "normal", "high", "urgent"], [2, 5, 2, 1])[0],
                "status": status,
                "source": "manual",
                "completed_at": now if status == "done" else None,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            },
        )


def _finish(session: Session, db: Database, today: date) -> None:
    """PostgreSQL sequences must move past the explicit ids the bulk insert used."""
    if db.is_sqlite:
        return
    for model in (Account, Contact, Contract, LineItem, Opportunity, Activity, Task):
        table = _table(model).name
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
        )
