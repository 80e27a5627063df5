"""Numbers in chat words: Chinese numerals, percents (80%, 百分之八十, 八成), hours and minutes (3h, 半小时,
1h45, 90分钟), and money amounts (1.2万, ¥12,000)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from bot.constants import MAX_AMOUNT
from commands.errors import err
from commands.model import ParseError

HOURS_MAX = Decimal(24)

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMERAL = re.compile(r"[零〇一二两俩三四五六七八九十百]{1,6}")


def cn_number(s: str) -> int | None:
    """Chinese numerals ("六十五", "一百二十", "百", "两"), or plain ASCII digits; None for anything else."""
    if s.isascii() and s.isdigit():
        return int(s)
    if not _CN_NUMERAL.fullmatch(s):
        return None
    import cn2an  # type: ignore[import-untyped]  # on first use: its import is a third of a second and 3 MB

    try:
        value = cn2an.cn2an(("一" + s if s[0] in "十百" else s).replace("两", "二").replace("俩", "二"), "strict")
    except ValueError:
        return None
    return int(value) if float(value).is_integer() else None


def to_decimal(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def round_int(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------------------------------------
# Percent and hours

_PCT_PREFIX = r"(?:完成度?了?|进度|进展) ?:? ?"
_PCT_CN = re.compile(
    rf"(?:{_PCT_PREFIX})?百分之(?P<num>[0-9]{{1,9}}(?:\.[0-9]{{1,6}})?|[零〇一二两三四五六七八九十百]{{1,6}})"
)

_HOURS_PREFIX = r"(?:(?:工时|用时|耗时|花了|花费) ?:? ?)?"
_HOURS_DIGITS = re.compile(
    # "2,5 hours": a decimal comma (continental Europe), never a thousands separator's three digits
    # "0700 hrs" is a time of day as the military and plants write it, not seven hundred hours
    rf"(?<![A-Za-z0-9_.])(?<![0-9],)(?![0-2][0-9][0-5][0-9] ?hrs(?![A-Za-z])){_HOURS_PREFIX}(?P<num>[+-]?[0-9]{{1,6}}(?:\.[0-9]{{1,4}}|,[0-9]{{1,2}}(?![0-9]))?) ?(?:[个粒] ?)?(?P<half>半 ?|and a half ?)?"
    r"(?:man[- ]?hours?|(?-i:MH)|hours|hour|hrs|hr|h|小时|钟头|(?<=[个粒])钟(?!点)|(?<=[个粒] )钟(?!点)|(?<=[个粒]半)钟(?!点)|(?<=[个粒]半 )钟(?!点))(?![A-Za-z])(?P<half_after>半(?![天日月年个]))?",
    re.IGNORECASE,
)
_HOURS_CN = re.compile(
    rf"{_HOURS_PREFIX}(?P<num>[零一二两俩三四五六七八九十]{{1,4}}|(?<![0-9.])[0-9]{{1,2}}(?= ?[个粒]钟))? ?[个粒]?(?P<half>半)?[个粒]?(?:小时|钟头|钟(?!头|点))"
    r"(?P<half_after>半(?![天日月年个]))?"
)


# Minutes, alone ("90分钟", "45 min") or after hours ("2小时15分钟", "1h45", "1h 45min"). A bare "分" is a score, not
# a minute, except right after hours.
_MINUTES = re.compile(r"(?<![A-Za-z0-9_.])(?P<num>[0-9]{1,4}) ?(?:分钟|minutes|minute|mins|min)(?![A-Za-z])",
                      re.IGNORECASE)
_MINUTES_AFTER_HOURS = re.compile(r"(?:\s?(?P<num>[0-9]{1,2}) ?(?:分钟|分|minutes|minute|mins|min|m)(?![A-Za-z])"
                                  r"|(?P<bare>[0-9]{1,2})(?![0-9A-Za-z%.])"
                                  # "2 hrs 15", "2h 30": a quarter said after a space, when no unit or figure follows
                                  r"|\s(?P<spaced>15|30|45)(?!\s*(?:[0-9%.:/]|[\u4e00-\u9fff]|(?:pcs|units?|[a-z]+s)(?![A-Za-z]))))", re.IGNORECASE)


class Found(NamedTuple):
    start: int
    end: int
    value: Decimal | None  # None: recognised shape but not a number
    raw: str


_PCT_ANYWHERE = re.compile(rf"(?:{_PCT_PREFIX})?(?<![A-Za-z0-9._])(?P<num>[+-]?[0-9]{{1,9}}(?:\.[0-9]{{1,6}})?)"
                           r" ?(?:%|percent(?![A-Za-z])|per cent(?![A-Za-z])|pct(?![A-Za-z]))", re.IGNORECASE)
# "%35" (typed the Turkish way), "百分80"
_PCT_SIGN_FIRST = re.compile(r"(?:(?<![A-Za-z0-9.])%\s?|百分(?!之)\s?)(?P<num>[0-9]{1,3})(?![0-9.%])")
# "X成" anywhere a reader would say it ("八成了", "到了九成"), not inside a word ("九成新", "七八成").
_PCT_CHENG_ANYWHERE = re.compile(rf"(?:{_PCT_PREFIX})?(?<![一二两三四五六七八九十])(?P<tens>[一二两三四五六七八九十])成(?P<ones>[一二三四五六七八九半])?"
                                 r"(?![新色熟功品员])")


def percent_forms(s: str) -> list[Found]:
    """Every percent in `s`, wherever it stands ("做到80%", "百分之八十", "八成"), in order; whether each is
    the task's progress is the reader's to judge from its neighbours (commands/field.py)."""
    found: list[Found] = []
    for pattern in (_PCT_ANYWHERE, _PCT_SIGN_FIRST, _PCT_CN, _PCT_CHENG_ANYWHERE):
        for m in pattern.finditer(s):
            if any(m.start() < f.end and f.start < m.end() for f in found):
                continue
            found.append(_percent_of(pattern, m))
    return sorted(found)


def _percent_of(pattern: re.Pattern[str], m: re.Match[str]) -> Found:
    if pattern is _PCT_CHENG_ANYWHERE:
        tens = m.group("tens")
        value = 100 if tens == "十" else _CN_DIGITS[tens] * 10
        ones = m.group("ones")
        value += (5 if ones == "半" else _CN_DIGITS[ones]) if ones else 0
        return Found(m.start(), m.end(), Decimal(value), str(value))
    if pattern is _PCT_CN and not m.group("num")[0].isdigit():
        cn = cn_number(m.group("num"))
        return Found(m.start(), m.end(), None if cn is None else Decimal(cn), m.group("num") if cn is None else str(cn))
    raw = m.group("num").lstrip("+")
    return Found(m.start(), m.end(), to_decimal(raw), raw)


def find_hours(s: str) -> Found | None:
    best: Found | None = None
    m = _HOURS_DIGITS.search(s)
    if m is not None:
        raw = m.group("num").lstrip("+").replace(",", ".")
        value = to_decimal(raw)
        end = m.end()
        if value is not None and (m.group("half") or m.group("half_after")):  # "1个半小时", "1小时半"
            value += Decimal("0.5")
            raw = str(value)
        elif value is not None:
            more = _MINUTES_AFTER_HOURS.match(s, end)
            minutes = more.group("bare") or more.group("spaced") or more.group("num") if more is not None else None
            if more is not None and minutes is not None and int(minutes) < 60:
                value = (value + Decimal(minutes) / 60).quantize(Decimal("0.01"))
                raw, end = str(value), more.end()
        best = Found(m.start(), end, value, raw)
    else:
        m = _MINUTES.search(s)
        if m is not None:
            value = (Decimal(m.group("num")) / 60).quantize(Decimal("0.01"))
            return Found(m.start(), m.end(), value, str(value))
    for m in _HOURS_CN.finditer(s):
        if best is not None and m.start() >= best.start:
            break
        if not (m.group("num") or m.group("half")):
            continue
        whole = cn_number(m.group("num")) if m.group("num") else 0
        if whole is None:
            continue
        halves = bool(m.group("half")) + bool(m.group("half_after"))  # "一个半钟", "一小时半"; "半个钟半" is no time
        if halves > 1:
            continue
        value = Decimal(whole) + (Decimal("0.5") if halves else 0)
        end = m.end()
        more = _CN_MINUTES_AFTER.match(s, end) if not halves else None
        minutes = cn_number(more.group("num")) if more is not None else None
        if more is not None and minutes is not None and minutes < 60:
            value, end = (value + Decimal(minutes) / 60).quantize(Decimal("0.01")), more.end()
        best = Found(m.start(), end, value, str(value))
        break
    if best is None:
        m = _CN_MINUTES.search(s)
        minutes = cn_number(m.group("num")) if m is not None else None
        if m is not None and minutes is not None:
            value = (Decimal(minutes) / 60).quantize(Decimal("0.01"))
            return Found(m.start(), m.end(), value, str(value))
    m = _HOURS_EN.search(s)
    if m is not None and (best is None or m.start() < best.start):
        if m.group("halfhour"):
            value = Decimal("0.5")
        elif m.group("hourhalf"):
            value = Decimal("1.5")
        else:
            part = (m.group("half") or m.group("half2") or "").lower()
            value = Decimal(_EN_NUMBERS[m.group("n").lower()]) + _EN_PARTS.get(part.removeprefix(" and "), Decimal(0))
            if m.group("minutes") and not part:  # "two hours fifteen"
                value += _EN_MINUTES[m.group("minutes").lower().replace(" ", "-")]
        best = Found(m.start(), m.end(), value, str(value))
    return best


_CN_MINUTES_AFTER = re.compile(r"\s*(?:零)?(?P<num>[一二两三四五六七八九十]{1,3}|[0-9]{1,2})\s*分(?:钟)?")
_CN_MINUTES = re.compile(r"(?<![零〇一二两三四五六七八九十百])(?P<num>[一二两三四五六七八九十百零]{1,5})\s*分钟")
_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
               "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}
_EN_MINUTES = {"fifteen": Decimal("0.25"), "thirty": Decimal("0.5"), "forty-five": Decimal("0.75")}
_EN_PARTS = {"a half": Decimal("0.5"), "half": Decimal("0.5"), "a quarter": Decimal("0.25"), "a quater": Decimal("0.25"),
             "three quarters": Decimal("0.75")}
_HOURS_EN = re.compile(
    r"(?<![A-Za-z])(?:(?P<halfhour>half an? hour|half-hour|half hour)|(?P<hourhalf>(?<!an )(?<!one )(?<!a )hour and a half)"
    r"|(?P<n>an|a|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)(?P<half> and (?:a half|half|a quarter|three quarters))? hours?"
    r"(?P<half2> and (?:a half|half|a qua(?:r)?ter|three quarters))?)"
    r"(?: (?P<minutes>fifteen|thirty|forty[- ]five)(?! (?:minutes? )?(?:later|ago|left|to go|more)))?(?![A-Za-z])",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------------------------
# Money

_AMOUNT = re.compile(
    r"(?P<cur>[¥$])? ?(?P<num>[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,15})(?:\.[0-9]{1,4})?)"
    r"(?P<unit>万|千|百|k|w)?(?:元|块|rmb|cny)?",
    re.IGNORECASE,
)
# Glued to Chinese text ("备件采购12000元") only with a currency sign or unit, so "采购2026" stays a subject.
AMOUNT_GLUED = re.compile(
    r"(?<=[^\x00-\x7f])(?:[¥$][0-9][0-9,]*(?:\.[0-9]{1,4})?(?:万|千)?(?:元|块)?|[0-9][0-9,]*(?:\.[0-9]{1,4})?(?:万|千)?(?:元|块))$"
)
_MULTIPLIERS = {"万": 10000, "w": 10000, "千": 1000, "k": 1000, "百": 100}


def amount(token: str, verb: str) -> Decimal | ParseError | None:
    """`token` as a money amount; None if it is not one, a ParseError if it is one out of range."""
    m = _AMOUNT.fullmatch(token)
    if m is None:
        return None
    value = to_decimal(m.group("num").replace(",", ""))
    if value is None:
        return None
    unit = (m.group("unit") or "").lower()
    value *= _MULTIPLIERS.get(unit, 1)
    if not Decimal(0) < value <= MAX_AMOUNT:
        return err("bad_amount", verb, value=token)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value
