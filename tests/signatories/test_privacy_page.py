"""The privacy page: its periods come from the settings, it is linked where signers are, and
what it promises about cookies and email counts holds."""

from datetime import timedelta

import pytest
from django.utils import timezone

from signatories.models import EmailQuota
from signatories.services import email_quotas_purge
from tests.factories import make_campaign

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return " ".join(response.content.decode().split())


def test_the_privacy_page_states_the_periods_from_the_settings(client, settings):
    settings.RETENTION_DAYS = 17
    settings.SIGNATURE_TOKEN_DAYS = 3
    settings.PENDING_SIGNATURE_DAYS = 11
    settings.EMAIL_QUOTA_DAYS = 4
    settings.SIGNER_EMAILS_PER_DAY = 6
    settings.RATE_LIMIT_WINDOW_MINUTES = 25
    settings.DATA_REQUEST_LINK_HOURS = 6
    response = client.get("/privacy/")
    assert response.status_code == 200
    page = _text(response)
    assert "Until the campaign is archived, then 17 more days" in page
    assert "erased 17 days later" in page
    assert "They work for 3 days." in page
    assert "After 11 days they are marked expired" in page
    assert "at most 6 a day" in page and "4 days, under a fingerprint" in page
    assert "25 minutes, under fingerprints" in page
    assert "They work for 6 hours." in page
    assert "public" in response.headers["Cache-Control"]


def test_the_privacy_page_uses_singulars(client, settings):
    settings.RETENTION_DAYS = 1
    settings.DATA_REQUEST_LINK_HOURS = 1
    page = _text(client.get("/privacy/"))
    assert "then 1 more day;" in page and "They work for 1 hour." in page


def test_the_privacy_page_is_linked_from_every_page_footer_and_from_the_form(client):
    campaign = make_campaign()
    for url in ("/", campaign.get_absolute_url(), "/s/new-link/", "/privacy/my-data/"):
        assert 'href="/privacy/"' in client.get(url).content.decode(), url
    form = client.get(campaign.get_absolute_url()).content.decode()
    section = form[form.index('id="sign"') :]
    assert 'href="/privacy/"' in section[: section.index("</form>")]


def test_reading_and_signing_a_letter_set_no_cookie(client, sign):
    campaign = make_campaign()
    for url in (campaign.get_absolute_url(), "/privacy/", f"/c/{campaign.slug}/signers/"):
        assert not client.get(url).cookies, url
    response = sign(campaign)
    assert response.status_code == 303 and not response.cookies
    assert not client.get(response["Location"]).cookies
    assert not client.cookies


def test_daily_email_counts_are_kept_as_long_as_the_setting_says(settings):
    settings.EMAIL_QUOTA_DAYS = 4
    today = timezone.localdate()
    for age in range(6):
        EmailQuota.objects.create(address_hash=f"h{age}", day=today - timedelta(days=age))
    assert email_quotas_purge() == 2
    assert sorted(EmailQuota.objects.values_list("address_hash", flat=True)) == [
        "h0",
        "h1",
        "h2",
        "h3",
    ]
