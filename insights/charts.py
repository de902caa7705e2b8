"""Charts drawn as inline SVG by our own templates (no script, no CDN): bars or lines over categories, each with a
text alternative and the table of the numbers it shows, so a chart reads the same on screen, in print and aloud.

Build a chart here, render it with ``{% include "insights/_chart.html" with chart=... %}``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

Number = int | float | Decimal
Kind = Literal["bar", "line"]

WIDTH = 640
HEIGHT = 240
LEFT = 40  # the least room for the axis labels
BOTTOM = 36
TOP = 12
RIGHT = 12
TICKS = 4
# Presentation attributes, not inline styles (the CSP admits none). Distinguishable in colour and, printed in
# grey, by their dash pattern.
STYLES = (
    ("#1f6f8b", ""),
    ("#c0392b", "6 3"),
    ("#b7791f", "2 3"),
    ("#2f855a", "10 3 2 3"),
)


@dataclass(frozen=True)
class Series:
    """One named row of numbers, a value per category (None where there is none)."""

    label: str
    values: tuple[Number | None, ...]


@dataclass(frozen=True)
class Mark:
    """A bar (x, y, width, height) or a line point (x, y) with what it stands for."""

    x: float
    y: float
    width: float
    height: float
    category: str
    value: str
    href: str


@dataclass(frozen=True)
class DrawnSeries:
    label: str
    colour: str
    dash: str
    marks: tuple[Mark, ...]
    path: str  # the polyline of a line chart ("" for bars)


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class CategoryLabel:
    x: float
    text: str


@dataclass(frozen=True)
class Chart:
    """Everything the template needs: geometry, the text alternative and the data table."""

    key: str
    title: str
    summary: str
    kind: Kind
    unit: str
    categories: tuple[str, ...]
    series: tuple[DrawnSeries, ...]
    ticks: tuple[Tick, ...]
    labels: tuple[CategoryLabel, ...]
    table: tuple[tuple[str, tuple[str, ...]], ...]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM

    @property
    def empty(self) -> bool:
        return not any(mark for drawn in self.series for mark in drawn.marks)


def format_value(value: Number | None, unit: str) -> str:
    """A number as the chart and its table print it."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{float(value):.1f} %"
    if unit == "$":
        return f"${Decimal(str(value)):,.2f}"
    if float(value) == int(float(value)):
        return f"{int(float(value)):,}"
    return f"{float(value):,.1f}"


def _scale_top(values: Sequence[float]) -> float:
    """A round number at or above the largest value, so the ticks read well."""
    top = max([*values, 0.0])
    if top <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(top))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if top <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def _count_scale(largest: float) -> tuple[float, int]:
    """The top of a count axis and its number of ticks, each tick a whole number."""
    if largest <= TICKS:
        whole = int(-(-largest // 1))
        return float(whole), whole
    magnitude = 10 ** (len(str(int(largest / TICKS))) - 1)
    for step in (1, 2, 5, 10):
        if largest <= step * magnitude * TICKS:
            return float(step * magnitude * TICKS), TICKS
    return float(10 * magnitude * TICKS), TICKS


# A round top's leading figure -> how many ticks split it into round steps (500 in steps of 100, 200 of 50).
NICE_STEPS = {1.0: 5, 2.0: 4, 2.5: 5, 5.0: 5}


def _scale(plotted: Sequence[float], unit: str) -> tuple[float, int]:
    """The top of the value axis and how many ticks divide it."""
    if unit == "%" and plotted and max(plotted) <= 100:
        return 100.0, TICKS
    if unit == "" and all(value.is_integer() for value in plotted):
        # Counts get whole-number ticks (no "1.5 requests").
        return _count_scale(max([*plotted, 1.0]))
    top = _scale_top(plotted)
    leading = top / 10 ** (len(str(int(top))) - 1) if top >= 1 else top
    return top, NICE_STEPS.get(round(leading, 1), TICKS)


def _tick_label(value: float, unit: str) -> str:
    """An axis label: money without cents where the tick is whole."""
    if unit == "$" and float(value).is_integer():
        return f"${int(value):,}"
    return format_value(value, unit)


def _label_every(count: int) -> int:
    """Print every n-th category label so that they never overlap (about 12 fit)."""
    return max(1, -(-count // 12))


def build_chart(
    *,
    key: str,
    title: str,
    summary: str,
    categories: Sequence[str],
    series: Sequence[Series],
    kind: Kind = "bar",
    unit: str = "",
    links: Sequence[str] | None = None,
) -> Chart:
    """A chart of `series` over `categories`; `summary` is the sentence a screen reader hears (say the trend);
    `links[i]` is where the i-th category's marks lead (the list behind the figure)."""
    categories = tuple(categories)
    for one in series:
        if len(one.values) != len(categories):
            raise ValueError(f"series {one.label!r} has {len(one.values)} values for {len(categories)} categories")
    plotted = [float(value) for one in series for value in one.values if value is not None]
    top, steps = _scale(plotted, unit)
    tick_values = [top * step / steps for step in range(steps + 1)]
    tick_labels = [_tick_label(value, unit) for value in tick_values]
    # Room on the left for the longest axis label (11 px text, about 6.5 px a character).
    left = max(LEFT, round(10 + 6.5 * max(len(label) for label in tick_labels)))
    plot_width = WIDTH - left - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    baseline = float(HEIGHT - BOTTOM)
    slot = plot_width / max(len(categories), 1)

    def y_of(value: float) -> float:
        return round(baseline - plot_height * value / top, 1)

    drawn: list[DrawnSeries] = []
    count = max(len(series), 1)
    bar_width = slot * 0.8 / count
    for index, one in enumerate(series):
        colour, dash = STYLES[index % len(STYLES)]
        marks: list[Mark] = []
        for position, value in enumerate(one.values):
            if value is None:
                continue
            href = links[position] if links else ""
            if kind == "bar":
                x = left + slot * position + slot * 0.1 + bar_width * index
                y = y_of(float(value))
                marks.append(
                    Mark(
                        round(x, 1),
                        y,
                        round(bar_width, 1),
                        round(baseline - y, 1),
                        categories[position],
                        format_value(value, unit),
                        href,
                    )
                )
            else:
                x = left + slot * position + slot / 2
                marks.append(
                    Mark(round(x, 1), y_of(float(value)), 0, 0, categories[position], format_value(value, unit), href)
                )
        path = " ".join(f"{mark.x},{mark.y}" for mark in marks) if kind == "line" else ""
        drawn.append(DrawnSeries(one.label, colour, dash, tuple(marks), path))

    ticks = tuple(Tick(y_of(value), label) for value, label in zip(tick_values, tick_labels, strict=True))
    every = _label_every(len(categories))
    labels = tuple(
        CategoryLabel(round(left + slot * position + slot / 2, 1), text)
        for position, text in enumerate(categories)
        if position % every == 0
    )
    table = tuple((one.label, tuple(format_value(value, unit) for value in one.values)) for one in series)
    return Chart(
        key=key,
        title=title,
        summary=summary,
        kind=kind,
        unit=unit,
        categories=categories,
        series=tuple(drawn),
        ticks=ticks,
        labels=labels,
        table=table,
        left=left,
        baseline=baseline,
    )
