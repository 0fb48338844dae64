from django.core.management.base import BaseCommand

from campaigns.demo import DEMO_LEAD_EMAIL, DEMO_LEAD_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load the demo campaigns, signers and lead account (safe to run again)."

    def handle(self, *args, **options):
        summary = demo_load()
        self.stdout.write(
            f"demo: created {summary.created_campaigns} campaigns, "
            f"{summary.created_signatures} signatures, "
            f"{1 if summary.created_lead else 0} lead account, "
            f"{summary.created_legislators} legislators"
        )
        self.stdout.write(f"Sign in as the demo lead: {DEMO_LEAD_EMAIL} / {DEMO_LEAD_PASSWORD}")
