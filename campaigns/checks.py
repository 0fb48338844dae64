"""System checks for delivery: `manage.py check --deploy` warns about unprotected webhooks."""

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
