"""The shape of the command language's table: a verb's row, and what its parser is given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from commands.model import Command, ParseError


@dataclass(frozen=True, kw_only=True)
class Args:
    """What follows a verb's word in a message, and what a parser may need beside it."""

    rest: str  # normalised, edge punctuation stripped; "" when the verb stands alone
    word: str  # the word the verb was called by, lower-cased ("请假" is "standup away")
    today: date  # anchors year-less dates


ArgParser = Callable[[Args], Command | ParseError]


@dataclass(frozen=True, kw_only=True)
class Verb:
    """One row of the table: adding a verb is a row, its parser, and its handler."""

    name: str  # canonical English verb: the key of its help text and of ParseError.verb
    en: tuple[str, ...]  # English words, `name` first; lower-case
    zh: tuple[str, ...]  # Chinese words
    parse: ArgParser
    builds: tuple[type, ...]  # the command records `parse` returns
    task_first: bool = False  # in a project's channel, `#12` first means that project's task 12

    @property
    def words(self) -> tuple[str, ...]:
        return self.en + self.zh
