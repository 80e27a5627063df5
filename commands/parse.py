"""Parse one chat message (zh or en) into a `Command` or a `ParseError`. Pure: no I/O, never raises."""

from __future__ import annotations

import difflib
import re
import unicodedata
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal, NamedTuple

from bot.text import has_secret
from commands.model import (
    AdminLink,
    AlertAction,
    Apply,
    Approvals,
    Approve,
    Block,
    Command,
    DashboardLink,
    Delegate,
    Done,
    FieldLink,
    Help,
    Link,
    LinkDecision,
    LinkSecret,
    MyTasks,
    New,
    ParseError,
    ParseErrorCode,
    Reject,
    Report,
    Request,
    Risks,
    Standup,
    StandupSchedule,
    Status,
    Subscribe,
)

MAX_TEXT_CHARS = 2000

VERBS: dict[str, tuple[str, ...]] = {
    "help": ("help", "h", "?", "帮助", "帮忙"),
    "status": ("status", "st", "状态", "进度", "查询"),
    "my": ("my", "mine", "my tasks", "我的", "我的任务", "我的待办"),
    "report": ("report", "r", "汇报", "报告", "上报"),
    "done": ("done", "finish", "complete", "完成", "已完成"),
    "block": ("block", "blocked", "阻塞", "卡住", "受阻"),
    "approve": ("approve", "ok", "lgtm", "同意", "批准", "通过"),
    "reject": ("reject", "deny", "驳回", "拒绝", "不同意"),
    "approvals": ("approvals", "pending", "待审批", "审批", "我的审批"),
    "delegate": ("delegate", "forward", "转交", "委托", "转审"),
    "ack": ("ack", "acknowledge", "知悉", "已知悉"),
    "snooze": ("snooze", "稍后", "稍后提醒"),
    "apply": ("apply", "确认更新", "应用"),
    "risks": ("risks", "risk", "风险"),
    # "请假" on its own is shorthand for "standup away".
    "standup": ("standup", "站会", "日报", "请假"),
    "link": ("link", "bind", "绑定"),
    "subscribe": ("subscribe", "sub", "订阅"),
    "new": ("new", "create", "add", "新建", "创建", "新任务"),
    "request": ("request", "req", "申请"),
    "field": ("field", "现场", "现场汇报"),
    "dashboard": ("dashboard", "看板", "仪表盘"),
    "admin": ("admin", "管理", "管理后台"),
}

_ALIAS_TO_VERB: dict[str, str] = {alias: verb for verb, aliases in VERBS.items() for alias in aliases}
# Longest first so "我的任务" wins over "我的" and "my tasks" over "my".
_ALIASES_LONGEST_FIRST: tuple[str, ...] = tuple(sorted(_ALIAS_TO_VERB, key=len, reverse=True))
_ALL_ALIASES: list[str] = list(_ALIAS_TO_VERB)

_PARAM_MAX = 40
_AMOUNT_MAX = Decimal(10) ** 12
_HOURS_MAX = Decimal(24)
_YEAR_ROLLOVER = timedelta(days=60)

# ---------------------------------------------------------------------------------------------------------
# Normalisation

_TRANSLATE: dict[int, str | None] = {
    **{c: " " for c in range(0x00, 0x20)},
    **{c: " " for c in range(0x7F, 0xA0)},
    0x200B: None,  # zero-width space, BOM, word joiner, soft hyphen: invisible paste debris
    0xFEFF: None,
    0x2060: None,
    0x00AD: None,
    0x3001: ",",  # 、
    0x2010: "-",  # hyphen / non-breaking hyphen / figure dash / minus sign pasted from office documents
    0x2011: "-",
    0x2012: "-",
    0x2212: "-",
}
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_WS = re.compile(r"\s+")
_CN_DECIMAL_POINT = re.compile(r"(?<=[0-9])。(?=[0-9])")
_DATE_LIKE = r"(?:(?:[0-9]{4}[-/.])?[0-9]{1,2}[-/][0-9]{1,2}|(?:[0-9]{4}年)?[0-9]{1,2}月[0-9]{1,2}[日号]?)"
_DATE_RANGE_DASH = re.compile(
    rf"({_DATE_LIKE}) ?(?:~|〜|—{{1,2}}|–) ?(?=(?:[0-9]{{4}}[-/.年])?[0-9]{{1,2}}[-/月日号])"
)
_MENTION = re.compile(r"(?:<@[^>\s]{1,80}>|@[^\s:,]{1,64}(?=[\s:,])) ?[:,]? ?(?=\S)")
_SLASH_PMS = re.compile(r"/pms(?: |$)", re.IGNORECASE)


def normalize(text: str) -> str:
    """Canonical form of a chat message: NFKC, ASCII punctuation, single spaces, no bot mention or `/pms`."""
    s = unicodedata.normalize("NFKC", text)
    s = _SURROGATE.sub("\ufffd", s)
    s = s.translate(_TRANSLATE)
    s = _WS.sub(" ", s).strip()
    s = _CN_DECIMAL_POINT.sub(".", s)
    s = _DATE_RANGE_DASH.sub(r"\1..", s)
    m = _MENTION.match(s)
    if m:
        s = s[m.end() :]
    m = _SLASH_PMS.match(s)
    if m:
        s = s[m.end() :]
    return s.strip()


# ---------------------------------------------------------------------------------------------------------
# Small helpers

_EDGE_PUNCT = " ,;:、。"
_TOKEN_TRAIL = ",;:.!?"


def _clip(value: str) -> str:
    return value[:_PARAM_MAX]


def _err(code: ParseErrorCode, verb: str | None, **params: str) -> ParseError:
    return ParseError(code=code, verb=verb, params={k: _clip(v) for k, v in params.items()})


def _missing(verb: str, arg: str) -> ParseError:
    return _err("missing_argument", verb, arg=arg)


def _first_token(s: str) -> str:
    return s.split(" ", 1)[0]


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def _clean(s: str) -> str:
    return _WS.sub(" ", s).strip(_EDGE_PUNCT)


def _remove_spans(s: str, spans: list[tuple[int, int]]) -> str:
    """Cut recognised tokens out of `s`; glue CJK neighbours directly, separate everything else by a space."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        out.append(s[pos:start])
        left = s[start - 1] if start > 0 else " "
        right = s[end] if end < len(s) else " "
        out.append("" if _is_cjk(left) and _is_cjk(right) else " ")
        pos = end
    out.append(s[pos:])
    return _clean("".join(out))


def _blank(s: str, spans: list[tuple[int, int]]) -> str:
    """Same length as `s` with `spans` overwritten, so later searches keep valid indices."""
    chars = list(s)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)


_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_NUMBER_SHAPE = re.compile(
    r"[一二两三四五六七八九]?百(?:零?[一二三四五六七八九]|[一二三四五六七八九]?十[一二三四五六七八九]?)?"
    r"|[一二两三四五六七八九]?十[一二三四五六七八九]?"
    r"|[零〇一二两三四五六七八九]"
)


def _cn_number(s: str) -> int | None:
    """Chinese numerals up to the hundreds ("六十五", "一百二十", "百"), or plain ASCII digits."""
    if s.isascii() and s.isdigit():
        return int(s)
    if not _CN_NUMBER_SHAPE.fullmatch(s):
        return None
    total = current = 0
    for ch in s:
        if ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            current = _CN_DIGITS[ch]
    return total + current


def _to_decimal(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _round_int(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------------------------------------------------
# Keys

_TASK_KEY_AT = re.compile(r"([A-Za-z][A-Za-z0-9]{1,9}-[0-9]{1,9})(?![A-Za-z0-9_\-]|\.[0-9])")
_ANY_KEY_AT = re.compile(r"([A-Za-z][A-Za-z0-9]{1,9}(?:-[0-9]{1,9})?)(?![A-Za-z0-9_\-]|\.[0-9])")
_PROJECT_KEY_AT = re.compile(r"([A-Za-z][A-Za-z0-9]{1,9})(?![A-Za-z0-9_\-]|\.[0-9])")


def _key_at_start(pattern: re.Pattern[str], s: str) -> tuple[str, str] | None:
    m = pattern.match(s)
    if m is None:
        return None
    return m.group(1).upper(), s[m.end() :].strip(_EDGE_PUNCT)


def _task_arg(rest: str, verb: str) -> tuple[str, str] | ParseError:
    if not rest:
        return _missing(verb, "task")
    found = _key_at_start(_TASK_KEY_AT, rest)
    if found is None:
        return _err("bad_task_key", verb, value=_first_token(rest))
    return found


# ---------------------------------------------------------------------------------------------------------
# Percent and hours

_PCT_PREFIX = r"(?:完成度?了?|进度|进展) ?:? ?"
# Start of text or after a separator: "今天80%" stays a note, "完成80%" is a percent.
_LEFT_EDGE = r"(?<![^ ,;:(\[])"
_RIGHT_EDGE = r"(?![^ ,;:.!?)\]。])"
_PCT_DIGITS = re.compile(rf"(?:{_PCT_PREFIX}|{_LEFT_EDGE})(?P<num>[+-]?[0-9]{{1,9}}(?:\.[0-9]{{1,6}})?) ?%")
_PCT_CN = re.compile(
    rf"(?:{_PCT_PREFIX})?百分之(?P<num>[0-9]{{1,9}}(?:\.[0-9]{{1,6}})?|[零〇一二两三四五六七八九十百]{{1,6}})"
)
_PCT_CHENG = re.compile(
    rf"(?:{_PCT_PREFIX}|{_LEFT_EDGE})(?P<tens>[一二两三四五六七八九十])成(?P<ones>[一二三四五六七八九])?{_RIGHT_EDGE}"
)
_BARE_INT = re.compile(r"[+-]?[0-9]{1,9}")
_BARE_FRACTION = re.compile(r"[0-9]{0,3}\.[0-9]{1,6}")

_HOURS_PREFIX = r"(?:(?:工时|用时|耗时|花了|花费) ?:? ?)?"
_HOURS_DIGITS = re.compile(
    rf"(?<![A-Za-z0-9_.]){_HOURS_PREFIX}(?P<num>[+-]?[0-9]{{1,6}}(?:\.[0-9]{{1,4}})?) ?(?:个 ?)?(?P<half>半 ?)?"
    r"(?:hours|hour|hrs|hr|h|小时|钟头)(?![A-Za-z])",
    re.IGNORECASE,
)
_HOURS_CN = re.compile(
    rf"{_HOURS_PREFIX}(?P<num>[零一二两三四五六七八九十]{{1,4}})?个?(?P<half>半)?个?(?:小时|钟头)"
)


# Minutes, alone ("90分钟", "45 min") or after hours ("2小时15分钟", "1h45", "1h 45min"). A bare "分" is a score, not
# a minute, except right after hours.
_MINUTES = re.compile(r"(?<![A-Za-z0-9_.])(?P<num>[0-9]{1,4}) ?(?:分钟|minutes|minute|mins|min)(?![A-Za-z])",
                      re.IGNORECASE)
_MINUTES_AFTER_HOURS = re.compile(r"(?:\s?(?P<num>[0-9]{1,2}) ?(?:分钟|分|minutes|minute|mins|min|m)(?![A-Za-z])"
                                  r"|(?P<bare>[0-9]{1,2})(?![0-9A-Za-z%.]))", re.IGNORECASE)


class _Found(NamedTuple):
    start: int
    end: int
    value: Decimal | None  # None: recognised shape but not a number
    raw: str


def _find_percent(s: str) -> _Found | None:
    best: _Found | None = None
    for pattern in (_PCT_DIGITS, _PCT_CN, _PCT_CHENG):
        m = pattern.search(s)
        if m is None or (best is not None and m.start() >= best.start):
            continue
        if pattern is _PCT_CHENG:
            tens = m.group("tens")
            value = 100 if tens == "十" else _CN_DIGITS[tens] * 10
            ones = m.group("ones")
            value += _CN_DIGITS[ones] if ones else 0
            best = _Found(m.start(), m.end(), Decimal(value), str(value))
        elif pattern is _PCT_CN and not m.group("num")[0].isdigit():
            cn = _cn_number(m.group("num"))
            if cn is None:
                best = _Found(m.start(), m.end(), None, m.group("num"))
            else:
                best = _Found(m.start(), m.end(), Decimal(cn), str(cn))
        else:
            raw = m.group("num").lstrip("+")
            best = _Found(m.start(), m.end(), _to_decimal(raw), raw)
    return best


def _find_hours(s: str) -> _Found | None:
    best: _Found | None = None
    m = _HOURS_DIGITS.search(s)
    if m is not None:
        raw = m.group("num").lstrip("+")
        value = _to_decimal(raw)
        end = m.end()
        if value is not None and m.group("half"):
            value += Decimal("0.5")
            raw = str(value)
        elif value is not None:
            more = _MINUTES_AFTER_HOURS.match(s, end)
            minutes = more.group("bare") or more.group("num") if more is not None else None
            if more is not None and minutes is not None and int(minutes) < 60:
                value = (value + Decimal(minutes) / 60).quantize(Decimal("0.01"))
                raw, end = str(value), more.end()
        best = _Found(m.start(), end, value, raw)
    else:
        m = _MINUTES.search(s)
        if m is not None:
            value = (Decimal(m.group("num")) / 60).quantize(Decimal("0.01"))
            return _Found(m.start(), m.end(), value, str(value))
    for m in _HOURS_CN.finditer(s):
        if best is not None and m.start() >= best.start:
            break
        if not (m.group("num") or m.group("half")):
            continue
        whole = _cn_number(m.group("num")) if m.group("num") else 0
        if whole is None:
            continue
        value = Decimal(whole) + (Decimal("0.5") if m.group("half") else 0)
        best = _Found(m.start(), m.end(), value, str(value))
        break
    return best


class _Progress(NamedTuple):
    percent: int | None
    hours: Decimal | None
    note: str


def _progress(tail: str, *, verb: str, with_percent: bool) -> _Progress | ParseError:
    """Percent, hours and note in any order after a task key."""
    s = tail.strip(_EDGE_PUNCT)
    spans: list[tuple[int, int]] = []
    percent: int | None = None
    if with_percent:
        pct = _find_percent(s)
        if pct is not None:
            if pct.value is None:
                return _err("bad_percent", verb, value=s[pct.start : pct.end])
            if not Decimal(0) <= pct.value <= Decimal(100):
                return _err("percent_out_of_range", verb, value=pct.raw)
            percent = _round_int(pct.value)
            spans.append((pct.start, pct.end))

    hrs = _find_hours(_blank(s, spans))
    hours: Decimal | None = None
    if hrs is not None:
        if hrs.value is None or not Decimal(0) <= hrs.value <= _HOURS_MAX:
            return _err("bad_hours", verb, value=hrs.raw)
        hours = hrs.value
        spans.append((hrs.start, hrs.end))

    if with_percent and percent is None:
        token = _first_token(s)
        first = token.rstrip(_TOKEN_TRAIL)
        if first and not _overlaps((0, len(token)), spans):
            if _BARE_INT.fullmatch(first):
                value = Decimal(first)
                if not Decimal(0) <= value <= Decimal(100):
                    return _err("percent_out_of_range", verb, value=first.lstrip("+"))
                percent = int(value)
                spans.append((0, len(token)))
            elif _BARE_FRACTION.fullmatch(first):
                fraction = Decimal(first)
                if Decimal(0) < fraction <= Decimal(1):
                    percent = _round_int(fraction * 100)
                    spans.append((0, len(token)))
        if percent is None:
            for word in _blank(s, spans).split():
                word = word.rstrip(_TOKEN_TRAIL)
                if word.endswith("%") and word.isascii():
                    return _err("bad_percent", verb, value=word)

    return _Progress(percent, hours, _remove_spans(s, spans))


# ---------------------------------------------------------------------------------------------------------
# Dates

_DATE_FORMS: tuple[re.Pattern[str], ...] = (
    re.compile(r"(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})[-/.](?P<d>[0-9]{1,2})(?![0-9])"),
    re.compile(r"(?:(?P<y>[0-9]{4})年)?(?P<m>[0-9]{1,2})月(?P<d>[0-9]{1,2})(?![0-9])[日号]?"),
    re.compile(r"(?P<m>[0-9]{1,2})[-/](?P<d>[0-9]{1,2})(?![0-9])"),
)
_DAY_ONLY = re.compile(r"(?P<d>[0-9]{1,2})[日号]")
_RANGE_SEP = re.compile(r" ?(?:\.{2,}|~|〜|—{1,2}|–|-|到|至) ?")


class _DateHit(NamedTuple):
    value: date | None  # None: matched the shape but not a real date
    end: int
    explicit_year: bool


def _make_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _infer_year(month: int, day: int, today: date) -> date | None:
    """A year-less date more than 60 days in the past means next year ("01-02" typed in late December)."""
    this_year = _make_date(today.year, month, day)
    if this_year is not None and this_year >= today - _YEAR_ROLLOVER:
        return this_year
    next_year = _make_date(today.year + 1, month, day)
    return next_year if next_year is not None else this_year


def _date_at(s: str, pos: int, today: date) -> _DateHit | None:
    for pattern in _DATE_FORMS:
        m = pattern.match(s, pos)
        if m is None:
            continue
        month, day = int(m.group("m")), int(m.group("d"))
        year = m.groupdict().get("y")
        if year:
            return _DateHit(_make_date(int(year), month, day), m.end(), True)
        return _DateHit(_infer_year(month, day, today), m.end(), False)
    return None


def _date_range_at(s: str, today: date, verb: str) -> tuple[date, date, int] | ParseError:
    """`12-01..12-05`, `12/01-12/05`, `12月1日到5日`, `2026-12-01` ... at the start of `s`."""
    first = _date_at(s, 0, today)
    if first is None:
        return _err("bad_date", verb, value=_first_token(s))
    start, end = first.value, first.end
    stop = start
    sep = _RANGE_SEP.match(s, end)
    if sep is not None and start is not None:
        second = _date_at(s, sep.end(), today)
        if second is not None:
            stop, end = second.value, second.end
            if stop is not None and first.explicit_year and not second.explicit_year:
                stop = _make_date(start.year, stop.month, stop.day)
                if stop is not None and stop < start:
                    stop = _make_date(start.year + 1, stop.month, stop.day)
        else:
            day = _DAY_ONLY.match(s, sep.end())
            if day is not None:
                stop, end = _make_date(start.year, start.month, int(day.group("d"))), day.end()
    if start is None or stop is None or stop < start:
        return _err("bad_date", verb, value=s[:end])
    return start, stop, end


# ---------------------------------------------------------------------------------------------------------
# Verb handlers


def _parse_help(rest: str) -> Command:
    if not rest:
        return Help()
    return Help(topic=_ALIAS_TO_VERB.get(rest.lower(), rest))


def _parse_status(rest: str) -> Command | ParseError:
    if not rest:
        return _missing("status", "target")
    found = _key_at_start(_ANY_KEY_AT, rest)
    if found is None:
        return _err("bad_task_key", "status", value=_first_token(rest))
    target, milestone = found
    return Status(target=target, milestone=milestone or None)


# Never a wrong write: hours that are not time spent, and questions, are asked about instead of written.
_FREQUENCY_BEFORE = re.compile(r"(?:每隔?|every|per|each)\s*$", re.IGNORECASE)
_TO_COME_BEFORE = re.compile(r"(?:还要|还需要?|还差|还得|剩下?|预计|估计|大概还|another|remaining|left)\s*(?:约|大约|大概)?\s*$",
                             re.IGNORECASE)
_TO_COME_AFTER = re.compile(r"^\s*(?:to go|left|remaining|more|之后|以后|后)", re.IGNORECASE)
_RANGE_BEFORE = re.compile(r"[0-9零一二两三四五六七八九十]\s*[-~～到至]\s*$")
_CN_RANGE = re.compile(r"[一二两三四五六七八九][两二三四五六七八九]个?多?(?:小时|钟头)")  # 两三个小时
_QUESTION = re.compile(r"(?:[?？]|吗|么|了没|没有)\s*[?？]?\s*$"
                       r"|^(?:is|has|did|are|was|will|can)\s+(?:it|this|that|the|we|you|they|he|she)\b", re.IGNORECASE)
_DAY_END = re.compile(r"^\s*(?:for today|for the day|today|for now)\b", re.IGNORECASE)


def _unclear(task: str, tail: str, verb: str) -> ParseError | None:
    """What in a report's words makes it unsafe to write, or None."""
    s = tail.strip(_EDGE_PUNCT)
    if _QUESTION.search(s):
        return _err("question", verb, task=task)
    m = _CN_RANGE.search(s)
    if m is not None:
        return _err("unclear_hours", verb, value=m.group(0), task=task, example="2")
    hrs = _find_hours(s)
    if hrs is not None:
        before, after = s[: hrs.start], s[hrs.end :]
        if _FREQUENCY_BEFORE.search(before) or _TO_COME_BEFORE.search(before) or _TO_COME_AFTER.match(after) \
                or _RANGE_BEFORE.search(before):
            start = max(0, before.rfind(" ", 0, max(0, len(before) - 1)) + 1) if before.strip() else hrs.start
            return _err("unclear_hours", verb, value=s[start : hrs.end].strip()[:_PARAM_MAX], task=task,
                        example=hrs.raw.lstrip("-") or "2")
    return None


def _parse_report(rest: str) -> Command | ParseError:
    arg = _task_arg(rest, "report")
    if isinstance(arg, ParseError):
        return arg
    task, tail = arg
    unclear = _unclear(task, tail, "report")
    if unclear is not None:
        return unclear
    prog = _progress(tail, verb="report", with_percent=True)
    if isinstance(prog, ParseError):
        return prog
    if prog.percent is None and prog.hours is None and not prog.note:
        return _missing("report", "percent")
    return Report(task=task, percent=prog.percent, note=prog.note, hours=prog.hours)


def _done(task: str, tail: str) -> Command | ParseError:
    if _DAY_END.match(tail):
        return _err("unclear_done", "done", value=_clean(tail)[:_PARAM_MAX], task=task)
    unclear = _unclear(task, tail, "done")
    if unclear is not None:
        return unclear
    prog = _progress(tail, verb="done", with_percent=False)
    if isinstance(prog, ParseError):
        return prog
    return Done(task=task, note=prog.note, hours=prog.hours)


def _parse_done(rest: str) -> Command | ParseError:
    arg = _task_arg(rest, "done")
    if isinstance(arg, ParseError):
        return arg
    return _done(*arg)


def _block(task: str, reason: str) -> Command | ParseError:
    reason = _clean(reason)
    if not reason:
        return _missing("block", "reason")
    return Block(task=task, reason=reason)


def _parse_block(rest: str) -> Command | ParseError:
    arg = _task_arg(rest, "block")
    if isinstance(arg, ParseError):
        return arg
    return _block(*arg)


_APPROVAL_ID_AT = re.compile(r"(?:# ?|[Aa]-?)?([0-9]{1,9})(?![A-Za-z0-9_\-]|\.[0-9])")


def _approval_id(rest: str, verb: str) -> tuple[int, str] | ParseError:
    if not rest:
        return _missing(verb, "id")
    m = _APPROVAL_ID_AT.match(rest)
    if m is None or int(m.group(1)) == 0:
        return _err("bad_approval_id", verb, value=_first_token(rest))
    return int(m.group(1)), _clean(rest[m.end() :])


def _parse_approve(rest: str) -> Command | ParseError:
    arg = _approval_id(rest, "approve")
    if isinstance(arg, ParseError):
        return arg
    return Approve(approval_id=arg[0], comment=arg[1])


def _parse_reject(rest: str) -> Command | ParseError:
    arg = _approval_id(rest, "reject")
    if isinstance(arg, ParseError):
        return arg
    if not arg[1]:
        return _missing("reject", "reason")
    return Reject(approval_id=arg[0], reason=arg[1])


_DELEGATE_TO = re.compile(r"(?:to|给|交给|->|→)\s*", re.IGNORECASE)


def _parse_delegate(rest: str) -> Command | ParseError:
    arg = _approval_id(rest, "delegate")
    if isinstance(arg, ParseError):
        return arg
    to = _DELEGATE_TO.sub("", arg[1], count=1) if _DELEGATE_TO.match(arg[1]) else arg[1]
    to = _clean(to)
    if not to:
        return _missing("delegate", "person")
    return Delegate(approval_id=arg[0], to=to)


def _parse_alert(rest: str, verb: Literal["ack", "snooze"]) -> Command | ParseError:
    if not rest:
        return _missing(verb, "alert")
    m = _APPROVAL_ID_AT.match(rest)
    if m is None or int(m.group(1)) == 0:
        return _err("bad_alert_id", verb, value=_first_token(rest))
    return AlertAction(alert_id=int(m.group(1)), action=verb)


def _parse_risks(rest: str) -> Command | ParseError:
    if not rest:
        return Risks()
    found = _key_at_start(_PROJECT_KEY_AT, rest)
    if found is None:
        return _err("bad_task_key", "risks", value=_first_token(rest))
    return Risks(project=found[0])


_SKIP_AT = re.compile(r"(?:skip|跳过)(?![A-Za-z])", re.IGNORECASE)
_AWAY_AT = re.compile(r"(?:away|请假)(?![A-Za-z])", re.IGNORECASE)
_AFTER_DATE_OK = re.compile(r"$|[ ,;:]|[^\x00-\x7f]")
_SETTINGS: dict[str, Literal["at", "deadline", "remind_at"]] = {
    "time": "at", "时间": "at", "deadline": "deadline", "截止": "deadline", "remind": "remind_at",
    "reminder": "remind_at", "提醒": "remind_at"}
_SETTING_AT = re.compile(r"(time|时间|deadline|截止|reminder|remind|提醒)(?![A-Za-z]) ?", re.IGNORECASE)
_HHMM_AT = re.compile(r"([01]?[0-9]|2[0-3])[:：]([0-5][0-9])")
_LOOKS_LIKE_TIME = re.compile(r"[0-9]{1,4}[:：][0-9]{1,4}")
_STATS_AT = re.compile(r"(?:stats|统计|参与)(?: ([0-9]{1,4}) ?(?:d|days|天)?)?$", re.IGNORECASE)
# One question's answer: "2: …", "Q2 …", "问题2 …", "第2题 …" (a bare "2 …" stays a whole answer).
_QUESTION_AT = re.compile(r"(?:(?:q|问题|第) ?([1-9])题?(?: ?[:：])?|([1-9]) ?[:：]) ?", re.IGNORECASE)


def _away(rest: str, today: date) -> Command | ParseError:
    rest = rest.strip(_EDGE_PUNCT)
    if not rest:
        return _missing("standup", "dates")
    found = _date_range_at(rest, today, "standup")
    if isinstance(found, ParseError):
        return found
    start, stop, end = found
    if not _AFTER_DATE_OK.match(rest, end):
        return _err("bad_date", "standup", value=_first_token(rest))
    return Standup(action="away", away_from=start, away_to=stop, text=_clean(rest[end:]))


def _parse_standup(rest: str, alias: str, today: date) -> Command | ParseError:
    if alias == "请假":
        return _away(rest, today)
    if not rest:
        return Standup(action="show")
    m = _SKIP_AT.match(rest)
    if m is not None:
        return Standup(action="skip", text=_clean(rest[m.end() :]))
    m = _AWAY_AT.match(rest)
    if m is not None:
        return _away(rest[m.end() :], today)
    m = _SETTING_AT.match(rest)
    if m is not None:
        # "standup time 09:15": only with a time (or "default") after it; "standup time to fix the pump" is an
        # answer like any other.
        setting = _SETTINGS[m.group(1).lower()]
        value_text, _, name = _clean(rest[m.end():]).partition(" ")
        if value_text.lower() in ("default", "默认", "reset", "恢复"):
            return StandupSchedule(setting=setting, value=None, name=name.strip())
        hhmm = _HHMM_AT.fullmatch(value_text)
        if hhmm is not None:
            return StandupSchedule(setting=setting, value=f"{int(hhmm.group(1)):02d}:{hhmm.group(2)}",
                                   name=name.strip())
        if _LOOKS_LIKE_TIME.fullmatch(value_text):
            return _err("bad_date", "standup", value=value_text[:_PARAM_MAX])
    m = _STATS_AT.match(rest)
    if m is not None:
        days = m.group(1)
        if days is not None and not 1 <= int(days) <= 366:
            return _err("bad_date", "standup", value=days)
        return Standup(action="stats", days=int(days) if days else 30)
    m = _QUESTION_AT.match(rest)
    if m is not None and _clean(rest[m.end():]):
        return Standup(action="answer", text=_clean(rest[m.end():]), question=int(m.group(1) or m.group(2)))
    return Standup(action="answer", text=rest)


_LINK_DECISION = re.compile(r"(?i)^(approve|confirm|deny|refuse|确认|批准|同意|拒绝|驳回)\s+(\S+)$")


def _parse_link(rest: str) -> Command | ParseError:
    if not rest:
        return _missing("link", "user")
    if has_secret(rest):
        return LinkSecret()
    m = _LINK_DECISION.match(rest)
    if m is not None:
        return LinkDecision(person=m.group(2), accept=m.group(1).lower() in ("approve", "confirm", "确认", "批准", "同意"))
    return Link(pms_user=rest)


def _parse_subscribe(rest: str) -> Command | ParseError:
    if not rest:
        return _missing("subscribe", "project")
    found = _key_at_start(_PROJECT_KEY_AT, rest)
    if found is None:
        return _err("bad_task_key", "subscribe", value=_first_token(rest))
    return Subscribe(project=found[0], filter=found[1])


_DUE_MARKER = re.compile(
    r"(?:(?<![A-Za-z])(?:due|deadline)(?![A-Za-z])|截止(?:日期|时间)?|截至|到期(?:日)?) ?(?:到|于|是|为)? ?:? ?(?=[0-9])",
    re.IGNORECASE,
)
_DUE_SUFFIX = re.compile(r"之?前")
_ASSIGNEE = re.compile(r"(?<![A-Za-z0-9._%+\-])@([^\s@,;:]{1,64})")


def _parse_new(rest: str, today: date) -> Command | ParseError:
    found = _key_at_start(_PROJECT_KEY_AT, rest)
    if found is None:
        return _missing("new", "project")
    project, s = found
    spans: list[tuple[int, int]] = []
    due: date | None = None
    marker = _DUE_MARKER.search(s)
    if marker is not None:
        hit = _date_at(s, marker.end(), today)
        if hit is None or hit.value is None:
            value = s[marker.end() : hit.end] if hit is not None else _first_token(s[marker.end() :])
            return _err("bad_date", "new", value=value)
        due = hit.value
        suffix = _DUE_SUFFIX.match(s, hit.end)
        spans.append((marker.start(), suffix.end() if suffix else hit.end))
    assignee: str | None = None
    at = _ASSIGNEE.search(_blank(s, spans))
    if at is not None:
        assignee = at.group(1)
        spans.append(at.span())
    title = _remove_spans(s, spans)
    if not title:
        return _missing("new", "title")
    return New(project=project, title=title, due=due, assignee=assignee)


_AMOUNT = re.compile(
    r"(?P<cur>[¥$])? ?(?P<num>[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,15})(?:\.[0-9]{1,4})?)"
    r"(?P<unit>万|千|百|k|w)?(?:元|块|rmb|cny)?",
    re.IGNORECASE,
)
# Glued to Chinese text ("备件采购12000元") only with a currency sign or unit, so "采购2026" stays a subject.
_AMOUNT_GLUED = re.compile(
    r"(?<=[^\x00-\x7f])(?:[¥$][0-9][0-9,]*(?:\.[0-9]{1,4})?(?:万|千)?(?:元|块)?|[0-9][0-9,]*(?:\.[0-9]{1,4})?(?:万|千)?(?:元|块))$"
)
_MULTIPLIERS = {"万": 10000, "w": 10000, "千": 1000, "k": 1000, "百": 100}


def _amount(token: str) -> Decimal | ParseError | None:
    m = _AMOUNT.fullmatch(token)
    if m is None:
        return None
    value = _to_decimal(m.group("num").replace(",", ""))
    if value is None:
        return None
    unit = (m.group("unit") or "").lower()
    value *= _MULTIPLIERS.get(unit, 1)
    if not Decimal(0) < value <= _AMOUNT_MAX:
        return _err("bad_amount", "request", value=token)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value


def _parse_request(rest: str) -> Command | ParseError:
    found = _key_at_start(_PROJECT_KEY_AT, rest)
    if found is None:
        return _missing("request", "project")
    project, s = found
    words = s.split(" ") if s else []
    amount: Decimal | None = None
    if words:
        parsed = _amount(words[-1])
        if parsed is None:
            glued = _AMOUNT_GLUED.search(words[-1])
            if glued is not None:
                parsed = _amount(glued.group(0))
                if isinstance(parsed, Decimal):
                    words[-1] = words[-1][: glued.start()]
        elif isinstance(parsed, Decimal):
            words.pop()
        if isinstance(parsed, ParseError):
            return parsed
        amount = parsed
    subject = _clean(" ".join(words))
    if not subject:
        return _missing("request", "subject")
    return Request(project=project, subject=subject, amount=amount)


# ---------------------------------------------------------------------------------------------------------
# Dispatch

_BLOCK_WORD_AT = re.compile(r"(?:阻塞|卡住了|卡住|受阻|blocked|block)(?![A-Za-z])", re.IGNORECASE)
_DONE_WORD_AT = re.compile(rf"(?:已完成|完成了|完成|done)(?![A-Za-z]){_RIGHT_EDGE}", re.IGNORECASE)


def _parse_field_report(s: str) -> Command | ParseError | None:
    """`PUMP-3 80% note 3h`, `PUMP-3 完成`, `PUMP-3 阻塞 缺料`, `PUMP-3` without a verb."""
    found = _key_at_start(_TASK_KEY_AT, s)
    if found is None:
        return None
    task, rest = found
    if not rest:
        return Status(target=task)
    m = _BLOCK_WORD_AT.match(rest)
    if m is not None:
        return _block(task, rest[m.end() :])
    m = _DONE_WORD_AT.match(rest)
    if m is not None and _find_percent(rest) is None:
        return _done(task, rest[m.end() :])
    unclear = _unclear(task, rest, "report")
    if unclear is not None:
        return unclear
    prog = _progress(rest, verb="report", with_percent=True)
    if isinstance(prog, ParseError):
        return prog
    return Report(task=task, percent=prog.percent, note=prog.note, hours=prog.hours)


_ASCII_ALIAS_BOUNDARY = re.compile(r"$|[^A-Za-z0-9_\-]")


def _match_verb(s: str) -> tuple[str, str, str] | None:
    """(canonical verb, alias, rest). Chinese aliases need no space after them ("汇报PUMP-3")."""
    head = s[:12].lower()
    for alias in _ALIASES_LONGEST_FIRST:
        if not head.startswith(alias):
            continue
        n = len(alias)
        if alias.isascii() and alias[-1].isalnum() and not _ASCII_ALIAS_BOUNDARY.match(s, n):
            continue
        return _ALIAS_TO_VERB[alias], alias, s[n:].strip(_EDGE_PUNCT)
    return None


_LEADING_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _suggest(word: str) -> str:
    candidates = [word.lower()]
    lead = _LEADING_NON_ASCII.match(word)
    if lead is not None and lead.group(0) != word:
        candidates.append(lead.group(0))
    for candidate in candidates:
        close = difflib.get_close_matches(candidate, _ALL_ALIASES, n=1, cutoff=0.6)
        if close:
            return _ALIAS_TO_VERB[close[0]]
    return ""


_CHANNEL_REF = re.compile(r"#([0-9]{1,9})(?![0-9A-Za-z])")
_TASK_VERBS = ("status", "report", "done", "block")


def parse(text: str, *, today: date, channel_project: str | None = None) -> Command | ParseError:
    """Parse one message. `today` anchors year-less dates. In a project's channel (`channel_project`), `#12`
    where a task key goes means that project's task 12. Always returns, never raises."""
    if len(text) > MAX_TEXT_CHARS:
        return _err("too_long", None, max=str(MAX_TEXT_CHARS))
    s = normalize(text)
    if not s:
        return _err("empty", None)
    if len(s) > MAX_TEXT_CHARS:  # NFKC can expand a few characters ("㌀" -> 4 chars)
        return _err("too_long", None, max=str(MAX_TEXT_CHARS))

    matched = _match_verb(s)
    if channel_project is not None:
        if matched is None:
            s = _CHANNEL_REF.sub(rf"{channel_project}-\1", s, count=1) if s.startswith("#") else s
        elif matched[0] in _TASK_VERBS and matched[2].startswith("#"):
            matched = (matched[0], matched[1], _CHANNEL_REF.sub(rf"{channel_project}-\1", matched[2], count=1))
    if matched is None:
        report = _parse_field_report(s)
        if report is not None:
            return report
        word = _first_token(s)
        return _err("unknown_command", None, word=word, suggestion=_suggest(word[:_PARAM_MAX]))

    verb, alias, rest = matched
    if verb == "help":
        return _parse_help(rest)
    if verb == "status":
        return _parse_status(rest)
    if verb == "my":
        return MyTasks()
    if verb == "report":
        return _parse_report(rest)
    if verb == "done":
        return _parse_done(rest)
    if verb == "block":
        return _parse_block(rest)
    if verb == "approve":
        return _parse_approve(rest)
    if verb == "reject":
        return _parse_reject(rest)
    if verb == "approvals":
        return Approvals()
    if verb == "delegate":
        return _parse_delegate(rest)
    if verb in ("ack", "snooze"):
        return _parse_alert(rest, "ack" if verb == "ack" else "snooze")
    if verb == "apply":
        if not rest:
            return _missing("apply", "id")
        m = _APPROVAL_ID_AT.match(rest)
        if m is None or int(m.group(1)) == 0:
            return _err("bad_proposal_id", "apply", value=_first_token(rest))
        return Apply(proposal_id=int(m.group(1)))
    if verb == "risks":
        return _parse_risks(rest)
    if verb == "field":
        found_task = _task_arg(rest, "field")
        return found_task if isinstance(found_task, ParseError) else FieldLink(task=found_task[0])
    if verb == "dashboard":
        if not rest:
            return _missing("dashboard", "project")
        found_project = _key_at_start(_PROJECT_KEY_AT, rest)
        if found_project is None:
            return _err("bad_task_key", "dashboard", value=_first_token(rest))
        return DashboardLink(project=found_project[0])
    if verb == "admin":
        return AdminLink()
    if verb == "standup":
        return _parse_standup(rest, alias, today)
    if verb == "link":
        return _parse_link(rest)
    if verb == "subscribe":
        return _parse_subscribe(rest)
    if verb == "new":
        return _parse_new(rest, today)
    return _parse_request(rest)
