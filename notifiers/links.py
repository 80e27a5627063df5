"""Task keys turned into links after a platform's escaping, in that platform's own syntax."""

from __future__ import annotations

import re
from collections.abc import Callable

KEY_RE = re.compile(r"(?<![A-Za-z0-9_-])([A-Z][A-Z0-9]{1,9}-[0-9]{1,9})(?![A-Za-z0-9_-])")


def linked(text: str, links: tuple[tuple[str, str], ...], markup: Callable[[str, str], str]) -> str:
    """Each known task key in `text` (already escaped for the platform) becomes markup(key, url)."""
    if not links:
        return text
    urls = dict(links)
    return KEY_RE.sub(lambda m: markup(m.group(1), urls[m.group(1)]) if m.group(1) in urls else m.group(1), text)
