"""The print-and-mail bundle, file by file: a PDF per office without email, and a CSV."""

import csv
import hashlib
import io
import zipfile

import pytest
from django.urls import reverse
from pypdf import PdfReader

from campaigns.delivery import delivery_run_create
from campaigns.models import AuditEntry, CampaignRecipient, CampaignRole, Delivery
from tests.factories import make_legislator
from tests.lead import make_verified_user

from .delivery_helpers import make_send_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DELIVERY_RATE_PER_MINUTE = 0


def first_page(content: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())


def test_the_bundle_holds_each_postal_copy_and_where_to_send_it(
    client, django_capture_on_commit_callbacks
):
    world = make_send_world(emails=1, posts=1)
    tricky = make_legislator(
        source="congress",
        source_id="T000001",
        name='=HYPERLINK("https://evil.example")',
        family_name="Hyperlink",
        title="Senator",
        jurisdiction="us",
        jurisdiction_name="U.S. Congress",
        state="WA",
        body="U.S. Senate",
        chamber="senate",
        district="",
        party="+Independent",
        email="",
        contact_form_url="https://senate.example/contact",
        offices=[{"classification": "capitol", "address": "-1 Hart Building Washington DC 20510"}],
    )
    accented = make_legislator(
        name="José Núñez",
        family_name="Núñez",
        email="",
        offices=[{"classification": "district", "address": "5 Elm St, Yakima, WA 98901"}],
    )
    for legislator in (tricky, accented):
        CampaignRecipient.objects.create(campaign=world.campaign, legislator=legislator)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_run_create(campaign=world.campaign, actor=None)
    viewer = make_verified_user()
    CampaignRole.objects.create(campaign=world.campaign, user=viewer, role="viewer")
    client.force_login(viewer)

    response = client.get(reverse("lead:delivery-bundle", kwargs={"slug": world.campaign.slug}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert bundle.testzip() is None

    postal = {d.legislator_id: d for d in Delivery.objects.filter(channel=Delivery.Channel.PRINT)}
    names = bundle.namelist()
    assert names[-1] == "addresses.csv"
    pdfs = names[:-1]
    # One PDF per office without email, ordered by legislature, chamber and name.
    assert pdfs == [
        "0001-us-house-representative-mailonly-0.pdf",
        "0002-us-senate-hyperlinkhttpsevilexample.pdf",
        "0003-wa-upper-jose-nunez.pdf",
    ]
    rows = list(csv.DictReader(io.StringIO(bundle.read("addresses.csv").decode("utf-8-sig"))))
    assert [row["file"] for row in rows] == pdfs
    by_file = dict(zip(pdfs, [world.by_post[0], tricky, accented], strict=True))
    for row in rows:
        legislator = by_file[row["file"]]
        copy = postal[legislator.pk]
        content = bundle.read(row["file"])
        # Byte for byte the snapshot the report lists: its sha256 holds.
        assert hashlib.sha256(content).hexdigest() == copy.pdf_sha256 == row["pdf_sha256"]
        assert f"The Honorable {legislator.name}" in first_page(content)
        assert row["contact_form_url"] == legislator.contact_form_url
        assert row["status"] == "Ready"
    first, second, third = rows
    assert first["mailing_address"] == "100 Rayburn House Office Building Washington DC 20515"
    assert first["phone"] == "202-555-0100"
    assert first["other_offices"] == "district: 1 Main St, Kent, WA 98032"
    # Formula-looking values stay text in a spreadsheet.
    assert second["name"] == '\'=HYPERLINK("https://evil.example")'
    assert second["party"] == "'+Independent"
    assert second["mailing_address"] == "'-1 Hart Building Washington DC 20510"
    assert third["name"] == "José Núñez"
    assert third["mailing_address"] == "5 Elm St, Yakima, WA 98901"
    # The office with an email address is not in the bundle.
    assert world.by_email[0].name not in bundle.read("addresses.csv").decode("utf-8-sig")
    assert AuditEntry.objects.get(action="delivery.bundle").after == {"copies": 3}


def test_the_bundle_is_empty_before_anything_is_sent(client):
    world = make_send_world(emails=0, posts=2)
    viewer = make_verified_user()
    CampaignRole.objects.create(campaign=world.campaign, user=viewer, role="viewer")
    client.force_login(viewer)
    response = client.get(reverse("lead:delivery-bundle", kwargs={"slug": world.campaign.slug}))
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert bundle.namelist() == ["addresses.csv"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_the_bundle_answers_only_a_get_and_logs_nothing_else(client, method):
    world = make_send_world(emails=0, posts=1)
    owner = make_verified_user()
    CampaignRole.objects.create(campaign=world.campaign, user=owner, role="owner")
    client.force_login(owner)
    url = reverse("lead:delivery-bundle", kwargs={"slug": world.campaign.slug})
    before = AuditEntry.objects.count()
    assert client.generic(method, url).status_code == 405
    assert AuditEntry.objects.count() == before
