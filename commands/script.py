"""Chinese in either script: a message typed in traditional characters (進度, 核准, 駁回, 備註) is read in simplified
ones by OpenCC's tables, and the person's own words in what it reads (a note, a reason, a comment, a name) are given
back in the characters they typed. The tables load on the first message with a Chinese character in it."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import opencc

_HAN = re.compile(r"[\u4e00-\u9fff]")
# The command's fields that hold the person's own words (model.py); keys, ids and dates are not words.
_OWN_WORDS = frozenset({"note", "reason", "comment", "text", "to", "title", "subject", "words", "filter", "name"})
T = TypeVar("T")


@cache
def _converter() -> opencc.OpenCC:
    import opencc

    return opencc.OpenCC("t2s")


def simplified(s: str) -> str:
    """`s` in simplified characters; text with no Chinese character as it was (and OpenCC not loaded for it)."""
    return _converter().convert(s) if _HAN.search(s) else s


def as_typed(result: T, read: str, typed: str, *, words: Mapping[str, str] | None = None) -> T:
    """`result` (read from `read`) with each of its own-word fields that `read` holds put back in `typed`'s characters
    (only where the two are the same text but for the script, one character for one), and each of `words` (a word
    the reading put for what was typed: commands/keys.py's tags) given back as typed."""
    if (read == typed and not words) or not dataclasses.is_dataclass(result) or isinstance(result, type):
        return result
    changes: dict[str, object] = {}
    params = getattr(result, "params", None)
    if isinstance(params, dict):  # a ParseError quotes the person's words back: in their characters
        quoted = {k: _typed(v, read, typed, words) if isinstance(v, str) else v for k, v in params.items()}
        if quoted != params:
            changes["params"] = quoted
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if isinstance(value, tuple):  # Several, Confirm: each item in turn
            items = tuple(as_typed(item, read, typed, words=words) for item in value)
            if items != value:
                changes[f.name] = items
        elif f.name in _OWN_WORDS and isinstance(value, str) and _typed(value, read, typed, words) != value:
            changes[f.name] = _typed(value, read, typed, words)
    return dataclasses.replace(result, **changes) if changes else result


def _typed(value: str, read: str, typed: str, words: Mapping[str, str] | None) -> str:
    at = read.find(value) if value and len(read) == len(typed) and _HAN.search(value) else -1
    value = typed[at : at + len(value)] if at >= 0 else value
    for word, said in (words or {}).items():
        value = value.replace(word, said)
    return value
