"""Leads' journeys in headless Chromium: two-factor sign-in, approval, bulk actions, undo.

The two-factor journey is written as stages (`_sign_in_with_two_factor`,
`_approve_waiting_signatures`, …) so that the stages still to come, previewing the PDF,
starting a delivery and reading its report, are appended to it as the PDF and delivery
land.
"""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from signatories.models import Signature
from tests.factories import make_campaign, make_signature
from tests.lead import make_verified_user, totp

from .browser import DESKTOP, PHONE, Journey, fresh_totp_window

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"


def _sign_in_with_two_factor(j: Journey, *, email: str, secret: str, next_path: str) -> None:
    page = j.page
    j.goto(next_path)
    assert "/accounts/login/" in page.url
    j.step("sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    j.step("two-factor")
    fresh_totp_window()
    page.get_by_label("Code").fill(totp(secret))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"**{next_path}")


def _approve_waiting_signatures(j: Journey, *, slug: str, names: list[str]) -> None:
    """Filter the queue to confirmed signatures, tick `names`, approve them."""
    page = j.page
    j.step("dashboard")
    page.get_by_role("link", name="Signers").click()
    page.get_by_label("Status").select_option("verified")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**status=verified**")
    j.step("waiting-for-approval")
    for name in names:
        page.get_by_label(f"Select {name}").check()
    page.select_option("#bulk-action", "approve")
    page.get_by_label("the rows checked below").check()
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    assert f"{len(names)} signatures changed." in page.locator(".messages").inner_text()
    j.step("approved")
    with page.expect_navigation():
        page.get_by_role("link", name="Public page").click()
    for name in names:
        assert page.get_by_text(name).count() == 1
    j.step("public-page")


def test_a_lead_signs_in_with_two_factor_and_approves_signatures(journey):
    lead = make_verified_user(email="two-factor@example.org", password=PASSWORD)
    secret = generate_totp_secret()
    TOTP.activate(lead, secret)
    campaign = make_campaign(owner=lead, requires_approval=True, title="Safe homes for survivors")
    approve = ["Harbor Light Collective", "Puget Sound Mutual Aid"]
    for name in [*approve, "Unchecked Org"]:
        make_signature(campaign=campaign, organization_name=name, state="WA")

    with journey(viewport=DESKTOP) as j:
        _sign_in_with_two_factor(
            j, email=lead.email, secret=secret, next_path=f"/lead/{campaign.slug}/"
        )
        _approve_waiting_signatures(j, slug=campaign.slug, names=approve)
        # To come with the PDF and delivery: preview the PDF, start a delivery, read the
        # delivery report, each a stage like the ones above.

    statuses = dict(campaign.signatures.values_list("organization_name", "status"))
    assert statuses == {
        "Harbor Light Collective": Signature.Status.APPROVED,
        "Puget Sound Mutual Aid": Signature.Status.APPROVED,
        "Unchecked Org": Signature.Status.VERIFIED,
    }


def test_a_lead_approves_every_matching_signature_then_undoes_it(journey):
    lead = make_verified_user(email="journey@example.org", password=PASSWORD)
    campaign = make_campaign(owner=lead, requires_approval=True, title="Journey letter")
    for n in range(60):
        make_signature(campaign=campaign, organization_name=f"Org {n:02d}", state="WA")
    make_signature(campaign=campaign, organization_name="Oregon Org", state="OR")

    with journey(viewport=PHONE) as j:
        page = j.page
        j.goto(f"/lead/{campaign.slug}/")
        assert "/accounts/login/" in page.url
        page.fill("input[name=login]", lead.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"**/lead/{campaign.slug}/")
        j.step("dashboard")
        assert page.get_by_role("img", name="Sign-ons per day", exact=True).count() == 1

        page.get_by_role("link", name="Signers").click()
        page.select_option("select[name=state]", "WA")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_url("**state=WA**")
        j.step("filtered")
        assert "61 signatures" not in page.content()
        page.select_option("#bulk-action", "approve")
        page.check("#scope-matching")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_load_state()
        assert "60 signatures changed." in page.locator(".messages").inner_text()
        j.step("approved")

        j.goto(f"/lead/{campaign.slug}/signatures/?status=approved")
        assert "60 signatures match." in page.content()
        page.get_by_role("button", name="Undo the last bulk action").click()
        page.wait_for_load_state()
        assert "Undone: 60 signatures put back." in page.locator(".messages").inner_text()
        j.step("undone")

    assert not campaign.signatures.filter(status=Signature.Status.APPROVED).exists()
    assert campaign.signatures.filter(status=Signature.Status.VERIFIED).count() == 61
