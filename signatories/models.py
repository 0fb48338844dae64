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

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="signatures")
    kind = models.CharField(max_length=12, choices=Kind, default=Kind.ORGANIZATION)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)

    # Public identity.
    organization_name = models.CharField(max_length=200, blank=True)
    organization_key = models.CharField(
        max_length=200, blank=True, db_index=True, help_text="Normalized name, for duplicates."
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
    email_canonical = models.CharField(max_length=254, blank=True, db_index=True)
    ip_hash = models.CharField(max_length=64, blank=True, db_index=True)
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
        indexes = [models.Index(fields=["campaign", "status"], name="signature_campaign_status")]

    def __str__(self):
        return self.public_name

    @property
    def public_name(self) -> str:
        """The name shown on the list and in the PDF; never the signer's own contact data."""
        if self.display_name:
            return self.display_name
        if self.kind == self.Kind.INDIVIDUAL:
            if self.listed_anonymously:
                return self.public_descriptor or str(_("An individual"))
            return self.signer_name
        return self.organization_name
