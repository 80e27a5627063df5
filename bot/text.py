"""Text hygiene at the edge: what arrives from outside is made storable before anything keeps it."""

from __future__ import annotations

import hashlib
import hmac
import re

_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")


def is_storable(*texts: str) -> bool:
    """True when none of the texts has anything storable() would change."""
    return _UNSTORABLE.search("".join(texts)) is None  # one scan of all: this runs for every acked event


def storable(text: str) -> str:
    """Lone surrogates (no UTF-8 form) and NUL (refused by PostgreSQL text) become U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text)


# Words that are credentials, not names: the prefixes of the tokens our users' systems issue (Atlassian API
# tokens, GitLab/GitHub/Slack/OpenAI tokens, bearer values), and long mixed-case words with digits that no
# user name looks like (Jira Cloud account ids are lower-case hex, e-mails carry an @).
_SECRET_PREFIXES = re.compile(r"(?i)^(ATATT|ATCTT|glpat-|ghp_|gho_|github_pat_|xox[abpers]-|xapp-|sk-|pat-|bearer)")
_SECRET_MIN_CHARS = 20


def looks_like_secret(word: str) -> bool:
    if _SECRET_PREFIXES.match(word):
        return True
    return (len(word) >= _SECRET_MIN_CHARS and "@" not in word and any(c.isupper() for c in word)
            and any(c.islower() for c in word) and any(c.isdigit() for c in word))


def has_secret(text: str) -> bool:
    return any(looks_like_secret(word) for word in text.split())


def redact_secrets(text: str) -> str:
    """The text with every word that looks like a credential replaced, for audit rows and logs."""
    if not has_secret(text):
        return text
    return " ".join("[redacted]" if looks_like_secret(word) else word for word in text.split())


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two texts of any characters (hmac.compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(given.encode("utf-8", "backslashreplace"), expected.encode("utf-8", "backslashreplace"))


MAX_KEY_CHARS = 100


def short_key(key: str) -> str:
    """A dedupe key as stored: long ones by their hash, so two never collide by being cut."""
    return key if len(key) <= MAX_KEY_CHARS else "sha256:" + hashlib.sha256(key.encode()).hexdigest()
