"""Background work for the lead area: each task loads ids and calls a service or sends one email."""

import logging

from django.tasks import task
from django.utils import translation

from signatories.models import Signature

from . import reconfirmation
from .emails import email_send
from .models import LetterVersion

logger = logging.getLogger(__name__)


def _reply_to(campaign) -> list[str]:
    return [campaign.reply_to_email] if campaign.reply_to_email else []


@task
def reconfirmation_request_send(*, signature_id: int, version_id: int) -> bool:
    """Email one signer the request to re-confirm; False when it is no longer needed."""
    signature = Signature.objects.select_related("campaign", "letter_version").get(pk=signature_id)
    version = LetterVersion.objects.get(pk=version_id)
    if (
        signature.letter_version.number >= version.number
        or signature.status not in reconfirmation.CONFIRMED
        or not signature.email
    ):
        return False
    # Links in the signer's language too: /es/s/reconfirm/… for a Spanish signer.
    with translation.override(signature.language):
        email_send(
            template="reconfirm_request",
            to=signature.email,
            language=signature.language,
            reply_to=_reply_to(signature.campaign),
            context={
                "campaign": signature.campaign,
                "version": version,
                "public_name": signature.public_name,
                "confirm_url": reconfirmation.reconfirmation_url(
                    signature=signature, version=version
                ),
                "changes_url": reconfirmation.version_changes_url(version=version),
            },
        )
    reconfirmation.reconfirmation_request_mark_sent(signature=signature, version=version)
    return True


@task
def reconfirmation_deadline_check(*, version_id: int) -> int:
    return reconfirmation.reconfirmation_deadline_pass(
        version=LetterVersion.objects.select_related("campaign").get(pk=version_id)
    )


@task
def reconfirmation_lapsed_send(*, signature_id: int, version_id: int) -> None:
    """Tell one signer their name left the list because they did not re-confirm in time."""
    signature = Signature.objects.select_related("campaign").get(pk=signature_id)
    version = LetterVersion.objects.get(pk=version_id)
    if not signature.email:
        return
    with translation.override(signature.language):
        email_send(
            template="reconfirm_lapsed",
            to=signature.email,
            language=signature.language,
            reply_to=_reply_to(signature.campaign),
            context={
                "campaign": signature.campaign,
                "version": version,
                "public_name": signature.public_name,
                "changes_url": reconfirmation.version_changes_url(version=version),
            },
        )


# --- Delivery (campaigns/delivery.py): tasks take ids; the services hold the rules. -------


@task
def delivery_run_work(*, run_id: int) -> str:
    """Snapshot, send and complete a delivery run, one slice at a time."""
    from . import delivery

    return delivery.delivery_run_work(run_id=run_id)


@task
def delivery_run_watch(*, run_id: int) -> str:
    """Every lease period until the run is done: queue a worker if the last one died."""
    from . import delivery

    return delivery.delivery_run_watch(run_id=run_id)


@task
def delivered_notice_send(*, signature_id: int) -> str:
    """Tell one signer who asked for updates that the letter was delivered (once)."""
    from . import delivery

    return delivery.delivered_notice_send(signature_id=signature_id)
