from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, LetterVersion, PartnerLink


class Signature(models.Model):
    """One sign-on to one campaign's letter, by an organization or an individual.

    Contact fields (email, signer name and title, IP hash, user agent) are private: only
    leads with an owner or editor role see them. What the public sees is `public_name`,
    `city`, `state` and `country`.
    """

    class Kind(models.TextChoices):
        ORGANIZATION = "organization", _("Organization")
        INDIVIDUAL = "individual", _("Individual")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for email confirmation")
        VERIFIED = "verified", _("Email confirmed")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired unconfirmed")

    class OrganizationType(models.TextChoices):
        NONPROFIT = "nonprofit", _("Nonprofit or charity")
        GRASSROOTS = "grassroots", _("Grassroots or mutual aid group")
        FAITH = "faith", _("Faith-based organization")
        SERVICE = "service", _("Service provider")
        LEGAL = "legal", _("Legal services")
        RESEARCH = "research", _("Research or academic")
        BUSINESS = "business", _("Business")
        UNION = "union", _("Labor union")
        GOVERNMENT = "government", _("Government or public agency")
        OTHER = "other", _("Other")

    # Indexed by the (campaign, ...) indexes below, which all start with it.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="signatures", db_index=False
    )
    kind = models.CharField(max_length=12, choices=Kind, default=Kind.ORGANIZATION)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)

    # Public identity.
    organization_name = models.CharField(max_length=200, blank=True)
    organization_key = models.CharField(
        max_length=200, blank=True, help_text="Normalized name, for duplicates."
    )
    display_name = models.CharField(
        max_length=200, blank=True, help_text=_("Overrides the public name when set by a lead.")
    )
    listed_anonymously = models.BooleanField(default=False)
    public_descriptor = models.CharField(
        max_length=120, blank=True, help_text=_('e.g. "An individual with lived experience"')
    )
    organization_type = models.CharField(max_length=12, choices=OrganizationType, blank=True)
    website = models.URLField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True, help_text=_("State or region."))
    country = models.CharField(max_length=2, default="US", help_text="ISO 3166 code.")
    is_lead_organization = models.BooleanField(default=False)

    # Private contact data.
    signer_name = models.CharField(max_length=200, blank=True)
    signer_title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    email_canonical = models.CharField(max_length=254, blank=True)
    ip_hash = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    language = models.CharField(max_length=8, default="en")

    consent_listed = models.BooleanField(default=False)
    consent_updates = models.BooleanField(default=False)
    authorized = models.BooleanField(
        default=False, help_text="The signer confirmed they may sign for the organization."
    )

    letter_version = models.ForeignKey(LetterVersion, on_delete=models.PROTECT, related_name="+")
    letter_sha256 = models.CharField(max_length=64)
    partner_link = models.ForeignKey(
        PartnerLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="signatures"
    )
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged"
    )
    possible_duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    anonymized_at = models.DateTimeField(null=True, blank=True)
    last_emailed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the signer was last mailed about it."
    )

    # Moderation and re-confirmation (see signatories/moderation.py, campaigns/reconfirmation.py).
    held_for_review = models.BooleanField(
        default=False, help_text=_("Not public until a lead approves it (e.g. blocklisted domain).")
    )
    # The letter version this signer was last asked (by email) to re-confirm, and when.
    reconfirm_version_number = models.PositiveIntegerField(null=True, blank=True)
    reconfirm_requested_at = models.DateTimeField(null=True, blank=True)
    reconfirmed_at = models.DateTimeField(null=True, blank=True)
    lapse_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live signature per address per campaign. Withdrawn ones do not count, so
            # a person who withdrew can sign again; anonymized ones have no address left.
            models.UniqueConstraint(
                fields=["campaign", "email_canonical"],
                condition=~Q(status="withdrawn") & ~Q(email_canonical=""),
                name="one_live_signature_per_email",
            ),
        ]
        # Declared here rather than with db_index=True: on PostgreSQL that also adds a
        # second "_like" index to every text column, which no query here uses (searches are
        # case-insensitive or by suffix) and which every sign-on would write to.
        indexes = [
            models.Index(fields=["campaign", "status"], name="signature_campaign_status"),
            # A possible duplicate: the same organization and state in a campaign.
            models.Index(fields=["campaign", "organization_key"], name="signature_campaign_org"),
            # Bulk invalidation and the moderation queue's groups, by address hash.
            models.Index(fields=["campaign", "ip_hash"], name="signature_campaign_ip"),
            # A signer's data request finds every campaign they signed.
            models.Index(fields=["email_canonical"], name="signature_email"),
        ]

    def __str__(self):
        return self.public_name

    @property
    def public_name(self) -> str:
        """The name shown on the list and in the PDF; never the signer's own contact data."""
        return public_name(
            display_name=self.display_name,
            kind=self.kind,
            listed_anonymously=self.listed_anonymously,
            public_descriptor=self.public_descriptor,
            signer_name=self.signer_name,
            organization_name=self.organization_name,
        )


def public_name(
    *,
    display_name: str,
    kind: str,
    listed_anonymously: bool,
    public_descriptor: str,
    signer_name: str,
    organization_name: str,
) -> str:
    """`Signature.public_name` from plain values, for lists built without model instances."""
    if display_name:
        return display_name
    if kind == Signature.Kind.INDIVIDUAL:
        if listed_anonymously:
            return public_descriptor or str(_("An individual"))
        return signer_name
    return organization_name


class BlockedDomain(models.Model):
    """An email domain a campaign does not accept sign-ons from without a lead's review."""

    class Action(models.TextChoices):
        HOLD = "hold", _("Hold for review")
        REFUSE = "refuse", _("Refuse the sign-on")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="blocked_domains")
    domain = models.CharField(
        max_length=253, help_text=_("e.g. spam.example; its subdomains are blocked too.")
    )
    action = models.CharField(max_length=8, choices=Action, default=Action.HOLD)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "domain"], name="unique_blocked_domain")
        ]

    def __str__(self):
        return self.domain


class SignatureToken(models.Model):
    """A single-use secret mailed to a signer, stored only as a hash (see verification.py).

    One model for every purpose: confirming, withdrawing, and the flows that come later
    (re-confirming a new letter version, asking for one's data, erasure).
    """

    class Purpose(models.TextChoices):
        CONFIRM = "confirm", _("Confirm a signature")
        WITHDRAW = "withdraw", _("Withdraw a signature")
        RECONFIRM = "reconfirm", _("Re-confirm for a new letter version")
        DATA_REQUEST = "data_request", _("See one's own data")
        ERASURE = "erasure", _("Erase one's own data")

    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="tokens")
    purpose = models.CharField(max_length=16, choices=Purpose)
    token_hash = models.CharField(max_length=64, unique=True, help_text="sha256 of the token.")
    code_hash = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="Keyed hash of the short code."
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Empty: valid until the letter is delivered."
    )
    used_at = models.DateTimeField(null=True, blank=True)
    # For a re-confirmation: the version the signer was asked about.
    letter_version = models.ForeignKey(
        LetterVersion, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["signature", "purpose"], name="token_signature_purpose")]

    def __str__(self):
        return f"{self.purpose} token for signature {self.signature_id}"


class EmailQuota(models.Model):
    """Emails sent to one address on one day, so that no one can be mail-bombed through us.

    Kept in the database (not the cache) so that the daily cap survives restarts; the
    address is a keyed hash.
    """

    address_hash = models.CharField(max_length=64)
    day = models.DateField()
    sent = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["address_hash", "day"], name="one_quota_per_day")
        ]

    def __str__(self):
        return f"{self.sent} on {self.day}"
