"""Geometry of the portal's SVG charts: bars placed in a viewBox, no drawing code.

Pure functions from labelled values to a `Chart` (marks, texts, lines) that the
template macro `templates/_charts.html` writes out as SVG with presentation
attributes only (CSP: no style attributes, no scripts). The viewBox is about a
phone's width (360 units), so the 12-unit text stays readable at 390 px; on a
wider screen the CSS caps the width.

Colour is never the only sign: one series is solid, the other hatched, every bar
has its value written next to it, and estimates have a dashed outline and say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 360
ROW = 20          # one horizontal bar's slot
GROUP_GAP = 22    # room for a group's heading above its bars


@dataclass(frozen=True)
class Bar:
    """One value to draw. `value` None = missing (drawn as a note, not as zero)."""

    label: str
    value: Decimal | None
    text: str                 # the value as written next to the bar
    series: str               # "current", "previous", "debt", "credit", "total"
    estimate: bool = False
    data: tuple[tuple[str, str], ...] = ()   # extra data-* attributes for tests


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    width: float
    height: float
    bar: Bar


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"
    rotate: bool = False
    bold: bool = False


@dataclass
class Chart:
    key: str
    title: str
    desc: str
    height: float = 0
    width: int = WIDTH
    marks: list[Mark] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[tuple[float, float, float, float]] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)   # (series, words)
    notes: list[str] = field(default_factory=list)


def _span(values: list[Decimal]) -> tuple[Decimal, Decimal]:
    """(largest positive, largest negative as a positive number), never both zero."""
    top = max([v for v in values if v > 0], default=Decimal(0))
    bottom = -min([v for v in values if v < 0], default=Decimal(0))
    if top == 0 and bottom == 0:
        top = Decimal(1)
    return top, bottom


def horizontal(chart: Chart, groups: list[tuple[str, list[Bar]]], label_width: int = 74,
               value_room: int = 104) -> Chart:
    """Bars to the right of a zero axis (negative ones to its left), in headed groups."""
    values = [b.value for _, bars in groups for b in bars if b.value is not None]
    top, bottom = _span(values)
    plot = WIDTH - label_width - value_room - (value_room if bottom else 0)
    scale = float(plot) / float(top + bottom)
    axis = label_width + (value_room if bottom else 0) + float(bottom) * scale
    y = 4.0
    for heading, bars in groups:
        if heading:
            chart.texts.append(Text(0, y + 14, heading, bold=True))
            y += GROUP_GAP
        for bar in bars:
            chart.texts.append(Text(label_width - 6, y + 14, bar.label, anchor="end"))
            if bar.value is None:
                chart.marks.append(Mark(axis, y + 3, 0, ROW - 6, bar))
                chart.texts.append(Text(axis + 4, y + 14, bar.text))
            else:
                length = abs(float(bar.value)) * scale
                x = axis if bar.value >= 0 else axis - length
                chart.marks.append(Mark(round(x, 2), y + 3, round(length, 2), ROW - 6, bar))
                if bar.value >= 0:
                    chart.texts.append(Text(round(axis + length + 4, 2), y + 14, bar.text))
                else:
                    chart.texts.append(Text(round(x - 4, 2), y + 14, bar.text, anchor="end"))
            y += ROW
        y += 4
    chart.lines.append((round(axis, 2), 0, round(axis, 2), y))
    chart.height = y + 2
    return chart


def vertical(chart: Chart, bars: list[Bar], above: str, below: str) -> Chart:
    """Bars up from a horizontal axis for positive values, down for negative ones.

    `above` and `below` say in words what each side means (the sign is never left to
    the colour or to a minus sign alone); the values are written along the bars.
    """
    values = [b.value for b in bars if b.value is not None]
    top, bottom = _span(values)
    left, room, plot = 18, 66, 150
    head = room if top or 0 in values else 8  # a zero's label is written above the axis
    foot = room if bottom else 8
    axis = head + plot * float(top) / float(top + bottom)
    scale = plot / float(top + bottom)
    slot = (WIDTH - left) / max(len(bars), 1)
    for i, bar in enumerate(bars):
        x = left + i * slot
        centre = round(x + slot / 2, 2)
        value = bar.value if bar.value is not None else Decimal(0)
        length = abs(float(value)) * scale
        y = axis - length if value >= 0 else axis
        chart.marks.append(Mark(round(x + slot * 0.2, 2), round(y, 2), round(slot * 0.6, 2),
                                round(length, 2), bar))
        if value >= 0:
            chart.texts.append(Text(centre + 4, round(y - 4, 2), bar.text, rotate=True))
        else:
            chart.texts.append(Text(centre + 4, round(y + length + 4, 2), bar.text,
                                    anchor="end", rotate=True))
    height = head + plot + foot
    for i, bar in enumerate(bars):
        chart.texts.append(Text(round(left + i * slot + slot / 2, 2), height + 14, bar.label,
                                anchor="middle"))
    chart.lines.append((left, round(axis, 2), WIDTH, round(axis, 2)))
    if top:
        chart.texts.append(Text(12, round(axis - 4, 2), above, rotate=True))
    if bottom:
        chart.texts.append(Text(12, round(axis + 4, 2), below, anchor="end", rotate=True))
    chart.height = height + 20
    return chart
