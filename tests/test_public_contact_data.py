"""Seeded contact data appears in no public response.

Emails, phone numbers typed where a signer could type one (the title: private), private
names and titles, the IP address and its hash, the user agent, and the city of someone
listed without a name are seeded in every kind of signature; then every public URL pattern
of the URLconf is fetched (tests/public_pages.py builds the URLs, and a new pattern fails
`test_every_public_url_pattern_is_listed` until it is listed there) and none of the seeded
data may be in any response, headers included. The public PDFs and the delivery receipt join
by adding their patterns to PUBLIC_URLS; PDF bodies are read as text.

A phone number typed into the organization's name is published: that field is public, the
form says it is shown exactly as typed, and it is the signer's choice what their
organization is called (many organizations' names carry a number). The test checks that
it appears, so that this decision stays visible.
"""

import pytest
from django.urls import resolve

from signatories.models import Signature
from tests.public_pages import (
    EMAILS,
    IP_ADDRESS,
    NOT_PUBLIC,
    PHONES,
    PUBLIC_NAME,
    PUBLIC_ORGANIZATION_WITH_PHONE,
    PUBLIC_URLS,
    contact_data_found,
    make_world,
    public_url_names,
    response_text,
)


@pytest.fixture
def world(settings, tmp_path):
    # A small page size, so that the list's later pages are fetched too.
    settings.SIGNER_LIST_PAGE_SIZE = 3
    settings.MEDIA_ROOT = tmp_path / "media"  # the delivered letter's PDFs
    return make_world()


def test_every_public_url_pattern_is_listed():
    names = public_url_names()
    unlisted = names - set(PUBLIC_URLS) - set(NOT_PUBLIC)
    assert not unlisted, (
        f"New public URL patterns {sorted(unlisted)}: add each to PUBLIC_URLS in "
        "tests/public_pages.py (how to fetch it) or to NOT_PUBLIC (why visitors cannot)."
    )
    assert not (set(PUBLIC_URLS) | set(NOT_PUBLIC)) - names, "listed patterns that are gone"


def test_the_detector_finds_each_kind_of_seeded_data():
    assert contact_data_found(f"mailto:{EMAILS[0]}")
    assert contact_data_found(EMAILS[0].lower().replace("@", "%40"))
    assert contact_data_found(f"from {IP_ADDRESS}")
    for phone in PHONES:
        digits = "".join(ch for ch in phone if ch.isdigit())[-10:]
        assert contact_data_found(f"tel {digits[:3]} {digits[3:6]}\n{digits[6:]}")
    assert not contact_data_found("Riverside Tenants Union, Seattle, WA, 2025-11-25 12:00")


@pytest.mark.django_db
def test_no_public_response_carries_contact_data(client, world):
    stored = list(Signature.objects.values_list("email", "signer_title", "ip_hash", "user_agent"))
    assert all(contact_data_found(" ".join(row)) for row in stored)  # the seeds are there
    pages = {}
    for name, build in PUBLIC_URLS.items():
        urls = build(world)
        assert urls, f"no URL built for {name}"
        for url in urls:
            assert resolve(url.split("?")[0]).view_name == name
            response = client.get(url, follow=True)
            assert response.status_code == 200, (url, response.status_code)
            text = response_text(response)
            assert not contact_data_found(text), f"{url} shows {contact_data_found(text)}"
            pages[url] = text
    # What is public on purpose is there: a name listed by its owner, and a phone number
    # its signer put in the organization's name.
    list_pages = " ".join(text for url, text in pages.items() if f"/c/{world.open.slug}/s" in url)
    json_list = pages[f"/c/{world.open.slug}/signatures.json"]
    for text in (list_pages, json_list):
        assert PUBLIC_NAME in text
        assert PUBLIC_ORGANIZATION_WITH_PHONE in text
        assert "An individual with lived experience" in text


@pytest.mark.django_db
def test_urls_outside_the_private_areas_that_are_not_public_turn_visitors_away(client, world):
    for name, (_reason, build) in NOT_PUBLIC.items():
        response = client.get(build(world))
        assert response.status_code in (302, 403, 404), name
        if response.status_code == 302:
            assert "/accounts/login/" in response["Location"], name


@pytest.mark.django_db
def test_the_letter_pdf_carries_none_of_the_contact_data(world, settings, tmp_path):
    pdf = pytest.importorskip("campaigns.pdf", reason="the PDF is not built on this branch yet")
    from pypdf import PdfReader

    settings.MEDIA_ROOT = tmp_path
    for campaign in world.campaigns:
        built = pdf.pdf_build(campaign=campaign)
        text = "\n".join(p.extract_text() for p in PdfReader(str(built.path)).pages)
        assert not contact_data_found(text), (campaign.slug, contact_data_found(text))
        if campaign == world.open:
            assert PUBLIC_NAME in " ".join(text.split())
