"""Progress on a task in field words: `report`/`done`/`block` and the same without a verb (`PUMP-3 80% 3h`,
`PUMP-3 完成`, `PUMP-3 阻塞 缺料`). Words that would make a wrong write are asked about instead."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import NamedTuple

from commands.errors import PARAM_MAX_CHARS, err, missing
from commands.grammar import Args
from commands.keys import TASK_KEY_AT, key_at_start, task_arg
from commands.model import Block, Command, Done, ParseError, Report, Status
from commands.numbers import (
    BARE_FRACTION,
    BARE_INT,
    HOURS_MAX,
    RIGHT_EDGE,
    find_hours,
    find_percent,
    round_int,
)
from commands.text import EDGE_PUNCT, TOKEN_TRAIL, blank, clean, first_token, overlaps, remove_spans


class _Progress(NamedTuple):
    percent: int | None
    hours: Decimal | None
    note: str


def _progress(tail: str, *, verb: str, with_percent: bool) -> _Progress | ParseError:
    """Percent, hours and note in any order after a task key."""
    s = tail.strip(EDGE_PUNCT)
    spans: list[tuple[int, int]] = []
    percent: int | None = None
    if with_percent:
        pct = find_percent(s)
        if pct is not None:
            if pct.value is None:
                return err("bad_percent", verb, value=s[pct.start : pct.end])
            if not Decimal(0) <= pct.value <= Decimal(100):
                return err("percent_out_of_range", verb, value=pct.raw)
            percent = round_int(pct.value)
            spans.append((pct.start, pct.end))

    hrs = find_hours(blank(s, spans))
    hours: Decimal | None = None
    if hrs is not None:
        if hrs.value is None or not Decimal(0) <= hrs.value <= HOURS_MAX:
            return err("bad_hours", verb, value=hrs.raw)
        hours = hrs.value
        spans.append((hrs.start, hrs.end))

    if with_percent and percent is None:
        token = first_token(s)
        first = token.rstrip(TOKEN_TRAIL)
        if first and not overlaps((0, len(token)), spans):
            if BARE_INT.fullmatch(first):
                value = Decimal(first)
                if not Decimal(0) <= value <= Decimal(100):
                    return err("percent_out_of_range", verb, value=first.lstrip("+"))
                percent = int(value)
                spans.append((0, len(token)))
            elif BARE_FRACTION.fullmatch(first):
                fraction = Decimal(first)
                if Decimal(0) < fraction <= Decimal(1):
                    percent = round_int(fraction * 100)
                    spans.append((0, len(token)))
        if percent is None:
            for word in blank(s, spans).split():
                word = word.rstrip(TOKEN_TRAIL)
                if word.endswith("%") and word.isascii():
                    return err("bad_percent", verb, value=word)

    return _Progress(percent, hours, remove_spans(s, spans))


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
    s = tail.strip(EDGE_PUNCT)
    if _QUESTION.search(s):
        return err("question", verb, task=task)
    m = _CN_RANGE.search(s)
    if m is not None:
        return err("unclear_hours", verb, value=m.group(0), task=task, example="2")
    hrs = find_hours(s)
    if hrs is not None:
        before, after = s[: hrs.start], s[hrs.end :]
        if _FREQUENCY_BEFORE.search(before) or _TO_COME_BEFORE.search(before) or _TO_COME_AFTER.match(after) \
                or _RANGE_BEFORE.search(before):
            start = max(0, before.rfind(" ", 0, max(0, len(before) - 1)) + 1) if before.strip() else hrs.start
            return err("unclear_hours", verb, value=s[start : hrs.end].strip()[:PARAM_MAX_CHARS], task=task,
                       example=hrs.raw.lstrip("-") or "2")
    return None


def report(args: Args) -> Command | ParseError:
    arg = task_arg(args.rest, "report")
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
        return missing("report", "percent")
    return Report(task=task, percent=prog.percent, note=prog.note, hours=prog.hours)


def _done(task: str, tail: str) -> Command | ParseError:
    if _DAY_END.match(tail):
        return err("unclear_done", "done", value=clean(tail)[:PARAM_MAX_CHARS], task=task)
    unclear = _unclear(task, tail, "done")
    if unclear is not None:
        return unclear
    prog = _progress(tail, verb="done", with_percent=False)
    if isinstance(prog, ParseError):
        return prog
    return Done(task=task, note=prog.note, hours=prog.hours)


def done(args: Args) -> Command | ParseError:
    arg = task_arg(args.rest, "done")
    if isinstance(arg, ParseError):
        return arg
    return _done(*arg)


def _block(task: str, reason: str) -> Command | ParseError:
    reason = clean(reason)
    if not reason:
        return missing("block", "reason")
    return Block(task=task, reason=reason)


def block(args: Args) -> Command | ParseError:
    arg = task_arg(args.rest, "block")
    if isinstance(arg, ParseError):
        return arg
    return _block(*arg)


_BLOCK_WORD_AT = re.compile(r"(?:阻塞|卡住了|卡住|受阻|blocked|block)(?![A-Za-z])", re.IGNORECASE)
_DONE_WORD_AT = re.compile(rf"(?:已完成|完成了|完成|done)(?![A-Za-z]){RIGHT_EDGE}", re.IGNORECASE)


def field_report(s: str) -> Command | ParseError | None:
    """A message that starts with a task key and no verb; None if it does not."""
    found = key_at_start(TASK_KEY_AT, s)
    if found is None:
        return None
    task, rest = found
    if not rest:
        return Status(target=task)
    m = _BLOCK_WORD_AT.match(rest)
    if m is not None:
        return _block(task, rest[m.end() :])
    m = _DONE_WORD_AT.match(rest)
    if m is not None and find_percent(rest) is None:
        return _done(task, rest[m.end() :])
    unclear = _unclear(task, rest, "report")
    if unclear is not None:
        return unclear
    prog = _progress(rest, verb="report", with_percent=True)
    if isinstance(prog, ParseError):
        return prog
    return Report(task=task, percent=prog.percent, note=prog.note, hours=prog.hours)
