"""Helpers for lead-area tests: a campaign with one lead of each role, and an outsider."""

import base64
import hashlib
import hmac
import struct
import time
from dataclasses import dataclass

from allauth.account.models import EmailAddress

from campaigns.models import Campaign, CampaignRole
from tests.factories import make_campaign, make_signature, make_user


@dataclass
class LeadWorld:
    campaign: Campaign
    other: Campaign
    owner: object
    editor: object
    viewer: object
    outsider: object

    def user(self, role: str):
        return None if role == "anonymous" else getattr(self, role)


def totp(secret: str, *, at: float | None = None) -> str:
    """RFC 6238: HMAC-SHA1 over the 30-second counter, 6 digits."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(
        base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1
    ).digest()
    offset = digest[-1] & 0x0F
    value = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def make_verified_user(**kwargs):
    # No password unless asked for: hashing one costs a third of a second per user.
    kwargs.setdefault("password", None)
    user = make_user(**kwargs)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def make_lead_world(**campaign_fields) -> LeadWorld:
    owner, editor, viewer, outsider = (make_verified_user() for _ in range(4))
    campaign = make_campaign(owner=owner, **campaign_fields)
    CampaignRole.objects.create(campaign=campaign, user=editor, role=CampaignRole.Role.EDITOR)
    CampaignRole.objects.create(campaign=campaign, user=viewer, role=CampaignRole.Role.VIEWER)
    other = make_campaign(owner=outsider)
    return LeadWorld(campaign, other, owner, editor, viewer, outsider)


def make_contact_signature(campaign, **fields):
    """A signature whose contact fields are easy to look for in a page or a file."""
    fields.setdefault("email", "private.contact@signer-mail.example")
    fields.setdefault("signer_name", "Secret Signer Person")
    fields.setdefault("signer_title", "Confidential Title")
    return make_signature(campaign=campaign, **fields)


CONTACT_MARKERS = [
    "private.contact@signer-mail.example",
    "Secret Signer Person",
    "Confidential Title",
]
