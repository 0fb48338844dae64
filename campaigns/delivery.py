"""Sending the letter: one Delivery per recipient, each with its own PDF snapshot, sent once.

A lead's "Send" (`delivery_run_create`) makes, in one transaction, a DeliveryRun and a
Delivery row per chosen legislator: by email when the office has an address, otherwise in
the print-and-mail bundle. Nothing is rendered in the request (a copy for each of 7,400
offices takes minutes); background tasks (campaigns/tasks.py) do the rest:

1. `delivery_run_work` takes the run's lease (one worker at a time), closes sign-on,
   snapshots every copy with `pdf_build_batch` (the shared letter laid out once, one cover
   per office; all copies from one reading of the signer list) into a file named by its
   sha256, which never changes afterwards;
2. sends the emails one by one, throttled by DELIVERY_RATE_PER_MINUTE, each marked `sending`
   (committed) before its message leaves and `sent` with its message id after; after
   DELIVERY_SLICE_SECONDS it hands over to a fresh task;
3. when no email is left to send, marks the run completed and the campaign delivered, and
   queues one "your letter was delivered" email per signer who asked for updates.

Exactly once toward recipients: a copy is only ever sent by the worker that moved it from
`ready` to `sending` (a conditional UPDATE, so two workers never claim the same copy), and
nothing moves a copy back to `ready` except a lead. A worker that dies leaves at most the
copy it was sending in `sending`; the next worker to take the lease marks it `unconfirmed`
(its message may or may not have left) for a lead to resolve, and carries on with the rest.
`delivery_run_watch`, a deferred task that re-queues itself until the run is done, notices a
lease that lapsed (no heartbeat for DELIVERY_LEASE_SECONDS) and queues a worker again;
`manage.py delivery_resume` does the same from cron if the task queue itself was lost.
"""

import hashlib
import logging
import os
import smtplib
import socket
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, make_msgid
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .audit import audit_record
from .emails import email_render, email_send
from .models import (
    Campaign,
    CampaignRecipient,
    Delivery,
    DeliveryEvent,
    DeliveryNotice,
    DeliveryRun,
    Legislator,
)
from .pdf import BuiltPdf, legislator_recipient, pdf_build_batch
from .selectors import RECEIPT_STATUSES, letter_version_current

logger = logging.getLogger(__name__)

Status = Delivery.Status
Channel = Delivery.Channel
RunStatus = DeliveryRun.Status

# Campaigns whose letter may be sent: a draft has no public signers; an archived one is over.
SENDABLE_CAMPAIGN_STATUSES = [
    Campaign.Status.OPEN,
    Campaign.Status.CLOSED,
    Campaign.Status.DELIVERED,
]
# What a lead may send again: copies that did not arrive, or whose fate is unknown.
RESENDABLE = [Status.UNCONFIRMED, Status.BOUNCED, Status.REJECTED, Status.FAILED]
# Sleep for the throttle within a task up to this long; longer waits become a deferred task.
MAX_SLEEP_SECONDS = 2.0
# A mail server that cannot be reached is tried again this often, this many times per copy.
RETRY_SECONDS = 60
MAX_ATTEMPTS = 5


class LeaseLost(Exception):
    """Another worker took the run over (this one was too slow), or a lead cancelled it."""


# --- helpers ----------------------------------------------------------------------------


def _enqueue(task, *, at: datetime | None = None, **kwargs) -> None:
    """Queue `task`; deferred to `at` when the backend can defer (the database and RQ
    backends can; the immediate one cannot: `delivery_resume` starts such runs when due)."""
    if at is not None and at > timezone.now() + timedelta(seconds=0.5):
        if not task.get_backend().supports_defer:
            logger.info("Task backend cannot defer %s until %s; not queued", task.name, at)
            return
        task = task.using(run_after=at)
    task.enqueue(**kwargs)


def delivery_run_kick(*, run_id: int, at: datetime | None = None) -> None:
    """Queue the work on a run and its watchdog (call after commit)."""
    from . import tasks

    _enqueue(tasks.delivery_run_work, at=at, run_id=run_id)
    lease = timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    _enqueue(tasks.delivery_run_watch, at=(at or timezone.now()) + lease, run_id=run_id)


def _on_commit_kick(run: DeliveryRun, at: datetime | None = None) -> None:
    run_id = run.pk
    transaction.on_commit(lambda: delivery_run_kick(run_id=run_id, at=at))


def _recipients_to_send(campaign: Campaign):
    """Active chosen legislators without a copy of the letter yet (cancelled ones do not
    count: those recipients are sent the letter again)."""
    already = Delivery.objects.filter(campaign=campaign).exclude(status=Status.CANCELLED)
    return (
        Legislator.objects.filter(
            campaign_recipients__campaign=campaign,
            active=True,
        )
        .exclude(pk__in=already.values("legislator_id"))
        .order_by("jurisdiction", "chamber", "sort_name", "pk")
    )


@dataclass(frozen=True)
class SendPlan:
    """What a "Send" would do now: the copies by channel, and why it cannot, if it cannot."""

    total: int
    by_email: int
    by_post: int
    retired: int
    problems: list[str]

    @property
    def can_send(self) -> bool:
        return not self.problems and self.total > 0


def delivery_plan(*, campaign: Campaign) -> SendPlan:
    """The confirmation page's numbers, and the checks `delivery_run_create` makes."""
    counts = _recipients_to_send(campaign).aggregate(
        total=Count("pk"), by_email=Count("pk", filter=~Q(email=""))
    )
    retired = CampaignRecipient.objects.filter(campaign=campaign, legislator__active=False).count()
    problems = []
    if campaign.status not in SENDABLE_CAMPAIGN_STATUSES:
        problems.append(
            _("A campaign that is %(status)s cannot be sent.")
            % {"status": campaign.get_status_display().lower()}
        )
    if not campaign.reply_to_email:
        problems.append(
            _("Set a reply-to address in the settings first: recipients' replies go there.")
        )
    if DeliveryRun.objects.filter(campaign=campaign, status__in=DeliveryRun.ACTIVE).exists():
        problems.append(_("A delivery is already scheduled or under way."))
    if not counts["total"]:
        problems.append(
            _("Every chosen recipient already has the letter.")
            if CampaignRecipient.objects.filter(campaign=campaign).exists()
            else _("Choose recipients first.")
        )
    return SendPlan(
        total=counts["total"],
        by_email=counts["by_email"],
        by_post=counts["total"] - counts["by_email"],
        retired=retired,
        problems=problems,
    )


# --- a lead sends, schedules, cancels ---------------------------------------------------


@transaction.atomic
def delivery_run_create(
    *,
    campaign: Campaign,
    actor,
    send_at: datetime | None = None,
    expected_count: int | None = None,
) -> DeliveryRun:
    """Send the letter now, or at `send_at`, to every chosen recipient without a copy yet.

    One transaction makes the run and one Delivery per recipient; the work starts after
    commit. The campaign row is locked first, so two racing clicks make one run (the
    second gets a ValidationError), and a partial unique index backs that up.
    `expected_count` is the number the lead confirmed: if the recipients changed since,
    nothing is sent and the lead is asked to look again.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    now = timezone.now()
    if send_at is not None and send_at < now - timedelta(minutes=1):
        raise ValidationError(_("Choose a time in the future."), code="past")
    plan = delivery_plan(campaign=campaign)
    if plan.problems:
        raise ValidationError(plan.problems[0], code="cannot_send")
    if expected_count is not None and expected_count != plan.total:
        raise ValidationError(
            _(
                "The recipients changed since you looked (%(count)d copies now): "
                "check them and confirm again."
            )
            % {"count": plan.total},
            code="changed",
        )
    start = send_at if send_at and send_at > now else now
    try:
        with transaction.atomic():
            run = DeliveryRun.objects.create(
                campaign=campaign,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
                scheduled_for=start,
                letter_date=timezone.localdate(start),
            )
    except IntegrityError:
        raise ValidationError(
            _("A delivery is already scheduled or under way."), code="cannot_send"
        ) from None
    deliveries = [
        Delivery(
            run=run,
            campaign=campaign,
            legislator=legislator,
            channel=Channel.EMAIL if legislator.email else Channel.PRINT,
            to_email=legislator.email,
            created_at=now,
        )
        for legislator in _recipients_to_send(campaign).only("pk", "email")
    ]
    Delivery.objects.bulk_create(deliveries, batch_size=1000)
    audit_record(
        campaign=campaign,
        actor=actor,
        action="delivery.schedule" if start > now else "delivery.send",
        target=run,
        after={
            "copies": len(deliveries),
            "by_email": plan.by_email,
            "by_post": plan.by_post,
            "scheduled_for": start,
        },
    )
    _on_commit_kick(run, at=start if start > now else None)
    return run


def _active_run_locked(campaign: Campaign) -> DeliveryRun:
    """The campaign's scheduled or running delivery, locked; refused when there is none."""
    run = (
        DeliveryRun.objects.select_for_update()
        .filter(campaign=campaign, status__in=DeliveryRun.ACTIVE)
        .first()
    )
    if run is None:
        raise ValidationError(_("No delivery is scheduled or under way."))
    return run


@transaction.atomic
def delivery_run_cancel(*, campaign: Campaign, actor) -> DeliveryRun:
    """Stop the scheduled or running delivery: copies not sent yet are cancelled (a copy
    already leaving finishes). Its recipients can be sent the letter again later."""
    run = _active_run_locked(campaign)
    before = run.status
    run.status = RunStatus.CANCELLED
    run.cancelled_at = timezone.now()
    run.save(update_fields=["status", "cancelled_at"])
    count = Delivery.objects.filter(run=run, status__in=[Status.PENDING, Status.READY]).update(
        status=Status.CANCELLED, status_changed_at=run.cancelled_at
    )
    audit_record(
        campaign=campaign,
        actor=actor,
        action="delivery.cancel",
        target=run,
        before={"status": before},
        after={"status": run.status, "copies_cancelled": count},
    )
    return run


# --- the work: lease, start, snapshots, sending, completion ------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)


def _is_finished(run: DeliveryRun) -> bool:
    if run.status == RunStatus.CANCELLED:
        return True
    return run.status == RunStatus.COMPLETED and run.notices_queued_at is not None


def _lease_take(run_id: int, owner: str) -> bool:
    """Claim the run for this worker if nobody holds it; a lapsed claim is taken over."""
    now = timezone.now()
    taken = (
        DeliveryRun.objects.filter(pk=run_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .exclude(status=RunStatus.CANCELLED)
        .update(lease_owner=owner, lease_until=now + _lease(), heartbeat_at=now)
    )
    if not taken:
        return False
    # Only the lease holder sends, and it finishes each copy before letting go: a copy
    # still "sending" belonged to a worker that died while sending it. Its message may
    # or may not have left, so nobody may send it again without a lead's decision.
    stale = Delivery.objects.filter(run_id=run_id, status=Status.SENDING).update(
        status=Status.UNCONFIRMED,
        status_changed_at=now,
        error="",
    )
    if stale:
        logger.warning("Delivery run %s: %d copies left sending are unconfirmed", run_id, stale)
    return True


def _lease_release(run_id: int, owner: str) -> None:
    DeliveryRun.objects.filter(pk=run_id, lease_owner=owner).update(
        lease_owner="", lease_until=None, heartbeat_at=timezone.now()
    )


class _Worker:
    """One slice of work on a run, by the holder of its lease."""

    def __init__(self, run: DeliveryRun, owner: str):
        self.run = run
        self.owner = owner
        self.deadline = time.monotonic() + settings.DELIVERY_SLICE_SECONDS
        self._renewed = 0.0

    def renew(self, *, force: bool = False) -> None:
        """Extend the lease (a few times per lease period); LeaseLost when it is gone."""
        if not force and time.monotonic() - self._renewed < settings.DELIVERY_LEASE_SECONDS / 8:
            return
        now = timezone.now()
        kept = (
            DeliveryRun.objects.filter(pk=self.run.pk, lease_owner=self.owner)
            .exclude(status=RunStatus.CANCELLED)
            .update(lease_until=now + _lease(), heartbeat_at=now)
        )
        if not kept:
            raise LeaseLost
        self._renewed = time.monotonic()

    def run_slice(self) -> datetime | None:
        """Do what is due; returns when to continue, or None when the run needs nothing."""
        self.start()
        if self.run.status == RunStatus.CANCELLED:
            return None
        self.snapshot()
        next_at = self.send()
        if next_at is not None:
            return next_at
        if self.complete():
            self.queue_notices()
        return None

    def start(self) -> None:
        with transaction.atomic():
            run = DeliveryRun.objects.select_for_update().get(pk=self.run.pk)
            if run.status != RunStatus.SCHEDULED:
                self.run = run
                return
            campaign = Campaign.objects.select_for_update().get(pk=run.campaign_id)
            before = campaign.status
            if campaign.status not in SENDABLE_CAMPAIGN_STATUSES:
                # Archived (or made a draft again) while the delivery waited: nothing goes.
                self._cancel(run, campaign)
                self.run = run
                return
            if campaign.status == Campaign.Status.OPEN:
                # Every copy carries the list as it is now: sign-on ends with the sending.
                campaign.status = Campaign.Status.CLOSED
                campaign.save(update_fields=["status", "updated_at"])
            run.status = RunStatus.RUNNING
            run.started_at = timezone.now()
            run.letter_version = letter_version_current(campaign=campaign)
            run.save(update_fields=["status", "started_at", "letter_version"])
            audit_record(
                campaign=campaign,
                actor=None,
                action="delivery.start",
                target=run,
                before={"campaign_status": before},
                after={
                    "campaign_status": campaign.status,
                    "letter_version": run.letter_version.number,
                    "letter_sha256": run.letter_version.sha256,
                },
            )
            self.run = run

    def _cancel(self, run: DeliveryRun, campaign: Campaign) -> None:
        now = timezone.now()
        run.status = RunStatus.CANCELLED
        run.cancelled_at = now
        run.save(update_fields=["status", "cancelled_at"])
        Delivery.objects.filter(run=run, status__in=[Status.PENDING, Status.READY]).update(
            status=Status.CANCELLED, status_changed_at=now
        )
        audit_record(
            campaign=campaign,
            actor=None,
            action="delivery.cancel",
            target=run,
            after={"status": run.status, "campaign_status": campaign.status},
        )

    def snapshot(self) -> None:
        """Build and store the PDF of every copy that has none yet, in one batch."""
        pending = list(
            Delivery.objects.filter(run=self.run, status=Status.PENDING)
            .select_related("legislator")
            .order_by("pk")
        )
        campaign = self.run.campaign
        while pending:
            self.renew(force=True)
            builds = pdf_build_batch(
                campaign=campaign,
                recipients=[legislator_recipient(d.legislator) for d in pending],
                date=self.run.letter_date,
            )
            done = 0
            try:
                for delivery, (_recipient, built) in zip(pending, builds, strict=False):
                    self.renew()
                    snapshot_store(delivery=delivery, built=built)
                    done += 1
            except LeaseLost:
                raise
            except Exception as error:
                # This office's copy cannot be built (the batch stops there): record why,
                # then go on with the others.
                logger.exception("Delivery %s: the PDF could not be built", pending[done].pk)
                now = timezone.now()
                Delivery.objects.filter(pk=pending[done].pk, status=Status.PENDING).update(
                    status=Status.FAILED,
                    status_changed_at=now,
                    error=str(error)[:300],
                )
                done += 1
            pending = pending[done:]

    def send(self) -> datetime | None:
        """Send ready emails, throttled, until none is left (None) or the slice is over."""
        rate = settings.DELIVERY_RATE_PER_MINUTE
        interval = timedelta(seconds=60 / rate) if rate > 0 else timedelta(0)
        while True:
            self.renew(force=True)
            run = DeliveryRun.objects.only("next_send_at").get(pk=self.run.pk)
            now = timezone.now()
            if run.next_send_at and run.next_send_at > now:
                wait = (run.next_send_at - now).total_seconds()
                if wait > MAX_SLEEP_SECONDS or time.monotonic() + wait > self.deadline:
                    return run.next_send_at
                time.sleep(wait)
            delivery_id = (
                Delivery.objects.filter(run=self.run, channel=Channel.EMAIL, status=Status.READY)
                .order_by("pk")
                .values_list("pk", flat=True)
                .first()
            )
            if delivery_id is None:
                return None
            outcome = delivery_send(delivery_id=delivery_id)
            now = timezone.now()
            DeliveryRun.objects.filter(pk=self.run.pk).update(next_send_at=now + interval)
            if outcome == "retry":
                return now + timedelta(seconds=min(RETRY_SECONDS, settings.DELIVERY_LEASE_SECONDS))
            if time.monotonic() >= self.deadline:
                return now

    def complete(self) -> bool:
        """Mark the run completed, and the campaign delivered, once nothing is left to do."""
        with transaction.atomic():
            run = DeliveryRun.objects.select_for_update().get(pk=self.run.pk)
            if run.status == RunStatus.COMPLETED:
                return True
            if run.status != RunStatus.RUNNING:
                return False
            left = Delivery.objects.filter(run=run).filter(
                Q(status__in=[Status.PENDING, Status.SENDING])
                | Q(channel=Channel.EMAIL, status=Status.READY)
            )
            if left.exists():
                return False
            run.status = RunStatus.COMPLETED
            run.completed_at = timezone.now()
            run.save(update_fields=["status", "completed_at"])
            campaign = Campaign.objects.select_for_update().get(pk=run.campaign_id)
            before = campaign.status
            if campaign.status in (Campaign.Status.OPEN, Campaign.Status.CLOSED):
                campaign.status = Campaign.Status.DELIVERED
                campaign.save(update_fields=["status", "updated_at"])
            counts = dict(
                Delivery.objects.filter(run=run)
                .values_list("status")
                .annotate(n=Count("pk"))
                .values_list("status", "n")
            )
            audit_record(
                campaign=campaign,
                actor=None,
                action="delivery.complete",
                target=run,
                before={"campaign_status": before},
                after={"campaign_status": campaign.status, "copies": counts},
            )
            self.run = run
        logger.info("Delivery run %s completed", run.pk)
        return True

    def queue_notices(self) -> int:
        if DeliveryRun.objects.filter(pk=self.run.pk, notices_queued_at__isnull=False).exists():
            return 0
        count = delivered_notices_queue(campaign=self.run.campaign, renew=self.renew)
        DeliveryRun.objects.filter(pk=self.run.pk).update(notices_queued_at=timezone.now())
        return count


def delivery_run_work(*, run_id: int) -> str:
    """One slice of a run's work (the task `delivery_run_work`); returns what it did."""
    from . import tasks

    run = DeliveryRun.objects.select_related("campaign").filter(pk=run_id).first()
    if run is None or _is_finished(run):
        return "finished"
    if run.status == RunStatus.SCHEDULED and run.scheduled_for > timezone.now() + timedelta(
        seconds=1
    ):
        _enqueue(tasks.delivery_run_work, at=run.scheduled_for, run_id=run.pk)
        return "not-yet"
    owner = uuid.uuid4().hex
    if not _lease_take(run.pk, owner):
        return "busy"
    next_at = None
    try:
        next_at = _Worker(run, owner).run_slice()
    except LeaseLost:
        logger.warning("Delivery run %s: lease lost; another worker carries on", run.pk)
        return "lease-lost"
    finally:
        _lease_release(run.pk, owner)
    if next_at is not None:
        _enqueue(tasks.delivery_run_work, at=next_at, run_id=run.pk)
        return "continues"
    return "done"


def _needs_work(run: DeliveryRun) -> bool:
    if run.status in (RunStatus.SCHEDULED, RunStatus.RUNNING):
        return True
    return run.status == RunStatus.COMPLETED and run.notices_queued_at is None


def delivery_run_watch(*, run_id: int) -> str:
    """The watchdog (task `delivery_run_watch`): while a run is not finished, look again
    every lease period, and queue a worker when nobody has worked on it for that long."""
    from . import tasks

    run = DeliveryRun.objects.filter(pk=run_id).first()
    if run is None or not _needs_work(run):
        return "finished"
    now = timezone.now()
    _enqueue(tasks.delivery_run_watch, at=now + _lease(), run_id=run_id)
    if run.status == RunStatus.SCHEDULED and run.scheduled_for > now:
        return "waiting"
    lapsed = run.lease_until is None or run.lease_until < now
    quiet = run.heartbeat_at is None or run.heartbeat_at < now - _lease()
    if lapsed and quiet:
        logger.warning("Delivery run %s: no worker for a while; queueing one", run_id)
        tasks.delivery_run_work.enqueue(run_id=run_id)
        return "kicked"
    return "alive"


def delivery_runs_resume() -> int:
    """Queue work for every unfinished run nobody is working on (`manage.py
    delivery_resume`, for cron: a lost task queue then delays delivery, never stops it)."""
    now = timezone.now()
    runs = DeliveryRun.objects.filter(
        Q(status__in=DeliveryRun.ACTIVE)
        | Q(status=RunStatus.COMPLETED, notices_queued_at__isnull=True)
    ).filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
    count = 0
    for run in runs:
        if run.status == RunStatus.SCHEDULED and run.scheduled_for > now:
            continue
        delivery_run_kick(run_id=run.pk)
        count += 1
    return count


# --- one copy ---------------------------------------------------------------------------


def snapshot_dir(campaign_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "deliveries" / f"campaign-{campaign_id}"


def snapshot_store(*, delivery: Delivery, built: BuiltPdf) -> str:
    """Keep a copy's PDF under its own sha256 and record it; an existing snapshot stays."""
    content = built.path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    directory = snapshot_dir(delivery.campaign_id)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{digest}.pdf"
    if not path.is_file():
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as output:
                output.write(content)
            os.chmod(temporary, 0o444)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    name = str(path.relative_to(settings.MEDIA_ROOT))
    now = timezone.now()
    Delivery.objects.filter(pk=delivery.pk, status=Status.PENDING, pdf_sha256="").update(
        status=Status.READY,
        pdf_name=name,
        pdf_sha256=digest,
        pdf_pages=built.page_count,
        snapshot_at=now,
        status_changed_at=now,
    )
    return name


def snapshot_path(delivery: Delivery) -> Path | None:
    if not delivery.pdf_name:
        return None
    path = Path(settings.MEDIA_ROOT) / delivery.pdf_name
    return path if path.is_file() else None


def attachment_name(delivery: Delivery) -> str:
    name = slugify(delivery.legislator.name)[:60] or f"office-{delivery.legislator_id}"
    return f"{delivery.campaign.slug}-{name}.pdf"


def receipt_url(campaign: Campaign) -> str:
    return settings.SITE_URL + reverse("campaigns:receipt", kwargs={"slug": campaign.slug})


def delivery_message(delivery: Delivery) -> EmailMultiAlternatives:
    """The email to one office: a short note, the PDF attached, replies to the campaign."""
    campaign = delivery.campaign
    legislator = delivery.legislator
    path = snapshot_path(delivery)
    if path is None:
        raise FileNotFoundError(f"snapshot of delivery {delivery.pk} is missing")
    content = path.read_bytes()
    if hashlib.sha256(content).hexdigest() != delivery.pdf_sha256:
        raise ValueError(f"snapshot of delivery {delivery.pk} does not match its sha256")
    # In the language the PDF is written in, whatever language the worker last used.
    with translation.override(settings.LANGUAGE_CODE):
        recipient = legislator_recipient(legislator)
        salutation = recipient.salutation or _("Dear %(name)s:") % {"name": legislator.name}
        subject, text, html = email_render(
            template="letter_delivery",
            language=settings.LANGUAGE_CODE,
            context={
                "campaign": campaign,
                "version": delivery.run.letter_version,
                "salutation": salutation,
                "recipient": recipient,
                "sha256": delivery.pdf_sha256,
                "receipt_url": receipt_url(campaign),
            },
        )
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[delivery.to_email],
        reply_to=[campaign.reply_to_email] if campaign.reply_to_email else [],
    )
    message.attach_alternative(html, "text/html")
    message.attach(attachment_name(delivery), content, "application/pdf")
    if not _mailer_is_anymail():
        # SMTP and the file mailer give no id back: our own Message-ID header is the id.
        message.extra_headers["Message-ID"] = make_msgid(
            idstring=f"delivery-{delivery.pk}-{delivery.attempts}",
            domain=_message_id_domain(),
        )
    return message


def _mailer_is_anymail() -> bool:
    backend = settings.MAILERS.get("default", {}).get("BACKEND", "")
    return backend.startswith("anymail.")


def _message_id_domain() -> str:
    address = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)
    return address[1].strip("> ") if len(address) == 2 else "localhost"


def _sent_message_id(message: EmailMultiAlternatives) -> str:
    status = getattr(message, "anymail_status", None)
    if status is not None and status.message_id not in (None, ""):
        return str(status.message_id)
    return message.extra_headers.get("Message-ID", "")


def _anymail_errors():
    from anymail.exceptions import (
        AnymailInvalidAddress,
        AnymailRecipientsRefused,
    )

    return (AnymailRecipientsRefused, AnymailInvalidAddress)


# The server refused the recipient: nothing left; a lead can fix the address and resend.
REFUSED = (smtplib.SMTPRecipientsRefused,)
# The mail server could not be reached or refused us before the message: nothing left;
# try again later.
UNREACHABLE = (
    ConnectionRefusedError,
    socket.gaierror,
    smtplib.SMTPConnectError,
    smtplib.SMTPHeloError,
    smtplib.SMTPAuthenticationError,
    smtplib.SMTPSenderRefused,
)
# The server answered the message with an error: it was not accepted.
NOT_ACCEPTED = (smtplib.SMTPDataError,)


def _finish(delivery_id: int, status: str, **fields) -> None:
    now = timezone.now()
    Delivery.objects.filter(pk=delivery_id, status__in=[Status.SENDING, Status.UNCONFIRMED]).update(
        status=status, status_changed_at=now, **fields
    )


def delivery_send(*, delivery_id: int) -> str:
    """Send one ready email copy, at most once: "sent", "rejected", "failed", "retry",
    "unconfirmed", or "not-ready" when another worker (or a lead) got there first.

    Runs in autocommit: the claim (ready → sending) is committed before the message
    leaves, and the outcome after it.
    """
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, channel=Channel.EMAIL, status=Status.READY
    ).update(
        status=Status.SENDING,
        sending_at=now,
        status_changed_at=now,
        attempts=F("attempts") + 1,
        error="",
    )
    if not claimed:
        return "not-ready"
    delivery = Delivery.objects.select_related("campaign", "legislator", "run__letter_version").get(
        pk=delivery_id
    )
    try:
        message = delivery_message(delivery)
    except (OSError, ValueError) as error:
        # Nothing left: the copy cannot be sent as it was snapshotted.
        logger.error("Delivery %s not sent: %s", delivery_id, error)
        _finish(delivery_id, Status.FAILED, error=str(error)[:300])
        return "failed"
    try:
        message.send()
    except REFUSED + _anymail_errors() as error:
        _finish(delivery_id, Status.REJECTED, error=str(error)[:300])
        return "rejected"
    except UNREACHABLE as error:
        logger.warning("Delivery %s: mail server unavailable (%s)", delivery_id, error)
        if delivery.attempts >= MAX_ATTEMPTS:
            _finish(delivery_id, Status.FAILED, error=str(error)[:300])
            return "failed"
        _finish(delivery_id, Status.READY, error=str(error)[:300])
        return "retry"
    except NOT_ACCEPTED as error:
        _finish(delivery_id, Status.FAILED, error=str(error)[:300])
        return "failed"
    except Exception as error:
        # It may or may not have left (a timeout after the data, a dropped connection, an
        # API error): a lead decides, never an automatic resend.
        logger.warning("Delivery %s: unknown whether it was sent (%r)", delivery_id, error)
        _finish(delivery_id, Status.UNCONFIRMED, error=f"{type(error).__name__}: {error}"[:300])
        return "unconfirmed"
    message_id = _sent_message_id(message)
    status = Status.SENT
    anymail_status = getattr(message, "anymail_status", None)
    if (
        anymail_status is not None
        and anymail_status.status
        and anymail_status.status
        <= {
            "rejected",
            "invalid",
        }
    ):
        status = Status.REJECTED
    _finish(delivery_id, status, message_id=message_id[:255], sent_at=timezone.now())
    logger.info("Delivery %s sent (attempt %s)", delivery_id, delivery.attempts)
    return "sent"


# --- a lead resolves copies ---------------------------------------------------------------


def _reopen_run(run: DeliveryRun) -> None:
    """A completed run has a copy to send again: it runs again (and completes again)."""
    if run.status != RunStatus.COMPLETED:
        return
    if (
        DeliveryRun.objects.filter(campaign_id=run.campaign_id, status__in=DeliveryRun.ACTIVE)
        .exclude(pk=run.pk)
        .exists()
    ):
        raise ValidationError(_("Wait until the delivery under way is over."))
    run.status = RunStatus.RUNNING
    run.save(update_fields=["status"])


@transaction.atomic
def delivery_mark_sent(*, delivery: Delivery, actor) -> Delivery:
    """A lead checked that an unconfirmed copy arrived (e.g. with the office)."""
    delivery = Delivery.objects.select_for_update().get(pk=delivery.pk)
    if delivery.status != Status.UNCONFIRMED:
        raise ValidationError(_("Only an unconfirmed copy can be marked as sent."))
    now = timezone.now()
    delivery.status = Status.SENT
    delivery.sent_at = delivery.sending_at or now
    delivery.status_changed_at = now
    delivery.save(update_fields=["status", "sent_at", "status_changed_at"])
    audit_record(
        campaign=delivery.campaign,
        actor=actor,
        action="delivery.mark_sent",
        target=delivery,
        before={"status": Status.UNCONFIRMED},
        after={"status": delivery.status},
    )
    return delivery


@transaction.atomic
def delivery_resend(*, delivery: Delivery, actor, email: str = "") -> Delivery:
    """Send a copy again: unconfirmed (the lead accepts the risk of a second copy) or one
    that did not arrive, to the address given (fixed by the lead) or the office's current
    one. The same PDF snapshot is sent."""
    delivery = (
        Delivery.objects.select_for_update(of=("self",))
        .select_related("run", "legislator")
        .get(pk=delivery.pk)
    )
    if delivery.channel != Channel.EMAIL or delivery.status not in RESENDABLE:
        raise ValidationError(_("This copy cannot be sent again."))
    address = (email or delivery.legislator.email or delivery.to_email).strip()
    if not address:
        raise ValidationError(_("Give an email address to send it to."))
    run = DeliveryRun.objects.select_for_update().get(pk=delivery.run_id)
    if run.status == RunStatus.CANCELLED:
        raise ValidationError(_("That delivery was cancelled: send the letter again instead."))
    _reopen_run(run)
    before = {
        "status": delivery.status,
        "to_email": delivery.to_email,
        "message_id": delivery.message_id,
    }
    delivery.status = Status.READY if delivery.pdf_sha256 else Status.PENDING
    delivery.to_email = address
    delivery.message_id = ""
    delivery.error = ""
    delivery.status_changed_at = timezone.now()
    delivery.save(update_fields=["status", "to_email", "message_id", "error", "status_changed_at"])
    audit_record(
        campaign=delivery.campaign,
        actor=actor,
        action="delivery.resend",
        target=delivery,
        before=before,
        after={"status": delivery.status, "to_email": address},
    )
    _on_commit_kick(run)
    return delivery


@transaction.atomic
def print_bundle_mark_mailed(*, campaign: Campaign, actor) -> int:
    """The lead posted (or sent through contact forms) every copy of the bundle."""
    now = timezone.now()
    copies = Delivery.objects.filter(campaign=campaign, channel=Channel.PRINT, status=Status.READY)
    count = copies.update(status=Status.MAILED, sent_at=now, status_changed_at=now)
    if not count:
        raise ValidationError(_("No copy is waiting to be mailed."))
    audit_record(
        campaign=campaign,
        actor=actor,
        action="delivery.mailed",
        after={"copies": count},
    )
    campaign_id = campaign.pk
    transaction.on_commit(
        lambda: delivered_notices_queue(campaign=Campaign.objects.get(pk=campaign_id))
    )
    return count


@transaction.atomic
def delivery_run_resume(*, campaign: Campaign, actor) -> DeliveryRun:
    """A lead restarts a delivery that nobody is working on (e.g. after an outage)."""
    run = _active_run_locked(campaign)
    audit_record(campaign=campaign, actor=actor, action="delivery.resume", target=run)
    _on_commit_kick(run, at=run.scheduled_for if run.scheduled_for > timezone.now() else None)
    return run


# --- tracking -----------------------------------------------------------------------------

# Where each tracking event moves a copy, and how far along that is. A copy only moves
# forward: a "delivered" arriving after "opened" (webhooks come in any order) changes
# nothing, and neither does an event repeated.
STATUS_RANK = {
    Status.SENDING: 5,
    Status.UNCONFIRMED: 5,
    Status.SENT: 20,
    Status.DELIVERED: 30,
    Status.BOUNCED: 40,
    Status.REJECTED: 40,
    Status.FAILED: 40,
    Status.OPENED: 50,
    Status.COMPLAINED: 60,
}
EVENT_STATUS = {
    "queued": Status.SENT,  # the provider has it: no further than "sent"
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "bounced": Status.BOUNCED,
    "rejected": Status.REJECTED,
    "failed": Status.FAILED,
    "opened": Status.OPENED,
    "clicked": Status.OPENED,
    "complained": Status.COMPLAINED,
}


@transaction.atomic
def delivery_tracking_apply(
    *,
    message_id: str,
    event_type: str,
    occurred_at: datetime | None = None,
    event_id: str = "",
    description: str = "",
) -> str:
    """Record a provider's tracking event: "applied", "recorded" (kept in the history but
    not moving the copy), "repeated", or "unknown" (no copy has that message id)."""
    message_id = (message_id or "").strip()
    if not message_id:
        return "unknown"
    delivery = Delivery.objects.select_for_update().filter(message_id=message_id).first()
    if delivery is None:
        logger.info("Tracking event %s for an unknown message id; ignored", event_type)
        return "unknown"
    occurred_at = occurred_at or timezone.now()
    event_id = (event_id or "")[:100]
    if DeliveryEvent.objects.filter(
        delivery=delivery, event_type=event_type, occurred_at=occurred_at, event_id=event_id
    ).exists():
        return "repeated"
    DeliveryEvent.objects.create(
        delivery=delivery,
        event_type=event_type[:20],
        event_id=event_id,
        message_id=message_id[:255],
        occurred_at=occurred_at,
        description=(description or "")[:300],
    )
    status = EVENT_STATUS.get(event_type)
    current = STATUS_RANK.get(delivery.status)
    if status is None or current is None or STATUS_RANK[status] <= current:
        return "recorded"
    delivery.status = status
    delivery.status_changed_at = occurred_at
    fields = ["status", "status_changed_at"]
    if STATUS_RANK[status] == STATUS_RANK[Status.BOUNCED] and description:
        delivery.error = description[:300]
        fields.append("error")
    delivery.save(update_fields=fields)
    return "applied"


def tracking_received(sender, event, esp_name, **kwargs) -> str:
    """anymail's `tracking` signal (connected in apps.py): one event from a webhook."""
    return delivery_tracking_apply(
        message_id=str(event.message_id or ""),
        event_type=str(event.event_type or ""),
        occurred_at=event.timestamp,
        event_id=str(event.event_id or ""),
        description=str(event.description or event.mta_response or ""),
    )


# --- signers ------------------------------------------------------------------------------


def delivered_notices_queue(*, campaign: Campaign, renew=None) -> int:
    """One task per signer who asked for updates and was not told yet (each task sends at
    most one email); nothing until a copy has gone out (a campaign whose copies all go by
    post waits for the lead to mark them mailed)."""
    from signatories.selectors import signatures_public

    from . import tasks

    if not Delivery.objects.filter(campaign=campaign, status__in=RECEIPT_STATUSES).exists():
        return 0
    ids = list(
        signatures_public(campaign=campaign)
        .filter(consent_updates=True, delivery_notice__isnull=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        if renew is not None:
            renew()
        tasks.delivered_notice_send.enqueue(signature_id=pk)
    return len(ids)


def delivered_notice_send(*, signature_id: int) -> str:
    """Tell one signer who asked for updates that the letter was delivered, once."""
    from signatories.models import Signature
    from signatories.services import email_quota_take

    signature = Signature.objects.select_related("campaign").filter(pk=signature_id).first()
    if signature is None or not signature.email or not signature.consent_updates:
        return "skipped"
    campaign = signature.campaign
    try:
        with transaction.atomic():
            notice = DeliveryNotice.objects.create(campaign=campaign, signature=signature)
    except IntegrityError:
        return "already"
    if not email_quota_take(email_canonical=signature.email_canonical):
        notice.outcome = DeliveryNotice.Outcome.CAPPED
        notice.save(update_fields=["outcome"])
        logger.info("Daily email cap reached; no delivery notice for signature %s", signature.pk)
        return "capped"
    copies = Delivery.objects.filter(campaign=campaign, status__in=RECEIPT_STATUSES)
    first = copies.exclude(sent_at=None).order_by("sent_at").values_list("sent_at", flat=True)
    # In the signer's language, the receipt's link too (/es/c/<slug>/receipt/).
    with translation.override(signature.language):
        email_send(
            template="letter_delivered",
            to=signature.email,
            language=signature.language,
            reply_to=[campaign.reply_to_email] if campaign.reply_to_email else None,
            context={
                "campaign": campaign,
                "public_name": signature.public_name,
                "offices": copies.count(),
                "sent_at": first.first(),
                "receipt_url": receipt_url(campaign),
            },
        )
    notice.outcome = DeliveryNotice.Outcome.SENT
    notice.save(update_fields=["outcome"])
    return "sent"
