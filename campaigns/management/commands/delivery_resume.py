from django.core.management.base import BaseCommand

from campaigns.delivery import delivery_runs_resume


class Command(BaseCommand):
    help = (
        "Queue work for every unfinished delivery that no worker holds (safe to repeat; run "
        "it from cron every few minutes so that a lost task queue only delays delivery)."
    )

    def handle(self, *args, **options):
        count = delivery_runs_resume()
        self.stdout.write(f"queued {count} deliveries")
