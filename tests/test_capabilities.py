"""README's connector table is what the connectors declare, and every ✓ in it names a test that exists."""

from __future__ import annotations

import re
from pathlib import Path

from bot.hooks.registry import SOURCES
from bot.pms.capabilities import END, NAMES, START, table
from bot.pms.registry import CAPABILITIES
from tests.pms_backends import BACKENDS

ROOT = Path(__file__).resolve().parent.parent
_TEST_ID = re.compile(r"^(tests/[\w/]+\.py)::(test_\w+)(?:\[([\w-]+)\])?$")


def test_the_readme_table_is_the_one_the_connectors_declare() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert START in readme and END in readme, "README.md lost its connector table markers"
    shown = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert shown == table(CAPABILITIES), "README's connector table is out of date; paste this:\n" + table(CAPABILITIES)


def test_every_claim_names_a_test_that_exists() -> None:
    for pms, (_, claims) in CAPABILITIES.items():
        assert set(claims) <= set(NAMES), f"{pms} claims capabilities with no column: {set(claims) - set(NAMES)}"
        for capability, test_id in claims.items():
            match = _TEST_ID.match(test_id)
            assert match, f"{pms} {capability}: {test_id!r} is not tests/<file>.py::test_<name>[param]"
            path, name, param = match.groups()
            source = (ROOT / path).read_text(encoding="utf-8") if (ROOT / path).is_file() else ""
            assert re.search(rf"^(async )?def {name}\(", source, re.MULTILINE), f"{pms} {capability}: no {test_id}"
            if path.endswith("test_pms_conformance.py"):
                assert param in BACKENDS, f"{pms} {capability}: {param!r} is not a conformance backend"


def test_a_connector_claiming_webhooks_has_a_hook_source() -> None:
    for pms, (_, claims) in CAPABILITIES.items():
        assert ("webhooks" in claims) == (pms in SOURCES), pms
