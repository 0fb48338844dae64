import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from campaigns.importers import (
    LegislatorImportError,
    legislators_import_congress,
    legislators_import_openstates,
)

IMPORTERS = {
    "openstates": legislators_import_openstates,
    "congress": legislators_import_congress,
}


class ProgressBar:
    """A one-line bar on stderr, redrawn at most ten times a second."""

    width = 30

    def __init__(self, stream):
        self.stream = stream  # a command's OutputWrapper
        self.stage = ""
        self.drawn_at = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.monotonic()
        if stage == self.stage and done < total and now - self.drawn_at < 0.1:
            return
        if stage != self.stage and self.stage:
            self.stream.write("\n", style_func=str, ending="")
        self.stage, self.drawn_at = stage, now
        filled = self.width * done // total if total else self.width
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{stage:<8} [{bar}] {done}/{total}", style_func=str, ending="")
        self.stream.flush()

    def close(self) -> None:
        if self.stage:
            self.stream.write("\n", style_func=str, ending="")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Import legislators: `openstates PATH` (an Open States people jurisdiction folder "
        "or data/ tree) or `congress PATH` (a folder of congress-legislators YAML). "
        "Safe to repeat: unchanged people are left alone, people no longer listed retire."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", choices=sorted(IMPORTERS))
        parser.add_argument("path")
        parser.add_argument(
            "--progress",
            action="store_true",
            help="Show a progress bar on stderr even when it is not a terminal.",
        )
        parser.add_argument(
            "--as-of",
            type=date.fromisoformat,
            default=None,
            metavar="YYYY-MM-DD",
            help="Which roles count as current (default: today).",
        )

    def handle(self, *args, source, path, progress, as_of, **options):
        bar = ProgressBar(self.stderr) if progress or self.stderr.isatty() else None
        try:
            result = IMPORTERS[source](path=path, as_of=as_of, progress=bar)
        except LegislatorImportError as exc:
            raise CommandError(f"Nothing was imported: {exc}") from None
        finally:
            if bar:
                bar.close()
        self.stdout.write(result.summary)
        self.stdout.write(result.committees_summary)
        if result.skipped:
            self.stdout.write("skipped:")
            for skipped in result.skipped:
                self.stdout.write(f"  {skipped}")
        if result.notes:
            self.stdout.write("notes:")
            for note in result.notes:
                self.stdout.write(f"  {note}")
