import hashlib
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Campaign, CampaignRecipient, CampaignRole, Committee, Legislator, LetterVersion
from .selectors import legislators_matching


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


def _recipients_insert(*, campaign: Campaign, legislator_ids: Iterable[int]) -> int:
    # Lock the campaign row so two leads adding at once count what each really added.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    chosen = set(
        CampaignRecipient.objects.filter(campaign=campaign).values_list("legislator_id", flat=True)
    )
    now = timezone.now()
    new = [
        CampaignRecipient(campaign=campaign, legislator_id=pk, added_at=now)
        for pk in dict.fromkeys(legislator_ids)
        if pk not in chosen
    ]
    CampaignRecipient.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def recipients_add(*, campaign: Campaign, legislators: Iterable[Legislator | int]) -> int:
    """Add legislators (objects or ids) to a campaign's recipients; returns how many were new.

    Only active legislators are added; retired ones and ones already chosen are left out.
    """
    ids = [item.pk if isinstance(item, Legislator) else int(item) for item in legislators]
    active = Legislator.objects.filter(pk__in=ids, active=True).values_list("pk", flat=True)
    return _recipients_insert(campaign=campaign, legislator_ids=active.order_by("pk"))


@transaction.atomic
def recipients_add_matching(
    *,
    campaign: Campaign,
    jurisdiction: str | None = None,
    chamber: str | None = None,
    district: str | None = None,
    committee: Committee | int | None = None,
    party: str | None = None,
    state: str | None = None,
) -> int:
    """Add every active legislator meeting all the filters given; returns how many were new.

    A filter is required: an empty form must not send the letter to every office in the
    country.
    """
    filters = {
        "jurisdiction": jurisdiction,
        "chamber": chamber,
        "district": district,
        "committee": committee,
        "party": party,
        "state": state,
    }
    if not any(filters.values()):
        raise ValidationError(
            _("Choose at least one of jurisdiction, state, chamber, district, committee or party."),
            code="no_filter",
        )
    matching = legislators_matching(**filters).values_list("pk", flat=True).order_by("pk")
    return _recipients_insert(campaign=campaign, legislator_ids=matching)


@transaction.atomic
def recipients_remove(*, campaign: Campaign, legislators: Iterable[Legislator | int]) -> int:
    """Take legislators (objects or ids) off a campaign's recipients; returns how many."""
    ids = [item.pk if isinstance(item, Legislator) else int(item) for item in legislators]
    _total, by_model = CampaignRecipient.objects.filter(
        campaign=campaign, legislator_id__in=ids
    ).delete()
    return by_model.get(CampaignRecipient._meta.label, 0)
