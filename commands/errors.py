"""Building a `ParseError`: the code, the verb it concerns, and the user's words it quotes, clipped."""

from __future__ import annotations

from commands.model import ParseError, ParseErrorCode

# The unclear cases a person is asked about (a reading that could be wrong), not refused.
ASK_CODES = frozenset({"unclear_hours", "unclear_done", "unclear_percent", "unclear_count", "unclear_correction", "unclear_task"})

PARAM_MAX_CHARS = 40  # of the user's words quoted back in an error


def err(code: ParseErrorCode, verb: str | None, **params: str) -> ParseError:
    return ParseError(code=code, verb=verb, params={k: v[:PARAM_MAX_CHARS] for k, v in params.items()})


def missing(verb: str, arg: str) -> ParseError:
    """The verb needs `arg` (a key of the catalogs' `args`) and the message has none."""
    return err("missing_argument", verb, arg=arg)
