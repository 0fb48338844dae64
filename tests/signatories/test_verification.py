from datetime import timedelta

import pytest
from django.utils import timezone

from signatories.models import SignatureToken
from signatories.verification import (
    CODE_ALPHABET,
    Purpose,
    TokenInvalid,
    code_consume,
    token_check,
    token_consume,
    token_hash,
    token_issue,
    tokens_revoke,
)
from tests.factories import make_campaign, make_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def signature():
    return make_signature(campaign=make_campaign(), status="pending", email="ana@example.org")


def _issue(signature, **kwargs):
    kwargs.setdefault("purpose", Purpose.CONFIRM)
    kwargs.setdefault("lifetime", timedelta(days=7))
    return token_issue(signature=signature, **kwargs)


def test_a_token_has_at_least_128_bits_and_only_its_hash_is_stored(signature):
    issued = _issue(signature, with_code=True)
    assert len(issued.token) >= 43  # 32 random bytes in URL-safe base64
    record = SignatureToken.objects.get()
    assert record.token_hash == token_hash(issued.token) != issued.token
    stored = " ".join(str(value) for value in SignatureToken.objects.values().get().values())
    assert issued.token not in stored
    assert issued.code not in stored
    assert len(issued.code) == 8 and set(issued.code) <= set(CODE_ALPHABET)


def test_a_token_is_used_once(signature):
    issued = _issue(signature)
    assert token_consume(token=issued.token, purpose=Purpose.CONFIRM).signature == signature
    with pytest.raises(TokenInvalid) as replay:
        token_consume(token=issued.token, purpose=Purpose.CONFIRM)
    assert replay.value.reason == "used"
    assert replay.value.signature == signature


def test_an_expired_token_is_refused(signature):
    issued = _issue(signature, lifetime=timedelta(days=7))
    SignatureToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(TokenInvalid) as expired:
        token_consume(token=issued.token, purpose=Purpose.CONFIRM)
    assert expired.value.reason == "expired"
    assert SignatureToken.objects.get().used_at is None


@pytest.mark.parametrize("forged", ["A" * 43, "short", "../../etc/passwd", "x" * 500, ""])
def test_a_forged_token_is_unknown_and_names_no_signature(signature, forged):
    _issue(signature)
    for check in (token_check, token_consume):
        with pytest.raises(TokenInvalid) as unknown:
            check(token=forged, purpose=Purpose.CONFIRM)
        assert unknown.value.reason == "unknown"
        assert unknown.value.signature is None


def test_a_token_works_only_for_its_purpose(signature):
    issued = _issue(signature, purpose=Purpose.WITHDRAW, lifetime=None)
    with pytest.raises(TokenInvalid) as wrong:
        token_consume(token=issued.token, purpose=Purpose.CONFIRM)
    assert wrong.value.reason == "unknown"
    assert token_consume(token=issued.token, purpose=Purpose.WITHDRAW)


def test_checking_a_token_does_not_use_it(signature):
    issued = _issue(signature)
    token_check(token=issued.token, purpose=Purpose.CONFIRM)
    token_check(token=issued.token, purpose=Purpose.CONFIRM)
    assert SignatureToken.objects.get().used_at is None


def test_a_token_without_lifetime_never_expires(signature):
    issued = _issue(signature, purpose=Purpose.WITHDRAW, lifetime=None)
    assert SignatureToken.objects.get().expires_at is None
    assert token_check(token=issued.token, purpose=Purpose.WITHDRAW)


def test_the_code_works_with_its_address_in_any_case_and_spacing(signature):
    issued = _issue(signature, with_code=True)
    typed = f" {issued.code[:4].lower()}-{issued.code[4:]} "
    with pytest.raises(TokenInvalid):
        code_consume(email_canonical="someone-else@example.org", code=typed)
    assert code_consume(email_canonical="ana@example.org", code=typed).signature == signature
    with pytest.raises(TokenInvalid) as replay:
        code_consume(email_canonical="ana@example.org", code=typed)
    assert replay.value.reason == "used"


def test_revoking_uses_up_open_tokens(signature):
    confirm = _issue(signature)
    withdraw = _issue(signature, purpose=Purpose.WITHDRAW, lifetime=None)
    assert tokens_revoke(signature=signature, purposes=[Purpose.CONFIRM]) == 1
    with pytest.raises(TokenInvalid):
        token_check(token=confirm.token, purpose=Purpose.CONFIRM)
    assert token_check(token=withdraw.token, purpose=Purpose.WITHDRAW)
