from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import AuditEntry
from signatories import moderation
from signatories.models import BlockedDomain, Signature
from signatories.selectors import SignatureFilter, signatures_for_lead, signatures_public
from tests.factories import make_campaign, make_signature, make_user

Status = Signature.Status


def _public_names(campaign):
    return [s.public_name for s in signatures_public(campaign=campaign)]


def _bulk_signatures(campaign, count, **fields):
    version = campaign.versions.get()
    now = timezone.now()
    Signature.objects.bulk_create(
        Signature(
            campaign=campaign,
            organization_name=f"Org {n}",
            organization_key=f"org {n}",
            email=f"s{n}@example.org",
            email_canonical=f"s{n}@example.org",
            state="WA",
            consent_listed=True,
            letter_version=version,
            letter_sha256=version.sha256,
            created_at=now,
            verified_at=now,
            **{"status": Status.VERIFIED, **fields},
        )
        for n in range(count)
    )


def _approve_all_queries(count):
    lead = make_user()
    campaign = make_campaign(owner=lead, requires_approval=True)
    _bulk_signatures(campaign, count)
    selection = signatures_for_lead(
        campaign=campaign, filters=SignatureFilter(status=Status.VERIFIED), include_contacts=True
    )
    with CaptureQueriesContext(connection) as queries:
        result = moderation.signatures_approve(campaign=campaign, actor=lead, selection=selection)
    assert result.changed == count
    assert campaign.signatures.filter(status=Status.APPROVED).count() == count
    return len(queries)


@pytest.mark.django_db
def test_bulk_approve_of_5000_runs_in_the_same_few_queries_as_of_5():
    few = _approve_all_queries(5)
    many = _approve_all_queries(5000)
    assert many == few
    assert many <= 8


@pytest.mark.django_db
def test_bulk_approve_writes_one_audit_entry_listing_every_signature_and_its_old_status():
    lead = make_user()
    campaign = make_campaign(owner=lead, requires_approval=True)
    verified = make_signature(campaign=campaign)
    rejected = make_signature(campaign=campaign, status=Status.REJECTED, verified_at=timezone.now())
    pending = make_signature(campaign=campaign, status=Status.PENDING)
    result = moderation.signatures_approve(
        campaign=campaign, actor=lead, selection=campaign.signatures.all()
    )
    assert (result.changed, result.skipped) == (2, 1)
    pending.refresh_from_db()
    assert pending.status == Status.PENDING  # an unconfirmed email is never approved
    entry = AuditEntry.objects.get(action="signatures.approve")
    assert entry.actor == lead
    assert entry.before == {"status": {"verified": [verified.pk], "rejected": [rejected.pk]}}
    assert entry.after == {"status": {"approved": [verified.pk, rejected.pk]}}


@pytest.mark.django_db
def test_bulk_approve_of_all_matching_through_the_page_posts_no_ids(client):
    lead = make_user()
    campaign = make_campaign(owner=lead, requires_approval=True)
    _bulk_signatures(campaign, 1500)
    _bulk_signatures(campaign, 0)
    make_signature(campaign=campaign, state="OR")
    client.force_login(lead)
    url = reverse("lead:signatures-bulk", kwargs={"slug": campaign.slug})
    response = client.post(f"{url}?state=WA", {"action": "approve", "scope": "matching"})
    assert response.status_code == 302
    assert response["Location"].endswith("?state=WA")
    assert campaign.signatures.filter(status=Status.APPROVED).count() == 1500
    assert campaign.signatures.get(state="OR").status == Status.VERIFIED
    assert len(_public_names(campaign)) == 1500


@pytest.mark.django_db
def test_reject_and_restore_put_signatures_back_where_they_were():
    lead = make_user()
    campaign = make_campaign(owner=lead)
    confirmed = make_signature(campaign=campaign, verified_at=timezone.now())
    unconfirmed = make_signature(campaign=campaign, status=Status.PENDING)
    moderation.signatures_reject(campaign=campaign, actor=lead, selection=campaign.signatures.all())
    assert _public_names(campaign) == []
    moderation.signatures_restore(
        campaign=campaign, actor=lead, selection=campaign.signatures.all()
    )
    confirmed.refresh_from_db()
    unconfirmed.refresh_from_db()
    assert confirmed.status == Status.VERIFIED
    assert unconfirmed.status == Status.PENDING
    assert _public_names(campaign) == [confirmed.public_name]


@pytest.mark.django_db
def test_merge_keeps_the_survivor_listed_and_the_duplicates_marked_not_deleted():
    lead = make_user()
    campaign = make_campaign(owner=lead)
    survivor = make_signature(campaign=campaign, organization_name="ACLU of Washington")
    short = make_signature(campaign=campaign, organization_name="ACLU of WA")
    other = make_signature(campaign=campaign, organization_name="ACLU Washington")
    earlier = make_signature(campaign=campaign, organization_name="A.C.L.U. WA", merged_into=other)
    result = moderation.signatures_merge(
        campaign=campaign, actor=lead, survivor=survivor, duplicates=[short, other]
    )
    assert result.changed == 3
    assert _public_names(campaign) == ["ACLU of Washington"]
    assert campaign.signatures.count() == 4
    for duplicate in (short, other, earlier):
        duplicate.refresh_from_db()
        assert duplicate.merged_into == survivor
    entry = AuditEntry.objects.get(action="signatures.merge")
    assert entry.before == {"merged_into": {"": [short.pk, other.pk], str(other.pk): [earlier.pk]}}
    assert entry.after["merged_into"] == {str(survivor.pk): [short.pk, other.pk, earlier.pk]}


@pytest.mark.django_db
def test_merge_refuses_a_survivor_that_is_itself_merged_or_of_another_campaign():
    lead = make_user()
    campaign = make_campaign(owner=lead)
    a = make_signature(campaign=campaign)
    b = make_signature(campaign=campaign, merged_into=a)
    foreign = make_signature(campaign=make_campaign())
    with pytest.raises(ValidationError):
        moderation.signatures_merge(campaign=campaign, actor=lead, survivor=b, duplicates=[a])
    with pytest.raises(ValidationError):
        moderation.signatures_merge(campaign=campaign, actor=lead, survivor=a, duplicates=[foreign])
    with pytest.raises(ValidationError):
        moderation.signatures_merge(campaign=campaign, actor=lead, survivor=a, duplicates=[a])
    assert not AuditEntry.objects.filter(action="signatures.merge").exists()


@pytest.mark.django_db
def test_undo_of_a_merge_brings_the_duplicates_back_to_the_list():
    lead = make_user()
    campaign = make_campaign(owner=lead)
    survivor = make_signature(campaign=campaign, organization_name="Keep")
    duplicate = make_signature(campaign=campaign, organization_name="Dup")
    moderation.signatures_merge(
        campaign=campaign, actor=lead, survivor=survivor, duplicates=[duplicate]
    )
    assert sorted(_public_names(campaign)) == ["Keep"]
    result = moderation.bulk_action_undo(campaign=campaign, actor=lead)
    assert result.changed == 1
    assert sorted(_public_names(campaign)) == ["Dup", "Keep"]
    undo = AuditEntry.objects.get(action="signatures.undo")
    assert undo.after["undone_action"] == "signatures.merge"


def _invalidation_campaign():
    lead = make_user()
    campaign = make_campaign(owner=lead)
    now = timezone.now()
    spam = [
        make_signature(campaign=campaign, email=f"bot{n}@spam.example", ip_hash="a" * 64)
        for n in range(3)
    ]
    sub = make_signature(campaign=campaign, email="x@mail.spam.example")
    lookalike = make_signature(campaign=campaign, email="y@notspam.example")
    old = make_signature(
        campaign=campaign, email="old@spam.example", created_at=now - timedelta(days=5)
    )
    good = make_signature(campaign=campaign, email="ok@good.example", ip_hash="a" * 64)
    return SimpleNamespace(
        lead=lead, campaign=campaign, spam=spam, sub=sub, lookalike=lookalike, old=old, good=good
    )


@pytest.mark.django_db
def test_invalidate_by_domain_previews_the_count_then_rejects_exactly_those():
    w = _invalidation_campaign()
    lead, campaign = w.lead, w.campaign
    criteria = moderation.InvalidateCriteria(domain="spam.example")
    assert moderation.signatures_invalidate_preview(campaign=campaign, criteria=criteria) == 5
    result = moderation.signatures_invalidate(
        campaign=campaign, actor=lead, criteria=criteria, expected_count=5
    )
    assert result.changed == 5
    listed = set(_public_names(campaign))
    assert listed == {w.lookalike.public_name, w.good.public_name}
    entry = AuditEntry.objects.get(action="signatures.invalidate")
    assert sorted(entry.before["status"]["verified"]) == sorted(
        s.pk for s in [*w.spam, w.sub, w.old]
    )
    assert entry.after["criteria"]["domain"] == "spam.example"


@pytest.mark.django_db
def test_invalidate_by_address_group_and_time_window_combines_the_criteria():
    campaign = _invalidation_campaign().campaign
    criteria = moderation.InvalidateCriteria(
        ip_hash="a" * 64, created_from=timezone.now() - timedelta(days=1)
    )
    assert moderation.signatures_invalidate_preview(campaign=campaign, criteria=criteria) == 4
    window = moderation.InvalidateCriteria(created_to=timezone.now() - timedelta(days=1))
    assert moderation.signatures_invalidate_preview(campaign=campaign, criteria=window) == 1


@pytest.mark.django_db
def test_invalidate_does_nothing_when_the_count_changed_since_the_preview():
    w = _invalidation_campaign()
    lead, campaign = w.lead, w.campaign
    criteria = moderation.InvalidateCriteria(domain="spam.example")
    make_signature(campaign=campaign, email="late@spam.example")  # arrived after the preview
    with pytest.raises(ValidationError, match="6 signatures match now, not the 5"):
        moderation.signatures_invalidate(
            campaign=campaign, actor=lead, criteria=criteria, expected_count=5
        )
    assert not campaign.signatures.filter(status=Status.REJECTED).exists()
    assert not AuditEntry.objects.filter(action="signatures.invalidate").exists()


@pytest.mark.django_db
def test_invalidate_needs_at_least_one_criterion():
    w = _invalidation_campaign()
    lead, campaign = w.lead, w.campaign
    with pytest.raises(ValidationError):
        moderation.signatures_invalidate(
            campaign=campaign,
            actor=lead,
            criteria=moderation.InvalidateCriteria(),
            expected_count=0,
        )
    assert not campaign.signatures.filter(status=Status.REJECTED).exists()


@pytest.mark.django_db
def test_undo_of_an_invalidation_restores_the_list_except_what_changed_since():
    w = _invalidation_campaign()
    lead, campaign, old = w.lead, w.campaign, w.old
    before = sorted(_public_names(campaign))
    criteria = moderation.InvalidateCriteria(domain="spam.example")
    moderation.signatures_invalidate(
        campaign=campaign, actor=lead, criteria=criteria, expected_count=5
    )
    # One of them withdraws meanwhile: undo must not bring it back.
    Signature.objects.filter(pk=old.pk).update(status=Status.WITHDRAWN)
    result = moderation.bulk_action_undo(campaign=campaign, actor=lead)
    assert (result.changed, result.skipped) == (4, 1)
    assert sorted(_public_names(campaign)) == sorted(n for n in before if n != old.public_name)
    old.refresh_from_db()
    assert old.status == Status.WITHDRAWN
    undo = AuditEntry.objects.get(action="signatures.undo")
    assert undo.actor == lead
    assert undo.after["skipped"] == 1


@pytest.mark.django_db
def test_only_the_last_bulk_action_is_undone_and_only_once():
    lead = make_user()
    campaign = make_campaign(owner=lead, requires_approval=True)
    a = make_signature(campaign=campaign, verified_at=timezone.now())
    b = make_signature(campaign=campaign, verified_at=timezone.now())
    moderation.signatures_approve(
        campaign=campaign, actor=lead, selection=campaign.signatures.filter(pk=a.pk)
    )
    moderation.signatures_approve(
        campaign=campaign, actor=lead, selection=campaign.signatures.filter(pk=b.pk)
    )
    moderation.bulk_action_undo(campaign=campaign, actor=lead)
    assert _public_names(campaign) == [a.public_name]
    with pytest.raises(ValidationError):
        moderation.bulk_action_undo(campaign=campaign, actor=lead)
    assert _public_names(campaign) == [a.public_name]
    assert moderation.bulk_action_last(campaign=campaign) is None


@pytest.mark.django_db
def test_undo_of_5000_approvals_stays_flat_in_queries():
    lead = make_user()
    campaign = make_campaign(owner=lead, requires_approval=True)
    _bulk_signatures(campaign, 5000)
    everything = campaign.signatures.all()
    moderation.signatures_approve(campaign=campaign, actor=lead, selection=everything)
    with CaptureQueriesContext(connection) as queries:
        result = moderation.bulk_action_undo(campaign=campaign, actor=lead)
    assert result.changed == 5000
    assert len(queries) <= 10
    assert not campaign.signatures.filter(status=Status.APPROVED).exists()


@pytest.mark.django_db
def test_a_display_name_changes_the_public_name_and_is_logged():
    lead = make_user()
    campaign = make_campaign(owner=lead)
    signature = make_signature(campaign=campaign, organization_name="aclu wa")
    moderation.signature_display_name_set(
        signature=signature, actor=lead, display_name="  ACLU of   Washington "
    )
    assert _public_names(campaign) == ["ACLU of Washington"]
    entry = AuditEntry.objects.get(action="signature.display_name")
    assert (entry.before, entry.after) == (
        {"display_name": ""},
        {"display_name": "ACLU of Washington"},
    )
    assert entry.target_id == str(signature.pk)


@pytest.mark.django_db
def test_lead_organizations_are_listed_first():
    lead = make_user()
    campaign = make_campaign(owner=lead)
    make_signature(campaign=campaign, organization_name="Alpha", state="AK")
    zulu = make_signature(campaign=campaign, organization_name="Zulu", state="WY")
    moderation.signature_lead_organization_set(signature=zulu, actor=lead, is_lead=True)
    assert _public_names(campaign) == ["Zulu", "Alpha"]
    assert AuditEntry.objects.filter(action="signature.lead_organization").count() == 1


@pytest.mark.django_db
def test_a_held_signature_is_public_only_once_approved():
    lead = make_user()
    campaign = make_campaign(owner=lead)
    held = make_signature(campaign=campaign, held_for_review=True)
    assert _public_names(campaign) == []
    moderation.signatures_approve(
        campaign=campaign, actor=lead, selection=campaign.signatures.filter(pk=held.pk)
    )
    assert _public_names(campaign) == [held.public_name]


@pytest.mark.django_db
def test_the_blocklist_matches_subdomains_and_refusal_wins():
    lead = make_user()
    campaign = make_campaign(owner=lead)
    moderation.blocked_domain_add(
        campaign=campaign, actor=lead, domain=" @Spam.Example ", action="hold"
    )
    moderation.blocked_domain_add(
        campaign=campaign, actor=lead, domain="bad.spam.example", action="refuse"
    )
    assert BlockedDomain.objects.filter(campaign=campaign).count() == 2

    def verdict(email):
        return moderation.blocklist_verdict(campaign=campaign, email=email)

    assert verdict("a@spam.example") == "hold"
    assert verdict("a@mail.spam.example") == "hold"
    assert verdict("a@x.bad.spam.example") == "refuse"
    assert verdict("a@notspam.example") is None
    assert verdict("a@spam.example.org") is None
    assert moderation.blocklist_verdict(campaign=make_campaign(), email="a@spam.example") is None
    assert AuditEntry.objects.filter(action="blocklist.add").count() == 2


@pytest.mark.django_db
def test_a_domain_that_is_not_one_is_refused_with_a_message():
    campaign = make_campaign()
    with pytest.raises(ValidationError, match="Enter a domain"):
        moderation.blocked_domain_add(
            campaign=campaign, actor=make_user(), domain="not a domain", action="hold"
        )
    assert not BlockedDomain.objects.exists()
    assert not AuditEntry.objects.exists()
