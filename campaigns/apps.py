from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = "Campaigns"

    def ready(self):
        from anymail.signals import tracking

        from . import checks  # noqa: F401  (registers the system checks)
        from .delivery import tracking_received

        # Email providers' tracking webhooks (anymail's views under /anymail/) update each
        # delivery by its message id.
        tracking.connect(tracking_received, dispatch_uid="campaigns.delivery.tracking")
