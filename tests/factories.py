"""Small hand-written factories: each makes one valid object and takes overrides."""

import itertools

from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns.models import Campaign, CampaignRecipient, Legislator
from campaigns.services import campaign_create
from signatories.models import Signature
from signatories.normalize import organization_key

_numbers = itertools.count(1)

LETTER = """\
To the legislature:

We ask you to act.

## FIRST RECOMMENDATION

- It helps people.
- It costs little.

Sincerely, the undersigned
"""


def make_user(*, email=None, password="a-long-test-password", **fields):
    n = next(_numbers)
    email = email or f"lead{n}@example.org"
    return get_user_model().objects.create_user(
        username=email, email=email, password=password, **fields
    )


def make_campaign(*, slug=None, title="Test letter", body=LETTER, owner=None, **fields):
    n = next(_numbers)
    fields.setdefault("status", Campaign.Status.OPEN)
    return campaign_create(
        slug=slug or f"campaign-{n}", title=title, letter_body=body, owner=owner, **fields
    )


def make_signature(*, campaign, **fields):
    n = next(_numbers)
    version = campaign.versions.order_by("-number").first()
    name = fields.pop("organization_name", f"Organization {n}")
    email = fields.pop("email", f"signer{n}@example.org")
    defaults = {
        "kind": Signature.Kind.ORGANIZATION,
        "status": Signature.Status.VERIFIED,
        "organization_name": name,
        "organization_key": organization_key(name),
        "signer_name": f"Signer {n}",
        "email": email,
        "email_canonical": email.strip().lower(),
        "city": "Seattle",
        "state": "WA",
        "consent_listed": True,
        "authorized": True,
        "letter_version": version,
        "letter_sha256": version.sha256,
    }
    defaults.update(fields)
    return Signature.objects.create(campaign=campaign, **defaults)


def make_legislator(**fields):
    n = next(_numbers)
    defaults = {
        "source": Legislator.Source.OPENSTATES,
        "source_id": f"ocd-person/test-{n}",
        "name": f"Legislator {n}",
        "sort_name": f"Legislator {n}",
        "title": "Senator",
        "jurisdiction": "wa",
        "jurisdiction_name": "Washington",
        "state": "WA",
        "chamber": Legislator.Chamber.UPPER,
        "district": str(n),
        "party": "Democratic",
        "email": f"legislator{n}@example.org",
        "source_hash": "0" * 64,
    }
    defaults.update(fields)
    return Legislator.objects.create(**defaults)


def make_recipients(*, campaign, count: int, tag: str) -> None:
    """`count` offices with an email (Washington senators "Member 000"...), chosen as the
    campaign's recipients: two bulk inserts, for tests and benchmarks of many offices."""
    now = timezone.now()
    legislators = Legislator.objects.bulk_create(
        Legislator(
            source=Legislator.Source.OPENSTATES,
            source_id=f"ocd-person/{tag}-{n}",
            name=f"Member {n:03d}",
            family_name=f"Member{n:03d}",
            sort_name=f"Member {n:03d}",
            title="Senator",
            body="Washington State Senate",
            jurisdiction="wa",
            jurisdiction_name="Washington",
            state="WA",
            chamber=Legislator.Chamber.UPPER,
            district=str(n),
            email=f"office{n:03d}@leg.example",
            offices=[{"classification": "capitol", "address": "PO Box 40400, Olympia, WA 98504"}],
            source_hash="0" * 64,
            imported_at=now,
            updated_at=now,
        )
        for n in range(count)
    )
    if not all(legislator.pk for legislator in legislators):  # backends without RETURNING
        legislators = Legislator.objects.filter(source_id__startswith=f"ocd-person/{tag}-")
    CampaignRecipient.objects.bulk_create(
        CampaignRecipient(campaign=campaign, legislator=legislator) for legislator in legislators
    )
