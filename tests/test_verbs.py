"""The table of verbs is the command language: every row is complete, and parser, handlers and help agree."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from commands.grammar import Verb
from commands.handlers import HANDLERS
from commands.parse import parse
from commands.verbs import TABLE
from notifiers.render import Renderer
from tests.test_parse import ALIAS_ARGS

ROWS = {verb.name: verb for verb in TABLE}


def test_names_are_unique_and_the_first_english_word() -> None:
    assert len(ROWS) == len(TABLE)
    for verb in TABLE:
        assert verb.en[0] == verb.name


@pytest.mark.parametrize("verb", TABLE, ids=lambda v: v.name)
def test_every_verb_has_english_and_chinese_words(verb: Verb) -> None:
    assert verb.en and verb.zh
    assert all(word.isascii() for word in verb.en), verb.en
    assert all(not word.isascii() for word in verb.zh), verb.zh
    assert all(word == word.lower().strip() and word for word in verb.words)


def test_no_two_verbs_share_a_word() -> None:
    shared = [word for word, n in Counter(w for verb in TABLE for w in verb.words).items() if n > 1]
    assert shared == []


@pytest.mark.parametrize("locale", ["zh", "en"])
def test_every_verb_has_help_in_both_catalogs(locale: str) -> None:
    usage = Renderer().catalogs[locale]["usage"]
    assert set(usage) == set(ROWS)
    for name, text in usage.items():
        # The help shows a word that really calls the verb.
        words = ROWS[name].en if locale == "en" else ROWS[name].zh
        assert text.split(" ")[0] in words, (name, text)


def test_every_record_a_verb_builds_has_a_handler() -> None:
    built = {record for verb in TABLE for record in verb.builds}
    assert built == set(HANDLERS)


@pytest.mark.parametrize(("verb", "word"), [(verb, word) for verb in TABLE for word in verb.words],
                         ids=lambda x: x.name if isinstance(x, Verb) else x)
def test_every_word_builds_what_its_row_says(verb: Verb, word: str) -> None:
    args = "12-01" if word == "请假" else ALIAS_ARGS[verb.name]
    result = parse(f"{word} {args}".strip(), today=date(2026, 11, 28))
    assert isinstance(result, verb.builds), result
