"""The geometry of a server-rendered SVG line chart (the template draws it; no script).

Each series has its own dash pattern and point marker as well as its colour, so the chart
reads in greyscale and for colour-blind people; the legend repeats the patterns.
"""

from __future__ import annotations

from dataclasses import dataclass

from .series import LABELS, Series

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28
# (series, colour, dash pattern, marker) - the marker shape is the third cue after colour/dash
STYLES = (
    ("sent", "#0d6efd", "", "circle"),
    ("received", "#198754", "8 4", "square"),
    ("bounced", "#dc3545", "2 3", "triangle"),
    ("rejected", "#6f42c1", "10 3 2 3", "diamond"),
    ("deferred", "#b35900", "4 4", "cross"),
)
_TIME_FORMATS = {"day": "%H:%M", "week": "%a %d", "month": "%b %d", "year": "%b %Y"}


@dataclass
class Line:
    """One series: its points and how it is drawn."""

    name: str
    label: str
    colour: str
    dash: str
    marker: str
    points: str  # "x,y x,y ..." for <polyline>
    marks: list[tuple[float, float]]  # a few marker positions along the line


def nice_ceiling(value: int) -> int:
    """The smallest 1/2/5 x 10^n at or above *value* (at least 1): a readable axis top."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def geometry(series: Series) -> dict:
    """Everything the SVG template needs: lines, axis ticks and labels."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    count = max(len(series.points), 2)
    top = nice_ceiling(max((v[name] for _, v in series.points for name, *_ in STYLES), default=0))

    def x(index: int) -> float:
        return round(LEFT + plot_w * index / (count - 1), 1)

    def y(value: int) -> float:
        return round(TOP + plot_h - plot_h * value / top, 1)

    every = max(1, count // 8)  # about eight markers per line keep the shapes apart
    lines = []
    for offset, (name, colour, dash, marker) in enumerate(STYLES):
        coords = [(x(i), y(values[name])) for i, (_, values) in enumerate(series.points)]
        marks = coords[(offset * every) // len(STYLES) :: every]
        lines.append(Line(name, LABELS[name], colour, dash, marker,
                          " ".join(f"{a},{b}" for a, b in coords), marks))  # fmt: skip
    y_ticks = [(y(value), value) for value in sorted({top * i // 4 for i in range(5)})]
    fmt = _TIME_FORMATS[series.period]
    step = max(1, count // 6)
    x_ticks = [(x(i), start.strftime(fmt)) for i, (start, _) in enumerate(series.points)][::step]
    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT, "top": TOP,
        "bottom": HEIGHT - BOTTOM, "lines": lines, "y_ticks": y_ticks, "x_ticks": x_ticks,
    }  # fmt: skip
