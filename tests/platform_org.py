"""The demo organisation as a config file with per-test edits, and a seeded runtime on it: for platform tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.config import Settings, load_config
from bot.demo.seed import seed
from bot.runtime import Runtime
from bot.store.sync import apply_config
from tests.conftest import running_clock

DEMO_YAML = Path(__file__).resolve().parent.parent / "bot" / "demo" / "demo.yaml"


def demo_with(tmp_path: Path, people: dict[str, dict[str, Any]]) -> Path:
    """demo.yaml with some people's keys replaced (e.g. {"carol": {"identities": {"slack": "U1"}}})."""
    raw = yaml.safe_load(DEMO_YAML.read_text(encoding="utf-8"))
    for person in raw["people"]:
        person.update(people.get(person["id"], {}))
    path = tmp_path / "pmsbot.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


async def seeded(settings: Settings, config: Path, *, console: bool = True) -> Runtime:
    """A runtime on the edited organisation with the demo's tasks, its worker running."""
    runtime = Runtime(settings, load_config(config), console=console, clock=running_clock())
    await runtime.open()
    await seed(runtime)
    await apply_config(runtime.db, runtime.config, now=runtime.clock.now())  # the seed applied the plain demo organisation
    runtime.start(("worker",))
    return runtime
