from dataclasses import dataclass
from datetime import date

from django.db.models import (
    Case,
    Count,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from campaigns.models import Campaign, LetterVersion

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
    never public, nor are entries held for review (until approved), nor signers who were
    asked to re-confirm a substantive change and let its deadline pass.
    """
    return (
        Signature.objects.filter(
            campaign=campaign,
            status__in=public_statuses(campaign=campaign),
            merged_into__isnull=True,
            consent_listed=True,
        )
        .exclude(held_for_review=True, status=Signature.Status.VERIFIED)
        .exclude(_lapsed(campaign=campaign))
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


def _required_version_number(*, campaign: Campaign):
    """The newest substantive version whose re-confirmation deadline has passed (0 if none)."""
    passed = (
        LetterVersion.objects.filter(
            campaign=campaign,
            change=LetterVersion.Change.SUBSTANTIVE,
            reconfirm_deadline__lte=timezone.now(),
        )
        .order_by("-number")
        .values("number")[:1]
    )
    return Coalesce(Subquery(passed), Value(0))


def _lapsed(*, campaign: Campaign) -> Q:
    """Signers asked to re-confirm a version whose deadline passed, who signed an older one.

    Only those we actually emailed: a signer whose request never went out stays listed.
    """
    required = _required_version_number(campaign=campaign)
    return (
        Q(letter_version__number__lt=required)
        & Q(reconfirm_version_number__isnull=False)
        & Q(reconfirm_version_number__gte=required)
    )


@dataclass(frozen=True)
class SignatureFilter:
    """The moderation queue's filter; the same filter selects rows for bulk actions and CSV."""

    status: str = ""  # a Signature.Status value, or "held" / "merged"
    state: str = ""
    kind: str = ""
    partner: str = ""  # a partner link code, or "none" for sign-ons without one
    created_from: date | None = None
    created_to: date | None = None
    q: str = ""


def signatures_for_lead(
    *, campaign: Campaign, filters: SignatureFilter, include_contacts: bool
) -> QuerySet[Signature]:
    """The moderation queue, newest first. Searching by email needs the contacts right."""
    qs = Signature.objects.filter(campaign=campaign).select_related(
        "partner_link", "merged_into", "letter_version"
    )
    if filters.status == "held":
        qs = qs.filter(held_for_review=True, status=Signature.Status.VERIFIED)
    elif filters.status == "merged":
        qs = qs.filter(merged_into__isnull=False)
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.partner == "none":
        qs = qs.filter(partner_link__isnull=True)
    elif filters.partner:
        qs = qs.filter(partner_link__code=filters.partner)
    if filters.created_from:
        qs = qs.filter(created_at__date__gte=filters.created_from)
    if filters.created_to:
        qs = qs.filter(created_at__date__lte=filters.created_to)
    if filters.q:
        term = filters.q.strip()
        match = Q(organization_name__icontains=term) | Q(display_name__icontains=term)
        if include_contacts:
            match |= Q(email_canonical__icontains=term.lower()) | Q(signer_name__icontains=term)
        qs = qs.filter(match)
    return qs.order_by("-created_at", "-pk")


def signature_counts_by_status(*, campaign: Campaign) -> dict[str, int]:
    rows = (
        Signature.objects.filter(campaign=campaign, merged_into__isnull=True)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["status"]: row["n"] for row in rows}


def signatures_per_day(*, campaign: Campaign) -> list[tuple[date, int]]:
    """Sign-ons per day (every status except merged duplicates), in the site's time zone."""
    rows = (
        Signature.objects.filter(campaign=campaign, merged_into__isnull=True)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(n=Count("pk"))
        .order_by("day")
    )
    return [(row["day"], row["n"]) for row in rows]


def signatures_public_per_state(*, campaign: Campaign) -> list[tuple[str, int]]:
    """Listed signers per state or region, most first."""
    rows = (
        signatures_public(campaign=campaign)
        .order_by()
        .values("state")
        .annotate(n=Count("pk"))
        .order_by("-n", "state")
    )
    return [(row["state"], row["n"]) for row in rows]


def signatures_per_partner(*, campaign: Campaign) -> list[dict]:
    """For each partner link (and "no link"): sign-ons brought and how many are listed."""
    public_ids = signatures_public(campaign=campaign).order_by().values("pk")
    rows = (
        Signature.objects.filter(campaign=campaign, merged_into__isnull=True)
        .values("partner_link__code", "partner_link__name")
        .annotate(total=Count("pk"), listed=Count("pk", filter=Q(pk__in=public_ids)))
        .order_by("-total", "partner_link__name")
    )
    return [
        {
            "code": row["partner_link__code"] or "",
            "name": row["partner_link__name"] or "",
            "total": row["total"],
            "listed": row["listed"],
        }
        for row in rows
    ]


def ip_hash_groups(*, campaign: Campaign, minimum: int = 2) -> list[tuple[str, int]]:
    """Addresses (as keyed hashes) that several live sign-ons came from, largest first."""
    rows = (
        Signature.objects.filter(campaign=campaign)
        .exclude(ip_hash="")
        .exclude(status__in=[Signature.Status.REJECTED, Signature.Status.WITHDRAWN])
        .values("ip_hash")
        .annotate(n=Count("pk"))
        .filter(n__gte=minimum)
        .order_by("-n", "ip_hash")[:50]
    )
    return [(row["ip_hash"], row["n"]) for row in rows]
