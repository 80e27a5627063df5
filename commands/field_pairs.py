"""Figures for several tasks at once: two tasks, then two figures in the same order ("A-1 and A-2 at 70 and 85 percent",
"A-1、A-2 进度分别是 30% 和 55%"), each task its own; hours said once with "each" ("A-1 done, A-2 at 40%, 2h on each"),
every listed task's; hours said where they could be either of two tasks' ("A-1 完成，A-2 40%，工时 4h") are told apart
so that the field reader asks. Anything else about them is left to the field reader, which asks."""

from __future__ import annotations

import re
from dataclasses import replace

from commands.hour_words import EACH_HOURS, SOMEONE_ELSE_END
from commands.model import Done, FieldWrite, Report, Several

_KEY = r"([A-Za-z][A-Za-z0-9]{0,9}-[1-9][0-9]{0,8})"
_AND = r"(?:\s*(?:and|&|和|跟|与|、|,|，|/)\s*|\s+)"
_FIGURE = r"(?<![0-9])([0-9]{1,3})(?![0-9])\s*(?:%|％|percent|pct)?"
_PAIR = re.compile(rf"{_KEY}{_AND}{_KEY}\s*(?:(?:are|is|both|now|sitting|currently)\s+){{0,2}}(?:at|到了?|进度|progress)?\s*(?:分别|各自|respectively)?\s*(?:是|为|at|:|：)?\s*"
                   rf"{_FIGURE}{_AND}{_FIGURE}\s*(?:%|％|percent|pct)\s*(?:respectively|分别)?\s*[.。!！]?", re.IGNORECASE)


# Hours in a clause of their own, right before the next task ("A-1 装完, 3.5h A-2 上午") or labelled at the end after
# another task's own work ("A-1 完成，A-2 40%，工时 4h"): the one task's, or the other's?
_HOURS_BEFORE_KEY = re.compile(r"\S\s*[,，;；]\s*[0-9.]+\s*(?:h|hrs?|hours?|个?小时)\s*$", re.IGNORECASE)
_HOURS_LAST_CLAUSE = re.compile(r"\S\s*[,，;；]\s*(?:工时|用时|总工时|(?<![A-Za-z])(?:hours|hrs|time spent|total))?\s*[:：]?\s*[0-9.]+\s*"
                                r"(?:h|hrs?|hours?|个?小时)\s*[.。]?\s*$", re.IGNORECASE)


def hours_unplaced(parts: list[tuple[str, str]], writes: list[tuple[FieldWrite, ...]]) -> bool:
    """Whether hours are said where they may be either of two tasks' (`parts`: task, words; `writes`: each part's), or
    someone else's, named right before the task ("…, 小王那边 A-3 做了 3 个钟")."""
    if any((_HOURS_BEFORE_KEY.search(text) and not any(getattr(x, "hours", None) for x in after))
           or (SOMEONE_ELSE_END.search(text) and any(getattr(x, "hours", None) for x in after))
           for (_, text), after in zip(parts[:-1], writes[1:], strict=True)):
        return True
    return len(parts) > 1 and bool(_HOURS_LAST_CLAUSE.search(parts[-1][1])) and any(
        x.hours is None and (isinstance(x, Done) or (isinstance(x, Report) and x.percent is not None)) for ws in writes[:-1] for x in ws
        if isinstance(x, (Done, Report)))


def respective(s: str) -> Several | None:
    """The two reports a pair of tasks and a pair of percents make, said in order; None if `s` is not that."""
    m = _PAIR.fullmatch(s.strip())
    if m is None or m.group(1).upper() == m.group(2).upper():
        return None
    first, second = int(m.group(3)), int(m.group(4))
    if first > 100 or second > 100:
        return None
    return Several(items=(Report(task=m.group(1).upper(), percent=first), Report(task=m.group(2).upper(), percent=second)))


def each_hours(writes: list[tuple[FieldWrite, ...]], parts: list[tuple[str, str]]) -> list[tuple[FieldWrite, ...]]:
    """Each part's writes (`parts`: task, words), the hours said once at the end with "each" given to every task."""
    timed = [i for i, ws in enumerate(writes) if any(isinstance(x, (Report, Done)) and x.hours is not None for x in ws)]
    if len(parts) < 2 or timed != [len(parts) - 1] or not EACH_HOURS.search(parts[-1][1]):
        return writes
    hours = next(x.hours for x in writes[-1] if isinstance(x, (Report, Done)) and x.hours is not None)
    out: list[tuple[FieldWrite, ...]] = []
    for (task, _), ws in zip(parts[:-1], writes[:-1], strict=True):
        first = next((x for x in ws if isinstance(x, (Report, Done))), None)
        out.append(tuple(replace(x, hours=hours) if x is first else x for x in ws) if first is not None
                   else (*ws, Report(task=task, hours=hours)))
    return [*out, writes[-1]]
