"""The pack as a PowerPoint deck (python-pptx): a title slide, then one slide per page, with
native charts the AM can restyle and the sources of every figure in the speaker notes."""

from __future__ import annotations

import io
from typing import Any, cast

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.presentation import Presentation as Deck
from pptx.slide import Slide
from pptx.util import Emu, Inches, Pt

from steward.qbr.layout import Cover, Look, Page

WIDTH, HEIGHT = Inches(13.333), Inches(7.5)
MARGIN = Inches(0.5)
DARK = RGBColor(0x1F, 0x29, 0x37)
MUTED = RGBColor(0x6B, 0x72, 0x80)
TABLE_ROWS = 12  # rows beyond this go to the PDF's full table; the slide says how many


def rgb(hex_colour: str) -> RGBColor:
    return RGBColor.from_string(hex_colour.lstrip("#").upper())


def _text(
    slide: Slide,
    left: int,
    top: int,
    width: int,
    height: int,
    lines: list[str],
    size: int,
    colour: RGBColor = DARK,
    bold: bool = False,
) -> None:
    frame = slide.shapes.add_textbox(Emu(left), Emu(top), Emu(width), Emu(height)).text_frame
    frame.word_wrap = True
    for n, line in enumerate(lines):
        paragraph = frame.paragraphs[0] if n == 0 else frame.add_paragraph()
        paragraph.text = line
        paragraph.font.size = Pt(size)
        paragraph.font.bold = bold
        paragraph.font.color.rgb = colour
        paragraph.space_after = Pt(6)


def _title_bar(slide: Slide, title: str, look: Look, footer: str) -> None:
    bar = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Emu(0), Emu(0), WIDTH, Inches(1.0))
    bar.fill.solid()
    bar.fill.fore_color.rgb = rgb(look.primary)
    bar.line.fill.background()
    _text(
        slide,
        MARGIN,
        Inches(0.18),
        WIDTH - 2 * MARGIN,
        Inches(0.7),
        [title],
        28,
        RGBColor(0xFF, 0xFF, 0xFF),
        bold=True,
    )
    _text(
        slide, MARGIN, HEIGHT - Inches(0.45), WIDTH - 2 * MARGIN, Inches(0.3), [footer], 10, MUTED
    )


def _figures(slide: Slide, top: int, figures: list[tuple[str, str]], look: Look) -> int:
    width = (WIDTH - 2 * MARGIN) // max(len(figures), 1)
    for n, (label, value) in enumerate(figures):
        left = MARGIN + n * width
        _text(slide, left, top, width - Inches(0.2), Inches(0.35), [label.upper()], 11, MUTED)
        _text(
            slide,
            left,
            top + Inches(0.3),
            width - Inches(0.2),
            Inches(0.6),
            [value],
            24,
            rgb(look.primary),
            bold=True,
        )
    return top + Inches(1.1)


def _table(slide: Slide, left: int, top: int, width: int, rows: list[list[str]], look: Look) -> int:
    shown = rows[: TABLE_ROWS + 1]
    height = Inches(0.4) * len(shown)
    table = slide.shapes.add_table(
        len(shown), len(shown[0]), Emu(left), Emu(top), Emu(width), Emu(height)
    ).table
    for r, row in enumerate(shown):
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = value
            font = cell.text_frame.paragraphs[0].font
            font.size = Pt(12)
            font.bold = r == 0
            if r == 0:
                cell.fill.solid()
                cell.fill.fore_color.rgb = rgb(look.primary)
                font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
    bottom = top + height + Inches(0.1)
    if len(rows) - 1 > TABLE_ROWS:
        _text(
            slide,
            left,
            bottom,
            width,
            Inches(0.3),
            [f"{TABLE_ROWS} of {len(rows) - 1} shown; all in the PDF"],
            10,
            MUTED,
        )
        bottom += Inches(0.35)
    return bottom


def _chart(
    slide: Slide, left: int, top: int, width: int, height: int, page: Page, look: Look
) -> None:
    chart_spec = page.chart
    assert chart_spec is not None
    data = CategoryChartData()
    data.categories = chart_spec.labels
    data.add_series(chart_spec.name, chart_spec.values)
    kind = (
        XL_CHART_TYPE.LINE_MARKERS if chart_spec.kind == "line" else XL_CHART_TYPE.COLUMN_CLUSTERED
    )
    # python-pptx's stubs say a Chart comes back; it is the graphic frame holding one.
    frame: Any = slide.shapes.add_chart(
        kind, Emu(left), Emu(top), Emu(width), Emu(height), cast(Any, data)
    )
    chart = frame.chart
    chart.has_legend = True
    chart.legend.position = XL_LEGEND_POSITION.BOTTOM
    chart.legend.include_in_layout = False
    series = chart.plots[0].series[0]
    if chart_spec.kind == "line":
        series.format.line.color.rgb = rgb(look.accent)
        series.smooth = False
    else:
        series.format.fill.solid()
        series.format.fill.fore_color.rgb = rgb(look.accent)
    chart.category_axis.tick_labels.font.size = Pt(10)
    chart.value_axis.tick_labels.font.size = Pt(10)


def _title_slide(prs: Deck, cover: Cover, look: Look) -> None:
    slide = prs.slides.add_slide(prs.slide_layouts[6])
    band = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Emu(0), Emu(0), WIDTH, HEIGHT)
    band.fill.solid()
    band.fill.fore_color.rgb = rgb(look.primary)
    band.line.fill.background()
    white = RGBColor(0xFF, 0xFF, 0xFF)
    _text(
        slide,
        Inches(0.8),
        Inches(2.2),
        Inches(11),
        Inches(1.2),
        [cover.account],
        44,
        white,
        bold=True,
    )
    _text(
        slide,
        Inches(0.8),
        Inches(3.3),
        Inches(11),
        Inches(0.8),
        [cover.subtitle],
        26,
        white,
    )
    _text(slide, Inches(0.8), Inches(4.4), Inches(11), Inches(1.5), cover.prepared(look), 14, white)
    if look.logo:
        slide.shapes.add_picture(
            io.BytesIO(look.logo), Inches(0.8), Inches(0.7), height=Inches(1.0)
        )


def render_deck(pages: list[Page], look: Look, cover: Cover) -> bytes:
    prs = Presentation()
    prs.slide_width, prs.slide_height = WIDTH, HEIGHT
    _title_slide(prs, cover, look)
    footer = cover.footer
    inner = WIDTH - 2 * MARGIN
    for page in pages:
        slide = prs.slides.add_slide(prs.slide_layouts[6])
        _title_bar(slide, page.title, look, footer)
        top: int = Inches(1.25)
        if page.figures:
            top = _figures(slide, top, page.figures, look)
        text_width = inner if page.chart is None else inner // 2 - Inches(0.2)
        if page.sentences:
            lines = page.sentences[:8]
            size = 16 if page.chart is None else 14
            # Wrapped lines: about 0.55 em per character at this size.
            per_line = max(int(text_width / Pt(size) / 0.55), 20)
            wrapped = sum(-(-len(line) // per_line) for line in lines)
            height = Emu(int(Pt(size) * 1.5 * wrapped + Inches(0.2)))
            _text(slide, MARGIN, top, text_width, height, lines, size)
            top += height
        if page.table:
            top = _table(slide, MARGIN, top, text_width, page.table, look)
        if page.chart is not None:
            chart_top = Inches(1.25) if not page.figures else Inches(2.35)
            _chart(
                slide,
                MARGIN + inner // 2,
                chart_top,
                inner // 2,
                HEIGHT - chart_top - Inches(0.7),
                page,
                look,
            )
        notes = slide.notes_slide.notes_text_frame
        notes.text = "Sources: " + ("; ".join(page.sources) if page.sources else "none")
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()
