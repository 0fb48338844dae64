"""Demo data for a first look: two campaigns, 150 signing organizations, one lead account,
and eight fictional Washington legislators (`demo_legislators/`, Open States' format), to
whom the closed campaign is addressed so that a lead can try sending it.

`demo_load()` is idempotent: what already exists is left exactly as it is.
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from signatories.models import Signature
from signatories.normalize import organization_key

from .importers import legislators_import_openstates
from .models import Campaign, Legislator, PartnerLink
from .services import campaign_create, recipients_add

DEMO_LEAD_EMAIL = "lead@example.org"
DEMO_LEAD_PASSWORD = "common-ground-demo"  # noqa: S105 - printed by `make run` on purpose

# Imported only into an empty directory: a real import retires them (they are not in it),
# and loading the demo again must not retire the real ones.
DEMO_LEGISLATORS = Path(__file__).parent / "demo_legislators"

OPEN_SLUG = "safety-first"
CLOSED_SLUG = "survivor-housing-2026"

OPEN_LETTER = """\
To the members of our state legislatures and of the United States Congress:

We are organizations that do not always agree. Some of us were founded to fight human
trafficking; others to defend the rights and safety of people who trade sex. We have argued
in public, sometimes sharply. Yet in our daily work (answering hotline calls, finding
emergency beds, sitting beside people in courtrooms) we keep arriving at the same
conclusions about what makes people safer and what puts them in danger.

This letter sets out four recommendations that all of us support. They rest on values we
share: that every person deserves dignity, that no one should face violence because of how
they survive, and that public policy should be judged by what it does to the people it
claims to protect.

## STOP TREATING PEOPLE WHO SELL SEX AS CRIMINALS

Criminal charges against the people who sell sex do not reduce exploitation. Instead they:

- leave people with records that shut them out of housing, jobs and school;
- hand traffickers and abusive partners a ready threat to keep people quiet;
- push the work further out of sight, where violence is harder to report.

Money spent on these arrests would do more good in shelters, legal aid and health care
chosen by the people who need them.

## BAN SEXUAL CONTACT BETWEEN OFFICERS AND THE PEOPLE THEY INVESTIGATE

No officer should be allowed sexual contact with a person they are investigating or might
arrest. Where the law is silent on this:

- survivors learn that the people sent to help them can harm them;
- crimes go unreported, because reporting feels unsafe;
- investigations lose the trust they depend on.

A clear ban in statute, with real consequences, is the least the law should say.

## LET PEOPLE REPORT VIOLENCE WITHOUT FEAR OF ARREST

People in the sex trades are often the first to see exploitation and the last to report
it, because coming forward can mean their own arrest. Protection from prosecution for
those who report a crime:

- helps investigators reach the people who are actually causing harm;
- lets survivors seek medical care and legal help without risk;
- takes away a tool of control that exploiters rely on.

## GIVE SURVIVORS A REAL PATH TO CLEAR THEIR RECORDS

A conviction that grew out of being exploited should not follow a survivor for life.
Record-relief laws should:

- cover every offense connected to the exploitation, not only prostitution charges;
- be free, simple, and usable without a lawyer;
- protect immigrant survivors from the further harm of deportation.

Exploitation grows where people have no safe place to live, no fair wage and no one they
can trust. Arrests do not change those conditions; investment does. We ask you to act on
these recommendations in the coming session, and we stand ready to help.

Respectfully,

The undersigned organizations
"""

CLOSED_LETTER = """\
To the Appropriations Committees:

Emergency and transitional housing is the first thing survivors of trafficking ask us
for, and the thing we can least often provide. We ask you to fund survivor housing in
this year's budget.

## FUND BEDS WHERE PEOPLE ARE

- Most counties in our states have no shelter bed set aside for survivors.
- People who must travel far from their community to find a bed often return to danger.

## FUND THEM FOR MORE THAN A NIGHT

- Recovery takes months, not days; grants should pay for stays of up to two years.

Thank you for your attention to this request.
"""

# (city, state) pairs for 25 states; each gets six organizations.
PLACES = [
    ("Seattle", "WA"),
    ("Spokane", "WA"),
    ("Portland", "OR"),
    ("Oakland", "CA"),
    ("Los Angeles", "CA"),
    ("Fresno", "CA"),
    ("Las Vegas", "NV"),
    ("Phoenix", "AZ"),
    ("Albuquerque", "NM"),
    ("Denver", "CO"),
    ("Salt Lake City", "UT"),
    ("Austin", "TX"),
    ("Houston", "TX"),
    ("Oklahoma City", "OK"),
    ("Omaha", "NE"),
    ("Minneapolis", "MN"),
    ("Chicago", "IL"),
    ("Detroit", "MI"),
    ("Dearborn", "MI"),
    ("Columbus", "OH"),
    ("Atlanta", "GA"),
    ("Miami", "FL"),
    ("New Orleans", "LA"),
    ("Nashville", "TN"),
    ("Baltimore", "MD"),
    ("Washington", "DC"),
    ("Philadelphia", "PA"),
    ("Newark", "NJ"),
    ("New York", "NY"),
    ("Brooklyn", "NY"),
    ("Boston", "MA"),
    ("Providence", "RI"),
]

NAME_PATTERNS = [
    "{city} Coalition Against Trafficking",
    "{city} Survivors' Alliance",
    "Sex Workers Outreach Project – {city}",
    "{city} Women's Shelter Network",
    "{city} Legal Aid Collective",
    "{city} Harm Reduction Center",
    "{city} Immigrant Rights Project",
    "{city} Youth Housing Partnership",
    "{city} Interfaith Justice Council",
    "{city} Community Health Cooperative",
]

# Names that test our typography and fonts: accents, Arabic, CJK and a very long one.
SPECIAL_NAMES = [
    ("Asociación de Trabajadoras del Hogar de Nuevo México", "Albuquerque", "NM"),
    ("Fédération des Survivantes de la Louisiane", "New Orleans", "LA"),
    ("Centro Comunitário São João", "Newark", "NJ"),
    ("Ñuu Savi Women's Collective", "Fresno", "CA"),
    ("Zoë Müller Foundation for Safe Housing", "Minneapolis", "MN"),
    ("جمعية الأمل لدعم الناجيات", "Dearborn", "MI"),
    ("华人妇女互助会", "New York", "NY"),
    ("한인 여성 쉼터 네트워크", "Los Angeles", "CA"),
    ("日系コミュニティ支援センター", "Seattle", "WA"),
    (
        "The Greater Northwestern Interfaith Partnership for Housing, Health, Dignity and "
        "Economic Justice for Survivors of Exploitation and Their Families",
        "Portland",
        "OR",
    ),
]

LEAD_ORGANIZATIONS = {
    "Seattle Coalition Against Trafficking",
    "Sex Workers Outreach Project – Chicago",
}


@dataclass(frozen=True)
class DemoSummary:
    created_campaigns: int
    created_signatures: int
    created_lead: bool
    created_legislators: int


def demo_organizations(count: int = 150) -> list[tuple[str, str, str]]:
    """Deterministic (name, city, state) triples: the special names, then generated ones."""
    orgs = list(SPECIAL_NAMES)
    seen = {name for name, _, _ in orgs}
    pattern_index = 0
    while len(orgs) < count:
        city, state = PLACES[pattern_index % len(PLACES)]
        name = NAME_PATTERNS[(pattern_index // len(PLACES)) % len(NAME_PATTERNS)].format(city=city)
        pattern_index += 1
        if name not in seen:
            seen.add(name)
            orgs.append((name, city, state))
    return orgs[:count]


def _demo_lead():
    User = get_user_model()
    user = User.objects.filter(email=DEMO_LEAD_EMAIL).first()
    if user is not None:
        return user, False
    user = User.objects.create_user(
        username=DEMO_LEAD_EMAIL,
        email=DEMO_LEAD_EMAIL,
        password=DEMO_LEAD_PASSWORD,
        first_name="Demo",
        last_name="Lead",
        is_staff=True,
        is_superuser=True,
    )
    EmailAddress.objects.create(user=user, email=DEMO_LEAD_EMAIL, verified=True, primary=True)
    return user, True


def _signature(campaign, version, index, name, city, state, created_at) -> Signature:
    return Signature(
        campaign=campaign,
        kind=Signature.Kind.ORGANIZATION,
        status=Signature.Status.VERIFIED,
        organization_name=name,
        organization_key=organization_key(name),
        city=city,
        state=state,
        country="US",
        is_lead_organization=name in LEAD_ORGANIZATIONS,
        signer_name=f"Demo Signer {index}",
        signer_title="Executive Director",
        email=f"demo-signer-{index:03d}@example.org",
        email_canonical=f"demo-signer-{index:03d}@example.org",
        consent_listed=True,
        authorized=True,
        letter_version=version,
        letter_sha256=version.sha256,
        created_at=created_at,
        verified_at=created_at + timedelta(minutes=7),
    )


def _add_signatures(campaign, organizations, *, start_index, rng, days) -> int:
    version = campaign.versions.order_by("-number").first()
    now = timezone.now()
    signatures = []
    for offset, (name, city, state) in enumerate(organizations):
        created_at = now - timedelta(days=rng.uniform(0.5, days))
        signatures.append(
            _signature(campaign, version, start_index + offset, name, city, state, created_at)
        )
    Signature.objects.bulk_create(signatures)
    return len(signatures)


def _add_partner_links(campaign, *, rng) -> None:
    """Two coalition partners' recruiting links, credited with some of the demo signers."""
    links = [
        PartnerLink.objects.create(campaign=campaign, code=code, name=name)
        for code, name in [
            ("swop", "Sex Workers Outreach Project"),
            ("survivors", "Survivors' Alliance Network"),
        ]
    ]
    ids = list(campaign.signatures.order_by("pk").values_list("pk", flat=True))
    for link, share in zip(links, (30, 18), strict=True):
        chosen = rng.sample(ids, share)
        ids = [pk for pk in ids if pk not in chosen]
        Signature.objects.filter(pk__in=chosen).update(partner_link=link)


@transaction.atomic
def demo_load() -> DemoSummary:
    rng = random.Random(2026)
    lead, created_lead = _demo_lead()
    created_campaigns = created_signatures = 0
    now = timezone.now()

    if not Campaign.objects.filter(slug=OPEN_SLUG).exists():
        campaign = campaign_create(
            slug=OPEN_SLUG,
            title="Safety First: Shared Recommendations on Exploitation and the Sex Trades",
            summary=(
                "Anti-trafficking and sex-worker-rights organizations agree on four steps "
                "that would make people safer. Add your organization's name."
            ),
            letter_body=OPEN_LETTER,
            owner=lead,
            status=Campaign.Status.OPEN,
            signon_deadline=now + timedelta(days=45),
            goal=300,
            requires_approval=False,
            allows_individuals=True,
            reply_to_email="coalition@example.org",
            postal_address="Common Ground Coalition, 100 Example Street, Seattle, WA 98101",
        )
        created_campaigns += 1
        created_signatures += _add_signatures(
            campaign, demo_organizations(150), start_index=1, rng=rng, days=30
        )
        _add_partner_links(campaign, rng=rng)

    if not Campaign.objects.filter(slug=CLOSED_SLUG).exists():
        campaign = campaign_create(
            slug=CLOSED_SLUG,
            title="Fund Survivor Housing in the 2026 Budget",
            summary="A short request to appropriators, closed for signatures.",
            letter_body=CLOSED_LETTER,
            owner=lead,
            status=Campaign.Status.CLOSED,
            signon_deadline=now - timedelta(days=10),
            reply_to_email="coalition@example.org",
            postal_address="Common Ground Coalition, 100 Example Street, Seattle, WA 98101",
        )
        created_campaigns += 1
        created_signatures += _add_signatures(
            campaign, demo_organizations(150)[10:22], start_index=501, rng=rng, days=60
        )

    created_legislators = 0
    if not Legislator.objects.exists():
        created_legislators = legislators_import_openstates(path=DEMO_LEGISLATORS).created
        closed = Campaign.objects.get(slug=CLOSED_SLUG)
        recipients_add(campaign=closed, legislators=Legislator.objects.all())  # the demo's

    return DemoSummary(created_campaigns, created_signatures, created_lead, created_legislators)
