"""The campaign page is kept whole for anonymous visitors, and never shows anything stale."""

import pytest
from django.test import RequestFactory

from campaigns.models import Campaign
from campaigns.services import campaign_status_change, letter_edit
from campaigns.views import _shared_page_key
from tests.factories import make_campaign, make_signature, make_user


@pytest.mark.django_db
def test_anonymous_visitors_get_one_kept_copy_of_the_campaign_page(
    client, django_assert_max_num_queries
):
    campaign = make_campaign()
    make_signature(campaign=campaign, organization_name="Harbor Shelter Network")
    first = client.get(campaign.get_absolute_url())
    with django_assert_max_num_queries(0):  # the campaign too comes from the cache
        second = client.get(campaign.get_absolute_url())
    assert second.content == first.content
    assert "Harbor Shelter Network" in second.content.decode()
    assert "public" in second.headers["Cache-Control"]
    assert "Content-Security-Policy" in second.headers


@pytest.mark.django_db
def test_a_new_letter_version_shows_at_once_on_the_kept_page(
    client, django_capture_on_commit_callbacks
):
    lead = make_user()
    campaign = make_campaign(owner=lead, body="Fund shelters now.")
    assert "Fund shelters now." in client.get(campaign.get_absolute_url()).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        letter_edit(campaign=campaign, actor=lead, title=campaign.title, body="Fund beds today.")
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "Fund beds today." in page
    assert "Fund shelters now." not in page


@pytest.mark.django_db
def test_a_newly_listed_signer_shows_at_once_on_the_kept_page(
    client, django_capture_on_commit_callbacks
):
    from signatories.selectors import public_list_changed

    campaign = make_campaign()
    client.get(campaign.get_absolute_url())
    make_signature(campaign=campaign, organization_name="Valley Legal Aid")
    with django_capture_on_commit_callbacks(execute=True):
        public_list_changed(campaign_id=campaign.pk)  # what confirming a signature calls
    assert "Valley Legal Aid" in client.get(campaign.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_closing_sign_on_shows_at_once_on_the_kept_page(client):
    lead = make_user()
    campaign = make_campaign(owner=lead)
    assert "Sign-on is closed" not in client.get(campaign.get_absolute_url()).content.decode()
    campaign_status_change(campaign=campaign, actor=lead, status=Campaign.Status.CLOSED)
    assert "Sign-on is closed" in client.get(campaign.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_a_campaign_made_a_draft_again_or_deleted_leaves_at_once(client):
    campaign = make_campaign()
    assert client.get(campaign.get_absolute_url()).status_code == 200
    campaign.status = Campaign.Status.DRAFT  # as the admin site saves it
    campaign.save()
    assert client.get(campaign.get_absolute_url()).status_code == 404
    campaign.status = Campaign.Status.OPEN
    campaign.save()
    url = campaign.get_absolute_url()
    assert client.get(url).status_code == 200
    campaign.delete()
    assert client.get(url).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "cookies", "shared"),
    [
        ("/c/x/", {}, True),
        ("/c/x/", {"django_language": "es"}, True),
        ("/c/x/?via=partner", {}, False),
        ("/c/x/?utm_source=mail", {}, False),
        ("/c/x/", {"sessionid": "abc"}, False),
        ("/c/x/", {"messages": "a-pending-message"}, False),
    ],
)
def test_only_visitors_who_see_the_common_page_share_the_kept_copy(path, cookies, shared):
    campaign = make_campaign()
    request = RequestFactory().get(path)
    request.COOKIES.update(cookies)
    assert (_shared_page_key(request, campaign) is not None) is shared
