"""Sending the letter: one delivery per recipient, each with its PDF snapshot, sent once.

Tasks run inline here (the immediate backend); tests/campaigns/test_delivery_workers.py
runs the real workers, kills them and restarts them.
"""

import hashlib
import io
import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.utils import timezone, translation
from django.utils.formats import date_format
from pypdf import PdfReader

from campaigns import delivery as delivery_service
from campaigns.delivery import (
    delivery_mark_sent,
    delivery_plan,
    delivery_resend,
    delivery_run_cancel,
    delivery_run_create,
    delivery_run_watch,
    delivery_run_work,
    delivery_send,
    print_bundle_mark_mailed,
    snapshot_path,
)
from campaigns.models import (
    AuditEntry,
    Campaign,
    CampaignRecipient,
    Delivery,
    DeliveryNotice,
    DeliveryRun,
)
from campaigns.pdf import legislator_recipient, recipient_for_id
from signatories.models import EmailQuota, Signature
from signatories.privacy import address_hash
from tests.factories import make_legislator, make_signature, make_user

from .delivery_helpers import make_send_world

pytestmark = pytest.mark.django_db

Status = Delivery.Status

DUMMY_TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@pytest.fixture(autouse=True)
def _delivery_settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DELIVERY_RATE_PER_MINUTE = 0


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Send now, running the background work inline as a worker would after commit."""

    def run(campaign, **kwargs):
        kwargs.setdefault("actor", None)
        with django_capture_on_commit_callbacks(execute=True):
            return delivery_run_create(campaign=campaign, **kwargs)

    return run


def pdf_pages(content: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def pdf_text(content: bytes) -> str:
    return " ".join(pdf_pages(content))


def dummy_enqueued():
    from django.tasks import default_task_backend

    return [(r.task.name, r.kwargs, r.task.run_after) for r in default_task_backend.results]


# --- creating a run -------------------------------------------------------------------------


def test_sending_makes_one_delivery_per_recipient_and_mails_each_office_its_own_pdf(
    send, mailoutbox
):
    world = make_send_world(emails=2, posts=1)
    run = send(world.campaign)

    deliveries = {d.legislator_id: d for d in run.deliveries.all()}
    assert set(deliveries) == {legislator.pk for legislator in world.legislators}
    assert len(mailoutbox) == 2
    for legislator in world.by_email:
        copy = deliveries[legislator.pk]
        assert copy.channel == Delivery.Channel.EMAIL
        assert copy.status == Status.SENT
        assert copy.attempts == 1
        (message,) = [m for m in mailoutbox if m.to == [legislator.email]]
        assert message.reply_to == ["team@coalition.example"]
        assert copy.message_id == message.extra_headers["Message-ID"]
        assert "Fund the shelters" in message.body  # a plain-text body
        assert copy.pdf_sha256 in message.body
        ((name, content, mimetype),) = message.attachments
        assert mimetype == "application/pdf"
        assert name.endswith(".pdf")
        assert hashlib.sha256(content).hexdigest() == copy.pdf_sha256
        assert snapshot_path(copy).read_bytes() == content
        cover, *letter = pdf_pages(content)
        assert f"The Honorable {legislator.name}" in cover  # its own cover first
        assert "Harbor Light Collective" in " ".join(letter)
    (post,) = [deliveries[legislator.pk] for legislator in world.by_post]
    assert post.channel == Delivery.Channel.PRINT
    assert post.status == Status.READY
    assert post.pdf_sha256 and snapshot_path(post).is_file()
    run.refresh_from_db()
    assert run.status == DeliveryRun.Status.COMPLETED
    assert Campaign.objects.get(pk=world.campaign.pk).status == Campaign.Status.DELIVERED
    # Each copy is its own file: the covers differ.
    assert len({d.pdf_sha256 for d in deliveries.values()}) == 3


def test_the_rows_are_made_at_once_and_the_work_waits_for_the_commit(settings):
    settings.TASKS = DUMMY_TASKS
    world = make_send_world(emails=3, posts=2)
    user = make_user()
    run = delivery_run_create(campaign=world.campaign, actor=user, expected_count=5)
    assert run.deliveries.count() == 5
    assert set(run.deliveries.values_list("status", flat=True)) == {Status.PENDING}
    assert run.deliveries.filter(channel="print").count() == 2
    assert not mail.outbox
    entry = AuditEntry.objects.get(action="delivery.send")
    assert entry.actor == user
    assert entry.after["copies"] == 5


def test_sending_uses_the_tasks_backend_after_commit(settings, django_capture_on_commit_callbacks):
    settings.TASKS = DUMMY_TASKS
    world = make_send_world()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = delivery_run_create(campaign=world.campaign, actor=None)
    assert dummy_enqueued() == []  # nothing is queued before the commit
    for callback in callbacks:
        callback()
    names = [(name, kwargs) for name, kwargs, _at in dummy_enqueued()]
    assert ("delivery_run_work", {"run_id": run.pk}) in names
    assert ("delivery_run_watch", {"run_id": run.pk}) in names


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"reply_to_email": ""}, "reply-to"),
        ({"status": Campaign.Status.DRAFT}, "cannot be sent"),
        ({"status": Campaign.Status.ARCHIVED}, "cannot be sent"),
        ("no-recipients", "Choose recipients first"),
    ],
)
def test_nothing_is_created_when_the_letter_cannot_be_sent(change, message):
    world = make_send_world()
    if change == "no-recipients":
        CampaignRecipient.objects.all().delete()
    else:
        Campaign.objects.filter(pk=world.campaign.pk).update(**change)
    with pytest.raises(ValidationError) as error:
        delivery_run_create(campaign=world.campaign, actor=None)
    assert message in " ".join(error.value.messages)
    assert not DeliveryRun.objects.exists()
    assert not Delivery.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="delivery").exists()


def test_a_changed_count_or_a_past_time_creates_nothing():
    world = make_send_world(emails=2, posts=1)
    with pytest.raises(ValidationError, match="changed since you looked"):
        delivery_run_create(campaign=world.campaign, actor=None, expected_count=2)
    with pytest.raises(ValidationError, match="in the future"):
        delivery_run_create(
            campaign=world.campaign, actor=None, send_at=timezone.now() - timedelta(hours=1)
        )
    assert not DeliveryRun.objects.exists()


def test_a_second_send_while_one_is_under_way_creates_nothing(settings):
    settings.TASKS = DUMMY_TASKS
    world = make_send_world()
    delivery_run_create(campaign=world.campaign, actor=None)
    with pytest.raises(ValidationError, match="already scheduled or under way"):
        delivery_run_create(campaign=world.campaign, actor=None)
    assert DeliveryRun.objects.count() == 1
    assert Delivery.objects.count() == 3


def test_a_later_send_goes_only_to_recipients_without_a_copy(send, mailoutbox):
    world = make_send_world(emails=1, posts=0)
    send(world.campaign)
    assert delivery_plan(campaign=world.campaign).problems == [
        "Every chosen recipient already has the letter."
    ]
    newcomer = make_legislator(email="new@leg.example")
    CampaignRecipient.objects.create(campaign=world.campaign, legislator=newcomer)
    mailoutbox.clear()
    run = send(world.campaign)
    assert list(run.deliveries.values_list("legislator_id", flat=True)) == [newcomer.pk]
    assert [m.to for m in mailoutbox] == [["new@leg.example"]]


def test_retired_legislators_are_left_out(settings):
    settings.TASKS = DUMMY_TASKS
    world = make_send_world(emails=2, posts=0)
    world.by_email[0].active = False
    world.by_email[0].save()
    plan = delivery_plan(campaign=world.campaign)
    assert (plan.total, plan.retired) == (1, 1)
    run = delivery_run_create(campaign=world.campaign, actor=None)
    assert list(run.deliveries.values_list("legislator_id", flat=True)) == [world.by_email[1].pk]


# --- exactly once ---------------------------------------------------------------------------


def test_running_the_work_again_sends_nobody_a_second_copy(send, mailoutbox):
    world = make_send_world(emails=3, posts=1)
    run = send(world.campaign)
    assert len(mailoutbox) == 3
    for _ in range(3):
        delivery_run_work(run_id=run.pk)
    for copy in run.deliveries.filter(channel="email"):
        assert delivery_send(delivery_id=copy.pk) == "not-ready"
    assert len(mailoutbox) == 3


def test_a_copy_claimed_by_another_worker_is_left_to_it(settings, mailoutbox):
    settings.TASKS = DUMMY_TASKS
    world = make_send_world(emails=2, posts=0)
    run = delivery_run_create(campaign=world.campaign, actor=None)
    first, _second = run.deliveries.order_by("pk")
    # Another worker took the first copy and is sending it right now (its lease is live).
    Delivery.objects.filter(pk=first.pk).update(status=Status.SENDING, pdf_sha256="x")
    assert delivery_send(delivery_id=first.pk) == "not-ready"
    DeliveryRun.objects.filter(pk=run.pk).update(
        lease_owner="other", lease_until=timezone.now() + timedelta(minutes=1)
    )
    assert delivery_run_work(run_id=run.pk) == "busy"
    assert mailoutbox == []


def test_a_copy_left_sending_by_a_dead_worker_is_unconfirmed_never_resent(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TASKS = DUMMY_TASKS
    world = make_send_world(emails=3, posts=0)
    run = delivery_run_create(campaign=world.campaign, actor=None)
    first = run.deliveries.order_by("pk").first()
    # A worker claimed the first copy, then died: its lease lapsed a while ago.
    Delivery.objects.filter(pk=first.pk).update(status=Status.SENDING, attempts=1)
    DeliveryRun.objects.filter(pk=run.pk).update(
        status=DeliveryRun.Status.RUNNING,
        lease_owner="dead-worker",
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    assert delivery_run_work(run_id=run.pk) == "done"

    first.refresh_from_db()
    assert first.status == Status.UNCONFIRMED
    assert sorted(m.to[0] for m in mailoutbox) == [office.email for office in world.by_email[1:]]
    run.refresh_from_db()
    assert run.status == DeliveryRun.Status.COMPLETED  # the lead resolves the unconfirmed one


def test_the_watchdog_queues_a_worker_only_when_the_last_one_went_quiet(settings):
    settings.TASKS = DUMMY_TASKS
    settings.DELIVERY_LEASE_SECONDS = 60
    world = make_send_world()
    run = delivery_run_create(campaign=world.campaign, actor=None)
    now = timezone.now()
    DeliveryRun.objects.filter(pk=run.pk).update(
        status=DeliveryRun.Status.RUNNING,
        lease_owner="alive",
        lease_until=now + timedelta(seconds=30),
        heartbeat_at=now,
    )
    assert delivery_run_watch(run_id=run.pk) == "alive"
    DeliveryRun.objects.filter(pk=run.pk).update(
        lease_until=now - timedelta(seconds=1), heartbeat_at=now - timedelta(seconds=61)
    )
    assert delivery_run_watch(run_id=run.pk) == "kicked"
    queued = dummy_enqueued()
    assert ("delivery_run_work", {"run_id": run.pk}, None) in queued
    # It keeps watching, a lease period later each time.
    watches = [at for name, _kwargs, at in queued if name == "delivery_run_watch"]
    assert len(watches) == 2 and all(at > now for at in watches)
    DeliveryRun.objects.filter(pk=run.pk).update(status=DeliveryRun.Status.CANCELLED)
    assert delivery_run_watch(run_id=run.pk) == "finished"


def test_delivery_resume_queues_work_for_unfinished_runs_nobody_holds(settings):
    settings.TASKS = DUMMY_TASKS
    world = make_send_world()
    run = delivery_run_create(campaign=world.campaign, actor=None)
    call_command("delivery_resume", stdout=io.StringIO())
    assert ("delivery_run_work", {"run_id": run.pk}, None) in dummy_enqueued()


# --- the mailer's answers -------------------------------------------------------------------


class RaisingBackend(LocmemBackend):
    """The locmem mailer, raising `error` instead of sending when one is set."""

    error = None

    def send_messages(self, messages):
        if RaisingBackend.error is not None:
            raise RaisingBackend.error
        return super().send_messages(messages)


@pytest.mark.parametrize(
    ("error", "status", "outcome"),
    [
        (
            smtplib.SMTPRecipientsRefused({"x@leg.example": (550, b"no such user")}),
            "rejected",
            "rejected",
        ),
        (ConnectionRefusedError(111, "Connection refused"), "ready", "retry"),
        (smtplib.SMTPDataError(554, b"message refused"), "failed", "failed"),
        (TimeoutError("timed out"), "unconfirmed", "unconfirmed"),
        (smtplib.SMTPServerDisconnected("gone"), "unconfirmed", "unconfirmed"),
    ],
)
def test_what_the_mail_server_says_decides_what_happens_to_a_copy(
    settings, error, status, outcome, mailoutbox
):
    settings.TASKS = DUMMY_TASKS
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RaisingBackend"}}
    world = make_send_world(emails=1, posts=0)
    run = delivery_run_create(campaign=world.campaign, actor=None)
    copy = run.deliveries.get()
    from campaigns.pdf import pdf_build

    built = pdf_build(campaign=world.campaign, recipient=legislator_recipient(copy.legislator))
    delivery_service.snapshot_store(delivery=copy, built=built)
    RaisingBackend.error = error
    try:
        assert delivery_send(delivery_id=copy.pk) == outcome
    finally:
        RaisingBackend.error = None
    copy.refresh_from_db()
    assert copy.status == status
    assert copy.attempts == 1
    assert copy.error
    # Only a copy the server never took goes back in line; it is then sent once.
    assert (delivery_send(delivery_id=copy.pk) == "sent") == (status == "ready")


def test_an_unreachable_server_is_retried_later_then_given_up(settings, mailoutbox):
    settings.TASKS = DUMMY_TASKS
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.RaisingBackend"}}
    world = make_send_world(emails=1, posts=0)
    run = delivery_run_create(campaign=world.campaign, actor=None)
    RaisingBackend.error = ConnectionRefusedError(111, "Connection refused")
    try:
        assert delivery_run_work(run_id=run.pk) == "continues"
        (_name, kwargs, at) = [q for q in dummy_enqueued() if q[0] == "delivery_run_work"][-1]
        assert kwargs == {"run_id": run.pk} and at > timezone.now() + timedelta(seconds=30)
        copy = run.deliveries.get()
        assert copy.status == Status.READY
        for _attempt in range(delivery_service.MAX_ATTEMPTS - 1):
            delivery_send(delivery_id=copy.pk)
    finally:
        RaisingBackend.error = None
    copy.refresh_from_db()
    assert (copy.status, copy.attempts) == (Status.FAILED, delivery_service.MAX_ATTEMPTS)


def test_the_throttle_spaces_the_emails_out(settings, mailoutbox):
    settings.TASKS = DUMMY_TASKS
    settings.DELIVERY_RATE_PER_MINUTE = 2  # one every 30 seconds
    world = make_send_world(emails=3, posts=0)
    run = delivery_run_create(campaign=world.campaign, actor=None)
    before = timezone.now()
    assert delivery_run_work(run_id=run.pk) == "continues"
    assert len(mailoutbox) == 1
    (_name, _kwargs, at) = [q for q in dummy_enqueued() if q[0] == "delivery_run_work"][-1]
    assert before + timedelta(seconds=29) < at < timezone.now() + timedelta(seconds=31)
    # Run early (another worker, a retry), the task waits for its turn and sends nothing.
    assert delivery_run_work(run_id=run.pk) == "continues"
    assert len(mailoutbox) == 1
    DeliveryRun.objects.filter(pk=run.pk).update(next_send_at=timezone.now())
    delivery_run_work(run_id=run.pk)
    assert len(mailoutbox) == 2


# --- scheduling and cancelling --------------------------------------------------------------


def test_a_scheduled_send_waits_for_its_time(settings, django_capture_on_commit_callbacks):
    settings.TASKS = DUMMY_TASKS
    world = make_send_world()
    at = timezone.now() + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        run = delivery_run_create(campaign=world.campaign, actor=None, send_at=at)
    assert run.status == DeliveryRun.Status.SCHEDULED
    assert run.letter_date == timezone.localdate(at)
    assert ("delivery_run_work", {"run_id": run.pk}, at) in dummy_enqueued()
    assert AuditEntry.objects.filter(action="delivery.schedule").exists()
    # A worker that runs it early (delivery_resume, a restart) does nothing yet.
    assert delivery_run_work(run_id=run.pk) == "not-yet"
    assert not Delivery.objects.exclude(status=Status.PENDING).exists()
    assert Campaign.objects.get(pk=world.campaign.pk).status == Campaign.Status.CLOSED


def test_sending_closes_sign_on(send):
    world = make_send_world(status=Campaign.Status.OPEN)
    send(world.campaign)
    entry = AuditEntry.objects.get(action="delivery.start")
    assert entry.before == {"campaign_status": "open"}
    assert entry.after["campaign_status"] == "closed"
    assert Campaign.objects.get(pk=world.campaign.pk).status == Campaign.Status.DELIVERED


def test_cancelling_a_scheduled_send_sends_nothing_and_lets_the_lead_send_again(
    settings, mailoutbox
):
    settings.TASKS = DUMMY_TASKS
    world = make_send_world()
    run = delivery_run_create(
        campaign=world.campaign, actor=None, send_at=timezone.now() + timedelta(hours=2)
    )
    delivery_run_cancel(campaign=world.campaign, actor=None)
    run.refresh_from_db()
    assert run.status == DeliveryRun.Status.CANCELLED
    assert set(run.deliveries.values_list("status", flat=True)) == {Status.CANCELLED}
    DeliveryRun.objects.filter(pk=run.pk).update(scheduled_for=timezone.now())
    assert delivery_run_work(run_id=run.pk) == "finished"
    assert mailoutbox == []
    assert delivery_plan(campaign=world.campaign).total == 3
    with pytest.raises(ValidationError):
        delivery_run_cancel(campaign=world.campaign, actor=None)


# --- a lead resolves copies -----------------------------------------------------------------


def _unconfirmed_copy(send):
    world = make_send_world(emails=1, posts=0)
    run = send(world.campaign)
    copy = run.deliveries.get()
    Delivery.objects.filter(pk=copy.pk).update(status=Status.UNCONFIRMED, message_id="")
    copy.refresh_from_db()
    return world, copy


def test_a_lead_marks_an_unconfirmed_copy_as_sent(send, mailoutbox):
    _world, copy = _unconfirmed_copy(send)
    lead = make_user()
    delivery_mark_sent(delivery=copy, actor=lead)
    copy.refresh_from_db()
    assert copy.status == Status.SENT
    assert AuditEntry.objects.get(action="delivery.mark_sent").actor == lead
    with pytest.raises(ValidationError):
        delivery_mark_sent(delivery=copy, actor=lead)
    assert len(mailoutbox) == 1


def test_a_lead_sends_an_unconfirmed_copy_again_with_the_same_pdf(send, mailoutbox):
    _world, copy = _unconfirmed_copy(send)
    sha256 = copy.pdf_sha256
    mailoutbox.clear()
    delivery_resend(delivery=copy, actor=make_user())
    # The resend runs after commit; here, inline.
    delivery_run_work(run_id=copy.run_id)
    copy.refresh_from_db()
    assert copy.status == Status.SENT and copy.attempts == 2
    assert copy.pdf_sha256 == sha256
    ((_name, content, _type),) = mailoutbox[0].attachments
    assert hashlib.sha256(content).hexdigest() == sha256


def test_a_bounced_copy_goes_again_to_the_corrected_address(send, mailoutbox):
    world = make_send_world(emails=1, posts=0)
    run = send(world.campaign)
    copy = run.deliveries.get()
    Delivery.objects.filter(pk=copy.pk).update(status=Status.BOUNCED)
    copy.refresh_from_db()
    old_id = copy.message_id
    mailoutbox.clear()
    delivery_resend(delivery=copy, actor=None, email="fixed@leg.example")
    delivery_run_work(run_id=run.pk)
    copy.refresh_from_db()
    assert (copy.status, copy.to_email) == (Status.SENT, "fixed@leg.example")
    assert copy.message_id and copy.message_id != old_id
    assert [m.to for m in mailoutbox] == [["fixed@leg.example"]]
    entry = AuditEntry.objects.get(action="delivery.resend")
    assert entry.before["to_email"] == world.by_email[0].email
    run.refresh_from_db()
    assert run.status == DeliveryRun.Status.COMPLETED


def test_sent_or_print_copies_cannot_be_sent_again(send):
    world = make_send_world(emails=1, posts=1)
    run = send(world.campaign)
    for copy in run.deliveries.all():
        with pytest.raises(ValidationError):
            delivery_resend(delivery=copy, actor=None)


def test_a_lead_marks_the_print_copies_mailed(send):
    world = make_send_world(emails=0, posts=2)
    run = send(world.campaign)
    assert print_bundle_mark_mailed(campaign=world.campaign, actor=None) == 2
    assert set(run.deliveries.values_list("status", flat=True)) == {Status.MAILED}
    with pytest.raises(ValidationError):
        print_bundle_mark_mailed(campaign=world.campaign, actor=None)


# --- snapshots ------------------------------------------------------------------------------


def test_a_snapshot_never_changes_once_made(send, mailoutbox):
    world = make_send_world(emails=1, posts=1)
    run = send(world.campaign)
    before = {d.pk: (d.pdf_sha256, snapshot_path(d).read_bytes()) for d in run.deliveries.all()}
    # The list changes after sending: the copies already made stay as they were.
    make_signature(campaign=world.campaign, organization_name="Late Signer Org")
    for copy in run.deliveries.all():
        from campaigns.pdf import pdf_build

        built = pdf_build(campaign=world.campaign, recipient=legislator_recipient(copy.legislator))
        assert built.sha256 != copy.pdf_sha256
        delivery_service.snapshot_store(delivery=copy, built=built)
    for copy in run.deliveries.all():
        assert (copy.pdf_sha256, snapshot_path(copy).read_bytes()) == before[copy.pk]
        assert hashlib.sha256(before[copy.pk][1]).hexdigest() == copy.pdf_sha256


def test_a_snapshot_that_does_not_match_its_hash_is_not_sent(settings, mailoutbox):
    settings.TASKS = DUMMY_TASKS
    world = make_send_world(emails=1, posts=0)
    run = delivery_run_create(campaign=world.campaign, actor=None)
    copy = run.deliveries.get()
    Delivery.objects.filter(pk=copy.pk).update(
        status=Status.READY, pdf_name="deliveries/none.pdf", pdf_sha256="0" * 64
    )
    assert delivery_send(delivery_id=copy.pk) == "failed"
    assert mailoutbox == []


# --- signers are told, once -----------------------------------------------------------------


def test_signers_who_asked_for_updates_get_one_delivered_email(send, mailoutbox):
    world = make_send_world(emails=1, posts=1)
    wants = make_signature(
        campaign=world.campaign, email="wants@org.example", consent_updates=True, language="es"
    )
    make_signature(campaign=world.campaign, email="quiet@org.example", consent_updates=False)
    make_signature(
        campaign=world.campaign,
        email="pending@org.example",
        consent_updates=True,
        status=Signature.Status.PENDING,
    )
    run = send(world.campaign)
    to_signers = [m for m in mailoutbox if m.to[0].endswith("org.example")]
    assert [m.to for m in to_signers] == [["wants@org.example"]]
    assert to_signers[0].subject == "La carta «Fund the shelters» se entregó"
    assert "/receipt/" in to_signers[0].body
    # The copy emailed counts; the one waiting to be printed does not, yet.
    assert "a 1 oficina." in to_signers[0].body
    with translation.override("es"):  # in the signer's language
        assert date_format(timezone.localdate(), "DATE_FORMAT") in to_signers[0].body
    assert f"/es/c/{world.campaign.slug}/receipt/" in to_signers[0].body
    assert DeliveryNotice.objects.get().signature == wants
    # Completing again (a retry, a resent copy) mails nobody again.
    DeliveryRun.objects.filter(pk=run.pk).update(notices_queued_at=None)
    delivery_run_work(run_id=run.pk)
    delivery_service.delivered_notice_send(signature_id=wants.pk)
    assert len([m for m in mailoutbox if m.to[0].endswith("org.example")]) == 1


def test_the_delivered_email_respects_the_daily_cap(settings, send, mailoutbox):
    settings.SIGNER_EMAILS_PER_DAY = 2
    world = make_send_world(emails=1, posts=0)
    make_signature(campaign=world.campaign, email="busy@org.example", consent_updates=True)
    EmailQuota.objects.create(
        address_hash=address_hash("busy@org.example"), day=timezone.localdate(), sent=2
    )
    send(world.campaign)
    assert not [m for m in mailoutbox if m.to == ["busy@org.example"]]
    assert DeliveryNotice.objects.get().outcome == DeliveryNotice.Outcome.CAPPED


# --- addressing -----------------------------------------------------------------------------


def test_a_legislator_becomes_the_addressee_of_a_copy():
    state = make_legislator(
        name="Jane Doe",
        family_name="Doe",
        title="Senator",
        district="43",
        body="Washington State Senate",
        offices=[
            {"classification": "district", "address": "1 Main St, Kent, WA 98032"},
            {
                "classification": "capitol",
                "address": "PO Box 40443; Olympia, WA 98504-0443",
            },
        ],
    )
    recipient = legislator_recipient(state)
    assert recipient.addressee == "The Honorable Jane Doe"
    assert recipient.title == "Senator, District 43"
    assert recipient.chamber == "Washington State Senate"
    assert recipient.jurisdiction == "Washington"
    assert recipient.address_lines == ("PO Box 40443", "Olympia, WA 98504-0443")
    assert recipient.salutation == "Dear Senator Doe:"
    congress = make_legislator(
        source="congress",
        source_id="D000001",
        jurisdiction="us",
        jurisdiction_name="U.S. Congress",
        state="NY",
        district="At-Large",
        offices=[{"address": "511 Hart Senate Office Building Washington DC 20510"}],
    )
    recipient = legislator_recipient(congress)
    assert recipient.jurisdiction == "New York"  # counted with New York's signers
    assert recipient.title.endswith("At-Large")
    assert recipient.address_lines == ("511 Hart Senate Office Building", "Washington DC 20510")
    assert recipient_for_id("D000001") == recipient
    assert recipient_for_id(str(state.pk)).name == "Jane Doe"
    with pytest.raises(LookupError):
        recipient_for_id("nobody")


def test_build_pdf_addresses_a_legislator_of_the_directory(tmp_path):
    world = make_send_world(emails=1, posts=0)
    legislator = world.by_email[0]
    out = tmp_path / "copy.pdf"
    stdout = io.StringIO()
    call_command(
        "build_pdf",
        world.campaign.slug,
        "--recipient",
        legislator.source_id,
        "--out",
        str(out),
        stdout=stdout,
    )
    assert f"The Honorable {legislator.name}" in pdf_text(out.read_bytes())


def test_a_campaign_whose_copies_all_go_by_post_tells_signers_once_they_are_mailed(
    send, mailoutbox, django_capture_on_commit_callbacks
):
    world = make_send_world(emails=0, posts=2)
    make_signature(campaign=world.campaign, email="wants@org.example", consent_updates=True)
    send(world.campaign)
    assert Campaign.objects.get(pk=world.campaign.pk).status == Campaign.Status.DELIVERED
    assert mailoutbox == []  # nothing has reached an office yet
    with django_capture_on_commit_callbacks(execute=True):
        print_bundle_mark_mailed(campaign=world.campaign, actor=None)
    assert [m.to for m in mailoutbox] == [["wants@org.example"]]
    assert "to 2 offices." in mailoutbox[0].body


def test_a_scheduled_send_for_a_campaign_archived_meanwhile_sends_nothing(settings, mailoutbox):
    settings.TASKS = DUMMY_TASKS
    world = make_send_world()
    run = delivery_run_create(
        campaign=world.campaign, actor=None, send_at=timezone.now() + timedelta(minutes=5)
    )
    Campaign.objects.filter(pk=world.campaign.pk).update(status=Campaign.Status.ARCHIVED)
    DeliveryRun.objects.filter(pk=run.pk).update(scheduled_for=timezone.now())
    delivery_run_work(run_id=run.pk)
    run.refresh_from_db()
    assert run.status == DeliveryRun.Status.CANCELLED
    assert set(run.deliveries.values_list("status", flat=True)) == {Status.CANCELLED}
    assert mailoutbox == []
