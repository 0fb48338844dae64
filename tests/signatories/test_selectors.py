import pytest

from signatories.models import Signature
from signatories.selectors import signatures_public
from tests.factories import make_campaign, make_signature


@pytest.mark.django_db
def test_public_list_shows_verified_signers_in_print_order():
    campaign = make_campaign()
    b = make_signature(campaign=campaign, organization_name="B Org", state="WA")
    a = make_signature(campaign=campaign, organization_name="A Org", state="WA")
    ny = make_signature(campaign=campaign, organization_name="Z Org", state="NY")
    lead = make_signature(
        campaign=campaign, organization_name="Lead", state="WA", is_lead_organization=True
    )
    person = make_signature(campaign=campaign, kind=Signature.Kind.INDIVIDUAL, state="AK")
    make_signature(campaign=campaign, status=Signature.Status.PENDING)
    make_signature(campaign=campaign, status=Signature.Status.WITHDRAWN)
    make_signature(campaign=campaign, status=Signature.Status.REJECTED)
    make_signature(campaign=campaign, consent_listed=False)
    make_signature(campaign=campaign, merged_into=a)
    assert list(signatures_public(campaign=campaign)) == [lead, ny, a, b, person]


@pytest.mark.django_db
def test_with_approval_required_only_approved_signers_are_public():
    campaign = make_campaign(requires_approval=True)
    make_signature(campaign=campaign, status=Signature.Status.VERIFIED)
    approved = make_signature(campaign=campaign, status=Signature.Status.APPROVED)
    assert list(signatures_public(campaign=campaign)) == [approved]


@pytest.mark.django_db
def test_pages_of_the_public_list_follow_the_print_order_whatever_the_page_size():
    """Pages query only their own groups (kind, country, state): the groups' order, worked
    out in Python, must be the database's order of the whole list."""
    from signatories.selectors import (
        public_list_groups,
        public_list_page,
        public_signers,
        signature_count_public,
    )

    campaign = make_campaign(allows_individuals=True)
    places = [
        ("US", "WA"), ("US", "IA"), ("US", "ID"), ("US", "DC"), ("US", "VI"), ("US", "ZZ"),
        ("CA", "Ontario"), ("CA", "Québec"), ("MX", "Ciudad de México"), ("DE", ""),
        ("JP", "東京都"), ("US", "")
    ]  # fmt: skip
    names = ["Zeta", "alpha", "Émile House", "beta", "Ärzte Hilfe", "Omega", "Dos"]
    n = 0
    for country, state in places:
        for name in names:
            n += 1
            make_signature(
                campaign=campaign,
                organization_name=f"{name} {n % 3}",
                country=country,
                state=state,
                is_lead_organization=n % 11 == 0,
            )
    for i, (country, state) in enumerate(places[:4]):
        make_signature(
            campaign=campaign,
            kind=Signature.Kind.INDIVIDUAL,
            organization_name="",
            signer_name=f"Person {i}",
            country=country,
            state=state,
        )
    everyone = [(s.name, s.country, s.state) for s in public_signers(campaign=campaign)]
    assert signature_count_public(campaign=campaign) == len(everyone)
    assert sum(g.count for g in public_list_groups(campaign=campaign)) == len(everyone)
    for page_size in (1, 5, 7, 30, 500):
        paged = []
        number = 1
        while True:
            page = public_list_page(campaign=campaign, number=number, page_size=page_size)
            for signer in page.leads + page.individuals:
                paged.append((signer.name, signer.country, signer.state))
            for group in page.organizations:
                paged += [(s.name, s.country, s.state) for s in group.signers]
            if not page.has_next:
                break
            number += 1
        # A page shows its leads, organizations and individuals apart: with one signer a
        # page, the pages are the print order itself.
        if page_size == 1:
            assert paged == everyone
        assert sorted(paged) == sorted(everyone), page_size
