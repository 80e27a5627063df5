"""Reading a field report: a message about one or several tasks, in the words people use on site.

Each task's part of the message yields the writes it clearly asks for; where the words suggest a write without
making it certain, the writes come back as a `Confirm` (shown, written only when the person confirms), and where
they cannot even suggest one, as a question in words (a ParseError). The words themselves are data in
commands/field_words.py; numbers come from commands/numbers.py."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

from commands import correction_words as c
from commands import field_doubts as d
from commands import field_words as w
from commands import hour_words as hw
from commands.errors import PARAM_MAX_CHARS, err
from commands.field_cues import block_doubted, cues, unblock_doubted
from commands.field_pairs import each_hours, hours_unplaced, respective
from commands.field_percent import HEDGE_WORDS, Percent, bare_number, clause_before, read_percent
from commands.field_spoken import respell, spelled_keys
from commands.keys import TASK_KEY_ANY
from commands.model import (
    Block,
    Command,
    Confirm,
    ConfirmReason,
    Done,
    FieldWrite,
    ParseError,
    Report,
    Several,
    Start,
    Status,
    Unblock,
)
from commands.numbers import find_hours, percent_forms
from commands.spent import PER_UNIT, spent_hours
from commands.text import EDGE_PUNCT, blank, clean, remove_spans

# After a completion word, what its percent is of ("完成月计划的85%"): a share of something else.
_SHARE_OF_AFTER = re.compile(r"\s*[^\s,，;；。]{1,12}\s*的\s*[0-9]+(?:\.[0-9]+)?\s*[%％]")
# A key after these words is a reference inside another task's sentence ("等 A-4 完成"), not a part of its own.
_REFERENCE_BEFORE = re.compile(r"(?:等|跟|和|与|同|比|像|同步|依赖|除了|after|until|like|than|with|and|on|for|behind|"
                               r"before|see|as|per|blocked by|waiting for|depends on)\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(r"[,;:.!?\n]\s*(?:(?:and|also|then|plus|while)\s+)?$", re.IGNORECASE)  # ", and PHV-5 is …": its own clause
# A task's own news, then "and" before the next key ("A-1 done and A-2 nearly there"): a clause of its own.
_SAID_THEN_AND = re.compile(r"(?:done|finished|complete[d]?|started|[0-9]\s*%|[0-9]\s*(?:h|hrs?|hours?))\s+and\s*$", re.IGNORECASE)
_AND_END = re.compile(r"\s+and\s*$", re.IGNORECASE)  # the "and" before the next key is neither task's words
_BLOCK_WORD_FIRST = re.compile(r"^(?:阻塞|卡住了|卡住|受阻|blocked|block)(?![A-Za-z])\s*[:：]?\s*", re.IGNORECASE)
_LONE_NUMBER = re.compile(r"[0-9]{1,3}")
_ROUGHLY = re.compile(rf"{HEDGE_WORDS}|左右", re.IGNORECASE)
# A key said without its dash ("A3 到百分之八十"); never a chemical formula ("CH4 at 48%", "CO2", "pH7").
_SPOKEN_KEY = re.compile(r"(?<![A-Za-z0-9])(?!(?i:ch4|co2|so2|nh3|no2|h2s|h2|o2|n2|ph[0-9]{1,2})(?![0-9]))"
                         r"([A-Za-z]{1,6})(?:杠|横杠)?([1-9][0-9]{0,5})(?=[\s,，:：。]|[\u4e00-\u9fff])")
_QUESTION_AFTER_KEY = re.compile(r"^(?:is|has|did|are|was|will|can|does|do)\s+(?:it|this|that|the|we|you|they|he|she)\b",
                                 re.IGNORECASE)
_JOINED_REFERENCE = re.compile(r"(?:和|跟|与|及|加上|连同|(?<![A-Za-z])(?:and|with|plus|same as)(?![A-Za-z])|&)\s*"
                               + TASK_KEY_ANY.pattern, re.IGNORECASE)
_ASKED_END = re.compile(r"[?？]\s*$")
_CHECK_MARK = re.compile(r"\s*[✅✔☑]\ufe0f?\s*")
_NUMBERS = re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+)?")
_PERCENT_SAID = re.compile(r"[%％]|percent|pct|成", re.IGNORECASE)
_FIGURES = re.compile(r"[0-9]|[一二两三四五六七八九十半]")


@dataclass(frozen=True)
class _Reading:
    """One task's part of a message."""

    writes: tuple[FieldWrite, ...] = ()
    unsure: ConfirmReason | None = None  # the writes are only a suggestion
    ask: ParseError | None = None  # no suggestion possible: asked in words
    question: bool = False
    idle_hours: bool = False  # hours were said that are not time spent ("每4小时", "还要6小时")


def _read(task: str, text: str, *, verb: str, bare_is_percent: bool, doubted: bool = False) -> _Reading:
    decor = _TRAILING_EMOJI.search(text)
    emoji = decor.group(0).strip() if decor else ""  # kept in the note, not read
    t = text[: decor.start() if decor else len(text)].strip(EDGE_PUNCT)
    if not doubted and w.DOUBTED_FIGURE.search(t):  # "maybe 70%? not sure": a report its writer doubts, not a question; asked
        r = _read(task, t.replace("?", " ").replace("？", " "), verb=verb, bare_is_percent=bare_is_percent, doubted=True)
        return replace(r, unsure=r.unsure or "suggested") if r.writes else r
    if w.QUESTION_END.search(t) or _QUESTION_AFTER_KEY.search(t):
        return _Reading(question=True)
    if d.JOKING.search(t):
        return _Reading()  # "done lol jk": said and taken back
    if d.CHANGE_FIRST.match(t) or d.NOT_PROGRESS.search(t):
        return _Reading()  # "A-3 priority high pls, …": a task change the words do not make plain; no report read into it
    days = hw.DAYS.search(t)
    explicit = _BLOCK_WORD_FIRST.match(t)
    if explicit is not None and explicit.group(0).strip(" :：").lower() == "block" and d.BLOCK_AS_NOUN.match(t, explicit.end()):
        explicit = None  # "block 12 erected 了": the hull's block, read as the report's words
    if explicit is not None:  # "阻塞 等80%的备件到货": the words after the verb are the reason, all of them
        reason = clean(t[explicit.end() :])
        if not reason or re.fullmatch(r"(?i:on|by|with|due to|because of|因为|由于)", reason):  # "blocked on 🙃": on what?
            return _Reading(ask=err("missing_argument", "block", arg="reason"))
        also = read_percent(reason, bare_is_percent=False)  # "blocked by rain, 45% done before we stopped"
        done_so_far = (Report(task=task, percent=also.value),) if also.value is not None else ()
        return _Reading(writes=(*done_so_far, Block(task=task, reason=reason)))
    spent = spent_hours(t, task, verb)
    if isinstance(spent, ParseError):
        return _Reading(ask=spent)
    if spent is not None and d.WAITED_THEN.search(t[: spent.start]):
        return _Reading(ask=err("unclear_hours", verb, value=_excerpt(t), task=task, example="4"))  # "waited an hour … then paved 3h"
    if spent is not None and w.CREW.search(t) and not d.MY_OWN.search(t[: spent.start]):  # "本人…投入工时4.5小时，另有2人配合"
        return _Reading(ask=err("unclear_hours", verb, value=_excerpt(t), task=task, example="3"))
    hours = spent.value if spent is not None else None
    day_end = w.DAY_END.search(t)
    not_done = w.NOT_DONE.search(t)
    spans = [m.span() for m in (day_end, not_done, days) if m is not None]
    hedged = d.HEDGE_BEFORE_HOURS.search(t[: spent.start]) if spent is not None else None  # "差不多3小时": the hedge is the hours'
    scrubbed = blank(t, spans + ([(hedged.start() if hedged else spent.start, spent.end)] if spent is not None else []))
    pct = read_percent(scrubbed, bare_is_percent=bare_is_percent)
    if pct.span is not None:
        scrubbed = blank(scrubbed, [pct.span])
    cue = cues(t, scrubbed, pct)
    block, unblock, done, start = cue.block, cue.unblock, cue.done, cue.start
    note = clean(remove_spans(t, _spans(t, pct) + ([(spent.start, spent.end)] if spent is not None else [])) + " " + emoji)
    if spent is not None and pct.span is None and (_LONE_NUMBER.fullmatch(note) or d.TWO_DAYS.search(t)):
        return _Reading(ask=err("unclear_count", verb, task=task, value=_excerpt(t)))  # "3h, 50": and the 50?

    if pct.bad is not None:
        if pct.bad.value is None:
            return _Reading(ask=err("bad_percent", verb, value=t[pct.bad.start : pct.bad.end]))
        return _Reading(ask=err("percent_out_of_range", verb, value=pct.bad.raw))
    if pct.unclear or (pct.value is None and w.COUNT_OF_TOTAL.search(t)):
        return _Reading(ask=err("unclear_percent", verb, task=task, value=_excerpt(t)))
    if pct.span is None:
        odd = next((word for word in t.split() if word.rstrip(",;:.!?").endswith("%") and word.isascii()), None)
        if odd is not None and any(f.value is not None for f in percent_forms(odd)):  # "pressure fell 12%": said so
            return _Reading(ask=err("measured_percent", verb, value=odd.rstrip(",;:.!?"), task=task, text=_excerpt(t)))
        if odd is not None:
            return _Reading(ask=err("bad_percent", verb, value=odd.rstrip(",;:.!?")))
    percent = pct.value if pct.value is not None else pct.guess
    unsure: ConfirmReason | None = None
    if pct.guess is not None:
        unsure = "bare_number" if bare_number(t) and not pct.value else "approximate"
    progress = Report(task=task, percent=percent, note="" if (block or done) else note, hours=hours) \
        if percent is not None or hours is not None else None
    if done is not None and _SHARE_OF_AFTER.match(t, done.end()):
        return _Reading(ask=err("unclear_percent", verb, task=task, value=_excerpt(t)))  # "完成月计划的85%": a share of what?
    if done is not None and block is None and pct.value is not None and pct.span is not None and (bare_is_percent or (pct.value < 100 and
            done.end() <= pct.span[0] and (w.OVERALL_BEFORE.search(t[: pct.span[1]].rstrip("0123456789.%％ ")) or w.OVERALL_BEFORE.search(t[: pct.span[0]])))):
        done = None  # "report A-3 90% 熔接做完了", "拆除完毕，进度35%": the percent is the task's; done was a step's
    if cue.partly and pct.value is not None and pct.value < 100:
        done = None  # "第二组换完，整体55%": a part finished, and the task's own figure
    if done is not None and block is not None and block.start() > done.start() and w.AWAITING_CHECK.match(scrubbed, block.start()):
        block = None  # "已完工，等验收": the finished work waits for its check, nothing blocks it
    if done is not None and block is None and pct.value is not None and pct.value < 100 and pct.span is not None \
            and pct.span[1] < done.start() and _STEP_DONE.fullmatch(
                scrubbed[max(pct.span[1], done.start() - len(clause_before(scrubbed, done.start()))) : done.start()]):
        return _Reading(writes=(Report(task=task, percent=pct.value, note=note, hours=hours),))  # "60%, 基座 done": a step's
    if done is not None and not_done is not None and block is None and not d.NEGATED_END.search(t[: not_done.start()]):
        return _Reading(ask=err("unclear_done", verb, value=_excerpt(t), task=task))  # "nowhere near finished … it's done": which?
    if done is not None and block is None:
        if percent is not None and percent < 100:
            return _Reading(writes=(Report(task=task, percent=percent, note=note, hours=hours),), unsure="suggested")
        return _Reading(writes=(Done(task=task, note=_without(note, done.group(0)), hours=hours),),
                        unsure="suggested" if cue.partly or cue.passed else None)
    if progress is None and d.TICKET_CLOSED_ALONE.fullmatch(t):
        return _Reading(writes=(Done(task=task, note=note),), unsure="suggested")
    if block is not None and progress is not None and w.WEATHER.fullmatch(block.group(0)) and not d.STOPPED.search(scrubbed):
        return _Reading(writes=(progress,), unsure=unsure)  # "35% 今天风大", "60%，风大慢了点": a remark on the day, kept in the note
    if block is not None:
        reason = _BLOCK_WORD_FIRST.sub("", clean(remove_spans(t, _spans(t, pct)))) or t
        writes: tuple[FieldWrite, ...] = (Block(task=task, reason=reason),)
        bare = w.BLOCK_NO_REASON.fullmatch(t) is not None  # "stuck": no reason said, asked
        if bare or done is not None or w.PLAN_OR_HEDGE.search(scrubbed[: block.start()]) or w.CONDITION.search(t) \
                or block_doubted(t, block, start) \
                or w.VAGUE_TROUBLE.search(scrubbed):
            unsure = "suggested"  # "stuck, something's off": why? Asked.
        return _Reading(writes=((progress,) if progress else ()) + writes, unsure=unsure)
    if d.ARRIVED_SHARE.search(t):
        return _Reading(ask=err("unclear_percent", verb, task=task, value=_excerpt(t)))  # "料到了60%": a share of what came
    if start is not None and d.NUMBER_BEFORE_START.search(scrubbed[: start.start()]):
        return _Reading(ask=err("unclear_task", verb, task=task, value=_excerpt(t)))  # "done, 205 started": which task?
    if unblock is not None and d.SHARE_RIGHT_BEFORE.search(scrubbed[: unblock.start()]):
        return _Reading(ask=err("unclear_percent", verb, task=task, value=_excerpt(t)))  # "管子 50% 到货了": a share came
    if unblock is not None:
        restored = unblock_doubted(t, scrubbed, unblock, with_progress=progress is not None, denied=cue.denied)
        return _Reading(writes=(Unblock(task=task, note=note),) + ((progress,) if progress else ()), unsure="suggested" if restored else unsure)
    if cue.trouble is not None:
        return _Reading(writes=((progress,) if progress else ()) + (Block(task=task, reason=clean(t)),), unsure="suggested")
    if start is not None and not (isinstance(progress, Report) and progress.percent):
        waited: ConfirmReason | None = "suggested" if d.WAITED_OUT.search(t) or (
            w.DONE.search(scrubbed[: start.start()]) and d.NEXT_ONE.search(scrubbed[start.start() :])) else None
        # "…延误了十来天，今天终于开始", "做完了，开始下一个" (this task done, the next begun?): offered
        return _Reading(writes=(Start(task=task, note=note),) + ((progress,) if progress else ()), unsure=unsure or waited)
    if progress is not None:  # with "started" too: a percent above 0 puts the task in progress by itself
        return _Reading(writes=(progress,), unsure=unsure)
    if day_end is not None and not_done is None:
        return _Reading(ask=err("unclear_done", verb, value=_excerpt(t), task=task))
    if days is not None and not hw.DAYS_TO_COME.search(t):
        return _Reading(ask=err("unclear_hours", verb, value=_excerpt(t), task=task, example="8"))
    idle = find_hours(t) is not None and spent is None
    unread = d.UNREAD.search(note) if not_done is None else None  # a figure no rule read, unless a forecast's ("预计工时 8")
    if unread is not None and w.FORECAST_BEFORE.search(clause_before(note, unread.start())):
        unread = None
    if not idle and (w.WORK_COUNT.search(t) or hw.BARE_DECIMAL.match(t) or unread is not None):
        return _Reading(ask=err("unclear_count", verb, task=task, value=_excerpt(t)))  # "装了12个": how far is that?
    return _Reading(writes=(Report(task=task, note=note),) if note else (), idle_hours=idle)


def _spans(t: str, pct: Percent) -> list[tuple[int, int]]:
    return [pct.span] if pct.span is not None else []


def _without(note: str, word: str) -> str:
    return clean(note.replace(word, " ", 1))


def _excerpt(t: str) -> str:
    return clean(t)[:PARAM_MAX_CHARS]


def _parts(s: str) -> tuple[str, list[tuple[str, str]]]:
    """(what stands before the first key, [(key, its words)]): a key referred to inside another's words stays there;
    keys joined with nothing between ("P-1、P-2 都完成了") share the words after."""
    keys = list(TASK_KEY_ANY.finditer(s))
    starts = [m for i, m in enumerate(keys)
              if m.start() == 0 or not _REFERENCE_BEFORE.search(s[: m.start()]) or _SEPARATOR.search(s[: m.start()])
              or _SAID_THEN_AND.search(s[: m.start()])
              or (i > 0 and w.JOINED_KEYS.match(s[keys[i - 1].end() : m.start()]))]
    if not starts and keys:
        starts = keys[:1]  # "half the pipes are in for P-6": the one task named, its words before it
    if len(starts) > 1 and not s[starts[-1].end() :].strip(EDGE_PUNCT) \
            and not w.JOINED_KEYS.match(s[starts[-2].end() : starts[-1].start()]):
        starts = starts[:-1]  # a key that ends a message with nothing of its own is named in the words before
    if not starts:
        return s, []
    parts = [(m.group(1).upper(), _AND_END.sub("", s[m.end() : nxt.start()]) if nxt is not None else s[m.end() :])
             for m, nxt in zip(starts, [*starts[1:], None], strict=True)]
    for i in range(len(parts) - 2, -1, -1):
        if w.JOINED_KEYS.match(parts[i][1]):
            parts[i] = (parts[i][0], parts[i + 1][1])
    return s[: starts[0].start()], parts


def understand(s: str, *, verb: str = "report", bare_is_percent: bool = False, one_task: bool = False
               ) -> Command | ParseError | None:
    """A field report (a message with task keys and no verb, or the words after `report`: `one_task`); None if
    `s` names no task."""
    s = respell(s)
    if not one_task and (pair := respective(s)) is not None:
        return pair
    quoted = w.QUOTED_QUESTION.match(s)
    if quoted is not None and not one_task:
        return _answer(quoted.group("quote"), quoted.group("answer"), verb)
    lead, parts = _parts(s)
    if one_task and parts:
        lead, parts = "", [(parts[0][0], s[len(parts[0][0]) :])]
    if not parts:
        heard = _SPOKEN_KEY.sub(r"\1-\2", spelled_keys(s))
        if heard != s and not one_task:  # voice input drops the dash or spells the key: "A3 到百分之八十", "E L V 三"
            result = understand(heard, verb=verb)
            if isinstance(result, (Report, Done, Start, Block, Unblock)) or (isinstance(result, Several) and any(isinstance(
                    x, (Report, Done, Start, Block, Unblock)) for x in result.items)) or (isinstance(result, ParseError) and result.verb == "block"):
                return result
        return _keyless(s, verb)
    if d.FIGURE_MOVED.search(s):
        return err("unclear_correction", verb, value=_excerpt(s))  # "A-4 刚才那个 60% 是 A-5 的": moved how?
    lead = lead.strip(EDGE_PUNCT + "-*•>")
    unplaced = False
    if lead and not w.LEAD_FILLER.fullmatch(lead):
        if w.LEAD_FORECAST.search(lead) or d.MEASURE_LEAD.search(lead):
            return None  # "预计周五 A-3 能到90%": a forecast, nothing to write
        unplaced = bool(w.HEARSAY.search(lead) or w.LEAD_HEDGE.search(lead))
        if not unplaced and (w.QUESTION_LEAD.search(lead) or w.QUESTION_END.search(s)):
            return None  # a question or a request about the task, not a report of the sender's
        if c.CORRECTION_ANYWHERE.search(lead) or w.NOT_THIS_TASK.search(lead) or w.OTHER_TASK.search(s):
            return err("unclear_correction", verb, value=_excerpt(s))
        # Words before the key are the task's too ("电缆到了，P-8 可以继续了", "5月3号 P-4 到60%"), unless
        # they report someone else's words or make the task an object ("他说 A-3 完成了", "我把A-3做完了").
        if len(parts) > 1 and find_hours(lead) is not None:
            return err("unclear_hours", verb, value=_excerpt(s), task=parts[0][0], example="2")  # "今天3h在A-6和A-7上": whose?
        # The lead's own clause stays its own, unless someone else is its subject ("day shift spent 6 hrs on A-3")
        parts[0] = (parts[0][0], f"{lead}{' ' if hw.SOMEONE_ELSE_BEFORE.search(lead) else ', '}{parts[0][1]}")
    unplaced = unplaced or any(w.HEARSAY_INSIDE.search(text) for _, text in parts)
    found = list(TASK_KEY_ANY.finditer(s))
    if any(w.KEY_RANGE.match(s[a.end() : b.start()]) for a, b in itertools.pairwise(found)):
        return err("unclear_task", verb, value=_excerpt(s))  # "A-4到A-7": which tasks exactly?
    if len(found) > 1 and hw.TOTAL.search(s):
        return err("unclear_hours", verb, value=_excerpt(s), task=parts[0][0], example="2")
    if len(parts) > 1:  # "A-1 和 A-2 each 3h": each of them, the word first as learners put it, not "every 3 hours"
        parts[-1] = (parts[-1][0], _EACH_FIRST.sub(r"\g<h> each", parts[-1][1]))
    readings = [_read(task, text, verb=verb, bare_is_percent=bare_is_percent) for task, text in parts]
    if any(d.NOT_THIS_KEY.fullmatch(text) for _, text in parts[:-1]):
        return err("unclear_correction", verb, value=_excerpt(s))  # "A-10 不是 A-9，60%": which task, and is it a correction?
    readings = [replace(r, writes=ws) for r, ws in zip(readings, each_hours([r.writes for r in readings], parts), strict=True)]
    if hours_unplaced(parts, [r.writes for r in readings]):
        return err("unclear_hours", verb, value=_excerpt(s), task=parts[0][0], example="2")  # "A-1 完成，A-2 40%，工时 4h": whose?
    if len(parts) == 1 and (PER_UNIT.search(parts[0][1]) or hw.EACH_HOURS.search(parts[0][1])) and any(getattr(x, "hours", None) for x in readings[0].writes):
        return err("unclear_hours", verb, value=_excerpt(s), task=parts[0][0], example="2")  # "20 min each": a rate
    shared = {i for i in range(len(parts) - 1) if parts[i][1] == parts[i + 1][1]}  # "A-6和A-7 今天3h": 3h in all, or each?
    if shared and len(set(_NUMBERS.findall(parts[-1][1]))) > 1 and _PERCENT_SAID.search(parts[-1][1]):
        return err("unclear_percent", verb, task=parts[0][0], value=_excerpt(s))  # "A-1 / A-2 at 65 & 90": which is whose?
    joined = {i for i in shared if not re.search(r"[0-9]", s[found[i].end() : found[i + 1].start()])} if len(found) == len(parts) else set()
    if any(getattr(x, "percent", None) for i in shared for x in readings[i].writes) and (
            _ROUGHLY.search(parts[-1][1]) or (joined and not _BOTH.search(s))):  # "A-8 和 A-9 80%": each, or the two together?
        return err("unclear_percent", verb, task=parts[0][0], value=_excerpt(s))  # "A-4 and A-5 about half each": each?
    if any(getattr(x, "hours", None) for i in shared for x in readings[i].writes) and not hw.EACH_HOURS.search(s):
        return err("unclear_hours", verb, value=_excerpt(s), task=parts[0][0], example="2")
    # Another task named inside a task's words ("A-3 和 A-4 一共5小时"), or a task's part with figures that say
    # nothing clear ("A-4 maybe 60 or 70"): the message is asked about as a whole.
    pairs = list(zip(readings, parts, strict=True))
    tangled = any(any(not _bare_note(x) for x in r.writes) and _JOINED_REFERENCE.search(text) for r, (_, text) in pairs) \
        or (len(parts) > 1 and any(_CHECK_MARK.fullmatch(text.strip(EDGE_PUNCT)) for _, text in parts)) \
        or (len(parts) > 1 and any((not r.writes and _FIGURES.search(text) and not _measured(r)) or (all(_bare_note(x) for x in r.writes) and (d.VAGUE_AMOUNT.search(text) or d.TROUBLE_MORE.search(text) or d.UNREAD.search(text)
                                                      or d.UNKNOWN_STATE.match(text)
                                                      or (d.START_WORD.search(text) and d.PART_OF_DAY.search(text))))
                                   for r, (_, text) in pairs))
    if len(parts) == 1 and _CHECK_MARK.fullmatch(parts[0][1].strip(EDGE_PUNCT)):
        return err("unclear_done", verb, value=_excerpt(s), task=parts[0][0])  # "A-3 ✅": done, or seen?
    if len(parts) == 1 and not clean(parts[0][1]) and not unplaced:
        return Status(target=parts[0][0])
    for reading in readings:
        if reading.ask is not None and not (len(readings) > 1 and _measured(reading)):
            return reading.ask  # a measurement in one part asks nothing: "A-3 pass rate 100%，A-4 回归花了 1.5h" writes A-4's
    writes = tuple(dict.fromkeys(write for reading in readings for write in reading.writes  # "A-3 A-3 unblock": once
                                 if _counts(write, len(parts)) and not (unplaced and _bare_note(write))))
    if any(reading.question for reading in readings):
        if len(parts) == 1 or not writes:
            return Status(target=parts[0][0]) if len(parts) == 1 else err("question", verb, task=parts[0][0])
        # "A-3 完成了吗？A-4 我这边完成了": a question closed by its own mark is its own sentence, not a doubt on the rest
        tangled = tangled or any(r.question and not (_ASKED_END.search(text) and text.strip(EDGE_PUNCT + "?？ ")) for r, (_, text) in pairs)
    if not writes:
        return None if unplaced else Status(target=parts[0][0])
    if len(readings) == 1 and readings[0].idle_hours and _bare_note(writes[0]):
        return err("not_spent", verb, task=parts[0][0], value=_excerpt(parts[0][1]))  # nothing to write, said so
    reasons: list[ConfirmReason] = [r.unsure for r in readings if r.unsure is not None]
    amended = c.CORRECTION_ANYWHERE.search(s) or c.CORRECTION.search(s)
    if amended is not None and amended.group(0).lower() != "sorry" and not (c.NOT_UNDO.search(s) or w.NOT_DONE.search(s) or w.FORECAST_BEFORE.search(s[: amended.start()])
                                    or d.FORECAST_BY.search(s, amended.end())  # "should be at 80 by Friday": a forecast
                                    or d.THING_WRONG.match(s, max(0, amended.start() - 2))):
        # "A-3 wrong, 应该是 60%": words of a correction read as a report's would write what was not meant; asked
        reasons.append("suggested")
    if tangled:
        reasons.insert(0, "several_unclear")
    if unplaced:
        return Confirm(items=writes, reason="unplaced_key", text=clean(s)[:PARAM_MAX_CHARS])
    if reasons:
        reason: ConfirmReason = reasons[0] if len(parts) == 1 else "several_unclear"
        return Confirm(items=writes, reason=reason, text=clean(s)[:PARAM_MAX_CHARS])
    return writes[0] if len(writes) == 1 else Several(items=writes)


def _answer(quote: str, answer: str, verb: str) -> Command | ParseError | None:
    """A reply under a quoted question ("> 王工：A-3 到多少了？ 70%"): the task is the quote's, so what the answer
    would write is offered, never written outright."""
    keys = {m.group(1).upper() for m in TASK_KEY_ANY.finditer(quote)}
    if len(keys) != 1 or TASK_KEY_ANY.search(answer):
        return understand(answer, verb=verb) if TASK_KEY_ANY.search(answer) else None
    result = understand(f"{keys.pop()} {answer}", verb=verb)
    items = result.items if isinstance(result, (Confirm, Several)) else (result,) if isinstance(
        result, (Report, Done, Block, Unblock, Start)) else ()
    if not items or all(_bare_note(x) for x in items if isinstance(x, (Report, Done, Block, Unblock, Start))):
        return result if isinstance(result, ParseError) else None
    writes = tuple(x for x in items if isinstance(x, (Report, Done, Block, Unblock, Start)))
    return Confirm(items=writes, reason="unplaced_key", text=clean(f"{quote} {answer}")[:PARAM_MAX_CHARS])


# Emoji at the end of a task's words decorate them ("开始抛石了 🚜"); marks that say something (✅ ❌) stay.
_TRAILING_EMOJI = re.compile(r"(?:\s*(?![\u2705\u2714\u2611\u274c\u274e\u2716])[\u2600-\u27bf\U0001f300-\U0001faff\ufe0f\u200d])+\s*$")

# The clause before a completion word names a step of its own ("…, 基座 done"), not the whole task ("…, all done").
_STEP_DONE = re.compile(r"[\s(（]*(?!(?:all|everything|whole|task|it)\b|全部|都|整体|全都|这个|任务|也|已|总体|整个)[\u4e00-\u9fffA-Za-z][\u4e00-\u9fffA-Za-z0-9/ ]{1,30}?\s*(?:也|已经?|都)?\s*")


_BOTH = re.compile(r"(?<![A-Za-z])(?:both|each|all|apiece)(?![A-Za-z])|都|各|均|分别|全部|一起", re.IGNORECASE)
_EACH_FIRST = re.compile(r"(?<![A-Za-z])each\s+(?P<h>[0-9.]+\s*(?:h|hrs?|hours?)(?![A-Za-z]))", re.IGNORECASE)


def _bare_note(write: FieldWrite) -> bool:
    return isinstance(write, Report) and write.percent is None and write.hours is None


def _measured(reading: _Reading) -> bool:
    """The part said only a measurement ("pressure fell 12%"): it is told so, nothing to ask about."""
    return reading.ask is not None and reading.ask.code == "measured_percent"


def _keyless(s: str, verb: str) -> ParseError | None:
    """A report that names no task ("做到80%了", "收工"): asked which task; chatter is left alone."""
    if w.QUESTION_END.search(s) or w.QUESTION_LEAD.search(s):
        return None
    reading = _read("?", s, verb=verb, bare_is_percent=False)
    if reading.unsure == "suggested" and w.DONE_SOFT.search(s) and all(isinstance(x, Done) for x in reading.writes):
        return None  # "nailed it, thanks all" with no task: chatter, not a report to ask about
    if (reading.ask is not None and reading.ask.code == "unclear_done") \
            or any((isinstance(x, (Report, Done)) and not _bare_note(x)) or (isinstance(x, Start) and reading.unsure is None) for x in reading.writes):
        return err("unclear_task", verb, value=_excerpt(s))
    return None


def _counts(write: FieldWrite, parts: int) -> bool:
    """A bare note on one of several tasks is chatter around the others, not a comment to write."""
    return not (parts > 1 and isinstance(write, Report) and write.percent is None and write.hours is None)
