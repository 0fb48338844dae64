import json
import shutil
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from campaigns.pdf import Recipient, pdf_build, recipient_for_id


class Command(BaseCommand):
    help = "Build a campaign's letter as a PDF (addressed to one recipient when given)."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--out", required=True, help="Where to write the PDF.")
        recipient = parser.add_mutually_exclusive_group()
        recipient.add_argument("--recipient", help="A recipient's id in the directory.")
        recipient.add_argument(
            "--recipient-json",
            help='A JSON file with the recipient\'s fields, e.g. {"key": "x", "name": "Jane Doe", '
            '"honorific": "The Honorable", "chamber": "…", "address_lines": ["…"]}.',
        )
        parser.add_argument("--date", help="The date printed on the letter (YYYY-MM-DD).")

    def handle(self, *args, slug, out, recipient=None, recipient_json=None, **options):
        campaign = Campaign.objects.filter(slug=slug).first()
        if campaign is None:
            raise CommandError(f"No campaign with the slug {slug!r}.")
        addressee = None
        if recipient:
            try:
                addressee = recipient_for_id(recipient)
            except LookupError:
                raise CommandError(f"No recipient with the id {recipient!r}.") from None
        elif recipient_json:
            addressee = _recipient_from_json(Path(recipient_json))
        letter_date = None
        if options["date"]:
            try:
                letter_date = date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must look like 2026-11-25.") from None

        built = pdf_build(campaign=campaign, recipient=addressee, date=letter_date)
        shutil.copyfile(built.path, out)
        source = "from the cache" if built.from_cache else "built"
        self.stdout.write(f"{out}: {built.page_count} pages, sha256 {built.sha256} ({source})")


def _recipient_from_json(path: Path) -> Recipient:
    try:
        fields = json.loads(path.read_text())
        fields["address_lines"] = tuple(fields.get("address_lines", ()))
        return Recipient(**fields)
    except (OSError, ValueError, TypeError) as error:
        raise CommandError(f"Cannot read a recipient from {path}: {error}") from None
