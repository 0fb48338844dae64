import pytest
from django.urls import reverse

from campaigns.models import Campaign
from tests.factories import make_campaign


@pytest.mark.django_db
def test_home_lists_open_campaigns_and_hides_drafts(client):
    make_campaign(title="An open letter")
    make_campaign(title="A secret draft", status=Campaign.Status.DRAFT)
    make_campaign(title="A closed letter", status=Campaign.Status.CLOSED)
    page = client.get(reverse("campaigns:home")).content.decode()
    assert "An open letter" in page
    assert "A closed letter" in page
    assert "A secret draft" not in page


@pytest.mark.django_db
def test_campaign_page_shows_the_letter_and_its_version(client):
    campaign = make_campaign(title="Fund shelters", body="## FUND BEDS\n\n- Now.")
    version = campaign.versions.get()
    response = client.get(campaign.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 lang="en">Fund shelters</h1>' in page
    assert "<h3>FUND BEDS</h3>" in page
    assert version.short_hash in page


@pytest.mark.django_db
def test_a_draft_campaign_page_is_not_found(client):
    campaign = make_campaign(status=Campaign.Status.DRAFT)
    assert client.get(campaign.get_absolute_url()).status_code == 404
