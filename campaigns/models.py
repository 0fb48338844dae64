from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q
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
    # Pages mark the letter with it (lang="…"), so that screen readers read it in its own
    # language when the page around it is in another one.
    letter_language = models.CharField(
        max_length=8,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("The language the title and the letter are written in."),
    )
    reply_to_email = models.EmailField(
        blank=True, help_text=_("Where recipients' replies go; shown on the letter.")
    )
    postal_address = models.CharField(
        max_length=300, blank=True, help_text=_("The coalition's address, printed in the footer.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    # The public page finds its campaign in the cache (campaigns.selectors); every save
    # and delete forgets it, now and again once committed (a request in between may have
    # cached the row as it was before).
    PUBLIC_CACHE_KEY = "campaigns:public:{slug}"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self._forget_public_copy()

    def get_absolute_url(self):
        return reverse("campaigns:detail", kwargs={"slug": self.slug})

    def delete(self, *args, **kwargs):
        self._forget_public_copy()
        return super().delete(*args, **kwargs)

    @property
    def is_open(self) -> bool:
        if self.status != self.Status.OPEN:
            return False
        return self.signon_deadline is None or timezone.now() < self.signon_deadline

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    def _forget_public_copy(self):
        forget = partial(cache.delete, self.PUBLIC_CACHE_KEY.format(slug=self.slug))
        forget()
        transaction.on_commit(forget)


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
    # Substantive versions only: signers who have not re-confirmed by then leave the list.
    reconfirm_deadline = models.DateTimeField(null=True, blank=True)

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


class Legislator(models.Model):
    """A recipient office holder, imported from Open States or congress-legislators.

    Rows are never deleted: deliveries point at them. Someone who leaves office is marked
    inactive (`active=False`, `retired_at`) by the next import that no longer lists them.
    """

    class Source(models.TextChoices):
        OPENSTATES = "openstates", _("Open States")
        CONGRESS = "congress", _("congress-legislators")

    class Chamber(models.TextChoices):
        UPPER = "upper", _("State senate")
        LOWER = "lower", _("State house or assembly")
        LEGISLATURE = "legislature", _("Unicameral legislature")
        SENATE = "senate", _("U.S. Senate")
        HOUSE = "house", _("U.S. House")

    source = models.CharField(max_length=12, choices=Source)
    source_id = models.CharField(
        max_length=80, help_text=_("The Open States person id or the bioguide id.")
    )
    name = models.CharField(max_length=200)
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    sort_name = models.CharField(max_length=200)
    title = models.CharField(max_length=60, blank=True, help_text=_("e.g. Senator, Delegate."))
    body = models.CharField(
        max_length=120, blank=True, help_text=_("e.g. Washington State Senate.")
    )
    jurisdiction = models.CharField(
        max_length=8, help_text=_("Lower-case code: wa, ny, dc, pr, or us for Congress.")
    )
    jurisdiction_name = models.CharField(max_length=80)
    state = models.CharField(
        max_length=2, blank=True, help_text=_("The state or territory the seat represents.")
    )
    chamber = models.CharField(max_length=12, choices=Chamber)
    district = models.CharField(max_length=80, blank=True)
    party = models.CharField(max_length=120, blank=True)
    email = models.EmailField(blank=True)
    contact_form_url = models.URLField(max_length=500, blank=True)
    website = models.URLField(max_length=500, blank=True)
    offices = models.JSONField(
        default=list, blank=True, help_text=_("classification, address, voice, fax")
    )
    active = models.BooleanField(default=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    # sha256 of the imported values: a re-import compares it to tell unchanged from updated.
    source_hash = models.CharField(max_length=64, editable=False)
    imported_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["jurisdiction", "chamber", "sort_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"], name="unique_legislator_source_id"
            )
        ]
        indexes = [
            models.Index(fields=["jurisdiction", "chamber", "district"]),
            models.Index(fields=["active", "jurisdiction"]),
        ]

    def __str__(self):
        where = f"{self.jurisdiction.upper()} {self.district}".strip()
        return f"{self.title} {self.name} ({where})".strip()

    @property
    def has_email(self) -> bool:
        return bool(self.email)

    @property
    def seat(self) -> str:
        """The seat as a cover letter names it: "Senator, District 3", "Delegate, At-Large"."""
        if not self.district:
            return self.title
        district = (
            _("District %(number)s") % {"number": self.district}
            if self.district.isdigit()
            else self.district
        )
        return f"{self.title}, {district}" if self.title else str(district)

    @property
    def needs_mail(self) -> bool:
        """No email address: the letter goes by post or through a contact form."""
        return not self.email


class Committee(models.Model):
    class Chamber(models.TextChoices):
        UPPER = "upper", _("State senate")
        LOWER = "lower", _("State house or assembly")
        LEGISLATURE = "legislature", _("Joint or unicameral legislature")
        SENATE = "senate", _("U.S. Senate")
        HOUSE = "house", _("U.S. House")
        JOINT = "joint", _("Joint committee of Congress")

    source = models.CharField(max_length=12, choices=Legislator.Source)
    source_id = models.CharField(
        max_length=80, help_text=_("The Open States organization id or the Thomas id.")
    )
    name = models.CharField(max_length=300)
    jurisdiction = models.CharField(max_length=8)
    chamber = models.CharField(max_length=12, choices=Chamber)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="subcommittees"
    )
    members = models.ManyToManyField(
        Legislator, through="CommitteeMembership", related_name="committees"
    )
    source_hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["jurisdiction", "chamber", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_id"], name="unique_committee_source_id"
            )
        ]

    def __str__(self):
        return f"{self.jurisdiction.upper()} {self.get_chamber_display()}: {self.name}"


class CommitteeMembership(models.Model):
    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="memberships")
    legislator = models.ForeignKey(
        Legislator, on_delete=models.CASCADE, related_name="committee_memberships"
    )
    role = models.CharField(max_length=80, default="member")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "legislator"], name="one_membership_per_committee"
            )
        ]

    def __str__(self):
        return f"{self.legislator.name}, {self.role} of {self.committee.name}"


class CampaignRecipient(models.Model):
    """A legislator a lead chose to receive the campaign's letter."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    # PROTECT: legislators are retired, never deleted, so a chosen one stays on the list.
    legislator = models.ForeignKey(
        Legislator, on_delete=models.PROTECT, related_name="campaign_recipients"
    )
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["campaign", "added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "legislator"], name="one_recipient_per_legislator"
            )
        ]

    def __str__(self):
        return f"{self.legislator} for {self.campaign.slug}"


class CampaignInvitation(models.Model):
    """An owner's invitation to a co-lead: a link mailed once, stored here only as a hash."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=8, choices=CampaignRole.Role)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} as {self.role} of {self.campaign.slug}"

    @property
    def is_usable(self) -> bool:
        return (
            self.accepted_at is None
            and self.cancelled_at is None
            and timezone.now() < self.expires_at
        )


class AuditEntryQuerySet(models.QuerySet):
    """The log is append-only: no bulk update or delete through the ORM."""

    def update(self, **kwargs):
        raise TypeError("Audit entries are never changed.")

    def delete(self):
        raise TypeError("Audit entries are never deleted.")


class AuditEntry(models.Model):
    """One lead action on a campaign: who, when, what, and the values before and after.

    Written by `campaigns.audit.audit_record` inside the transaction that makes the change,
    so an action and its entry are committed (or rolled back) together.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The actor's address at the time, kept when the account is later deleted.
    actor_label = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=40, blank=True)
    target_label = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(null=True, blank=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["campaign", "action"], name="audit_campaign_action")]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label or 'system'} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit entries are never deleted.")


class DeliveryRun(models.Model):
    """One "Send" of a campaign's letter: a Delivery row per recipient, made at once.

    The background work (campaigns/delivery.py) snapshots each copy's PDF, sends the emails
    and, when no copy is left to send, marks the campaign delivered. One worker at a time
    holds the run's lease (`lease_owner` until `lease_until`, renewed as it works); a worker
    that dies lets the lease lapse and the next one takes over.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        RUNNING = "running", _("Sending")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    ACTIVE = [Status.SCHEDULED, Status.RUNNING]

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="delivery_runs")
    status = models.CharField(max_length=10, choices=Status, default=Status.SCHEDULED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    scheduled_for = models.DateTimeField(help_text=_("When sending starts."))
    letter_date = models.DateField(help_text=_("The date printed on every copy."))
    letter_version = models.ForeignKey(
        LetterVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The worker sending now, and until when its claim holds without a renewal.
    lease_owner = models.CharField(max_length=40, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # The throttle: the next email may leave at this time (shared by every worker).
    next_send_at = models.DateTimeField(null=True, blank=True)
    notices_queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Two "Send" clicks racing give one run: the second finds this one.
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(status__in=["scheduled", "running"]),
                name="one_active_delivery_run",
            )
        ]

    def __str__(self):
        return f"delivery {self.pk} of {self.campaign.slug} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class Delivery(models.Model):
    """One copy of the letter for one recipient: its PDF snapshot and what became of it.

    Email copies go `ready → sending → sent`, and tracking moves them on (`delivered`,
    `opened`, `bounced`…). A copy is `sending` (committed) before its message leaves and
    `sent`, with the message id, after; one found `sending` by the next worker is
    `unconfirmed` until a lead decides. Copies for offices without an email address go in
    the print-and-mail bundle (`ready`, then `mailed`). A snapshot never changes once made.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        PRINT = "print", _("Print and mail")

    class Status(models.TextChoices):
        PENDING = "pending", _("Preparing its PDF")
        READY = "ready", _("Ready")
        SENDING = "sending", _("Sending")
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        OPENED = "opened", _("Opened")
        BOUNCED = "bounced", _("Bounced")
        REJECTED = "rejected", _("Rejected")
        COMPLAINED = "complained", _("Marked as spam")
        FAILED = "failed", _("Failed")
        MAILED = "mailed", _("Mailed by post")
        CANCELLED = "cancelled", _("Cancelled")

    run = models.ForeignKey(DeliveryRun, on_delete=models.CASCADE, related_name="deliveries")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="deliveries")
    # PROTECT: legislators are retired, never deleted; the record of a delivery stays.
    legislator = models.ForeignKey(Legislator, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel)
    status = models.CharField(max_length=12, choices=Status, default=Status.PENDING)
    to_email = models.EmailField(blank=True, help_text=_("The office's address when sent."))
    attempts = models.PositiveIntegerField(default=0)
    # The provider's id (anymail), or the Message-ID header we set when the mailer has none.
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    pdf_name = models.CharField(max_length=200, blank=True, help_text="Under MEDIA_ROOT.")
    pdf_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    pdf_pages = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    snapshot_at = models.DateTimeField(null=True, blank=True)
    sending_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["run", "legislator"], name="one_delivery_per_run")
        ]
        indexes = [
            models.Index(fields=["run", "status"], name="delivery_run_status"),
            models.Index(fields=["campaign", "status"], name="delivery_campaign_status"),
        ]

    def __str__(self):
        return f"{self.legislator.name} ({self.get_status_display()})"


class DeliveryEvent(models.Model):
    """A tracking event an email provider reported for a delivery (anymail's webhooks)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    event_type = models.CharField(max_length=20)
    event_id = models.CharField(max_length=100, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=timezone.now)
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["occurred_at", "pk"]
        constraints = [
            # A provider repeating an event (same id, or same type and time) adds nothing.
            models.UniqueConstraint(
                fields=["delivery", "event_type", "occurred_at", "event_id"],
                name="one_event_per_occurrence",
            )
        ]

    def __str__(self):
        return f"{self.event_type} at {self.occurred_at:%Y-%m-%d %H:%M}"


class DeliveryNotice(models.Model):
    """The one "your letter was delivered" email to a signer who asked for updates.

    The row is made (unique per signature) before the email is sent, so a retried task
    never mails anyone twice.
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Being sent")
        SENT = "sent", _("Sent")
        CAPPED = "capped", _("Not sent: daily limit for the address reached")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="delivery_notices"
    )
    signature = models.OneToOneField(
        "signatories.Signature", on_delete=models.CASCADE, related_name="delivery_notice"
    )
    outcome = models.CharField(max_length=8, choices=Outcome, default=Outcome.PENDING)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"delivery notice for signature {self.signature_id} ({self.outcome})"
