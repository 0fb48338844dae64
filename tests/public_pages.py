"""Every public URL of the site, and a world of signers whose contact data must stay private.

Used by tests/test_public_contact_data.py (the test client reads every public URL and looks
for the contact data) and tests/e2e/test_privacy_network.py (Chromium opens every public
page and records its requests).

The URL patterns are read from the URLconf, so a new public page cannot be forgotten: every
pattern outside the private areas must be listed in PUBLIC_URLS (how to build its URLs
from the world) or in NOT_PUBLIC (why anonymous visitors cannot read it, and a URL to
check that). The delivered campaign's letter is sent (to an office by email, one by post),
so its delivery receipt lists copies and each copy's public PDF is fetched too; PDF bodies
are read as text with pypdf by `response_text`.
"""

import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import unquote

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from campaigns.models import Campaign, LetterVersion, PartnerLink
from campaigns.services import campaign_archive, letter_version_create
from signatories import verification
from signatories.models import Signature
from signatories.privacy import ip_hash
from tests.factories import make_campaign, make_signature

# Areas that anonymous visitors cannot read: each URL there needs a sign-in (and a role).
PRIVATE_AREAS = {
    "admin/": "the Django admin: staff accounts with two-factor",
    "accounts/": "allauth's sign-in pages for campaign leads: forms, no signer data",
    "lead/": "the lead area: a role on the campaign is needed",
    "anymail/": "email providers' tracking webhooks: POST only, with the basic-auth secret",
}

# Distinctive contact data, seeded where a signer can type it. None of it may be public.
EMAILS = [
    "Seed.Orgcontact+7731@private-mail.example",
    "hidden.individual.5521@private-mail.example",
    "named.individual.8812@private-mail.example",
    "pending.signer.4406@private-mail.example",
    "rejected.signer.3391@private-mail.example",
    "withdrawn.signer.2283@private-mail.example",
    "held.signer.1175@private-mail.example",
    "merged.signer.6648@private-mail.example",
    "delivered.signer.9902@private-mail.example",
    "archived.signer.7714@private-mail.example",
    "closed.signer.5537@private-mail.example",
    "helpline.treasurer.6120@private-mail.example",
    "alphabetical.individual.3307@private-mail.example",
]
# Every seeded address is at this domain, so no address at all may show.
PRIVATE_DOMAIN = "private-mail.example"
# The platform has no phone field: signers type phones into their title (private).
PHONES = ["+1 (206) 555-0187", "206.555.0144", "(425) 555-0166", "+44 20 7946 0958"]
PRIVATE_NAMES = ["Privatus Contactname", "Hiddenna Quietwater", "Pendra Unconfirmedsen"]
PRIVATE_TITLES = ["Director, mobile +1 (206) 555-0187", "Organizer, call 206.555.0144"]
IP_ADDRESS = "198.51.100.77"
USER_AGENT = "SeedAgent/7.1 (private-ua-marker-31337)"
# A city is public, except for people listed without a name.
HIDDEN_CITY = "Zyxquietburg"

# Public on purpose: an individual listed under their own name, and a phone number the
# signer chose to put in the organization's name, which the form says is published as typed.
PUBLIC_NAME = "Publica Namedperson"
PUBLIC_ORGANIZATION_WITH_PHONE = "Helpline 1-800-555-0199 Collective"


def contact_markers() -> list[str]:
    """Exact strings that must not appear in any public response."""
    markers = [*EMAILS, *(e.lower() for e in EMAILS), *PRIVATE_NAMES, *PRIVATE_TITLES]
    return [*markers, PRIVATE_DOMAIN, IP_ADDRESS, ip_hash(IP_ADDRESS), USER_AGENT, HIDDEN_CITY]


def phone_pattern(phone: str) -> re.Pattern:
    """A phone's last ten digits, whatever separators a page or PDF puts between them."""
    digits = re.sub(r"\D", "", phone)[-10:]
    return re.compile(r"\D{0,3}".join(digits))


def contact_data_found(text: str) -> list[str]:
    """The seeded contact data present in a response's text (empty: none)."""
    variants = {text, html.unescape(text), unquote(text)}
    found = [m for m in contact_markers() if any(m in v for v in variants)]
    found += [p for p in PHONES if any(phone_pattern(p).search(v) for v in variants)]
    return found


def response_text(response) -> str:
    """A response's headers and body as text; PDFs through pypdf."""
    body = b"".join(response.streaming_content) if response.streaming else bytes(response.content)
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    if response.get("Content-Type", "").startswith("application/pdf"):
        from pypdf import PdfReader

        pages = PdfReader(io.BytesIO(body)).pages
        return headers + "\n" + "\n".join(page.extract_text() for page in pages)
    return headers + "\n" + body.decode("utf-8", errors="replace")


@dataclass
class World:
    open: Campaign
    closed: Campaign
    delivered: Campaign
    archived: Campaign
    partner: PartnerLink
    public_signature: Signature
    pending: Signature
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def campaigns(self) -> list[Campaign]:
        return [self.open, self.closed, self.delivered, self.archived]


def _signature(campaign, email, **fields):
    fields.setdefault("ip_hash", ip_hash(IP_ADDRESS))
    fields.setdefault("user_agent", USER_AGENT)
    fields.setdefault("signer_title", "Coordinator")
    return make_signature(campaign=campaign, email=email, **fields)


def make_world() -> World:
    """Campaigns in every public status, with signers in every state, all carrying contact
    data, and a token of each kind for the pages that take one."""
    open_campaign = make_campaign(title="Open letter", allows_individuals=True, goal=50)
    letter_version_create(
        campaign=open_campaign,
        title="Open letter",
        body="To the legislature:\n\nA revised text.\n",
        change=LetterVersion.Change.MINOR,
    )
    partner = PartnerLink.objects.create(campaign=open_campaign, code="allies", name="Allies")
    organization = _signature(
        open_campaign,
        EMAILS[0],
        organization_name="Riverside Tenants Union",
        signer_name=PRIVATE_NAMES[0],
        signer_title=PRIVATE_TITLES[0],
        is_lead_organization=True,
        partner_link=partner,
        website="https://riverside.example/",
    )
    _signature(
        open_campaign,
        EMAILS[1],
        kind=Signature.Kind.INDIVIDUAL,
        organization_name="",
        organization_key="",
        signer_name=PRIVATE_NAMES[1],
        signer_title=PRIVATE_TITLES[1],
        listed_anonymously=True,
        public_descriptor="An individual with lived experience",
        city=HIDDEN_CITY,
        state="OR",
    )
    _signature(
        open_campaign,
        EMAILS[2],
        kind=Signature.Kind.INDIVIDUAL,
        organization_name="",
        organization_key="",
        signer_name=PUBLIC_NAME,
        signer_title=f"Volunteer {PHONES[2]}",
    )
    _signature(
        open_campaign,
        EMAILS[11],
        organization_name=PUBLIC_ORGANIZATION_WITH_PHONE,
        signer_title=f"Treasurer {PHONES[3]}",
        state="ID",
    )
    pending = _signature(
        open_campaign,
        EMAILS[3],
        status=Signature.Status.PENDING,
        signer_name=PRIVATE_NAMES[2],
        organization_name="Pending Org",
    )
    _signature(open_campaign, EMAILS[4], status=Signature.Status.REJECTED)
    _signature(open_campaign, EMAILS[5], status=Signature.Status.WITHDRAWN)
    _signature(open_campaign, EMAILS[6], held_for_review=True)
    _signature(open_campaign, EMAILS[7], merged_into=organization)
    for n in range(4):  # enough for several pages of the list (see the tests' page size)
        _signature(open_campaign, f"filler{n}.signer@private-mail.example", state="WA")

    closed = make_campaign(title="Closed letter", status=Campaign.Status.CLOSED)
    _signature(closed, EMAILS[10])
    # Listed alphabetically: lists in this order may show places next to names.
    delivered = make_campaign(
        title="Delivered letter",
        status=Campaign.Status.DELIVERED,
        allows_individuals=True,
        signer_order=Campaign.SignerOrder.ALPHABETICAL,
    )
    _signature(delivered, EMAILS[8])
    _signature(
        delivered,
        EMAILS[12],
        kind=Signature.Kind.INDIVIDUAL,
        organization_name="",
        organization_key="",
        signer_name=PRIVATE_NAMES[1],
        listed_anonymously=True,
        public_descriptor="A person with lived experience",
        city=HIDDEN_CITY,
    )
    _deliver(delivered)
    archived = make_campaign(title="Archived letter", status=Campaign.Status.DELIVERED)
    _signature(archived, EMAILS[9])
    archived = campaign_archive(campaign=archived, actor=None)
    make_campaign(title="Draft letter", status=Campaign.Status.DRAFT)

    newest = open_campaign.versions.order_by("-number").first()
    tokens = signer_link_tokens(pending=pending, public=organization, version=newest)
    return World(
        open=open_campaign,
        closed=closed,
        delivered=delivered,
        archived=archived,
        partner=partner,
        public_signature=organization,
        pending=pending,
        tokens=tokens,
    )


def _deliver(campaign: Campaign) -> None:
    """Send the campaign's letter (built and "sent" inline) to an office by email and to one
    by post, so that its receipt lists copies and their PDFs can be fetched."""
    from campaigns.delivery import delivery_run_create, delivery_run_work
    from campaigns.models import CampaignRecipient, Delivery
    from tests.factories import make_legislator

    Campaign.objects.filter(pk=campaign.pk).update(reply_to_email="team@coalition.example")
    campaign.refresh_from_db()
    for name, email in (
        ("Receipt Office Email", "office@leg.example"),
        ("Receipt Office Post", ""),
    ):
        legislator = make_legislator(name=name, email=email)
        CampaignRecipient.objects.create(campaign=campaign, legislator=legislator)
    run = delivery_run_create(campaign=campaign, actor=None)
    delivery_run_work(run_id=run.pk)
    Delivery.objects.filter(run=run, channel=Delivery.Channel.PRINT).update(
        status=Delivery.Status.MAILED, sent_at=timezone.now()
    )


def _delivered_pdfs(world: World) -> list[str]:
    from campaigns.selectors import delivery_receipt

    return [
        reverse("campaigns:receipt-pdf", kwargs={"slug": c.slug, "sha256": copy.pdf_sha256})
        for c in world.campaigns
        for copy in delivery_receipt(campaign=c).copies
    ]


def _each_campaign(name: str, **extra) -> Callable[[World], list[str]]:
    return lambda w: [reverse(name, kwargs={"slug": c.slug, **extra}) for c in w.campaigns]


def _signer_pages(world: World) -> list[str]:
    from django.conf import settings

    from signatories.selectors import public_list_num_pages, signature_count_public

    urls = []
    for campaign in world.campaigns:
        count = signature_count_public(campaign=campaign)
        pages = public_list_num_pages(count=count, page_size=settings.SIGNER_LIST_PAGE_SIZE)
        base = reverse("signatories:signers", kwargs={"slug": campaign.slug})
        urls += [f"{base}?page={n}" for n in range(1, pages + 1)]
    return urls


def _versions(world: World) -> list[str]:
    return [
        reverse("campaigns:version", kwargs={"slug": c.slug, "number": v.number})
        for c in world.campaigns
        for v in c.versions.all()
    ]


def _token(name: str, purpose: str) -> Callable[[World], list[str]]:
    return lambda w: [reverse(name, kwargs={"token": w.tokens[purpose]})]


def _page(name: str) -> Callable[[World], list[str]]:
    return lambda w: [reverse(name)]


# How to reach every public URL pattern, by its name (namespace:name).
PUBLIC_URLS: dict[str, Callable[[World], list[str]]] = {
    "healthz": _page("healthz"),
    "campaigns:home": _page("campaigns:home"),
    "campaigns:detail": lambda w: [
        *_each_campaign("campaigns:detail")(w),
        w.open.get_absolute_url() + f"?via={w.partner.code}",
    ],
    "campaigns:versions": _each_campaign("campaigns:versions"),
    "campaigns:version": _versions,
    "signatories:sign": _each_campaign("signatories:sign"),
    "signatories:signed": _each_campaign("signatories:signed"),
    "signatories:signers": _signer_pages,
    "signatories:json": _each_campaign("signatories:json"),
    "signatories:confirm-by-code": _page("signatories:confirm-by-code"),
    "signatories:confirm": _token("signatories:confirm", "confirm"),
    "signatories:withdraw": _token("signatories:withdraw", "withdraw"),
    "signatories:reconfirm": _token("signatories:reconfirm", "reconfirm"),
    "signatories:resend": _page("signatories:resend"),
    "privacy:policy": _page("privacy:policy"),
    "privacy:request": _page("privacy:request"),
    "privacy:copy": _token("privacy:copy", "data_request"),
    "privacy:erase": _token("privacy:erase", "erasure"),
    # The language switcher: a redirect to the same page in the other language.
    "language:switch": lambda w: [
        reverse("language:switch", kwargs={"code": "es"}) + f"?next={w.open.get_absolute_url()}"
    ],
    "campaigns:receipt": _each_campaign("campaigns:receipt"),
    "campaigns:receipt-pdf": _delivered_pdfs,
}

# Patterns outside the private areas that anonymous visitors still cannot read: the
# reason, and a URL to check that they get a sign-in redirect or a 404.
NOT_PUBLIC: dict[str, tuple[str, Callable[[World], str]]] = {
    "campaigns:pdf-preview": (
        "the lead's PDF preview needs a role on the campaign",
        lambda w: reverse("campaigns:pdf-preview", kwargs={"slug": w.open.slug}),
    ),
}


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield route, f"{namespace}{pattern.name}" if pattern.name else route


def url_patterns() -> list[tuple[str, str]]:
    """(route, name) of every URL pattern of the site."""
    return list(_walk(get_resolver().url_patterns))


def public_url_names() -> set[str]:
    """Names of the patterns outside the private areas: each is public unless NOT_PUBLIC."""
    return {
        name
        for route, name in url_patterns()
        if not route.lstrip("^").startswith(tuple(PRIVATE_AREAS))
    }


def signer_link_tokens(*, pending, public, version) -> dict[str, str]:
    """A live token of each kind a signer receives by email: confirm (for `pending`), then
    withdraw, re-confirm (for `version`), data request and erasure (for `public`)."""
    day = timedelta(days=1)
    return {
        "confirm": verification.token_issue(
            signature=pending, purpose="confirm", lifetime=day, with_code=True
        ).token,
        "withdraw": verification.token_issue(
            signature=public, purpose="withdraw", lifetime=None
        ).token,
        "reconfirm": verification.token_issue(
            signature=public,
            purpose="reconfirm",
            lifetime=None,
            letter_version=version,
            expires_at=timezone.now() + day,
        ).token,
        "data_request": verification.token_issue(
            signature=public, purpose="data_request", lifetime=day
        ).token,
        "erasure": verification.token_issue(
            signature=public, purpose="erasure", lifetime=day
        ).token,
    }
