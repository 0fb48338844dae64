import pytest
from django.contrib.admin.sites import site
from django.db import transaction

from campaigns.audit import audit_record
from campaigns.models import AuditEntry
from campaigns.services import campaign_update
from tests.factories import make_campaign, make_user


@pytest.mark.django_db
def test_a_change_and_its_entry_commit_or_roll_back_together():
    lead = make_user()
    campaign = make_campaign(owner=lead, goal=100)
    with pytest.raises(RuntimeError), transaction.atomic():
        campaign_update(campaign=campaign, actor=lead, goal=200)
        raise RuntimeError("something failed later in the same transaction")
    campaign.refresh_from_db()
    assert campaign.goal == 100
    assert not AuditEntry.objects.filter(action="campaign.update").exists()

    campaign_update(campaign=campaign, actor=lead, goal=200)
    entry = AuditEntry.objects.get(action="campaign.update")
    assert (entry.actor, entry.actor_label) == (lead, lead.email)
    assert (entry.before, entry.after) == ({"goal": 100}, {"goal": 200})


@pytest.mark.django_db(transaction=True)
def test_an_entry_cannot_be_written_outside_a_transaction():
    campaign = make_campaign()
    with pytest.raises(RuntimeError, match=r"inside transaction\.atomic"):
        audit_record(campaign=campaign, actor=None, action="x")


@pytest.mark.django_db
def test_entries_can_be_neither_changed_nor_deleted():
    campaign = make_campaign()
    with transaction.atomic():
        entry = audit_record(campaign=campaign, actor=None, action="campaign.update")
    entry.action = "something else"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "campaign.update"


@pytest.mark.django_db
def test_the_admin_shows_entries_read_only(rf):
    admin = site._registry[AuditEntry]
    request = rf.get("/")
    request.user = make_user(is_staff=True, is_superuser=True)
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request)
    assert not admin.has_delete_permission(request)
    assert admin.has_view_permission(request)


@pytest.mark.django_db
def test_the_audit_page_shows_who_did_what(client):
    lead = make_user()
    campaign = make_campaign(owner=lead, goal=100)
    campaign_update(campaign=campaign, actor=lead, goal=250)
    client.force_login(lead)
    page = client.get(f"/lead/{campaign.slug}/audit/").content.decode()
    assert "Changed the settings" in page
    assert lead.email in page
    assert "250" in page


@pytest.mark.django_db
def test_an_entry_keeps_the_actors_address_when_the_account_is_deleted():
    lead = make_user()
    campaign = make_campaign(owner=lead, goal=1)
    campaign_update(campaign=campaign, actor=lead, goal=2)
    email = lead.email
    lead.delete()
    entry = AuditEntry.objects.get(action="campaign.update")
    assert (entry.actor, entry.actor_label) == (None, email)
