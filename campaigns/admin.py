from django.contrib import admin

from .models import (
    AuditEntry,
    Campaign,
    CampaignInvitation,
    CampaignRecipient,
    CampaignRole,
    Committee,
    CommitteeMembership,
    Delivery,
    DeliveryRun,
    Legislator,
    LetterVersion,
    PartnerLink,
)


class LetterVersionInline(admin.TabularInline):
    model = LetterVersion
    fields = ["number", "title", "change", "sha256", "author", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        # Versions are made by editing the letter, so that each one gets its hash.
        return False


class CampaignRoleInline(admin.TabularInline):
    model = CampaignRole
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "status", "signon_deadline", "requires_approval"]
    list_filter = ["status", "requires_approval", "allows_individuals"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [LetterVersionInline, CampaignRoleInline]


@admin.register(PartnerLink)
class PartnerLinkAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "campaign"]
    list_filter = ["campaign"]
    search_fields = ["name", "code"]


class ImportedAdmin(admin.ModelAdmin):
    """Imported rows: the importers own them, the admin only shows them."""

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Never deleted: deliveries point at legislators; a re-import retires them instead.
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CommitteeMembershipInline(admin.TabularInline):
    model = CommitteeMembership
    fields = ["committee", "role"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Legislator)
class LegislatorAdmin(ImportedAdmin):
    list_display = [
        "name",
        "jurisdiction",
        "chamber",
        "district",
        "party",
        "email",
        "active",
    ]
    list_filter = ["active", "source", "chamber", "jurisdiction"]
    search_fields = ["name", "district", "source_id", "email"]
    inlines = [CommitteeMembershipInline]


class MemberInline(admin.TabularInline):
    model = CommitteeMembership
    fields = ["legislator", "role"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Committee)
class CommitteeAdmin(ImportedAdmin):
    list_display = ["name", "jurisdiction", "chamber", "parent"]
    list_filter = ["source", "chamber", "jurisdiction"]
    search_fields = ["name", "source_id"]
    inlines = [MemberInline]


@admin.register(CampaignRecipient)
class CampaignRecipientAdmin(admin.ModelAdmin):
    list_display = ["legislator", "campaign", "added_at"]
    list_filter = ["campaign"]
    search_fields = ["legislator__name", "campaign__title"]
    autocomplete_fields = ["campaign", "legislator"]
    list_select_related = ["legislator", "campaign"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit log is never edited, not even here."""

    list_display = ["created_at", "campaign", "actor_label", "action", "target_label"]
    list_filter = ["action", "campaign"]
    search_fields = ["actor_label", "action", "target_label"]
    list_select_related = ["campaign"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CampaignInvitation)
class CampaignInvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "campaign", "created_at", "accepted_at", "cancelled_at"]
    list_filter = ["role", "campaign"]
    search_fields = ["email"]
    readonly_fields = ["token_hash"]


@admin.register(DeliveryRun)
class DeliveryRunAdmin(ImportedAdmin):
    """Deliveries change only through the lead area and the workers (campaigns/delivery.py)."""

    list_display = ["pk", "campaign", "status", "scheduled_for", "started_at", "completed_at"]
    list_filter = ["status", "campaign"]
    list_select_related = ["campaign"]


@admin.register(Delivery)
class DeliveryAdmin(ImportedAdmin):
    list_display = ["legislator", "campaign", "channel", "status", "attempts", "sent_at"]
    list_filter = ["status", "channel", "campaign"]
    search_fields = ["legislator__name", "to_email", "message_id", "pdf_sha256"]
    list_select_related = ["legislator", "campaign"]
