"""What names a thing in chat words: task keys (PUMP-3), project keys (PUMP), and numbers (#12, A-12, 12)
of approvals, alerts and proposals, at the start of a verb's arguments."""

from __future__ import annotations

import re

from commands.errors import err, missing
from commands.model import ParseError, ParseErrorCode
from commands.text import EDGE_PUNCT, clean, first_token

# A task key anywhere in a message (task numbers start at 1: "batch-0", "burst-00" are words, not tasks).
TASK_KEY_ANY = re.compile(r"(?<![A-Za-z0-9_\-])([A-Za-z][A-Za-z0-9]{0,9}-[1-9][0-9]{0,8})(?![A-Za-z0-9_\-]|\.[0-9])")
TASK_KEY_AT = re.compile(r"([A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,9})(?![A-Za-z0-9_\-]|\.[0-9])")
ANY_KEY_AT = re.compile(r"([A-Za-z][A-Za-z0-9]{1,9}(?:-[0-9]{1,9})?)(?![A-Za-z0-9_\-]|\.[0-9])")
PROJECT_KEY_AT = re.compile(r"([A-Za-z][A-Za-z0-9]{1,9})(?![A-Za-z0-9_\-]|\.[0-9])")
_NUMBER_AT = re.compile(r"(?:# ?|[Aa]-?)?([0-9]{1,9})(?![A-Za-z0-9_\-]|\.[0-9])")


_DIGIT_LETTERS = str.maketrans("0123456789", "abcdefghij")


def tags_as_words(s: str, projects: frozenset[str] | None) -> tuple[str, dict[str, str]]:
    """`s` with each key-like tag whose prefix is no project's ("PT-2031", "TK-7", "PTW-4471") made a word of the
    same length ("PTxcdad"), when `s` also names a task of one of `projects`, and each such word with the tag it
    stands for; `s` as it was otherwise (a key of no project, alone, is refused by name when it is written to).
    An equipment tag beside a task is not that task, and a figure in its name no figure of the task's."""
    if not projects:
        return s, {}
    found, known = list(TASK_KEY_ANY.finditer(s)), {key.upper() for key in projects}
    tags = [m.group(1) for m in found if m.group(1).split("-", 1)[0].upper() not in known]
    if not tags or len(tags) == len(found):
        return s, {}
    words = {}
    for tag in dict.fromkeys(tags):
        prefix, number = tag.split("-", 1)
        words[f"{prefix}x{number.translate(_DIGIT_LETTERS)}"] = tag
        s = re.sub(rf"(?<![A-Za-z0-9_\-]){re.escape(tag)}(?![A-Za-z0-9_\-]|\.[0-9])", f"{prefix}x{number.translate(_DIGIT_LETTERS)}", s)
    return s, words


def key_at_start(pattern: re.Pattern[str], s: str) -> tuple[str, str] | None:
    """(the key, upper-cased; what follows it) or None."""
    m = pattern.match(s)
    if m is None:
        return None
    return m.group(1).upper(), s[m.end() :].strip(EDGE_PUNCT)


def task_arg(rest: str, verb: str) -> tuple[str, str] | ParseError:
    if not rest:
        return missing(verb, "task")
    found = key_at_start(TASK_KEY_AT, rest)
    if found is None:
        return err("bad_task_key", verb, value=first_token(rest))
    return found


def project_arg(rest: str, verb: str) -> tuple[str, str] | ParseError:
    """A project key that is there: a missing one is the caller's to refuse in its own words."""
    found = key_at_start(PROJECT_KEY_AT, rest)
    if found is None:
        return err("bad_task_key", verb, value=first_token(rest))
    return found


def number_at(rest: str, verb: str, bad: ParseErrorCode) -> tuple[int, str] | ParseError:
    """(a positive number at the start of `rest`, the words after it) or `bad`."""
    m = _NUMBER_AT.match(rest)
    if m is None or int(m.group(1)) == 0:
        return err(bad, verb, value=first_token(rest))
    return int(m.group(1)), clean(rest[m.end() :])


def approval_id(rest: str, verb: str) -> tuple[int, str] | ParseError:
    if not rest:
        return missing(verb, "id")
    return number_at(rest, verb, "bad_approval_id")
