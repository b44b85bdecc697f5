"""Playwright over Debian's Chromium (never a downloaded browser), and logging a page in."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.live import DEMO_PASSWORD, LiveServer

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


DESK = {"width": 1400, "height": 1000}
"""A desk screen: the regulator's pages with their maps and charts side by side."""


def chromium() -> str | None:
    """The path of Debian's chromium, or None when it is not installed."""
    path = shutil.which("chromium") or "/usr/bin/chromium"
    return path if Path(path).exists() else None


@contextmanager
def launched(executable: str) -> Iterator[Any]:
    """A Playwright Chromium browser for the length of the block."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def log_in_page(page: Any, server: LiveServer, username: str, next_path: str = "/") -> None:
    """Log a Playwright page in through the login form and wait for the landing page."""
    page.goto("/login" if next_path == "/" else f"/login?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(server.url + next_path)


@contextmanager
def logged_in_page(
    browser: Any,
    server: LiveServer,
    username: str,
    next_path: str = "/",
    *,
    wait_ms: float = 30_000,
    **context: Any,
) -> Iterator[Any]:
    """A page in a fresh zh-CN browser context (`context` adds options such as the viewport),
    logged in and on `next_path`; the context is closed after the block."""
    ctx = browser.new_context(base_url=server.url, locale="zh-CN", **context)
    try:
        page = ctx.new_page()
        page.set_default_timeout(wait_ms)
        log_in_page(page, server, username, next_path)
        yield page
    finally:
        ctx.close()


def logged_in_fixture(username: str, next_path: str, *, wait_ms: float, **context: Any) -> Any:
    """A module-scoped fixture: one `logged_in_page` shared by the module's tests."""

    @pytest.fixture(scope="module")
    def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
        with logged_in_page(
            browser, live_server, username, next_path, wait_ms=wait_ms, **context
        ) as logged_in:
            yield logged_in

    return page
