"""Parse one chat message (zh or en) into a `Command` or a `ParseError`. Pure: no I/O, never raises.

The verbs are data (commands/verbs.py); a message without one may be a field report (commands/progress.py).
"""

from __future__ import annotations

import re
from datetime import date

from commands.errors import PARAM_MAX_CHARS, err
from commands.grammar import Args
from commands.model import Command, ParseError
from commands.progress import field_report
from commands.text import first_token, normalize
from commands.verbs import match_verb, suggest

MAX_TEXT_CHARS = 2000

_CHANNEL_REF = re.compile(r"#([0-9]{1,9})(?![0-9A-Za-z])")


def parse(text: str, *, today: date, channel_project: str | None = None) -> Command | ParseError:
    """Parse one message. `today` anchors year-less dates. In a project's channel (`channel_project`), `#12`
    where a task key goes means that project's task 12. Always returns, never raises."""
    if len(text) > MAX_TEXT_CHARS:
        return err("too_long", None, max=str(MAX_TEXT_CHARS))
    s = normalize(text)
    if not s:
        return err("empty", None)
    if len(s) > MAX_TEXT_CHARS:  # NFKC can expand a few characters ("㌀" -> 4 chars)
        return err("too_long", None, max=str(MAX_TEXT_CHARS))

    matched = match_verb(s)
    if channel_project is not None:
        if matched is None:
            s = _CHANNEL_REF.sub(rf"{channel_project}-\1", s, count=1) if s.startswith("#") else s
        elif matched[0].task_first and matched[2].startswith("#"):
            matched = (matched[0], matched[1], _CHANNEL_REF.sub(rf"{channel_project}-\1", matched[2], count=1))
    if matched is None:
        report = field_report(s)
        if report is not None:
            return report
        word = first_token(s)
        return err("unknown_command", None, word=word, suggestion=suggest(word[:PARAM_MAX_CHARS]))

    verb, word, rest = matched
    return verb.parse(Args(rest=rest, word=word, today=today))
