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
