"""Concurrent sign-ons on PostgreSQL: threads with their own database connections."""

import threading

import pytest
from django.db import connection

from signatories.models import Signature
from signatories.services import SignerData, signature_create
from tests.factories import make_campaign

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]


def _signer(email: str, organization: str = "Harbor Light Collective") -> SignerData:
    return SignerData(
        kind="organization",
        organization_name=organization,
        signer_name="Ana Ruiz",
        signer_title="Director",
        email=email,
        city="Tacoma",
        state="WA",
        country="US",
        authorized=True,
    )


def _race(campaign, signers):
    """Start one thread per signer at the same instant; return what each got or raised."""
    barrier = threading.Barrier(len(signers))
    results = [None] * len(signers)

    def run(index, data):
        try:
            barrier.wait(timeout=10)
            results[index] = signature_create(campaign=campaign, data=data, ip=f"10.0.0.{index}")
        except Exception as error:  # reported by the assertion below
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(signers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.fixture(autouse=True)
def _no_limits(settings):
    settings.SIGNON_LIMIT_PER_IP = 0
    settings.SIGNON_LIMIT_PER_EMAIL = 0


def test_racing_sign_ons_with_one_email_leave_exactly_one_signature(mailoutbox, settings):
    settings.SIGNER_EMAIL_INTERVAL_SECONDS = 60
    campaign = make_campaign()
    emails = ["ana@harborlight.example", "ANA@harborlight.example", " Ana@HarborLight.Example "]
    results = _race(campaign, [_signer(emails[i % 3]) for i in range(12)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Signature.objects.count() == 1
    assert sum(r.created for r in results) == 1
    assert {r.signature.pk for r in results} == {Signature.objects.get().pk}
    # One email: the repeats fall within the interval between emails about one signature.
    assert len(mailoutbox) == 1


def test_racing_sign_ons_of_one_organization_list_it_once(settings):
    campaign = make_campaign()
    results = _race(campaign, [_signer(f"person{i}@harborlight.example") for i in range(6)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Signature.objects.count() == 6
    assert Signature.objects.filter(possible_duplicate_of__isnull=True).count() == 1
