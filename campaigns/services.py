import hashlib

from django.db import transaction
from django.utils import timezone

from .models import Campaign, CampaignRole, LetterVersion


def letter_sha256(*, title: str, body: str) -> str:
    """The fingerprint of a letter's text, as printed in the PDF and on the receipt.

    Line endings and trailing spaces are normalized so that the same words always give
    the same hash, whatever editor or browser submitted them.
    """
    lines = f"{title.strip()}\n\n{body.strip()}".replace("\r\n", "\n").replace("\r", "\n")
    normalized = "\n".join(line.rstrip() for line in lines.split("\n"))
    return hashlib.sha256(normalized.encode()).hexdigest()


@transaction.atomic
def campaign_create(
    *,
    slug: str,
    title: str,
    letter_title: str = "",
    letter_body: str,
    owner=None,
    **fields,
) -> Campaign:
    """Create a campaign with the first version of its letter (and its owner, if given)."""
    campaign = Campaign.objects.create(slug=slug, title=title, **fields)
    letter_version_create(
        campaign=campaign, title=letter_title or title, body=letter_body, author=owner
    )
    if owner is not None:
        CampaignRole.objects.create(campaign=campaign, user=owner, role=CampaignRole.Role.OWNER)
    return campaign


@transaction.atomic
def letter_version_create(
    *,
    campaign: Campaign,
    title: str,
    body: str,
    author=None,
    change: str = "",
    note: str = "",
) -> LetterVersion:
    """Record a new text of the letter; the same text as the latest version is not a new one."""
    # Lock the campaign row so two editors saving at once get consecutive numbers.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    digest = letter_sha256(title=title, body=body)
    latest = campaign.versions.order_by("-number").first()
    if latest is not None and latest.sha256 == digest:
        return latest
    if latest is None:
        change = LetterVersion.Change.INITIAL
    elif not change:
        change = LetterVersion.Change.MINOR
    return LetterVersion.objects.create(
        campaign=campaign,
        number=(latest.number + 1) if latest else 1,
        title=title.strip(),
        body=body.replace("\r\n", "\n").strip(),
        sha256=digest,
        change=change,
        note=note,
        author=author,
        created_at=timezone.now(),
    )
