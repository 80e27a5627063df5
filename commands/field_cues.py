"""The cues of a field report (commands/field.py): which words in one task's part say it is blocked or free again,
done (or only a part of it, or in words a reader is unsure of), started, or in vague trouble; each found by its
words in commands/field_words.py and set aside by the doubts of commands/field_doubts.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from commands import field_doubts as d
from commands import field_words as w
from commands.field_percent import Percent, clause_after, clause_before


@dataclass(frozen=True)
class Cues:
    """What one task's words say besides its figures; `scrubbed` is the text with the figures blanked."""

    block: re.Match[str] | None
    unblock: re.Match[str] | None
    denied: bool  # the obstacle was said to be gone ("no longer stuck")
    done: re.Match[str] | None
    partly: bool  # the completion is a part's ("第二组换完")
    passed: re.Match[str] | None  # completion in words a reader is unsure of, or a check passed: asked
    start: re.Match[str] | None
    trouble: re.Match[str] | None  # vague trouble, no obstacle named


def _cue(pattern: re.Pattern[str], t: str, *, not_before: re.Pattern[str] | None = None,
         not_after: Callable[[re.Match[str], str], bool] | None = None) -> re.Match[str] | None:
    """The first match of `pattern` in `t` that no words before it (`not_before`) or after it (`not_after`, given
    the match and the text) set aside."""
    planned = -2  # the end of a cue found to be a plan: one right after it is the same plan ("下周一进场开工")
    for m in pattern.finditer(t):
        if not_before is not None and (m.start() <= planned + 1 or not_before.search(t[: m.start()])):
            planned = m.end()
            continue
        if not_after is not None and not_after(m, t):
            continue
        return m
    return None


def _when_tonight(m: re.Match[str], t: str) -> bool:
    """Tonight after a cue in the past ("both finished tonight", "started tonight") says when, not a plan."""
    return bool(d.PAST_DONE.search(m.group(0)) and d.TONIGHT_AFTER.match(t, m.end()))


def _done_partly_or_planned(m: re.Match[str], t: str) -> bool:
    """What follows a completion makes it a part's or a plan's ("done with the first half", "finish tonight")."""
    return bool(w.DONE_PARTIAL_AFTER.match(t[m.end() :])) and not _when_tonight(m, t)


def _planned_after(m: re.Match[str], t: str) -> bool:
    """What follows a start makes it a plan ("start tonight")."""
    return bool(w.PLAN_AFTER.match(t[m.end() :]) or d.ONLY_A_TIME_AFTER.match(t, m.end())
                or (m.group(0).isascii() and d.CN_DAY_AFTER.match(t, m.end()))) and not _when_tonight(m, t)


def _nearly_done(t: str) -> re.Match[str] | None:
    """A completion said to be near ("基本上差不多快完事了", "快要搞定了"), not planned: offered as done, never dropped."""
    m = w.DONE.search(t)
    if m is None or not d.NEAR_BEFORE.search(t[: m.start()]) or d.PLAN_WORDS.search(clause_before(t, m.start())) \
            or w.FORECAST_BEFORE.search(clause_before(t, m.start())):  # "明天就要完成了": a forecast
        return None
    return m


def cues(t: str, scrubbed: str, pct: Percent) -> Cues:
    """The cues in `scrubbed` (the figures of `pct` blanked); `t` is the whole part, for the words after a cue."""
    unblock = w.UNBLOCK.search(scrubbed)
    if unblock is not None and pct.span is not None and unblock.group(0).endswith("到了") and pct.span[0] >= unblock.end() \
            and not scrubbed[unblock.end() : pct.span[0]].strip():
        unblock = None  # "都到了一半": the figure reached, nothing arrived
    if unblock is not None and d.CONDITION_BEFORE.search(clause_before(scrubbed, unblock.start())):
        unblock = None  # "starting tomorrow once the crane is here": a condition, nothing arrived yet
    block = w.BLOCK.search(scrubbed)
    if block is not None and block.group(0).lower().endswith("missing") and d.ONLY_LEFT.search(clause_before(scrubbed, block.start())):
        block = None  # "95%, only the governor tag still missing": what is left, no obstacle
    if block is not None and block.group(0).lower().endswith("missing") and d.PART_MISSING.search(scrubbed, max(0, block.start() - 40), block.end()):
        block = None  # "not done, the appendix section missing": the paper is unfinished
    said_not = block is not None and scrubbed[: block.start()].rstrip().endswith("不")
    denied = block is not None and bool(d.NEGATED.search(scrubbed[: block.start()]) or (said_not and block.group(0).startswith("等")))
    if denied:
        unblock, block = unblock or block, None  # "no longer stuck", "不用再等了", "不 等 厂家 了": the obstacle is gone
    elif block is not None and (said_not or (d.ISOLATED.search(scrubbed) and not block.group(0).lower().startswith(("wait", "等")))
                                or (pct.value == 100 and w.AWAITING_CHECK.match(scrubbed, block.start()))
                                or d.ROUTINE_WAIT.match(scrubbed, block.start())):
        block = None  # "前提是不下雨", "基础浇好了 等养护": no obstacle said
    if unblock is not None and block is not None and block.end() <= unblock.start() and d.UNTIL_BETWEEN.search(scrubbed[block.end() : unblock.start()]):
        unblock = None  # "won't let us on the roof till the permit's signed"
    if unblock is not None and block is not None and unblock.end() <= block.start() and d.BUT_THEN.search(scrubbed[unblock.end() : block.start()]):
        unblock = None  # "parts came in, but now waiting on the welder cert": blocked again, for another reason
    if unblock is not None and block is not None and not (block.group(0).startswith("等") and block.start() < unblock.start()):
        block = None
    elif block is not None:
        unblock = None
    done = _cue(w.DONE, scrubbed, not_before=w.DONE_NOT_FACT_BEFORE, not_after=_done_partly_or_planned)
    if done is not None and block is None and d.MATTER_BEFORE.search(scrubbed[: done.start()]):
        unblock, done = unblock or done, None  # "已解决 电源的事搞定了": the obstacle's matter, done with
    if done is not None and unblock is not None and denied and unblock.end() <= done.start():
        done = None  # "no longer stuck, 电搞定了": what was done is the obstacle's
    said = d.UNBLOCK_SAID.search(scrubbed) if block is None else None
    unblock = unblock or said
    if done is not None and unblock is not None and (unblock.start() <= done.start() < unblock.end() or said or (
            d.REPAIRED.match(done.group(0)))):
        done = None  # "access 搞定了", "license 搞定了，unblock 一下", "已解决，吊篮修好了": the obstacle is done with
    if done is not None and unblock is not None and done.end() <= unblock.start() and d.GOES_ON.search(unblock.group(0)):
        done = None  # "isolation done, 可以继续了": the completion was the obstacle's, and the work goes on
    handed = w.PASSED.search(scrubbed)
    if done is not None and handed is not None and handed.start() <= done.start() < handed.end():
        done = None  # "交接完毕": the completion word is the hand-over's, asked below
    partly = done is not None and bool(w.PART_BEFORE.search(clause_before(scrubbed, done.start())) or d.CONTRAST.search(t[done.end() :])
                                       or d.LAYER_BEFORE.search(clause_before(scrubbed, done.start()))
                                       or d.PLACE_BEFORE.search(clause_before(scrubbed, done.start()))
                                       or d.TAG_BEFORE.search(clause_before(scrubbed, done.start()))
                                       or d.REHEARSAL_BEFORE.search(clause_before(scrubbed, done.start()))
                                       or d.THE_REST_BEFORE.search(clause_before(scrubbed, done.start())) or d.PART_LETTER_BEFORE.search(scrubbed[: done.start()])
                                       or d.COUNTED.search(clause_before(scrubbed, done.start())) or d.COUNTED_AFTER.match(scrubbed[done.end() :])
                                       or (done.group(0).isascii() and d.COUNTED_IN_CLAUSE.match(scrubbed[done.end() :]))
                                       or w.EXCEPT_AFTER.match(scrubbed[done.end() :]) or w.PENDING_AFTER.search(scrubbed[done.end() :]))
    passed = (w.PASSED.search(scrubbed) or _cue(w.DONE_SOFT, scrubbed, not_before=w.DONE_NOT_FACT_BEFORE) or _nearly_done(scrubbed)) \
        if done is None else None  # a check passed, completion in words a reader is unsure of, or nearly done: asked
    if passed is not None and unblock is not None and (unblock.start() <= passed.start() < unblock.end() or said):
        passed = None  # "那个问题处理好了": the obstacle is done with
    done = done or passed
    if done is not None and ((unblock is not None and (denied or d.WAIT_OVER.search(unblock.group(0)))) or (
            done.group(0).lower().startswith("ok") and d.CAME_BEFORE.search(scrubbed[: done.start()]))):
        done = None  # "电表装好了 不用等了", "线到了 ok了": what was done or came was the obstacle's
    if done is not None and pct.span is not None and ((0 <= done.start() - pct.span[1] <= 1 and not scrubbed[pct.span[1] : done.start()].strip()) or (
            pct.span[0] >= done.end() and w.HEDGE_BETWEEN.fullmatch(scrubbed[done.end() : pct.span[0]]))):
        done = None  # "80% done", "100%完成", "完成了三分之一": the percent's own word
    start = _cue(w.START, scrubbed, not_before=w.PLAN_BEFORE, not_after=_planned_after)
    start = None if start is not None and d.PLAN_WORDS.search(clause_before(scrubbed, start.start())) else start
    if start is not None and unblock is not None and unblock.end() <= start.start() and d.GOES_ON_BEFORE.search(scrubbed[: start.start()]):
        start = None  # "雨停了，继续开工": the work goes on again, no first start
    unblock = None if start is not None and unblock is not None and (  # "人到齐了 started at 8": the crew, not a wait, came
        start.start() < unblock.start() or d.CREW_ARRIVED.search(scrubbed[: unblock.end()])
        or re.search(r"[,，;；]", scrubbed[unblock.end() : start.start()])) else unblock  # "permit 拿到了，已经开始拆": started
    if unblock is not None and not denied and (w.PLAN_BEFORE.search(scrubbed[: unblock.start()]) or w.PLAN_AFTER.match(scrubbed[unblock.end() :])
                                                or d.NEAR_BEFORE.search(scrubbed[: unblock.start()])):
        unblock = None  # "明天继续": a plan; "almost resolved": not yet
    if done is not None and start is not None and start.start() > done.end() and re.search(r"[,;]", scrubbed[done.end() : start.start()]):
        done = None  # "地线挂好了，开始拆旧柜": a step before the start (offered as the start, commands/field.py)
    trouble = (w.TROUBLE.search(w.TROUBLE_IF.sub(" ", scrubbed)) or d.TROUBLE_MORE.search(scrubbed)) if block is None and unblock is None and done is None else None
    return Cues(block=block, unblock=unblock, denied=denied, done=done, partly=partly, passed=passed, start=start,
                trouble=trouble)


def block_doubted(t: str, block: re.Match[str], start: re.Match[str] | None) -> bool:
    """A blocker its own words doubt (commands/field_doubts.py): "下雨停了 继续", "等了半天 终于开始了", "中午干不了"."""
    return bool(d.GOES_ON_AFTER.search(t[block.end() :]) or d.NOTHING_AFTER.match(t[block.end() :])
                or (d.OUTAGE.match(block.group(0)) and d.PART_OF_DAY.search(clause_after(t[block.end() :])))  # "停电 the whole afternoon": a planned window?
                or (block.group(0).lower().startswith("pending") and not t[block.end() :].strip(" .。!！")
                    and not d.AWAITED.search(t[: block.start()]))  # "…还 pending": what? ("approval … still pending": the approval)
                or (start is not None and d.CLAUSE_GAP.search(t[block.end() : start.start()]))
                or d.PART_OF_DAY.search(clause_before(t, block.start())) or d.PART_OF_DAY_STOP.search(t) or d.WAITED_OUT.search(t)
                or ((w.WEATHER.fullmatch(block.group(0)) or d.CANT_WORK.fullmatch(block.group(0))) and d.PART_OF_DAY.search(t))  # "热压力警告，下午做不到": for the afternoon?
                or d.PLANNED_OUTAGE.search(t) or d.RAIN_STOP.fullmatch(t)
                or (d.SIGNATURE_PENDING.search(block.group(0)) and d.BUT_THEN.search(t[: block.start()])
                    and (w.DONE.search(t[: block.start()]) or d.REPAIRED.search(t[: block.start()]))))  # "fixed, 但 报告 还没签": the work's paper


def unblock_doubted(t: str, scrubbed: str, unblock: re.Match[str], *, with_progress: bool, denied: bool) -> bool:
    """An unblock its own words doubt: a thing restored beside a figure, "KEY resolved" alone, a repair or an acceptance
    (done, or an obstacle gone?), something still not done after "but", or a stop for part of the day already over."""
    before = scrubbed[: unblock.start()]
    return bool((with_progress and d.THING_RESTORED.search(scrubbed[: unblock.end()]))
                or (unblock.group(0).lower() == "resolved" and d.RESOLVED_ALONE.fullmatch(t))  # "KEY resolved"
                or (not with_progress and (d.REPAIRED_THEN_BACK.search(t) or d.SIGNED_OFF.search(t)))
                or d.BUT_STILL_NOT.search(scrubbed, unblock.end()) or d.RAIN_THEN_POURING.search(t) or d.FOR_A_WHILE.match(t, unblock.end())  # "批下来了 but the scaffold is still not up"
                or (w.BLOCK.search(before) and d.PART_OF_DAY.search(t) and not denied))  # "rain stopped us at noon, back at it later"
