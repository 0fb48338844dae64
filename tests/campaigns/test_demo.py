import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from campaigns.demo import CLOSED_SLUG, DEMO_LEAD_EMAIL, DEMO_LEAD_PASSWORD, OPEN_SLUG, demo_load
from campaigns.models import Campaign, CampaignRecipient, Legislator, LetterVersion
from campaigns.selectors import recipients_summary
from signatories.models import Signature
from tests.factories import make_legislator


def _snapshot():
    return {
        "campaigns": list(
            Campaign.objects.values_list("slug", "status", "updated_at").order_by("slug")
        ),
        "versions": list(
            LetterVersion.objects.values_list("campaign__slug", "number", "sha256").order_by("pk")
        ),
        "signatures": list(
            Signature.objects.values_list("pk", "organization_name", "created_at").order_by("pk")
        ),
        "users": list(get_user_model().objects.values_list("email", "password").order_by("pk")),
        "legislators": list(Legislator.objects.values_list("source_id", "active").order_by("pk")),
        "recipients": list(CampaignRecipient.objects.values_list("pk").order_by("pk")),
    }


@pytest.mark.django_db
def test_loading_the_demo_twice_changes_nothing(capsys):
    call_command("load_demo")
    first = _snapshot()
    call_command("load_demo")
    assert _snapshot() == first
    assert "created 0 campaigns, 0 signatures, 0 lead account, 0 legislators" in (
        capsys.readouterr().out
    )


@pytest.mark.django_db
def test_demo_has_an_open_campaign_with_150_organizations_across_20_states():
    demo_load()
    campaign = Campaign.objects.get(slug=OPEN_SLUG)
    assert campaign.status == Campaign.Status.OPEN
    assert campaign.requires_approval is False
    signatures = campaign.signatures.all()
    assert signatures.count() == 150
    assert len({s.state for s in signatures}) >= 20
    names = {s.organization_name for s in signatures}
    assert "جمعية الأمل لدعم الناجيات" in names
    assert "华人妇女互助会" in names
    assert any(len(name) > 120 for name in names)
    assert any(ch in "".join(names) for ch in "éñçãö")


@pytest.mark.django_db
def test_demo_letter_has_the_shape_of_a_coalition_letter():
    demo_load()
    body = Campaign.objects.get(slug=OPEN_SLUG).versions.get().body
    headings = [line for line in body.splitlines() if line.startswith("## ")]
    assert 3 <= len(headings) <= 4
    assert all(h[3:] == h[3:].upper() for h in headings)
    assert body.count("\n- ") >= 9


@pytest.mark.django_db
def test_demo_has_a_closed_campaign():
    demo_load()
    assert Campaign.objects.get(slug=CLOSED_SLUG).status == Campaign.Status.CLOSED


@pytest.mark.django_db
def test_the_closed_demo_campaign_is_addressed_to_fictional_legislators_some_by_mail_only():
    summary = demo_load()
    assert summary.created_legislators == 8
    closed = Campaign.objects.get(slug=CLOSED_SLUG)
    recipients = recipients_summary(campaign=closed)
    assert (recipients.total, recipients.with_email, recipients.print_and_mail) == (8, 6, 2)
    assert all(
        email.endswith("@leg.example.org")
        for email in Legislator.objects.exclude(email="").values_list("email", flat=True)
    )


@pytest.mark.django_db
def test_the_demo_leaves_a_real_directory_alone():
    real = make_legislator()
    assert demo_load().created_legislators == 0
    assert list(Legislator.objects.all()) == [real]
    assert not CampaignRecipient.objects.exists()


@pytest.mark.django_db
def test_demo_lead_can_sign_in_to_the_admin(client):
    # The admin's own login form hands over to allauth's (and its two-factor step).
    demo_load()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    response = client.post(
        "/accounts/login/?next=/admin/",
        {"login": DEMO_LEAD_EMAIL, "password": DEMO_LEAD_PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
