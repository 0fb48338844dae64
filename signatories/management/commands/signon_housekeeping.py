from django.core.management.base import BaseCommand

from signatories.services import email_quotas_purge, signatures_expire


class Command(BaseCommand):
    help = "Mark long-unconfirmed signatures expired and forget old daily email counts (daily)."

    def handle(self, *args, **options):
        expired = signatures_expire()
        purged = email_quotas_purge()
        self.stdout.write(f"{expired} signatures expired, {purged} old email counts removed")
