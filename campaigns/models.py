from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for sign-on")
        CLOSED = "closed", _("Sign-on closed")
        DELIVERED = "delivered", _("Delivered")
        ARCHIVED = "archived", _("Archived")

    class SignerOrder(models.TextChoices):
        BY_STATE = "state", _("Grouped by state")
        ALPHABETICAL = "alpha", _("Alphabetical")

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(
        max_length=300, blank=True, help_text=_("One or two sentences shown in campaign lists.")
    )
    status = models.CharField(max_length=12, choices=Status, default=Status.DRAFT)
    signon_deadline = models.DateTimeField(null=True, blank=True)
    goal = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Number of signers the campaign hopes for.")
    )
    requires_approval = models.BooleanField(
        default=False, help_text=_("A lead approves each confirmed signature before it is public.")
    )
    allows_individuals = models.BooleanField(
        default=False, help_text=_("People may sign as individuals, not only for organizations.")
    )
    signer_order = models.CharField(max_length=8, choices=SignerOrder, default=SignerOrder.BY_STATE)
    reply_to_email = models.EmailField(
        blank=True, help_text=_("Where recipients' replies go; shown on the letter.")
    )
    postal_address = models.CharField(
        max_length=300, blank=True, help_text=_("The coalition's address, printed in the footer.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("campaigns:detail", kwargs={"slug": self.slug})

    @property
    def is_open(self) -> bool:
        if self.status != self.Status.OPEN:
            return False
        return self.signon_deadline is None or timezone.now() < self.signon_deadline

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT


class LetterVersion(models.Model):
    """One immutable text of a campaign's letter; signatures point at the one they signed."""

    class Change(models.TextChoices):
        INITIAL = "initial", _("First version")
        MINOR = "minor", _("Minor edit (signers stay)")
        SUBSTANTIVE = "substantive", _("Substantive change (signers re-confirm)")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text=_("The letter in Markdown."))
    sha256 = models.CharField(max_length=64, editable=False)
    change = models.CharField(max_length=12, choices=Change, default=Change.INITIAL)
    note = models.CharField(max_length=300, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["campaign", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="unique_version_number")
        ]

    def __str__(self):
        return f"{self.campaign.slug} v{self.number}"

    @property
    def short_hash(self) -> str:
        return self.sha256[:12]


class CampaignRole(models.Model):
    """What a lead may do on one campaign. No role, no access: not even to know it exists."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        EDITOR = "editor", _("Editor")
        VIEWER = "viewer", _("Viewer")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="roles")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaign_roles"
    )
    role = models.CharField(max_length=8, choices=Role)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user"], name="one_role_per_lead")
        ]

    def __str__(self):
        return f"{self.user} is {self.role} of {self.campaign.slug}"


class PartnerLink(models.Model):
    """A coalition partner's recruiting link: /c/<slug>/?via=<code>."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="partner_links")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=200, help_text=_("The partner organization."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "code"], name="unique_partner_code")
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"
