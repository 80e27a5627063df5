"""The dashboard's charts as inline SVG, drawn on the server: no JavaScript, no library.

Every element is made by `el`, which escapes each attribute value and each text child (task titles and names may
hold markup); only elements made by `el` pass through unescaped, as `Markup`. Each chart has a viewBox and width
100 %, so it scales from a 360 px phone to a desktop; `<title>` children are the tooltips, and the numbers are
also written on the chart and in `data-*` attributes (which tests and the browser tests read back).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

SVG_NS = "http://www.w3.org/2000/svg"
BLUE, RED, GREEN, AMBER, LINE, MUTED, INK = "#2f80ed", "#d64545", "#3f9142", "#de911d", "#d9e2ec", "#52606d", "#243b53"
WEEK_FULL_H = 40.0  # a heat-map cell is darkest at a full week's hours, red above it
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9:_-]*")

Attr = str | int | float | None


def _value(value: str | int | float) -> str:
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)


def el(tag: str, attrs: Mapping[str, Attr] | None = None, *children: str | Markup) -> Markup:
    """One XML element: attribute values and text children escaped, `Markup` children (elements) kept."""
    if not _NAME.fullmatch(tag):
        raise ValueError(f"not an element name: {tag!r}")
    out = [f"<{tag}"]
    for name, value in (attrs or {}).items():
        if not _NAME.fullmatch(name):
            raise ValueError(f"not an attribute name: {name!r}")
        if value is not None:
            out.append(f' {name}="{escape(_value(value), quote=True)}"')
    if not children:
        return Markup("".join(out) + "/>")
    inner = "".join(c if isinstance(c, Markup) else escape(c, quote=True) for c in children)
    return Markup("".join(out) + ">" + inner + f"</{tag}>")


def svg(width: int, height: int, label: str, *children: Markup, css: str = "chart",
        min_width_px: int | None = None) -> Markup:
    style = f"min-width:{min_width_px}px" if min_width_px else None
    return el("svg", {"xmlns": SVG_NS, "viewBox": f"0 0 {width} {height}", "width": "100%", "role": "img",
                      "aria-label": label, "class": css, "style": style, "font-size": 13},
              el("title", None, label), *children)


def text(x: float, y: float, body: str, *, anchor: str = "start", size: int | None = None, bold: bool = False,
         fill: str = INK, css: str | None = None) -> Markup:
    return el("text", {"x": x, "y": y, "text-anchor": anchor, "font-size": size,
                       "font-weight": "600" if bold else None, "fill": fill, "class": css}, body)


def hours(value: float) -> str:
    """Hours as written in cells: one decimal at most."""
    rounded = round(value, 1)
    return f"{rounded:.1f}".rstrip("0").rstrip(".") if rounded % 1 else str(int(rounded))


def clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


# -- 1. progress by milestone ----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class MilestoneBar:
    name: str
    percent: int
    done: int
    total: int
    due: date | None
    overdue: bool


def milestone_bars(bars: Sequence[MilestoneBar], t: Mapping[str, str]) -> Markup:
    """One row each: the name and its percent, the bar, then tasks done of total and the due date."""
    width, row_h, bar_w = 400, 62, 400
    rows = []
    for i, b in enumerate(bars):
        y = i * row_h
        percent = max(0, min(100, b.percent))
        due = t["milestone_due"].format(date=b.due.isoformat()) if b.due else t["milestone_no_due"]
        facts = [t["milestone_tasks"].format(done=b.done, total=b.total), due]
        if b.overdue:
            facts.append(t["milestone_overdue"])
        colour = RED if b.overdue else GREEN if percent == 100 else BLUE
        rows.append(el(
            "g", {"class": "milestone overdue" if b.overdue else "milestone", "data-milestone": b.name,
                  "data-percent": percent, "data-done": b.done, "data-total": b.total,
                  "data-due": b.due.isoformat() if b.due else "", "data-overdue": int(b.overdue)},
            el("title", None, f"{b.name}: {percent}% · " + " · ".join(facts)),
            text(0, y + 16, clip(b.name, 22), size=14, bold=True),
            text(width, y + 16, f"{percent}%", anchor="end", size=15, bold=True, fill=colour, css="pct"),
            el("rect", {"x": 0, "y": y + 23, "width": bar_w, "height": 12, "rx": 3, "fill": LINE}),
            el("rect", {"x": 0, "y": y + 23, "width": round(bar_w * percent / 100, 1), "height": 12, "rx": 3,
                        "fill": colour}),
            text(0, y + 51, " · ".join(facts), size=12, fill=RED if b.overdue else MUTED, css="facts"),
        ))
    return svg(width, max(1, len(bars)) * row_h - 4, t["milestones"], *rows)


# -- 3. cycle-time distribution --------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Bucket:
    label: str  # "0-1", "31+"
    count: int
    tasks: tuple[str, ...] = ()  # "KEY title" of the first few, for the tooltip


def histogram(buckets: Sequence[Bucket], t: Mapping[str, str], *, tooltip_tasks: int = 8) -> Markup:
    width, height, base, top = 400, 226, 180, 26
    slot = (width - 20) / max(1, len(buckets))
    most = max((b.count for b in buckets), default=0) or 1
    bars = []
    for i, b in enumerate(buckets):
        x = 10 + i * slot
        h = (base - top) * b.count / most
        tip = t["cycle_bucket"].format(label=b.label, count=b.count)
        if b.tasks:
            shown = list(b.tasks[:tooltip_tasks])
            if len(b.tasks) > tooltip_tasks:
                shown.append("…")
            tip += "\n" + "\n".join(shown)
        bars.append(el(
            "g", {"class": "bucket", "data-bucket": b.label, "data-count": b.count},
            el("title", None, tip),
            el("rect", {"x": round(x + slot * 0.15, 1), "y": round(base - h, 1), "width": round(slot * 0.7, 1),
                        "height": round(h, 1), "rx": 2, "fill": BLUE}),
            text(round(x + slot / 2, 1), round(base - h - 6, 1), str(b.count), anchor="middle", size=14, bold=True,
                 css="count"),
            text(round(x + slot / 2, 1), base + 18, b.label, anchor="middle", fill=MUTED),
        ))
    axis = el("line", {"x1": 10, "y1": base, "x2": width - 10, "y2": base, "stroke": MUTED, "stroke-width": 1})
    unit = text(width / 2, height - 4, t["cycle_days"], anchor="middle", size=12, fill=MUTED)
    return svg(width, height, t["cycle"], axis, *bars, unit)


# -- 4. workload heat map --------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Week:
    iso: str  # "2024-W23"
    label: str  # "W23"
    start: date
    end: date
    current: bool = False


@dataclass(frozen=True, kw_only=True)
class HeatRow:
    person_id: str
    person: str
    logged: tuple[float, ...]  # per week
    planned: tuple[float, ...]  # per week
    undated: float  # planned hours of open tasks without a due date


def _shade(total: float) -> tuple[str, float, str]:
    """Fill, opacity and text colour of a cell holding `total` hours."""
    if total <= 0:
        return "#f4f6f8", 1.0, MUTED
    if total > WEEK_FULL_H:
        return RED, min(1.0, 0.6 + 0.4 * (total - WEEK_FULL_H) / WEEK_FULL_H), "#fff"
    opacity = round(0.12 + 0.78 * total / WEEK_FULL_H, 2)
    return BLUE, opacity, "#fff" if opacity >= 0.55 else INK


def _cell(x: float, y: float, w: float, h: float, logged: float, planned: float, tip: str,
          data: dict[str, Attr]) -> Markup:
    fill, opacity, ink = _shade(logged + planned)
    parts = [el("title", None, tip),
             el("rect", {"x": x + 1, "y": y + 1, "width": w - 2, "height": h - 2, "rx": 3, "fill": fill,
                         "fill-opacity": opacity})]
    mid = x + w / 2
    if logged and planned:
        parts += [text(mid, y + 15, hours(logged), anchor="middle", size=12, bold=True, fill=ink, css="logged"),
                  text(mid, y + 29, "≈" + hours(planned), anchor="middle", size=11, fill=ink, css="planned")]
    elif logged:
        parts.append(text(mid, y + h / 2 + 5, hours(logged), anchor="middle", size=13, bold=True, fill=ink,
                          css="logged"))
    elif planned:
        parts.append(text(mid, y + h / 2 + 5, "≈" + hours(planned), anchor="middle", size=12, fill=ink,
                          css="planned"))
    else:
        parts.append(text(mid, y + h / 2 + 5, "–", anchor="middle", size=12, fill=LINE))
    return el("g", {"class": "cell", **data, "data-logged": hours(logged), "data-planned": hours(planned)}, *parts)


def heat_map(weeks: Sequence[Week], rows: Sequence[HeatRow], t: Mapping[str, str]) -> Markup:
    name_w, col_w, head_h, row_h = 120, 46, 36, 36
    width = name_w + col_w * (len(weeks) + 1)
    height = head_h + row_h * len(rows) + 4
    parts: list[Markup] = []
    for j, wk in enumerate(weeks):
        x = name_w + j * col_w + col_w / 2
        tip = f"{wk.iso}: {wk.start.isoformat()} – {wk.end.isoformat()}"
        if wk.current:
            tip += f" ({t['workload_this_week']})"
            parts.append(el("rect", {"x": name_w + j * col_w, "y": 2, "width": col_w,
                                     "height": height - 4, "rx": 4, "fill": "none", "stroke": INK,
                                     "stroke-width": 1.5}))
        parts.append(el("g", {"class": "week", "data-week": wk.iso}, el("title", None, tip),
                        text(x, 16, wk.label, anchor="middle", size=12, bold=wk.current,
                             fill=INK if wk.current else MUTED),
                        text(x, 30, f"{wk.start.month}/{wk.start.day}", anchor="middle", size=10, fill=MUTED)))
    undated_x = name_w + len(weeks) * col_w
    parts.append(el("g", {"class": "week", "data-week": "undated"}, el("title", None, t["workload_no_due"]),
                    text(undated_x + col_w / 2, 23, clip(t["workload_undated"], 8), anchor="middle", size=11,
                         fill=MUTED)))
    for i, row in enumerate(rows):
        y = head_h + i * row_h
        parts.append(el("g", {"class": "person", "data-person-id": row.person_id},
                        el("title", None, row.person), text(0, y + row_h / 2 + 5, clip(row.person, 14), size=13)))
        for j, wk in enumerate(weeks):
            tip = t["workload_cell"].format(person=row.person, week=wk.iso, start=wk.start.isoformat(),
                                            end=wk.end.isoformat(), logged=hours(row.logged[j]),
                                            planned=hours(row.planned[j]))
            parts.append(_cell(name_w + j * col_w, y, col_w, row_h, row.logged[j], row.planned[j], tip,
                               {"data-person-id": row.person_id, "data-week": wk.iso}))
        tip = t["workload_cell_undated"].format(person=row.person, planned=hours(row.undated))
        parts.append(_cell(undated_x, y, col_w, row_h, 0.0, row.undated, tip,
                           {"data-person-id": row.person_id, "data-week": "undated"}))
    return svg(width, height, t["workload"], *parts, css="chart heat", min_width_px=620)


# -- 5. budget burn against progress ---------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class BurnPoint:
    day: date
    spent_percent: int
    progress_percent: int | None  # None: not known for that day


def burn_chart(points: Sequence[BurnPoint], *, progress_now: int, t: Mapping[str, str]) -> Markup:
    """Spent % and progress % over the figures' dates; where progress is not known for those dates, the current
    progress is drawn as one point at the last date."""
    width, height, left, right, top, bottom = 400, 250, 40, 360, 16, 190
    values = [p.spent_percent for p in points] + [p.progress_percent or 0 for p in points] + [progress_now]
    y_max = max(100, math.ceil(max(values) / 25) * 25)
    first, last = points[0].day, points[-1].day
    span = (last - first).days

    def px(day: date) -> float:
        return round(left + (right - left) * ((day - first).days / span if span else 0.5), 1)

    def py(value: int) -> float:
        return round(bottom - (bottom - top) * value / y_max, 1)

    parts: list[Markup] = []
    for level in sorted({0, 50, 100, y_max}):
        parts.append(el("line", {"x1": left, "y1": py(level), "x2": right, "y2": py(level), "stroke": LINE,
                                 "stroke-width": 1}))
        parts.append(text(left - 6, py(level) + 4, f"{level}%", anchor="end", size=11, fill=MUTED))
    parts.append(text(left, bottom + 18, first.isoformat(), size=11, fill=MUTED))
    if span:
        parts.append(text(right, bottom + 18, last.isoformat(), anchor="end", size=11, fill=MUTED))

    def series(name: str, colour: str, pts: list[tuple[date, int]]) -> None:
        if len(pts) > 1:
            parts.append(el("polyline", {"points": " ".join(f"{px(d)},{py(v)}" for d, v in pts), "fill": "none",
                                         "stroke": colour, "stroke-width": 2.5, "class": f"line {name}"}))
        label = t["budget_line_spent"] if name == "spent" else t["budget_line_progress"]
        for d, v in pts:
            parts.append(el("circle", {"cx": px(d), "cy": py(v), "r": 4, "fill": colour, "class": f"point {name}",
                                       "data-series": name, "data-date": d.isoformat(), "data-value": v},
                            el("title", None, f"{d.isoformat()}: {label} {v}%")))
        d, v = pts[-1]
        parts.append(text(px(d) + 8, py(v) + (-6 if name == "spent" else 14), f"{v}%", size=13, bold=True,
                          fill=colour, css=f"last {name}"))

    series("spent", RED, [(p.day, p.spent_percent) for p in points])
    known = [(p.day, p.progress_percent) for p in points if p.progress_percent is not None]
    series("progress", BLUE, known if known else [(last, progress_now)])
    legend_y = height - 8
    parts += [el("rect", {"x": left, "y": legend_y - 9, "width": 14, "height": 4, "fill": RED}),
              text(left + 20, legend_y - 3, t["budget_line_spent"], size=12),
              el("rect", {"x": left + 130, "y": legend_y - 9, "width": 14, "height": 4, "fill": BLUE}),
              text(left + 150, legend_y - 3, t["budget_line_progress"] if known else
                   t["budget_progress_now"].format(percent=progress_now), size=12)]
    return svg(width, height, t["budget"], *parts)
