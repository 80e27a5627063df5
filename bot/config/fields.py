"""What the config sections share: the strict base model and the field types more than one section uses."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict

Locale = Literal["zh", "en"]


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone '{value}' (use an IANA name like Asia/Shanghai)") from exc
    return value


TimezoneName = Annotated[str, AfterValidator(_check_timezone)]


class StrictModel(BaseModel):
    """A section: an unknown key is an error (a typo is named, not ignored), and the values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)

