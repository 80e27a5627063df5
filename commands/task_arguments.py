"""Arguments of the verbs that find and change tasks: tasks, search, assign, comment, due, priority, close,
reopen; and the hand-over said without a verb (`A-3 给 王波`), read before a field report would take it as a note."""

from __future__ import annotations

import re

from commands.errors import err, missing
from commands.grammar import Args
from commands.keys import PROJECT_KEY_AT, TASK_KEY_AT, key_at_start, task_arg
from commands.model import (
    Assign,
    Close,
    Command,
    Comment,
    ParseError,
    Priority,
    PriorityStep,
    Reopen,
    Search,
    SetDue,
    SetPriority,
    TaskFilter,
    Tasks,
)
from commands.natural_dates import natural_date
from commands.text import EDGE_PUNCT

MAX_PAGE = 100
_PAGE = re.compile(r"(?:^| )(?:page ?([0-9]{1,4})|第 ?([0-9]{1,4}) ?页|p([0-9]{1,4}))$", re.IGNORECASE)
_FILTER_WORDS: dict[str, TaskFilter] = {
    "mine": "mine", "my": "mine", "me": "mine", "我的": "mine", "我": "mine",
    "overdue": "overdue", "late": "overdue", "逾期": "overdue", "超期": "overdue", "过期": "overdue",
    "blocked": "blocked", "阻塞": "blocked", "卡住": "blocked",
    "week": "week", "this week": "week", "due this week": "week", "本周": "week", "这周": "week",
    "本周到期": "week", "todo": "todo", "未开始": "todo", "待办": "todo",
    "in_progress": "in_progress", "doing": "in_progress", "进行中": "in_progress",
    "done": "done", "closed": "done", "已完成": "done", "已关闭": "done",
}
_FILTER_AT = re.compile("|".join(sorted((re.escape(w) for w in _FILTER_WORDS), key=len, reverse=True)),
                        re.IGNORECASE)
PRIORITY_WORDS: dict[str, Priority] = {
    "low": "low", "低": "low", "normal": "normal", "medium": "normal", "普通": "normal", "中": "normal",
    "正常": "normal", "high": "high", "高": "high", "urgent": "urgent", "highest": "urgent", "紧急": "urgent",
    "最高": "urgent", "急": "urgent",
}
# Words that move a priority one step from where it is, to the verb ("priority A-3 调高") or in field words
# ("A-3 优先级调高一点", "bump A-3 up"): one table for both (commands/said_changes.py).
PRIORITY_UP = (r"(?:往上|往上调|调高|升|提)一?提一提|往上提一提|(?:往上调|调高|升|提)一档|(?:调高|提高|升高|往上调)一?(?:点|些)|调高|提高|升高|往上调|往上提|提一下|升一级|提一级|调高一级"
               r"|raise|raised|bump(?:ed)?(?: up)?|up|higher|increase")
PRIORITY_DOWN = r"(?:降低|调低|低)一点|调低|降低|往下调|降一级|降一下|调低一下|lower(?:ed)?|down|decrease"
_STEPS: tuple[tuple[re.Pattern[str], PriorityStep], ...] = (
    (re.compile(PRIORITY_UP, re.IGNORECASE), "higher"), (re.compile(PRIORITY_DOWN, re.IGNORECASE), "lower"))


def priority_step(word: str) -> PriorityStep | None:
    """"higher" or "lower" for a word that moves a priority one step; None for any other word."""
    return next((step for pattern, step in _STEPS if pattern.fullmatch(word)), None)
# `A-3 给 王波`, `A-3 交给 bob`: the whole message is the key, a hand-over word and one short name — a name is
# 2-4 Chinese characters or one Latin word, so `A-3 给王波打电话了` stays a report with its note.
_HANDOVER = re.compile(r"(?:把 ?)?(?P<key>[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,9}) ?(?:转给|交给|分配给|指派给|改派给|给|assign(?:ed)? ?(?:给|to)) ?"
                       r"@?(?P<who>[\u4e00-\u9fff]{2,4}?|[A-Za-z][A-Za-z0-9._\-]{0,31})"
                       r"(?: ?(?:他们|她们)?的?(?:班组|小组|团队|那边|(?i:'s team|'s crew)))?"  # "交给 老李 他们班组": to him, for his crew
                       r"(?: ?(?:来|去)?(?:跟进|处理|负责|接手|接管|跟|盯|管|做|干|弄)(?:一下|吧|了)*)?(?: ?吧)?(?: ?(?i:pls|please|thanks))?"
                       r"(?:[,;.] ?(?!.*(?:完|好了|done|finish|搞定))[^0-9%]{0,40}| (?:他|她)(?!.*(?:完|好了|done|finish|搞定))[^0-9%]{1,20})?")  # "…给 李强 他熟": why him
NOT_NAME_END = re.compile(r"[了吧吗呢啊的过着]$|^(?i:me|myself|us|him|her|them)$|^(?:我|我自己|自己)$")  # "给王波打电话了": a sentence; "me": no name
_TO = re.compile(r"^(?:to|给|交给|转给|->|→)? ?@?", re.IGNORECASE)
_COMMENT_AFTER_KEY = re.compile(r"(?P<key>[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,9}) ?(?:加个|加一条|add a )?\s*(?:备注|评论|批注|(?i:note|comment)(?=\s*[:：])) ?[:：]? ?(?P<text>.+)",
                                re.DOTALL)


def _page(rest: str, verb: str) -> tuple[str, int] | ParseError:
    m = _PAGE.search(rest)
    if m is None:
        return rest, 1
    page = int(next(g for g in m.groups() if g))
    if not 1 <= page <= MAX_PAGE:
        return err("bad_page", verb, value=str(page))
    return rest[: m.start()].strip(), page


def tasks(args: Args) -> Command | ParseError:
    paged = _page(args.rest, "tasks")
    if isinstance(paged, ParseError):
        return paged
    rest, page = paged
    filters: list[TaskFilter] = []
    project: str | None = None
    while rest:
        m = _FILTER_AT.match(rest)
        if m is not None and (m.end() == len(rest) or not rest[m.end()].isascii() or rest[m.end()] == " "
                              or not m.group(0).isascii()):
            word = _FILTER_WORDS[m.group(0).lower()]
            filters += [word] if word not in filters else []
            rest = rest[m.end():].strip(EDGE_PUNCT + " ")
            continue
        found = key_at_start(PROJECT_KEY_AT, rest)
        if found is None or project is not None:
            return err("bad_task_key", "tasks", value=rest.split()[0] if rest.split() else rest)
        project, rest = found
    return Tasks(project=project, filters=tuple(filters), page=page)


def search(args: Args) -> Command | ParseError:
    paged = _page(args.rest, "search")
    if isinstance(paged, ParseError):
        return paged
    words, page = paged
    if not words.strip(EDGE_PUNCT):
        return missing("search", "words")
    return Search(words=" ".join(words.split())[:200], page=page)


def assign(args: Args) -> Command | ParseError:
    found = task_arg(args.rest, "assign")
    if isinstance(found, ParseError):
        return found
    task, rest = found
    who = _TO.sub("", rest, count=1).strip(EDGE_PUNCT + " ")
    if not who:
        return missing("assign", "person")
    return Assign(task=task, to=who)


def comment(args: Args) -> Command | ParseError:
    found = task_arg(re.sub(r"^(?:on|for|to)\s+(?=[A-Za-z])", "", args.rest, flags=re.IGNORECASE), "comment")  # "comment on A-3: …"
    if isinstance(found, ParseError):
        return found
    task, text = found
    if not text:
        return missing("comment", "comment_text")
    return Comment(task=task, text=text)


# Where a value ends and the reason given for it begins.
_WHY = re.compile(r"\s*[,，;；。]\s*|\s+[—–-]+\s+|\s+(?:because|since|as|due to|cause|bc|因为|由于)(?![A-Za-z])\s*", re.IGNORECASE)


def due(args: Args) -> Command | ParseError:
    found = task_arg(args.rest, "due")
    if isinstance(found, ParseError):
        return found
    task, when = found
    when = re.sub(r"^(?:to\b|改到|改为|到|为) ?", "", when, flags=re.IGNORECASE)
    if not when:
        return missing("due", "date")
    day = natural_date(when, args.today)
    said = _WHY.split(when, maxsplit=1)[0]  # "due A-3 12月20日 because …": the rest is why
    if day is None and said != when and (day := natural_date(said, args.today)) is not None:
        when = said
    if day is None:
        return err("bad_date", "due", value=when)
    return SetDue(task=task, when=when[:40], due=day)


def priority(args: Args) -> Command | ParseError:
    found = task_arg(args.rest, "priority")
    if isinstance(found, ParseError):
        return found
    task, word = found
    word = re.sub(r"^(?:to\b|改为|设为|为|=|调成|调为|调到|改成|改到|设成) ?", "", word.lower())
    if not word:
        return missing("priority", "priority")
    said = _WHY.split(word, maxsplit=1)[0]  # "priority A-3 urgent, runway reopens Sat": the rest is why
    word = said if said in PRIORITY_WORDS or priority_step(said) else word
    step = priority_step(word)
    if step is not None:
        return SetPriority(task=task, priority=step)
    if word not in PRIORITY_WORDS:
        return err("bad_priority", "priority", value=word)
    return SetPriority(task=task, priority=PRIORITY_WORDS[word])


# A question mark right after the task ("close A-3? not sure it's done", "started A-3?"): asked of others, nothing done.
ASKED_OF_KEY = re.compile(r"\s*[?？]")


def close(args: Args) -> Command | ParseError:
    found = task_arg(re.sub(r"^(?:out\s+|掉\s*)(?=[A-Za-z])", "", args.rest, flags=re.IGNORECASE), "close")  # "close out A-3", "close 掉 A-3"
    if isinstance(found, ParseError):
        return found
    return err("question", "close", task=found[0]) if ASKED_OF_KEY.match(found[1]) else Close(task=found[0], note=found[1])


def reopen(args: Args) -> Command | ParseError:
    found = task_arg(args.rest, "reopen")
    return found if isinstance(found, ParseError) else Reopen(task=found[0], note=found[1])


def without_verb(s: str) -> Assign | Comment | None:
    """A hand-over (`A-3 给 王波`) or a note (`A-3 备注 …`) said without a verb; None: anything else."""
    m = _HANDOVER.fullmatch(s.strip(EDGE_PUNCT + " "))
    if m is not None and not NOT_NAME_END.search(m.group("who")) and TASK_KEY_AT.fullmatch(m.group("key")):
        return Assign(task=m.group("key").upper(), to=m.group("who"))
    m = _COMMENT_AFTER_KEY.fullmatch(s.strip())
    if m is not None and m.group("text").strip(EDGE_PUNCT):
        return Comment(task=m.group("key").upper(), text=m.group("text").strip())
    return None
