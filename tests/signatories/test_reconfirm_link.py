"""The re-confirmation email's link (campaigns.reconfirmation) runs on sign-on tokens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import LetterVersion
from campaigns.services import letter_edit
from signatories.models import Signature, SignatureToken
from tests.factories import make_campaign, make_signature, make_user

from .conftest import link_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def asked(outbox, run_on_commit):
    """A signer of version 1 asked to re-confirm a substantive version 2."""
    lead = make_user()
    campaign = make_campaign(owner=lead)
    signature = make_signature(campaign=campaign, organization_name="Keeps", email="k@a.example")
    with run_on_commit():
        version = letter_edit(
            campaign=campaign,
            actor=lead,
            title="Test letter",
            body="We ask you to act NOW.",
            change=LetterVersion.Change.SUBSTANTIVE,
            reconfirm_deadline=timezone.now() + timedelta(days=7),
        )
    (message,) = outbox
    return signature, version, link_in(message, "reconfirm")


def test_the_emailed_link_reconfirms_with_a_post_only(client, asked):
    signature, version, path = asked
    page = client.get(path)
    assert page.status_code == 200
    assert "I still sign the revised letter" in page.content.decode()
    signature.refresh_from_db()
    assert signature.letter_version.number == 1
    done = client.post(path)
    assert "your signature stands" in done.content.decode()
    signature.refresh_from_db()
    assert signature.letter_version == version
    assert signature.reconfirmed_at is not None
    assert client.post(path).status_code == 410  # single use


def test_the_link_expires_at_the_deadline(client, asked):
    signature, version, path = asked
    token = SignatureToken.objects.get(purpose="reconfirm")
    assert token.expires_at == version.reconfirm_deadline
    assert token.letter_version == version
    SignatureToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(path).status_code == 410
    signature.refresh_from_db()
    assert signature.letter_version.number == 1


def test_a_withdrawn_signer_cannot_reconfirm(client, asked):
    signature, _version, path = asked
    Signature.objects.filter(pk=signature.pk).update(status=Signature.Status.WITHDRAWN)
    response = client.post(path)
    assert response.status_code == 410
    assert "withdrawn" in response.content.decode()
