import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from campaigns.models import CampaignRole
from tests.factories import make_campaign, make_signature, make_user

from .pdf_helpers import page_texts


class _Built:
    def __init__(self, content):
        self.content = content

    def read_bytes(self):
        return self.content


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
def test_leads_preview_the_letter_inline(client, role):
    lead = make_user()
    campaign = make_campaign(title="Preview me", status="draft")
    CampaignRole.objects.create(campaign=campaign, user=lead, role=role)
    make_signature(campaign=campaign, organization_name="Seattle Shelter Network")
    client.force_login(lead)
    response = client.get(reverse("campaigns:pdf-preview", kwargs={"slug": campaign.slug}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF-")
    assert "Seattle Shelter Network" in " ".join(page_texts(_Built(content)))


@pytest.mark.django_db
def test_the_preview_can_show_a_sample_cover(client):
    lead = make_user()
    campaign = make_campaign(owner=lead)
    client.force_login(lead)
    url = reverse("campaigns:pdf-preview", kwargs={"slug": campaign.slug})
    content = b"".join(client.get(url, {"cover": "1"}).streaming_content)
    assert "The Honorable Jane Doe" in page_texts(_Built(content))[0]


@pytest.mark.django_db
def test_the_preview_is_not_found_for_leads_of_other_campaigns(client):
    campaign = make_campaign()
    make_campaign(owner=(stranger := make_user()))
    client.force_login(stranger)
    url = reverse("campaigns:pdf-preview", kwargs={"slug": campaign.slug})
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_the_preview_asks_visitors_to_sign_in(client):
    campaign = make_campaign()
    url = reverse("campaigns:pdf-preview", kwargs={"slug": campaign.slug})
    response = client.get(url)
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.django_db
def test_build_pdf_writes_the_letter_and_then_uses_the_cache(tmp_path, capsys):
    campaign = make_campaign(title="Command letter")
    make_signature(campaign=campaign, organization_name="Portland Legal Aid")
    out = tmp_path / "letter.pdf"
    call_command("build_pdf", campaign.slug, "--out", str(out), "--date", "2026-01-15")
    first = capsys.readouterr().out
    assert "(built)" in first and "sha256" in first
    pages = page_texts(_Built(out.read_bytes()))
    assert "Portland Legal Aid" in " ".join(pages)
    assert "January 15, 2026" in pages[0]
    call_command("build_pdf", campaign.slug, "--out", str(out), "--date", "2026-01-15")
    assert "(from the cache)" in capsys.readouterr().out


@pytest.mark.django_db
def test_build_pdf_addresses_a_recipient_from_a_json_file(tmp_path):
    campaign = make_campaign()
    recipient = tmp_path / "jane.json"
    recipient.write_text(
        json.dumps(
            {
                "key": "jane",
                "name": "Jane Doe",
                "honorific": "The Honorable",
                "chamber": "Washington State Senate",
                "address_lines": ["PO Box 40443", "Olympia, WA 98504"],
            }
        )
    )
    out = tmp_path / "jane.pdf"
    call_command("build_pdf", campaign.slug, "--out", str(out), "--recipient-json", str(recipient))
    cover = page_texts(_Built(out.read_bytes()))[0]
    assert "The Honorable Jane Doe" in cover and "Olympia, WA 98504" in cover


@pytest.mark.django_db
def test_build_pdf_explains_what_it_cannot_find(tmp_path):
    campaign = make_campaign()
    out = str(tmp_path / "x.pdf")
    with pytest.raises(CommandError, match="No campaign"):
        call_command("build_pdf", "no-such-campaign", "--out", out)
    with pytest.raises(CommandError, match="No recipient"):
        call_command("build_pdf", campaign.slug, "--out", out, "--recipient", "ocd-person/x")
    with pytest.raises(CommandError, match="--date"):
        call_command("build_pdf", campaign.slug, "--out", out, "--date", "soon")
    bad = tmp_path / "bad.json"
    bad.write_text('{"nom": "x"}')
    with pytest.raises(CommandError, match="Cannot read a recipient"):
        call_command("build_pdf", campaign.slug, "--out", out, "--recipient-json", str(bad))


@pytest.mark.django_db
def test_the_lead_area_links_to_the_preview(client):
    lead = make_user()
    campaign = make_campaign(owner=lead)
    client.force_login(lead)
    page = client.get(reverse("lead:dashboard", kwargs={"slug": campaign.slug})).content.decode()
    assert reverse("campaigns:pdf-preview", kwargs={"slug": campaign.slug}) in page
