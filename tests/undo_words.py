"""Until the parser knows the words for undo and correction (issue 20's field language, the lead's part), tests
let these texts stand for the records it will make; everything after the parser runs as it does in production."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.dispatch import events
from bot.records import InboundEvent
from commands import model

WORDS: dict[str, model.Command] = {
    "撤销": model.Undo(), "undo": model.Undo(),
    "不对，是60%": model.Correct(percent=60), "sorry, I meant 3h": model.Correct(hours=Decimal(3)),
    "I meant 3h": model.Correct(hours=Decimal(3)),
    "I meant 55% and 2h": model.Correct(percent=55, hours=Decimal(2)),
}


def understand_undo_words(monkeypatch: pytest.MonkeyPatch) -> None:
    real = events.command_of

    def command_of(event: InboundEvent, today: date, channel_project: str | None = None,
                   projects: frozenset[str] | None = None) -> model.Command | model.ParseError:
        return WORDS.get(event.text) or real(event, today, channel_project, projects)
    monkeypatch.setattr(events, "command_of", command_of)
