"""Reads of signatures shared by pages, the JSON endpoint, the PDF and the lead area.

The public list is cached: every cache key includes `public_list_version(campaign)`, which
`public_list_changed(campaign_id)` renews (after commit) whenever a signature may have
entered or left the list: confirming, withdrawing, every moderation action. Counts are
aggregate queries cached under that version, never a counter row.
"""

import functools
import math
import operator
import time
from dataclasses import dataclass
from datetime import date
from functools import partial

from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower, TruncDate
from django.utils import timezone, translation
from django.utils.text import slugify

from campaigns.models import Campaign, LetterVersion

from .countries import country_name
from .models import Signature, public_name
from .regions import US_STATES, region_name

# How long a cached count or list may live. With a shared cache (Redis) a change shows at
# once, because the version in the key changes; with per-process caches this bounds how
# long another process may show the old list (and how long after a re-confirmation
# deadline the lapsed signers still show).
LIST_CACHE_SECONDS = 300


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
    # The version test is a subquery, not a join: every listed row used to be joined to
    # its letter version for a test that only the few asked to re-confirm can fail.
    older = LetterVersion.objects.filter(campaign=campaign, number__lt=required).values("pk")
    return (
        Q(reconfirm_version_number__isnull=False)
        & Q(reconfirm_version_number__gte=required)
        & Q(letter_version__in=older)
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


def letter_version_signed(*, campaign: Campaign, number: int | None) -> LetterVersion:
    """The version a signer read (the form says which), else the current one.

    A version's text never changes once written, so each is cached; only the hash is
    needed to sign, not the body.
    """
    if number:
        key = f"signatories:version:{campaign.pk}:{number}"
        version = cache.get(key)
        if version is None:
            version = LetterVersion.objects.defer("body").filter(campaign=campaign, number=number)
            version = version.first()
            if version is not None:
                cache.set(key, version, 3600)
        if version is not None:
            return version
    return campaign.versions.defer("body").order_by("-number").first()


def is_public(signature: Signature) -> bool:
    """Whether this signature is on its campaign's public list (one query, every rule)."""
    return signatures_public(campaign=signature.campaign).filter(pk=signature.pk).exists()


# ---------------------------------------------------------------------------------------
# The cached public list for pages and the JSON endpoint


def _version_key(campaign_id: int) -> str:
    return f"signatories:list-version:{campaign_id}"


def public_list_version(*, campaign: Campaign) -> str:
    """Changes whenever the public list (or the campaign's settings) may have changed."""
    key = _version_key(campaign.pk)
    version = cache.get(key)
    if version is None:
        cache.add(key, str(time.time_ns()), timeout=None)
        version = cache.get(key, "0")
    return f"{campaign.updated_at.timestamp():.6f}-{version}"


def public_list_version_renew(*, campaign_id: int) -> None:
    cache.set(_version_key(campaign_id), str(time.time_ns()), timeout=None)


def public_list_changed(*, campaign_id: int) -> None:
    """Call when a signature may have entered or left a campaign's public list.

    The cached list, count and JSON are renewed once the transaction commits (at once
    outside one), so a rolled-back change leaves the cache alone.
    """
    transaction.on_commit(partial(public_list_version_renew, campaign_id=campaign_id))


def signature_count_public(*, campaign: Campaign) -> int:
    """How many signers are on the public list (an aggregate query, cached)."""
    return sum(group.count for group in public_list_groups(campaign=campaign))


@dataclass(frozen=True)
class ListGroup:
    """Public signers of one kind from one state or country: `count` of them."""

    list_group: int  # 0 lead organizations, 1 organizations, 2 individuals
    country: str
    state: str
    count: int

    @property
    def sort_key(self) -> tuple:
        """Print order, as `_display_order` sorts rows (the U.S. first, states by name)."""
        abroad = self.country != "US"
        region = self.state if abroad else US_STATES.get(self.state, self.state)
        return (self.list_group, abroad, self.country, region, self.state)


def public_list_groups(*, campaign: Campaign) -> list[ListGroup]:
    """The public list counted by group, country and state, in print order (cached).

    One aggregate over plain columns, sorted here: grouping by the print order's CASE
    expressions made PostgreSQL evaluate them for every one of 10,000 rows. Python's
    order of strings is the database's (code points; C collation on PostgreSQL).
    """
    key = f"signatories:groups:{campaign.pk}:{public_list_version(campaign=campaign)}"
    groups = cache.get(key)
    if groups is None:
        rows = (
            signatures_public(campaign=campaign)
            .order_by()
            .values_list("list_group", "country", "state")
            .annotate(n=Count("pk"))
        )
        groups = sorted((ListGroup(*row) for row in rows), key=lambda group: group.sort_key)
        cache.set(key, groups, LIST_CACHE_SECONDS)
    return groups


@dataclass(frozen=True)
class PublicSigner:
    """What anyone may see of one signer: never an email, phone, IP or a hidden name."""

    name: str
    kind: str
    is_lead: bool
    city: str
    state: str
    region: str
    country: str

    def as_json(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "lead": self.is_lead,
            "city": self.city,
            "state": self.state,
            "region": self.region,
            "country": self.country,
        }


_PUBLIC_FIELDS = [
    "kind",
    "organization_name",
    "display_name",
    "listed_anonymously",
    "public_descriptor",
    "signer_name",
    "is_lead_organization",
    "city",
    "state",
    "country",
    "list_group",
]


@functools.lru_cache(maxsize=4096)
def _cached_region_label(state: str, country: str, language: str) -> str:
    return region_label(state, country)


def _region_labels(state: str, country: str) -> str:
    """region_label, remembered: a list of 10,000 signers has a few dozen regions."""
    return _cached_region_label(state, country, translation.get_language())


def region_label(state: str, country: str) -> str:
    """A heading for a group of signers: "Washington", or "Ontario, Canada" abroad."""
    if country == "US":
        return region_name(state, country)
    return ", ".join(part for part in (state, country_name(country)) if part)


def _public_signer(row: tuple) -> PublicSigner:
    (
        kind,
        organization,
        display,
        anonymous,
        descriptor,
        signer,
        _lead,
        city,
        state,
        country,
        group,
    ) = row
    anonymous = anonymous and kind == Signature.Kind.INDIVIDUAL
    return PublicSigner(
        name=public_name(
            display_name=display,
            kind=kind,
            listed_anonymously=anonymous,
            public_descriptor=descriptor,
            signer_name=signer,
            organization_name=organization,
        ),
        kind=kind,
        is_lead=group == 0,
        # A city can identify a person who asked to be listed without a name.
        city="" if anonymous else city,
        state=state,
        region=_region_labels(state, country),
        country=country,
    )


def _display_order(queryset: QuerySet[Signature]) -> QuerySet[Signature]:
    """Print order for pages: groups, the U.S. first, states by name, names A to Z."""
    # The country is tested once, then the state code: testing both in each of the 56
    # branches was a good part of the time PostgreSQL spent sorting 10,000 signers.
    region_sort = Case(
        When(
            country="US",
            then=Case(
                *[When(state=code, then=Value(name)) for code, name in US_STATES.items()],
                default=F("state"),
                output_field=CharField(),
            ),
        ),
        default=F("state"),
        output_field=CharField(),
    )
    sort_name = Lower(
        Case(
            When(~Q(display_name=""), then=F("display_name")),
            default=F("organization_name"),
            output_field=CharField(),
        )
    )
    return queryset.annotate(
        abroad=Case(
            When(country="US", then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
        region_sort=region_sort,
    ).order_by("list_group", "abroad", "country", "region_sort", sort_name, "pk")


def public_signers(
    *,
    campaign: Campaign,
    offset: int = 0,
    limit: int | None = None,
    groups: list[ListGroup] | None = None,
):
    """Public signers in display order, as `PublicSigner`s: one query, public fields only.

    `groups`: only those groups' signers (consecutive groups of `public_list_groups`), so
    that the database sorts a page's worth of rows instead of the whole list.
    """
    rows = signatures_public(campaign=campaign)
    if groups is not None:
        rows = rows.filter(
            functools.reduce(
                operator.or_,
                (Q(list_group=g.list_group, country=g.country, state=g.state) for g in groups),
            )
        )
    rows = _display_order(rows).values_list(*_PUBLIC_FIELDS)
    rows = rows[offset : offset + limit] if limit is not None else rows[offset:]
    return [_public_signer(row) for row in rows]


@dataclass
class RegionGroup:
    region: str
    country: str
    anchor: str
    signers: list[PublicSigner]
    continued: bool = False


@dataclass
class SignerListPage:
    number: int
    num_pages: int
    count: int
    leads: list[PublicSigner]
    organizations: list[RegionGroup]
    individuals: list[PublicSigner]

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.num_pages


def region_anchor(country: str, region: str) -> str:
    return "region-" + slugify(f"{country}-{region}", allow_unicode=True)


def public_list_num_pages(*, count: int, page_size: int) -> int:
    return max(1, math.ceil(count / page_size))


def public_list_page(
    *, campaign: Campaign, number: int, page_size: int, groups: list[ListGroup] | None = None
) -> SignerListPage:
    """One page of the public list, grouped for display: one query for the page's rows.

    A state cut by a page break is marked `continued` on the next page; to know that, the
    query starts one row before the page. `groups`: `public_list_groups`, if the caller
    has them.
    """
    if groups is None:
        groups = public_list_groups(campaign=campaign)
    count = sum(group.count for group in groups)
    offset = (number - 1) * page_size
    start = max(offset - 1, 0)
    limit = page_size + (offset - start)
    # The groups (kind, country, state) this page's rows belong to, from the cached counts:
    # sorting 10,000 rows to keep 500 was most of an uncached page's database time.
    on_page, first, position = [], 0, 0
    for group in groups:
        if position + group.count > start and position < start + limit:
            if not on_page:
                first = position
            on_page.append(group)
        position += group.count
    rows = (
        public_signers(campaign=campaign, offset=start - first, limit=limit, groups=on_page)
        if on_page
        else []
    )
    previous = rows.pop(0) if offset > 0 and rows else None
    page = SignerListPage(
        number=number,
        num_pages=public_list_num_pages(count=count, page_size=page_size),
        count=count,
        leads=[],
        organizations=[],
        individuals=[],
    )
    for signer in rows:
        if signer.is_lead:
            page.leads.append(signer)
        elif signer.kind == Signature.Kind.INDIVIDUAL:
            page.individuals.append(signer)
        else:
            groups = page.organizations
            if not groups or (groups[-1].country, groups[-1].region) != (
                signer.country,
                signer.region,
            ):
                continued = (
                    not groups
                    and previous is not None
                    and not previous.is_lead
                    and previous.kind == signer.kind
                    and (previous.country, previous.region) == (signer.country, signer.region)
                )
                groups.append(
                    RegionGroup(
                        region=signer.region,
                        country=signer.country,
                        anchor=region_anchor(signer.country, signer.region),
                        signers=[],
                        continued=continued,
                    )
                )
            groups[-1].signers.append(signer)
    return page


@dataclass(frozen=True)
class RegionIndexEntry:
    region: str
    country: str
    count: int
    page: int
    anchor: str


def public_list_index(
    *, campaign: Campaign, page_size: int, groups: list[ListGroup] | None = None
) -> list[RegionIndexEntry]:
    """Each state's signing organizations and the page where they start, from the cached
    counts by group (`groups`, when the caller has them). Region names are in the active
    language ("Ontario, Canadá")."""
    if groups is None:
        groups = public_list_groups(campaign=campaign)
    index, position = [], 0
    for group in groups:
        if group.list_group == 1:
            region = region_label(group.state, group.country)
            index.append(
                RegionIndexEntry(
                    region=region,
                    country=group.country,
                    count=group.count,
                    page=position // page_size + 1,
                    anchor=region_anchor(group.country, region),
                )
            )
        position += group.count
    return index
