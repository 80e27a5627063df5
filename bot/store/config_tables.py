"""The table of the configuration as last applied (bot/store/config_applied.py). Re-exported by
bot/store/models.py."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel


class ConfigAppliedRow(SQLModel, table=True):
    """One row (id 1): the generation the triggers count up, what the last apply recorded, the parsed file."""

    __tablename__ = "config_applied"
    id: int = Field(primary_key=True)
    generation: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    applied_generation: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    applied_digest: str | None = Field(default=None, max_length=64)
    file_sha256: str | None = Field(default=None, max_length=64)
    file_data_sha256: str | None = Field(default=None, max_length=64)
    file_data: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
