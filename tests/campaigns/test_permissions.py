import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from campaigns.models import CampaignRole
from campaigns.permissions import campaign_for_lead
from tests.factories import make_campaign, make_user


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "ability", "allowed"),
    [
        ("owner", "own", True),
        ("owner", "edit", True),
        ("owner", "view", True),
        ("editor", "own", False),
        ("editor", "edit", True),
        ("editor", "view", True),
        ("viewer", "own", False),
        ("viewer", "edit", False),
        ("viewer", "view", True),
    ],
)
def test_roles_grant_abilities_in_order(role, ability, allowed):
    campaign = make_campaign()
    user = make_user()
    CampaignRole.objects.create(campaign=campaign, user=user, role=role)
    if allowed:
        assert campaign_for_lead(user=user, slug=campaign.slug, ability=ability) == (campaign, role)
    else:
        with pytest.raises(Http404):
            campaign_for_lead(user=user, slug=campaign.slug, ability=ability)


@pytest.mark.django_db
def test_no_role_or_no_account_is_not_found():
    campaign = make_campaign(owner=make_user())
    with pytest.raises(Http404):
        campaign_for_lead(user=make_user(), slug=campaign.slug)
    with pytest.raises(Http404):
        campaign_for_lead(user=AnonymousUser(), slug=campaign.slug)
