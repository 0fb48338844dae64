"""Co-leads: owners invite by email, change and remove roles; a campaign always keeps an owner.

An invitation is a link with a random token mailed once; only its SHA-256 is stored, so a
copy of the database does not let anyone join. Accepting needs a signed-in account with the
invited address confirmed, so a forwarded link is of no use to someone else.
"""

import hashlib
import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .audit import audit_record
from .emails import email_send
from .models import Campaign, CampaignInvitation, CampaignRole
from .permissions import ROLE_RANK

INVITATION_LIFETIME = timedelta(days=14)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(*, token: str) -> str:
    return settings.SITE_URL + reverse("lead:invitation-accept", kwargs={"token": token})


@transaction.atomic
def invitation_create(*, campaign: Campaign, actor, email: str, role: str) -> CampaignInvitation:
    """Invite a co-lead; the email with the link goes out after commit."""
    email = email.strip()
    if role not in CampaignRole.Role.values:
        raise ValidationError(_("Choose a role."))
    if CampaignRole.objects.filter(campaign=campaign, user__email__iexact=email).exists():
        raise ValidationError(
            _("%(email)s is already a co-lead of this campaign.") % {"email": email}
        )
    # A new invitation replaces any open one for the same address.
    CampaignInvitation.objects.filter(
        campaign=campaign, email__iexact=email, accepted_at=None, cancelled_at=None
    ).update(cancelled_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = CampaignInvitation.objects.create(
        campaign=campaign,
        email=email,
        role=role,
        token_hash=_token_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_LIFETIME,
    )
    audit_record(
        campaign=campaign,
        actor=actor,
        action="role.invite",
        target=invitation,
        after={"email": email, "role": role},
    )
    context = {
        "campaign": campaign,
        "role": invitation.get_role_display(),
        "inviter": actor.email,
        "accept_url": invitation_url(token=token),
        "expires_at": invitation.expires_at,
    }
    # The raw token lives only in this closure and the email, never in a task queue row.
    transaction.on_commit(lambda: email_send(template="lead_invitation", to=email, context=context))
    return invitation


def invitation_for_token(*, token: str) -> CampaignInvitation | None:
    """The invitation a link points at, if it can still be accepted."""
    invitation = (
        CampaignInvitation.objects.select_related("campaign")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if invitation is None or not invitation.is_usable:
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: CampaignInvitation, user) -> CampaignRole:
    """Give the signed-in user the invited role (or keep a stronger one they already have)."""
    invitation = CampaignInvitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ValidationError(_("This invitation has expired or was already used."))
    if not EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists():
        raise ValidationError(
            _(
                "This invitation was sent to %(email)s. Sign in with that address (or add and "
                "confirm it in your account) to accept it."
            )
            % {"email": invitation.email}
        )
    membership, created = CampaignRole.objects.get_or_create(
        campaign=invitation.campaign, user=user, defaults={"role": invitation.role}
    )
    before = None if created else {"role": membership.role}
    if not created and ROLE_RANK[invitation.role] > ROLE_RANK[membership.role]:
        membership.role = invitation.role
        membership.save(update_fields=["role"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        campaign=invitation.campaign,
        actor=user,
        action="role.accept",
        target=invitation,
        before=before,
        after={"email": invitation.email, "role": membership.role},
    )
    return membership


@transaction.atomic
def invitation_cancel(*, campaign: Campaign, actor, invitation: CampaignInvitation) -> None:
    if invitation.campaign_id != campaign.pk:
        raise ValidationError(_("That invitation is for another campaign."))
    if invitation.accepted_at or invitation.cancelled_at:
        return
    invitation.cancelled_at = timezone.now()
    invitation.save(update_fields=["cancelled_at"])
    audit_record(
        campaign=campaign,
        actor=actor,
        action="role.invitation_cancel",
        target=invitation,
        before={"email": invitation.email, "role": invitation.role},
    )


def _ensure_an_owner_remains(*, campaign: Campaign, membership: CampaignRole) -> None:
    # Lock the campaign so two owners demoting each other at once cannot both succeed.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    if membership.role != CampaignRole.Role.OWNER:
        return
    owners = CampaignRole.objects.filter(campaign=campaign, role=CampaignRole.Role.OWNER)
    if not owners.exclude(pk=membership.pk).exists():
        raise ValidationError(_("A campaign always keeps an owner: make someone else owner first."))


@transaction.atomic
def campaign_role_change(
    *, campaign: Campaign, actor, membership: CampaignRole, role: str
) -> CampaignRole:
    if membership.campaign_id != campaign.pk:
        raise ValidationError(_("That co-lead is on another campaign."))
    if role not in CampaignRole.Role.values:
        raise ValidationError(_("Choose a role."))
    if role == membership.role:
        return membership
    if role != CampaignRole.Role.OWNER:
        _ensure_an_owner_remains(campaign=campaign, membership=membership)
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        campaign=campaign,
        actor=actor,
        action="role.change",
        target=membership.user.email,
        before={"role": before},
        after={"role": role},
    )
    return membership


@transaction.atomic
def campaign_role_remove(*, campaign: Campaign, actor, membership: CampaignRole) -> None:
    if membership.campaign_id != campaign.pk:
        raise ValidationError(_("That co-lead is on another campaign."))
    _ensure_an_owner_remains(campaign=campaign, membership=membership)
    audit_record(
        campaign=campaign,
        actor=actor,
        action="role.remove",
        target=membership.user.email,
        before={"role": membership.role},
    )
    membership.delete()
