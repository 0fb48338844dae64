from django.contrib import admin

from .models import BlockedDomain, Signature


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin):
    list_display = ["public_name", "campaign", "kind", "state", "status", "created_at"]
    list_filter = ["campaign", "status", "kind"]
    search_fields = ["organization_name", "display_name", "email_canonical"]
    readonly_fields = ["letter_version", "letter_sha256", "ip_hash", "email_canonical"]
    list_select_related = ["campaign"]


@admin.register(BlockedDomain)
class BlockedDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "action", "campaign", "created_at"]
    list_filter = ["action", "campaign"]
    search_fields = ["domain"]
