"""The print-and-mail bundle: offices without an email address (all of Congress, some states).

A ZIP with one PDF per office (the same snapshot the delivery report lists, sha256 and all)
and `addresses.csv`: where to post each one, the office's phones, and its contact-form URL
for offices that take letters through a web form. Cells that a spreadsheet would read as a
formula are neutralized as in the signers' export.
"""

import csv
import io
import zipfile
from typing import BinaryIO

from django.db import transaction
from django.db.models import QuerySet
from django.utils.text import slugify

from .audit import audit_record
from .delivery import snapshot_path
from .exports import neutralize
from .models import Campaign, Delivery
from .pdf import mailing_office

CSV_NAME = "addresses.csv"
CSV_COLUMNS = [
    "file",
    "name",
    "title",
    "body",
    "jurisdiction",
    "state",
    "district",
    "party",
    "mailing_address",
    "phone",
    "fax",
    "other_offices",
    "contact_form_url",
    "website",
    "pdf_sha256",
    "status",
]


def print_bundle_deliveries(*, campaign: Campaign) -> QuerySet[Delivery]:
    """The copies to print and mail: those with a snapshot, not cancelled."""
    return (
        Delivery.objects.filter(
            campaign=campaign,
            channel=Delivery.Channel.PRINT,
            status__in=[Delivery.Status.READY, Delivery.Status.MAILED],
        )
        .exclude(pdf_sha256="")
        .select_related("legislator")
        .order_by("legislator__jurisdiction", "legislator__chamber", "legislator__sort_name", "pk")
    )


def bundle_file_name(number: int, delivery: Delivery) -> str:
    legislator = delivery.legislator
    name = slugify(legislator.name)[:60] or f"office-{legislator.pk}"
    return f"{number:04d}-{legislator.jurisdiction}-{legislator.chamber}-{name}.pdf"


def _office_line(office: dict) -> str:
    """ "district: 1 Main St, Kent, WA 98032 (tel 253-555-0100)"."""
    text = ": ".join(p for p in (office.get("classification"), office.get("address")) if p)
    phones = ", ".join(
        f"{label} {office[key]}"
        for key, label in (("voice", "tel"), ("fax", "fax"))
        if office.get(key)
    )
    return f"{text} ({phones})" if phones else text


def _csv_row(file_name: str, delivery: Delivery) -> list[str]:
    legislator = delivery.legislator
    mailing = mailing_office(legislator)
    others = [o for o in legislator.offices or [] if isinstance(o, dict) and o is not mailing]
    phone = mailing.get("voice", "") or next((o["voice"] for o in others if o.get("voice")), "")
    values = [
        file_name,
        legislator.name,
        legislator.title,
        legislator.body,
        legislator.jurisdiction_name,
        legislator.state,
        legislator.district,
        legislator.party,
        mailing.get("address", ""),
        phone,
        mailing.get("fax", ""),
        " | ".join(_office_line(o) for o in others),
        legislator.contact_form_url,
        legislator.website,
        delivery.pdf_sha256,
        delivery.get_status_display(),
    ]
    return [neutralize(value) for value in values]


def print_bundle_write(*, deliveries: list[Delivery], output: BinaryIO) -> int:
    """Write the ZIP to `output`; returns the number of PDFs in it."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(CSV_COLUMNS)
    count = 0
    # PDFs are compressed already: stored as they are, byte for byte (their sha256 holds).
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_STORED) as bundle:
        for delivery in deliveries:
            path = snapshot_path(delivery)
            if path is None:
                continue
            count += 1
            name = bundle_file_name(count, delivery)
            bundle.write(path, arcname=name)
            writer.writerow(_csv_row(name, delivery))
        # A byte-order mark so spreadsheet programs read accented names as UTF-8.
        bundle.writestr(CSV_NAME, ("\ufeff" + text.getvalue()).encode(), zipfile.ZIP_DEFLATED)
    return count


@transaction.atomic
def print_bundle_start(*, campaign: Campaign, actor) -> list[Delivery]:
    """Log the download and hand back the copies to put in the bundle."""
    deliveries = list(print_bundle_deliveries(campaign=campaign))
    audit_record(
        campaign=campaign,
        actor=actor,
        action="delivery.bundle",
        after={"copies": len(deliveries)},
    )
    return deliveries
