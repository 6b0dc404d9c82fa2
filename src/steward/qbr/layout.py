"""A pack as pages: one list of titled pages (sentences, a table, a chart, the sources) that
both the deck and the PDF draw, so the two always say the same."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from steward.qbr.pack import Pack, plural


@dataclass(frozen=True)
class Look:
    """What an admin's template sets."""

    primary: str
    accent: str
    company: str | None
    logo: bytes | None


@dataclass(frozen=True)
class Cover:
    """The title page and the running footer, in the same words in the deck and the PDF."""

    account: str
    period: str
    made: date
    team: list[tuple[str, str]]

    @property
    def subtitle(self) -> str:
        return f"Quarterly business review · {self.period}"

    def prepared(self, look: Look) -> list[str]:
        by = f" by {look.company}" if look.company else ""
        return [f"Prepared {self.made:%d %B %Y}{by}"] + [f"{r}: {n}" for r, n in self.team]

    @property
    def footer(self) -> str:
        return f"{self.account} · {self.period} · made by Steward on {self.made:%d %b %Y}"


@dataclass
class Chart:
    kind: str  # "line" or "column"
    name: str  # what the values are, with their unit
    labels: list[str]
    values: list[float]


@dataclass
class Page:
    section: str
    title: str
    sentences: list[str] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)  # big numbers: label, value
    table: list[list[str]] | None = None  # first row: the headers
    chart: Chart | None = None
    sources: list[str] = field(default_factory=list)


def _band(band: str | None) -> str:
    return band.capitalize() if band else "no band"


def pages(pack: Pack, sections: list[str]) -> list[Page]:
    """The pack's pages in the template's sections (the summary always comes first)."""
    done, counted = pack.progress
    score, band = pack.health_now
    summary = Page(
        "summary",
        f"{pack.quarter} at a glance",
        sentences=pack.narrative or ["No scores, milestones or answers were recorded yet."],
        figures=[
            ("Health", f"{score:.0f} · {_band(band)}" if score is not None else "—"),
            ("Milestones done", f"{done} of {counted}" if counted else "—"),
            ("NPS", f"{pack.nps:+.0f}" if pack.nps is not None else "—"),
            (
                "Next renewal",
                pack.renewal["Next renewal"].split(" (")[0] if pack.renewal else "—",
            ),
        ],
        sources=[
            s
            for key in ("health", "outcomes", "surveys", "renewal")
            for s in pack.sources.get(key, [])
        ],
    )
    built: dict[str, Page] = {
        "outcomes": Page(
            "outcomes",
            "Outcomes and milestones",
            sentences=[
                f"Done this quarter: {m.title} ({m.completed:%d %b})"
                for m in pack.milestones_done
                if m.completed
            ]
            or ["No milestone was completed this quarter."],
            table=[["Outcome", "Status", "Our measure", "Your measure"]]
            + [
                [o.description, o.status, o.our_measure or "—", "; ".join(o.their_metrics) or "—"]
                for o in pack.outcomes
            ]
            if pack.outcomes
            else None,
        ),
        "health": Page(
            "health",
            "Health",
            sentences=[s for s in (pack.health_explanation, pack.health_change) if s],
            table=[["Measure", "Value", "Points"]]
            + [[label, value, f"{points:.0f}"] for label, value, points in pack.health_components]
            if pack.health_components
            else None,
            chart=Chart(
                "line",
                "Health score (0–100)",
                [f"{day:%d %b}" for day, _ in pack.health_points],
                [round(v, 1) for _, v in pack.health_points],
            )
            if pack.health_points
            else None,
        ),
        "usage": Page(
            "usage",
            "Usage and licences",
            figures=[
                (
                    "Licence utilisation",
                    f"{pack.utilisation:.0%}" if pack.utilisation is not None else "—",
                ),
                (
                    "Active users, last week",
                    str(pack.usage_weeks[-1][1]) if pack.usage_weeks else "—",
                ),
            ],
            chart=Chart(
                "column",
                "Weekly active users",
                [f"{week:%d %b}" for week, _ in pack.usage_weeks],
                [float(n) for _, n in pack.usage_weeks],
            )
            if pack.usage_weeks
            else None,
            sentences=[] if pack.usage_weeks else ["No product usage was recorded."],
        ),
        "escalations": Page(
            "escalations",
            "Escalations",
            table=[["Escalation", "Severity", "Opened", "Resolved", "Resolution"]]
            + [
                [
                    e.title,
                    e.severity,
                    f"{e.opened:%d %b %Y}",
                    f"{e.resolved:%d %b %Y} ({e.days_to_resolve} d)" if e.resolved else "open",
                    e.resolution or "—",
                ]
                for e in pack.escalations
            ]
            if pack.escalations
            else None,
            sentences=[] if pack.escalations else ["No escalations this quarter."],
        ),
        "surveys": Page(
            "surveys",
            "NPS and CSAT",
            figures=[
                (
                    "NPS",
                    f"{pack.nps:+.0f} ({plural(pack.nps_responses, 'answer')})"
                    if pack.nps is not None
                    else "no answers",
                ),
                (
                    "CSAT",
                    f"{pack.csat:.0f} % ({plural(pack.csat_responses, 'answer')})"
                    if pack.csat is not None
                    else "no answers",
                ),
            ],
            sentences=[f"“{c}”" for c in pack.comments],
        ),
        "value": Page(
            "value",
            "Value delivered (your figures)",
            table=[["Your metric", "Baseline", "Now", "Target", "Change"]]
            + [[m.name, m.baseline, m.current, m.target, m.change or "—"] for m in pack.value]
            if pack.value
            else None,
            sentences=[]
            if pack.value
            else ["Add your own metrics to the shared success plan to see them here."],
        ),
        "renewal": Page(
            "renewal",
            "Renewal",
            table=[["Renewal", "Detail"]] + [[k, v] for k, v in pack.renewal.items()]
            if pack.renewal
            else None,
            sentences=[] if pack.renewal else ["No contract is running."],
        ),
        "whitespace": Page(
            "whitespace",
            "Where else we can help",
            table=[["Product", "List price a year"]] + [list(p) for p in pack.whitespace]
            if pack.whitespace
            else None,
            sentences=[] if pack.whitespace else ["You use every product we offer."],
        ),
        "next_period": Page(
            "next_period",
            f"Plan for {pack.quarter.next}",
            sentences=pack.next_period or ["Agree the next outcomes together."],
        ),
    }
    out = [summary]
    for section in sections:
        page = built.get(section)
        if page is None:
            continue
        if not page.sources:
            page.sources = list(pack.sources.get(section, []))
        out.append(page)
    return out
