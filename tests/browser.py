"""A real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, for the web pages' tests.

Locally the tests skip, naming what is missing; under CI=true they fail instead (tests/conftest.py `need`).
Screenshots go to tests/artifacts/ (phone and desktop widths), kept by CI as the pages' pictures.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import need

CHROMIUM = os.environ.get("PMSBOT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_PRESENT = Path(CHROMIUM).exists()
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    need(CHROMIUM_PRESENT, f"Chromium is not installed ({CHROMIUM}; Debian package `chromium`, .ci/run "
                                  "installs it)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        need(False, "the playwright package is not installed (pip install -e '.[dev]')")
        raise
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


async def shots(page: object, name: str) -> None:
    """The page at phone and desktop widths, saved as artifacts."""
    before = page.viewport_size  # type: ignore[attr-defined]
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        await page.set_viewport_size(size)  # type: ignore[attr-defined]
        await page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)  # type: ignore[attr-defined]
    if before:
        await page.set_viewport_size(before)  # type: ignore[attr-defined]
