"""The recipients page, the send confirmation, the delivery report and the public receipt."""

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import (
    AuditEntry,
    Campaign,
    CampaignRecipient,
    CampaignRole,
    Committee,
    CommitteeMembership,
    Delivery,
    DeliveryRun,
)
from tests.factories import make_legislator
from tests.lead import make_verified_user

from .delivery_helpers import make_send_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DELIVERY_RATE_PER_MINUTE = 0


def _url(name, campaign, **kwargs):
    return reverse(f"lead:{name}", kwargs={"slug": campaign.slug, **kwargs})


def _lead(campaign, role="editor"):
    user = make_verified_user()
    CampaignRole.objects.create(campaign=campaign, user=user, role=role)
    return user


def _text(response) -> str:
    return " ".join(response.content.decode().split())


# --- choosing recipients --------------------------------------------------------------------


@pytest.fixture
def directory():
    people = [
        make_legislator(name="Alice Alvarez", district="1"),
        make_legislator(name="Bob Baker", district="2", email=""),
        make_legislator(name="Carol Chen", district="3", chamber="lower", party="Republican"),
        make_legislator(
            name="Dan Dalton",
            jurisdiction="or",
            jurisdiction_name="Oregon",
            state="OR",
        ),
    ]
    committee = Committee.objects.create(
        source="openstates", source_id="c-1", name="Housing", jurisdiction="wa", chamber="upper"
    )
    CommitteeMembership.objects.create(committee=committee, legislator=people[1])
    return {"people": people, "committee": committee}


def test_an_empty_directory_tells_the_lead_how_it_gets_filled(client):
    campaign = make_send_world(emails=0, posts=0).campaign
    client.force_login(_lead(campaign))
    assert "import_legislators" in _text(client.get(_url("recipients", campaign)))
    make_legislator()
    assert "import_legislators" not in _text(client.get(_url("recipients", campaign)))


def test_a_district_alone_asks_for_its_state_and_matches_nothing(client, directory):
    world = make_send_world(emails=0, posts=0)
    client.force_login(_lead(world.campaign))
    url = _url("recipients", world.campaign)
    page = _text(client.get(url, {"district": "1"}))
    assert "district numbers repeat from one state to the next" in page
    assert "matches:" not in page and "legislator matches" not in page
    response = client.post(f"{url}?district=1", {"action": "add-matching"})
    assert response.status_code == 302
    assert not CampaignRecipient.objects.filter(campaign=world.campaign).exists()
    page = _text(client.get(url, {"district": "1", "jurisdiction": "wa"}))
    assert "1 legislator matches" in page


def test_the_recipients_page_counts_email_and_print_and_mail(client, directory):
    world = make_send_world(emails=2, posts=1)
    client.force_login(_lead(world.campaign, "viewer"))
    page = _text(client.get(_url("recipients", world.campaign)))
    assert "Recipients</dt><dd>3</dd>" in page
    assert "By email</dt><dd>2</dd>" in page
    assert "Print and mail</dt><dd>1</dd>" in page
    assert "Senator Person 0" in page and "Representative Mailonly 0" in page
    assert 'name="action" value="remove"' not in page  # viewers only look


def test_a_filter_shows_how_many_match_then_adds_them(client, directory):
    world = make_send_world(emails=0, posts=0)
    client.force_login(_lead(world.campaign))
    url = _url("recipients", world.campaign)
    page = _text(client.get(url, {"jurisdiction": "wa", "chamber": "upper"}))
    assert (
        "2 legislators match: 1 with an email address, 1 to print and mail (0 already chosen)."
        in page
    )
    assert CampaignRecipient.objects.count() == 0  # looking adds nothing
    response = client.post(f"{url}?jurisdiction=wa&chamber=upper", {"action": "add-matching"})
    assert response.status_code == 302
    assert response["Location"] == f"{url}?jurisdiction=wa&chamber=upper"
    chosen = set(world.campaign.recipients.values_list("legislator__name", flat=True))
    assert chosen == {"Alice Alvarez", "Bob Baker"}
    entry = AuditEntry.objects.get(action="recipients.add")
    assert entry.after == {"filters": {"jurisdiction": "wa", "chamber": "upper"}, "added": 2}
    page = _text(client.get(response["Location"]))
    assert "2 recipients added." in page
    assert "(2 already chosen)" in page


def test_a_committee_can_be_chosen_once_its_legislature_is(client, directory):
    world = make_send_world(emails=0, posts=0)
    client.force_login(_lead(world.campaign))
    url = _url("recipients", world.campaign)
    committee = directory["committee"]
    assert "Housing" not in client.get(url).content.decode()
    assert "Housing" in client.get(url, {"jurisdiction": "wa"}).content.decode()
    client.post(f"{url}?jurisdiction=wa&committee={committee.pk}", {"action": "add-matching"})
    assert list(world.campaign.recipients.values_list("legislator__name", flat=True)) == [
        "Bob Baker"
    ]


def test_adding_without_a_filter_adds_nothing(client, directory):
    world = make_send_world(emails=0, posts=0)
    client.force_login(_lead(world.campaign))
    url = _url("recipients", world.campaign)
    response = client.post(url, {"action": "add-matching"}, follow=True)
    assert "Choose at least one filter" in response.content.decode()
    response = client.post(f"{url}?party=Nonexistent", {"action": "add-matching"}, follow=True)
    assert "Choose at least one filter" in response.content.decode()
    assert not CampaignRecipient.objects.exists()
    assert not AuditEntry.objects.filter(action="recipients.add").exists()


def test_one_by_one_search_and_remove(client, directory):
    world = make_send_world(emails=0, posts=0)
    client.force_login(_lead(world.campaign))
    url = _url("recipients", world.campaign)
    page = _text(client.get(url, {"q": "car"}))
    carol = directory["people"][2]
    assert f'value="{carol.pk}"' in page and "Alice Alvarez" not in page
    client.post(f"{url}?q=car", {"action": "add", "ids": [carol.pk]})
    assert list(world.campaign.recipients.values_list("legislator", flat=True)) == [carol.pk]
    assert "chosen" in _text(client.get(url, {"q": "car"}))
    response = client.post(url, {"action": "remove", "ids": [carol.pk]}, follow=True)
    assert "1 recipient removed." in response.content.decode()
    assert not CampaignRecipient.objects.exists()
    assert AuditEntry.objects.get(action="recipients.remove").after == {"removed": 1}
    # A tampered selection changes nothing.
    response = client.post(url, {"action": "add", "ids": ["x"]}, follow=True)
    assert "not valid" in response.content.decode()
    assert not CampaignRecipient.objects.exists()


def test_paging_through_the_recipients_keeps_the_filter_and_the_search(client):
    world = make_send_world(emails=101, posts=0)
    client.force_login(_lead(world.campaign, "viewer"))
    page = _text(client.get(_url("recipients", world.campaign), {"q": "person", "state": "WA"}))
    assert 'href="?q=person&amp;state=WA&amp;page=2"' in page
    page_two = _text(client.get(_url("recipients", world.campaign), {"q": "person", "page": 2}))
    assert 'href="?q=person&amp;page=1"' in page_two and "Page 2 of 2" in page_two


# --- sending --------------------------------------------------------------------------------


def test_the_confirmation_shows_the_count_and_a_preview_and_creates_nothing(client):
    world = make_send_world(emails=2, posts=1)
    client.force_login(_lead(world.campaign))
    page = _text(client.get(_url("delivery-send", world.campaign)))
    assert "3 copies" in page
    assert "2 by email" in page and "1 to print and mail" in page
    preview = reverse("campaigns:pdf-preview", kwargs={"slug": world.campaign.slug})
    assert f'href="{preview}?cover=1"' in page
    assert 'name="expected_count" value="3"' in page
    assert "Confirm: send 3 copies" in page
    assert not DeliveryRun.objects.exists()


def test_confirming_sends_now(client, mailoutbox, django_capture_on_commit_callbacks):
    world = make_send_world(emails=2, posts=1)
    lead = _lead(world.campaign)
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("delivery-send", world.campaign), {"when": "now", "expected_count": "3"}
        )
    assert response["Location"] == _url("delivery", world.campaign)
    run = DeliveryRun.objects.get()
    assert run.created_by == lead
    assert run.deliveries.count() == 3
    assert len(mailoutbox) == 2
    page = _text(client.get(response["Location"]))
    assert "Sending 3 copies." in page
    for copy in run.deliveries.all():
        assert copy.pdf_sha256 in page


def test_confirming_schedules_a_later_send(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    world = make_send_world()
    client.force_login(_lead(world.campaign))
    at = timezone.localtime() + timedelta(days=2)
    response = client.post(
        _url("delivery-send", world.campaign),
        {"when": "at", "send_at": at.strftime("%Y-%m-%dT%H:%M"), "expected_count": "3"},
        follow=True,
    )
    run = DeliveryRun.objects.get()
    assert run.status == DeliveryRun.Status.SCHEDULED
    assert abs(run.scheduled_for - at) < timedelta(minutes=1)
    page = _text(response)
    assert "Scheduled: 3 copies will be sent at" in page
    assert "Cancel the scheduled delivery" in page
    client.post(_url("delivery-cancel", world.campaign))
    run.refresh_from_db()
    assert run.status == DeliveryRun.Status.CANCELLED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"when": "at", "send_at": "", "expected_count": "3"}, "Choose the date and time"),
        ({"when": "at", "send_at": "2001-01-01T10:00", "expected_count": "3"}, "in the future"),
        ({"when": "now", "expected_count": "2"}, "changed since you looked"),
        ({"when": "later", "expected_count": "3"}, "Select a valid choice"),
        ({"when": "now"}, "The page was out of date"),
        ({"when": "now", "expected_count": "-1"}, "The page was out of date"),
    ],
)
def test_bad_confirmations_send_nothing(client, data, message, mailoutbox):
    world = make_send_world()
    client.force_login(_lead(world.campaign))
    response = client.post(_url("delivery-send", world.campaign), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not DeliveryRun.objects.exists()
    assert mailoutbox == []


def test_a_second_confirmation_finds_the_first_delivery(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    world = make_send_world()
    client.force_login(_lead(world.campaign))
    url = _url("delivery-send", world.campaign)
    client.post(url, {"when": "now", "expected_count": "3"})
    response = client.post(url, {"when": "now", "expected_count": "3"}, follow=True)
    assert "already scheduled or under way" in response.content.decode()
    assert DeliveryRun.objects.count() == 1
    assert Delivery.objects.count() == 3


def test_without_a_reply_to_the_lead_is_told_what_to_fix(client):
    world = make_send_world(reply_to_email="")
    client.force_login(_lead(world.campaign))
    page = _text(client.get(_url("delivery-send", world.campaign)))
    assert "Set a reply-to address in the settings first" in page
    assert "Confirm: send" not in page


# --- the report -----------------------------------------------------------------------------


def test_the_report_counts_by_status_and_resolves_unconfirmed_copies(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    world = make_send_world(emails=3, posts=1)
    lead = _lead(world.campaign)
    client.force_login(lead)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("delivery-send", world.campaign), {"when": "now", "expected_count": "4"})
    first, second, third = Delivery.objects.filter(channel="email").order_by("pk")
    Delivery.objects.filter(pk=first.pk).update(status="unconfirmed")
    Delivery.objects.filter(pk=second.pk).update(status="bounced", error="550 no such user")
    page = _text(client.get(_url("delivery", world.campaign)))
    assert "Completed" in page
    for label, count in [("Ready", 1), ("Unconfirmed", 1), ("Sent", 1), ("Bounced", 1)]:
        assert f'<dt>{label}</dt><dd><a href="?status=' in page
        assert f">{count}</a></dd>" in page
    assert "Unconfirmed copies" in page and "It arrived: mark as sent" in page
    assert "550 no such user" in page and "Copies that did not arrive" in page
    assert f'value="{second.legislator.email}"' in page
    assert "Download the print-and-mail bundle" in page
    filtered = _text(client.get(_url("delivery", world.campaign), {"status": "bounced"}))
    assert second.legislator.name in filtered and third.legislator.name not in filtered

    client.post(_url("delivery-resolve", world.campaign, pk=first.pk), {"action": "mark_sent"})
    first.refresh_from_db()
    assert first.status == "sent"
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("delivery-resolve", world.campaign, pk=second.pk),
            {"action": "resend", "email": "right@leg.example"},
        )
    assert response.status_code == 302
    second.refresh_from_db()
    assert (second.status, second.to_email) == ("sent", "right@leg.example")
    assert [m.to for m in mailoutbox] == [["right@leg.example"]]
    # A bad address or a copy that cannot be resent changes nothing.
    response = client.post(
        _url("delivery-resolve", world.campaign, pk=third.pk),
        {"action": "resend", "email": "not an address"},
        follow=True,
    )
    assert "Enter a valid email address" in response.content.decode()
    third.refresh_from_db()
    assert third.status == "sent" and third.to_email != "not an address"


def test_a_lead_reads_a_copy_as_it_was_sent(client, django_capture_on_commit_callbacks):
    world = make_send_world(emails=1, posts=0)
    client.force_login(_lead(world.campaign, "viewer"))
    with django_capture_on_commit_callbacks(execute=True):
        from campaigns.delivery import delivery_run_create

        run = delivery_run_create(campaign=world.campaign, actor=None)
    copy = run.deliveries.get()
    response = client.get(_url("delivery-pdf", world.campaign, pk=copy.pk))
    assert response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == copy.pdf_sha256
    other = make_send_world(emails=1, posts=0)
    response = client.get(_url("delivery-pdf", other.campaign, pk=copy.pk))
    assert response.status_code == 404


# --- the public receipt ---------------------------------------------------------------------


def _delivered(django_capture_on_commit_callbacks, emails=2, posts=1):
    from campaigns.delivery import delivery_run_create

    world = make_send_world(emails=emails, posts=posts)
    with django_capture_on_commit_callbacks(execute=True):
        run = delivery_run_create(campaign=world.campaign, actor=None)
    return world, run


def test_the_receipt_shows_when_to_how_many_and_each_pdfs_sha256(
    client, django_capture_on_commit_callbacks
):
    world, run = _delivered(django_capture_on_commit_callbacks)
    Delivery.objects.filter(run=run, channel="print").update(
        status="mailed", sent_at=timezone.now()
    )
    bounced = run.deliveries.filter(channel="email").first()
    Delivery.objects.filter(pk=bounced.pk).update(status="bounced")
    response = client.get(reverse("campaigns:receipt", kwargs={"slug": world.campaign.slug}))
    assert response.status_code == 200
    assert "public" in response["Cache-Control"]
    page = _text(response)
    assert "The letter went to 2 offices." in page
    assert "1 copy by email." in page
    assert "1 copy by post or through the office's contact form." in page
    assert timezone.localdate().strftime("%Y") in page
    version = world.campaign.versions.get()
    assert version.sha256 in page
    for copy in run.deliveries.exclude(pk=bounced.pk):
        assert copy.pdf_sha256 in page
        assert copy.legislator.name in page
        pdf = client.get(
            reverse(
                "campaigns:receipt-pdf",
                kwargs={"slug": world.campaign.slug, "sha256": copy.pdf_sha256},
            )
        )
        content = b"".join(pdf.streaming_content)
        assert hashlib.sha256(content).hexdigest() == copy.pdf_sha256
    # A copy that did not arrive is neither counted nor downloadable.
    assert bounced.pdf_sha256 not in page
    url = reverse(
        "campaigns:receipt-pdf", kwargs={"slug": world.campaign.slug, "sha256": bounced.pdf_sha256}
    )
    assert client.get(url).status_code == 404


def test_the_receipt_before_delivery_and_for_drafts(client):
    world = make_send_world()
    page = client.get(reverse("campaigns:receipt", kwargs={"slug": world.campaign.slug}))
    assert "has not been delivered yet" in page.content.decode()
    Campaign.objects.filter(pk=world.campaign.pk).update(status=Campaign.Status.DRAFT)
    page = client.get(reverse("campaigns:receipt", kwargs={"slug": world.campaign.slug}))
    assert page.status_code == 404


def test_the_receipt_takes_the_same_number_of_queries_for_more_offices(
    client, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    small, _run = _delivered(django_capture_on_commit_callbacks, emails=1, posts=0)
    large, _run = _delivered(django_capture_on_commit_callbacks, emails=6, posts=0)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for world in (small, large):
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("campaigns:receipt", kwargs={"slug": world.campaign.slug}))
        counts.append(len(queries))
    assert counts[0] == counts[1]


ODD = ["", "x" * 5000, "\x00", "<script>", "١٢٣", "🙂", "-1", "9" * 30, "wa\n", "' OR 1=1"]


@pytest.mark.parametrize("value", ODD)
def test_odd_input_on_the_delivery_pages_is_never_a_server_error(client, value):
    world = make_send_world()
    client.force_login(_lead(world.campaign))
    recipients = _url("recipients", world.campaign)
    for name in ("jurisdiction", "state", "chamber", "district", "committee", "party", "q", "page"):
        assert client.get(recipients, {name: value}).status_code == 200
        response = client.post(
            f"{recipients}?{name}=zz-none", {"action": value or "add-matching", "ids": [value]}
        )
        assert response.status_code == 302
    send = _url("delivery-send", world.campaign)
    data = {"when": value, "send_at": value, "expected_count": value}
    assert client.post(send, data).status_code == 200
    report = _url("delivery", world.campaign)
    assert client.get(report, {"status": value, "page": value}).status_code == 200
    assert client.post(
        _url("delivery-resolve", world.campaign, pk=1), {"action": value}
    ).status_code in (302, 404)
    assert CampaignRecipient.objects.count() == 3
    assert not DeliveryRun.objects.exists()
