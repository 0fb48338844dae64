"""Single-use secrets mailed to signers: issue them, check them, use them up.

A token is `secrets.token_urlsafe(32)` (256 bits) and only its sha256 is stored, so a copy of
the database confirms nothing. A confirmation also carries a short code to type instead of
following the link; the code has about 40 bits, so it is stored as a keyed hash bound to
the address, and guesses are rate limited where it is typed.

The purpose is a field: later flows (re-confirming a new letter version, data requests,
erasure) issue and consume tokens with their own purpose and the same functions.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import Signature, SignatureToken

Purpose = SignatureToken.Purpose

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: easy to read and type
CODE_LENGTH = 8
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")


class TokenInvalid(Exception):
    """A token that cannot be used. `reason` is "unknown", "expired" or "used".

    `signature` is set when the token was found, so the page can say "already confirmed"
    to the person who holds the link; it is never set for an unknown token.
    """

    def __init__(self, reason: str, signature: Signature | None = None):
        super().__init__(reason)
        self.reason = reason
        self.signature = signature


@dataclass(frozen=True)
class IssuedToken:
    """The secrets to mail (they exist nowhere else) and the stored record."""

    token: str
    code: str
    record: SignatureToken


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def code_normalize(code: str) -> str:
    """What the signer typed, without spaces or dashes and in capitals ("ab3k-7q2m")."""
    return re.sub(r"[\s-]", "", code).upper()


def code_format(code: str) -> str:
    """The code as printed in the email: two groups of four, easier to copy."""
    return f"{code[:4]}-{code[4:]}"


def code_hash(*, email_canonical: str, code: str) -> str:
    value = f"{email_canonical}\n{code_normalize(code)}"
    return salted_hmac("signatories.code", value, algorithm="sha256").hexdigest()


def token_issue(
    *,
    signature: Signature,
    purpose: str,
    lifetime: timedelta | None,
    with_code: bool = False,
    letter_version=None,
    expires_at=None,
) -> IssuedToken:
    """Make a new token for a signature; `lifetime=None` means no expiry date.

    Earlier tokens stay valid until used or expired: a signer may have several emails.
    `letter_version` ties a re-confirmation token to the version it asks about;
    `expires_at` (a moment, such as a deadline) replaces `lifetime` when given.
    """
    token = secrets.token_urlsafe(32)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)) if with_code else ""
    now = timezone.now()
    record = SignatureToken.objects.create(
        signature=signature,
        purpose=purpose,
        token_hash=token_hash(token),
        code_hash=code_hash(email_canonical=signature.email_canonical, code=code) if code else "",
        created_at=now,
        expires_at=expires_at or (now + lifetime if lifetime is not None else None),
        letter_version=letter_version,
    )
    return IssuedToken(token=token, code=code, record=record)


def _unusable_reason(record: SignatureToken, now) -> str:
    if record.used_at is not None:
        return "used"
    if record.expires_at is not None and record.expires_at <= now:
        return "expired"
    return ""


def token_check(*, token: str, purpose: str) -> SignatureToken:
    """The token's record if it could be used now, without using it (for GET pages)."""
    record = None
    if TOKEN_SHAPE.fullmatch(token):
        record = (
            SignatureToken.objects.select_related("signature__campaign", "letter_version")
            .filter(token_hash=token_hash(token), purpose=purpose)
            .first()
        )
    if record is None:
        raise TokenInvalid("unknown")
    if reason := _unusable_reason(record, timezone.now()):
        raise TokenInvalid(reason, record.signature)
    return record


def _consume(lookup: Q) -> SignatureToken:
    """Mark the one token matching `lookup` used, if it is usable; exactly one caller wins."""
    now = timezone.now()
    usable = Q(used_at__isnull=True) & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    # A conditional UPDATE: of two requests racing with the same token, one updates a row.
    won = SignatureToken.objects.filter(lookup & usable).update(used_at=now)
    record = (
        SignatureToken.objects.select_related("signature__campaign", "letter_version")
        .filter(lookup)
        .first()
    )
    if record is None:
        raise TokenInvalid("unknown")
    if not won:
        raise TokenInvalid(_unusable_reason(record, now) or "used", record.signature)
    return record


def token_consume(*, token: str, purpose: str) -> SignatureToken:
    """Use a token up; raises TokenInvalid when it is unknown, expired or already used."""
    if not TOKEN_SHAPE.fullmatch(token):
        raise TokenInvalid("unknown")
    return _consume(Q(token_hash=token_hash(token), purpose=purpose))


def code_consume(*, email_canonical: str, code: str, purpose: str = Purpose.CONFIRM):
    """Use up the token whose short code was typed with this address."""
    code = code_normalize(code)
    if len(code) != CODE_LENGTH or set(code) - set(CODE_ALPHABET):
        raise TokenInvalid("unknown")
    digest = code_hash(email_canonical=email_canonical, code=code)
    # Newest first, in the unlikely case that one address got the same code twice.
    lookup = Q(code_hash=digest, purpose=purpose)
    newest = SignatureToken.objects.filter(lookup).order_by("-created_at").values("pk").first()
    if newest is None:
        raise TokenInvalid("unknown")
    return _consume(Q(pk=newest["pk"]))


def tokens_revoke(*, signature: Signature, purposes: list[str] | None = None) -> int:
    """Use up a signature's open tokens (all, or those of some purposes)."""
    tokens = SignatureToken.objects.filter(signature=signature, used_at__isnull=True)
    if purposes is not None:
        tokens = tokens.filter(purpose__in=purposes)
    return tokens.update(used_at=timezone.now())
