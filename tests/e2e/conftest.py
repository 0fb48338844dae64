"""The `journey` fixture: a headless Chromium on the live server (see browser.py)."""

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import sync_playwright

from .browser import CHROMIUM, CHROMIUM_ARGS, PHONE, SCREENSHOTS, TIMEOUT_MS, Journey


@pytest.fixture
def journey(request, live_server, settings):
    """`with journey(viewport=PHONE, javascript=False, locale="es-US") as j:` opens
    Chromium on the live server; emailed links point at it too."""
    settings.SITE_URL = live_server.url
    folder = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    for old in folder.glob("*.png"):
        old.unlink()

    @contextmanager
    def start(*, viewport=PHONE, javascript: bool = True, locale: str = "en-US"):
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(
                    viewport=viewport, java_script_enabled=javascript, locale=locale
                )
                context.set_default_timeout(TIMEOUT_MS)
                checker = None
                if not javascript:
                    checker_context = browser.new_context(viewport=viewport, locale=locale)
                    checker_context.set_default_timeout(TIMEOUT_MS)
                    checker = checker_context.new_page()
                yield Journey(context.new_page(), folder, live_server.url, checker)
            finally:
                browser.close()

    return start
