"""What names a thing in chat words: task keys (PUMP-3), project keys (PUMP), and numbers (#12, A-12, 12)
of approvals, alerts and proposals, at the start of a verb's arguments."""

from __future__ import annotations

import re

from commands.errors import err, missing
from commands.model import ParseError, ParseErrorCode
from commands.text import EDGE_PUNCT, clean, first_token

TASK_KEY_AT = re.compile(r"([A-Za-z][A-Za-z0-9]{0,9}-[0-9]{1,9})(?![A-Za-z0-9_\-]|\.[0-9])")
ANY_KEY_AT = re.compile(r"([A-Za-z][A-Za-z0-9]{1,9}(?:-[0-9]{1,9})?)(?![A-Za-z0-9_\-]|\.[0-9])")
PROJECT_KEY_AT = re.compile(r"([A-Za-z][A-Za-z0-9]{1,9})(?![A-Za-z0-9_\-]|\.[0-9])")
_NUMBER_AT = re.compile(r"(?:# ?|[Aa]-?)?([0-9]{1,9})(?![A-Za-z0-9_\-]|\.[0-9])")


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
