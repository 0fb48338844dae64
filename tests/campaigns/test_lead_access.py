"""The authorization matrix: every lead URL for each kind of visitor.

Anonymous visitors are sent to sign in; a lead without the needed role on the campaign
(including the owner of another campaign) gets a 404; the rest get the page or, for an
action, a redirect. No contact field of a signer ever reaches a viewer.
"""

from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.urls import URLPattern, reverse
from django.utils import timezone

from campaigns import lead_urls
from campaigns.models import CampaignInvitation, CampaignRecipient, Delivery, DeliveryRun
from campaigns.roles import invitation_create
from signatories.models import BlockedDomain
from tests.factories import make_legislator
from tests.lead import CONTACT_MARKERS, make_contact_signature, make_lead_world

ROLES = ["anonymous", "outsider", "viewer", "editor", "owner"]
RANK = {"outsider": 0, "viewer": 1, "editor": 2, "owner": 3}
NEEDS = {"view": 1, "edit": 2, "own": 3}


def _setup():
    world = make_lead_world()
    first = make_contact_signature(world.campaign)
    second = make_contact_signature(
        world.campaign,
        email="second@signer-mail.example",
        signer_name="Other Person",
        organization_name="Second Org",
    )
    invitation = invitation_create(
        campaign=world.campaign, actor=world.owner, email="new@example.org", role="viewer"
    )
    blocked = BlockedDomain.objects.create(campaign=world.campaign, domain="spam.example")
    viewer_role = world.campaign.roles.get(user=world.viewer)
    legislator, delivery = _delivery_setup(world.campaign)
    return world, {
        "first": first,
        "second": second,
        "invitation": invitation,
        "blocked": blocked,
        "viewer_role": viewer_role,
        "legislator": legislator,
        "delivery": delivery,
    }


def _delivery_setup(campaign):
    """A chosen legislator and a delivery under way with one unconfirmed copy."""
    legislator = make_legislator()
    CampaignRecipient.objects.create(campaign=campaign, legislator=legislator)
    run = DeliveryRun.objects.create(
        campaign=campaign,
        status=DeliveryRun.Status.RUNNING,
        scheduled_for=timezone.now(),
        letter_date=timezone.localdate(),
    )
    path = Path(settings.MEDIA_ROOT) / "deliveries" / "test.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.7 test")
    delivery = Delivery.objects.create(
        run=run,
        campaign=campaign,
        legislator=legislator,
        channel=Delivery.Channel.EMAIL,
        status=Delivery.Status.UNCONFIRMED,
        to_email=legislator.email,
        pdf_name="deliveries/test.pdf",
        pdf_sha256="0" * 64,
    )
    return legislator, delivery


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


# (url name, method, ability, extra url kwargs, query, POST data, status when allowed)
CASES = [
    ("dashboard", "get", "view", {}, "", None, 200),
    ("signatures", "get", "view", {}, "status=verified&q=Org", None, 200),
    ("signature", "get", "view", {"pk": "first"}, "", None, 200),
    ("signature", "post", "edit", {"pk": "first"}, "", {"display_name": "Shown"}, 302),
    ("partners", "get", "view", {}, "", None, 200),
    ("partners", "post", "edit", {}, "", {"name": "Partner Org"}, 302),
    ("team", "get", "view", {}, "", None, 200),
    ("team", "post", "own", {}, "", {"email": "co@example.org", "role": "editor"}, 302),
    ("audit", "get", "view", {}, "", None, 200),
    ("export", "get", "view", {}, "", None, 200),
    ("settings", "get", "edit", {}, "", None, 200),
    ("status", "post", "edit", {}, "", {"status": "closed"}, 302),
    ("letter", "get", "edit", {}, "", None, 200),
    (
        "letter",
        "post",
        "edit",
        {},
        "",
        {"title": "T", "body": "New text", "base_number": "1", "preview": "1"},
        200,
    ),
    (
        "signatures-bulk",
        "post",
        "edit",
        {},
        "",
        {"action": "reject", "scope": "selected", "ids": ["first"]},
        302,
    ),
    ("signatures-merge", "get", "edit", {}, "ids=first&ids=second", None, 200),
    ("invalidate", "get", "edit", {}, "domain=signer-mail.example", None, 200),
    ("undo", "post", "edit", {}, "", {}, 302),
    ("blocklist", "get", "edit", {}, "", None, 200),
    (
        "blocklist",
        "post",
        "edit",
        {},
        "",
        {"add": "1", "domain": "b.example", "action": "hold"},
        302,
    ),
    ("role-change", "post", "own", {"pk": "viewer_role"}, "", {"role": "editor"}, 302),
    ("invitation-cancel", "post", "own", {"pk": "invitation"}, "", {}, 302),
    ("archive", "post", "own", {}, "", {}, 302),
    ("anonymize", "post", "own", {}, "", {}, 302),
    ("recipients", "get", "view", {}, "jurisdiction=wa", None, 200),
    ("recipients", "post", "edit", {}, "", {"action": "add", "ids": ["legislator"]}, 302),
    ("delivery", "get", "view", {}, "", None, 200),
    ("delivery-send", "get", "edit", {}, "", None, 200),
    ("delivery-send", "post", "edit", {}, "", {"when": "now", "expected_count": "1"}, 302),
    ("delivery-cancel", "post", "edit", {}, "", {}, 302),
    ("delivery-resume", "post", "edit", {}, "", {}, 302),
    ("delivery-mailed", "post", "edit", {}, "", {}, 302),
    ("delivery-bundle", "get", "view", {}, "", None, 200),
    ("delivery-resolve", "post", "edit", {"pk": "delivery"}, "", {"action": "mark_sent"}, 302),
    ("delivery-pdf", "get", "view", {"pk": "delivery"}, "", None, 200),
]


def _resolve(value, objects):
    return objects[value].pk if value in objects else value


def _request(client, world, objects, case, role):
    name, method, _ability, kwargs, query, data, _status = case
    kwargs = {"slug": world.campaign.slug, **{k: _resolve(v, objects) for k, v in kwargs.items()}}
    url = reverse(f"lead:{name}", kwargs=kwargs)
    if query:
        url += "?" + "&".join(
            f"{k}={_resolve(v, objects)}" for k, v in (part.split("=") for part in query.split("&"))
        )
    user = world.user(role)
    if user is not None:
        client.force_login(user)
    if method == "get":
        return client.get(url)
    data = {
        k: ([_resolve(v, objects) for v in value] if isinstance(value, list) else value)
        for k, value in (data or {}).items()
    }
    return client.post(url, data)


def _content(response) -> str:
    if response.streaming:
        # Files (a ZIP, a PDF) too: read as text, the markers would show all the same.
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[1]}-{c[0]}")
def test_every_lead_url_answers_each_role_as_expected(client, case, role):
    world, objects = _setup()
    response = _request(client, world, objects, case, role)
    _name, _method, ability, *_rest, allowed_status = case
    if role == "anonymous":
        assert response.status_code == 302
        assert urlparse(response["Location"]).path == reverse("account_login")
    elif RANK[role] >= NEEDS[ability]:
        assert response.status_code == allowed_status, _content(response)[:500]
    else:
        assert response.status_code == 404
    if role == "viewer":
        content = _content(response)
        for marker in CONTACT_MARKERS:
            assert marker not in content


def test_the_matrix_covers_every_lead_url():
    names = {p.name for p in lead_urls.urlpatterns if isinstance(p, URLPattern)}
    per_campaign = {case[0] for case in CASES}
    assert names - per_campaign == {"home", "campaign-create", "invitation-accept"}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["home", "campaign-create"])
def test_account_pages_need_a_sign_in_and_nothing_else(client, name):
    world, _objects = _setup()
    response = client.get(reverse(f"lead:{name}"))
    assert response.status_code == 302
    assert urlparse(response["Location"]).path == reverse("account_login")
    client.force_login(world.outsider)
    assert client.get(reverse(f"lead:{name}")).status_code == 200


@pytest.mark.django_db
def test_my_campaigns_lists_only_campaigns_with_a_role(client):
    world, _objects = _setup()
    client.force_login(world.outsider)
    page = client.get(reverse("lead:home")).content.decode()
    assert world.other.title in page
    assert world.campaign.slug not in page


@pytest.mark.django_db
def test_an_unknown_campaign_is_a_404_even_for_a_signed_in_lead(client):
    world, _objects = _setup()
    client.force_login(world.owner)
    response = client.get(reverse("lead:dashboard", kwargs={"slug": "no-such-campaign"}))
    assert response.status_code == 404


@pytest.mark.django_db
def test_editors_see_contact_fields_where_viewers_do_not(client):
    world, objects = _setup()
    client.force_login(world.editor)
    queue = client.get(reverse("lead:signatures", kwargs={"slug": world.campaign.slug}))
    detail = client.get(
        reverse("lead:signature", kwargs={"slug": world.campaign.slug, "pk": objects["first"].pk})
    )
    for marker in CONTACT_MARKERS[:2]:
        assert marker in queue.content.decode()
    for marker in CONTACT_MARKERS:
        assert marker in detail.content.decode()


@pytest.mark.django_db
def test_a_viewer_cannot_search_by_email(client):
    world, _objects = _setup()
    client.force_login(world.viewer)
    url = reverse("lead:signatures", kwargs={"slug": world.campaign.slug})
    page = client.get(url, {"q": "private.contact"}).content.decode()
    assert "0 signatures match" in page
    client.force_login(world.editor)
    page = client.get(url, {"q": "private.contact"}).content.decode()
    assert "1 signature matches" in page


@pytest.mark.django_db
def test_a_bulk_action_never_touches_another_campaigns_signatures(client):
    world, _objects = _setup()
    foreign = make_contact_signature(world.other, email="foreign@example.org")
    client.force_login(world.owner)
    client.post(
        reverse("lead:signatures-bulk", kwargs={"slug": world.campaign.slug}),
        {"action": "reject", "scope": "selected", "ids": [foreign.pk]},
    )
    foreign.refresh_from_db()
    assert foreign.status == "verified"


@pytest.mark.django_db
def test_an_invitation_of_another_campaign_cannot_be_cancelled_through_this_one(client):
    world, _objects = _setup()
    foreign = invitation_create(
        campaign=world.other, actor=world.outsider, email="x@example.org", role="viewer"
    )
    client.force_login(world.owner)
    response = client.post(
        reverse("lead:invitation-cancel", kwargs={"slug": world.campaign.slug, "pk": foreign.pk})
    )
    assert response.status_code == 404
    assert CampaignInvitation.objects.get(pk=foreign.pk).cancelled_at is None
