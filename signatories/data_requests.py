"""A signer's requests about their own data, without an account: a copy, and erasure.

Whoever types an address on the "my data" page sees the same page whether or not it ever
signed; the address is mailed (within the rate limits and the daily email cap) two
single-use links, one for a copy of everything held about it (a JSON file, by email) and
one to erase its contact data. Both links open a page with a button that POSTs: mail
scanners fetch links, and must not send copies or erase anything by doing so.

Proof of owning the address is the proof of owning every signature made with it, so a
request covers all of the address's signatures, in every campaign.
"""

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.audit import ACTION_LABELS, audit_record
from campaigns.emails import email_send
from campaigns.models import AuditEntry, Campaign

from . import verification
from .models import EmailQuota, Signature, SignatureToken
from .normalize import email_canonical
from .privacy import address_hash, ip_hash
from .ratelimit import rate_limits_take
from .retention import CONTACT_FIELDS_BLANK, letter_was_delivered, names_on_public_list
from .selectors import public_list_changed, signatures_public
from .services import _signon_limits, email_quota_take
from .tasks import send_data_copy, send_data_request_email
from .verification import Purpose, TokenInvalid

logger = logging.getLogger(__name__)

Status = Signature.Status


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _signatures_of(address: str):
    """Every signature still holding this address (none for a blank one)."""
    if not address:
        return Signature.objects.none()
    return (
        Signature.objects.filter(email_canonical=address)
        .select_related("campaign")
        .order_by("created_at", "pk")
    )


# --- Asking -----------------------------------------------------------------------------


@transaction.atomic
def data_request_start(*, email: str, ip: str = "") -> None:
    """Someone asks for the data held about an address: mail it the links, if it signed.

    Counted against the sign-on rate limits (per IP and per address, RateLimited); the
    caller shows the same page whatever the address's history.
    """
    address = email_canonical(email)
    rate_limits_take(*_signon_limits(ip_digest=ip_hash(ip), address=address))
    newest = _signatures_of(address).order_by("-created_at", "-pk").values_list("pk", flat=True)
    signature_id = newest.first()
    if signature_id is None:
        logger.info("Data request for an address without signatures; nothing sent")
        return
    transaction.on_commit(partial(send_data_request_email.enqueue, signature_id=signature_id))


def data_request_email_send(*, signature_id: int) -> str:
    """The task: mail the links (made here, so no secret sits in the task queue)."""
    signature = Signature.objects.filter(pk=signature_id).first()
    if signature is None or not signature.email_canonical:
        return "gone"
    if not email_quota_take(email_canonical=signature.email_canonical):
        logger.info("Daily email cap reached; no data request email for %s", signature.pk)
        return "capped"
    lifetime = timedelta(hours=settings.DATA_REQUEST_LINK_HOURS)
    with transaction.atomic():
        copy = verification.token_issue(
            signature=signature, purpose=Purpose.DATA_REQUEST, lifetime=lifetime
        )
        erase = verification.token_issue(
            signature=signature, purpose=Purpose.ERASURE, lifetime=lifetime
        )
    signatures = list(_signatures_of(signature.email_canonical))
    # Links in the signer's language too: /es/privacy/… for a Spanish signer.
    with translation.override(signature.language):
        email_send(
            template="data_request",
            to=signature.email,
            language=signature.language,
            context={
                "signatures": [(s.campaign.title, s.public_name) for s in signatures],
                "copy_url": _absolute(reverse("privacy:copy", kwargs={"token": copy.token})),
                "erase_url": _absolute(reverse("privacy:erase", kwargs={"token": erase.token})),
                "request_url": _absolute(reverse("privacy:request")),
                "privacy_url": _absolute(reverse("privacy:policy")),
                "hours": settings.DATA_REQUEST_LINK_HOURS,
            },
        )
    logger.info("Data request email sent for signature %s", signature.pk)
    return "sent"


# --- A copy -----------------------------------------------------------------------------


def _by(entry: AuditEntry) -> str:
    # Leads' own addresses are theirs: the signer learns that a lead acted, not which one.
    return "campaign lead" if entry.actor_label or entry.actor_id else "system"


def _part_about(values, pk: int) -> dict:
    """What an audit entry's before/after says about one signature among many.

    Bulk entries group ids by value ({"status": {"verified": [1, 2]}}) or list them
    ({"left_the_list": [1, 2]}); only this signature's part is kept.
    """
    if not isinstance(values, dict):
        return {}
    part = {}
    for field, value in values.items():
        if isinstance(value, dict) and all(isinstance(ids, list) for ids in value.values()):
            for key, ids in value.items():
                if pk in ids:
                    part[field] = key
        elif isinstance(value, list) and pk in value:
            part[field] = True
        elif field == "survivor" and value == pk:
            part[field] = value
    return part


def _audit_about(signatures: list[Signature]) -> list[dict]:
    """Audit entries that concern these signatures, each reduced to what concerns them."""
    ids = {s.pk for s in signatures}
    by_str = {str(pk): pk for pk in ids}
    found = []
    entries = (
        AuditEntry.objects.filter(campaign_id__in={s.campaign_id for s in signatures})
        .order_by("created_at", "pk")
        .defer("target_label")
    )
    for entry in entries.iterator(chunk_size=500):
        if entry.target_type == "signatories.signature" and entry.target_id in by_str:
            about = [(by_str[entry.target_id], entry.before, entry.after)]
        else:
            about = []
            for pk in ids:
                before, after = _part_about(entry.before, pk), _part_about(entry.after, pk)
                if before or after:
                    about.append((pk, before, after))
        for pk, before, after in about:
            found.append(
                {
                    "signature_id": pk,
                    "at": entry.created_at,
                    "action": entry.action,
                    "description": str(ACTION_LABELS.get(entry.action, entry.action)),
                    "by": _by(entry),
                    "before": before,
                    "after": after,
                }
            )
    return found


def _token_metadata(token: SignatureToken) -> dict:
    # Never the hashes: they are the only thing that could check a stolen link.
    return {
        "signature_id": token.signature_id,
        "purpose": token.purpose,
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "used_at": token.used_at,
        "letter_version": token.letter_version.number if token.letter_version_id else None,
    }


def signer_data_export(*, address: str) -> dict:
    """Everything held about an address: its signatures with every stored field, the
    metadata of the links mailed to it, the audit entries about them, its email counts."""
    signatures = list(_signatures_of(address).select_related("letter_version", "partner_link"))
    ids = [s.pk for s in signatures]
    public_ids = set()
    for campaign in {s.campaign for s in signatures}:
        public_ids |= set(
            signatures_public(campaign=campaign).filter(pk__in=ids).values_list("pk", flat=True)
        )
    tokens = (
        SignatureToken.objects.filter(signature_id__in=ids)
        .select_related("letter_version")
        .order_by("created_at", "pk")
    )
    fields = Signature._meta.concrete_fields
    return {
        "generated_at": timezone.now(),
        "site": {"name": settings.SITE_NAME, "url": settings.SITE_URL},
        "email_address": address,
        "explanations": {
            "fields": _(
                "Each signature lists every field we store, exactly as stored. Private: "
                "email, email_canonical, signer_name (unless you signed as an individual "
                "under your own name), signer_title, ip_hash, user_agent. Public: the "
                "public_listing part."
            ),
            "ip_hash": _(
                "A keyed fingerprint of the IP address you signed from. We never stored the "
                "address itself, and the fingerprint cannot be turned back into it."
            ),
            "tokens": _(
                "Links and codes we emailed you. We store only a fingerprint of each, which "
                "is left out here; what is listed is when they were made, used and expire."
            ),
            "audit_log": _(
                "Entries of the campaigns' logs about your signatures. Who acted is given "
                "as a campaign lead or the system, not by name."
            ),
            "daily_email_counts": _(
                "How many emails we sent this address each day, kept to stop anyone using "
                "us to flood a mailbox; stored under a fingerprint of the address."
            ),
        },
        "signatures": [
            {
                "campaign": {
                    "slug": s.campaign.slug,
                    "title": s.campaign.title,
                    "status": s.campaign.status,
                    "url": _absolute(s.campaign.get_absolute_url()),
                },
                "letter_version": {
                    "number": s.letter_version.number,
                    "sha256": s.letter_version.sha256,
                },
                "partner_link": s.partner_link.code if s.partner_link_id else None,
                "public_listing": {
                    "on_public_list": s.pk in public_ids,
                    "public_name": s.public_name,
                },
                "fields": {field.attname: field.value_from_object(s) for field in fields},
            }
            for s in signatures
        ],
        "emailed_links": [_token_metadata(token) for token in tokens],
        "audit_log": _audit_about(signatures),
        "daily_email_counts": [
            {"day": row.day, "emails": row.sent}
            for row in EmailQuota.objects.filter(address_hash=address_hash(address)).order_by("day")
        ],
    }


@transaction.atomic
def data_copy_request(*, token: str) -> int:
    """The copy link's button: use the link, log it, mail the copy; returns how many
    signatures it covers. TokenInvalid when the link cannot be used."""
    record = verification.token_consume(token=token, purpose=Purpose.DATA_REQUEST)
    signatures = list(_signatures_of(record.signature.email_canonical))
    if not signatures:
        raise TokenInvalid("unknown")
    for signature in signatures:
        audit_record(
            campaign=signature.campaign,
            actor=None,
            action="signature.data_copy",
            target=signature,
        )
    transaction.on_commit(partial(send_data_copy.enqueue, signature_id=record.signature_id))
    return len(signatures)


def data_copy_send(*, signature_id: int) -> str:
    """The task: build the copy now and mail it to the address the link was sent to.

    Not counted against the daily cap: it answers a link the owner of the address used,
    and each link works once.
    """
    signature = Signature.objects.filter(pk=signature_id).first()
    if signature is None or not signature.email_canonical:
        return "gone"
    with translation.override(signature.language):
        export = signer_data_export(address=signature.email_canonical)
        content = json.dumps(export, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        filename = f"{settings.SITE_NAME}-data-{timezone.localdate().isoformat()}.json"
        email_send(
            template="data_copy",
            to=signature.email,
            language=signature.language,
            context={
                "count": len(export["signatures"]),
                "request_url": _absolute(reverse("privacy:request")),
                "privacy_url": _absolute(reverse("privacy:policy")),
            },
            attachments=[
                (filename.replace(" ", "-").lower(), content.encode(), "application/json")
            ],
        )
    logger.info("Data copy sent for signature %s", signature.pk)
    return "sent"


# --- Erasure ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureItem:
    campaign: Campaign
    public_name: str
    # The letter was delivered: the entry stays on its list, and the delivered PDFs stay.
    stays_on_record: bool


@dataclass(frozen=True)
class Erasure:
    items: list[ErasureItem]
    already_erased: bool = False

    @property
    def kept(self) -> list[ErasureItem]:
        return [item for item in self.items if item.stays_on_record]

    @property
    def removed(self) -> list[ErasureItem]:
        return [item for item in self.items if not item.stays_on_record]


def _delivered_by_campaign(signatures) -> dict[int, bool]:
    campaigns = {s.campaign_id: s.campaign for s in signatures}
    return {pk: letter_was_delivered(campaign=c) for pk, c in campaigns.items()}


def erasure_preview(*, token: str) -> Erasure:
    """For the erasure link's page (a GET): what erasing would do, changing nothing."""
    try:
        record = verification.token_check(token=token, purpose=Purpose.ERASURE)
    except TokenInvalid as error:
        if error.signature is not None and error.signature.anonymized_at is not None:
            return Erasure(items=[], already_erased=True)
        raise
    signatures = list(_signatures_of(record.signature.email_canonical))
    if not signatures:
        return Erasure(items=[], already_erased=True)
    delivered = _delivered_by_campaign(signatures)
    return Erasure(
        items=[ErasureItem(s.campaign, s.public_name, delivered[s.campaign_id]) for s in signatures]
    )


@transaction.atomic
def signer_erase(*, token: str) -> Erasure:
    """The erasure link's button: remove the contact data of every signature of the address.

    Before delivery the entry also leaves the public list (it is withdrawn; an individual's
    name, description and city go too). After delivery the entry stays on the list as it
    was delivered, since the delivered PDFs are the record, and only the contact data goes.
    The used link is kept (its hash, no contact data) so that pressing again says "done".
    """
    try:
        record = verification.token_consume(token=token, purpose=Purpose.ERASURE)
    except TokenInvalid as error:
        if error.signature is not None and error.signature.anonymized_at is not None:
            return Erasure(items=[], already_erased=True)
        raise
    address = record.signature.email_canonical
    signatures = list(_signatures_of(address).select_for_update(of=("self",)))
    if not signatures:
        return Erasure(items=[], already_erased=True)
    delivered = _delivered_by_campaign(signatures)
    now = timezone.now()
    items = []
    for signature in signatures:
        campaign = signature.campaign
        stays = delivered[campaign.pk]
        was_public = signatures_public(campaign=campaign).filter(pk=signature.pk).exists()
        keeps_name = (
            stays and names_on_public_list(campaign=campaign).filter(pk=signature.pk).exists()
        )
        item = ErasureItem(campaign, signature.public_name, stays)
        for field, blank in CONTACT_FIELDS_BLANK.items():
            setattr(signature, field, blank)
        if not keeps_name:
            signature.signer_name = ""
        if not stays:
            if signature.status != Status.WITHDRAWN:
                signature.status = Status.WITHDRAWN
                signature.withdrawn_at = now
            if signature.kind == Signature.Kind.INDIVIDUAL:
                signature.public_descriptor = ""
                signature.city = ""
            if was_public:
                public_list_changed(campaign_id=campaign.pk)
        signature.anonymized_at = now
        signature.save()
        audit_record(
            campaign=campaign,
            actor=None,
            action="signature.erase",
            target=signature,
            after={"left_the_public_list": was_public and not stays, "letter_delivered": stays},
        )
        items.append(item)
    SignatureToken.objects.filter(signature__in=signatures).exclude(pk=record.pk).delete()
    EmailQuota.objects.filter(address_hash=address_hash(address)).delete()
    logger.info("Contact data of %s signatures erased at their signer's request", len(items))
    return Erasure(items=items)
