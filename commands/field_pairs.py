"""Two tasks, then two figures in the same order ("A-1 and A-2 at 70 and 85 percent", "A-1、A-2 进度分别是 30% 和 55%"):
each task its own figure. Anything else about the pair (a third figure, hours, a hedge) is left to the field reader,
which asks."""

from __future__ import annotations

import re

from commands.model import Report, Several

_KEY = r"([A-Za-z][A-Za-z0-9]{0,9}-[1-9][0-9]{0,8})"
_AND = r"(?:\s*(?:and|&|和|跟|与|、|,|，|/)\s*|\s+)"
_FIGURE = r"(?<![0-9])([0-9]{1,3})(?![0-9])\s*(?:%|％|percent|pct)?"
_PAIR = re.compile(rf"{_KEY}{_AND}{_KEY}\s*(?:(?:are|is|both)\s+)?(?:at|到了?|进度|progress)?\s*(?:分别|各自|respectively)?\s*(?:是|为|at|:|：)?\s*"
                   rf"{_FIGURE}{_AND}{_FIGURE}\s*(?:%|％|percent|pct)\s*(?:respectively|分别)?\s*[.。!！]?", re.IGNORECASE)


def respective(s: str) -> Several | None:
    """The two reports a pair of tasks and a pair of percents make, said in order; None if `s` is not that."""
    m = _PAIR.fullmatch(s.strip())
    if m is None or m.group(1).upper() == m.group(2).upper():
        return None
    first, second = int(m.group(3)), int(m.group(4))
    if first > 100 or second > 100:
        return None
    return Several(items=(Report(task=m.group(1).upper(), percent=first), Report(task=m.group(2).upper(), percent=second)))
