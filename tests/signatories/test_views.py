import json

import pytest
from django.test import Client

from campaigns.models import Campaign
from signatories.models import Signature, SignatureToken
from signatories.privacy import ip_hash
from tests.factories import make_campaign, make_signature
from tests.logs import every_log_record, record_text
from tests.public_pages import phone_pattern

from .conftest import ORIGIN, link_in, signon_form

pytestmark = pytest.mark.django_db


def test_the_campaign_page_has_the_form_without_a_per_visitor_token_and_is_cacheable(client):
    campaign = make_campaign()
    response = client.get(campaign.get_absolute_url())
    page = response.content.decode()
    assert f'action="/c/{campaign.slug}/sign/#sign"' in page
    assert "csrfmiddlewaretoken" not in page
    assert "Set-Cookie" not in str(response.headers)
    cache_control = response.headers["Cache-Control"]
    assert "public" in cache_control
    assert "max-age=60" in cache_control
    assert "stale-while-revalidate=600" in cache_control


def test_the_campaign_page_is_private_for_visitors_with_a_session(client):
    campaign = make_campaign()
    client.cookies["sessionid"] = "abc"
    response = client.get(campaign.get_absolute_url())
    assert "private" in response.headers["Cache-Control"]
    assert "public" not in response.headers["Cache-Control"]


def test_a_partner_link_is_carried_by_the_form(client, sign):
    from campaigns.models import PartnerLink

    campaign = make_campaign()
    partner = PartnerLink.objects.create(campaign=campaign, code="harbor", name="Harbor")
    page = client.get(campaign.get_absolute_url() + "?via=harbor").content.decode()
    assert 'name="via" value="harbor"' in page
    sign(campaign, via="harbor")
    assert Signature.objects.get().partner_link == partner


def test_sign_confirm_journey(client, sign, outbox, django_capture_on_commit_callbacks):
    campaign = make_campaign(title="Fund shelters")
    response = sign(campaign)
    assert response.status_code == 303
    assert response["Location"] == f"/c/{campaign.slug}/signed/"
    assert "Check your email" in client.get(response["Location"]).content.decode()
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    (message,) = outbox
    confirm_path = link_in(message, "confirm")

    # Mail scanners fetch links: a GET shows a button and changes nothing.
    for _ in range(2):
        page = client.get(confirm_path)
        assert page.status_code == 200
        assert "Confirm my signature" in page.content.decode()
        assert 'method="post"' in page.content.decode()
    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING
    assert SignatureToken.objects.filter(used_at__isnull=False).count() == 0
    assert "Harbor Light Collective" not in client.get(campaign.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(confirm_path)
    assert confirmed.status_code == 200
    body = confirmed.content.decode()
    assert "your signature is confirmed" in body
    assert "/s/withdraw/" in body
    assert "no-store" in confirmed.headers["Cache-Control"]
    signature.refresh_from_db()
    assert signature.status == Signature.Status.VERIFIED
    assert signature.verified_at is not None

    again = client.post(confirm_path)
    assert again.status_code == 200
    assert "Already confirmed" in again.content.decode()

    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "Harbor Light Collective" in page
    data = client.get(f"/c/{campaign.slug}/signatures.json").json()
    assert data["count"] == 1
    assert data["signers"][0]["name"] == "Harbor Light Collective"


def test_the_confirm_post_keeps_django_csrf_protection(sign, outbox):
    campaign = make_campaign()
    sign(campaign)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(link_in(outbox[0], "confirm")).status_code == 403
    assert Signature.objects.get().status == Signature.Status.PENDING


@pytest.mark.parametrize("email", ["ANA@harborlight.example", "  ana@HarborLight.EXAMPLE  "])
def test_resigning_looks_exactly_like_signing_and_mails_the_owner(client, sign, outbox, email):
    campaign = make_campaign()
    first = sign(campaign)
    second = sign(campaign, email=email, organization_name="Something else")
    assert (second.status_code, second["Location"]) == (first.status_code, first["Location"])
    assert client.get(second["Location"]).content == client.get(first["Location"]).content
    assert Signature.objects.count() == 1
    assert [m.to for m in outbox] == [["ana@harborlight.example"]] * 2


def test_a_post_from_another_site_is_refused_and_creates_nothing(client):
    campaign = make_campaign()
    for headers in (
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_REFERER": "https://evil.example/c/x/"},
        {"HTTP_ORIGIN": "http://["},
        {"HTTP_REFERER": "http://["},  # a URL Python cannot even split
        {},
    ):
        response = client.post(f"/c/{campaign.slug}/sign/", signon_form(), **headers)
        assert response.status_code == 403
        assert "could not be sent" in response.content.decode()
    assert Signature.objects.count() == 0


def test_a_post_with_only_a_same_site_referer_is_accepted(client):
    campaign = make_campaign()
    response = client.post(
        f"/c/{campaign.slug}/sign/",
        signon_form(),
        HTTP_REFERER=f"http://testserver/c/{campaign.slug}/",
    )
    assert response.status_code == 303
    assert Signature.objects.count() == 1


def test_the_honeypot_pretends_success_and_creates_nothing(sign, outbox):
    campaign = make_campaign()
    response = sign(campaign, homepage="http://spam.example")
    assert response.status_code == 303
    assert response["Location"] == f"/c/{campaign.slug}/signed/"
    assert Signature.objects.count() == 0
    assert outbox == []


def test_too_many_sign_ons_get_a_429_page_that_says_when_to_retry(sign, settings):
    settings.SIGNON_LIMIT_PER_IP = 1
    campaign = make_campaign()
    assert sign(campaign).status_code == 303
    response = sign(campaign, email="other@example.org")
    assert response.status_code == 429
    assert "try again in" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 3601
    assert Signature.objects.count() == 1


def test_signing_a_closed_campaign_shows_a_closed_page(sign):
    campaign = make_campaign(status=Campaign.Status.CLOSED)
    response = sign(campaign)
    assert response.status_code == 403
    assert "Sign-on is closed" in response.content.decode()
    assert Signature.objects.count() == 0


def test_sign_on_asks_the_database_whether_the_campaign_is_open_not_the_pages_cache(client, sign):
    campaign = make_campaign()
    assert client.get(f"/c/{campaign.slug}/signatures.json").status_code == 200  # cached now
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    assert sign(campaign).status_code == 403
    assert Signature.objects.count() == 0


def test_a_get_of_the_sign_url_goes_back_to_the_form(client):
    campaign = make_campaign()
    response = client.get(f"/c/{campaign.slug}/sign/")
    assert response.status_code == 302
    assert response["Location"] == f"/c/{campaign.slug}/#sign"


TEXT_FIELDS = [
    "organization_name",
    "signer_name",
    "signer_title",
    "email",
    "city",
    "region",
    "website",
]
ALL_FIELDS = [
    *TEXT_FIELDS,
    "kind",
    "country",
    "state",
    "organization_type",
    "authorized",
    "consent_listed",
    "consent_updates",
    "listed_anonymously",
    "public_descriptor",
    "letter_version",
]
SCRIPT = '<script>alert("x")</script><b onmouseover=alert(1)>'


def _assert_form_back(response, *messages):
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page or "There are problems" in page
    assert 'class="error-summary"' in page
    for message in messages:
        assert message in page, message
    assert "<script" not in page.lower()
    assert "<b onmouseover" not in page.lower()
    assert "no-store" in response.headers["Cache-Control"]
    assert Signature.objects.count() == 0
    return page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"consent_listed": None}, "tick this box to sign"),
        ({"authorized": None}, "Only someone authorized"),
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"email": "ana@"}, "Enter a valid email address."),
        ({"organization_name": "x" * 10_000}, "at most 200 characters (it has 10000)"),
        ({"signer_name": "x" * 10_000}, "at most 200 characters (it has 10000)"),
        ({"organization_name": ""}, "Enter the organization"),
        ({"state": ""}, "Choose your state."),
        ({"state": "ZZ"}, "Select a valid choice."),
        ({"website": "javascript:alert(1)"}, "Enter a valid URL."),
        ({"signer_name": "Ana\u202eRuiz"}, "invisible control characters"),
    ],
)
def test_invalid_input_gives_the_form_back_with_a_message_and_creates_nothing(
    sign, outbox, overrides, message
):
    campaign = make_campaign(allows_individuals=True)
    _assert_form_back(sign(campaign, **overrides), message)
    assert outbox == []


@pytest.mark.parametrize("field", ALL_FIELDS)
def test_nul_bytes_in_any_field_are_refused(sign, field):
    campaign = make_campaign(allows_individuals=True)
    value = signon_form().get(field) or "on"
    page = _assert_form_back(sign(campaign, **{field: value + "\x00"}))
    if field in TEXT_FIELDS:
        assert "Null characters are not allowed" in page


@pytest.mark.parametrize("field", ALL_FIELDS)
def test_html_and_script_in_any_field_are_refused_and_shown_escaped(sign, field):
    campaign = make_campaign(allows_individuals=True)
    page = _assert_form_back(sign(campaign, **{field: SCRIPT}))
    if field in TEXT_FIELDS:
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page


def test_the_form_with_errors_can_be_sent_again_from_a_real_browser(sign):
    # With "no-referrer" a browser sends "Origin: null" with the next POST, which the
    # origin check (rightly) refuses: the page must keep the site's referrer policy.
    response = sign(make_campaign(), email="bad")
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_a_partner_code_with_markup_is_escaped_and_ignored(client, sign):
    campaign = make_campaign()
    page = client.get(campaign.get_absolute_url() + "?via=" + SCRIPT).content.decode()
    assert "<script" not in page.lower()
    assert sign(campaign, via=SCRIPT).status_code == 303
    assert Signature.objects.get().partner_link is None


def test_an_unknown_letter_version_signs_the_current_one(sign):
    from campaigns.services import letter_version_create

    campaign = make_campaign()
    current = letter_version_create(campaign=campaign, title="Test letter", body="New text.")
    sign(campaign, letter_version="999999")
    assert Signature.objects.get().letter_version == current


def test_the_error_summary_links_to_each_field(sign):
    campaign = make_campaign()
    page = _assert_form_back(sign(campaign, email="bad", city=""))
    assert 'href="#id_email"' in page
    assert 'href="#id_city"' in page
    assert 'aria-describedby="id_email_helptext id_email_error"' in page
    assert 'id="id_email_error"' in page
    assert 'aria-invalid="true"' in page
    # A tick box comes before its label (as every browser form shows one).
    assert page.index('id="id_consent_listed"') < page.index('<label for="id_consent_listed"')


def test_an_individual_can_sign_anonymously_with_a_descriptor(sign, client, outbox):
    campaign = make_campaign(allows_individuals=True)
    sign(
        campaign,
        kind="individual",
        organization_name="",
        signer_title="",
        authorized=None,
        listed_anonymously="on",
        public_descriptor="An individual with lived experience",
    )
    client.post(link_in(outbox[0], "confirm"))
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "An individual with lived experience" in page
    assert "Ana Ruiz" not in page
    assert "Tacoma" not in page  # a city could identify someone listed without a name
    signer = client.get(f"/c/{campaign.slug}/signatures.json").json()["signers"][0]
    assert signer == {
        "name": "An individual with lived experience",
        "kind": "individual",
        "lead": False,
        "city": "",
        "state": "WA",
        "region": "Washington",
        "country": "US",
    }


def test_individuals_cannot_sign_where_the_campaign_does_not_allow_it(sign):
    campaign = make_campaign(allows_individuals=False)
    sign(campaign, kind="individual", organization_name="")
    assert Signature.objects.count() == 0


def test_a_signer_outside_the_us_gives_a_region(sign, client, outbox):
    campaign = make_campaign()
    sign(campaign, country="CA", state="", region="Ontario")
    signature = Signature.objects.get()
    assert (signature.country, signature.state) == ("CA", "Ontario")


@pytest.mark.parametrize(
    ("prepare", "status", "text"),
    [
        ("forged", 404, "This link is not valid"),
        ("expired", 410, "This link has expired"),
        ("withdrawn", 410, "This signature was withdrawn"),
    ],
)
def test_unusable_confirm_links_get_a_clear_page_with_a_way_to_a_new_email(
    client, sign, outbox, prepare, status, text
):
    from datetime import timedelta

    from django.utils import timezone

    campaign = make_campaign()
    sign(campaign)
    path = link_in(outbox[0], "confirm")
    if prepare == "forged":
        path = "/s/confirm/" + "A" * 43 + "/"
    elif prepare == "expired":
        SignatureToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif prepare == "withdrawn":
        client.post(link_in(outbox[0], "withdraw"))
    for response in (client.get(path), client.post(path)):
        assert response.status_code == status
        page = response.content.decode()
        assert text in page
        # The way on: a new email, or (once withdrawn) the letter's page to sign again.
        assert ("/s/new-link/" if prepare != "withdrawn" else campaign.get_absolute_url()) in page
        assert "ana@harborlight.example" not in page
    assert Signature.objects.get().status != Signature.Status.VERIFIED


def test_withdrawing_removes_the_entry_from_the_page_the_count_and_the_json(
    client, sign, outbox, django_capture_on_commit_callbacks
):
    campaign = make_campaign()
    make_signature(campaign=campaign, organization_name="Another Org")
    sign(campaign)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(link_in(outbox[0], "confirm"))
    json_url = f"/c/{campaign.slug}/signatures.json"
    assert client.get(json_url).json()["count"] == 2
    assert "Harbor Light Collective" in client.get(campaign.get_absolute_url()).content.decode()

    withdraw_path = link_in(outbox[0], "withdraw")
    ask = client.get(withdraw_path)
    assert "Withdraw my signature" in ask.content.decode()
    assert Signature.objects.filter(status="withdrawn").count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(withdraw_path)
    assert "Your signature is withdrawn" in done.content.decode()

    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "Harbor Light Collective" not in page
    assert "1 organization or individual has signed" in page
    data = client.get(json_url).json()
    assert data["count"] == 1
    assert [s["name"] for s in data["signers"]] == ["Another Org"]
    # The link is spent; following it again says so without a 500.
    assert "already been withdrawn" in client.post(withdraw_path).content.decode()


def test_the_json_endpoint_has_public_fields_only_and_is_cacheable(
    client, django_assert_max_num_queries
):
    campaign = make_campaign()
    make_signature(
        campaign=campaign,
        organization_name="Harbor Light",
        email="private@example.org",
        signer_name="Private Person",
        ip_hash="f" * 64,
        is_lead_organization=True,
    )
    response = client.get(f"/c/{campaign.slug}/signatures.json")
    assert response["Content-Type"] == "application/json"
    assert "max-age=60" in response["Cache-Control"]
    assert "stale-while-revalidate=600" in response["Cache-Control"]
    assert "public" in response["Cache-Control"]
    body = response.content.decode()
    for secret in ("private@example.org", "Private Person", "f" * 64):
        assert secret not in body
    data = json.loads(body)
    assert data["count"] == 1
    assert data["signers"][0]["lead"] is True
    etag = response["ETag"]
    with django_assert_max_num_queries(0):  # the campaign and the list: from the cache
        assert client.get(f"/c/{campaign.slug}/signatures.json").content == response.content
        not_modified = client.get(f"/c/{campaign.slug}/signatures.json", HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    make_signature(campaign=campaign)
    from signatories.selectors import public_list_version_renew

    public_list_version_renew(campaign_id=campaign.pk)
    changed = client.get(f"/c/{campaign.slug}/signatures.json", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed.json()["count"] == 2


def test_the_public_list_groups_by_state_with_lead_organizations_first(client):
    campaign = make_campaign(allows_individuals=True)
    make_signature(campaign=campaign, organization_name="Zeta Org", state="WA")
    make_signature(campaign=campaign, organization_name="alpha org", state="WA")
    make_signature(campaign=campaign, organization_name="Bay Org", state="CA")
    make_signature(campaign=campaign, organization_name="Lead Org", is_lead_organization=True)
    make_signature(
        campaign=campaign,
        kind="individual",
        organization_name="",
        listed_anonymously=True,
        public_descriptor="A survivor",
        state="OR",
    )
    make_signature(campaign=campaign, organization_name="Pending Org", status="pending")
    page = client.get(campaign.get_absolute_url()).content.decode()
    page = page[page.index('id="signers"') :]
    order = ["Lead Org", "<summary>California", "Bay Org", "<summary>Washington", "alpha", "Zeta"]
    positions = [page.index(text) for text in [*order, "A survivor"]]
    assert positions == sorted(positions)
    assert "Pending Org" not in page
    assert "4 organizations and individuals have signed" not in page
    assert "5 organizations and individuals have signed" in page


def test_the_campaign_page_makes_the_same_queries_for_10_or_300_signers(
    client, django_assert_max_num_queries
):
    from django.core.cache import cache

    small, large = make_campaign(), make_campaign()
    for campaign, count in ((small, 10), (large, 300)):
        Signature.objects.bulk_create(
            [
                Signature(
                    campaign=campaign,
                    status="verified",
                    organization_name=f"Org {i}",
                    state=["WA", "OR", "CA"][i % 3],
                    consent_listed=True,
                    email_canonical=f"s{i}@example.org",
                    letter_version=campaign.versions.get(),
                    letter_sha256=campaign.versions.get().sha256,
                )
                for i in range(count)
            ]
        )
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for campaign in (small, large):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(campaign.get_absolute_url()).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 6
    # Cached: the list is not queried again.
    with django_assert_max_num_queries(2):
        client.get(large.get_absolute_url())


def test_a_long_list_is_paginated_with_an_index_of_states(client, settings):
    settings.SIGNER_LIST_PAGE_SIZE = 3
    campaign = make_campaign()
    for i, state in enumerate(["WA", "WA", "WA", "AK", "AK", "AL", "AL"]):
        make_signature(campaign=campaign, organization_name=f"Org {i}", state=state)
    # States by name: Alabama (2), Alaska (2), Washington (3); three to a page.
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "Page 1 of 3" in page
    assert f'href="/c/{campaign.slug}/signers/?page=2"' in page
    assert f'href="/c/{campaign.slug}/signers/?page=2#region-us-washington"' in page
    second = client.get(f"/c/{campaign.slug}/signers/?page=2").content.decode()
    groups = second.split('class="signer-index"', 1)[1].split("</nav>", 1)[1]
    assert "Alabama" not in groups
    assert "Alaska (continued)" in groups
    assert groups.index("Org 4") < groups.index("Washington") < groups.index("Org 0")
    assert client.get(f"/c/{campaign.slug}/signers/?page=4").status_code == 404
    assert client.get(f"/c/{campaign.slug}/signers/?page=x").status_code == 404


def test_confirm_by_code_page(client, sign, outbox):
    from .conftest import code_in

    campaign = make_campaign()
    sign(campaign)
    assert "Confirm with a code" in client.get("/s/confirm/code/").content.decode()
    wrong = client.post(
        "/s/confirm/code/", {"email": "ana@harborlight.example", "code": "ABCD-EFGH"}
    )
    assert wrong.status_code == 400
    assert "does not match" in wrong.content.decode()
    right = client.post(
        "/s/confirm/code/", {"email": "ana@harborlight.example", "code": code_in(outbox[0])}
    )
    assert "your signature is confirmed" in right.content.decode()
    assert Signature.objects.get().status == Signature.Status.VERIFIED


def test_asking_for_a_new_email_says_the_same_for_any_address(
    client, sign, outbox, django_capture_on_commit_callbacks
):
    campaign = make_campaign()
    sign(campaign)
    pages = []
    for email in ("ana@harborlight.example", "nobody@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            pages.append(client.post("/s/new-link/", {"email": email}).content)
    assert pages[0] == pages[1]
    assert len(outbox) == 2
    assert outbox[1].to == ["ana@harborlight.example"]


# Distinctive contact data: an email, a phone (the form has no phone field: signers type one
# into their title, or into the organization's name) and the client's IP address.
LOG_EMAIL = "Seed.Logcontact+7731@private-mail.example"
LOG_PHONE = "+1 (206) 555-0187"
LOG_IP = "198.51.100.77"


def test_no_email_phone_or_ip_reaches_any_log_record(client, run_on_commit, outbox, settings):
    # Every logger at DEBUG, every record kept, through a whole signer's journey: sign, sign
    # again, a form with mistakes, confirm, withdraw, a spent link, a new link, a data
    # request, a 404. Records are read whole: message, args, exception and extras (the
    # request Django attaches to its warnings). SQL is logged by Django only with
    # DEBUG=True, a development setting that `check --deploy` refuses; these tests run
    # with DEBUG=False as production does, so no query (holding the address as a
    # parameter) reaches a log either.
    campaign = make_campaign()
    data = signon_form(
        email=LOG_EMAIL,
        organization_name=f"Harbor Light {LOG_PHONE}",
        signer_title=f"Director, mobile {LOG_PHONE}",
    )
    post = {"HTTP_ORIGIN": ORIGIN, "REMOTE_ADDR": LOG_IP}
    sign_url = f"/c/{campaign.slug}/sign/"
    with every_log_record() as records:
        with run_on_commit():
            assert client.post(sign_url, data, **post).status_code == 303
        with run_on_commit():
            assert client.post(sign_url, data, **post).status_code == 303
        bad = {**data, "website": f"not a website {LOG_EMAIL}"}
        assert client.post(sign_url, bad, **post).status_code == 200
        confirm = link_in(outbox[0], "confirm")
        assert client.get(confirm, REMOTE_ADDR=LOG_IP).status_code == 200
        with run_on_commit():
            assert client.post(confirm, REMOTE_ADDR=LOG_IP).status_code == 200
        withdraw = link_in(outbox[0], "withdraw")
        assert client.get(withdraw, REMOTE_ADDR=LOG_IP).status_code == 200
        with run_on_commit():
            assert client.post(withdraw, REMOTE_ADDR=LOG_IP).status_code == 200
        assert client.post(confirm, REMOTE_ADDR=LOG_IP).status_code == 410
        with run_on_commit():
            client.post("/s/new-link/", {"email": LOG_EMAIL}, REMOTE_ADDR=LOG_IP)
            client.post("/privacy/my-data/", {"email": LOG_EMAIL}, REMOTE_ADDR=LOG_IP)
        assert client.get("/c/nowhere/", REMOTE_ADDR=LOG_IP).status_code == 404
    assert Signature.objects.get().status == Signature.Status.WITHDRAWN
    assert len(outbox) >= 3
    names = {record.name for record in records}
    assert {"signatories.services", "django.request"} <= names, names
    assert not [r for r in records if r.name.startswith("django.db.backends")]
    markers = [LOG_EMAIL, LOG_EMAIL.lower(), "logcontact", "private-mail", LOG_IP, ip_hash(LOG_IP)]
    for record in records:
        text = record_text(record)
        assert [m for m in markers if m.lower() in text.lower()] == [], (record.name, text)
        assert not phone_pattern(LOG_PHONE).search(text), (record.name, text)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_ten_thousand_signers_are_listed_page_by_page_in_a_few_queries(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    campaign = make_campaign()
    version = campaign.versions.get()
    states = ["WA", "OR", "CA", "NY", "TX", "FL", "IL", "MI"]
    Signature.objects.bulk_create(
        [
            Signature(
                campaign=campaign,
                status="verified",
                organization_name=f"Organization {i:05d}",
                state=states[i % len(states)],
                city="Somewhere",
                consent_listed=True,
                is_lead_organization=i < 3,
                email_canonical=f"s{i}@example.org",
                letter_version=version,
                letter_sha256=version.sha256,
            )
            for i in range(10_000)
        ],
        batch_size=1000,
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(campaign.get_absolute_url())
    assert len(queries) <= 6
    page = response.content.decode()
    assert "10,000 organizations and individuals" in page or "10000 organizations" in page
    assert "Page 1 of 20" in page
    assert page.count('<span class="signer-name">') == 500
    assert len(response.content) < 200_000
    last = client.get(f"/c/{campaign.slug}/signers/?page=20").content.decode()
    assert last.count('<span class="signer-name">') == 500
    assert client.get(f"/c/{campaign.slug}/signatures.json").json()["count"] == 10_000


def test_moderation_shows_on_the_cached_public_page_at_once(client, run_on_commit):
    from signatories import moderation

    campaign = make_campaign()
    held = make_signature(campaign=campaign, organization_name="Held Org", held_for_review=True)
    make_signature(campaign=campaign, organization_name="Listed Org")
    assert "Held Org" not in client.get(campaign.get_absolute_url()).content.decode()
    with run_on_commit():
        moderation.signatures_approve(
            campaign=campaign, actor=None, selection=Signature.objects.filter(pk=held.pk)
        )
    page = client.get(campaign.get_absolute_url()).content.decode()
    assert "Held Org" in page
    assert "2 organizations and individuals have signed" in page
    listed = Signature.objects.get(organization_name="Listed Org")
    with run_on_commit():
        moderation.signatures_reject(
            campaign=campaign, actor=None, selection=Signature.objects.filter(pk=listed.pk)
        )
    assert "Listed Org" not in client.get(campaign.get_absolute_url()).content.decode()
    assert client.get(f"/c/{campaign.slug}/signatures.json").json()["count"] == 1
