"""Re-confirmation of a substantive change to a letter.

When a lead marks a new version substantive, every signer whose email is confirmed and who
signed an older text is emailed a link to re-confirm for the new version by a deadline the
lead sets. At the deadline, those who were emailed and did not re-confirm leave the public
list (the public-list selector applies the rule, so it holds to the second whether or not a
worker runs) and a task tells each of them so.

The link in the request email is a single-use token (`signatories.verification`, purpose
"reconfirm"); its page (`signatories:reconfirm`) POSTs to `signature_reconfirm`.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.tasks import default_task_backend
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from signatories.models import Signature
from signatories.selectors import public_list_changed
from signatories.verification import Purpose, token_issue

from .audit import audit_record
from .models import LetterVersion

CONFIRMED = [Signature.Status.VERIFIED, Signature.Status.APPROVED]


def letter_version_required_number(*, campaign) -> int:
    """The newest substantive version whose deadline has passed; 0 when there is none."""
    return (
        LetterVersion.objects.filter(
            campaign=campaign,
            change=LetterVersion.Change.SUBSTANTIVE,
            reconfirm_deadline__lte=timezone.now(),
        )
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
        or 0
    )


def signatures_to_reconfirm(*, version: LetterVersion):
    """Confirmed signers of an older text who are still on (or waiting for) the list."""
    return (
        Signature.objects.filter(
            campaign=version.campaign,
            status__in=CONFIRMED,
            merged_into__isnull=True,
            letter_version__number__lt=version.number,
            letter_version__number__gte=letter_version_required_number(campaign=version.campaign),
        )
        .exclude(email_canonical="")
        .order_by("pk")
    )


def reconfirmation_url(*, signature: Signature, version: LetterVersion) -> str:
    """The signer's one-time link to re-confirm `version` (a POST button behind it).

    The token expires at the version's deadline; it is made when the email is sent (in the
    task), so no secret waits in the task queue.
    """
    issued = token_issue(
        signature=signature,
        purpose=Purpose.RECONFIRM,
        lifetime=None,
        expires_at=version.reconfirm_deadline,
        letter_version=version,
    )
    path = reverse("signatories:reconfirm", kwargs={"token": issued.token})
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def letter_version_request_reconfirmation(*, version: LetterVersion, deadline, actor) -> int:
    """Set the deadline and ask every signer of an older text to re-confirm; returns how many.

    The emails go out after commit, one task per signer; each task records the request on
    the signature only once its email is sent.
    """
    from . import tasks  # tasks import this module

    if version.change != LetterVersion.Change.SUBSTANTIVE:
        raise ValidationError(_("Only a substantive change asks signers to re-confirm."))
    latest = version.campaign.versions.order_by("-number").first()
    if latest.pk != version.pk:
        raise ValidationError(_("Only the newest version can be re-confirmed."))
    if deadline is None or deadline <= timezone.now():
        raise ValidationError(_("Choose a re-confirmation deadline in the future."))
    version.reconfirm_deadline = deadline
    version.save(update_fields=["reconfirm_deadline"])
    signature_ids = list(signatures_to_reconfirm(version=version).values_list("pk", flat=True))
    audit_record(
        campaign=version.campaign,
        actor=actor,
        action="letter.reconfirmation",
        target=version,
        after={"version": version.number, "deadline": deadline, "signers": len(signature_ids)},
    )

    def enqueue():
        for pk in signature_ids:
            tasks.reconfirmation_request_send.enqueue(signature_id=pk, version_id=version.pk)
        if default_task_backend.supports_defer:
            tasks.reconfirmation_deadline_check.using(run_after=deadline).enqueue(
                version_id=version.pk
            )

    transaction.on_commit(enqueue)
    return len(signature_ids)


def reconfirmation_request_mark_sent(*, signature: Signature, version: LetterVersion) -> None:
    """Record that the request email for `version` went out (from now on the signer can lapse)."""
    Signature.objects.filter(pk=signature.pk).update(
        reconfirm_version_number=version.number,
        reconfirm_requested_at=timezone.now(),
        lapse_notified_at=None,
    )


@transaction.atomic
def signature_reconfirm(*, signature: Signature, version: LetterVersion) -> Signature:
    """The signer confirms they still sign: their signature moves to the newest text.

    `version` is the one their email showed. Minor versions after it need no new
    confirmation; a newer substantive one does (its own email is on the way).
    """
    signature = Signature.objects.select_for_update().get(pk=signature.pk)
    if signature.campaign_id != version.campaign_id:
        raise ValidationError(_("This link is for another letter."))
    if signature.status not in CONFIRMED or signature.merged_into_id is not None:
        raise ValidationError(_("This signature can no longer be re-confirmed."))
    if LetterVersion.objects.filter(
        campaign_id=version.campaign_id,
        change=LetterVersion.Change.SUBSTANTIVE,
        number__gt=version.number,
    ).exists():
        raise ValidationError(_("The letter has changed again; a newer email is on its way."))
    latest = LetterVersion.objects.filter(campaign_id=version.campaign_id).order_by("-number")[0]
    before = signature.letter_version.number
    if before >= latest.number:
        return signature
    signature.letter_version = latest
    signature.letter_sha256 = latest.sha256
    signature.reconfirmed_at = timezone.now()
    signature.save(update_fields=["letter_version", "letter_sha256", "reconfirmed_at"])
    # A signer who had lapsed is listed again.
    public_list_changed(campaign_id=signature.campaign_id)
    audit_record(
        campaign=signature.campaign,
        actor=None,
        action="signature.reconfirm",
        target=signature,
        before={"letter_version": before},
        after={"letter_version": latest.number},
    )
    return signature


@transaction.atomic
def reconfirmation_deadline_pass(*, version: LetterVersion) -> int:
    """At the deadline: note who left the list and tell each of them (once); returns how many.

    Safe to run again or early: before the deadline it does nothing.
    """
    from . import tasks

    if version.reconfirm_deadline is None or version.reconfirm_deadline > timezone.now():
        return 0
    left = Signature.objects.filter(
        campaign=version.campaign,
        status__in=CONFIRMED,
        merged_into__isnull=True,
        letter_version__number__lt=version.number,
        reconfirm_version_number__gte=version.number,
        lapse_notified_at__isnull=True,
    ).select_for_update(of=("self",))
    ids = list(left.order_by("pk").values_list("pk", flat=True))
    if not ids:
        return 0
    Signature.objects.filter(pk__in=ids).update(lapse_notified_at=timezone.now())
    public_list_changed(campaign_id=version.campaign_id)
    audit_record(
        campaign=version.campaign,
        actor=None,
        action="letter.reconfirmation_deadline",
        target=version,
        after={"version": version.number, "left_the_list": ids},
    )

    def enqueue():
        for pk in ids:
            tasks.reconfirmation_lapsed_send.enqueue(signature_id=pk, version_id=version.pk)

    transaction.on_commit(enqueue)
    return len(ids)


def reconfirmation_progress(*, version: LetterVersion) -> dict:
    """For the dashboard: how many were asked, re-confirmed, and are still outstanding."""
    asked = Signature.objects.filter(
        campaign=version.campaign, reconfirm_version_number__gte=version.number
    )
    return {
        "asked": asked.count(),
        "reconfirmed": asked.filter(letter_version__number__gte=version.number).count(),
        "waiting": asked.filter(
            letter_version__number__lt=version.number,
            status__in=CONFIRMED,
            merged_into__isnull=True,
        ).count(),
    }


def version_changes_url(*, version: LetterVersion) -> str:
    """The public page showing what changed in `version`, as an absolute link for emails."""
    path = reverse(
        "campaigns:version", kwargs={"slug": version.campaign.slug, "number": version.number}
    )
    return f"{settings.SITE_URL}{path}"
