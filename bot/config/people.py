"""The `people:` section: who pmsbot knows, their roles and their ids on each platform."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from bot.config.fields import Locale, StrictModel, TimezoneName

Role = Literal["pm", "engineer", "approver", "admin", "pmo", "member"]  # pmo: every dashboard (sso:)


class PersonConfig(StrictModel):
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: str = Field(min_length=1, max_length=100)
    locale: Locale | None = None
    roles: tuple[Role, ...] = ()
    identities: dict[Annotated[str, Field(min_length=1, max_length=32)], Annotated[str, Field(min_length=1, max_length=128)]] = Field(default_factory=dict)
    pms_user: str | None = Field(default=None, min_length=1, max_length=100)
    timezone: TimezoneName | None = None
    email: str | None = Field(default=None, max_length=200)
    department: str | None = Field(default=None, max_length=100)  # for projects with `read: department`
    manager: str | None = Field(default=None, max_length=64)  # a person's id: who `manager` means in approval chains

    @field_validator("identities", mode="before")
    @classmethod
    def _ids_as_text(cls, value: Any) -> Any:
        # DingTalk staff ids are often written unquoted and load as ints.
        if isinstance(value, dict):
            return {k: str(v) if isinstance(v, int) and not isinstance(v, bool) else v for k, v in value.items()}
        return value
