"""A lead's journey in headless Chromium: sign in, approve in bulk, undo, with axe checks."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

from signatories.models import Signature
from tests.factories import make_campaign, make_signature
from tests.lead import make_verified_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "a-long-test-password"


def _no_axe_violations(axe, page):
    result = axe.run(page)
    assert result.violations_count == 0, [v["id"] for v in result.response["violations"]]


def test_a_lead_approves_every_matching_signature_then_undoes_it(live_server):
    # The database is read only outside the Playwright block: inside it an event loop runs
    # in this thread, and Django would open a second connection there.
    lead = make_verified_user(email="journey@example.org", password=PASSWORD)
    campaign = make_campaign(owner=lead, requires_approval=True, title="Journey letter")
    for n in range(60):
        make_signature(campaign=campaign, organization_name=f"Org {n:02d}", state="WA")
    make_signature(campaign=campaign, organization_name="Oregon Org", state="OR")
    axe = Axe()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.goto(f"{live_server.url}/lead/{campaign.slug}/")
        assert "/accounts/login/" in page.url
        page.fill("input[name=login]", lead.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"**/lead/{campaign.slug}/")
        _no_axe_violations(axe, page)
        assert page.get_by_role("img", name="Sign-ons per day", exact=True).count() == 1

        page.get_by_role("link", name="Signers").click()
        page.select_option("select[name=state]", "WA")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url("**state=WA**")
        _no_axe_violations(axe, page)
        assert "61 signatures" not in page.content()
        page.select_option("#bulk-action", "approve")
        page.check("#scope-matching")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_load_state()
        assert "60 signatures changed." in page.locator(".messages").inner_text()
        no_overflow = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert no_overflow

        page.goto(f"{live_server.url}/lead/{campaign.slug}/signatures/?status=approved")
        assert "60 signatures match." in page.content()
        page.get_by_role("button", name="Undo the last bulk action").click()
        page.wait_for_load_state()
        assert "Undone: 60 signatures put back." in page.locator(".messages").inner_text()
        browser.close()

    assert not campaign.signatures.filter(status=Signature.Status.APPROVED).exists()
    assert campaign.signatures.filter(status=Signature.Status.VERIFIED).count() == 61
