"""A few view tests per lead page: the form works, bad input changes nothing."""

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns.models import AuditEntry, Campaign, LetterVersion, PartnerLink
from signatories.models import BlockedDomain, Signature
from tests.factories import make_signature
from tests.html import active_content
from tests.lead import make_lead_world, make_verified_user


@pytest.fixture
def world():
    return make_lead_world()


def _url(name, campaign, **kwargs):
    return reverse(f"lead:{name}", kwargs={"slug": campaign.slug, **kwargs})


@pytest.mark.django_db
def test_a_lead_creates_a_draft_campaign_and_owns_it(client):
    lead = make_verified_user()
    client.force_login(lead)
    response = client.post(
        reverse("lead:campaign-create"),
        {"title": "Fund Shelters Now", "slug": "", "summary": "", "letter_body": "## ASK\n\nFund."},
    )
    campaign = Campaign.objects.get(slug="fund-shelters-now")
    assert response["Location"] == _url("dashboard", campaign)
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.roles.get().user == lead
    assert AuditEntry.objects.filter(campaign=campaign, action="campaign.create").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["new", "taken"])
def test_a_campaign_address_already_used_or_reserved_is_refused(client, slug):
    lead = make_verified_user()
    make_lead_world()
    Campaign.objects.filter(pk=Campaign.objects.first().pk).update(slug="taken")
    client.force_login(lead)
    before = Campaign.objects.count()
    response = client.post(
        reverse("lead:campaign-create"),
        {"title": "T", "slug": slug, "letter_body": "Text"},
    )
    assert response.status_code == 200
    assert "already uses the address" in response.content.decode()
    assert Campaign.objects.count() == before


@pytest.mark.django_db
def test_settings_are_saved_and_bad_input_changes_nothing(client, world):
    client.force_login(world.editor)
    url = _url("settings", world.campaign)
    data = {
        "title": "New title",
        "summary": "Short",
        "signon_deadline": "2030-01-31T17:00",
        "goal": "500",
        "requires_approval": "on",
        "signer_order": "alpha",
        "letter_language": "en",
        "reply_to_email": "team@example.org",
        "postal_address": "1 Main St",
    }
    assert client.post(url, data).status_code == 302
    world.campaign.refresh_from_db()
    assert (world.campaign.title, world.campaign.goal) == ("New title", 500)
    assert world.campaign.requires_approval is True
    assert world.campaign.signon_deadline.year == 2030
    response = client.post(url, {**data, "goal": "-3", "reply_to_email": "not an email"})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    world.campaign.refresh_from_db()
    assert world.campaign.goal == 500
    assert AuditEntry.objects.filter(action="campaign.update").count() == 1


@pytest.mark.django_db
def test_sign_on_opens_and_closes_from_the_dashboard(client, world):
    client.force_login(world.editor)
    client.post(_url("status", world.campaign), {"status": "closed"})
    world.campaign.refresh_from_db()
    assert world.campaign.status == Campaign.Status.CLOSED
    client.post(_url("status", world.campaign), {"status": "open"})
    world.campaign.refresh_from_db()
    assert world.campaign.status == Campaign.Status.OPEN
    response = client.post(_url("status", world.campaign), {"status": "delivered"}, follow=True)
    assert "cannot be set" in response.content.decode()
    world.campaign.refresh_from_db()
    assert world.campaign.status == Campaign.Status.OPEN
    assert AuditEntry.objects.filter(action="campaign.status").count() == 2


@pytest.mark.django_db
def test_the_letter_preview_renders_markdown_safely_and_saves_nothing(client, world):
    client.force_login(world.editor)
    body = "## NEW HEADING\n\nWe ask <script>alert(1)</script> **now**.\n\n[x](javascript:alert(1))"
    response = client.post(
        _url("letter", world.campaign),
        {"title": "Test letter", "body": body, "base_number": "1", "preview": "1"},
    )
    page = response.content.decode()
    preview = page[page.index('class="preview"') :]
    assert "<h3>NEW HEADING</h3>" in preview
    assert "<strong>now</strong>" in preview
    assert "<ins>" in preview  # the diff against the current text
    assert active_content(preview.split("</main>")[0]) == []
    assert world.campaign.versions.count() == 1


@pytest.mark.django_db
def test_saving_the_letter_makes_a_version_and_offers_the_choice_only_with_signers(client, world):
    client.force_login(world.editor)
    url = _url("letter", world.campaign)
    assert "What kind of change" not in client.get(url).content.decode()
    client.post(url, {"title": "Test letter", "body": "Second text", "base_number": "1"})
    assert world.campaign.versions.count() == 2
    make_signature(campaign=world.campaign)
    page = client.get(url).content.decode()
    assert "What kind of change" in page
    response = client.post(
        url,
        {"title": "Test letter", "body": "Third", "base_number": "2", "change": "substantive"},
    )
    assert response.status_code == 200
    assert "needs a re-confirmation deadline" in response.content.decode()
    assert world.campaign.versions.count() == 2
    response = client.post(
        url,
        {
            "title": "Test letter",
            "body": "Third",
            "base_number": "2",
            "change": "substantive",
            "reconfirm_deadline": "2099-01-01T12:00",
            "note": "Added an ask",
        },
    )
    assert response.status_code == 302
    version = world.campaign.versions.order_by("-number").first()
    assert (version.number, version.change, version.note) == (3, "substantive", "Added an ask")
    assert version.reconfirm_deadline.year == 2099


@pytest.mark.django_db
def test_partner_links_are_created_and_count_their_signers(client, world):
    client.force_login(world.editor)
    client.post(_url("partners", world.campaign), {"name": "Harm Reduction Network", "code": ""})
    link = PartnerLink.objects.get(campaign=world.campaign)
    assert link.code == "harm-reduction-network"
    make_signature(campaign=world.campaign, partner_link=link)
    make_signature(campaign=world.campaign, partner_link=link, status=Signature.Status.PENDING)
    make_signature(campaign=world.campaign)
    page = client.get(_url("partners", world.campaign)).content.decode()
    assert f"/c/{world.campaign.slug}/?via=harm-reduction-network" in page
    row = page[page.index("Harm Reduction Network") :].split("</tr>")[0]
    assert ">2</a>" in row  # sign-ons through the link
    assert '<td class="num">1</td>' in row  # of which listed
    response = client.post(_url("partners", world.campaign), {"name": "Other", "code": link.code})
    assert "already in use" in response.content.decode()
    assert PartnerLink.objects.count() == 1


@pytest.mark.django_db
def test_the_queue_filters_by_status_state_type_partner_and_date(client, world):
    link = PartnerLink.objects.create(campaign=world.campaign, code="p1", name="P1")
    make_signature(campaign=world.campaign, organization_name="Alpha", state="WA")
    make_signature(campaign=world.campaign, organization_name="Beta", state="OR", partner_link=link)
    make_signature(
        campaign=world.campaign,
        organization_name="",
        signer_name="Gamma",
        status=Signature.Status.PENDING,
        kind=Signature.Kind.INDIVIDUAL,
        created_at=timezone.now() - timezone.timedelta(days=10),
    )
    client.force_login(world.viewer)
    url = _url("signatures", world.campaign)

    def names(**query):
        page = client.get(url, query).content.decode()
        return {n for n in ("Alpha", "Beta", "Gamma") if f">{n}</a>" in page}

    assert names() == {"Alpha", "Beta", "Gamma"}
    assert names(status="pending") == {"Gamma"}
    assert names(state="OR") == {"Beta"}
    assert names(kind="individual") == {"Gamma"}
    assert names(partner="p1") == {"Beta"}
    assert names(partner="none") == {"Alpha", "Gamma"}
    assert names(created_to=(timezone.localdate() - timezone.timedelta(days=5)).isoformat()) == {
        "Gamma"
    }
    assert names(q="alp") == {"Alpha"}
    assert names(status="nonsense") == {"Alpha", "Beta", "Gamma"}


@pytest.mark.django_db
def test_merging_from_the_queue_lets_the_lead_pick_the_survivor(client, world):
    keep = make_signature(campaign=world.campaign, organization_name="ACLU of Washington")
    dup = make_signature(campaign=world.campaign, organization_name="ACLU WA")
    client.force_login(world.editor)
    response = client.post(
        _url("signatures-bulk", world.campaign),
        {"action": "merge", "scope": "selected", "ids": [keep.pk, dup.pk]},
    )
    merge_url = response["Location"]
    page = client.get(merge_url).content.decode()
    assert "ACLU WA" in page and "ACLU of Washington" in page
    response = client.post(
        _url("signatures-merge", world.campaign), {"ids": [keep.pk, dup.pk], "survivor": keep.pk}
    )
    assert response["Location"] == _url("signature", world.campaign, pk=keep.pk)
    dup.refresh_from_db()
    assert dup.merged_into == keep
    page = client.get(_url("signature", world.campaign, pk=keep.pk)).content.decode()
    assert "Merged into this entry" in page


@pytest.mark.django_db
def test_invalidate_shows_the_count_first_then_acts_on_confirmation(client, world):
    for n in range(3):
        make_signature(campaign=world.campaign, email=f"b{n}@spam.example")
    make_signature(campaign=world.campaign, email="ok@good.example")
    client.force_login(world.editor)
    url = _url("invalidate", world.campaign)
    page = client.get(url, {"domain": "spam.example"}).content.decode()
    assert "3 live signatures would be rejected" in page
    assert not world.campaign.signatures.filter(status="rejected").exists()
    response = client.post(url, {"domain": "spam.example", "expected_count": "3"})
    assert response.status_code == 302
    assert world.campaign.signatures.filter(status="rejected").count() == 3
    page = client.get(url, {}).content.decode()
    assert "would be rejected" not in page
    page = client.get(url, {"domain": "not a domain"}).content.decode()
    assert "Enter a domain" in page


@pytest.mark.django_db
def test_the_undo_button_reverts_the_last_bulk_action(client, world):
    a = make_signature(campaign=world.campaign)
    client.force_login(world.editor)
    client.post(
        _url("signatures-bulk", world.campaign),
        {"action": "reject", "scope": "selected", "ids": [a.pk]},
    )
    page = client.get(_url("signatures", world.campaign)).content.decode()
    assert "Undo the last bulk action" in page
    client.post(_url("undo", world.campaign))
    a.refresh_from_db()
    assert a.status == Signature.Status.VERIFIED
    page = client.get(_url("signatures", world.campaign)).content.decode()
    assert "Undo the last bulk action" not in page


@pytest.mark.django_db
def test_a_bulk_action_without_checked_rows_changes_nothing(client, world):
    make_signature(campaign=world.campaign)
    client.force_login(world.editor)
    response = client.post(
        _url("signatures-bulk", world.campaign), {"action": "reject", "scope": "selected"}
    )
    assert response.status_code == 302
    assert not world.campaign.signatures.filter(status="rejected").exists()
    assert not AuditEntry.objects.filter(action="signatures.reject").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("odd", ["9" * 30, str(2**63), "0", "-1", "x", "\x00"])
def test_a_selection_with_an_id_no_row_can_have_is_refused_and_changes_nothing(client, world, odd):
    signature = make_signature(campaign=world.campaign)
    client.force_login(world.editor)
    ids = [signature.pk, odd]
    response = client.post(
        _url("signatures-bulk", world.campaign),
        {"action": "reject", "scope": "selected", "ids": ids},
        follow=True,
    )
    assert "The selection is not valid" in response.content.decode()
    response = client.post(
        _url("signatures-merge", world.campaign), {"ids": ids, "survivor": signature.pk}
    )
    assert response.status_code == 200
    assert not AuditEntry.objects.filter(action__startswith="signatures.").exists()
    assert world.campaign.signatures.get().status == Signature.Status.VERIFIED


@pytest.mark.django_db
def test_the_display_name_and_lead_organization_are_edited_on_the_signature_page(client, world):
    s = make_signature(campaign=world.campaign, organization_name="aclu")
    client.force_login(world.editor)
    client.post(
        _url("signature", world.campaign, pk=s.pk),
        {"display_name": "ACLU", "is_lead_organization": "on"},
    )
    s.refresh_from_db()
    assert (s.display_name, s.is_lead_organization) == ("ACLU", True)
    page = client.get(_url("signature", world.campaign, pk=s.pk)).content.decode()
    assert "Edited a display name" in page


@pytest.mark.django_db
def test_the_blocklist_page_adds_and_removes_domains(client, world):
    client.force_login(world.editor)
    url = _url("blocklist", world.campaign)
    client.post(url, {"add": "1", "domain": "Spam.Example", "action": "refuse"})
    blocked = BlockedDomain.objects.get(campaign=world.campaign)
    assert (blocked.domain, blocked.action) == ("spam.example", "refuse")
    response = client.post(url, {"add": "1", "domain": "nope", "action": "hold"})
    assert "Enter a domain" in response.content.decode()
    client.post(url, {"remove": blocked.pk})
    assert not BlockedDomain.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["", "spam.example", "\x00", "9" * 30, "-1", "other"])
def test_removing_a_domain_not_on_the_blocklist_says_so_and_removes_nothing(client, world, value):
    client.force_login(world.editor)
    BlockedDomain.objects.create(campaign=world.campaign, domain="spam.example")
    elsewhere = BlockedDomain.objects.create(campaign=world.other, domain="spam.example")
    value = str(elsewhere.pk) if value == "other" else value
    response = client.post(_url("blocklist", world.campaign), {"remove": value}, follow=True)
    assert "not on the blocklist" in response.content.decode()
    assert BlockedDomain.objects.count() == 2
    assert not AuditEntry.objects.filter(action__startswith="blocklist").exists()


@pytest.mark.django_db
def test_the_dashboard_draws_its_charts_as_svg_with_a_table_alternative(client, world):
    link = PartnerLink.objects.create(campaign=world.campaign, code="p1", name="<b>Partner</b>")
    make_signature(campaign=world.campaign, state="WA", partner_link=link)
    make_signature(campaign=world.campaign, state="OR")
    client.force_login(world.viewer)
    page = client.get(_url("dashboard", world.campaign)).content.decode()
    for chart in ("chart-days", "chart-states", "chart-partners"):
        assert f'id="{chart}" role="img"' in page
        assert f'<title id="{chart}-title">' in page
        assert f'<desc id="{chart}-desc">' in page
    assert "&lt;b&gt;Partner&lt;/b&gt;" in page
    assert "<b>Partner</b>" not in page
    assert page.count("<table") >= 3
    assert "<script" not in page
    assert "2 signers on the public list" in page


@pytest.mark.django_db
def test_a_version_history_is_public_with_a_safe_diff(client, world):
    from campaigns.services import letter_edit

    letter_edit(
        campaign=world.campaign,
        actor=world.owner,
        title="Test letter",
        body="To the legislature:\n\nWe ask you to act <b>today</b>.",
        note="Sharper ask",
    )
    page = client.get(reverse("campaigns:versions", kwargs={"slug": world.campaign.slug}))
    assert "Sharper ask" in page.content.decode()
    page = client.get(
        reverse("campaigns:version", kwargs={"slug": world.campaign.slug, "number": 2})
    ).content.decode()
    assert "<ins> &lt;b&gt;today&lt;/b&gt;</ins>" in page
    assert "<b>today</b>" not in page
    assert "<del>" in page
    detail = client.get(world.campaign.get_absolute_url()).content.decode()
    assert reverse("campaigns:versions", kwargs={"slug": world.campaign.slug}) in detail


@pytest.mark.django_db
def test_a_drafts_versions_are_not_public(client, world):
    Campaign.objects.filter(pk=world.campaign.pk).update(status=Campaign.Status.DRAFT)
    url = reverse("campaigns:versions", kwargs={"slug": world.campaign.slug})
    assert client.get(url).status_code == 404
    assert LetterVersion.objects.filter(campaign=world.campaign).exists()
