"""Substantive changes: signers are asked to re-confirm; at the deadline the others leave.

The request email's link needs the sign-on token module; here `reconfirmation_url` is
replaced by a fixed link, everything else runs for real (tasks run inline in tests).
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns import reconfirmation
from campaigns.models import AuditEntry, LetterVersion
from campaigns.services import letter_edit
from signatories.models import Signature
from signatories.selectors import signatures_public
from tests.factories import LETTER, make_campaign, make_signature, make_user

Status = Signature.Status


@pytest.fixture
def links(monkeypatch):
    monkeypatch.setattr(
        reconfirmation,
        "reconfirmation_url",
        lambda *, signature, version: f"https://letters.example/reconfirm/{signature.pk}/",
    )


def _listed(campaign):
    return {s.organization_name for s in signatures_public(campaign=campaign)}


def _substantive(campaign, lead, *, days=7, body="We ask you to act NOW."):
    return letter_edit(
        campaign=campaign,
        actor=lead,
        title="Test letter",
        body=body,
        change=LetterVersion.Change.SUBSTANTIVE,
        note="Stronger ask",
        reconfirm_deadline=timezone.now() + timedelta(days=days),
    )


def _pass_deadline(version):
    LetterVersion.objects.filter(pk=version.pk).update(
        reconfirm_deadline=timezone.now() - timedelta(seconds=1)
    )
    version.refresh_from_db()


@pytest.mark.django_db
def test_substantive_change_end_to_end(links, django_capture_on_commit_callbacks):
    lead = make_user()
    campaign = make_campaign(owner=lead, reply_to_email="team@coalition.example")
    make_signature(campaign=campaign, organization_name="Keeps", email="keeps@a.example")
    make_signature(
        campaign=campaign,
        organization_name="Silent",
        email="silent@b.example",
        status=Status.APPROVED,
    )
    make_signature(campaign=campaign, organization_name="Unconfirmed", status=Status.PENDING)
    make_signature(campaign=campaign, organization_name="Rejected", status=Status.REJECTED)
    keeps, silent = (
        campaign.signatures.get(email="keeps@a.example"),
        campaign.signatures.get(email="silent@b.example"),
    )

    with django_capture_on_commit_callbacks(execute=True):
        version = _substantive(campaign, lead)

    # Every confirmed signer of the old text is emailed, nobody else.
    assert sorted(m.to[0] for m in mail.outbox) == ["keeps@a.example", "silent@b.example"]
    request = next(m for m in mail.outbox if m.to == ["keeps@a.example"])
    assert "re-confirm" in request.subject.lower()
    assert f"https://letters.example/reconfirm/{keeps.pk}/" in request.body
    assert f"/c/{campaign.slug}/versions/2/" in request.body
    assert request.reply_to == ["team@coalition.example"]
    assert set(
        Signature.objects.filter(reconfirm_version_number=2).values_list("pk", flat=True)
    ) == {keeps.pk, silent.pk}

    # Until the deadline both stay on the list.
    assert _listed(campaign) == {"Keeps", "Silent"}

    reconfirmation.signature_reconfirm(signature=keeps, version=version)
    keeps.refresh_from_db()
    assert keeps.letter_version == version
    assert keeps.letter_sha256 == version.sha256

    _pass_deadline(version)
    assert _listed(campaign) == {"Keeps"}

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert reconfirmation.reconfirmation_deadline_pass(version=version) == 1
    (told,) = mail.outbox
    assert told.to == ["silent@b.example"]
    assert "left the list" in told.subject
    # Running the deadline again tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        assert reconfirmation.reconfirmation_deadline_pass(version=version) == 0
    assert len(mail.outbox) == 1

    actions = list(AuditEntry.objects.filter(campaign=campaign).values_list("action", flat=True))
    for action in (
        "letter.edit",
        "letter.reconfirmation",
        "signature.reconfirm",
        "letter.reconfirmation_deadline",
    ):
        assert action in actions
    deadline_entry = AuditEntry.objects.get(action="letter.reconfirmation_deadline")
    assert deadline_entry.after["left_the_list"] == [silent.pk]


@pytest.mark.django_db
def test_a_signer_never_emailed_does_not_leave_the_list(
    django_capture_on_commit_callbacks, monkeypatch
):
    # When the request email cannot be sent, nobody may lapse because of it.
    from smtplib import SMTPException

    from campaigns import tasks

    def fail(**kwargs):
        raise SMTPException("mail server down")

    monkeypatch.setattr(tasks, "email_send", fail)
    lead = make_user()
    campaign = make_campaign(owner=lead)
    make_signature(campaign=campaign, organization_name="Waiting")
    with django_capture_on_commit_callbacks(execute=True):
        version = _substantive(campaign, lead)
    assert mail.outbox == []
    _pass_deadline(version)
    assert _listed(campaign) == {"Waiting"}
    assert reconfirmation.reconfirmation_deadline_pass(version=version) == 0


@pytest.mark.django_db
def test_the_deadline_pass_does_nothing_before_the_deadline(links):
    lead = make_user()
    campaign = make_campaign(owner=lead)
    make_signature(campaign=campaign)
    version = _substantive(campaign, lead)
    assert reconfirmation.reconfirmation_deadline_pass(version=version) == 0
    assert not Signature.objects.filter(lapse_notified_at__isnull=False).exists()


@pytest.mark.django_db
def test_a_minor_change_keeps_every_signer_and_sends_nothing(django_capture_on_commit_callbacks):
    lead = make_user()
    campaign = make_campaign(owner=lead)
    make_signature(campaign=campaign, organization_name="Stays")
    with django_capture_on_commit_callbacks(execute=True):
        version = letter_edit(
            campaign=campaign,
            actor=lead,
            title="Test letter",
            body=LETTER + "\nA typo fixed.",
            change=LetterVersion.Change.MINOR,
        )
    assert version.number == 2
    assert version.reconfirm_deadline is None
    assert mail.outbox == []
    assert _listed(campaign) == {"Stays"}


@pytest.mark.django_db
def test_reconfirming_moves_to_the_newest_text_unless_a_newer_substantive_change_exists(links):
    lead = make_user()
    campaign = make_campaign(owner=lead)
    signature = make_signature(campaign=campaign)
    v2 = _substantive(campaign, lead)
    v3 = letter_edit(
        campaign=campaign, actor=lead, title="Test letter", body="We ask you to act NOW!"
    )
    reconfirmation.signature_reconfirm(signature=signature, version=v2)
    signature.refresh_from_db()
    assert signature.letter_version == v3  # a minor edit after v2 needs no new confirmation

    other = make_signature(campaign=campaign, letter_version=campaign.versions.get(number=1))
    _substantive(campaign, lead, body="A third text.")
    with pytest.raises(ValidationError, match="changed again"):
        reconfirmation.signature_reconfirm(signature=other, version=v2)


@pytest.mark.django_db
def test_a_substantive_change_needs_a_future_deadline_and_saves_nothing_without_one():
    lead = make_user()
    campaign = make_campaign(owner=lead)
    make_signature(campaign=campaign)
    for deadline in (None, timezone.now() - timedelta(hours=1)):
        with pytest.raises(ValidationError, match="deadline"):
            letter_edit(
                campaign=campaign,
                actor=lead,
                title="Test letter",
                body="Other text",
                change=LetterVersion.Change.SUBSTANTIVE,
                reconfirm_deadline=deadline,
            )
    assert campaign.versions.count() == 1
    assert not AuditEntry.objects.filter(action="letter.edit").exists()


@pytest.mark.django_db
def test_without_signers_a_change_is_minor_and_asks_nobody():
    lead = make_user()
    campaign = make_campaign(owner=lead)
    version = letter_edit(
        campaign=campaign,
        actor=lead,
        title="Test letter",
        body="Other text",
        change=LetterVersion.Change.SUBSTANTIVE,
    )
    assert version.change == LetterVersion.Change.MINOR


@pytest.mark.django_db
def test_an_edit_based_on_an_old_version_is_refused():
    lead = make_user()
    campaign = make_campaign(owner=lead)
    letter_edit(campaign=campaign, actor=lead, title="T", body="Second", base_number=1)
    with pytest.raises(ValidationError, match="Someone saved version 2"):
        letter_edit(campaign=campaign, actor=lead, title="T", body="Mine", base_number=1)
    assert campaign.versions.count() == 2


@pytest.mark.django_db
def test_the_deadline_check_is_scheduled_for_the_deadline_when_the_backend_can(
    settings, links, django_capture_on_commit_callbacks
):
    from django.tasks import default_task_backend

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    lead = make_user()
    campaign = make_campaign(owner=lead)
    make_signature(campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        version = _substantive(campaign, lead)
    names = [r.task.name for r in default_task_backend.results]
    assert names.count("reconfirmation_request_send") == 1
    (check,) = [
        r for r in default_task_backend.results if r.task.name == "reconfirmation_deadline_check"
    ]
    assert check.task.run_after == version.reconfirm_deadline
    assert check.kwargs == {"version_id": version.pk}


@pytest.mark.django_db
def test_the_dashboard_shows_how_many_have_re_confirmed(
    client, links, django_capture_on_commit_callbacks
):
    lead = make_user()
    campaign = make_campaign(owner=lead)
    first = make_signature(campaign=campaign)
    make_signature(campaign=campaign)
    with django_capture_on_commit_callbacks(execute=True):
        version = _substantive(campaign, lead)
    reconfirmation.signature_reconfirm(signature=first, version=version)
    client.force_login(lead)
    page = client.get(f"/lead/{campaign.slug}/").content.decode()
    assert "Re-confirmation of version 2" in page
    assert "1 of 2 signers asked have re-confirmed; 1 have until" in page
