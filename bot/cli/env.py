"""What every `pmsbot` subcommand starts from: the environment's settings, the configuration, and the error
that is printed without a traceback."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from bot.config import Config, Settings, load_config


class CliError(Exception):
    """A failure the user can act on; printed without a traceback."""


def settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'environment'}: {e['msg']}" for e in exc.errors())
        raise CliError(f"environment: {problems}") from None


def config(settings: Settings) -> Config:
    if os.environ.get("PMSBOT_CONFIG") and not Path(settings.pmsbot_config).exists():
        # Only the default path may be absent (the embedded default); a path someone set must exist.
        raise CliError(f"PMSBOT_CONFIG names {settings.pmsbot_config}, which does not exist")
    return load_config(settings.pmsbot_config)


