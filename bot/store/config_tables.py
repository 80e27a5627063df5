"""The tables of the configuration as last applied and of the parsed file (bot/store/config_applied.py). Re-exported by
bot/store/models.py."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel


class ConfigAppliedRow(SQLModel, table=True):
    """One row (id 1): the generation the triggers count up, and what the last apply recorded."""

    __tablename__ = "config_applied"
    id: int = Field(primary_key=True)
    generation: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    applied_generation: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    applied_digest: str | None = Field(default=None, max_length=64)


class ConfigFileRow(SQLModel, table=True):
    """One row (id 1): the data a start parsed from the file, as JSON text, by the sha256 of the file's bytes."""

    __tablename__ = "config_file"
    id: int = Field(primary_key=True)
    sha256: str = Field(max_length=64)
    data_sha256: str = Field(max_length=64)
    data: str = Field(sa_column=Column(Text, nullable=False))
