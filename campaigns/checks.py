"""Deployment checks: `manage.py check --deploy` warns about unprotected tracking webhooks
and about a cache that each process keeps to itself."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def tracking_webhook_secret(app_configs, **kwargs):
    if settings.MAILER != "anymail" or settings.ANYMAIL.get("WEBHOOK_SECRET"):
        return []
    return [
        Warning(
            "MAILER=anymail without ANYMAIL_WEBHOOK_SECRET: anyone could post tracking "
            "events to /anymail/…/tracking/ and change the delivery report.",
            hint="Set ANYMAIL_WEBHOOK_SECRET to a long random 'user:password' and put the "
            "same credentials in the webhook URL at your email provider.",
            id="campaigns.W001",
        )
    ]


@register(Tags.caches, deploy=True)
def shared_cache(app_configs, **kwargs):
    """Production runs several processes (web processes, task workers): they must share
    the public pages' versions and the rate-limit counts."""
    backend = settings.CACHES["default"]["BACKEND"]
    if not settings.PRODUCTION or not backend.endswith(("LocMemCache", "DummyCache")):
        return []
    return [
        Warning(
            "PRODUCTION=true without a shared cache (CACHE_URL is locmem:// or dummy://): a "
            "signature confirmed or a campaign closed in one process would not show on pages "
            "another process serves, and rate limits would be counted per process (locmem) "
            "or not at all (dummy).",
            hint="Set CACHE_URL=redis://host:6379/1 (the same for every process).",
            id="campaigns.W002",
        )
    ]
