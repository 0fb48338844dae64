"""A lead's delivery journey in headless Chromium: preview the PDF, choose recipients, send,
read the report and the public receipt, with axe checks on each page.

Tasks run inline in the live server (the immediate backend), so the whole delivery (PDF
snapshots, emails to the locmem outbox) happens within the confirming request.
"""

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from playwright.sync_api import sync_playwright
from pypdf import PdfReader

from campaigns.models import Campaign, Delivery, DeliveryRun
from tests.factories import make_campaign, make_legislator, make_signature
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


def _fits_a_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_lead_chooses_recipients_sends_the_letter_and_reads_the_report(
    live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DELIVERY_RATE_PER_MINUTE = 0
    # The database is read only outside the Playwright block: inside it an event loop runs
    # in this thread, and Django would open a second connection there.
    lead = make_verified_user(email="sender@example.org", password=PASSWORD)
    campaign = make_campaign(
        owner=lead,
        title="Fund the shelters",
        status=Campaign.Status.CLOSED,
        reply_to_email="team@coalition.example",
    )
    for name in ("Harbor Light Collective", "Río Grande Mutual Aid", "Zoë Müller Foundation"):
        make_signature(campaign=campaign, organization_name=name)
    for n in range(3):
        make_legislator(name=f"Washington Senator {n}", district=str(n + 1))
    make_legislator(name="Postal Only Senator", district="9", email="")
    make_legislator(
        name="Oregon Senator", jurisdiction="or", jurisdiction_name="Oregon", state="OR"
    )
    make_legislator(
        source="congress",
        source_id="C000001",
        name="Congress Person",
        title="Representative",
        jurisdiction="us",
        jurisdiction_name="U.S. Congress",
        body="U.S. House of Representatives",
        chamber="house",
        email="",
        contact_form_url="https://house.example/contact",
    )
    axe = Axe()
    base = f"{live_server.url}/lead/{campaign.slug}"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        page = browser.new_page(viewport={"width": 360, "height": 800})
        page.goto(f"{base}/")
        page.fill("input[name=login]", lead.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"**/lead/{campaign.slug}/")

        # Preview the letter as an office will get it (a PDF: fetched, not displayed).
        preview = page.get_by_role("link", name="Letter as PDF").get_attribute("href")
        response = page.request.get(f"{live_server.url}{preview}?cover=1")
        assert response.headers["content-type"] == "application/pdf"
        cover = PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
        assert "The Honorable Jane Doe" in " ".join(cover.split())

        # Choose recipients: Washington's senate by filter, a member of Congress by name.
        page.get_by_role("link", name="Recipients", exact=True).click()
        page.wait_for_url("**/recipients/")
        _no_axe_violations(axe, page)
        page.select_option("select[name=jurisdiction]", "wa")
        page.get_by_role("button", name="Show matches").click()
        page.wait_for_url("**jurisdiction=wa**")
        status = page.locator(".match-result [role=status]").inner_text()
        assert "4 legislators match: 3 with an email address, 1 to print and mail" in status
        _no_axe_violations(axe, page)
        page.get_by_role("button", name="Add these 4 legislators").click()
        page.wait_for_load_state()
        assert "4 recipients added." in page.locator(".messages").inner_text()
        page.fill("input[name=q]", "Congress")
        page.get_by_role("button", name="Search").click()
        page.wait_for_url("**q=Congress**")
        page.get_by_label("Select Congress Person").check()
        page.get_by_role("button", name="Add the checked legislators").click()
        page.wait_for_load_state()
        assert "1 recipient added." in page.locator(".messages").inner_text()
        summary = page.locator(".status-counts").inner_text()
        assert "Recipients\n5" in summary and "Print and mail\n2" in summary
        _fits_a_phone(page)

        # Look at what will be sent, then confirm.
        page.get_by_role("link", name="Review and send…").click()
        page.wait_for_url("**/delivery/send/")
        _no_axe_violations(axe, page)
        assert "5 copies" in page.locator(".big-number").inner_text()
        assert page.get_by_role("link", name="Preview a copy (PDF)").count() == 1
        page.get_by_role("button", name="Confirm: send 5 copies").click()
        page.wait_for_url("**/delivery/")
        assert "Sending 5 copies." in page.locator(".messages").inner_text()

        # The report: every copy, its status and its fingerprint.
        _no_axe_violations(axe, page)
        _fits_a_phone(page)
        report = page.locator("main").inner_text()
        assert "Latest delivery: Completed" in report
        assert "Download the print-and-mail bundle (ZIP)" in report
        fingerprints = page.locator(".delivery-table code.hash").all_inner_texts()
        assert len(fingerprints) == 5
        page.get_by_role("link", name="The public delivery receipt").click()
        page.wait_for_url("**/receipt/")
        _no_axe_violations(axe, page)
        _fits_a_phone(page)
        assert "The letter went to 3 offices." in page.locator("main").inner_text()
        listed = page.locator(".receipt-table code.hash").all_inner_texts()
        browser.close()

    run = DeliveryRun.objects.get()
    assert run.status == DeliveryRun.Status.COMPLETED
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DELIVERED
    emailed = Delivery.objects.filter(channel="email")
    addresses = sorted(emailed.values_list("to_email", flat=True))
    assert sorted(m.to[0] for m in mail.outbox) == addresses
    assert set(fingerprints) == set(Delivery.objects.values_list("pdf_sha256", flat=True))
    assert set(listed) == set(emailed.values_list("pdf_sha256", flat=True))
