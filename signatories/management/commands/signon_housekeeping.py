from django.core.management.base import BaseCommand

from signatories.retention import anonymization_schedule
from signatories.services import email_quotas_purge, signatures_expire


class Command(BaseCommand):
    help = (
        "Mark long-unconfirmed signatures expired, forget old daily email counts, and queue "
        "the anonymization of archived campaigns past RETENTION_DAYS (run it daily)."
    )

    def handle(self, *args, **options):
        expired = signatures_expire()
        purged = email_quotas_purge()
        queued = anonymization_schedule()
        self.stdout.write(
            f"{expired} signatures expired, {purged} old email counts removed, "
            f"{queued} archived campaigns queued for anonymization"
        )
