"""Browser journeys in Debian's headless Chromium against pytest-django's live server.

The `journey` fixture (conftest.py) opens a browser for one test and hands back a
`Journey`: its `step()` checks the page with axe-core (WCAG 2.2 AA rules, 0 violations),
checks that nothing overflows the window's width, and saves a screenshot to
var/screenshots/<test>/NN-<step>.png for people to look at.

Django must not touch the database inside a journey's `with` block: Playwright runs an
event loop in this thread there, and Django refuses synchronous queries next to one.
Make the data before the block and check it after; emails are read from
`django.core.mail.outbox`, which is memory, not the database.
"""

import time
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.core import mail
from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
# Generous but bounded: a step that hangs fails the test instead of the CI job.
TIMEOUT_MS = 15_000

_axe = Axe()


def axe_violations(page: Page) -> list[str]:
    """axe-core's WCAG 2.2 AA violations on the page, one readable line each."""
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    result = _axe.run(page, options=options)
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in result.response["violations"]
    ]


FOCUS_INDICATOR_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' ? parseFloat(style.outlineWidth) : 0;
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60),
    outline: outline,
    shadow: style.boxShadow !== 'none',
    focusVisible: el.matches(':focus-visible'),
  };
}"""


class Journey:
    """One browser tab, with the checks and screenshots every step of a journey gets."""

    def __init__(self, page: Page, folder: Path, base_url: str, checker: Page | None = None):
        self.page = page
        self.folder = folder
        self.base_url = base_url
        # axe-core needs JavaScript (its checks wait on timers). Without it in `page`, axe
        # runs in `checker`, a tab with JavaScript, on a copy of the page's document.
        self.checker = checker
        self.steps = 0

    def goto(self, path: str):
        return self.page.goto(self.base_url + path if path.startswith("/") else path)

    def step(self, name: str, *, axe: bool = True) -> None:
        """Check the page as it is now and keep a screenshot of it."""
        self.page.wait_for_load_state()
        self.steps += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=self.folder / f"{self.steps:02d}-{name}.png", full_page=True)
        if axe:
            violations = axe_violations(self._page_for_axe())
            assert not violations, f"{name} ({self.page.url}): {violations}"
        overflow = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name}: the page is {overflow}px wider than the window"

    def _page_for_axe(self) -> Page:
        if self.checker is None:
            return self.page
        html = self.page.content()
        if self.page.url.startswith(self.base_url):
            # Same origin, so the copy loads the same stylesheet (colours count in axe).
            self.checker.goto(self.base_url + "/healthz")
        else:
            self.checker.goto("about:blank")
        self.checker.set_content(html)
        return self.checker

    def focused(self) -> dict | None:
        return self.page.evaluate(FOCUS_INDICATOR_JS)

    def assert_focus_visible(self) -> dict:
        """The focused element shows a focus indicator (our 3px outline, or a shadow)."""
        focused = self.focused()
        assert focused is not None, "nothing has the focus"
        assert focused["focusVisible"], f"{focused} does not match :focus-visible"
        assert focused["outline"] >= 2 or focused["shadow"], f"no visible focus on {focused}"
        return focused

    def tab_to(self, locator, *, most: int = 60, backwards: bool = False) -> None:
        """Press Tab (only the keyboard) until `locator` has the focus, checking that every
        element passed on the way shows where the focus is."""
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(most):
            self.page.keyboard.press(key)
            self.assert_focus_visible()
            if locator.evaluate("el => el === document.activeElement"):
                return
        raise AssertionError(f"{locator} not reached with {most} presses of {key}")

    def show_email(self, message, name: str) -> None:
        """Open an email's HTML part in the tab, as a mail program would show it."""
        html = next(
            content for content, mimetype in message.alternatives if mimetype == "text/html"
        )
        # A blank document first: one of ours would keep its Content Security Policy, which
        # forbids the inline styles emails need.
        self.page.goto("about:blank")
        self.page.set_content(html)
        self.step(name)


def last_email_to(address: str):
    """The newest message in Django's test outbox for `address`."""
    for message in reversed(mail.outbox):
        if address in message.to:
            return message
    raise AssertionError(f"no email to {address} among {[m.to for m in mail.outbox]}")


def fresh_totp_window() -> None:
    """A TOTP code is valid for the current 30 s step only: don't use one about to end."""
    if 30 - time.time() % 30 < 4:
        time.sleep(30 - time.time() % 30 + 0.2)
