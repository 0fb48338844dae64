"""A signer asks, without an account, for a copy of their data or its erasure: end to end,
through the pages and the emails."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import AuditEntry, Campaign
from campaigns.services import campaign_archive
from signatories import moderation
from signatories.models import EmailQuota, Signature, SignatureToken
from signatories.privacy import address_hash, ip_hash
from tests.factories import make_campaign, make_signature
from tests.lead import make_lead_world

pytestmark = pytest.mark.django_db

ADDRESS = "Rosa.Signer@Mail.Example"
CANONICAL = "rosa.signer@mail.example"
REQUEST_URL = "/privacy/my-data/"


def _link(message, kind: str) -> str:
    match = re.search(rf"https?://[^/\s]+(/privacy/my-data/{kind}/[A-Za-z0-9_-]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def ask(client, django_capture_on_commit_callbacks):
    def post(email=ADDRESS, ip="203.0.113.9"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(REQUEST_URL, {"email": email}, REMOTE_ADDR=ip)

    return post


@pytest.fixture
def press(client, django_capture_on_commit_callbacks):
    """Press a link page's button (a POST), with after-commit work run as on a commit."""

    def post(path):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path)

    return post


def _signed(campaign, **fields):
    fields.setdefault("email", ADDRESS)
    fields.setdefault("email_canonical", CANONICAL)
    fields.setdefault("ip_hash", ip_hash("198.51.100.23"))
    fields.setdefault("user_agent", "RosaBrowser/2.0")
    fields.setdefault("signer_title", "Coordinator, 206-555-0111")
    return make_signature(campaign=campaign, **fields)


def _public_names(client, campaign) -> list[str]:
    data = json.loads(client.get(f"/c/{campaign.slug}/signatures.json").content)
    return [signer["name"] for signer in data["signers"]]


def test_the_request_page_is_the_same_whether_or_not_the_address_signed(client, ask, outbox):
    _signed(make_campaign())
    form = client.get(REQUEST_URL)
    assert form.status_code == 200 and "Email me the links" in form.content.decode()
    signed = ask()
    unknown = ask(email="never.signed@mail.example")
    assert signed.status_code == unknown.status_code == 200
    assert signed.content == unknown.content
    assert "Check your email" in signed.content.decode()
    (message,) = outbox
    assert message.to == [ADDRESS]
    assert "/privacy/my-data/copy/" in message.body and "/privacy/my-data/erase/" in message.body
    assert "no-store" in signed.headers["Cache-Control"]


def test_a_bad_address_gets_the_form_back_and_mails_no_one(ask, outbox):
    _signed(make_campaign())
    response = ask(email="not an address")
    assert response.status_code == 200
    assert "Enter a valid email address" in response.content.decode()
    assert outbox == []
    assert not SignatureToken.objects.exists()


def test_requests_are_rate_limited_per_address(ask, outbox, settings):
    settings.SIGNON_LIMIT_PER_EMAIL = 2
    _signed(make_campaign())
    assert ask(ip="203.0.113.1").status_code == 200
    assert ask(ip="203.0.113.2").status_code == 200
    limited = ask(ip="203.0.113.3")
    assert limited.status_code == 429
    assert "try again in" in limited.content.decode()
    assert len(outbox) == 2


def test_requests_count_against_the_daily_email_cap(ask, outbox, settings):
    settings.SIGNER_EMAILS_PER_DAY = 1
    _signed(make_campaign())
    first, second = ask(), ask()
    assert first.content == second.content  # the page never tells
    assert len(outbox) == 1
    assert EmailQuota.objects.get(address_hash=address_hash(CANONICAL)).sent == 1


def test_a_signer_receives_a_copy_of_all_their_data_by_email(client, ask, press, outbox):
    world = make_lead_world(requires_approval=True)
    first = _signed(world.campaign, status=Signature.Status.VERIFIED)
    stranger = make_signature(campaign=world.campaign, email="stranger@elsewhere.example")
    # One bulk entry for both: the copy keeps only the signer's part of it.
    moderation.signatures_approve(
        campaign=world.campaign,
        actor=world.editor,
        selection=Signature.objects.filter(pk__in=[first.pk, stranger.pk]),
    )
    moderation.signature_display_name_set(
        signature=first, actor=world.editor, display_name="Rosa's Collective"
    )
    other_campaign = make_campaign(status=Campaign.Status.DELIVERED)
    second = _signed(other_campaign, email="rosa.signer@mail.example", organization_name="Other")
    ask()
    copy_link = _link(outbox[0], "copy")

    # Mail scanners fetch links: a GET shows a button and sends nothing.
    page = client.get(copy_link)
    assert page.status_code == 200 and 'method="post"' in page.content.decode()
    assert len(outbox) == 1
    assert not SignatureToken.objects.filter(purpose="data_request", used_at__isnull=False)

    done = press(copy_link)
    assert done.status_code == 200
    assert "Your copy is on its way" in done.content.decode()
    message = outbox[1]
    assert message.to == outbox[0].to == ["rosa.signer@mail.example"]  # the newest signature's
    ((filename, content, mimetype),) = message.attachments
    assert filename.endswith(".json") and mimetype == "application/json"
    data = json.loads(content)

    assert data["email_address"] == CANONICAL
    by_id = {item["fields"]["id"]: item for item in data["signatures"]}
    assert set(by_id) == {first.pk, second.pk}
    stored_fields = {f.attname for f in Signature._meta.concrete_fields}
    for item in by_id.values():
        assert set(item["fields"]) == stored_fields
        assert item["fields"]["ip_hash"] == ip_hash("198.51.100.23")
        assert item["fields"]["user_agent"] == "RosaBrowser/2.0"
        assert item["fields"]["signer_title"] == "Coordinator, 206-555-0111"
    assert by_id[first.pk]["public_listing"] == {
        "on_public_list": True,
        "public_name": "Rosa's Collective",
    }
    # The links mailed to the address: when, what for, never their hashes.
    assert {link["purpose"] for link in data["emailed_links"]} == {"data_request", "erasure"}
    for token in SignatureToken.objects.all():
        assert token.token_hash not in content.decode()
    # The log entries about their signatures, reduced to them, without the leads' addresses.
    actions = [(e["signature_id"], e["action"], e["by"]) for e in data["audit_log"]]
    assert (first.pk, "signatures.approve", "campaign lead") in actions
    assert (first.pk, "signature.display_name", "campaign lead") in actions
    approve = next(e for e in data["audit_log"] if e["action"] == "signatures.approve")
    assert approve["before"] == {"status": "verified"}
    assert approve["after"] == {"status": "approved"}
    text = content.decode()
    assert world.editor.email not in text
    assert stranger.email not in text
    assert stranger.pk not in {e["signature_id"] for e in data["audit_log"]}
    assert data["daily_email_counts"][0]["emails"] == 1

    # Each use is logged, by the system, on each campaign; the link works once.
    logged = AuditEntry.objects.filter(action="signature.data_copy")
    assert {(e.campaign_id, e.actor_id) for e in logged} == {
        (world.campaign.pk, None),
        (other_campaign.pk, None),
    }
    again = press(copy_link)
    assert again.status_code == 410
    assert "already used" in again.content.decode()
    assert len(outbox) == 2


def test_erasure_before_delivery_takes_the_entry_off_the_list(client, ask, press, outbox):
    campaign = make_campaign(allows_individuals=True)
    organization = _signed(campaign, organization_name="Rosa Org", signer_name="Rosa Contact")
    individual = _signed(
        make_campaign(allows_individuals=True),
        kind=Signature.Kind.INDIVIDUAL,
        organization_name="",
        signer_name="Rosa Person",
        city="Smalltown",
    )
    assert "Rosa Org" in _public_names(client, campaign)
    ask()
    erase_link = _link(outbox[0], "erase")

    preview = client.get(erase_link)
    body = preview.content.decode()
    assert "These signatures will also leave the public list" in body
    assert "Rosa Org" in body and "Rosa Person" in body
    organization.refresh_from_db()
    assert organization.email == ADDRESS  # a GET changes nothing

    done = press(erase_link)
    assert done.status_code == 200
    body = done.content.decode()
    assert "Your contact details are erased" in body
    assert "Removed from the public list" in body
    assert "Still on delivered letters" not in body
    assert "Rosa Org" not in _public_names(client, campaign)
    assert client.get(campaign.get_absolute_url()).content.decode().count("Rosa Org") == 0
    for signature in (organization, individual):
        signature.refresh_from_db()
        assert signature.status == Signature.Status.WITHDRAWN
        assert signature.anonymized_at is not None
        assert (signature.email, signature.email_canonical, signature.signer_name) == ("", "", "")
        assert (signature.signer_title, signature.ip_hash, signature.user_agent) == ("", "", "")
    assert individual.city == ""
    assert organization.organization_name == "Rosa Org"  # about the organization, not private
    assert not EmailQuota.objects.filter(address_hash=address_hash(CANONICAL)).exists()
    entries = AuditEntry.objects.filter(action="signature.erase").order_by("pk")
    assert [(e.actor_id, e.after["left_the_public_list"]) for e in entries] == [
        (None, True),
        (None, True),
    ]
    labels = [e.target_label for e in entries if e.target_id == str(individual.pk)]
    assert labels and "Rosa" not in " ".join(labels)
    # Only the used erasure link remains, so that pressing again says it is done.
    assert list(SignatureToken.objects.values_list("purpose", flat=True)) == ["erasure"]
    again = press(erase_link)
    assert again.status_code == 200
    assert "already erased" in again.content.decode()
    assert client.get(erase_link).status_code == 200
    # The copy link of the same email finds nothing to send any more.
    assert press(_link(outbox[0], "copy")).status_code == 404
    assert len(outbox) == 1


def test_erasure_after_delivery_keeps_the_delivered_entry_and_says_why(client, ask, press, outbox):
    delivered = make_campaign(status=Campaign.Status.DELIVERED, allows_individuals=True)
    archived = campaign_archive(
        campaign=make_campaign(status=Campaign.Status.DELIVERED), actor=None
    )
    named = _signed(
        delivered,
        kind=Signature.Kind.INDIVIDUAL,
        organization_name="",
        signer_name="Rosa Person",
    )
    organization = _signed(archived, email="ROSA.signer@mail.example", signer_name="Contact")
    ask()
    erase_link = _link(outbox[0], "erase")
    assert "These stay on letters already delivered" in client.get(erase_link).content.decode()

    body = press(erase_link).content.decode()
    assert "Still on delivered letters" in body
    assert "delivered PDFs stay as the record" in body
    assert "Removed from the public list" not in body
    assert _public_names(client, delivered) == ["Rosa Person"]
    assert organization.organization_name in _public_names(client, archived)
    named.refresh_from_db()
    organization.refresh_from_db()
    assert named.status == Signature.Status.VERIFIED and named.signer_name == "Rosa Person"
    assert organization.signer_name == ""  # a contact person, never public
    for signature in (named, organization):
        assert signature.email == signature.ip_hash == signature.signer_title == ""
        assert signature.anonymized_at is not None
    entry = AuditEntry.objects.get(action="signature.erase", campaign=delivered)
    assert entry.after == {"left_the_public_list": False, "letter_delivered": True}


def test_a_campaign_archived_before_delivery_lets_the_entry_leave(client, ask, press, outbox):
    archived = campaign_archive(campaign=make_campaign(status=Campaign.Status.CLOSED), actor=None)
    signature = _signed(archived, organization_name="Rosa Org")
    ask()
    press(_link(outbox[0], "erase"))
    signature.refresh_from_db()
    assert signature.status == Signature.Status.WITHDRAWN
    assert "Rosa Org" not in _public_names(client, archived)


def test_an_expired_link_explains_and_offers_new_ones(client, ask, outbox):
    _signed(make_campaign())
    ask()
    SignatureToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    for kind in ("copy", "erase"):
        response = client.post(_link(outbox[0], kind))
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert REQUEST_URL in response.content.decode()
    assert Signature.objects.get().email == ADDRESS


def test_a_forged_link_is_not_found_and_changes_nothing(client):
    _signed(make_campaign())
    for path in ("/privacy/my-data/copy/", "/privacy/my-data/erase/"):
        response = client.post(path + "A" * 43 + "/")
        assert response.status_code == 404
    assert Signature.objects.get().anonymized_at is None


def test_a_signer_can_sign_again_after_erasing(ask, press, outbox, sign):
    campaign = make_campaign()
    _signed(campaign, email="ana@harborlight.example", email_canonical="ana@harborlight.example")
    ask(email="ana@harborlight.example")
    press(_link(outbox[0], "erase"))
    sign(campaign)
    assert Signature.objects.filter(campaign=campaign, status="pending").count() == 1
