import hmac
from datetime import timedelta
from hashlib import sha256

import pytest
from django.core.cache import cache
from django.utils import timezone

from campaigns.models import Campaign, PartnerLink
from campaigns.services import letter_version_create
from signatories.models import EmailQuota, Signature
from signatories.ratelimit import RateLimited
from signatories.selectors import signature_count_public, signatures_public
from signatories.services import (
    SignerData,
    SignOnClosed,
    signature_confirm,
    signature_confirm_by_code,
    signature_create,
    signature_resend_confirmation,
    signature_withdraw,
    signatures_expire,
)
from signatories.verification import TokenInvalid
from tests.factories import make_campaign, make_signature

from .conftest import code_in, link_in

pytestmark = pytest.mark.django_db


def signer(**overrides) -> SignerData:
    fields = {
        "kind": Signature.Kind.ORGANIZATION,
        "organization_name": "Harbor Light Collective",
        "signer_name": "Ana Ruiz",
        "signer_title": "Director",
        "email": "ana@harborlight.example",
        "city": "Tacoma",
        "state": "WA",
        "country": "US",
        "authorized": True,
    }
    fields.update(overrides)
    return SignerData(**fields)


@pytest.fixture
def create(run_on_commit):
    def create(campaign, **kwargs):
        kwargs.setdefault("data", signer())
        kwargs.setdefault("ip", "203.0.113.7")
        with run_on_commit():
            return signature_create(campaign=campaign, **kwargs)

    return create


def token_of(message, name="confirm"):
    return link_in(message, name).rstrip("/").rsplit("/", 1)[-1]


def test_signing_makes_one_pending_signature_and_sends_one_email(create, outbox):
    campaign = make_campaign(title="Fund shelters")
    result = create(campaign)
    assert result.created
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert len(outbox) == 1
    assert outbox[0].to == ["ana@harborlight.example"]
    assert "Fund shelters" in outbox[0].subject
    assert "/s/confirm/" in outbox[0].body and "/s/withdraw/" in outbox[0].body
    assert list(signatures_public(campaign=campaign)) == []


def test_a_signature_records_version_hash_partner_link_and_only_a_keyed_ip_hash(create, settings):
    settings.IP_HASH_KEY = "a-test-key"
    campaign = make_campaign()
    first = campaign.versions.get()
    second = letter_version_create(campaign=campaign, title="Test letter", body="New text.")
    partner = PartnerLink.objects.create(campaign=campaign, code="harbor", name="Harbor")
    create(campaign, letter_version=first, partner_code="harbor", ip="198.51.100.23")
    signature = Signature.objects.get()
    assert signature.letter_version == first
    assert signature.letter_sha256 == first.sha256 != second.sha256
    assert signature.partner_link == partner
    expected = hmac.new(b"a-test-key", b"198.51.100.23", sha256).hexdigest()
    assert signature.ip_hash == expected
    assert "198.51.100.23" not in str(Signature.objects.values().get())


def test_without_a_version_the_current_letter_is_signed(create):
    campaign = make_campaign()
    current = letter_version_create(campaign=campaign, title="Test letter", body="New text.")
    create(campaign)
    assert Signature.objects.get().letter_version == current


def test_an_unknown_partner_code_is_ignored(create):
    create(make_campaign(), partner_code="nobody")
    assert Signature.objects.get().partner_link is None


@pytest.mark.parametrize(
    "email", ["ana@harborlight.example", "  ANA@HarborLight.Example ", "Ana@harborlight.EXAMPLE."]
)
def test_resigning_with_the_same_email_keeps_one_signature_and_mails_the_owner(
    create, outbox, email
):
    campaign = make_campaign()
    create(campaign)
    again = create(campaign, data=signer(email=email, organization_name="Another name"))
    assert not again.created
    assert Signature.objects.count() == 1
    assert Signature.objects.get().organization_name == "Harbor Light Collective"
    # Still pending: the owner gets a fresh confirmation link.
    assert len(outbox) == 2
    assert outbox[1].to == ["ana@harborlight.example"]
    assert "/s/confirm/" in outbox[1].body


def test_resigning_after_confirming_mails_an_already_signed_note(create, outbox):
    campaign = make_campaign(title="Fund shelters")
    create(campaign)
    signature_confirm(token=token_of(outbox[0]))
    create(campaign, data=signer(email="ANA@harborlight.example"))
    assert Signature.objects.count() == 1
    assert "already signed" in outbox[1].subject
    assert "/s/withdraw/" in outbox[1].body
    assert "/s/confirm/" not in outbox[1].body


def test_the_same_organization_from_another_address_is_held_not_listed(create, outbox):
    campaign = make_campaign()
    create(campaign)
    signature_confirm(token=token_of(outbox[0]))
    other = signer(email="bo@harborlight.example", organization_name="The Harbor-Light Collective")
    create(campaign, data=other)
    first, second = Signature.objects.order_by("pk")
    assert second.possible_duplicate_of == first
    signature_confirm(token=token_of(outbox[1]))
    assert list(signatures_public(campaign=campaign)) == [first]
    assert signature_count_public(campaign=campaign) == 1


def test_the_same_name_in_another_state_is_another_organization(create):
    campaign = make_campaign()
    create(campaign)
    create(campaign, data=signer(email="bo@harborlight.example", state="OR"))
    assert Signature.objects.filter(possible_duplicate_of__isnull=False).count() == 0


def test_a_signer_is_public_only_once_verified(create, outbox, run_on_commit):
    campaign = make_campaign()
    create(campaign)
    assert signature_count_public(campaign=campaign) == 0
    with run_on_commit():
        result = signature_confirm(token=token_of(outbox[0]))
    assert not result.already_confirmed
    assert result.withdraw_token
    assert list(signatures_public(campaign=campaign)) == [Signature.objects.get()]
    assert signature_count_public(campaign=campaign) == 1


def test_with_approval_required_a_verified_signer_waits_for_a_lead(create, outbox):
    campaign = make_campaign(requires_approval=True)
    create(campaign)
    signature_confirm(token=token_of(outbox[0]))
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.VERIFIED
    assert list(signatures_public(campaign=campaign)) == []
    signature.status = Signature.Status.APPROVED
    signature.save()
    assert list(signatures_public(campaign=campaign)) == [signature]


def test_confirming_twice_says_already_confirmed(create, outbox):
    campaign = make_campaign()
    create(campaign)
    token = token_of(outbox[0])
    assert not signature_confirm(token=token).already_confirmed
    again = signature_confirm(token=token)
    assert again.already_confirmed
    assert again.withdraw_token == ""


def test_confirming_by_code(create, outbox):
    create(make_campaign())
    code = code_in(outbox[0])
    with pytest.raises(TokenInvalid):
        signature_confirm_by_code(email="ana@harborlight.example", code="ABCD-EFGH")
    result = signature_confirm_by_code(email=" Ana@HarborLight.example", code=code.lower())
    assert result.signature.status == Signature.Status.VERIFIED
    assert signature_confirm_by_code(email="ana@harborlight.example", code=code).already_confirmed
    # The link of the same email is spent too.
    assert signature_confirm(token=token_of(outbox[0])).already_confirmed


def test_code_guesses_are_rate_limited(create, settings):
    settings.CODE_LIMIT_PER_EMAIL = 3
    create(make_campaign())
    for _ in range(3):
        with pytest.raises(TokenInvalid):
            signature_confirm_by_code(email="ana@harborlight.example", code="ABCD-EFGH")
    with pytest.raises(RateLimited):
        signature_confirm_by_code(email="ana@harborlight.example", code="ABCD-EFGH")


def test_withdrawing_takes_the_signer_off_the_list_and_the_count(create, outbox, run_on_commit):
    campaign = make_campaign()
    create(campaign)
    with run_on_commit():
        confirmed = signature_confirm(token=token_of(outbox[0]))
    assert signature_count_public(campaign=campaign) == 1
    with run_on_commit():
        result = signature_withdraw(token=confirmed.withdraw_token)
    assert result.signature.status == Signature.Status.WITHDRAWN
    assert result.signature.withdrawn_at is not None
    assert list(signatures_public(campaign=campaign)) == []
    assert signature_count_public(campaign=campaign) == 0
    assert signature_withdraw(token=confirmed.withdraw_token).already_withdrawn


def test_a_withdrawn_signatures_confirmation_link_is_refused(create, outbox):
    create(make_campaign())
    signature_withdraw(token=token_of(outbox[0], "withdraw"))
    with pytest.raises(TokenInvalid) as refused:
        signature_confirm(token=token_of(outbox[0]))
    assert refused.value.reason == "withdrawn"
    assert Signature.objects.get().status == Signature.Status.WITHDRAWN


def test_after_withdrawing_the_address_can_sign_again(create, outbox):
    campaign = make_campaign()
    create(campaign)
    signature_withdraw(token=token_of(outbox[0], "withdraw"))
    assert create(campaign).created
    assert Signature.objects.count() == 2


def test_withdrawing_is_refused_once_the_letter_is_delivered(create, outbox):
    campaign = make_campaign()
    create(campaign)
    confirmed = signature_confirm(token=token_of(outbox[0]))
    Campaign.objects.update(status=Campaign.Status.DELIVERED)
    with pytest.raises(TokenInvalid) as refused:
        signature_withdraw(token=confirmed.withdraw_token)
    assert refused.value.reason == "delivered"
    assert Signature.objects.get().status == Signature.Status.VERIFIED


def test_an_expired_link_is_refused_and_a_new_email_confirms(create, outbox, run_on_commit):
    from signatories.models import SignatureToken

    campaign = make_campaign()
    create(campaign)
    SignatureToken.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(TokenInvalid) as expired:
        signature_confirm(token=token_of(outbox[0]))
    assert expired.value.reason == "expired"
    with run_on_commit():
        assert signature_resend_confirmation(email="ana@harborlight.example") == 1
    assert len(outbox) == 2
    assert signature_confirm(token=token_of(outbox[-1])).signature.status == "verified"


def test_resending_to_an_address_that_never_signed_sends_nothing(outbox):
    make_campaign()
    assert signature_resend_confirmation(email="nobody@example.org") == 0
    assert outbox == []


def test_signing_a_closed_campaign_is_refused(create):
    for status in [Campaign.Status.CLOSED, Campaign.Status.DRAFT]:
        with pytest.raises(SignOnClosed):
            create(make_campaign(status=status))
    with pytest.raises(SignOnClosed):
        create(make_campaign(signon_deadline=timezone.now() - timedelta(minutes=1)))
    assert Signature.objects.count() == 0


def test_sign_ons_are_rate_limited_per_ip(create, settings):
    settings.SIGNON_LIMIT_PER_IP = 2
    campaign = make_campaign()
    create(campaign, data=signer(email="a@example.org"))
    create(campaign, data=signer(email="b@example.org"))
    with pytest.raises(RateLimited) as limited:
        create(campaign, data=signer(email="c@example.org"))
    assert 0 < limited.value.retry_after <= 3601
    assert Signature.objects.count() == 2
    create(campaign, data=signer(email="c@example.org"), ip="198.51.100.1")
    assert Signature.objects.count() == 3


def test_sign_ons_are_rate_limited_per_address(create, settings):
    settings.SIGNON_LIMIT_PER_EMAIL = 2
    campaign = make_campaign()
    create(campaign, ip="198.51.100.1")
    create(campaign, ip="198.51.100.2")
    with pytest.raises(RateLimited):
        create(campaign, ip="198.51.100.3", data=signer(email="ANA@harborlight.example"))


def test_rate_limit_keys_hold_no_address_or_ip(create):
    create(make_campaign(), ip="198.51.100.77")
    keys = " ".join(str(key) for key in cache._cache)
    assert "harborlight" not in keys and "198.51.100.77" not in keys


def test_the_daily_email_cap_holds_across_restarts(create, outbox, settings):
    settings.SIGNER_EMAILS_PER_DAY = 3
    settings.SIGNON_LIMIT_PER_EMAIL = 0
    campaign = make_campaign()
    for attempt in range(6):
        create(campaign, ip=f"198.51.100.{attempt}")
        cache.clear()  # a restart empties per-process caches; the cap is in the database
    assert len(outbox) == 3
    assert Signature.objects.count() == 1
    assert EmailQuota.objects.get().sent == 3
    assert "harborlight" not in str(EmailQuota.objects.values().get())


def test_pending_signatures_expire_and_signing_again_revives_them(create, outbox, settings):
    settings.PENDING_SIGNATURE_DAYS = 30
    campaign = make_campaign()
    create(campaign)
    old = make_signature(
        campaign=campaign, status="pending", created_at=timezone.now() - timedelta(days=31)
    )
    assert signatures_expire() == 1
    old.refresh_from_db()
    assert old.status == Signature.Status.EXPIRED
    create(campaign, data=signer(email=old.email))
    assert Signature.objects.count() == 2
    signature_confirm(token=token_of(outbox[-1]))
    old.refresh_from_db()
    assert old.status == Signature.Status.VERIFIED


def test_a_double_submission_sends_one_email_within_the_interval(create, outbox, settings):
    settings.SIGNER_EMAIL_INTERVAL_SECONDS = 60
    campaign = make_campaign()
    create(campaign)
    create(campaign)
    assert len(outbox) == 1
    Signature.objects.update(last_emailed_at=timezone.now() - timedelta(seconds=61))
    create(campaign)
    assert len(outbox) == 2


def test_housekeeping_expires_old_pending_signatures_and_old_email_counts(capsys):
    from django.core.management import call_command

    campaign = make_campaign()
    make_signature(
        campaign=campaign, status="pending", created_at=timezone.now() - timedelta(days=99)
    )
    make_signature(campaign=campaign, status="pending")
    EmailQuota.objects.create(address_hash="a", day=timezone.localdate() - timedelta(days=3))
    EmailQuota.objects.create(address_hash="b", day=timezone.localdate())
    call_command("signon_housekeeping")
    assert "1 signatures expired, 1 old email counts removed" in capsys.readouterr().out
    assert Signature.objects.filter(status="expired").count() == 1
    assert list(EmailQuota.objects.values_list("address_hash", flat=True)) == ["b"]


def test_a_blocklisted_domain_that_refuses_signs_nothing_and_mails_no_one(create, outbox):
    from signatories.models import BlockedDomain

    campaign = make_campaign()
    BlockedDomain.objects.create(campaign=campaign, domain="harborlight.example", action="refuse")
    result = create(campaign)
    assert result.signature is None and not result.created
    assert Signature.objects.count() == 0
    assert outbox == []


def test_a_blocklisted_domain_that_holds_waits_for_a_lead(create, outbox, run_on_commit):
    from signatories import moderation
    from signatories.models import BlockedDomain

    campaign = make_campaign()
    BlockedDomain.objects.create(campaign=campaign, domain="example", action="hold")
    create(campaign)
    signature_confirm(token=token_of(outbox[0]))
    signature = Signature.objects.get()
    assert signature.held_for_review
    assert signature_count_public(campaign=campaign) == 0
    with run_on_commit():
        moderation.signatures_approve(
            campaign=campaign, actor=None, selection=Signature.objects.filter(pk=signature.pk)
        )
    assert signature_count_public(campaign=campaign) == 1


def test_a_held_duplicate_is_listed_once_a_lead_approves_it(create, outbox, run_on_commit):
    from signatories import moderation

    campaign = make_campaign()
    create(campaign)
    create(campaign, data=signer(email="bo@harborlight.example"))
    for message in outbox:
        signature_confirm(token=token_of(message))
    assert signature_count_public(campaign=campaign) == 1
    duplicate = Signature.objects.get(held_for_review=True)
    with run_on_commit():
        moderation.signatures_approve(
            campaign=campaign, actor=None, selection=Signature.objects.filter(pk=duplicate.pk)
        )
    assert signature_count_public(campaign=campaign) == 2


def test_a_domain_blocked_after_the_blocklist_was_read_applies_at_once(create, run_on_commit):
    from signatories import moderation

    campaign = make_campaign()
    create(campaign, data=signer(email="a@other.example"))  # reads (and caches) the blocklist
    with run_on_commit():
        moderation.blocked_domain_add(
            campaign=campaign, actor=None, domain="harborlight.example", action="refuse"
        )
    assert create(campaign).signature is None
    assert Signature.objects.count() == 1
