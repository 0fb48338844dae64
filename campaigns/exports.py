"""CSV export of a campaign's signers, streamed row by row.

Viewers get the public fields only; owners and editors also get the contact fields. Every
cell that a spreadsheet would read as a formula (starting with = + - @, a tab or a carriage
return) gets a leading apostrophe, so a signer named "=HYPERLINK(...)" stays text.
"""

import csv
from collections.abc import Iterator

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from signatories.models import Signature

from .audit import audit_record
from .models import Campaign

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

PUBLIC_COLUMNS = [
    ("id", lambda s: s.pk),
    ("public_name", lambda s: s.public_name),
    ("kind", lambda s: s.kind),
    ("organization_type", lambda s: s.organization_type),
    ("website", lambda s: s.website),
    ("city", lambda s: s.city),
    ("state", lambda s: s.state),
    ("country", lambda s: s.country),
    ("status", lambda s: s.status),
    ("held_for_review", lambda s: "yes" if s.held_for_review else "no"),
    ("lead_organization", lambda s: "yes" if s.is_lead_organization else "no"),
    ("merged_into_id", lambda s: s.merged_into_id or ""),
    ("partner_link", lambda s: s.partner_link.code if s.partner_link_id else ""),
    ("letter_version", lambda s: s.letter_version.number),
    ("signed_at", lambda s: timezone.localtime(s.created_at).isoformat(timespec="seconds")),
]
CONTACT_COLUMNS = [
    ("organization_name", lambda s: s.organization_name),
    ("signer_name", lambda s: s.signer_name),
    ("signer_title", lambda s: s.signer_title),
    ("email", lambda s: s.email),
    ("consent_listed", lambda s: "yes" if s.consent_listed else "no"),
    ("consent_updates", lambda s: "yes" if s.consent_updates else "no"),
    ("language", lambda s: s.language),
]


def neutralize(value) -> str:
    """A cell as text a spreadsheet will not evaluate."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def export_columns(*, include_contacts: bool):
    return PUBLIC_COLUMNS + (CONTACT_COLUMNS if include_contacts else [])


class _Echo:
    def write(self, value):
        return value


def signatures_csv_rows(
    *, signatures: QuerySet[Signature], include_contacts: bool
) -> Iterator[str]:
    """The CSV as an iterator of lines, reading the database in chunks."""
    columns = export_columns(include_contacts=include_contacts)
    writer = csv.writer(_Echo())
    # A byte-order mark so spreadsheet programs read accented and non-Latin names as UTF-8.
    yield "\ufeff" + writer.writerow([name for name, _value in columns])
    rows = signatures.select_related("partner_link", "letter_version").order_by("pk")
    for signature in rows.iterator(chunk_size=2000):
        yield writer.writerow([neutralize(value(signature)) for _name, value in columns])


@transaction.atomic
def signatures_export_start(
    *, campaign: Campaign, actor, signatures: QuerySet[Signature], include_contacts: bool, filters
) -> Iterator[str]:
    """Log the export, then hand back the rows to stream (outside this transaction)."""
    audit_record(
        campaign=campaign,
        actor=actor,
        action="export.csv",
        after={"contact_fields": include_contacts, "filters": filters},
    )
    return signatures_csv_rows(signatures=signatures, include_contacts=include_contacts)
