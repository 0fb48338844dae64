"""A lead's delivery journey in headless Chromium: preview the PDF, choose recipients, send,
read the report and the public receipt. Each step is checked with axe-core and for overflow
on a phone, and kept as a screenshot under var/screenshots/ (see browser.py).

Written as stages (`_preview_the_letter`, `_choose_recipients`, `_send`, `_read_the_report`)
that other journeys can reuse. Tasks run inline in the live server (the immediate backend),
so the whole delivery (PDF snapshots, emails to the locmem outbox) happens within the
confirming request.
"""

import io

import pytest
from django.core import mail
from pypdf import PdfReader

from campaigns.models import Campaign, Delivery, DeliveryRun
from tests.factories import make_campaign, make_legislator, make_signature
from tests.lead import make_verified_user

from .browser import DESKTOP, PHONE, Journey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"


def _sign_in(j: Journey, *, email: str, next_path: str) -> None:
    page = j.page
    j.goto(next_path)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{next_path}")


def _preview_the_letter(j: Journey) -> None:
    """The preview is a PDF: fetched with the lead's session, read with pypdf."""
    preview = j.page.get_by_role("link", name="Letter as PDF").get_attribute("href")
    response = j.page.request.get(f"{j.base_url}{preview}?cover=1")
    assert response.headers["content-type"] == "application/pdf"
    cover = PdfReader(io.BytesIO(response.body())).pages[0].extract_text()
    assert "The Honorable Jane Doe" in " ".join(cover.split())


def _choose_recipients(j: Journey) -> None:
    """Washington's senate by filter, a member of Congress by name."""
    page = j.page
    page.get_by_role("link", name="Recipients", exact=True).click()
    page.wait_for_url("**/recipients/")
    j.step("recipients")
    page.get_by_label("Legislature:", exact=True).select_option("wa")
    page.get_by_role("button", name="Show matches").click()
    page.wait_for_url("**jurisdiction=wa**")
    status = page.locator(".match-result [role=status]").inner_text()
    assert "4 legislators match: 3 with an email address, 1 to print and mail" in status
    j.step("recipients-matching")
    page.get_by_role("button", name="Add these 4 legislators").click()
    page.wait_for_load_state()
    assert "4 recipients added." in page.locator(".messages").inner_text()
    page.get_by_label("Find a legislator by name:", exact=True).fill("Congress")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**q=Congress**")
    page.get_by_label("Select Congress Person").check()
    page.get_by_role("button", name="Add the checked legislators").click()
    page.wait_for_load_state()
    assert "1 recipient added." in page.locator(".messages").inner_text()
    summary = page.locator(".status-counts").inner_text()
    assert "Recipients\n5" in summary and "Print and mail\n2" in summary
    j.step("recipients-chosen")


def _send(j: Journey, *, copies: int) -> None:
    page = j.page
    page.get_by_role("link", name="Review and send…").click()
    page.wait_for_url("**/delivery/send/")
    j.step("send-confirmation")
    assert f"{copies} copies" in page.locator(".big-number").inner_text()
    assert page.get_by_role("link", name="Preview a copy (PDF)").count() == 1
    page.get_by_role("button", name=f"Confirm: send {copies} copies").click()
    page.wait_for_url("**/delivery/")
    assert f"Sending {copies} copies." in page.locator(".messages").inner_text()


def _read_the_report(j: Journey) -> tuple[list[str], list[str]]:
    """The report, then the public receipt: the fingerprints each lists."""
    page = j.page
    j.step("delivery-report")
    report = page.locator("main").inner_text()
    assert "Latest delivery: Completed" in report
    assert "Download the print-and-mail bundle (ZIP)" in report
    fingerprints = page.locator(".delivery-table code.hash").all_inner_texts()
    # On a phone the table scrolls sideways in its region; at desktop width it fits.
    page.set_viewport_size(DESKTOP)
    region = page.locator(".table-scroll:has(.delivery-table)")
    assert region.evaluate("r => r.scrollWidth - r.clientWidth") <= 0
    page.set_viewport_size(PHONE)
    page.get_by_role("link", name="The public delivery receipt").click()
    page.wait_for_url("**/receipt/")
    j.step("receipt")
    assert "The letter went to 3 offices." in page.locator("main").inner_text()
    return fingerprints, page.locator(".receipt-table code.hash").all_inner_texts()


def test_a_lead_chooses_recipients_sends_the_letter_and_reads_the_report(
    journey, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DELIVERY_RATE_PER_MINUTE = 0
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
        make_legislator(
            name=f"Washington Senator {n}",
            district=str(n + 1),
            email=f"senator.washingtonsenator{n}@leg.example.org",  # as long as real ones
        )
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

    with journey(viewport=PHONE) as j:
        _sign_in(j, email=lead.email, next_path=f"/lead/{campaign.slug}/")
        j.step("dashboard")
        _preview_the_letter(j)
        _choose_recipients(j)
        _send(j, copies=5)
        fingerprints, listed = _read_the_report(j)

    run = DeliveryRun.objects.get()
    assert run.status == DeliveryRun.Status.COMPLETED
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.DELIVERED
    emailed = Delivery.objects.filter(channel="email")
    addresses = sorted(emailed.values_list("to_email", flat=True))
    assert sorted(m.to[0] for m in mail.outbox) == addresses
    assert set(fingerprints) == set(Delivery.objects.values_list("pdf_sha256", flat=True))
    assert set(listed) == set(emailed.values_list("pdf_sha256", flat=True))
