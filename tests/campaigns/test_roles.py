import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from campaigns import roles
from campaigns.models import AuditEntry, CampaignInvitation, CampaignRole
from tests.lead import make_lead_world, make_verified_user


def _invite(world, email="new.lead@example.org", role="editor", capture=None):
    if capture is None:
        return roles.invitation_create(
            campaign=world.campaign, actor=world.owner, email=email, role=role
        )
    with capture(execute=True):
        return roles.invitation_create(
            campaign=world.campaign, actor=world.owner, email=email, role=role
        )


def _link(message) -> str:
    return re.search(r"http://\S+/lead/invitations/\S+/", message.body).group(0)


@pytest.mark.django_db
def test_an_invitation_is_mailed_and_only_its_hash_is_stored(django_capture_on_commit_callbacks):
    world = make_lead_world()
    invitation = _invite(world, capture=django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.to == ["new.lead@example.org"]
    assert world.campaign.title in message.subject
    token = _link(message).rstrip("/").rsplit("/", 1)[1]
    assert token not in invitation.token_hash
    assert len(invitation.token_hash) == 64
    assert roles.invitation_for_token(token=token) == invitation
    assert AuditEntry.objects.filter(action="role.invite").count() == 1


@pytest.mark.django_db
def test_accepting_needs_an_account_with_the_invited_address(
    client, django_capture_on_commit_callbacks
):
    world = make_lead_world()
    _invite(world, capture=django_capture_on_commit_callbacks)
    link = _link(mail.outbox[0]).removeprefix("http://127.0.0.1:8000")

    page = client.get(link)
    assert page.status_code == 200
    assert reverse("account_login") + "?next=" in page.content.decode()

    stranger = make_verified_user(email="someone.else@example.org")
    client.force_login(stranger)
    response = client.post(link)
    assert response.status_code == 200
    assert "Sign in with that address" in response.content.decode()
    assert not CampaignRole.objects.filter(user=stranger).exists()

    invited = make_verified_user(email="New.Lead@example.org")
    client.force_login(invited)
    response = client.post(link)
    assert response.status_code == 302
    assert CampaignRole.objects.get(user=invited, campaign=world.campaign).role == "editor"
    # The link works once.
    assert client.get(link).status_code == 404


@pytest.mark.django_db
def test_an_unconfirmed_address_cannot_accept():
    world = make_lead_world()
    invitation = _invite(world)
    user = make_verified_user(email="other@example.org")
    EmailAddress.objects.create(user=user, email="new.lead@example.org", verified=False)
    with pytest.raises(ValidationError):
        roles.invitation_accept(invitation=invitation, user=user)


@pytest.mark.django_db
def test_an_expired_or_cancelled_invitation_cannot_be_used():
    world = make_lead_world()
    expired = _invite(world, email="a@example.org")
    CampaignInvitation.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    expired.refresh_from_db()
    with pytest.raises(ValidationError):
        roles.invitation_accept(invitation=expired, user=make_verified_user(email="a@example.org"))
    cancelled = _invite(world, email="b@example.org")
    roles.invitation_cancel(campaign=world.campaign, actor=world.owner, invitation=cancelled)
    with pytest.raises(ValidationError):
        roles.invitation_accept(
            invitation=cancelled, user=make_verified_user(email="b@example.org")
        )


@pytest.mark.django_db
def test_inviting_an_existing_co_lead_is_refused():
    world = make_lead_world()
    with pytest.raises(ValidationError, match="already a co-lead"):
        _invite(world, email=world.editor.email.upper())
    assert not CampaignInvitation.objects.exists()


@pytest.mark.django_db
def test_a_campaign_always_keeps_an_owner():
    world = make_lead_world()
    owner_role = world.campaign.roles.get(user=world.owner)
    with pytest.raises(ValidationError, match="always keeps an owner"):
        roles.campaign_role_change(
            campaign=world.campaign, actor=world.owner, membership=owner_role, role="viewer"
        )
    with pytest.raises(ValidationError, match="always keeps an owner"):
        roles.campaign_role_remove(
            campaign=world.campaign, actor=world.owner, membership=owner_role
        )
    assert world.campaign.roles.get(user=world.owner).role == "owner"

    editor_role = world.campaign.roles.get(user=world.editor)
    roles.campaign_role_change(
        campaign=world.campaign, actor=world.owner, membership=editor_role, role="owner"
    )
    roles.campaign_role_remove(campaign=world.campaign, actor=world.owner, membership=owner_role)
    assert list(world.campaign.roles.filter(role="owner").values_list("user", flat=True)) == [
        world.editor.pk
    ]
    assert [e.action for e in AuditEntry.objects.order_by("pk")][-2:] == [
        "role.change",
        "role.remove",
    ]


@pytest.mark.django_db
def test_owners_change_and_remove_roles_from_the_team_page(client):
    world = make_lead_world()
    client.force_login(world.owner)
    viewer_role = world.campaign.roles.get(user=world.viewer)
    url = reverse("lead:role-change", kwargs={"slug": world.campaign.slug, "pk": viewer_role.pk})
    client.post(url, {"role": "editor"})
    assert world.campaign.roles.get(user=world.viewer).role == "editor"
    client.post(url, {"remove": "1"})
    assert not world.campaign.roles.filter(user=world.viewer).exists()
    owner_role = world.campaign.roles.get(user=world.owner)
    response = client.post(
        reverse("lead:role-change", kwargs={"slug": world.campaign.slug, "pk": owner_role.pk}),
        {"remove": "1"},
        follow=True,
    )
    assert "always keeps an owner" in response.content.decode()
