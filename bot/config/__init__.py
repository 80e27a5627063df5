"""Configuration: a YAML file (PMSBOT_CONFIG) plus environment variables.

Errors name the file, the line, the key and what is wrong, so a typo is found without reading code.
Each section is a model in its own module (settings, people, projects, pms, schedules, hooks), tied together by
`Config` (root) and read from YAML by `load_config` (load). This module only lists what importers use.
"""

from bot.config.errors import ConfigError
from bot.config.hooks import ActionConfig, RuleConfig, SourceAuthConfig, SourceConfig
from bot.config.load import load_config, parse_config
from bot.config.people import PersonConfig
from bot.config.pms import (
    ConnectorsConfig,
    JiraConnectorConfig,
    RedmineConnectorConfig,
    TeambitionConnectorConfig,
    ZentaoConnectorConfig,
)
from bot.config.projects import ChannelConfig, ProjectConfig
from bot.config.root import Config
from bot.config.schedules import CalendarConfig, RiskAlertConfig, StandupConfig
from bot.config.settings import Settings

__all__ = [
    "ActionConfig",
    "CalendarConfig",
    "ChannelConfig",
    "Config",
    "ConfigError",
    "ConnectorsConfig",
    "JiraConnectorConfig",
    "PersonConfig",
    "ProjectConfig",
    "RedmineConnectorConfig",
    "RiskAlertConfig",
    "RuleConfig",
    "Settings",
    "SourceAuthConfig",
    "SourceConfig",
    "StandupConfig",
    "TeambitionConnectorConfig",
    "ZentaoConnectorConfig",
    "load_config",
    "parse_config",
]
