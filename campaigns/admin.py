from django.contrib import admin

from .models import Campaign, CampaignRole, LetterVersion, PartnerLink


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
