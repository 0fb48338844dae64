import csv
import io

import pytest
from django.urls import reverse

from campaigns.exports import CONTACT_COLUMNS, PUBLIC_COLUMNS, neutralize
from campaigns.models import AuditEntry
from tests.factories import make_signature
from tests.lead import CONTACT_MARKERS, make_contact_signature, make_lead_world

TRICKY_NAMES = [
    "Smith, Jones & Partners",
    'The "Quoted" Collective',
    "Line one\nline two",
    '=HYPERLINK("http://evil.example","click")',
    "+1 Alliance",
    "-minus group",
    "@mention org",
    "\tTabbed",
    "\rReturn",
]


def _export(client, user, campaign, query=""):
    client.force_login(user)
    response = client.get(reverse("lead:export", kwargs={"slug": campaign.slug}) + query)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return text, list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture
def world():
    world = make_lead_world()
    make_contact_signature(world.campaign, organization_name="Plain Org")
    for n, name in enumerate(TRICKY_NAMES):
        make_signature(campaign=world.campaign, organization_name=name, email=f"t{n}@example.org")
    return world


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["owner", "editor"])
def test_owners_and_editors_get_public_and_contact_fields(client, world, role):
    _text, rows = _export(client, world.user(role), world.campaign)
    assert list(rows[0]) == [name for name, _ in PUBLIC_COLUMNS + CONTACT_COLUMNS]
    plain = next(r for r in rows if r["public_name"] == "Plain Org")
    assert plain["email"] == CONTACT_MARKERS[0]
    assert plain["signer_name"] == CONTACT_MARKERS[1]
    assert plain["signer_title"] == CONTACT_MARKERS[2]


@pytest.mark.django_db
def test_viewers_get_public_fields_only(client, world):
    text, rows = _export(client, world.viewer, world.campaign)
    assert list(rows[0]) == [name for name, _ in PUBLIC_COLUMNS]
    for marker in [*CONTACT_MARKERS, "@example.org"]:
        assert marker not in text
    assert len(rows) == 1 + len(TRICKY_NAMES)


@pytest.mark.django_db
def test_names_with_commas_quotes_and_newlines_survive_and_formulas_are_neutralized(client, world):
    _text, rows = _export(client, world.owner, world.campaign)
    names = {r["public_name"] for r in rows}
    assert "Smith, Jones & Partners" in names
    assert 'The "Quoted" Collective' in names
    assert "Line one\nline two" in names
    assert '\'=HYPERLINK("http://evil.example","click")' in names
    assert "'+1 Alliance" in names
    assert "'-minus group" in names
    assert "'@mention org" in names
    assert "'\tTabbed" in names
    assert "'\rReturn" in names
    # No cell at all starts with a formula character.
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_neutralize_leaves_ordinary_text_alone():
    assert neutralize("ACLU of Washington") == "ACLU of Washington"
    assert neutralize(42) == "42"
    assert neutralize(None) == ""
    assert neutralize("a=b") == "a=b"


@pytest.mark.django_db
def test_every_export_is_in_the_audit_log(client, world):
    _export(client, world.viewer, world.campaign, "?state=WA")
    _export(client, world.editor, world.campaign)
    entries = list(AuditEntry.objects.filter(action="export.csv").order_by("pk"))
    assert [(e.actor, e.after["contact_fields"]) for e in entries] == [
        (world.viewer, False),
        (world.editor, True),
    ]
    assert entries[0].after["filters"] == {"state": "WA"}


@pytest.mark.django_db
def test_the_export_follows_the_queue_filter(client, world):
    make_signature(campaign=world.campaign, organization_name="Oregon Org", state="OR")
    _text, rows = _export(client, world.owner, world.campaign, "?state=OR")
    assert [r["public_name"] for r in rows] == ["Oregon Org"]


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_the_export_answers_only_a_get_and_logs_nothing_else(client, world, method):
    client.force_login(world.owner)
    url = reverse("lead:export", kwargs={"slug": world.campaign.slug})
    before = AuditEntry.objects.count()
    assert client.generic(method, url).status_code == 405
    assert AuditEntry.objects.count() == before
