"""Text hygiene at the edge: what arrives from outside is made storable before anything keeps it."""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


def is_storable(*texts: str) -> bool:
    """True when none of the texts has anything storable() would change."""
    return _UNSTORABLE.search("".join(texts)) is None  # one scan of all: this runs for every acked event


def storable(text: str) -> str:
    """Lone surrogates (no UTF-8 form) and NUL (refused by PostgreSQL text) become U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)
