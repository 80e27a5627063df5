"""The trend pages' charts as inline SVG, made like bot/web/charts.py (its `el`, `svg` and `text`: every value
escaped, a viewBox and width 100 % for a phone): lines over dates and bars over weeks. Each point carries its
series, date and value in `data-*` attributes, which the tests read back."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from bot.web.charts import AMBER, BLUE, GREEN, LINE, MUTED, RED, el, svg, text

PALETTE = (BLUE, RED, GREEN, AMBER, "#8e44ad", "#16a085", "#7f8c8d")
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 400, 260, 40, 390, 14, 196
POINTS_DRAWN_MAX = 60  # beyond this, a series' points are in its line's data-* and only the last is marked


@dataclass(frozen=True, kw_only=True)
class Series:
    name: str  # "open", "ideal", … (data-series)
    label: str  # the legend's words
    points: tuple[tuple[date, float | None], ...]
    colour: str = BLUE
    dashed: bool = False


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)


def line_chart(series: Sequence[Series], *, title: str, y_max: float | None = None, unit: str = "") -> Markup:
    """Lines over dates, a legend under them; points without a value are gaps."""
    days = sorted({d for s in series for d, v in s.points if v is not None})
    values = [v for s in series for _, v in s.points if v is not None]
    top = y_max if y_max is not None else _nice_max(max(values, default=0.0))
    first, last = (days[0], days[-1]) if days else (date.min, date.min)
    span = (last - first).days

    def px(day: date) -> float:
        return round(LEFT + (RIGHT - LEFT) * ((day - first).days / span if span else 0.5), 1)

    def py(value: float) -> float:
        return round(BOTTOM - (BOTTOM - TOP) * value / top, 1)

    parts: list[Markup] = []
    for level in (0.0, top / 2, top):
        parts.append(el("line", {"x1": LEFT, "y1": py(level), "x2": RIGHT, "y2": py(level), "stroke": LINE,
                                 "stroke-width": 1}))
        parts.append(text(LEFT - 5, py(level) + 4, _fmt(level) + unit, anchor="end", size=11, fill=MUTED))
    if days:
        parts.append(text(LEFT, BOTTOM + 17, first.isoformat(), size=11, fill=MUTED))
        if span:
            parts.append(text(RIGHT, BOTTOM + 17, last.isoformat(), anchor="end", size=11, fill=MUTED))
    for s in series:
        known = [(d, v) for d, v in s.points if v is not None]
        if len(known) > 1:  # the whole series in the line's data-*, however long (what the downloads hold too)
            parts.append(el("polyline", {
                "points": " ".join(f"{px(d)},{py(v)}" for d, v in known), "fill": "none", "stroke": s.colour,
                "stroke-width": 2, "stroke-dasharray": "5 4" if s.dashed else None, "class": f"line {s.name}",
                "data-series": s.name, "data-dates": " ".join(d.isoformat() for d, _ in known),
                "data-values": " ".join(_fmt(v) for _, v in known)}))
        # Each point a marker with its tooltip while they are few; a long series marks its last point only.
        drawn = known if len(known) <= POINTS_DRAWN_MAX else known[-1:]
        parts += [el("circle", {"cx": px(d), "cy": py(v), "r": 2.5, "fill": s.colour, "class": "point",
                                "data-series": s.name, "data-date": d.isoformat(), "data-value": _fmt(v)},
                     el("title", None, f"{d.isoformat()}: {s.label} {_fmt(v)}{unit}")) for d, v in drawn]
    for i, s in enumerate(series):  # the legend, two to a row
        x, y = LEFT + (i % 2) * 175, HEIGHT - 34 + (i // 2) * 16
        parts.append(el("rect", {"x": x, "y": y - 5, "width": 14, "height": 3, "fill": s.colour}))
        parts.append(text(x + 19, y, s.label, size=12))
    height = HEIGHT + 16 * max(0, (len(series) + 1) // 2 - 2)
    return svg(WIDTH, height, title, *parts)


@dataclass(frozen=True, kw_only=True)
class Bar:
    label: str  # "W23"
    key: str  # "2026-W23" (data-key)
    value: float
    tip: str


def bar_chart(bars: Sequence[Bar], *, title: str, colour: str = BLUE) -> Markup:
    top = _nice_max(max((b.value for b in bars), default=0.0))
    slot = (RIGHT - LEFT) / max(1, len(bars))
    every = max(1, math.ceil(len(bars) / 13))  # week labels that fit a phone
    parts: list[Markup] = [el("line", {"x1": LEFT, "y1": BOTTOM, "x2": RIGHT, "y2": BOTTOM, "stroke": MUTED,
                                       "stroke-width": 1}),
                           text(LEFT - 5, TOP + 4, _fmt(top), anchor="end", size=11, fill=MUTED)]
    for i, b in enumerate(bars):
        h = (BOTTOM - TOP) * b.value / top
        x = LEFT + i * slot
        kids = [el("title", None, b.tip),
                el("rect", {"x": round(x + slot * 0.15, 1), "y": round(BOTTOM - h, 1),
                            "width": round(slot * 0.7, 1), "height": round(h, 1), "fill": colour})]
        if i % every == 0:
            kids.append(text(round(x + slot / 2, 1), BOTTOM + 16, b.label, anchor="middle", size=10, fill=MUTED))
        parts.append(el("g", {"class": "bar", "data-key": b.key, "data-value": _fmt(b.value)}, *kids))
    return svg(WIDTH, HEIGHT - 30, title, *parts)
