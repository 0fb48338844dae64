"""Who may do what on a campaign: the one place every lead view asks.

A lead without a role on a campaign gets a 404, never a 403, so that the existence of a
draft campaign is not revealed either.
"""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404

from .models import Campaign, CampaignRole

# Each role includes the abilities of the ones after it.
ROLE_RANK = {CampaignRole.Role.OWNER: 3, CampaignRole.Role.EDITOR: 2, CampaignRole.Role.VIEWER: 1}
ABILITY_RANK = {"view": 1, "edit": 2, "own": 3}


def role_of(*, user, campaign: Campaign) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        CampaignRole.objects.filter(user=user, campaign=campaign)
        .values_list("role", flat=True)
        .first()
    )


def can(*, role: str | None, ability: str) -> bool:
    """`ability` is "view" (any role), "edit" (editor or owner) or "own" (owner only)."""
    return role is not None and ROLE_RANK[role] >= ABILITY_RANK[ability]


def campaign_for_lead(*, user, slug: str, ability: str = "view") -> tuple[Campaign, str]:
    """The campaign and the user's role on it, or Http404 when the role does not allow it."""
    if not user.is_authenticated:
        raise Http404
    membership = (
        CampaignRole.objects.select_related("campaign")
        .filter(user=user, campaign__slug=slug)
        .first()
    )
    if membership is None or not can(role=membership.role, ability=ability):
        raise Http404
    return membership.campaign, membership.role


def can_see_contacts(*, role: str | None) -> bool:
    """Signers' contact fields (email, signer name and title) are for owners and editors."""
    return can(role=role, ability="edit")


def lead_view(ability: str = "view", *, post_ability: str | None = None):
    """Decorate a lead view taking `slug`: sign-in first, then the role check.

    The view is called with `campaign` and `role` instead of `slug`. A POST needs
    `post_ability` when given (a page any co-lead may read but only editors may change).
    Anonymous visitors are sent to sign in; signed-in leads without the role get a 404.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, slug, *args, **kwargs):
            needed = post_ability if request.method == "POST" and post_ability else ability
            campaign, role = campaign_for_lead(user=request.user, slug=slug, ability=needed)
            return view(request, *args, campaign=campaign, role=role, **kwargs)

        wrapper.lead_ability = ability
        wrapper.lead_post_ability = post_ability or ability
        return wrapper

    return decorator
