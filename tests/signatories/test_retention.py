"""Retention: archiving a campaign, then anonymizing its signers' contact data on schedule
(or at once, by an owner), keeping the public list."""

import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from campaigns.exports import signatures_csv_rows
from campaigns.models import AuditEntry, Campaign
from campaigns.services import campaign_archive
from signatories import moderation, verification
from signatories.models import Signature, SignatureToken
from signatories.privacy import ip_hash
from signatories.retention import (
    campaign_contact_data_anonymize,
    campaigns_due_for_anonymization,
    letter_was_delivered,
)
from tests.factories import make_campaign, make_signature
from tests.lead import make_lead_world

pytestmark = pytest.mark.django_db

CONTACT = {
    "signer_title": "Director, cell 206-555-0100",
    "ip_hash": ip_hash("198.51.100.5"),
    "user_agent": "Browser/1.0",
}


def _archived(days_ago: int = 0, **fields) -> Campaign:
    campaign = make_campaign(status=Campaign.Status.DELIVERED, allows_individuals=True, **fields)
    campaign = campaign_archive(campaign=campaign, actor=None)
    Campaign.objects.filter(pk=campaign.pk).update(
        archived_at=timezone.now() - timedelta(days=days_ago)
    )
    campaign.refresh_from_db()
    return campaign


def _signers(campaign):
    """An organization, an individual listed by name, one listed without a name, a pending
    sign-on and a withdrawn one, each with contact data and a token."""
    made = {
        "organization": make_signature(campaign=campaign, signer_name="Org Contact", **CONTACT),
        "named": make_signature(
            campaign=campaign,
            kind=Signature.Kind.INDIVIDUAL,
            organization_name="",
            signer_name="Named Person",
            **CONTACT,
        ),
        "anonymous": make_signature(
            campaign=campaign,
            kind=Signature.Kind.INDIVIDUAL,
            organization_name="",
            signer_name="Hidden Person",
            listed_anonymously=True,
            public_descriptor="A survivor",
            **CONTACT,
        ),
        "pending": make_signature(campaign=campaign, status=Signature.Status.PENDING, **CONTACT),
        "withdrawn": make_signature(
            campaign=campaign, status=Signature.Status.WITHDRAWN, **CONTACT
        ),
    }
    for signature in made.values():
        verification.token_issue(signature=signature, purpose="withdraw", lifetime=None)
    return made


def _json(client, campaign):
    return json.loads(client.get(f"/c/{campaign.slug}/signatures.json").content)


def test_an_owner_archives_a_closed_or_delivered_campaign_and_it_is_logged():
    world = make_lead_world(status=Campaign.Status.CLOSED)
    campaign = campaign_archive(campaign=world.campaign, actor=world.owner)
    assert campaign.status == Campaign.Status.ARCHIVED
    assert campaign.archived_at is not None
    entry = AuditEntry.objects.get(campaign=campaign, action="campaign.archive")
    assert entry.actor == world.owner and entry.before == {"status": "closed"}


@pytest.mark.parametrize("status", ["draft", "open", "archived"])
def test_an_open_draft_or_archived_campaign_cannot_be_archived(status):
    campaign = make_campaign(status=status)
    with pytest.raises(ValidationError):
        campaign_archive(campaign=campaign, actor=None)
    campaign.refresh_from_db()
    assert campaign.status == status and campaign.archived_at is None
    assert not AuditEntry.objects.filter(action="campaign.archive").exists()


def test_only_campaigns_archived_longer_than_the_retention_period_are_due(settings):
    settings.RETENTION_DAYS = 90
    recent, old = _archived(days_ago=89), _archived(days_ago=91)
    for campaign in (recent, old):
        make_signature(campaign=campaign)
    make_signature(campaign=make_campaign(status=Campaign.Status.CLOSED))
    assert list(campaigns_due_for_anonymization()) == [old]
    settings.RETENTION_DAYS = 30
    assert set(campaigns_due_for_anonymization()) == {recent, old}


def test_housekeeping_anonymizes_due_campaigns_and_keeps_the_public_list(client, capsys):
    campaign = _archived(days_ago=91)
    signers = _signers(campaign)
    public_before = _json(client, campaign)["signers"]
    page_before = client.get(campaign.get_absolute_url()).content.decode()
    not_due = _archived(days_ago=10)
    untouched = make_signature(campaign=not_due, **CONTACT)

    call_command("signon_housekeeping")

    assert "1 archived campaigns queued for anonymization" in capsys.readouterr().out
    for signature in Signature.objects.filter(campaign=campaign):
        assert signature.anonymized_at is not None
        assert (signature.email, signature.email_canonical, signature.signer_title) == ("", "", "")
        assert (signature.ip_hash, signature.user_agent) == ("", "")
    names = dict(Signature.objects.filter(campaign=campaign).values_list("pk", "signer_name"))
    # The name stays only where it is the public entry: an individual listed by name.
    assert names[signers["named"].pk] == "Named Person"
    assert names[signers["organization"].pk] == names[signers["anonymous"].pk] == ""
    assert names[signers["pending"].pk] == names[signers["withdrawn"].pk] == ""
    assert not SignatureToken.objects.filter(signature__campaign=campaign).exists()
    # The public list, its JSON and the organizations' data are as they were.
    assert _json(client, campaign)["signers"] == public_before
    page_after = client.get(campaign.get_absolute_url()).content.decode()
    for name in ("Named Person", "A survivor", signers["organization"].organization_name):
        assert name in page_before and name in page_after
    entry = AuditEntry.objects.get(campaign=campaign, action="signatures.anonymize")
    assert entry.actor is None
    assert entry.after == {"signatures": 5, "trigger": "retention", "retention_days": 90}
    untouched.refresh_from_db()
    assert untouched.email and untouched.anonymized_at is None


def test_anonymizing_again_changes_nothing_and_logs_nothing(capsys):
    campaign = _archived(days_ago=100)
    _signers(campaign)
    call_command("signon_housekeeping")
    call_command("signon_housekeeping")
    assert "0 archived campaigns queued" in capsys.readouterr().out.splitlines()[-1]
    assert campaign_contact_data_anonymize(campaign=campaign, trigger="owner") == 0
    assert AuditEntry.objects.filter(action="signatures.anonymize").count() == 1


def test_a_campaign_brought_back_from_archive_is_not_anonymized_by_a_queued_task():
    from signatories.tasks import campaign_contact_data_anonymize as task

    campaign = _archived(days_ago=100)
    signature = make_signature(campaign=campaign, **CONTACT)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DELIVERED)
    task.enqueue(campaign_id=campaign.pk)
    signature.refresh_from_db()
    assert signature.email and signature.anonymized_at is None


def test_an_owner_anonymizes_an_archived_campaign_at_once(client):
    world = make_lead_world(status=Campaign.Status.DELIVERED)
    campaign = campaign_archive(campaign=world.campaign, actor=world.owner)
    signature = make_signature(campaign=campaign, **CONTACT)
    client.force_login(world.owner)
    dashboard = client.get(reverse("lead:dashboard", kwargs={"slug": campaign.slug}))
    assert "Anonymize contact data now" in dashboard.content.decode()
    response = client.post(reverse("lead:anonymize", kwargs={"slug": campaign.slug}), follow=True)
    assert "Contact data of 1 signature anonymized." in response.content.decode()
    assert "contact data has been anonymized" in response.content.decode()
    signature.refresh_from_db()
    assert signature.email == "" and signature.anonymized_at is not None
    entry = AuditEntry.objects.get(campaign=campaign, action="signatures.anonymize")
    assert entry.actor == world.owner and entry.after["trigger"] == "owner"


def test_an_owner_cannot_anonymize_a_campaign_that_is_not_archived(client):
    world = make_lead_world(status=Campaign.Status.DELIVERED)
    signature = make_signature(campaign=world.campaign, **CONTACT)
    client.force_login(world.owner)
    dashboard = client.get(reverse("lead:dashboard", kwargs={"slug": world.campaign.slug}))
    assert "Anonymize contact data now" not in dashboard.content.decode()
    assert "Archive the campaign" in dashboard.content.decode()
    url = reverse("lead:anonymize", kwargs={"slug": world.campaign.slug})
    response = client.post(url, follow=True)
    assert "Only an archived campaign" in response.content.decode()
    signature.refresh_from_db()
    assert signature.email and signature.anonymized_at is None
    assert not AuditEntry.objects.filter(action="signatures.anonymize").exists()


def test_editors_see_no_archive_or_anonymize_button(client):
    world = make_lead_world(status=Campaign.Status.CLOSED)
    client.force_login(world.editor)
    page = client.get(reverse("lead:dashboard", kwargs={"slug": world.campaign.slug}))
    assert "Archive the campaign" not in page.content.decode()
    url = reverse("lead:archive", kwargs={"slug": world.campaign.slug})
    assert client.post(url).status_code == 404
    world.campaign.refresh_from_db()
    assert world.campaign.status == Campaign.Status.CLOSED


def test_the_archive_button_archives_and_says_when_data_goes(client, settings):
    settings.RETENTION_DAYS = 45
    world = make_lead_world(status=Campaign.Status.CLOSED)
    client.force_login(world.owner)
    url = reverse("lead:archive", kwargs={"slug": world.campaign.slug})
    page = client.post(url, follow=True).content.decode()
    assert "anonymized in 45 days" in page
    world.campaign.refresh_from_db()
    assert world.campaign.status == Campaign.Status.ARCHIVED


def test_whether_the_letter_was_delivered():
    assert letter_was_delivered(campaign=make_campaign(status="delivered"))
    assert not letter_was_delivered(campaign=make_campaign(status="closed"))
    from_delivered = campaign_archive(campaign=make_campaign(status="delivered"), actor=None)
    from_closed = campaign_archive(campaign=make_campaign(status="closed"), actor=None)
    assert letter_was_delivered(campaign=from_delivered)
    assert not letter_was_delivered(campaign=from_closed)


def test_anonymized_signatures_keep_working_in_the_lead_area(client):
    world = make_lead_world(status=Campaign.Status.DELIVERED, requires_approval=True)
    campaign = campaign_archive(campaign=world.campaign, actor=world.owner)
    first = make_signature(campaign=campaign, **CONTACT)
    second = make_signature(campaign=campaign, status=Signature.Status.APPROVED, **CONTACT)
    campaign_contact_data_anonymize(campaign=campaign, actor=world.owner, trigger="owner")
    # Two blank addresses in one campaign do not collide in the unique constraint.
    make_signature(campaign=campaign, email="", email_canonical="")
    client.force_login(world.owner)
    slug = campaign.slug
    for url in (
        reverse("lead:dashboard", kwargs={"slug": slug}),
        reverse("lead:signatures", kwargs={"slug": slug}) + "?q=Org",
        reverse("lead:signature", kwargs={"slug": slug, "pk": first.pk}),
        reverse("lead:audit", kwargs={"slug": slug}),
        reverse("lead:invalidate", kwargs={"slug": slug}) + "?domain=example.org",
        f"/c/{slug}/",
        f"/c/{slug}/signatures.json",
    ):
        assert client.get(url).status_code == 200, url
    signature_page = client.get(reverse("lead:signature", kwargs={"slug": slug, "pk": first.pk}))
    assert "anonymized on" in signature_page.content.decode()
    rows = list(signatures_csv_rows(signatures=campaign.signatures.all(), include_contacts=True))
    assert len(rows) == 4 and ",,," in rows[1]
    result = moderation.signatures_approve(
        campaign=campaign, actor=world.owner, selection=campaign.signatures.filter(pk=first.pk)
    )
    assert result.changed == 1
    moderation.signatures_merge(
        campaign=campaign, actor=world.owner, survivor=first, duplicates=[second]
    )


def test_the_signer_email_task_skips_anonymized_signatures(outbox):
    from signatories.services import signer_email_send

    campaign = _archived(days_ago=100)
    signature = make_signature(campaign=campaign, **CONTACT)
    campaign_contact_data_anonymize(campaign=campaign, trigger="retention")
    assert signer_email_send(signature_id=signature.pk) == "gone"
    assert outbox == []


def test_anonymizing_costs_the_same_queries_for_ten_or_a_hundred_signers():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (10, 100):
        campaign = _archived(days_ago=100)
        for _ in range(size):
            verification.token_issue(
                signature=make_signature(campaign=campaign, **CONTACT),
                purpose="withdraw",
                lifetime=None,
            )
        with CaptureQueriesContext(connection) as queries:
            assert campaign_contact_data_anonymize(campaign=campaign, trigger="owner") == size
        counts.append(len(queries))
    assert counts[0] == counts[1]
