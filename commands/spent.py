"""Hours in chat words that are not time spent: a range ("2-3h", "两三个小时": asked), a frequency ("每4小时",
"every 2 hours") and time still to come ("还要6小时", "another 5h to go"): never written as work logged."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from commands import field_doubts as d
from commands import field_words as w
from commands import hour_words as hw
from commands.errors import PARAM_MAX_CHARS, err
from commands.field_percent import clause_before, read_percent
from commands.model import ParseError
from commands.numbers import HOURS_MAX, Found, find_hours
from commands.text import EDGE_PUNCT, blank, clean

_FREQUENCY_BEFORE = re.compile(r"(?:每隔?|(?<![间相距])隔|每天|每班|every|per|each)\s*$"
                               # a round that repeats, earlier in the clause ("每个 shift 巡检 30 min", "each visit 20 min")
                               r"|(?:每(?:个|一)?\s*(?:shift|班|天|日|周|星期|次|轮|趟|晚|早上?)|每个(?!都)\s*[A-Za-z\u4e00-\u9fff]|(?<![A-Za-z])(?:every|each|per)\s+"
                               r"(?:shift|day|night|week|round|visit|run|cycle|time|morning|evening|pass)(?![A-Za-z]))[^,，;；。.]*$"
                               # how long each time, after how often ("rolled every 4 hours for 10 min")
                               r"|(?<![A-Za-z])every\s+(?:[0-9.]+\s*(?:h|hrs?|hours?|mins?|minutes?)\s+)?for\s*$",
                               re.IGNORECASE)
_TO_COME_BEFORE = re.compile(
    r"(?:(?:还要|还得|还需要?|再)(?:干|做|弄|忙|搞)|(?:还要|还得|还需要?)[\u4e00-\u9fff]|还要|(?<![只就才花用])要|还需要?|还差|还得|还剩|剩下?|预计|估计|大概还|需要|得要|要再|再干|再|another|remaining|left|need|needs|takes|"
    r"eta|estimated?|about another|take|takes|plan(?:ned)?(?: is| for)?|should take|will take|would take|might take|within|(?<![A-Za-z])(?:doors|show|showtime|curtain|call|kick-?off|start|arrival|delivery)\s+in|in the next|every|"
    r"(?:begin|begins|start|starts|starting|ready|be done|be finished|be back|back|arrive|arrives|there|kick off)\s+in)\s*(?:约|大约|大概|差不多|about|around)?\s*$",
    re.IGNORECASE)
_TO_COME_AFTER = re.compile(r"^\s*(?:(?:of (?:work|it|this) )?(?:to go|left|remaining)|more|之后|以后|后|才能|才准|才可以|才让|才许|就能|能完|estimate|needed|to finish)",
                            re.IGNORECASE)
_RANGE_BEFORE = re.compile(r"[0-9零一二两三四五六七八九十]\s*(?:h|小时|个小时)?\s*(?:-|~|～|到|至|or|或|and|to)\s*$"
                           r"|(?:over|more than|at least|almost|nearly|under|less than|not even|barely|hardly|超过|至少|将近|快|不到|"
                           r"不足|起码)\s*$",
                           re.IGNORECASE)
_CN_RANGE = re.compile(r"[一二两三四五六七八九][两二三四五六七八九]个?多?\s*(?:小时|钟头|钟(?!点)|hours?|hrs?|h\b)|[0-9]+个?多(?:小时|钟头)"
                       r"|(?<![A-Za-z])(?:one|two|three|four|five|six|seven|eight|nine|ten|[0-9]{1,2})\s*(?:to|or|-)\s*(?:two|three|four|"
                       r"five|six|seven|eight|nine|ten|eleven|twelve)\s*(?:hours?|hrs?)(?![A-Za-z])",
                       re.IGNORECASE)  # 两三个小时, 3个多小时, "two to three hours"

# The time a measured change took ("20% → 80% in 28 min", "充到80%用了40分钟"): the thing's time, not work.
# ... unless the figure is labelled progress ("进度 30% 用了 4h": the task's, then its time)
_MEASURED_BEFORE = re.compile(r"(?<![0-9])(?<!进度)(?<!进度 )(?<!(?i:progress) )(?<!完成)[0-9]{1,3}\s*%\s*(?:in|within|用了?|耗时|花了)\s*$", re.IGNORECASE)

# A bare figure after the word for time spent ("今天工时3.5", "hours spent: 2"): hours, as a figure after 进度 is a percent.
_LABELLED_HOURS = re.compile(r"(?:工时|(?<![A-Za-z])(?:hours spent|time spent|hours|hrs)\s*[:：=])\s*(?:是|为|[:：=])?\s*"
                             r"(?P<num>[0-9]{1,2}(?:\.[0-9]{1,2})?)(?![0-9.%:])", re.IGNORECASE)

_ESTIMATE_BEFORE_LABEL = re.compile(r"预计|预估|估计|计划|剩余|还需|还要|标准|定额|额定|总|estimated?|planned|remaining|budget(?:ed)?|"
                                   r"total|expected|quoted", re.IGNORECASE)

# A duration per unit of the work ("20 min each", "3分钟一个"): a rate, not the time spent; with one task, asked (with
# several, "2h each" shares the hours: commands/field.py's _each).
PER_UNIT = re.compile(r"[0-9.]+\s*(?:h|hrs?|hours?|mins?|minutes?|个?小时|分钟)\s*(?:each|apiece|a piece|per\s+[A-Za-z]+|一个|每个|一根|一条|一台)"
                      r"(?![A-Za-z])|(?<![A-Za-z])(?:every|each)\s+[A-Za-z]+\s+(?:took|takes|needs?)\s*(?:like|about|around)?\s*[0-9.]+\s*(?:h|hrs?|mins?|minutes?)|一帧[^0-9,，;；。]{0,8}?[0-9.]+\s*(?:秒|分钟|mins?|minutes?|s(?![A-Za-z]))|每(?:个(?!\s*(?:shift|班|小时|钟头|hours?|days?|天|周|星期|礼拜|月))|[块台根条件片张扇组套只间门家户站层栋处帧])[^0-9,，;；。]{0,24}?[0-9.]+\s*(?:h|hrs?|mins?|minutes?|个?小时|分钟)", re.IGNORECASE)

_AND_MINUTES = re.compile(r"\s*(?:and|又|零|加|&)?\s*", re.IGNORECASE)
_HOURS_THEN = re.compile(r"(?:小时|钟头|hours?|hrs?|h)\s*(?:零|又|加|and|&)?\s*$", re.IGNORECASE)

NotSpent = Literal["range", "frequency", "to_come", "measured"]


def not_spent(task: str, tail: str, verb: str) -> tuple[NotSpent, ParseError] | None:
    """Why the hours in `tail` are not time spent, with the question to ask about them; None if they are (or
    there are none)."""
    s = tail.strip(EDGE_PUNCT)
    m = _CN_RANGE.search(s)
    if m is not None and _TO_COME_BEFORE.search(s[: m.start()]):
        return "to_come", err("unclear_hours", verb, value=m.group(0), task=task, example="2")
    if m is not None:
        return "range", err("unclear_hours", verb, value=m.group(0), task=task, example="2")
    hrs = find_hours(s)
    if hrs is None:
        return None
    before, after = s[: hrs.start], s[hrs.end :]
    kind: NotSpent | None = "range" if _RANGE_BEFORE.search(before) else "frequency" \
        if _FREQUENCY_BEFORE.search(before) and not PER_UNIT.search(s) else "measured" if _MEASURED_BEFORE.search(before) and not _progress_before(before) \
        else "to_come" \
        if _TO_COME_BEFORE.search(before) or _TO_COME_AFTER.match(after) else None
    if kind is None:
        return None
    start = max(0, before.rfind(" ", 0, max(0, len(before) - 1)) + 1) if before.strip() else hrs.start
    return kind, err("unclear_hours", verb, value=s[start : hrs.end].strip()[:PARAM_MAX_CHARS], task=task,
                     example=hrs.raw.lstrip("-") or "2")


def _progress_before(before: str) -> bool:
    """The percent before "用了" is the task's progress ("换灯 60% 用了2小时"), not a measurement's ("充到80%用了2小时")."""
    return read_percent(before, bare_is_percent=False).value is not None


def spent_hours(t: str, task: str, verb: str) -> Found | ParseError | None:
    """Time spent, if the words say it exactly; a question where they give a range; None otherwise."""
    span = hw.CLOCK_SPAN.search(t)  # a span of clock times asks, unless the hours are said as well ("3 点到 5 点 … 2h")
    if span is not None and hw.WINDOW_BEFORE.search(t[: span.start()]):
        span = None  # "possession 01:10-04:20": the window, not the work
    if (span is not None and find_hours(blank(t, [span.span()])) is None) or hw.VAGUE_HOURS.search(t):
        return err("unclear_hours", verb, value=clean(t)[:PARAM_MAX_CHARS], task=task, example="2")
    for pattern, value in hw.QUARTER_HOURS:
        m = pattern.search(t)
        prior = find_hours(t[: m.start()]) if m is not None and _HOURS_THEN.search(t[: m.start()]) else None
        if m is not None and prior is not None and prior.value is not None:  # "一个钟头零一刻钟": 1.25
            return Found(prior.start, m.end(), prior.value + Decimal(value), t[prior.start : m.end()])
        if m is not None:
            return Found(m.start(), m.end(), Decimal(value), value)
    found = find_hours(t)
    labelled = _LABELLED_HOURS.search(t) if found is None else None
    if labelled is not None and not _ESTIMATE_BEFORE_LABEL.search(clause_before(t, labelled.start())):
        found = Found(labelled.start(), labelled.end(), Decimal(labelled.group("num")), labelled.group("num"))
    tested = False  # a time read as a test's or a machine's, set aside
    while True:
        why = not_spent(task, t, verb)  # also a range find_hours does not read ("两三个小时")
        if why is not None and why[0] == "range":
            return why[1]
        if found is None:
            return None
        if why is None and not hw.HOURS_NOT_SPENT_AFTER.match(t[found.end :]) and not hw.HOURS_IDLE_BEFORE.search(t[: found.start]) \
                and not hw.SOMEONE_ELSE_BEFORE.search(clause_before(t, found.start)) \
                and not d.TEST_RUNS.search(t[: found.start]) \
                and not hw.TEST_CONTEXT.search(clause_before(t, found.start)):
            break
        tested = tested or bool(hw.TEST_CONTEXT.search(clause_before(t, found.start)) or d.TEST_RUNS.search(t[: found.start]))
        t = blank(t, [(found.start, found.end)])  # not time spent: look for time that was
        found = find_hours(t)
        if found is not None and tested:
            return err("unclear_hours", verb, value=clean(t)[:PARAM_MAX_CHARS], task=task, example="2")  # "写 unit test 1 小时，review 又半小时"
    if found.value is None or not Decimal(0) <= found.value <= HOURS_MAX:
        return err("bad_hours", verb, value=found.raw)
    # "预计 3 hours 能做完" (time to come said as if spent); "a 3h drive to site, then 2h on the pumps" (two times:
    # which was spent on the task?): asked.
    other = spent_hours(blank(t, [(found.start, found.end)]), task, verb)
    first, then = sorted((found, other), key=lambda f: f.start) if isinstance(other, Found) else (found, None)
    if then is not None and first.value is not None and then.value is not None and then.value < 1 <= first.value \
            and _AND_MINUTES.fullmatch(t[first.end : then.start]):  # "an hour and 15 min": one time
        return Found(first.start, then.end, first.value + then.value, t[first.start : then.end])
    if w.FORECAST_BEFORE.search(clause_before(t, found.start)) or hw.PART_OF_THEM_AFTER.search(t, found.end) or (
            isinstance(other, Found) and other.value != found.value and not w.FORECAST_BEFORE.search(clause_before(t, other.start))):
        return err("unclear_hours", verb, value=clean(t)[:PARAM_MAX_CHARS], task=task, example="2")
    return found
