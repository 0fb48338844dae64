"""Retention: what happens to signers' contact data once it is no longer needed.

A signature's contact data is what lets us reach or trace the person who signed: the email
address (and its canonical form), the signer's name where it is not the name on the public
list, their title, the keyed hash of their IP address, their browser's user agent, and
the single-use tokens mailed to them. Anonymizing blanks those fields and deletes the
tokens; the public entry (organization, public name, city, state, country) and every
record of what was delivered stay.

The signer's name is kept only for individuals listed under their own name on the public
list (there it *is* the public entry, and it is printed in the delivered letter). For an
organization it is the contact person behind it, and for someone listed without a name it
is exactly what they asked us not to show: both are erased.

Two things anonymize: the retention period (RETENTION_DAYS after a campaign is archived;
`manage.py signon_housekeeping`, run daily, queues a task per campaign that is due) and a
campaign owner who does not want to wait. A signer can erase their own data at any time
(signatories/data_requests.py), with the same rules for what is kept.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.audit import audit_record
from campaigns.models import AuditEntry, Campaign

from .models import Signature, SignatureToken
from .selectors import signatures_public

logger = logging.getLogger(__name__)

# The contact fields and the blank value each gets. The signer's name is handled apart.
CONTACT_FIELDS_BLANK = {
    "email": "",
    "email_canonical": "",
    "signer_title": "",
    "ip_hash": "",
    "user_agent": "",
}


def names_on_public_list(*, campaign: Campaign) -> QuerySet[Signature]:
    """Signatures whose signer's name is the name shown on the public list (and letter)."""
    return signatures_public(campaign=campaign).filter(
        kind=Signature.Kind.INDIVIDUAL, listed_anonymously=False, display_name=""
    )


def letter_was_delivered(*, campaign: Campaign) -> bool:
    """Whether the letter went out, so that its list is a record that must stay as it is.

    Delivered campaigns, and archived ones unless they were archived straight from
    "closed" (the archive entry of the audit log says which). When delivery records
    exist, they are the better witness.
    """
    if campaign.status == Campaign.Status.DELIVERED:
        return True
    if campaign.status != Campaign.Status.ARCHIVED:
        return False
    archived_from = (
        AuditEntry.objects.filter(campaign=campaign, action="campaign.archive")
        .order_by("-created_at", "-pk")
        .values_list("before", flat=True)
        .first()
    )
    return not archived_from or archived_from.get("status") != Campaign.Status.CLOSED


def anonymization_due_at(*, campaign: Campaign):
    """When an archived campaign's contact data is (or was) due to be anonymized."""
    if campaign.status != Campaign.Status.ARCHIVED:
        return None
    if campaign.archived_at is None:
        return timezone.now()
    return campaign.archived_at + timedelta(days=settings.RETENTION_DAYS)


def campaigns_due_for_anonymization(*, now=None) -> QuerySet[Campaign]:
    """Archived campaigns past the retention period that still hold contact data.

    A campaign archived without a date (by hand in the admin) counts as due: when in
    doubt, the signers' data goes.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    return (
        Campaign.objects.filter(status=Campaign.Status.ARCHIVED)
        .filter(Q(archived_at__lte=cutoff) | Q(archived_at__isnull=True))
        .filter(Exists(Signature.objects.filter(campaign=OuterRef("pk"), anonymized_at=None)))
        .order_by("pk")
    )


def anonymization_schedule(*, now=None) -> int:
    """Queue one anonymization task per campaign that is due; returns how many."""
    from .tasks import campaign_contact_data_anonymize

    ids = list(campaigns_due_for_anonymization(now=now).values_list("pk", flat=True))
    for pk in ids:
        campaign_contact_data_anonymize.enqueue(campaign_id=pk)
    return len(ids)


def contact_data_clear(*, signatures: QuerySet[Signature], keep_name_ids, now) -> int:
    """Blank the contact fields of `signatures` and delete their tokens; returns how many.

    `signatures` must select rows not anonymized yet. `keep_name_ids` (a values("pk")
    queryset) keep their signer's name: it is the name on the public list. A few statements
    with subqueries, whatever the number of rows.
    """
    count = signatures.count()
    if count:
        SignatureToken.objects.filter(signature__in=signatures.values("pk")).delete()
        signatures.exclude(pk__in=keep_name_ids).update(signer_name="")
        # Last: once anonymized_at is set, `signatures` no longer selects these rows.
        signatures.update(**CONTACT_FIELDS_BLANK, anonymized_at=now)
    return count


@transaction.atomic
def campaign_contact_data_anonymize(*, campaign: Campaign, actor=None, trigger: str) -> int:
    """Anonymize the contact data of every signer of an archived campaign; returns how many.

    `trigger` is "retention" (the scheduled task, actor None) or "owner" (a campaign owner
    who did not wait). Idempotent: signatures already anonymized are left alone, and a run
    that changes nothing writes nothing, not even an audit entry.
    """
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status != Campaign.Status.ARCHIVED:
        raise ValidationError(_("Only an archived campaign's contact data can be anonymized."))
    now = timezone.now()
    pending = Signature.objects.filter(campaign=campaign, anonymized_at__isnull=True)
    count = contact_data_clear(
        signatures=pending,
        keep_name_ids=names_on_public_list(campaign=campaign).values("pk"),
        now=now,
    )
    if count:
        audit_record(
            campaign=campaign,
            actor=actor,
            action="signatures.anonymize",
            target=campaign,
            after={
                "signatures": count,
                "trigger": trigger,
                "retention_days": settings.RETENTION_DAYS,
            },
        )
        logger.info("Contact data of %s signatures of campaign %s anonymized", count, campaign.pk)
    return count


def campaign_contact_data_anonymize_if_due(*, campaign_id: int) -> int:
    """The scheduled task's work: anonymize a campaign if it is (still) due."""
    campaign = campaigns_due_for_anonymization().filter(pk=campaign_id).first()
    if campaign is None:
        return 0
    return campaign_contact_data_anonymize(campaign=campaign, actor=None, trigger="retention")


def contact_data_remaining(*, campaign: Campaign) -> int:
    """How many of a campaign's signatures still hold contact data (for the lead page)."""
    return Signature.objects.filter(campaign=campaign, anonymized_at__isnull=True).count()
