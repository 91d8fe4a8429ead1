"""Headless Chromium for the HTML report tests: the page's DOM after rendering, and a screenshot that must be
a real PNG of the requested size with something drawn on it. scripts/test.sh installs chromium; without it
the test skips, and under CI it fails (the report is a README promise)."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

WINDOW = (1200, 1600)


class Tags(HTMLParser):
    """Every tag and attribute name a page uses (`Tags().feed(html)`): the hostile-text tests check that data
    written into a report never became markup."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def chromium() -> str:
    """The browser's path, or skip (fail under CI)."""
    found = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed: scripts/test.sh installs it for this test")
        pytest.skip("chromium not installed (scripts/test.sh installs it)")
    return found


def _flags(workdir: Path) -> list[str]:
    return [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            f"--user-data-dir={workdir / 'profile'}"]


def rendered_dom(page: Path, workdir: Path) -> str:
    """The DOM Chromium builds from the page (what a reader's browser shows, scripts and all)."""
    dom = subprocess.run([*_flags(workdir), "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    return dom.stdout


def screenshot_bytes(page: Path, workdir: Path, min_bytes: int) -> bytes:
    """A WINDOW-sized PNG of the page, checked to hold more than a blank page would (~10 KB)."""
    shot = workdir / f"{page.stem}.png"
    r = subprocess.run([*_flags(workdir), f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}",
                        page.as_uri()], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == WINDOW
    assert len(data) > min_bytes
    return data
