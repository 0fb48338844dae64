"""Races on PostgreSQL: threads with their own database connections, released together.

- 50 identical sign-ons at once (the whole request, through the test client): one
  signature, one email, the same answer to each.
- Sign-ons of one organization from different addresses: listed once.
- A lead approving (or undoing an approval) while signers withdraw, many rounds: a
  withdrawal always stands, the audit log lists exactly what each action changed, and the
  public list and its cached count agree with the rows.

(Two "Send" clicks racing: tests/campaigns/test_delivery_races.py.)
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client

from campaigns.models import AuditEntry
from signatories import moderation, verification
from signatories.models import Signature
from signatories.selectors import signature_count_public, signatures_public
from signatories.services import SignerData, signature_create, signature_withdraw
from tests.factories import make_campaign, make_signature, make_user

from .conftest import ORIGIN, signon_form

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
]

Status = Signature.Status


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


def _at_once(*calls):
    """Run each call in its own thread, released together; what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as error:  # reported by the callers' assertions
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not [thread for thread in threads if thread.is_alive()]
    return results


def _errors(results) -> list:
    return [result for result in results if isinstance(result, Exception)]


@pytest.fixture(autouse=True)
def _no_limits(settings):
    settings.SIGNON_LIMIT_PER_IP = 0
    settings.SIGNON_LIMIT_PER_EMAIL = 0


def test_fifty_identical_sign_ons_at_once_leave_one_signature_and_send_one_email(
    mailoutbox, settings
):
    settings.SIGNER_EMAIL_INTERVAL_SECONDS = 60
    campaign = make_campaign()
    url = f"/c/{campaign.slug}/sign/"

    def post(index):
        response = Client().post(
            url, signon_form(), HTTP_ORIGIN=ORIGIN, REMOTE_ADDR=f"10.0.1.{index}"
        )
        return response.status_code, response["Location"], response.content

    results = _at_once(*(lambda i=i: post(i) for i in range(50)))
    assert not _errors(results), _errors(results)
    assert set(results) == {(303, f"/c/{campaign.slug}/signed/", b"")}
    assert Signature.objects.count() == 1
    # One email: the repeats fall within the interval between emails about one signature.
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ana@harborlight.example"]


def test_racing_sign_ons_with_one_email_spelled_differently_leave_one_signature(
    mailoutbox, settings
):
    settings.SIGNER_EMAIL_INTERVAL_SECONDS = 60
    campaign = make_campaign()
    emails = ["ana@harborlight.example", "ANA@harborlight.example", " Ana@HarborLight.Example "]
    signers = [_signer(emails[i % 3]) for i in range(12)]
    results = _at_once(
        *(
            lambda i=i, data=data: signature_create(campaign=campaign, data=data, ip=f"10.0.0.{i}")
            for i, data in enumerate(signers)
        )
    )
    assert not _errors(results), results
    assert Signature.objects.count() == 1
    assert sum(r.created for r in results) == 1
    assert {r.signature.pk for r in results} == {Signature.objects.get().pk}
    assert len(mailoutbox) == 1


def test_racing_sign_ons_of_one_organization_list_it_once():
    campaign = make_campaign()
    signers = [_signer(f"person{i}@harborlight.example") for i in range(6)]
    results = _at_once(
        *(
            lambda i=i, data=data: signature_create(campaign=campaign, data=data, ip=f"10.0.0.{i}")
            for i, data in enumerate(signers)
        )
    )
    assert not _errors(results), results
    assert Signature.objects.count() == 6
    assert Signature.objects.filter(possible_duplicate_of__isnull=True).count() == 1


# --- Moderation racing withdrawals -----------------------------------------------------------

ROUNDS = 15
SIGNERS = 4  # per round; two of them withdraw while the lead acts on all of them


def _withdraw_token(signature) -> str:
    return verification.token_issue(
        signature=signature, purpose=verification.Purpose.WITHDRAW, lifetime=None
    ).token


def _round_world(lead):
    campaign = make_campaign(owner=lead, requires_approval=True)
    signatures = [make_signature(campaign=campaign) for _ in range(SIGNERS)]
    tokens = {s.pk: _withdraw_token(s) for s in signatures[:2]}
    return campaign, signatures, tokens


def _ids(groups: dict, value: str) -> set[int]:
    return set(groups.get(value, []))


def _assert_consistent(campaign, withdrawn_ids: set[int]) -> None:
    """Withdrawals stand and are never public; the list and its cached count agree."""
    for signature in Signature.objects.filter(pk__in=withdrawn_ids):
        assert signature.status == Status.WITHDRAWN, signature.pk
        assert signature.withdrawn_at is not None
    public_ids = set(signatures_public(campaign=campaign).values_list("pk", flat=True))
    assert not public_ids & withdrawn_ids
    assert public_ids == set(
        Signature.objects.filter(campaign=campaign, status=Status.APPROVED).values_list(
            "pk", flat=True
        )
    )
    assert signature_count_public(campaign=campaign) == len(public_ids)


def test_approving_while_signers_withdraw_never_brings_a_withdrawal_back():
    lead = make_user()
    for _ in range(ROUNDS):
        campaign, signatures, tokens = _round_world(lead)
        selection = Signature.objects.filter(campaign=campaign)
        results = _at_once(
            lambda campaign=campaign, selection=selection: moderation.signatures_approve(
                campaign=campaign, actor=lead, selection=selection
            ),
            *(lambda token=token: signature_withdraw(token=token) for token in tokens.values()),
        )
        assert not _errors(results), results
        approval, *withdrawals = results
        assert all(not w.already_withdrawn for w in withdrawals)
        withdrawn_ids = set(tokens)
        _assert_consistent(campaign, withdrawn_ids)

        # The audit entry lists exactly what the approval changed, from verified to approved.
        entry = AuditEntry.objects.get(campaign=campaign, action="signatures.approve")
        approved_ids = _ids(entry.after["status"], Status.APPROVED)
        assert _ids(entry.before["status"], Status.VERIFIED) == approved_ids
        assert len(approved_ids) == approval.changed
        assert approval.changed + approval.skipped == SIGNERS
        others = {s.pk for s in signatures} - withdrawn_ids
        assert others <= approved_ids  # nobody else was in the way
        for signature in Signature.objects.filter(pk__in=withdrawn_ids):
            # Approved before it was withdrawn, or skipped because it already was.
            assert (signature.pk in approved_ids) == (signature.decided_at is not None)


def test_undoing_an_approval_while_signers_withdraw_never_brings_a_withdrawal_back():
    lead = make_user()
    for _ in range(ROUNDS):
        campaign, signatures, tokens = _round_world(lead)
        moderation.signatures_approve(
            campaign=campaign, actor=lead, selection=Signature.objects.filter(campaign=campaign)
        )
        results = _at_once(
            lambda campaign=campaign: moderation.bulk_action_undo(campaign=campaign, actor=lead),
            *(lambda token=token: signature_withdraw(token=token) for token in tokens.values()),
        )
        assert not _errors(results), results
        undo, *_withdrawals = results
        withdrawn_ids = set(tokens)
        _assert_consistent(campaign, withdrawn_ids)
        others = {s.pk for s in signatures} - withdrawn_ids
        assert set(Signature.objects.filter(pk__in=others).values_list("status", flat=True)) == {
            Status.VERIFIED
        }

        # The undo's entry lists exactly the signatures it put back.
        entry = AuditEntry.objects.get(campaign=campaign, action=moderation.UNDO_ACTION)
        restored_ids = _ids(entry.after["status"], Status.VERIFIED)
        assert _ids(entry.before["status"], Status.APPROVED) == restored_ids
        assert len(restored_ids) == undo.changed
        assert undo.changed + undo.skipped == SIGNERS
        assert entry.after["skipped"] == undo.skipped
        assert others <= restored_ids


def test_a_withdrawal_racing_an_approval_is_withdrawn_for_good_after_many_rounds_of_both():
    # One signer, a lead who approves, rejects and restores in turn while the signer
    # withdraws: whatever the order, the signature ends withdrawn and off the list.
    lead = make_user()
    actions = [moderation.signatures_approve, moderation.signatures_reject]
    for round_number in range(ROUNDS):
        campaign = make_campaign(owner=lead, requires_approval=True)
        signature = make_signature(campaign=campaign)
        token = _withdraw_token(signature)
        action = actions[round_number % 2]
        selection = Signature.objects.filter(pk=signature.pk)
        results = _at_once(
            lambda action=action, selection=selection, campaign=campaign: action(
                campaign=campaign, actor=lead, selection=selection
            ),
            lambda token=token: signature_withdraw(token=token),
        )
        assert not _errors(results), results
        _assert_consistent(campaign, {signature.pk})
        restored = moderation.signatures_restore(campaign=campaign, actor=lead, selection=selection)
        assert restored.changed == 0
        signature.refresh_from_db()
        assert signature.status == Status.WITHDRAWN
        assert signature.withdrawn_at > signature.created_at - timedelta(seconds=1)
