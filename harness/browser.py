"""A real browser for the suite: Debian's `chromium`, headless."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def browser() -> str | None:
    """The headless browser installed, if any."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def browser_drawn_charts(page: Path) -> int:
    """How many charts of an HTML report the browser laid out (the page counts them into
    `data-charts-drawn` once drawn); skips the test where no browser is installed."""
    found = browser()
    if found is None:
        pytest.skip("no headless browser here (.ci/run installs Debian's `chromium`)")
    command = [
        found,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--dump-dom",
        page.resolve().as_uri(),
    ]
    dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout
    drawn = re.search(r'data-charts-drawn="(\d+)"', dom)
    return int(drawn.group(1)) if drawn else 0
