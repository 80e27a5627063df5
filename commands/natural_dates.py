"""Due dates as people say them: 今天/明天/后天, 周五, 下周五, 12月20日, today, tomorrow, Friday, next Friday,
Dec 20, 20 Dec 2027, the 28th, 28号, in 3 days, 3天后, 下个月15号, 月底/end of the month, 下个月底, 年底/end of the year, plus the numeric forms of commands/dates.py. `today` is the person's
own day (the handler passes it from the injected clock and their timezone); a year-less date takes the year
commands/dates.py gives it, so a date just past stays past (and is refused), never moved a year on silently."""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from commands.dates import _infer_year, _make_date, date_at

_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_WEEKDAYS_EN = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_MONTHS_EN = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_RELATIVE = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3, "today": 0, "tomorrow": 1,
             "the day after tomorrow": 2, "day after tomorrow": 2}
_ZH_WEEK = re.compile(r"(?P<which>下下|下|这|本)?(?:个)?(?:周|星期|礼拜)(?P<d>[一二三四五六日天七])")
_EN_WEEK = re.compile(r"(?P<which>next|this)? ?(?P<d>mon|tue|wed|thu|fri|sat|sun)[a-z]*")
_EN_MONTH_DAY = re.compile(r"(?P<m>[a-z]{3})[a-z]*\.? (?P<d>[0-9]{1,2})(?:st|nd|rd|th)?(?:,? (?P<y>[0-9]{4}))?")
_EN_DAY_MONTH = re.compile(r"(?P<d>[0-9]{1,2})(?:st|nd|rd|th)? (?P<m>[a-z]{3})[a-z]*\.?(?: (?P<y>[0-9]{4}))?")
_NEXT_MONTH_DAY = re.compile(r"(?:下个?月|next month(?:'s)?(?: the)?) ?(?P<d>[0-9]{1,2})(?:号|日|st|nd|rd|th)?")
# The last day of this month, of the next one, or of the year; "月底前"/"by the end of the month" is that day too.
_MONTH_END = re.compile(r"(?:(?P<next>下个?)|本|这个?)?(?:月底|月末)前?|(?:by )?(?:the )?end of (?:the |this |(?P<next_en>next) )?month"
                        r"|(?:this|(?P<next_end>next)) month'?s? end|eom")
_YEAR_END = re.compile(r"(?:今年)?(?:年底|年末)前?|(?:by )?end of (?:the |this )?year|eoy")
# "the 28th", "28号": that day of this month (one already past is refused, as any past date is, never moved on)
_DAY_OF_MONTH = re.compile(r"(?:the )?(?P<d>[0-9]{1,2})(?:st|nd|rd|th|号|日)")
_IN_DAYS = re.compile(r"in (?P<n>[0-9]{1,3}) days?|(?P<zh>[0-9]{1,3}) ?天(?:后|以后|之后)")


def natural_date(text: str, today: date) -> date | None:
    """The date `text` (the whole of it) names, or None when it names none (or no real one: Feb 30)."""
    s = " ".join(text.strip().lower().split())
    if s in _RELATIVE:
        return today + timedelta(days=_RELATIVE[s])
    hit = date_at(s, 0, today)
    if hit is not None and hit.end == len(s):
        return hit.value
    m = _ZH_WEEK.fullmatch(s) or _EN_WEEK.fullmatch(s)
    if m is not None:
        day = _WEEKDAYS_ZH.get(m.group("d"), _WEEKDAYS_EN.get(m.group("d")))
        if day is None or (m.re is _EN_WEEK and not _plain_weekday(s)):
            return None
        which = {"下下": 2, "下": 1, "next": 1}.get(m.group("which") or "", 0)
        if which or m.group("which"):  # 下周五 / this Friday: that week's day, the week starting on Monday
            return today - timedelta(days=today.weekday()) + timedelta(days=7 * which + day)
        return today + timedelta(days=(day - today.weekday()) % 7)  # 周五 / Friday: the coming one
    m = _EN_MONTH_DAY.fullmatch(s) or _EN_DAY_MONTH.fullmatch(s)
    if m is not None and m.group("m") in _MONTHS_EN:
        month, day_no = _MONTHS_EN[m.group("m")], int(m.group("d"))
        if m.group("y"):
            return _make_date(int(m.group("y")), month, day_no)
        return _infer_year(month, day_no, today)
    m = _NEXT_MONTH_DAY.fullmatch(s)
    if m is not None:  # 下个月15号: that day of the month after this one
        year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
        return _make_date(year, month, int(m.group("d")))
    m = _DAY_OF_MONTH.fullmatch(s)
    if m is not None:
        return _make_date(today.year, today.month, int(m.group("d")))
    m = _IN_DAYS.fullmatch(s)
    if m is not None:
        return today + timedelta(days=int(m.group("n") or m.group("zh")))
    m = _MONTH_END.fullmatch(s)
    if m is not None:
        year, month = today.year, today.month
        if m.group("next") or m.group("next_en") or m.group("next_end"):
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return date(year, month, calendar.monthrange(year, month)[1])
    if _YEAR_END.fullmatch(s):
        return date(today.year, 12, 31)
    return None


def _plain_weekday(s: str) -> bool:
    """"friday", "fri", "next friday" — not "frightful" (the English pattern takes any letters after the stem)."""
    word = s.split()[-1]
    return any(full.startswith(word) for full in ("monday", "tuesday", "wednesday", "thursday", "friday",
                                                  "saturday", "sunday")) and len(word) >= 3
