"""Sign-on rules: sign, confirm, withdraw, resend. Views, tasks and later flows call these.

Whatever happens, a sign-on shows the same page: re-signing never makes a second signature
and never tells the visitor whether an address or organization has signed; the owner of
the address is mailed instead. Every email goes through a task enqueued after commit.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.emails import email_send
from campaigns.models import Campaign, LetterVersion, PartnerLink
from campaigns.reconfirmation import signature_reconfirm

from . import verification
from .models import BlockedDomain, EmailQuota, Signature
from .moderation import blocklist_cache_key, blocklist_verdict
from .normalize import email_canonical, organization_key
from .privacy import address_hash, ip_hash
from .ratelimit import Limit, rate_limits_take
from .selectors import is_public, public_list_changed
from .tasks import send_signer_email
from .verification import Purpose, TokenInvalid

logger = logging.getLogger(__name__)

Status = Signature.Status
LIVE_STATUSES = [Status.PENDING, Status.VERIFIED, Status.APPROVED, Status.EXPIRED]
CONFIRMED_STATUSES = [Status.VERIFIED, Status.APPROVED]
# After delivery a signature is part of a letter that was sent: it can no longer change.
FINAL_CAMPAIGN_STATUSES = [Campaign.Status.DELIVERED, Campaign.Status.ARCHIVED]


class SignOnClosed(Exception):
    """The campaign does not take signatures (not open, or past its deadline)."""


@dataclass(frozen=True)
class SignerData:
    """What a signer typed, already validated (see forms.SignOnForm)."""

    kind: str
    organization_name: str
    signer_name: str
    signer_title: str
    email: str
    city: str
    state: str
    country: str
    website: str = ""
    organization_type: str = ""
    listed_anonymously: bool = False
    public_descriptor: str = ""
    consent_listed: bool = True
    consent_updates: bool = False
    authorized: bool = False


@dataclass(frozen=True)
class SignOn:
    # None when a blocklisted domain refused the sign-on (the signer is told nothing).
    signature: Signature | None
    created: bool  # False: the address had already signed; its owner is mailed instead


@dataclass(frozen=True)
class Confirmation:
    signature: Signature
    already_confirmed: bool
    withdraw_token: str  # for the "you're confirmed" page; "" when already confirmed


@dataclass(frozen=True)
class Withdrawal:
    signature: Signature
    already_withdrawn: bool


def _signon_limits(*, ip_digest: str, address: str) -> list[Limit]:
    return [
        Limit("signon", ip_digest, settings.SIGNON_LIMIT_PER_IP),
        Limit("signon", address_hash(address), settings.SIGNON_LIMIT_PER_EMAIL),
    ]


def _enqueue_email(signature_id: int) -> None:
    transaction.on_commit(partial(send_signer_email.enqueue, signature_id=signature_id))


def _organization_lock(*, campaign: Campaign, key: str, state: str) -> None:
    """Serialize sign-ons of one organization, so two racing addresses cannot both be listed.

    On PostgreSQL a transaction-scoped advisory lock on (campaign, organization, state);
    SQLite already runs one writing transaction at a time.
    """
    if connection.vendor != "postgresql":
        return
    digest = hashlib.sha256(f"{campaign.pk}\n{key}\n{state}".encode()).digest()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest[:8], "big", signed=True)]
        )


def signature_create(
    *,
    campaign: Campaign,
    data: SignerData,
    ip: str = "",
    user_agent: str = "",
    letter_version: LetterVersion | None = None,
    partner_code: str = "",
    language: str = "en",
) -> SignOn:
    """Record a sign-on, or mail the owner of an address that already signed.

    Raises SignOnClosed, or RateLimited (per IP and per address) before touching the
    database. One short transaction; if a concurrent sign-on with the same address wins
    the unique constraint, the second attempt finds it and takes the "already signed" path.
    """
    if not campaign.is_open:
        raise SignOnClosed
    address = email_canonical(data.email)
    ip_digest = ip_hash(ip)
    rate_limits_take(*_signon_limits(ip_digest=ip_digest, address=address))
    verdict = blocklist_verdict(
        campaign=campaign, email=address, blocked=_blocklist(campaign_id=campaign.pk)
    )
    if verdict == BlockedDomain.Action.REFUSE:
        # Same page as any sign-on, no email: a spammer learns nothing from a refusal.
        logger.info("Sign-on refused by the blocklist of campaign %s", campaign.pk)
        return SignOn(signature=None, created=False)
    if letter_version is None:
        letter_version = campaign.versions.order_by("-number").first()
    held = verdict == BlockedDomain.Action.HOLD
    try:
        return _signature_create(
            campaign=campaign,
            data=data,
            address=address,
            ip_digest=ip_digest,
            user_agent=user_agent,
            letter_version=letter_version,
            partner_code=partner_code,
            language=language,
            held=held,
        )
    except IntegrityError:
        return _signature_create(
            campaign=campaign,
            data=data,
            address=address,
            ip_digest=ip_digest,
            user_agent=user_agent,
            letter_version=letter_version,
            partner_code=partner_code,
            language=language,
            held=held,
        )


# Live signatures of this campaign with this address, or of this organization in this
# state. Hand-written because it runs on every sign-on and the ORM took several times
# longer to build this query than the database took to answer it (tests run it on
# SQLite and PostgreSQL).
_SAME_SIGNER_SQL = """
    SELECT id, email_canonical FROM signatories_signature
    WHERE campaign_id = %s AND status <> 'withdrawn'
      AND (email_canonical = %s
           OR (kind = 'organization' AND organization_key = %s AND organization_key <> ''
               AND state = %s AND status IN ('pending', 'verified', 'approved')
               AND merged_into_id IS NULL))
    ORDER BY id LIMIT 10
"""


def _blocklist(*, campaign_id: int) -> dict[str, str]:
    """A campaign's blocked domains and their actions, cached: every sign-on checks them."""
    key = blocklist_cache_key(campaign_id)
    blocked = cache.get(key)
    if blocked is None:
        blocked = dict(
            BlockedDomain.objects.filter(campaign_id=campaign_id).values_list("domain", "action")
        )
        cache.set(key, blocked, 60)
    return blocked


def _same_signer(*, campaign_id: int, address: str, key: str, state: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(_SAME_SIGNER_SQL, [campaign_id, address, key, state])
        return cursor.fetchall()


@transaction.atomic
def _signature_create(
    *, campaign, data, address, ip_digest, user_agent, letter_version, partner_code, language, held
) -> SignOn:
    is_organization = data.kind == Signature.Kind.ORGANIZATION
    key = organization_key(data.organization_name) if is_organization else ""
    state = data.state.strip()
    if is_organization:
        _organization_lock(campaign=campaign, key=key, state=state)
    matches = _same_signer(campaign_id=campaign.pk, address=address, key=key, state=state)
    for pk, match_address in matches:
        if match_address == address:
            logger.info("Repeated sign-on for signature %s; mailing its owner", pk)
            _enqueue_email(pk)
            return SignOn(signature=Signature.objects.get(pk=pk), created=False)

    partner_link_id = None
    if partner_code:
        partner_link_id = (
            PartnerLink.objects.filter(campaign=campaign, code=partner_code)
            .values_list("pk", flat=True)
            .first()
        )
    signature = Signature.objects.create(
        campaign=campaign,
        kind=data.kind,
        status=Status.PENDING,
        organization_name=data.organization_name if is_organization else "",
        organization_key=key,
        listed_anonymously=data.listed_anonymously and not is_organization,
        public_descriptor=data.public_descriptor if not is_organization else "",
        organization_type=data.organization_type if is_organization else "",
        website=data.website if is_organization else "",
        city=data.city,
        state=state,
        country=data.country,
        signer_name=data.signer_name,
        signer_title=data.signer_title,
        email=data.email.strip(),
        email_canonical=address,
        ip_hash=ip_digest,
        user_agent=user_agent[:300],
        language=language[:8],
        consent_listed=data.consent_listed,
        consent_updates=data.consent_updates,
        authorized=data.authorized and is_organization,
        letter_version=letter_version,
        letter_sha256=letter_version.sha256,
        partner_link_id=partner_link_id,
        # The same organization and state from another address is held for the campaign
        # team, who merge it or approve it; a blocklisted domain may be held too.
        possible_duplicate_of_id=matches[0][0] if matches else None,
        held_for_review=held or bool(matches),
    )
    logger.info("Sign-on %s created for campaign %s", signature.pk, campaign.pk)
    _enqueue_email(signature.pk)
    return SignOn(signature=signature, created=True)


def _confirm(signature_id: int) -> Confirmation:
    # The signature's row only (`of`): locking the joined campaign row too made every
    # confirmation queue on it, and deadlocked with a lead's undo (campaign, then rows).
    signature = (
        Signature.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=signature_id)
    )
    if signature.status == Status.WITHDRAWN:
        raise TokenInvalid("withdrawn", signature)
    if signature.campaign.status in FINAL_CAMPAIGN_STATUSES:
        raise TokenInvalid("delivered", signature)
    if signature.status not in (Status.PENDING, Status.EXPIRED):
        return Confirmation(signature=signature, already_confirmed=True, withdraw_token="")
    signature.status = Status.VERIFIED
    signature.verified_at = timezone.now()
    signature.save(update_fields=["status", "verified_at"])
    # Any other confirmation email the signer got is now spent too.
    verification.tokens_revoke(signature=signature, purposes=[Purpose.CONFIRM])
    if is_public(signature):
        public_list_changed(campaign_id=signature.campaign_id)
    withdraw = verification.token_issue(
        signature=signature, purpose=Purpose.WITHDRAW, lifetime=None
    )
    logger.info("Signature %s confirmed", signature.pk)
    return Confirmation(signature=signature, already_confirmed=False, withdraw_token=withdraw.token)


@transaction.atomic
def signature_confirm(*, token: str) -> Confirmation:
    """Confirm the signature a mailed link belongs to (a POST: GETs never change anything).

    A token already used for a signature that is confirmed answers "already confirmed";
    other unusable tokens raise TokenInvalid with the reason.
    """
    try:
        record = verification.token_consume(token=token, purpose=Purpose.CONFIRM)
    except TokenInvalid as error:
        if error.signature is not None and error.signature.status in CONFIRMED_STATUSES:
            return Confirmation(error.signature, already_confirmed=True, withdraw_token="")
        if error.signature is not None and error.signature.status == Status.WITHDRAWN:
            raise TokenInvalid("withdrawn", error.signature) from error
        raise
    return _confirm(record.signature_id)


def signature_confirm_by_code(*, email: str, code: str, ip: str = "") -> Confirmation:
    """Confirm with the short code from the email, typed with the address it was sent to.

    Guesses are rate limited per IP and per address (RateLimited); wrong codes raise
    TokenInvalid("unknown").
    """
    try:
        address = email_canonical(email)
    except ValueError:
        raise TokenInvalid("unknown") from None
    rate_limits_take(
        Limit("code", ip_hash(ip), settings.CODE_LIMIT_PER_IP),
        Limit("code", address_hash(address), settings.CODE_LIMIT_PER_EMAIL),
    )
    with transaction.atomic():
        try:
            record = verification.code_consume(email_canonical=address, code=code)
        except TokenInvalid as error:
            if error.signature is not None and error.signature.status in CONFIRMED_STATUSES:
                return Confirmation(error.signature, already_confirmed=True, withdraw_token="")
            raise
        return _confirm(record.signature_id)


@transaction.atomic
def signature_withdraw(*, token: str) -> Withdrawal:
    """Take a signature off the letter with its withdraw link, until the letter is delivered."""
    try:
        record = verification.token_consume(token=token, purpose=Purpose.WITHDRAW)
    except TokenInvalid as error:
        if error.signature is not None and error.signature.status == Status.WITHDRAWN:
            return Withdrawal(signature=error.signature, already_withdrawn=True)
        raise
    # The signature's row only, as in _confirm.
    signature = (
        Signature.objects.select_for_update(of=("self",))
        .select_related("campaign")
        .get(pk=record.signature_id)
    )
    if signature.campaign.status in FINAL_CAMPAIGN_STATUSES:
        raise TokenInvalid("delivered", signature)
    if signature.status == Status.WITHDRAWN:
        return Withdrawal(signature=signature, already_withdrawn=True)
    was_public = is_public(signature)
    signature.status = Status.WITHDRAWN
    signature.withdrawn_at = timezone.now()
    signature.save(update_fields=["status", "withdrawn_at"])
    verification.tokens_revoke(signature=signature)
    if was_public:
        public_list_changed(campaign_id=signature.campaign_id)
    logger.info("Signature %s withdrawn", signature.pk)
    return Withdrawal(signature=signature, already_withdrawn=False)


@transaction.atomic
def signature_reconfirm_by_token(*, token: str) -> Signature:
    """Follow a re-confirmation link: the signature moves to the letter's newest text.

    Raises TokenInvalid, or ValidationError (from signature_reconfirm) when it no longer
    applies; either way the token stays as it was.
    """
    record = verification.token_consume(token=token, purpose=Purpose.RECONFIRM)
    if record.signature.campaign.status in FINAL_CAMPAIGN_STATUSES:
        raise TokenInvalid("delivered", record.signature)
    if record.signature.status == Status.WITHDRAWN:
        raise TokenInvalid("withdrawn", record.signature)
    return signature_reconfirm(signature=record.signature, version=record.letter_version)


@transaction.atomic
def signature_resend_confirmation(
    *, email: str, ip: str = "", campaign: Campaign | None = None
) -> int:
    """Mail the owner of an address a fresh link for each of its live signatures.

    Pending ones get a new confirmation; confirmed ones a note with a withdraw link. The
    caller shows the same page whatever the count (it never says whether anyone signed).
    """
    address = email_canonical(email)
    rate_limits_take(*_signon_limits(ip_digest=ip_hash(ip), address=address))
    signatures = Signature.objects.filter(
        email_canonical=address,
        status__in=LIVE_STATUSES,
        campaign__status__in=[Campaign.Status.OPEN, Campaign.Status.CLOSED],
    )
    if campaign is not None:
        signatures = signatures.filter(campaign=campaign)
    ids = list(signatures.values_list("pk", flat=True)[:20])
    for pk in ids:
        _enqueue_email(pk)
    return len(ids)


def email_quota_take(*, email_canonical: str) -> bool:
    """Count one email to this address today; False when the daily cap is reached."""
    cap = settings.SIGNER_EMAILS_PER_DAY
    if not cap:
        return True
    key, day = address_hash(email_canonical), timezone.localdate()
    today = EmailQuota.objects.filter(address_hash=key, day=day)
    below_cap = today.filter(sent__lt=cap)
    if below_cap.update(sent=F("sent") + 1):
        return True
    if today.exists():
        # At the cap. (Not an INSERT that fails: under a mail-bombing attempt that would
        # be a failed statement, and a line in PostgreSQL's log, per attempt.)
        return False
    try:
        with transaction.atomic():
            EmailQuota.objects.create(address_hash=key, day=day, sent=1)
        return True
    except IntegrityError:
        # Another process created today's row first: count against it.
        return bool(below_cap.update(sent=F("sent") + 1))


def _email_interval_claim(*, signature_id: int) -> bool:
    """Claim the right to mail about this signature now; one claimant per interval wins."""
    now = timezone.now()
    interval = timedelta(seconds=settings.SIGNER_EMAIL_INTERVAL_SECONDS)
    return bool(
        Signature.objects.filter(pk=signature_id)
        .filter(Q(last_emailed_at__isnull=True) | Q(last_emailed_at__lte=now - interval))
        .update(last_emailed_at=now)
    )


def _absolute(path: str) -> str:
    return settings.SITE_URL + path


def _signer_email_compose_and_send(*, signature: Signature, campaign: Campaign) -> str:
    """Make the tokens, render and send; returns the template used."""
    context = {
        "signature": signature,
        "campaign": campaign,
        "public_name": signature.public_name,
        "campaign_url": _absolute(campaign.get_absolute_url()),
        "resend_url": _absolute(reverse("signatories:resend")),
        "token_days": settings.SIGNATURE_TOKEN_DAYS,
    }
    with transaction.atomic():
        if signature.status in (Status.PENDING, Status.EXPIRED):
            template = "signature_confirm"
            confirm = verification.token_issue(
                signature=signature,
                purpose=Purpose.CONFIRM,
                lifetime=timedelta(days=settings.SIGNATURE_TOKEN_DAYS),
                with_code=True,
            )
            context["confirm_url"] = _absolute(
                reverse("signatories:confirm", kwargs={"token": confirm.token})
            )
            context["code"] = verification.code_format(confirm.code)
            context["code_url"] = _absolute(reverse("signatories:confirm-by-code"))
        else:
            template = "signature_already_signed"
        withdraw = verification.token_issue(
            signature=signature, purpose=Purpose.WITHDRAW, lifetime=None
        )
        context["withdraw_url"] = _absolute(
            reverse("signatories:withdraw", kwargs={"token": withdraw.token})
        )
    email_send(
        template=template,
        to=signature.email,
        context=context,
        language=signature.language,
        reply_to=[campaign.reply_to_email] if campaign.reply_to_email else None,
    )
    return template


def signer_email_send(*, signature_id: int) -> str:
    """Mail a signer what their signature needs now; returns what happened, for the logs.

    Pending (or expired) signatures get a confirmation link, a short code and a withdraw
    link; confirmed ones a note that they already signed, with a withdraw link. Tokens
    are made here, in the task, so that no secret ever sits in the task queue.
    """
    signature = Signature.objects.select_related("campaign").filter(pk=signature_id).first()
    if signature is None or not signature.email:
        return "gone"
    campaign = signature.campaign
    if signature.status in (Status.WITHDRAWN, Status.REJECTED):
        return "not-live"
    if campaign.status in FINAL_CAMPAIGN_STATUSES:
        return "delivered"
    if not _email_interval_claim(signature_id=signature.pk):
        return "too-soon"
    if not email_quota_take(email_canonical=signature.email_canonical):
        logger.info("Daily email cap reached; nothing sent for signature %s", signature.pk)
        return "capped"
    # The signer's language for the text and for the links (/es/s/confirm/… in Spanish).
    with translation.override(signature.language):
        template = _signer_email_compose_and_send(signature=signature, campaign=campaign)
    logger.info("Email %s sent for signature %s", template, signature.pk)
    return "sent"


def signatures_expire(*, now=None) -> int:
    """Mark signatures left unconfirmed for PENDING_SIGNATURE_DAYS as expired."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PENDING_SIGNATURE_DAYS)
    return Signature.objects.filter(status=Status.PENDING, created_at__lt=cutoff).update(
        status=Status.EXPIRED
    )


def email_quotas_purge(*, now=None) -> int:
    """Forget daily email counts older than EMAIL_QUOTA_DAYS (2: today's and yesterday's stay)."""
    today = timezone.localdate(now)
    keep_from = today - timedelta(days=max(settings.EMAIL_QUOTA_DAYS, 1) - 1)
    deleted, _ = EmailQuota.objects.filter(day__lt=keep_from).delete()
    return deleted
