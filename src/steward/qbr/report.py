"""The pack as a PDF (ReportLab): the same pages as the deck, as A4 landscape pages with their
tables in full and a closing page of sources."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import (
    Image,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from steward.qbr.layout import Chart, Cover, Look, Page

PAGE = landscape(A4)
MARGIN = 1.6 * cm


def _styles(look: Look) -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    primary = colors.HexColor(look.primary)
    return {
        "cover": ParagraphStyle(
            "cover", parent=base["Title"], fontSize=30, leading=36, textColor=primary, alignment=0
        ),
        "subtitle": ParagraphStyle("subtitle", parent=base["Normal"], fontSize=16, leading=22),
        "title": ParagraphStyle("title", parent=base["Heading1"], textColor=primary),
        "body": ParagraphStyle(
            "body", parent=base["Normal"], fontSize=11, leading=15, spaceAfter=4
        ),
        "cell": ParagraphStyle("cell", parent=base["Normal"], fontSize=9, leading=11),
        "head": ParagraphStyle(
            "head",
            parent=base["Normal"],
            fontSize=9,
            leading=11,
            textColor=colors.white,
            fontName="Helvetica-Bold",
        ),
        "label": ParagraphStyle(
            "label", parent=base["Normal"], fontSize=8, textColor=colors.HexColor("#6b7280")
        ),
        "figure": ParagraphStyle(
            "figure",
            parent=base["Normal"],
            fontSize=18,
            leading=22,
            textColor=primary,
            fontName="Helvetica-Bold",
        ),
        "small": ParagraphStyle(
            "small",
            parent=base["Normal"],
            fontSize=8,
            leading=10,
            textColor=colors.HexColor("#6b7280"),
        ),
    }


def _chart(spec: Chart, look: Look, width: float, height: float) -> Drawing:
    drawing = Drawing(width, height)
    chart: Any = HorizontalLineChart() if spec.kind == "line" else VerticalBarChart()
    chart.x, chart.y = 40, 40
    chart.width, chart.height = width - 60, height - 70
    chart.data = [spec.values]
    chart.categoryAxis.categoryNames = spec.labels
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.angle = 45
    chart.categoryAxis.labels.boxAnchor = "ne"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontSize = 8
    accent = colors.HexColor(look.accent)
    if spec.kind == "line":
        chart.lines[0].strokeColor = accent
        chart.lines[0].strokeWidth = 2
    else:
        chart.bars[0].fillColor = accent
        chart.bars[0].strokeColor = None
    drawing.add(chart)
    drawing.add(String(40, height - 15, spec.name, fontSize=10, fillColor=colors.black))
    return drawing


def _table(
    rows: list[list[str]], styles: dict[str, ParagraphStyle], look: Look, width: float
) -> Table:
    cells = [
        [Paragraph(escape(value), styles["head" if r == 0 else "cell"]) for value in row]
        for r, row in enumerate(rows)
    ]
    table = Table(cells, colWidths=[width / len(rows[0])] * len(rows[0]), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(look.primary)),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f3f4f6")]),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#e5e7eb")),
            ]
        )
    )
    return table


def render_report(pages: list[Page], look: Look, cover: Cover) -> bytes:
    out = io.BytesIO()
    footer = cover.footer
    account = cover.account

    def decorate(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFillColor(colors.HexColor(look.primary))
        canvas.rect(0, PAGE[1] - 0.5 * cm, PAGE[0], 0.5 * cm, stroke=0, fill=1)
        canvas.setFont("Helvetica", 8)
        canvas.setFillColor(colors.HexColor("#6b7280"))
        canvas.drawString(MARGIN, 0.8 * cm, footer)
        canvas.drawRightString(PAGE[0] - MARGIN, 0.8 * cm, f"Page {doc.page}")
        canvas.restoreState()

    document = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{account} QBR {cover.period}",
        author=look.company or "Steward",
    )
    styles = _styles(look)
    inner = PAGE[0] - 2 * MARGIN
    story: list[Any] = []
    if look.logo:
        logo = ImageReader(io.BytesIO(look.logo))
        w, h = logo.getSize()
        story.append(Image(io.BytesIO(look.logo), width=2.4 * cm * w / h, height=2.4 * cm))
        story.append(Spacer(1, 0.6 * cm))
    story.append(Spacer(1, 3 * cm))
    story.append(Paragraph(escape(account), styles["cover"]))
    story.append(Paragraph(escape(cover.subtitle), styles["subtitle"]))
    story.append(Spacer(1, 0.6 * cm))
    for line in cover.prepared(look):
        story.append(Paragraph(escape(line), styles["body"]))
    for page in pages:
        story.append(PageBreak())
        story.append(Paragraph(escape(page.title), styles["title"]))
        if page.figures:
            cells = [
                [Paragraph(escape(label.upper()), styles["label"]) for label, _ in page.figures],
                [Paragraph(escape(value), styles["figure"]) for _, value in page.figures],
            ]
            story.append(Table(cells, colWidths=[inner / len(page.figures)] * len(page.figures)))
            story.append(Spacer(1, 0.4 * cm))
        for sentence in page.sentences:
            story.append(Paragraph(escape(sentence), styles["body"]))
        if page.chart is not None:
            story.append(Spacer(1, 0.3 * cm))
            story.append(_chart(page.chart, look, inner * 0.75, 7 * cm))
        if page.table:
            story.append(Spacer(1, 0.3 * cm))
            story.append(_table(page.table, styles, look, inner))
    story.append(PageBreak())
    story.append(Paragraph("Where the figures come from", styles["title"]))
    for page in pages:
        story.append(Paragraph(escape(page.title), styles["body"]))
        sources = "; ".join(page.sources) if page.sources else "no records"
        story.append(Paragraph(escape(sources), styles["small"]))
    document.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return out.getvalue()
