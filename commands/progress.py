"""Progress on a task in field words: `report`/`done`/`block` and the same without a verb (`PUMP-3 80% 3h`,
`PUMP-3 完成`, `PUMP-3 阻塞 缺料`), read by commands/field.py. Words that would make a wrong write are asked about."""

from __future__ import annotations

import re

from commands import field_words as words
from commands import hour_words as hw
from commands.errors import PARAM_MAX_CHARS, err, missing
from commands.field import understand
from commands.grammar import Args
from commands.keys import task_arg
from commands.model import Block, Command, Confirm, Done, ParseError, Report, Several, Start, Unblock
from commands.numbers import HOURS_MAX, find_hours
from commands.spent import not_spent
from commands.task_arguments import ASKED_OF_KEY
from commands.text import EDGE_PUNCT, clean, remove_spans

_DAY_END = re.compile(r"^\s*(?:for today|for the day|today|for now)\b", re.IGNORECASE)
# Words between the verb and its task that are no argument ("报告一下：A-3 …", "报告领导：A-3 …").
_TO_WHOM = re.compile(r"^(?:一下|下|各位领导|领导|各位)\s*[:：,，]?\s*")


def report(args: Args) -> Command | ParseError:
    """`report TASK …`: the verb makes a bare number a percent ("report A-3 80"); the rest is read as a field
    report on that one task."""
    arg = task_arg(_TO_WHOM.sub("", args.rest), "report")
    if isinstance(arg, ParseError):
        return arg
    task, tail = arg
    if not tail:
        return missing("report", "percent")
    result = understand(f"{task} {tail}", verb="report", bare_is_percent=True, one_task=True)
    return missing("report", "percent") if result is None else result


def _done(task: str, tail: str) -> Command | ParseError:
    s = tail.strip(EDGE_PUNCT)
    if _DAY_END.match(s) or words.DAY_END.search(s):
        return err("unclear_done", "done", value=clean(s)[:PARAM_MAX_CHARS], task=task)
    if words.QUESTION_END.search(s):
        return err("question", "done", task=task)
    why = not_spent(task, s, "done")
    if why is not None and why[0] == "range":
        return why[1]
    hrs = find_hours(s) if why is None else None
    if hrs is None or hw.HOURS_NOT_SPENT_AFTER.match(s[hrs.end :]):
        return Done(task=task, note=clean(s))
    if hrs.value is None or not 0 <= hrs.value <= HOURS_MAX:
        return err("bad_hours", "done", value=hrs.raw)
    return Done(task=task, note=remove_spans(s, [(hrs.start, hrs.end)]), hours=hrs.value)


# "finished A-3 this morning": the past-tense words are the verb only before a key and when it was done.
_KEY_AND_WHEN = re.compile(r"[A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,9}(?: (?:this morning|this afternoon|today|tonight|just now|earlier|"
                           r"yesterday|last night))?[ .!👍✅]*", re.IGNORECASE)


def done(args: Args) -> Command | ParseError:
    if words.DAY_END.match(f"{args.word} {args.rest}"):
        return understand(f"{args.word} {args.rest}") or err("unclear_done", "done", value=args.rest[:PARAM_MAX_CHARS],
                                                             task="?")  # "done for today, P-7"
    if args.word in ("finished", "completed") and not _KEY_AND_WHEN.fullmatch(args.rest):
        # "finished the east side", "finished A-3 except the labels": read as words, which ask where unsure
        return understand(f"{args.word} {args.rest}") or err("unclear_task", "done", value=args.rest[:PARAM_MAX_CHARS])
    arg = task_arg(args.rest, "done")
    if isinstance(arg, ParseError) and words.QUESTION_WORDS.search(args.rest):
        return err("question", "done")  # "done 是什么意思" asks about the word
    if isinstance(arg, ParseError) and args.rest and not args.rest[0].isascii():
        return err("unclear_task", "done", value=clean(args.rest)[:PARAM_MAX_CHARS])  # "done 了, 3h": which task?
    if isinstance(arg, ParseError):
        return arg
    return _done(*arg)


def block(args: Args) -> Command | ParseError:
    arg = task_arg(args.rest, "block")
    if isinstance(arg, ParseError):
        return arg
    task, reason = arg
    reason = clean(reason)
    if not reason:
        return missing("block", "reason")
    return Block(task=task, reason=reason)


def unblock(args: Args) -> Command | ParseError:
    arg = task_arg(args.rest, "unblock")
    return arg if isinstance(arg, ParseError) else Unblock(task=arg[0], note=clean(arg[1]))


def start(args: Args) -> Command | ParseError:
    arg = task_arg(args.rest, "start")
    if isinstance(arg, ParseError):  # "started on P-9 today"
        return understand(f"{args.word} {args.rest}") or arg
    if ASKED_OF_KEY.match(arg[1]):
        return err("question", "start", task=arg[0])
    return Start(task=arg[0], note=clean(arg[1]))


def field_report(s: str) -> Command | ParseError | None:
    """A message that names tasks without a verb; None if it names none. One task given two different figures
    ("A-4 60% A-4 80%"): which is it? Asked."""
    said = understand(s)
    if isinstance(said, Several):
        percents = [(x.task, x.percent) for x in said.items if isinstance(x, Report) and x.percent is not None]
        hours = [(x.task, x.hours) for x in said.items if isinstance(x, Report) and x.hours is not None]
        writes = tuple(x for x in said.items if isinstance(x, (Report, Done, Block, Unblock, Start)))
        if any(len({task for task, _ in said_of}) < len(set(said_of)) for said_of in (percents, hours)):
            return Confirm(items=writes, reason="several_unclear", text=clean(s)[:PARAM_MAX_CHARS])
    return said

