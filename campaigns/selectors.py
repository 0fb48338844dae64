from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Min, Q, QuerySet

from .models import (
    Campaign,
    CampaignRecipient,
    Committee,
    Delivery,
    DeliveryRun,
    Legislator,
    LetterVersion,
)


def campaigns_public() -> QuerySet[Campaign]:
    """Campaigns anyone may see, open ones first."""
    return Campaign.objects.exclude(status=Campaign.Status.DRAFT).exclude(
        status=Campaign.Status.ARCHIVED
    )


def campaign_public(*, slug: str) -> Campaign | None:
    """The campaign at /c/<slug>/, unless it is a draft (None then, or when there is none).

    Written as SQL because the busiest pages (the campaign page, sign-on) run it on every
    request, and the ORM took three times longer to build it than to run it.
    """
    table = Campaign._meta.db_table
    found = Campaign.objects.raw(
        f"SELECT * FROM {table} WHERE slug = %s AND status <> %s",  # noqa: S608 (our table)
        [slug, Campaign.Status.DRAFT],
    )
    return next(iter(found), None)


def campaign_public_cached(*, slug: str) -> Campaign | None:
    """`campaign_public`, kept in the cache for the public page: a page served from the
    cache then costs no query. Campaign.save and .delete forget it; a renamed slug's old
    entry lasts PUBLIC_CACHE_SECONDS, as long as browsers may keep the page anyway."""
    key = Campaign.PUBLIC_CACHE_KEY.format(slug=slug)
    campaign = cache.get(key)
    if campaign is None:
        campaign = campaign_public(slug=slug)
        if campaign is not None:
            cache.set(key, campaign, settings.PUBLIC_CACHE_SECONDS)
    return campaign


def letter_version_current(*, campaign: Campaign) -> LetterVersion:
    return campaign.versions.order_by("-number").first()


@dataclass(frozen=True)
class RecipientSummary:
    total: int
    with_email: int
    print_and_mail: int
    retired: int


@dataclass(frozen=True)
class RecipientFilterChoices:
    jurisdictions: list[tuple[str, str]]
    chambers: list[tuple[str, str]]
    parties: list[str]
    committees: list[tuple[int, str]]


def _party_filter(party: str) -> Q:
    """A party name matches itself and every fusion ticket it is part of."""
    return (
        Q(party=party)
        | Q(party__startswith=f"{party}/")
        | Q(party__endswith=f"/{party}")
        | Q(party__contains=f"/{party}/")
    )


def legislators_matching(
    *,
    jurisdiction: str | None = None,
    chamber: str | None = None,
    district: str | None = None,
    committee: Committee | int | None = None,
    party: str | None = None,
    state: str | None = None,
) -> QuerySet[Legislator]:
    """Active legislators meeting every filter given (all active ones when none is)."""
    legislators = Legislator.objects.filter(active=True)
    if jurisdiction:
        legislators = legislators.filter(jurisdiction=jurisdiction.lower())
    if state:
        legislators = legislators.filter(state=state.upper())
    if chamber:
        legislators = legislators.filter(chamber=chamber)
    if district:
        legislators = legislators.filter(district__iexact=district.strip())
    if committee:
        legislators = legislators.filter(committee_memberships__committee=committee)
    if party:
        legislators = legislators.filter(_party_filter(party))
    return legislators


def campaign_recipients(*, campaign: Campaign) -> QuerySet[Legislator]:
    """The legislators chosen for a campaign, retired ones included (they were chosen)."""
    return Legislator.objects.filter(campaign_recipients__campaign=campaign).order_by(
        "jurisdiction", "chamber", "sort_name", "pk"
    )


def recipients_summary(*, campaign: Campaign) -> RecipientSummary:
    """How many recipients get the letter by email and how many need print-and-mail."""
    counts = CampaignRecipient.objects.filter(campaign=campaign).aggregate(
        total=Count("pk"),
        with_email=Count("pk", filter=~Q(legislator__email="")),
        retired=Count("pk", filter=Q(legislator__active=False)),
    )
    return RecipientSummary(
        total=counts["total"],
        with_email=counts["with_email"],
        print_and_mail=counts["total"] - counts["with_email"],
        retired=counts["retired"],
    )


def recipient_filter_choices(*, jurisdiction: str | None = None) -> RecipientFilterChoices:
    """The values present among active legislators, for the recipient filters.

    Committees are many (thousands for all states): they are listed only for one
    jurisdiction at a time.
    """
    active = Legislator.objects.filter(active=True)
    jurisdictions = list(
        active.values_list("jurisdiction", "jurisdiction_name").distinct().order_by("jurisdiction")
    )
    # Only a jurisdiction we hold narrows the lists: anything else in the query string is
    # ignored (and never reaches the database, which refuses NUL bytes on PostgreSQL).
    if jurisdiction not in {code for code, _name in jurisdictions}:
        jurisdiction = None
    if jurisdiction:
        active = active.filter(jurisdiction=jurisdiction)
    present = set(active.values_list("chamber", flat=True).distinct())
    chambers = [(value, label) for value, label in Legislator.Chamber.choices if value in present]
    parties = sorted(
        {
            part
            for ticket in active.exclude(party="").values_list("party", flat=True).distinct()
            for part in ticket.split("/")
        }
    )
    committees = []
    if jurisdiction:
        committees = [
            (
                committee.pk,
                committee.name
                if not committee.parent_id
                else f"{committee.parent.name}: {committee.name}",
            )
            for committee in Committee.objects.filter(jurisdiction=jurisdiction.lower())
            .select_related("parent")
            .order_by("chamber", "name")
        ]
    return RecipientFilterChoices(
        jurisdictions=jurisdictions, chambers=chambers, parties=parties, committees=committees
    )


# --- Delivery: the lead's report and the public receipt. --------------------------------

# Copies the public receipt lists: those that reached the office as far as anyone knows
# (an email sent and not returned, or a printed copy the lead posted).
RECEIPT_STATUSES = ["sent", "delivered", "opened", "complained", "mailed"]


def delivery_run_latest(*, campaign: Campaign) -> DeliveryRun | None:
    """The delivery under way (scheduled or sending), else the most recent one."""
    runs = DeliveryRun.objects.filter(campaign=campaign).select_related("letter_version")
    return runs.filter(status__in=DeliveryRun.ACTIVE).first() or runs.first()


def delivery_status_counts(*, campaign: Campaign) -> list[tuple[str, str, int]]:
    """(status, label, count) of the campaign's copies, in the order of the statuses."""
    counts = dict(
        Delivery.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    return [
        (value, label, counts[value]) for value, label in Delivery.Status.choices if value in counts
    ]


def deliveries_for_lead(*, campaign: Campaign, status: str = "") -> QuerySet[Delivery]:
    deliveries = Delivery.objects.filter(campaign=campaign).select_related("legislator")
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by(
        "-run_id", "legislator__jurisdiction", "legislator__chamber", "legislator__sort_name", "pk"
    )


@dataclass(frozen=True)
class Receipt:
    copies: QuerySet[Delivery]
    count: int
    by_email: int
    by_post: int
    first_sent_at: object
    last_sent_at: object
    versions: list[LetterVersion]


def delivery_receipt(*, campaign: Campaign) -> Receipt:
    """What the public receipt shows: the copies that went out, when, and their sha256."""
    copies = Delivery.objects.filter(campaign=campaign, status__in=RECEIPT_STATUSES)
    summary = copies.aggregate(
        count=Count("pk"),
        by_post=Count("pk", filter=Q(channel=Delivery.Channel.PRINT)),
        first=Min("sent_at"),
        last=Max("sent_at"),
    )
    versions = list(
        LetterVersion.objects.filter(
            pk__in=DeliveryRun.objects.filter(campaign=campaign, deliveries__in=copies)
            .exclude(letter_version=None)
            .values("letter_version_id")
        ).order_by("number")
    )
    return Receipt(
        copies=copies.select_related("legislator").order_by(
            "legislator__jurisdiction", "legislator__chamber", "legislator__sort_name", "pk"
        ),
        count=summary["count"],
        by_email=summary["count"] - summary["by_post"],
        by_post=summary["by_post"],
        first_sent_at=summary["first"],
        last_sent_at=summary["last"],
        versions=versions,
    )


def delivered_copy(*, campaign: Campaign, sha256: str) -> Delivery | None:
    """A copy on the public receipt, by its PDF's sha256."""
    return (
        Delivery.objects.filter(campaign=campaign, pdf_sha256=sha256, status__in=RECEIPT_STATUSES)
        .select_related("legislator")
        .first()
    )
