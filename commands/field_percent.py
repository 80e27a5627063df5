"""A task's progress in field words: which percent in a message is the task's progress, judged by its
neighbours (a forecast, a measurement, a share of something else, an earlier figure are not), and the amounts said
in words ("一半", "七八成", "nearly done"). Part of the field reader (commands/field.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib.resources import files

from commands import field_doubts as d
from commands import field_words as w
from commands.numbers import Found, cn_number, percent_forms, round_int

# A number after a hedge, with no unit: the likely percent, asked about ("close to 90", "60ish", "六十").
# A subject and its verb before a percent is a share of that subject ("电缆放了60%"), not the task's progress.
BARE_NUMBER = re.compile(r"(?:(?P<int>[0-9]{1,3})|(?P<frac>0?\.[0-9]{1,4}|1\.0{1,4}))(?![0-9.%:点])(?P<unit>\s*[^\s,;:.!?]{0,2})")

_UNIT_AFTER_NUMBER = re.compile(r"^\s*(?:[个台套米根条处层段批项件次天号点块张把箱桶吨斤楼栋间户小分度℃°]|kg|mm|cm|m(?![A-Za-z])|pcs|units?|pieces?|"
                                r"h(?![A-Za-z])|hrs?|hours?|mins?|"
                                r"meters?|floors?|rooms?|[ap]\.?m(?![A-Za-z])|o'?clock)", re.IGNORECASE)

_HEDGED_NUMBER = re.compile(r"(?:close to|about|around|like|roughly|maybe|大概|大约|约|快|差不多|接近)\s*([0-9]{1,3})"
                            r"(?![0-9.%:]|\s*(?:(?:more|extra|further) )?(?:h|hrs?|hours?|mins?|minutes?|secs?|seconds?|小时|分|秒|个|天|days?|weeks?|months?)(?![A-Za-z]))"
                            r"|(?<![0-9.])([0-9]{1,3})\s*(?:ish(?![A-Za-z])|[多几]\s*[%％])|^(?:到了?|做到|干到|弄到)?\s*([一二三四五六七八九]?十[一二三四五六七八九]?)\s*[多几]?\s*了?\s*$"
                            r"|(?<![一二三四五六七八九十百])([一二三四五六七八九]十)[多几]\s*[%％]",
                            re.IGNORECASE)

_LABEL_RIGHT_BEFORE = re.compile(r"(?:(?:进度|(?<![A-Za-z])progress)\s*(?:到了?|是|为|is|at|is at|[:：])?|做到了?|干到了?|弄到了?)\s*$", re.IGNORECASE)
_LABELLED_NUMBER = re.compile(r"(?:进度(?:更新)?|完成度|完成率|progress|progres|progess|prgress|porgress|progrss|pct|completion|(?:percent|pct|%)\s*(?:complete|completed|done|finished)"
                              r")\s*[:：=]?\s*(?:到了?|达到了?|为|是|at|is|to|of|now|now at|(?:has )?reached|hit)?\s*"
                              r"([0-9]{1,3}(?![0-9.%:]|/[0-9])|[一二三四五六七八九]?十[一二三四五六七八九]?(?![成%])|一百)",
                              re.IGNORECASE)

HEDGE_WORDS = r"大概|大约|约莫|约摸|估摸着?|大致|约|差不多|可能|也许|(?<![A-Za-z])(?:about|around|roughly|approx(?:imately)?|maybe|perhaps|probably|like(?=\s*$|\s[0-9])|(?:i )?reckon(?: (?:we'?re|we are|it'?s|it is|that'?s))?)(?![A-Za-z])|~"
_HEDGE_WORD = re.compile(rf"(?:{HEDGE_WORDS})\s*$", re.IGNORECASE)
_STARTED_AT = re.compile(r"(?<![A-Za-z])(?:began|started|kicked off|开始|开工)\S*(?:\s+\S+){0,2}\s*$", re.IGNORECASE)
_WAIT_SAID = re.compile(r"等|(?<![A-Za-z])wait", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[;；。!！?？]|\.\s")
_RATIO_END = re.compile(r"(?<![0-9:])[0-9]{1,3}\s*:\s*[0-9]{1,3}(?![0-9:])\s*$")  # "1:7", a ratio (not 10:30, a time)
_HEDGE_ONLY = re.compile(rf"(?:{HEDGE_WORDS})|[\s,，]", re.IGNORECASE)
# Unsure, not about: "maybe half" is asked, though "about half" is 50.
_UNSURE_WORD = re.compile(r"(?:可能|也许|(?<![A-Za-z])(?:maybe|perhaps|probably|i'?d say|i reckon|i guess))\s*$", re.IGNORECASE)

_PROGRESS_CUE_BEFORE = re.compile(r"(?:做到|干到|弄到|装到|达到|到了|到|已经|已|目前|现在|(?<![A-Za-z])(?:at|is at|now at|reached|to))\s*$",
                                  re.IGNORECASE)

# From one figure to another ("从40%推进到75%", "进度由30%提升至48%", "从35%更新为60%", "from 30% go up to 60%", "20% → 45%"):
# where it stands is the second.
_FROM_TO_PERCENT = re.compile(r"(?:(?:[从由]|(?<![A-Za-z])from)\s*(?:(?:早上|上午|昨天|今早|周一|this morning|yesterday)\s*(?:的)?\s*)?[0-9]{1,3}\s*%?\s*[,，]?\s*(?:(?:up|涨|提升|提高|升|推进|推|拉|干|做|弄|搞|去|提)\s*"
                              r"|(?:更新|改|调整)\s*(?=[为成到])|(?:go(?:es)?|went|gone|moved|climbed|jumped)\s+(?:up\s+)?|up\s+)?(?:到了?|至|为|成|to|->|→)"
                              r"|(?<![0-9.])[0-9]{1,3}\s*%?\s*(?:->|→|=>))\s*(?P<to>[0-9]{1,3})\s*%", re.IGNORECASE)

_RANGE_PERCENT = re.compile(r"(?<![0-9.A-Za-z])([0-9]{1,3})\s*%?\s*(?:-|~|～|到|至|或者?|还是|or|to|and)\s*[0-9]{1,3}\s*(?:%|％)"
                            r"|(?<![0-9.])([0-9]{1,3})\s+(?:or|或)\s+[0-9]{1,3}(?![0-9])", re.IGNORECASE)

# "从百分之四十，到百分之六十了": moved from one to the other, said in Chinese numerals.
_CN_FROM_TO = re.compile(r"[从由]\s*百分之[一二两三四五六七八九十]{1,3}\s*[,，]?\s*(?:(?:推|干|做|弄|提|拉)?(?:到了?|至))\s*百分之(?P<to>[一二两三四五六七八九十百]{1,3})")
_CN_RANGE = re.compile(r"百分之([一二三四五六七八九十]{1,3})\s*(?:到|至|-|~|～|或)\s*(?:百分之)?[一二三四五六七八九十百]{1,3}")
_CN_TENS_RANGE = re.compile(r"(?:百分之[一二三四五六七八九][一二三四五六七八九]十(?![一二三四五六七八九])"
                            r"|[一二三四五六七八九][一二三四五六七八九]十\s*(?:%|的样子|左右))")

_SHARE_BEFORE = re.compile(r"[\u4e00-\u9fffA-Za-z]{2,}\s*(?:(?!开始了|开工了)[\u4e00-\u9fff]{1,3}了|"
                           r"到货了?|交货了?|进场了?|交付了?|发货了?|到位了?|到场了?|就位了?|到齐了?)\s*$")

# Words that say the figure after them is the task's progress, whatever names stand before ("rebar 完成 60%").
_STRONG_CUE_BEFORE = re.compile(r"(?:(?:今天|现在|目前)(?:到了?)?|(?<![A-Za-z])(?:now|today) (?:at|is at)|完成|进度|做到|干到|弄到|达到|整体|总体|overall|task (?:is )?(?:at|is)|progress|complete|completed|done)"
                                r"\s*(?:(?:we'?re|we are|it'?s|it is)\s+)?(?:到了?|了|:|：|about|around|roughly|at|is|is at)?\s*$",
                                re.IGNORECASE)
# Words right after a percent that make it the task's own ("cabling 50% complete", "data mapping 35% through"), and
# a percent form that carries its own label ("UAT 进度 60%"): the names before it are a step of the task.
_STRONG_CUE_AFTER = re.compile(r"^\s*(?:complete[d]?|done|finished|through(?=\s*(?:$|[,.;!，。；]|now|so far|today))|完成|完工)",
                               re.IGNORECASE)
# ... unless the words before are someone else, hearsay, a plan or a part ("vendor says", "should be", "crew A"), or
# the words after tie the figure to a date or another thing ("80% done by Friday", "50% done with the order").
_NOT_OWN_STEP = re.compile(r"[A-Za-z]+\s*#?[0-9]+\s*(?:is\s*)?$|(?<![A-Za-z])(?:says?|said|told|reports?|reported|should|"
                           r"will|would|could|might|may|must|expect(?:ed|s)?|target|plan(?:ned)?|goal|vendor|supplier|"
                           r"contractor|subcontractor|sub|team|crew|they|he|she|client|customer|other|their|his|her|"
                           r"last|yesterday|was|were|batch|lot|[A-Za-z]+ [A-Z])(?![A-Za-z])", re.IGNORECASE)
# An acronym right before a figure may be a metric as well as a phase ("SOH 80%", "UAT 60%"): asked.
_ACRONYM_RIGHT_BEFORE = re.compile(r"(?<![A-Za-z0-9-])[A-Z]{2,5}s?\s*(?:[:：=]|at|is|is at)?\s*$")
# After a named step's percent, another part not begun: the figure is that one part's ("backend 80%, 前端还没开始").
_OTHER_PART_PENDING = re.compile(r"^[^。.!?]*?[,，;；]\s*[^,，;；。]{1,16}?\s*(?:还没开始|还没开工|没开始|未开始|还没动|"
                                 r"not (?:yet )?started|hasn't started|haven't started|not begun|yet to start)", re.IGNORECASE)
_NOT_OWN_AFTER = re.compile(r"^\s*\S+\s*(?:by|before|until|with|for|of|on)(?![A-Za-z])", re.IGNORECASE)
# Done right after the percent ("eddy current 50% done"): the words before name the work, not a reading.
_DONE_RIGHT_AFTER = re.compile(r"\s*(?:done|complete|completed|finished)(?![A-Za-z?])(?!\s*[?？])|\s*(?:完成|做完)(?!了?\s*(?:吗|没|[?？]))", re.IGNORECASE)
_LABEL_START = re.compile(r"(?:进度|完成度|完成|progress|completion)", re.IGNORECASE)
_REACHED_BEFORE = re.compile(r"(?:做|干|弄|推进|推|进展|砌|装|铺|调试|调|换)\s?到了?\s*$|(?:做|干|弄|搞|进行|完成)了\s*$")  # "砌筑今天做到了85%": the task's progress
# "装了八成", "铺了三分之二": a fraction in words after the work done is how far the task is ("管子装了60%" is a share of
# the pipes, asked: a digit percent after a done-verb stays with _SHARE_BEFORE).
# A quantity's word that names the work done on it ("leak repair now 95%", "压力测试 60%"): the work's progress.
_WORK_ON_IT = re.compile(r"\s*(?:repairs?|fix(?:es|ing)?|sealing|remediation|修复|整改|处理)(?![A-Za-z])", re.IGNORECASE)
_DONE_VERB_END = re.compile(r"(?:完成|做|干|弄|装|铺|推进)了?\s*$")  # "大约完成了三分之二": the hedge is the fraction's
_DID_FRACTION_BEFORE = re.compile(r"(?:换|装|铺|贴|拆|焊)了\s*$")
# Words before a lone number that say when, or that it is the state ("今天 60", "at 55", "status 80", "到80了").
_LEADING_TIME = re.compile(r"\s*(?:(?:[-–—]+|今天|今日|这周|本周|目前|现在|today|now|this week|(?:is |now )?at|is|status|update|到了?)(?![A-Za-z])\s*[:：]?\s*){0,3}",
                           re.IGNORECASE)
_FROM_TO = re.compile(r"(?:从|from)\s*[0-9]{1,3}\s*%?\s*(?:到|至|to|->|→)\s*$|[0-9]{1,3}\s*%?\s*(?:->|→|=>)\s*$",
                      re.IGNORECASE)


# The English word right before a percent, past a linking word or a hedge ("yeast viability 92%", "tension is at 80%").
_WORD_RIGHT_BEFORE = re.compile(r"(?<![A-Za-z'-])([A-Za-z]{3,})\s*(?:(?:[:：=~]|is|was|at|of|about|around|roughly|approx|"
                                r"到|为|是|约|大概)\s*){0,2}$", re.IGNORECASE)


# A Chinese noun of a quantity or a property right before a percent, by its last character (活性, 张力, 电压, 单价, 水温,
# 转速, 能耗, 峰值): a measurement; the suffixes 率, 量, 度 are in MEASURE_BEFORE.
_CN_MEASURE_RIGHT_BEFORE = re.compile(r"(?:不良|缺陷|报废|返工|[\u4e00-\u9fff](?:性|值|压|力|价|(?<!保)温|速|耗|衰))\s*(?:(?:是|为|到|达到|约|大概|有|在|:|：)\s*){0,2}$")


# "八成 ok": "most likely fine", or 80 % and fine? Asked, 80 offered.
_CHENG_THEN_OK = re.compile(r"\s*(?:ok|没问题|能行|行)(?![A-Za-z])", re.IGNORECASE)
# "八成是明天才能调完": "most likely", an adverb before a time or a verb, no figure at all
_CHENG_PROBABLY = re.compile(r"\s*(?:是|会|要|能|得)?\s*(?:明天|今天|后天|下周|今晚|明早|来不及|赶不上|不行|不够)")
# ">40% TW", "≤5%": a threshold; "0/25/50/75/100%": a list of set points; not how far the work is
_COMPARED_SIGN = re.compile(r"(?<![-=])[<>≥≤]=?\s*$|[0-9]\s*/\s*$")
# A figure not reached ("还没到40%", "not 40% yet", "isn't at half"): how far it is, no one says; asked.
_NEGATED_BEFORE = re.compile(r"(?:(?<![A-Za-z])(?:not|isn'?t|aren'?t|wasn'?t|hasn'?t|haven'?t|never)(?:\s+(?:even|yet|quite|reached|"
                             r"hit|got to|gotten to|at|to|been at|made it to|up to))*|还没(?:有)?(?:到|达到|做到|干到|过)?|没(?:有)?(?:到|达到|做到)|"
                             r"未(?:到|达到|过)|不到|不足)\s*(?:约|大概|about|around)?\s*$", re.IGNORECASE)


@cache
def _measure_nouns() -> frozenset[str]:
    """The nouns of a quantity or a state (commands/measure_nouns.txt, generated from WordNet): read on first use."""
    text = files("commands").joinpath("measure_nouns.txt").read_text(encoding="utf-8")
    return (frozenset(line for line in text.splitlines() if line and not line.startswith("#")) | d.MORE_MEASURES) - w.PROGRESS_VOCAB


_ADVERBS = frozenset({"even", "only", "just", "still", "already", "yet", "now"})


def measure_noun_before(before: str) -> bool:
    """A noun that names a quantity or a state stands right before the percent: a measurement of a thing."""
    if _CN_MEASURE_RIGHT_BEFORE.search(before):
        return True
    m = _WORD_RIGHT_BEFORE.search(before)
    if m is None:
        return False
    word, nouns = m.group(1).lower(), _measure_nouns()
    if word in _ADVERBS:
        return False  # "not even 30%": WordNet has "even" as a noun too
    return word in nouns or any(word.endswith(plural) and word[: -len(plural)] in nouns for plural in ("s", "es"))


# The noun (of one or two words) ends the clause: "50% power supply installed" is the work on a thing, "at 50% power"
# and "70% firing rate" readings.
_WORD_RIGHT_AFTER = re.compile(r"^\s*(?:[A-Za-z]+\s+)?([A-Za-z]+)(?=\s*(?:$|[,.;!?，。；！？]|(?:now|today|atm|again|现在|目前)(?![A-Za-z])))")
# WordNet nouns too, but "90% ready" is how far the work is, and "atm" is "at the moment" in chat
_NOT_MEASURES = frozenset({"ready", "way", "atm", "rn", "eod", "asap", "fyi", "btw", "tbh", "pls", "thx", "lol"})


def measure_noun_after(after: str) -> bool:
    """A noun that names a quantity or a state right after the percent, ending its clause ("at 30% intensity")."""
    m = _WORD_RIGHT_AFTER.match(after)
    return m is not None and m.group(1).lower() not in _NOT_MEASURES and m.group(1).lower() in _measure_nouns()


@dataclass(frozen=True)
class Percent:
    value: int | None = None  # a definite progress
    guess: int | None = None  # the likely progress, to be confirmed
    unclear: bool = False  # a percent that may or may not be progress, with no guess
    span: tuple[int, int] | None = None
    bad: Found | None = None  # progress that is no percent (over 100, "百分之八八")


def clause_after(t: str) -> str:
    """`t` up to the end of its first clause."""
    return re.split(r"[,;!?。，；！？]|\. ", t, maxsplit=1)[0]


def clause_before(t: str, start: int) -> str:
    stop = t.rfind(". ", 0, start)
    cut = max(max(t.rfind(c, 0, start) + 1 for c in ",;!?。，"), stop + 2 if stop >= 0 else 0)
    return t[cut:start]


def read_percent(t: str, *, bare_is_percent: bool) -> Percent:
    """The task's progress in `t`, judged by what surrounds each percent."""
    progress: list[Found] = []
    unclear = False
    moved = _FROM_TO_PERCENT.search(t)
    if moved is not None and w.MEASURE_BEFORE.search(t[: moved.start()]):
        return Percent(span=(moved.start(), len(t)))  # "charge test: 20% → 80% in 28 min": a measurement, and its time
    if moved is not None and int(moved.group("to")) <= 100:
        return Percent(value=int(moved.group("to")), span=moved.span())
    moved_cn = _CN_FROM_TO.search(t)
    if moved_cn is not None and (to := cn_number(moved_cn.group("to"))) is not None and to <= 100:
        return Percent(value=to, span=moved_cn.span())
    ranged = _CN_TENS_RANGE.search(t)
    if ranged is not None and not w.MEASURE_BEFORE.search(clause_before(t, ranged.start())):
        return Percent(guess=_lower_of(ranged.group(0)), span=ranged.span())  # "百分之六七十", "六七十%": a range
    ranged = _CN_RANGE.search(t)
    if ranged is not None and (low := cn_number(ranged.group(1))) is not None and low <= 100:
        return Percent(guess=low, span=ranged.span())  # "百分之七十到八十": a range
    ranged = _RANGE_PERCENT.search(t)
    if ranged is not None:
        return Percent(guess=int(ranged.group(1) or ranged.group(2)), span=ranged.span())
    previous_end, measured = 0, False
    for found in percent_forms(t):
        before, after = clause_before(t, found.start)[-(found.start - previous_end):], t[found.end :]
        previous_end = found.end
        # A reading against a limit in the percent's own sentence ("偏差 2%，在允许范围内"), not in another one
        # ("frame at 40%; the survey came back within spec")
        measured = measured or bool(w.IN_SPEC.search(_SENTENCE_END.split(t[found.end :], maxsplit=1)[0])
                                    or w.IN_SPEC.search(_SENTENCE_END.split(t[: found.start])[-1]))
        if t[found.start : found.end].endswith("成"):
            if _CHENG_PROBABLY.match(after):
                continue
            if found.value is not None and _CHENG_THEN_OK.match(after) and not _REACHED_BEFORE.search(before):  # "做到八成 ok" is how far it got
                return Percent(guess=int(found.value), span=(found.start, found.end))
        bound = d.BOUND_BEFORE.search(before)
        if bound is not None and not measured and found.value is not None and found.value == found.value.to_integral_value() and 1 <= found.value <= 100 \
                and not any(word.lower() not in ("bit", "little", "tad", "touch", "hair") and word.lower() in _measure_nouns()
                            for word in re.findall(r"[A-Za-z]+", before[: bound.start()])):
            return Percent(guess=int(found.value), span=(found.start, found.end))  # "a bit under 40%": about, asked
        measure = w.MEASURE_BEFORE.search(before)
        # A hedge alone before the percent: the clause before says what it is ("gradient 按1:7，差不多14%").
        head = t[: found.start - len(before)].rstrip(" ,，;；") if before.strip() and not _HEDGE_ONLY.sub("", before).strip() else ""
        ahead = clause_before(head, len(head))
        if measure is not None and (_LABEL_RIGHT_BEFORE.search(before[measure.end() :]) or _WORK_ON_IT.match(before, measure.end())):
            measure = None  # "泄漏测试 progress 45%", "主变安装进度到了": the word before the label names the work
        if _step_done_so_far(measure, t, found.end):
            measure = None
        if w.FORECAST_BEFORE.search(before) or measure is not None or w.PAST_BEFORE.search(before) or (
                measured and not _STRONG_CUE_BEFORE.search(before) and not _LABEL_START.match(t[found.start : found.end])
        ) or (measure_noun_before(before) and not _DONE_RIGHT_AFTER.match(after) and not _LABEL_START.match(t[found.start : found.end])) or (ahead and _RATIO_END.search(ahead)) or d.SETTING_BEFORE.search(before) or d.CN_MEASURED.search(before) or d.CONSUMED_BEFORE.search(before) or _COMPARED_SIGN.search(before):
            measured = True  # a forecast, a measurement, an earlier figure, or the next of a list of readings
            continue
        if w.OFF_TARGET_AFTER.match(after) or w.BY_A_DATE_AFTER.match(after) or d.LEFT_OR_RUNNING_AFTER.match(after) or (found.value == 100 and d.CERTAIN_AFTER.match(after)
                                                                                   and not _NEGATED_BEFORE.search(before)):
            continue  # "it's 100% not the fuse": certainty, no percent
        if w.PART_BEFORE.search(before):
            unclear = True  # "3层 50% 完成", "phase 2 50% complete": one part's progress, not the task's
            continue
        if not bare_is_percent and not _STRONG_CUE_BEFORE.search(before) and (not _STRONG_CUE_AFTER.match(after) or _NOT_OWN_STEP.search(before) or _NOT_OWN_AFTER.match(after)) \
                and not _LABEL_START.match(t[found.start : found.end]) and any(word.lower() not in w.PROGRESS_VOCAB
                                       for word in re.findall(r"[A-Za-z][A-Za-z']+", before)) \
                and (_NOT_OWN_STEP.search(before) or _OTHER_PART_PENDING.match(after) or _ACRONYM_RIGHT_BEFORE.search(before)):
            unclear = True  # "vendor says 80%", "backend 80%, 前端还没开始": someone else's, or one part of several
            continue
        if _NEGATED_BEFORE.search(before):
            unclear = True
            continue
        if w.REMAINING_BEFORE.search(before):
            unclear = True  # "还剩 30% 没做": the rest, not the progress
            continue
        if w.SHARE_AFTER.match(after) or d.ARRIVED_AFTER.match(after) or d.ARRIVED_BEFORE.search(before) or (d.STOPPED_AFTER.match(after) and not _WAIT_SAID.search(t)) or d.SHARE_LEAD.search(before) or (d.SHARE_OF_THING.search(before) and d.SHARE_DONE_AFTER.match(after)):
            unclear = True  # "瓷砖 80% 已到货", "90% 都会…": a share of something else, asked
            continue
        if w.MEASURE_AFTER.match(after) or measure_noun_after(after) or d.COMPARED_AFTER.match(after):
            measured = True
            unclear = unclear or (after.lstrip().startswith(("的", "of", "OF", "Of", "多", "以上", "出头", "the"))
                                  and (found.value is None or found.value <= 100))  # "105% of min spec": no share of anything
            continue
        if _SHARE_BEFORE.search(_HEDGE_WORD.sub("", w.TIME_WORDS.sub("", before))) and not _STRONG_CUE_BEFORE.search(before) \
                and not _LABEL_START.match(t[found.start : found.end]) \
                and not _REACHED_BEFORE.search(before):
            unclear = True
            continue
        if found.value is None or not Decimal(0) <= found.value <= Decimal(100):
            return Percent(bad=found, span=(found.start, found.end))
        if found.value != found.value.to_integral_value() and not Decimal(1) <= found.value <= Decimal(99):
            unclear = True  # "0.5%", "99.7%": a measurement's figure; never rounded up to a start or to 100
            continue
        if progress and _FROM_TO.search(t[: found.start]):
            progress = []
        progress.append(found)
        if w.HEDGE_BEFORE.search(before) or w.HEDGE_AFTER.search(after) or d.BOUND_BEFORE.search(before) or d.HEDGE_AFTER.match(clause_after(after)) \
                or d.SOME_MORE_AFTER.match(after):
            return Percent(guess=int(found.value), span=(found.start, found.end))
    if len({int(f.value) for f in progress if f.value is not None}) > 1:
        return Percent(unclear=True)
    if progress:
        first = progress[0]
        assert first.value is not None
        cue = _PROGRESS_CUE_BEFORE.search(t[: first.start])
        return Percent(value=round_int(first.value), span=(cue.start() if cue else first.start, progress[-1].end))
    m = _LABELLED_NUMBER.search(t)
    labelled = cn_number(m.group(1)) if m is not None else None
    if m is not None and labelled is not None and labelled <= 100:
        if d.MORE_THAN_AFTER.match(t, m.end()) or d.RANGE_TO_AFTER.match(t, m.end()) or d.HEDGE_AFTER.search(clause_after(t[m.end() :])):
            return Percent(guess=labelled, span=m.span())  # "进度 90 多", "进度 50 to 60 左右": about, asked
        return Percent(value=labelled, span=m.span())
    for pattern, value in w.APPROXIMATE_PERCENT:
        m = pattern.search(t)
        if m is not None and not _not_progress(t, m.start(), m.end()):
            guess = value if value >= 0 else _lower_of(m.group(0))
            return Percent(guess=guess, span=m.span())
    for pattern, value in w.DEFINITE_PERCENT:
        m = pattern.search(t)
        if m is None:
            continue
        ahead, rest = clause_before(t, m.start()), t[m.end() :]
        if _NEGATED_BEFORE.search(ahead) or unclear or d.FIRST_STEP_BEFORE.search(ahead):
            return Percent(unclear=True)  # "还没到一半": not reached, so how far? "70% of the pipes delivered, half installed": which?
        if m.group(0).lower().endswith("through"):
            if d.NUMBERED_PART.match(rest):
                return Percent(unclear=True)  # "halfway through the row 3 panels": one part's
            rest = re.sub(r"^\s*the\s", " ", rest)  # "halfway through the pulls": the task's own work named
        if w.MEASURE_AFTER.match(rest) or (_SHARE_BEFORE.search(w.TIME_WORDS.sub("", ahead))
                                                   and not _REACHED_BEFORE.search(ahead) and not _DID_FRACTION_BEFORE.search(ahead)):
            return Percent(unclear=True)
        if not _not_progress(t, m.start(), m.end()):
            hedged = d.BOUND_BEFORE.search(ahead) or d.HEDGE_AFTER.search(clause_after(rest)) or _UNSURE_WORD.search(ahead) or d.LESS_OR_MORE.search(rest) or (value != 50 and (_HEDGE_WORD.search(ahead)
                                      or _HEDGE_WORD.search(_DONE_VERB_END.sub("", ahead))
                                      or re.match(r"\s*(?:左右|吧|[,，]?\s*(?i:give or take|or so)(?![A-Za-z]))", t[m.end() :])))  # "三分之一左右", "三分之二吧": asked
            return Percent(guess=value, span=m.span()) if hedged else Percent(value=value, span=m.span())
    if unclear:
        return Percent(unclear=True)
    m = _HEDGED_NUMBER.search(t)
    if m is not None and not d.CLOCK_AFTER.match(t, m.end()) and not _STARTED_AT.search(t[: m.start()]):  # "around 2pm", "began … around 9": a time
        value = int(m.group(1) or m.group(2)) if (m.group(1) or m.group(2)) else cn_number(m.group(3) or m.group(4)) or 0
        if value <= 100:
            return Percent(guess=value, span=m.span())
    m = bare_number(t)
    if m is not None and not _UNIT_AFTER_NUMBER.match(m.group("unit")):
        value = int(m.group("int")) if m.group("int") else round(Decimal(m.group("frac")) * 100)
        if value > 100 and (bare_is_percent or not t[m.end("int") :].strip(" ,;:.!?")):
            return Percent(bad=Found(m.start(), m.end("int"), Decimal(value), str(value)))
        if value <= 100:
            if bare_is_percent or w.PERCENT_LABEL_BEFORE.search(t[: m.start()]):
                return Percent(value=value, span=(m.start(), m.end("int") if m.group("int") else m.end("frac")))
            return Percent(guess=value, span=(m.start(), m.end("int") if m.group("int") else m.end("frac")))
    return Percent()


def bare_number(t: str) -> re.Match[str] | None:
    """A number standing alone at the start of `t`, after a time word ("60", "今天 60"): the likely percent."""
    lead = _LEADING_TIME.match(t)
    return BARE_NUMBER.match(t, lead.end() if lead else 0)


def _not_progress(t: str, start: int, end: int) -> bool:
    before = clause_before(t, start)
    measure = w.MEASURE_BEFORE.search(before)
    return bool(w.FORECAST_BEFORE.search(before) or (measure and not _step_done_so_far(measure, t, end)) or _NEGATED_BEFORE.search(before))


def _step_done_so_far(measure: re.Match[str] | None, t: str, end: int) -> bool:
    """An English word of a measurement names a step of the work when completion follows the figure ("rotor removal
    67% complete", "… two thirds complete"): as far as it has gone, no reading."""
    return measure is not None and measure.group(0).isascii() and measure.group(0).strip().isalpha() and bool(_DONE_RIGHT_AFTER.match(t, end))


def _lower_of(words: str) -> int:
    digits = re.findall(r"[0-9]+", words)
    if digits:
        return int(digits[0])
    first = next((c for c in words if c in "一二三四五六七八九"), "一")
    return ("一二三四五六七八九".find(first) + 1) * 10
