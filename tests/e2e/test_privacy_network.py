"""Every public page, opened in Chromium, makes requests to this site only.

No fonts, scripts, analytics, images or anything else from another origin. The pages are
the public URL patterns of the URLconf (tests/public_pages.py), so a new public page is
covered by itself. The Content Security Policy would block a third-party reference
silently, so the browser ignores it here (`bypass_csp`): a reference to another site then
shows up as a request, which is recorded and aborted before it leaves the machine.
"""

from urllib.parse import urlsplit

import pytest
from django.urls import resolve
from playwright.sync_api import sync_playwright

from tests.public_pages import PUBLIC_URLS, make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Pages without a button: reading them (and signing) must set no cookie. The others carry
# Django's CSRF cookie for their button, as the privacy page says.
COOKIE_FREE = {
    "healthz",
    "campaigns:home",
    "campaigns:detail",
    "campaigns:versions",
    "campaigns:version",
    "signatories:sign",
    "signatories:signed",
    "signatories:signers",
    "signatories:json",
    "privacy:policy",
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Recorder:
    """Every request a page makes, by page; those to other origins are aborted."""

    def __init__(self, origin: str):
        self.origin = origin
        self.current = ""
        self.requests: dict[str, list[str]] = {}
        self.foreign: list[tuple[str, str]] = []

    def route(self, route):
        url = route.request.url
        self.requests.setdefault(self.current, []).append(url)
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and _origin(url) != self.origin:
            self.foreign.append((self.current, url))
            route.abort()
        else:
            route.continue_()


def _visit(page, recorder, url):
    recorder.current = url
    response = page.goto(recorder.origin + url, wait_until="load")
    assert response is not None and response.status == 200, url


def test_every_public_page_loads_only_from_this_site(live_server, settings):
    settings.SIGNER_LIST_PAGE_SIZE = 3
    # The database is read only before the browser starts (its event loop runs in this
    # thread, and Django would open a second connection there).
    world = make_world()
    pages = {name: build(world) for name, build in PUBLIC_URLS.items()}
    ordered = sorted(pages, key=lambda name: name not in COOKIE_FREE)
    recorder = Recorder(live_server.url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        context = browser.new_context(bypass_csp=True, viewport={"width": 360, "height": 780})
        context.route("**/*", recorder.route)
        page = context.new_page()
        cookies_after_reading = None
        for name in ordered:
            if name not in COOKIE_FREE and cookies_after_reading is None:
                cookies_after_reading = context.cookies()
            for url in pages[name]:
                _visit(page, recorder, url)
        # The harness itself: a third-party image put on a page is seen and stopped.
        recorder.current = "self-check"
        page.evaluate(
            "() => { const i = new Image(); i.src = 'https://tracker.example/p.gif';"
            " document.body.append(i); }"
        )
        page.wait_for_timeout(300)
        browser.close()

    assert recorder.foreign.pop() == ("self-check", "https://tracker.example/p.gif")
    assert recorder.foreign == []
    assert cookies_after_reading == []
    visited = {resolve(url.split("?")[0]).view_name for url in recorder.requests if url[0] == "/"}
    assert visited == set(PUBLIC_URLS)
    # Each HTML page fetched its stylesheet from here: requests were really recorded.
    campaign_page = recorder.requests[world.open.get_absolute_url()]
    assert any(url.endswith("/static/css/site.css") for url in campaign_page)
