from django.db.models import Case, IntegerField, QuerySet, Value, When

from campaigns.models import Campaign

from .models import Signature


def public_statuses(*, campaign: Campaign) -> list[str]:
    """Which statuses are listed: approved ones, plus verified ones when no approval is needed."""
    if campaign.requires_approval:
        return [Signature.Status.APPROVED]
    return [Signature.Status.VERIFIED, Signature.Status.APPROVED]


def signatures_public(*, campaign: Campaign) -> QuerySet[Signature]:
    """The public list, in print order: lead organizations, organizations, then individuals.

    Within each group signers are ordered by state, then name; callers that list
    alphabetically re-sort by `public_name`. Merged duplicates and unconsented entries are
    never public.
    """
    return (
        Signature.objects.filter(
            campaign=campaign,
            status__in=public_statuses(campaign=campaign),
            merged_into__isnull=True,
            consent_listed=True,
        )
        .annotate(
            list_group=Case(
                When(is_lead_organization=True, then=Value(0)),
                When(kind=Signature.Kind.ORGANIZATION, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("list_group", "country", "state", "organization_name", "pk")
    )
