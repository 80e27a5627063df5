"""A chat message's text: its canonical form, and cutting recognised tokens out of it."""

from __future__ import annotations

import re
import unicodedata

EDGE_PUNCT = " ,;:、。"
TOKEN_TRAIL = ",;:.!?"

_TRANSLATE: dict[int, str | None] = {
    **{c: " " for c in range(0x00, 0x20)},
    **{c: " " for c in range(0x7F, 0xA0)},
    0x200B: None,  # zero-width space, BOM, word joiner, soft hyphen: invisible paste debris
    0xFEFF: None,
    0x2060: None,
    0x00AD: None,
    0x3001: ",",  # 、
    0x2010: "-",  # hyphen / non-breaking hyphen / figure dash / minus sign pasted from office documents
    0x2011: "-",
    0x2012: "-",
    0x2212: "-",
}
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# A list's item marker at a line's start ("1. ", "①", "- "), as reports pasted into chat have them: a clause break,
# not a figure ("② HSW-70 开工" is no "2 HSW-70").
_LIST_ITEM = re.compile(r"(?m)^[ \t]*(?:[0-9]{1,2}[.、)）](?=[ \t])|[①-⑳]|[-*•·](?=[ \t]))[ \t]*")
_WS = re.compile(r"\s+")
_CN_DECIMAL_POINT = re.compile(r"(?<=[0-9])。(?=[0-9])")
_DATE_LIKE = r"(?:(?:[0-9]{4}[-/.])?[0-9]{1,2}[-/][0-9]{1,2}|(?:[0-9]{4}年)?[0-9]{1,2}月[0-9]{1,2}[日号]?)"
_DATE_RANGE_DASH = re.compile(
    rf"({_DATE_LIKE}) ?(?:~|〜|—{{1,2}}|–) ?(?=(?:[0-9]{{4}}[-/.年])?[0-9]{{1,2}}[-/月日号])"
)
_MENTION = re.compile(r"(?:<@[^>\s]{1,80}>|@[^\s:,]{1,64}(?=[\s:,])) ?[:,]? ?(?=\S)")
_SLASH_PMS = re.compile(r"/pms(?: |$)", re.IGNORECASE)


def normalize(text: str) -> str:
    """Canonical form of a chat message: NFKC, ASCII punctuation, single spaces, no bot mention or `/pms`."""
    s = _LIST_ITEM.sub(lambda m: "; " if m.start() else "", text) if "\n" in text else text
    s = unicodedata.normalize("NFKC", s)
    s = _SURROGATE.sub("\ufffd", s)
    s = s.translate(_TRANSLATE)
    s = _WS.sub(" ", s).strip()
    s = _CN_DECIMAL_POINT.sub(".", s)
    s = _DATE_RANGE_DASH.sub(r"\1..", s)
    m = _MENTION.match(s)
    if m:
        s = s[m.end() :]
    m = _SLASH_PMS.match(s)
    if m:
        s = s[m.end() :]
    return s.strip()


def first_token(s: str) -> str:
    return s.split(" ", 1)[0]


def clean(s: str) -> str:
    return _WS.sub(" ", s).strip(EDGE_PUNCT)


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def remove_spans(s: str, spans: list[tuple[int, int]]) -> str:
    """Cut recognised tokens out of `s`; glue CJK neighbours directly, separate everything else by a space."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        out.append(s[pos:start])
        left = s[start - 1] if start > 0 else " "
        right = s[end] if end < len(s) else " "
        out.append("" if _is_cjk(left) and _is_cjk(right) else " ")
        pos = end
    out.append(s[pos:])
    return clean("".join(out))


def blank(s: str, spans: list[tuple[int, int]]) -> str:
    """Same length as `s` with `spans` overwritten, so later searches keep valid indices."""
    chars = list(s)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in spans)
