from django.db.models import QuerySet

from .models import Campaign, LetterVersion


def campaigns_public() -> QuerySet[Campaign]:
    """Campaigns anyone may see, open ones first."""
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT).exclude(
        status=Campaign.Status.ARCHIVED
    )


def letter_version_current(*, campaign: Campaign) -> LetterVersion:
    return campaign.versions.order_by("-number").first()
