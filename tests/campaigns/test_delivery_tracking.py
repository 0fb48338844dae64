"""Tracking: anymail's Postmark webhook, through its real URL with Postmark's payloads.

Postmark is the provider documented in the README (`ANYMAIL_BACKEND=
anymail.backends.postmark.EmailBackend`, its webhook at /anymail/postmark/tracking/ with
the basic-auth credentials of ANYMAIL_WEBHOOK_SECRET in the URL). Postmark reports
deliveries, bounces (some of which anymail calls "rejected"), spam complaints and opens; it
never posts "queued" or "sent" events (its API's answer is the "sent"), so those two come
through anymail's `tracking` signal, as another provider's webhook would send them.
"""

import base64
import json
from datetime import UTC, datetime

import pytest
import requests
from anymail.signals import AnymailTrackingEvent, tracking
from django.core import mail

from campaigns.delivery import delivery_run_create
from campaigns.models import Delivery, DeliveryEvent

from .delivery_helpers import make_send_world

pytestmark = pytest.mark.django_db

URL = "/anymail/postmark/tracking/"
SECRET = "postmark-hook:k2V9-long-random-secret"
MESSAGE_ID = "883953f4-6105-42a2-a16a-77a8eac79483"
Status = Delivery.Status


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.DELIVERY_RATE_PER_MINUTE = 0
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "POSTMARK_SERVER_TOKEN": "test-token"}


@pytest.fixture
def sent_copy(settings, django_capture_on_commit_callbacks):
    """A copy sent through anymail's Postmark backend (its HTTP API answered by a fake)."""
    settings.MAILERS = {"default": {"BACKEND": "anymail.backends.postmark.EmailBackend"}}
    calls = []

    def fake_request(session, method, url, **kwargs):
        calls.append(json.loads(kwargs["data"]))
        response = requests.Response()
        response.status_code = 200
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps(
            {
                "To": calls[-1]["To"],
                "SubmittedAt": "2026-11-25T10:00:00Z",
                "MessageID": MESSAGE_ID,
                "ErrorCode": 0,
                "Message": "OK",
            }
        ).encode()
        return response

    original = requests.Session.request
    requests.Session.request = fake_request
    try:
        world = make_send_world(emails=1, posts=0)
        with django_capture_on_commit_callbacks(execute=True):
            run = delivery_run_create(campaign=world.campaign, actor=None)
    finally:
        requests.Session.request = original
    copy = run.deliveries.get()
    (payload,) = calls
    assert payload["ReplyTo"] == "team@coalition.example"
    assert payload["Attachments"][0]["ContentType"] == "application/pdf"
    assert copy.message_id == MESSAGE_ID  # the provider's id, from anymail_status
    assert copy.status == Status.SENT
    return copy


def _auth(secret=SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def post(client, payload, secret=SECRET):
    return client.post(URL, json.dumps(payload), content_type="application/json", **_auth(secret))


def delivery_event(message_id=MESSAGE_ID, at="2026-11-25T10:00:05.9070259Z"):
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": message_id,
        "Recipient": "office0@leg.example",
        "Tag": "",
        "DeliveredAt": at,
        "Details": "smtp;250 2.0.0 OK",
        "Metadata": {},
    }


def bounce_event(kind="HardBounce", code=1, at="2026-11-25T10:01:00Z"):
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": code,
        "Name": "Hard bounce",
        "Tag": "",
        "MessageID": MESSAGE_ID,
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": "office0@leg.example",
        "From": "no-reply@localhost",
        "BouncedAt": at,
        "DumpAvailable": False,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Letter",
    }


def complaint_event(at="2026-11-25T11:00:00Z"):
    return {
        **bounce_event(kind="SpamComplaint", code=512, at=at),
        "RecordType": "SpamComplaint",
        "ID": 42,
        "Name": "Spam complaint",
        "Description": "",
    }


def open_event(at="2026-11-25T10:30:00Z"):
    return {
        "RecordType": "Open",
        "MessageStream": "outbound",
        "FirstOpen": True,
        "Client": {"Name": "Chrome 120", "Company": "Google", "Family": "Chrome"},
        "OS": {"Name": "Windows 10", "Company": "Microsoft", "Family": "Windows"},
        "Platform": "WebMail",
        "UserAgent": "Mozilla/5.0",
        "ReadSeconds": 5,
        "Geo": {},
        "MessageID": MESSAGE_ID,
        "Metadata": {},
        "ReceivedAt": at,
        "Tag": "",
        "Recipient": "office0@leg.example",
    }


def status_of(copy) -> str:
    copy.refresh_from_db()
    return copy.status


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (delivery_event(), Status.DELIVERED),
        (bounce_event(), Status.BOUNCED),
        (bounce_event(kind="BadEmailAddress", code=100000), Status.REJECTED),
        (complaint_event(), Status.COMPLAINED),
        (open_event(), Status.OPENED),
    ],
    ids=["delivered", "bounced", "rejected", "complained", "opened"],
)
def test_each_postmark_event_moves_the_copy(client, sent_copy, payload, status):
    response = post(client, payload)
    assert response.status_code == 200
    assert status_of(sent_copy) == status
    (event,) = DeliveryEvent.objects.filter(delivery=sent_copy)
    assert event.message_id == MESSAGE_ID
    if status == Status.BOUNCED:
        sent_copy.refresh_from_db()
        assert "does not exist" in sent_copy.error or "unable to deliver" in sent_copy.error


@pytest.mark.parametrize("event_type", ["queued", "sent"])
def test_queued_and_sent_events_keep_a_sent_copy_sent(sent_copy, event_type):
    event = AnymailTrackingEvent(
        event_type=event_type,
        message_id=MESSAGE_ID,
        timestamp=datetime(2026, 11, 25, 10, 0, 1, tzinfo=UTC),
        event_id=f"{event_type}-1",
    )
    tracking.send(sender=object, event=event, esp_name="Postmark")
    assert status_of(sent_copy) == Status.SENT
    assert DeliveryEvent.objects.get(delivery=sent_copy).event_type == event_type


def test_a_sent_event_confirms_a_copy_still_marked_sending(sent_copy):
    Delivery.objects.filter(pk=sent_copy.pk).update(status=Status.UNCONFIRMED)
    event = AnymailTrackingEvent(
        event_type="sent", message_id=MESSAGE_ID, timestamp=datetime.now(UTC)
    )
    tracking.send(sender=object, event=event, esp_name="Postmark")
    assert status_of(sent_copy) == Status.SENT


def test_a_wrong_or_missing_secret_is_refused_and_changes_nothing(client, sent_copy):
    assert post(client, delivery_event(), secret="postmark-hook:guess").status_code == 400
    response = client.post(URL, json.dumps(delivery_event()), content_type="application/json")
    assert response.status_code == 400
    assert status_of(sent_copy) == Status.SENT
    assert not DeliveryEvent.objects.exists()
    assert client.get(URL, **_auth()).status_code == 405


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("", "application/json"),
        ("not json", "application/json"),
        ("[1, 2]", "application/json"),
        ('{"RecordType": "Delivery", "DeliveredAt": 5}', "application/json"),
        ("RecordType=Delivery", "application/x-www-form-urlencoded"),
        ("\x00\xff", "application/octet-stream"),
    ],
)
def test_an_unreadable_payload_with_the_secret_is_refused_and_changes_nothing(
    client, sent_copy, body, content_type
):
    response = client.post(URL, body, content_type=content_type, **_auth())
    assert response.status_code == 400
    assert status_of(sent_copy) == Status.SENT
    assert not DeliveryEvent.objects.exists()


def test_a_provider_not_set_up_here_is_not_found_and_inbound_mail_is_not_served(client):
    # Mailgun's webhook needs its signing key, which this site does not have.
    response = client.post("/anymail/mailgun/tracking/", "{}", content_type="application/json")
    assert response.status_code == 404
    # Nothing here receives mail: anymail's inbound webhooks are not served at all.
    response = client.post("/anymail/postmark/inbound/", "{}", content_type="application/json")
    assert response.status_code == 404


def test_an_unknown_message_id_is_ignored(client, sent_copy):
    response = post(client, delivery_event(message_id="00000000-0000-0000-0000-000000000000"))
    assert response.status_code == 200
    assert status_of(sent_copy) == Status.SENT
    assert not DeliveryEvent.objects.exists()


def test_a_repeated_event_changes_nothing(client, sent_copy):
    assert post(client, bounce_event()).status_code == 200
    assert post(client, bounce_event()).status_code == 200
    assert status_of(sent_copy) == Status.BOUNCED
    assert DeliveryEvent.objects.count() == 1


def test_events_out_of_order_never_move_a_copy_backwards(client, sent_copy):
    post(client, open_event(at="2026-11-25T10:30:00Z"))
    post(client, delivery_event(at="2026-11-25T10:00:05Z"))  # arrives late
    assert status_of(sent_copy) == Status.OPENED
    post(client, complaint_event())
    post(client, open_event(at="2026-11-25T12:00:00Z"))
    assert status_of(sent_copy) == Status.COMPLAINED
    assert DeliveryEvent.objects.count() == 4  # all kept as the copy's history


def test_a_resent_copy_ignores_events_about_the_old_message(client, sent_copy, settings):
    from campaigns.delivery import delivery_resend

    post(client, bounce_event())
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox = []
    delivery_resend(delivery=sent_copy, actor=None, email="fixed@leg.example")
    sent_copy.refresh_from_db()
    assert sent_copy.message_id == ""
    post(client, delivery_event(at="2026-11-25T13:00:00Z"))  # about the bounced message
    assert status_of(sent_copy) == Status.READY


def test_check_deploy_warns_about_an_unprotected_webhook(settings):
    from campaigns.checks import tracking_webhook_secret

    settings.MAILER = "anymail"
    settings.ANYMAIL = {}
    assert [w.id for w in tracking_webhook_secret(None)] == ["campaigns.W001"]
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    assert tracking_webhook_secret(None) == []
