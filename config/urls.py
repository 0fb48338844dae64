from allauth.account.decorators import secure_admin_login
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from . import language, views

# The admin signs in through allauth, so its two-factor step and rate limits apply there too.
admin.site.login = secure_admin_login(admin.site.login)

# Designed error pages (templates/400.html, 403.html, 403_csrf.html, 404.html, 429.html,
# 500.html): Django's own handlers render the others; the 500 page gets only the site name.
handler500 = "config.views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("lead/", include("campaigns.lead_urls")),
    path(
        "language/<slug:code>/",
        include(([path("", language.language_switch, name="switch")], "language")),
    ),
]
# Signers' pages: English without a prefix, Spanish under /es/ (see config/language.py).
urlpatterns += i18n_patterns(
    path("privacy/", include("signatories.privacy_urls")),
    # Email providers' tracking webhooks (anymail; basic auth with ANYMAIL_WEBHOOK_SECRET),
    # e.g. /anymail/postmark/tracking/: they update each delivery (campaigns/delivery.py).
    # Tracking only, and a 4xx for unreadable payloads: see campaigns/webhooks.py.
    path("anymail/", include("campaigns.webhooks")),
    path("", include("signatories.urls")),
    path("", include("campaigns.urls")),
    prefix_default_language=False,
)
