"""Moderation: what campaign leads do to signatures. Every action is in the audit log.

Bulk actions take a selection (a queryset already limited to one campaign: the checked rows,
or every row matching the queue's filter), change it with one UPDATE per target value, and
write one audit entry that lists every changed signature with its previous value. So
approving 5,000 signatures costs the same handful of queries as approving five, and the last
bulk action of a campaign can be undone from its entry alone.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from campaigns.audit import audit_record
from campaigns.models import AuditEntry, Campaign

from .models import BlockedDomain, Signature
from .selectors import public_list_changed

Status = Signature.Status
LIVE_STATUSES = [Status.PENDING, Status.VERIFIED, Status.APPROVED]

# The moderation actions "undo" can reverse: each entry's before/after lists ids by value.
BULK_ACTIONS = [
    "signatures.approve",
    "signatures.reject",
    "signatures.restore",
    "signatures.invalidate",
    "signatures.merge",
]
UNDO_ACTION = "signatures.undo"

# SQLite accepts 32,766 parameters in one statement; stay well below it.
_ID_CHUNK = 20_000


@dataclass(frozen=True)
class BulkResult:
    changed: int
    skipped: int = 0


def _chunks(ids: list[int]):
    for start in range(0, len(ids), _ID_CHUNK):
        yield ids[start : start + _ID_CHUNK]


def _encode(field: str, value) -> str:
    return "" if value is None else str(value)


def _decode(field: str, key: str):
    if field == "merged_into":
        return int(key) if key else None
    return key


def _group(pairs) -> dict[str, list[int]]:
    groups = defaultdict(list)
    for pk, key in pairs:
        groups[key].append(pk)
    return dict(groups)


def _apply(*, campaign, field: str, changes: list[tuple[int, object, object]], extra=None) -> None:
    """Set `field` to each change's new value, one UPDATE per distinct new value."""
    by_new = defaultdict(list)
    for pk, _old, new in changes:
        by_new[new].append(pk)
    column = "merged_into_id" if field == "merged_into" else field
    for new, ids in by_new.items():
        for chunk in _chunks(ids):
            Signature.objects.filter(campaign=campaign, pk__in=chunk).update(
                **{column: new}, **(extra or {})
            )


def _record_bulk(*, campaign, actor, action, field, changes, extra_after=None) -> AuditEntry:
    # Every bulk action may move signatures on or off the public list: renew its cache.
    public_list_changed(campaign_id=campaign.pk)
    before = {field: _group((pk, _encode(field, old)) for pk, old, _new in changes)}
    after = {field: _group((pk, _encode(field, new)) for pk, _old, new in changes)}
    after.update(extra_after or {})
    label = ngettext("%(count)d signature", "%(count)d signatures", len(changes)) % {
        "count": len(changes)
    }
    return audit_record(
        campaign=campaign, actor=actor, action=action, target=label, before=before, after=after
    )


def _locked_rows(selection: QuerySet, eligible: Q) -> list[tuple[int, str, datetime | None]]:
    # Lock the rows being changed (PostgreSQL) so a concurrent confirmation cannot slip
    # between reading the old values and writing the new ones.
    return list(
        selection.filter(eligible)
        .select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", "status", "verified_at")
    )


def _bulk_status(
    *, campaign, actor, action: str, selection: QuerySet, eligible: Q, new_status, extra_after=None
) -> BulkResult:
    total = selection.count()
    rows = _locked_rows(selection, eligible)
    changes = [(pk, old, new_status(old, verified_at)) for pk, old, verified_at in rows]
    if changes:
        _apply(
            campaign=campaign, field="status", changes=changes, extra={"decided_at": timezone.now()}
        )
        _record_bulk(
            campaign=campaign,
            actor=actor,
            action=action,
            field="status",
            changes=changes,
            extra_after=extra_after,
        )
    return BulkResult(changed=len(changes), skipped=total - len(changes))


@transaction.atomic
def signatures_approve(*, campaign: Campaign, actor, selection: QuerySet) -> BulkResult:
    """Approve confirmed signatures (and rejected ones whose email was confirmed)."""
    eligible = Q(status=Status.VERIFIED) | Q(status=Status.REJECTED, verified_at__isnull=False)
    return _bulk_status(
        campaign=campaign,
        actor=actor,
        action="signatures.approve",
        selection=selection,
        eligible=eligible,
        new_status=lambda old, verified_at: Status.APPROVED,
    )


@transaction.atomic
def signatures_reject(*, campaign: Campaign, actor, selection: QuerySet) -> BulkResult:
    return _bulk_status(
        campaign=campaign,
        actor=actor,
        action="signatures.reject",
        selection=selection,
        eligible=Q(status__in=LIVE_STATUSES),
        new_status=lambda old, verified_at: Status.REJECTED,
    )


@transaction.atomic
def signatures_restore(*, campaign: Campaign, actor, selection: QuerySet) -> BulkResult:
    """Take rejected signatures back to where they were: confirmed, or waiting for the email."""
    return _bulk_status(
        campaign=campaign,
        actor=actor,
        action="signatures.restore",
        selection=selection,
        eligible=Q(status=Status.REJECTED),
        new_status=lambda old, verified_at: Status.VERIFIED if verified_at else Status.PENDING,
    )


# --- Bulk invalidation ----------------------------------------------------------------------

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def domain_normalize(value: str) -> str:
    """ "@Mail.Example.ORG " -> "mail.example.org"; ValidationError when it is not a domain."""
    domain = value.strip().lower().lstrip("@").rstrip(".")
    if not _DOMAIN.match(domain):
        raise ValidationError(_("Enter a domain such as example.org."), code="domain")
    return domain


def _domain_q(domain: str) -> Q:
    """Addresses at the domain or any of its subdomains."""
    return Q(email_canonical__endswith=f"@{domain}") | Q(email_canonical__endswith=f".{domain}")


@dataclass(frozen=True)
class InvalidateCriteria:
    """Which signatures a bulk invalidation touches; all the given parts must match."""

    domain: str = ""
    ip_hash: str = ""
    created_from: datetime | None = None
    created_to: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.domain or self.ip_hash or self.created_from or self.created_to)

    def as_dict(self) -> dict:
        return {
            "domain": self.domain,
            "ip_hash": self.ip_hash,
            "created_from": self.created_from,
            "created_to": self.created_to,
        }


def signatures_invalidation_matching(
    *, campaign: Campaign, criteria: InvalidateCriteria
) -> QuerySet[Signature]:
    """The live signatures an invalidation would reject; nothing when no criterion is given."""
    if criteria.is_empty:
        return Signature.objects.none()
    qs = Signature.objects.filter(campaign=campaign, status__in=LIVE_STATUSES)
    if criteria.domain:
        qs = qs.filter(_domain_q(criteria.domain))
    if criteria.ip_hash:
        qs = qs.filter(ip_hash=criteria.ip_hash)
    if criteria.created_from:
        qs = qs.filter(created_at__gte=criteria.created_from)
    if criteria.created_to:
        qs = qs.filter(created_at__lt=criteria.created_to)
    return qs


def signatures_invalidate_preview(*, campaign: Campaign, criteria: InvalidateCriteria) -> int:
    return signatures_invalidation_matching(campaign=campaign, criteria=criteria).count()


@transaction.atomic
def signatures_invalidate(
    *, campaign: Campaign, actor, criteria: InvalidateCriteria, expected_count: int
) -> BulkResult:
    """Reject every live signature matching the criteria, as many as the lead was shown.

    When the number has changed since the preview (new sign-ons arrived), nothing happens and
    the lead is asked to look again: an invalidation never touches more than it announced.
    """
    if criteria.is_empty:
        raise ValidationError(_("Choose a domain, an address group or a time window."))
    selection = signatures_invalidation_matching(campaign=campaign, criteria=criteria)
    rows = _locked_rows(selection, Q())
    if len(rows) != expected_count:
        raise ValidationError(
            _(
                "%(now)d signatures match now, not the %(seen)d you previewed. "
                "Check the new count and confirm again."
            )
            % {"now": len(rows), "seen": expected_count}
        )
    changes = [(pk, old, Status.REJECTED) for pk, old, _verified_at in rows]
    if changes:
        _apply(
            campaign=campaign, field="status", changes=changes, extra={"decided_at": timezone.now()}
        )
        _record_bulk(
            campaign=campaign,
            actor=actor,
            action="signatures.invalidate",
            field="status",
            changes=changes,
            extra_after={"criteria": criteria.as_dict()},
        )
    return BulkResult(changed=len(changes))


# --- Duplicates -----------------------------------------------------------------------------


@transaction.atomic
def signatures_merge(
    *, campaign: Campaign, actor, survivor: Signature, duplicates: list[Signature]
) -> BulkResult:
    """Keep `survivor` on the list and mark the duplicates as merged into it.

    Merged signatures are kept (with their own contact data and status) and never deleted;
    the public list leaves them out. Entries already merged into a duplicate follow it.
    """
    duplicate_ids = sorted({d.pk for d in duplicates} - {survivor.pk})
    if not duplicate_ids:
        raise ValidationError(_("Choose at least one duplicate besides the entry you keep."))
    if survivor.campaign_id != campaign.pk or any(d.campaign_id != campaign.pk for d in duplicates):
        raise ValidationError(_("Only signatures of this campaign can be merged."))
    if survivor.merged_into_id is not None:
        raise ValidationError(_("The entry you keep is itself merged into another one."))
    rows = list(
        Signature.objects.filter(campaign=campaign)
        .filter(Q(pk__in=duplicate_ids) | Q(merged_into__in=duplicate_ids))
        .exclude(pk=survivor.pk)
        .select_for_update(of=("self",))
        .order_by("pk")
        .values_list("pk", "merged_into_id")
    )
    changes = [(pk, old, survivor.pk) for pk, old in rows]
    _apply(campaign=campaign, field="merged_into", changes=changes)
    _record_bulk(
        campaign=campaign,
        actor=actor,
        action="signatures.merge",
        field="merged_into",
        changes=changes,
        extra_after={"survivor": survivor.pk, "survivor_name": survivor.public_name},
    )
    return BulkResult(changed=len(changes))


# --- Undo -----------------------------------------------------------------------------------


def bulk_action_last(*, campaign: Campaign) -> AuditEntry | None:
    """The campaign's last bulk action, when it has not been undone yet."""
    last = (
        AuditEntry.objects.filter(campaign=campaign, action__in=[*BULK_ACTIONS, UNDO_ACTION])
        .order_by("-created_at", "-pk")
        .first()
    )
    if last is None or last.action == UNDO_ACTION:
        return None
    return last


@transaction.atomic
def bulk_action_undo(*, campaign: Campaign, actor) -> BulkResult:
    """Put back the values the last bulk action changed.

    A signature changed again since (say, a signer withdrew) keeps its newer value and is
    counted as skipped. Only the last action can be undone, and only once.
    """
    # Serialize undos of one campaign so one action is never undone twice.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    entry = bulk_action_last(campaign=campaign)
    if entry is None:
        raise ValidationError(_("There is no bulk action to undo."))
    restored = skipped = 0
    undo_before, undo_after = {}, {}
    for field, old_groups in entry.before.items():
        new_by_id = {pk: key for key, ids in entry.after[field].items() for pk in ids}
        column = "merged_into_id" if field == "merged_into" else field
        undo_before[field], undo_after[field] = defaultdict(list), defaultdict(list)
        for old_key, ids in old_groups.items():
            by_new = defaultdict(list)
            for pk in ids:
                by_new[new_by_id[pk]].append(pk)
            for new_key, pks in by_new.items():
                for chunk in _chunks(pks):
                    # Only rows that still hold the value the action gave them, locked until
                    # the update: a signer withdrawing meanwhile either commits first (and
                    # PostgreSQL's re-check leaves the row out) or waits for us, never undone.
                    still = (
                        Signature.objects.filter(
                            campaign=campaign, pk__in=chunk, **{column: _decode(field, new_key)}
                        )
                        .select_for_update()
                        .order_by("pk")
                    )
                    changed_ids = list(still.values_list("pk", flat=True))
                    Signature.objects.filter(pk__in=changed_ids).update(
                        **{column: _decode(field, old_key)}
                    )
                    restored += len(changed_ids)
                    skipped += len(chunk) - len(changed_ids)
                    undo_before[field][new_key].extend(changed_ids)
                    undo_after[field][old_key].extend(changed_ids)
    public_list_changed(campaign_id=campaign.pk)
    audit_record(
        campaign=campaign,
        actor=actor,
        action=UNDO_ACTION,
        target=entry,
        before={field: dict(groups) for field, groups in undo_before.items()},
        after={
            **{field: dict(groups) for field, groups in undo_after.items()},
            "undone_action": entry.action,
            "skipped": skipped,
        },
    )
    return BulkResult(changed=restored, skipped=skipped)


# --- One signature --------------------------------------------------------------------------


@transaction.atomic
def signature_display_name_set(*, signature: Signature, actor, display_name: str) -> Signature:
    """Set the name shown on the list and in the PDF; an empty name shows the signed one."""
    display_name = " ".join(display_name.split())[:200]
    if display_name == signature.display_name:
        return signature
    before = signature.display_name
    signature.display_name = display_name
    signature.save(update_fields=["display_name"])
    public_list_changed(campaign_id=signature.campaign_id)
    audit_record(
        campaign=signature.campaign,
        actor=actor,
        action="signature.display_name",
        target=signature,
        before={"display_name": before},
        after={"display_name": display_name},
    )
    return signature


@transaction.atomic
def signature_lead_organization_set(*, signature: Signature, actor, is_lead: bool) -> Signature:
    """Lead organizations are listed first, on the page and in the PDF."""
    if signature.is_lead_organization == is_lead:
        return signature
    signature.is_lead_organization = is_lead
    signature.save(update_fields=["is_lead_organization"])
    public_list_changed(campaign_id=signature.campaign_id)
    audit_record(
        campaign=signature.campaign,
        actor=actor,
        action="signature.lead_organization",
        target=signature,
        before={"is_lead_organization": not is_lead},
        after={"is_lead_organization": is_lead},
    )
    return signature


# --- Domain blocklist -----------------------------------------------------------------------


@transaction.atomic
def blocked_domain_add(*, campaign: Campaign, actor, domain: str, action: str) -> BlockedDomain:
    domain = domain_normalize(domain)
    if action not in BlockedDomain.Action.values:
        raise ValidationError(_("Choose what happens to sign-ons from this domain."))
    blocked, created = BlockedDomain.objects.get_or_create(
        campaign=campaign, domain=domain, defaults={"action": action, "created_by": actor}
    )
    if not created and blocked.action == action:
        return blocked
    before = None if created else {"action": blocked.action}
    if not created:
        blocked.action = action
        blocked.save(update_fields=["action"])
    _blocklist_changed(campaign.pk)
    audit_record(
        campaign=campaign,
        actor=actor,
        action="blocklist.add",
        target=blocked,
        before=before,
        after={"domain": domain, "action": action},
    )
    return blocked


@transaction.atomic
def blocked_domain_remove(*, campaign: Campaign, actor, blocked: BlockedDomain) -> None:
    if blocked.campaign_id != campaign.pk:
        raise ValidationError(_("That domain is not on this campaign's blocklist."))
    _blocklist_changed(campaign.pk)
    audit_record(
        campaign=campaign,
        actor=actor,
        action="blocklist.remove",
        target=blocked,
        before={"domain": blocked.domain, "action": blocked.action},
    )
    blocked.delete()


def blocklist_cache_key(campaign_id: int) -> str:
    """Where sign-on keeps a campaign's blocklist; dropped whenever the list changes."""
    return f"signatories:blocklist:{campaign_id}"


def _blocklist_changed(campaign_id: int) -> None:
    transaction.on_commit(partial(cache.delete, blocklist_cache_key(campaign_id)))


def blocklist_verdict(
    *, campaign: Campaign, email: str, blocked: dict[str, str] | None = None
) -> str | None:
    """What the sign-on does with this address: "refuse", "hold" (for review) or None.

    An address matches a blocked domain and any of its subdomains. Refusal wins over hold.
    `blocked` ({domain: action}) saves the query when the caller has the list at hand.
    """
    domain = email.rpartition("@")[2].strip().lower().rstrip(".")
    if not domain:
        return None
    labels = domain.split(".")
    candidates = {".".join(labels[i:]) for i in range(len(labels))}
    if blocked is not None:
        actions = {action for name, action in blocked.items() if name in candidates}
    else:
        actions = set(
            BlockedDomain.objects.filter(campaign=campaign, domain__in=candidates).values_list(
                "action", flat=True
            )
        )
    if BlockedDomain.Action.REFUSE in actions:
        return BlockedDomain.Action.REFUSE
    if BlockedDomain.Action.HOLD in actions:
        return BlockedDomain.Action.HOLD
    return None
