"""Charts drawn on the server as SVG: the geometry of bars and lines, the axis ticks and the
data table that goes with every chart (for screen readers, for print, for exact figures).

No JavaScript and no chart library: a chart is a dataclass that `admin/billing/insights/
_chart.html` turns into inline SVG. Coordinates are floats (pixels); the values and every label
stay Decimals and strings formatted by the caller, so no money passes through a float.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

WIDTH = 480
HEIGHT = 240
LEFT = 52  # room for the value axis' labels
RIGHT = 12
TOP = 18  # room for a value written above the highest bar
BOTTOM = 30  # room for the category labels


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[Decimal]
    colour: str  # a CSS class: ki-c1 … ki-c6


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str  # "Mar 2026 — New: €120.00": the tooltip and what a screen reader may read
    label: str  # the value written on the bar ("" for none)
    label_y: float

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Category:
    x: float
    label: str
    every_other: bool = False  # a phone shows only every other label


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str
    label: str

    @property
    def label_y(self) -> float:
        return self.y - 8


@dataclass
class Chart:
    """What the template draws: `bars` and/or a `line`, axes, a legend and the data table."""

    key: str  # unique on the page: ids of the title and description
    title: str
    description: str  # one sentence a screen reader announces for the picture
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    zero_y: float = HEIGHT - BOTTOM
    ticks: list[Tick] = field(default_factory=list)
    categories: list[Category] = field(default_factory=list)
    category_y: float = HEIGHT - BOTTOM + 16
    bars: list[Bar] = field(default_factory=list)
    line_points: list[Point] = field(default_factory=list)
    line_colour: str = "ki-c1"
    legend: list[tuple[str, str]] = field(default_factory=list)  # (colour, name)
    table_head: list[str] = field(default_factory=list)
    table_rows: list[list[str]] = field(default_factory=list)
    empty: bool = False

    @property
    def line_path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.line_points)


def nice_step(span: Decimal, steps: int = 4) -> Decimal:
    """A round step (1, 2, 2.5 or 5 times a power of ten) that splits `span` in about `steps`."""
    if span <= 0:
        return Decimal(1)
    raw = span / steps
    power = Decimal(10) ** math.floor(math.log10(raw))
    for factor in (1, 2, Decimal("2.5"), 5, 10):
        if raw <= power * factor:
            return power * factor
    return power * 10  # pragma: no cover - the loop ends at 10


def value_scale(
    low: Decimal, high: Decimal, *, whole: bool = False
) -> tuple[Decimal, Decimal, Decimal]:
    """Axis bounds that include zero and every value, on round ticks: (bottom, top, step).
    `whole`: the values are counts, so no tick falls between two whole numbers."""
    low, high = min(low, Decimal(0)), max(high, Decimal(0))
    if low == high:
        high = Decimal(1)
    step = nice_step(high - low)
    if whole:
        step = max(step.to_integral_value(rounding="ROUND_CEILING"), Decimal(1))
    bottom = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    top = (high / step).to_integral_value(rounding="ROUND_CEILING") * step
    return bottom, top, step


def _axis(
    chart: Chart,
    low: Decimal,
    high: Decimal,
    tick_label: Callable[[Decimal], str],
    whole: bool = False,
):
    bottom, top, step = value_scale(low, high, whole=whole)
    plot_top, plot_bottom = TOP, chart.height - BOTTOM

    def y_of(value: Decimal) -> float:
        share = float((value - bottom) / (top - bottom))
        return plot_bottom - share * (plot_bottom - plot_top)

    value = bottom
    while value <= top:
        chart.ticks.append(Tick(y=y_of(value), label=tick_label(value)))
        value += step
    chart.zero_y = y_of(Decimal(0))
    return y_of


def bar_chart(
    *,
    key: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    money: Callable[[Decimal], str],
    tick_label: Callable[[Decimal], str],
    stacked: bool = False,
    label_bars: bool = False,
    whole: bool = False,
    first_column: str = "",
    extra_columns: Sequence[tuple[str, Sequence[str]]] = (),
    axis_labels: Sequence[str] | None = None,
) -> Chart:
    """Bars per category: side by side, or `stacked` (positive values up from zero, negative
    ones down from it, so gains and losses of one month read as one column). `money` formats a
    value for tooltips and the table; `tick_label` a value on the axis (short). `axis_labels`:
    shorter names under the bars than `categories` (which the tooltips and the table use)."""
    chart = Chart(key=key, title=title, description=description)
    chart.legend = [(s.colour, s.name) for s in series] if len(series) > 1 else []
    if stacked:
        highs = [
            sum((v for s in series if (v := s.values[i]) > 0), Decimal(0))
            for i in range(len(categories))
        ]
        lows = [
            sum((v for s in series if (v := s.values[i]) < 0), Decimal(0))
            for i in range(len(categories))
        ]
    else:
        highs = [
            max((s.values[i] for s in series), default=Decimal(0)) for i in range(len(categories))
        ]
        lows = [
            min((s.values[i] for s in series), default=Decimal(0)) for i in range(len(categories))
        ]
    chart.empty = all(v == 0 for s in series for v in s.values)
    y_of = _axis(
        chart, min(lows, default=Decimal(0)), max(highs, default=Decimal(0)), tick_label, whole
    )
    slot = (chart.plot_right - chart.plot_left) / max(len(categories), 1)
    group = slot * 0.72
    for index, name in enumerate(categories):
        left = chart.plot_left + slot * index + (slot - group) / 2
        chart.categories.append(
            Category(
                x=chart.plot_left + slot * (index + 0.5),
                label=(axis_labels or categories)[index],
                every_other=len(categories) > 6 and (len(categories) - 1 - index) % 2 == 1,
            )
        )
        up, down = Decimal(0), Decimal(0)
        for number, s in enumerate(series):
            value = s.values[index]
            if stacked:
                width, x = group, left
                if value >= 0:
                    base, up = up, up + value
                    top_y, bottom_y = y_of(up), y_of(base)
                else:
                    base, down = down, down + value
                    top_y, bottom_y = y_of(base), y_of(down)
            else:
                width = group / len(series)
                x = left + width * number
                top_y, bottom_y = sorted((y_of(value), y_of(Decimal(0))))
            if value == 0:
                continue
            label = tick_label(value) if label_bars else ""
            label_y = top_y - 4 if value > 0 else bottom_y + 12
            chart.bars.append(
                Bar(
                    x=x,
                    y=top_y,
                    width=max(width - 1, 1),
                    height=max(bottom_y - top_y, 1),
                    colour=s.colour,
                    title=f"{name} — {s.name}: {money(value)}",
                    label=label,
                    label_y=label_y,
                )
            )
    chart.table_head = [first_column, *(s.name for s in series), *(c[0] for c in extra_columns)]
    chart.table_rows = [
        [
            name,
            *(money(s.values[i]) for s in series),
            *(column[1][i] for column in extra_columns),
        ]
        for i, name in enumerate(categories)
    ]
    return chart


def line_chart(
    *,
    key: str,
    title: str,
    description: str,
    categories: Sequence[str],
    name: str,
    values: Sequence[Decimal],
    money: Callable[[Decimal], str],
    tick_label: Callable[[Decimal], str],
    colour: str = "ki-c1",
    first_column: str = "",
    extra_columns: Sequence[tuple[str, Sequence[str]]] = (),
    axis_labels: Sequence[str] | None = None,
) -> Chart:
    """One line through a value per category; a point's short value is written above it where
    the line turns and at its end (every value is in its tooltip and the table)."""
    chart = Chart(key=key, title=title, description=description, line_colour=colour)
    chart.empty = all(v == 0 for v in values)
    y_of = _axis(
        chart, min(values, default=Decimal(0)), max(values, default=Decimal(0)), tick_label
    )
    slot = (chart.plot_right - chart.plot_left) / max(len(categories), 1)
    for index, (category, value) in enumerate(zip(categories, values, strict=True)):
        x = chart.plot_left + slot * (index + 0.5)
        chart.categories.append(
            Category(
                x=x,
                label=(axis_labels or categories)[index],
                every_other=len(categories) > 6 and (len(categories) - 1 - index) % 2 == 1,
            )
        )
        chart.line_points.append(
            Point(
                x=x,
                y=y_of(value),
                title=f"{category} — {name}: {money(value)}",
                # Written where the line turns and at its end, so that labels never crowd.
                label=(
                    tick_label(value)
                    if index in (0, len(values) - 1) or value != values[index - 1]
                    else ""
                ),
            )
        )
    chart.table_head = [first_column, name, *(c[0] for c in extra_columns)]
    chart.table_rows = [
        [category, money(values[i]), *(column[1][i] for column in extra_columns)]
        for i, category in enumerate(categories)
    ]
    return chart
