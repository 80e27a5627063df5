"""Money: a Decimal with its currency, and the one parser of amounts other systems send as text.

An ERP sends "48,000.00"; a person types "¥48000" or "48000 元". Separators are read one way only — comma
groups of three, a point before the decimals — so "48.000,00" or "1,5" (a decimal comma) is refused, not guessed:
a wrong guess would be a thousandfold error on an approval.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

# ISO 4217 currencies accepted, with their minor units (digits after the point).
MINOR_UNITS: dict[str, int] = {"CNY": 2, "USD": 2, "EUR": 2, "HKD": 2, "GBP": 2, "SGD": 2, "JPY": 0, "KRW": 0}
_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "元": "CNY", "块": "CNY", "RMB": "CNY", "HK$": "HKD", "US$": "USD"}
_YEN = "¥"  # CNY or JPY: read as the default currency when that is one of them, else refused
_NUMBER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?")
_SPLIT = re.compile(r"^(?P<pre>[^0-9\-+]*?)\s*(?P<num>[0-9][0-9.,]*)\s*(?P<post>[^0-9]*)$")
MAX_MONEY = Decimal(10) ** 12


class BadAmount(ValueError):
    """Not an amount we can read without guessing; the message says why."""


@dataclass(frozen=True, kw_only=True)
class Money:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        places = MINOR_UNITS.get(self.currency, 2)
        return f"{self.currency} {self.amount:,.{places}f}"


def _currency(mark: str, default: str) -> str | None:
    mark = mark.strip()
    if not mark:
        return None
    if mark == _YEN:
        if default in ("CNY", "JPY"):
            return default
        raise BadAmount("¥ is both yuan and yen: write CNY or JPY")
    upper = mark.upper()
    if upper in MINOR_UNITS:
        return upper
    if upper in _SYMBOLS or mark in _SYMBOLS:
        return _SYMBOLS.get(upper) or _SYMBOLS[mark]
    raise BadAmount(f"'{mark[:12]}' is not a currency we know ({', '.join(MINOR_UNITS)})")


def parse_money(value: object, *, default_currency: str = "CNY") -> Money:
    """`value` (text or a number) as Money; BadAmount when it is malformed, ambiguous, negative or out of range."""
    if isinstance(value, bool) or value is None:
        raise BadAmount("no amount")
    if isinstance(value, int | Decimal):
        text = str(value)
    elif isinstance(value, float):
        raise BadAmount("send amounts as text or integers, not floating-point numbers")
    elif isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()  # full-width digits and signs
    else:
        raise BadAmount("an amount is text like 48,000.00")
    if not text or len(text) > 40:
        raise BadAmount("an amount is text like 48,000.00")
    m = _SPLIT.match(text)
    if m is None:
        raise BadAmount(f"'{text[:40]}' is not an amount (like 48,000.00 or CNY 48000)")
    pre, num, post = m.group("pre"), m.group("num"), m.group("post")
    if pre and post:
        raise BadAmount(f"'{text[:40]}' names its currency twice")
    currency = _currency(pre or post, default_currency) or default_currency
    if currency not in MINOR_UNITS:
        raise BadAmount(f"'{currency}' is not a currency we know ({', '.join(MINOR_UNITS)})")
    if not _NUMBER.fullmatch(num):
        if re.fullmatch(r"[0-9.]*,[0-9]{1,2}", num) or re.fullmatch(r"[0-9]{1,3}(?:\.[0-9]{3})+", num):
            raise BadAmount(f"'{num}' uses a decimal comma or point groups; write it as 48000.00 or 48,000.00")
        raise BadAmount(f"'{num[:40]}' is not a number with comma groups of three and a decimal point")
    decimals = num.partition(".")[2]
    if len(decimals) > MINOR_UNITS[currency]:
        raise BadAmount(f"{currency} has {MINOR_UNITS[currency]} decimal places; '{num}' has {len(decimals)}")
    try:
        amount = Decimal(num.replace(",", ""))
    except InvalidOperation:  # the pattern above makes this unreachable; kept as the contract
        raise BadAmount(f"'{num[:40]}' is not a number") from None
    if not Decimal(0) < amount < MAX_MONEY:
        raise BadAmount(f"{amount} is outside 0..{MAX_MONEY}")
    return Money(amount=amount, currency=currency)
