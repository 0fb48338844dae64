"""The audit log: every lead action, written in the transaction that makes the change.

An entry records who acted, when, what (an action name such as "signatures.approve"), on
what target, and the values before and after. Entries are append-only: the model refuses
updates and deletes, and the admin shows them read-only.
"""

from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, Campaign

# Human labels for the log page; the stored action names never change.
ACTION_LABELS = {
    "campaign.create": _("Created the campaign"),
    "campaign.update": _("Changed the settings"),
    "campaign.status": _("Changed the sign-on status"),
    "letter.edit": _("Edited the letter"),
    "letter.reconfirmation": _("Asked signers to re-confirm"),
    "letter.reconfirmation_deadline": _("Re-confirmation deadline passed"),
    "partner_link.create": _("Created a partner link"),
    "role.invite": _("Invited a co-lead"),
    "role.invitation_cancel": _("Cancelled an invitation"),
    "role.accept": _("Accepted an invitation"),
    "role.change": _("Changed a role"),
    "role.remove": _("Removed a co-lead"),
    "signatures.approve": _("Approved signatures"),
    "signatures.reject": _("Rejected signatures"),
    "signatures.restore": _("Restored signatures"),
    "signatures.invalidate": _("Invalidated signatures"),
    "signatures.merge": _("Merged duplicates"),
    "signatures.undo": _("Undid a bulk action"),
    "signature.display_name": _("Edited a display name"),
    "signature.lead_organization": _("Changed a lead organization"),
    "signature.reconfirm": _("A signer re-confirmed"),
    "blocklist.add": _("Blocked a domain"),
    "blocklist.remove": _("Unblocked a domain"),
    "export.csv": _("Exported the signers as CSV"),
    "campaign.archive": _("Archived the campaign"),
    "signatures.anonymize": _("Anonymized signers' contact data"),
    "signature.data_copy": _("A signer was sent a copy of their data"),
    "signature.erase": _("A signer erased their contact data"),
    "recipients.add": _("Added recipients"),
    "recipients.remove": _("Removed recipients"),
    "delivery.send": _("Sent the letter"),
    "delivery.schedule": _("Scheduled the letter"),
    "delivery.cancel": _("Cancelled a delivery"),
    "delivery.start": _("Delivery started"),
    "delivery.complete": _("Delivery completed"),
    "delivery.resume": _("Restarted a delivery"),
    "delivery.mark_sent": _("Marked an unconfirmed copy as sent"),
    "delivery.resend": _("Sent a copy again"),
    "delivery.bundle": _("Downloaded the print-and-mail bundle"),
    "delivery.mailed": _("Marked the print-and-mail copies as mailed"),
}


def _target_fields(target) -> dict:
    if target is None:
        return {}
    if isinstance(target, models.Model):
        return {
            "target_type": target._meta.label_lower,
            "target_id": str(target.pk),
            "target_label": str(target)[:300],
        }
    return {"target_label": str(target)[:300]}


def audit_entry_build(
    *, campaign: Campaign, actor, action: str, target=None, before=None, after=None
) -> AuditEntry:
    """An unsaved entry, for callers that insert several at once with bulk_create."""
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEntry(
        campaign=campaign,
        actor=actor if is_user else None,
        actor_label=(actor.email if is_user else "")[:254],
        action=action,
        before=before,
        after=after,
        **_target_fields(target),
    )


def audit_record(
    *, campaign: Campaign, actor, action: str, target=None, before=None, after=None
) -> AuditEntry:
    """Write one entry. Must run inside the transaction of the change it records."""
    if not transaction.get_connection().in_atomic_block:
        # An entry committed apart from its change could survive a rolled-back change.
        raise RuntimeError("audit_record must be called inside transaction.atomic().")
    entry = audit_entry_build(
        campaign=campaign, actor=actor, action=action, target=target, before=before, after=after
    )
    entry.save()
    return entry
