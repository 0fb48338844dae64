"""Spanish for signers: chosen by address, browser or switcher; cached per language; every
signer page and email in Spanish, validation messages included."""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns import tasks
from campaigns.models import Campaign, LetterVersion
from campaigns.services import letter_edit
from signatories import verification
from signatories.models import Signature
from signatories.regions import US_STATES
from tests.factories import make_campaign, make_signature, make_user
from tests.i18n import english_left, readable_text
from tests.lead import make_verified_user

pytestmark = pytest.mark.django_db


Purpose = verification.Purpose
Status = Signature.Status
ORIGIN = "http://testserver"
TITLE = "Safe Homes Now"
SPANISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "es-US,es;q=0.9,en;q=0.5"}
ENGLISH_BROWSER = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
# Proper names on the pages below: they stay as written.
NAMES = (
    TITLE,
    "Common Ground",
    "Harbor Light Collective",
    "Puget Sound Mutual Aid",
    "Rose City Outreach",
    "Toronto Harm Reduction",
    "Lived Experience Voices",
    "Ana Ruiz",
    "Seattle",
    "Tacoma",
    "Toronto",
    "Portland",
    "JSON",
    "SHA-256",
    # U.S. state and territory names stay in English, as on addresses and on the letter.
    *US_STATES.values(),
)


def signon_form(**overrides) -> dict:
    data = {
        "kind": "organization",
        "organization_name": "Harbor Light Collective",
        "signer_name": "Ana Ruiz",
        "signer_title": "Directora",
        "email": "ana@harborlight.example",
        "city": "Tacoma",
        "country": "US",
        "state": "WA",
        "authorized": "on",
        "consent_listed": "on",
    }
    data.update(overrides)
    return data


@dataclass
class World:
    campaign: Campaign
    closed: Campaign
    lead: object
    version: LetterVersion  # the substantive second version
    spanish: Signature  # confirmed, signed in Spanish, asked to re-confirm


@pytest.fixture
def world(settings, django_capture_on_commit_callbacks) -> World:
    settings.SIGNER_LIST_PAGE_SIZE = 3
    settings.SIGNER_EMAIL_INTERVAL_SECONDS = 0
    lead = make_user(password=None)  # hashing a password takes a third of a second
    campaign = make_campaign(
        slug="safe-homes",
        title=TITLE,
        owner=lead,
        allows_individuals=True,
        goal=500,
        signon_deadline=timezone.now() + timedelta(days=30),
        reply_to_email="team@coalition.example",
    )
    make_signature(
        campaign=campaign,
        organization_name="Puget Sound Mutual Aid",
        is_lead_organization=True,
    )
    make_signature(campaign=campaign, organization_name="Rose City Outreach", state="OR")
    make_signature(
        campaign=campaign,
        organization_name="Toronto Harm Reduction",
        city="Toronto",
        state="Ontario",
        country="CA",
    )
    make_signature(
        campaign=campaign,
        kind=Signature.Kind.INDIVIDUAL,
        organization_name="",
        listed_anonymously=True,
        public_descriptor="Lived Experience Voices",
        city="Portland",
        state="OR",
    )
    spanish = make_signature(
        campaign=campaign, organization_name="Harbor Light Collective", language="es"
    )
    with django_capture_on_commit_callbacks(execute=True):
        version = letter_edit(
            campaign=campaign,
            actor=lead,
            title=TITLE,
            body="To the legislature:\n\nWe ask you to act now.\n",
            change=LetterVersion.Change.SUBSTANTIVE,
            note="A stronger ask",
            reconfirm_deadline=timezone.now() + timedelta(days=10),
        )
    closed = make_campaign(slug="closed-letter", title=TITLE, status=Campaign.Status.CLOSED)
    mail.outbox.clear()
    return World(campaign, closed, lead, version, spanish)


def _token(signature, purpose, *, lifetime=timedelta(days=7), **fields) -> str:
    return verification.token_issue(
        signature=signature, purpose=purpose, lifetime=lifetime, **fields
    ).token


def _pending(world, **fields):
    fields.setdefault("status", Status.PENDING)
    fields.setdefault("organization_name", "Harbor Light Collective")
    fields.setdefault("email", "pending@harborlight.example")
    return make_signature(campaign=world.campaign, language="es", **fields)


def _post_twice(client, url, data=None, **headers):
    client.post(url, data, **headers)
    return client.post(url, data, **headers)


def _confirm(signature, **fields) -> str:
    return f"/es/s/confirm/{_token(signature, Purpose.CONFIRM, **fields)}/"


def _withdraw(signature) -> str:
    return f"/es/s/withdraw/{_token(signature, Purpose.WITHDRAW)}/"


def _reconfirm(world, signature=None) -> str:
    signature = signature or world.spanish
    return f"/es/s/reconfirm/{_token(signature, Purpose.RECONFIRM, letter_version=world.version)}/"


def _privacy(page, signature, purpose) -> str:
    return f"/es/privacy/my-data/{page}/{_token(signature, purpose)}/"


def _signer_elsewhere(**campaign_fields):
    """A Spanish signer of another campaign (one that needs approval, or was delivered)."""
    campaign = make_campaign(title=TITLE, **campaign_fields)
    return make_signature(campaign=campaign, status=Status.PENDING, language="es")


def _over_the_limit(client, settings):
    settings.SIGNON_LIMIT_PER_EMAIL = 1
    return _post_twice(client, "/es/c/safe-homes/sign/", signon_form(), HTTP_ORIGIN=ORIGIN)


BAD_ANSWERS = signon_form(
    email="ana@",
    website="not a website",
    city="<b>Tacoma</b>",
    signer_name="x" * 300,
    country="ZZ",
    consent_listed="",
    authorized="",
)
# Every page a signer can reach, in Spanish: (client, world, settings) -> the response.
SIGNER_PAGES = {
    "home": lambda c, w, s: c.get("/es/"),
    "campaign": lambda c, w, s: c.get("/es/c/safe-homes/"),
    "campaign-with-mistakes": lambda c, w, s: c.post(
        "/es/c/safe-homes/sign/", BAD_ANSWERS, HTTP_ORIGIN=ORIGIN
    ),
    "check-your-email": lambda c, w, s: c.get("/es/c/safe-homes/signed/"),
    "signers-page-2": lambda c, w, s: c.get("/es/c/safe-homes/signers/?page=2"),
    "versions": lambda c, w, s: c.get("/es/c/safe-homes/versions/"),
    "version-2": lambda c, w, s: c.get("/es/c/safe-homes/versions/2/"),
    "closed-campaign": lambda c, w, s: c.get("/es/c/closed-letter/"),
    "sign-on-closed": lambda c, w, s: c.post(
        "/es/c/closed-letter/sign/", signon_form(), HTTP_ORIGIN=ORIGIN
    ),
    "too-many-attempts": lambda c, w, s: _over_the_limit(c, s),
    "form-from-elsewhere": lambda c, w, s: c.post("/es/c/safe-homes/sign/", signon_form()),
    "confirm": lambda c, w, s: c.get(_confirm(_pending(w))),
    "confirmed": lambda c, w, s: c.post(_confirm(_pending(w))),
    "confirmed-awaiting-approval": lambda c, w, s: c.post(
        _confirm(_signer_elsewhere(requires_approval=True))
    ),
    "confirmed-already": lambda c, w, s: _post_twice(c, _confirm(_pending(w))),
    "confirm-by-code": lambda c, w, s: c.get("/es/s/confirm/code/"),
    "confirm-by-code-mistakes": lambda c, w, s: c.post("/es/s/confirm/code/", {"email": "a@"}),
    "confirm-by-code-rejected": lambda c, w, s: c.post(
        "/es/s/confirm/code/", {"email": "ana@harborlight.example", "code": "ABCD-EFGH"}
    ),
    "new-email": lambda c, w, s: c.get("/es/s/new-link/"),
    "new-email-mistakes": lambda c, w, s: c.post("/es/s/new-link/", {"email": "nope"}),
    "new-email-sent": lambda c, w, s: c.post("/es/s/new-link/", {"email": "ana@example.org"}),
    "withdraw": lambda c, w, s: c.get(_withdraw(w.spanish)),
    "withdrawn": lambda c, w, s: c.post(_withdraw(w.spanish)),
    "withdrawn-already": lambda c, w, s: _post_twice(c, _withdraw(w.spanish)),
    "reconfirm": lambda c, w, s: c.get(_reconfirm(w)),
    "reconfirmed": lambda c, w, s: c.post(_reconfirm(w)),
    "reconfirm-refused": lambda c, w, s: c.post(
        _reconfirm(w, _pending(w, status=Status.REJECTED, email="rejected@example.org"))
    ),
    "link-unknown": lambda c, w, s: c.get("/es/s/confirm/" + "x" * 43 + "/"),
    "link-expired": lambda c, w, s: c.get(_confirm(_pending(w), lifetime=timedelta(seconds=-1))),
    "link-used": lambda c, w, s: _post_twice(c, _reconfirm(w)),
    "link-of-withdrawn-signature": lambda c, w, s: c.get(
        _confirm(_pending(w, status=Status.WITHDRAWN))
    ),
    "privacy": lambda c, w, s: c.get("/es/privacy/"),
    "your-data": lambda c, w, s: c.get("/es/privacy/my-data/"),
    "your-data-mistakes": lambda c, w, s: c.post("/es/privacy/my-data/", {"email": "nope"}),
    "your-data-sent": lambda c, w, s: c.post("/es/privacy/my-data/", {"email": "ana@example.org"}),
    "data-copy": lambda c, w, s: c.get(_privacy("copy", w.spanish, Purpose.DATA_REQUEST)),
    "data-copy-sent": lambda c, w, s: c.post(_privacy("copy", w.spanish, Purpose.DATA_REQUEST)),
    "erase": lambda c, w, s: c.get(_privacy("erase", w.spanish, Purpose.ERASURE)),
    "erased": lambda c, w, s: c.post(_privacy("erase", w.spanish, Purpose.ERASURE)),
    "erased-already": lambda c, w, s: _post_twice(c, _privacy("erase", w.spanish, Purpose.ERASURE)),
    "data-link-unknown": lambda c, w, s: c.get("/es/privacy/my-data/copy/" + "x" * 43 + "/"),
    "link-after-delivery": lambda c, w, s: c.get(
        _withdraw(
            _signer_elsewhere(
                status=Campaign.Status.DELIVERED, reply_to_email="team@coalition.example"
            )
        )
    ),
}


@pytest.mark.parametrize("name", SIGNER_PAGES)
def test_every_signer_page_is_all_spanish(name, world, client, settings):
    response = SIGNER_PAGES[name](client, world, settings)
    html = response.content.decode()
    assert response.status_code < 500
    assert response["Content-Language"] == "es"
    assert '<html lang="es">' in html
    assert english_left(readable_text(html), names=NAMES) == []


def test_error_pages_are_spanish_too(world, client, settings):
    # The site's own error pages (templates/404.html, …); tests/test_error_pages.py checks
    # each of them in both languages.
    missing = client.get("/es/c/no-such-letter/")
    assert missing.status_code == 404
    settings.SIGNON_LIMIT_PER_IP = 1
    client.post("/es/c/safe-homes/sign/", signon_form(), HTTP_ORIGIN=ORIGIN)
    limited = client.post(
        "/es/c/safe-homes/sign/", signon_form(email="otra@example.org"), HTTP_ORIGIN=ORIGIN
    )
    assert limited.status_code == 429
    for response in (missing, limited):
        html = response.content.decode()
        assert response["Content-Language"] == "es"
        assert '<html lang="es">' in html
        assert readable_text(html)
        assert english_left(readable_text(html), names=NAMES) == []


def test_the_letter_is_marked_with_its_own_language(world, client):
    html = client.get("/es/c/safe-homes/").content.decode()
    assert '<h1 lang="en">Safe Homes Now</h1>' in html
    assert '<div lang="en">' in html and "We ask you to act now." in html
    assert "We ask you to act now." not in readable_text(html)


def test_validation_messages_are_in_spanish(world, client):
    response = SIGNER_PAGES["campaign-with-mistakes"](client, world, None)
    page = readable_text(response.content.decode())
    assert "Introduzca una dirección de correo electrónico válida." in page  # Django's own
    assert "Introduzca una URL válida." in page
    assert "Use texto simple: no se permiten < ni >." in page
    assert "Las firmas son públicas: marque esta casilla para firmar." in page
    assert "Hay problemas con 7 respuestas" in page
    assert not Signature.objects.filter(email="ana@").exists()


def test_countries_are_listed_by_their_spanish_names(world, client):
    html = client.get("/es/c/safe-homes/").content.decode()
    assert html.index('value="US"') < html.index(">Alemania<") < html.index(">Bélgica<")
    assert html.index(">Bélgica<") < html.index(">Brasil<")
    english = client.get("/c/safe-homes/").content.decode()
    assert english.index(">Belgium<") < english.index(">Brazil<") < english.index(">Germany<")


# ---------------------------------------------------------------------------------------
# Choosing the language


def test_a_spanish_browser_is_sent_to_the_spanish_page(world, client):
    response = client.get("/c/safe-homes/?via=partner", **SPANISH_BROWSER)
    assert response.status_code == 302
    assert response["Location"] == "/es/c/safe-homes/?via=partner"
    assert {"Accept-Language", "Cookie"} <= _vary(response)


def test_an_english_browser_gets_the_english_page_which_says_what_it_varies_on(world, client):
    response = client.get("/c/safe-homes/", **ENGLISH_BROWSER)
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert {"Accept-Language", "Cookie"} <= _vary(response)
    assert "Sign this letter" in response.content.decode()


def test_the_spanish_address_is_spanish_for_every_browser(world, client):
    response = client.get("/es/c/safe-homes/", **ENGLISH_BROWSER)
    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    # The address alone decides: caches need not keep a copy per browser language.
    assert "Accept-Language" not in _vary(response)
    assert "public" in response["Cache-Control"]


def test_the_switcher_remembers_the_choice_and_shows_the_same_page(world, client):
    response = client.get("/language/es/", {"next": "/c/safe-homes/?via=partner#sign"})
    assert response.status_code == 302
    assert response["Location"] == "/es/c/safe-homes/?via=partner#sign"
    assert response.cookies["django_language"].value == "es"
    assert "no-store" in response["Cache-Control"]

    back = client.get("/language/en/", {"next": "/es/c/safe-homes/signers/?page=2"})
    assert back["Location"] == "/c/safe-homes/signers/?page=2"
    assert back.cookies["django_language"].value == "en"


def test_english_chosen_with_the_switcher_beats_a_spanish_browser(world, client):
    client.get("/language/en/", {"next": "/c/safe-homes/"})
    response = client.get("/c/safe-homes/", **SPANISH_BROWSER)
    assert response.status_code == 200
    assert response["Content-Language"] == "en"


def test_spanish_chosen_with_the_switcher_follows_the_visitor_to_english_links(world, client):
    client.get("/language/es/", {"next": "/"})
    response = client.get("/c/safe-homes/", **ENGLISH_BROWSER)
    assert response["Location"] == "/es/c/safe-homes/"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_the_switcher_only_goes_to_this_site(client, next_url):
    response = client.get("/language/es/", {"next": next_url})
    assert response["Location"] == "/es/"


def test_the_switcher_knows_only_our_languages(client):
    assert client.get("/language/fr/", {"next": "/"}).status_code == 404


def test_pages_carry_a_switcher_link_to_themselves_in_the_other_language(world, client):
    english = client.get("/c/safe-homes/?via=partner").content.decode()
    assert 'href="/language/es/?next=%2Fc%2Fsafe-homes%2F%3Fvia%3Dpartner"' in english
    assert 'lang="es" hreflang="es"' in english and ">Español</a>" in english
    spanish = client.get("/es/c/safe-homes/").content.decode()
    assert 'href="/language/en/?next=%2Fes%2Fc%2Fsafe-homes%2F"' in spanish


def test_the_lead_area_stays_english_without_a_switcher(world, client):
    lead = make_verified_user()
    client.force_login(lead)
    response = client.get("/lead/", **SPANISH_BROWSER)
    assert response.status_code == 200
    assert response["Content-Language"] == "en"
    assert "/language/" not in response.content.decode()
    assert client.get("/es/lead/").status_code == 404


def test_a_form_post_is_never_redirected(world, client):
    response = client.post(
        "/c/safe-homes/sign/", signon_form(email="ana@"), HTTP_ORIGIN=ORIGIN, **SPANISH_BROWSER
    )
    assert response.status_code == 200
    assert response["Content-Language"] == "en"


def test_the_json_list_is_not_redirected_and_is_cached_per_language(world, client):
    english = client.get("/c/safe-homes/signatures.json", **SPANISH_BROWSER)
    assert english.status_code == 200
    spanish = client.get("/es/c/safe-homes/signatures.json")
    assert english["ETag"] != spanish["ETag"]
    regions = {s["region"] for s in spanish.json()["signers"]}
    assert "Ontario, Canadá" in regions
    again = client.get("/c/safe-homes/signatures.json")
    assert "Ontario, Canada" in {s["region"] for s in again.json()["signers"]}


def test_the_server_side_fragments_are_cached_per_language(world, client):
    # The form's fields and the signer list are cached fragments: each language has its own.
    for _ in range(2):
        english = client.get("/c/safe-homes/").content.decode()
        spanish = client.get("/es/c/safe-homes/").content.decode()
        assert "Organization name" in english and "Nombre de la organización" not in english
        assert "Ontario, Canada" in english
        assert "Nombre de la organización" in spanish and "Organization name" not in spanish
        assert "Ontario, Canadá" in spanish


class SharedCache:
    """A shared HTTP cache as RFC 9111 describes it: it keeps public responses per URL,
    serving one only to requests whose `Vary` headers match those it was stored for."""

    def __init__(self, client):
        self.client = client
        self.stored: dict[str, list[tuple[dict, object]]] = {}
        self.hits = 0

    def get(self, path, **headers):
        for varied, response in self.stored.get(path, []):
            if all(headers.get(name) == value for name, value in varied.items()):
                self.hits += 1
                return response
        response = self.client.get(path, **headers)
        if "public" in response.get("Cache-Control", ""):
            varied = {"HTTP_" + name.upper().replace("-", "_"): None for name in _vary(response)}
            varied = {name: headers.get(name) for name in varied}
            self.stored.setdefault(path, []).append((varied, response))
        return response

    def visit(self, path, **headers):
        response = self.get(path, **headers)
        while response.status_code in (301, 302):
            response = self.get(response["Location"], **headers)
        return response


def test_a_shared_cache_never_gives_one_language_the_others_page(world, client):
    cache = SharedCache(client)
    chose_english = {**SPANISH_BROWSER, "HTTP_COOKIE": "django_language=en"}
    for _ in range(2):
        english = cache.visit("/c/safe-homes/", **ENGLISH_BROWSER)
        spanish = cache.visit("/c/safe-homes/", **SPANISH_BROWSER)
        switched = cache.visit("/c/safe-homes/", **chose_english)
        linked = cache.visit("/es/c/safe-homes/", **ENGLISH_BROWSER)
        assert english["Content-Language"] == "en"
        assert spanish["Content-Language"] == "es"
        assert switched["Content-Language"] == "en"
        assert linked["Content-Language"] == "es"
    assert cache.hits >= 4  # the second round came from the cache


def _vary(response) -> set[str]:
    return {part.strip() for part in response.get("Vary", "").split(",") if part.strip()}


# ---------------------------------------------------------------------------------------
# Emails


def _spanish_email_problems(message) -> list[str]:
    html = next(body for body, kind in message.alternatives if kind == "text/html")
    problems = english_left(message.subject, names=NAMES)
    problems += english_left(message.body, names=NAMES)
    problems += english_left(readable_text(html), names=NAMES)
    if '<html lang="es">' not in html:
        problems.append("the HTML part is not marked Spanish")
    return problems


def test_a_spanish_sign_on_gets_spanish_emails_with_spanish_links(
    world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/es/c/safe-homes/sign/", signon_form(email="rosa@example.org"), HTTP_ORIGIN=ORIGIN
        )
    signature = Signature.objects.get(email="rosa@example.org")
    assert signature.language == "es"
    (confirm,) = mail.outbox
    assert confirm.subject == "Confirme su firma en «Safe Homes Now»"
    assert _spanish_email_problems(confirm) == []
    assert "http://127.0.0.1:8000/es/s/confirm/" in confirm.body
    assert "http://127.0.0.1:8000/es/s/withdraw/" in confirm.body
    assert "http://127.0.0.1:8000/es/c/safe-homes/" in confirm.body

    # Signing again once confirmed: the "already signed" note, in Spanish too.
    Signature.objects.filter(pk=signature.pk).update(status=Status.VERIFIED)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/es/c/safe-homes/sign/", signon_form(email="rosa@example.org"), HTTP_ORIGIN=ORIGIN
        )
    already = mail.outbox[-1]
    assert already.subject == "Ya firmó «Safe Homes Now»"
    assert _spanish_email_problems(already) == []


def test_re_confirmation_emails_are_in_the_signers_language(world):
    tasks.reconfirmation_request_send.call(
        signature_id=world.spanish.pk, version_id=world.version.pk
    )
    tasks.reconfirmation_lapsed_send.call(
        signature_id=world.spanish.pk, version_id=world.version.pk
    )
    request, lapsed = mail.outbox
    assert request.subject == "Vuelva a confirmar su firma: «Safe Homes Now» cambió"
    assert "/es/s/reconfirm/" in request.body and "/es/c/safe-homes/versions/2/" in request.body
    assert lapsed.subject == "Su nombre salió de la lista de «Safe Homes Now»"
    assert _spanish_email_problems(request) == []
    assert _spanish_email_problems(lapsed) == []


def test_data_request_emails_are_in_the_signers_language(
    world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/privacy/my-data/", {"email": world.spanish.email})
    (links,) = mail.outbox
    assert links.subject == "Sus datos en Common Ground"
    assert "/es/privacy/my-data/copy/" in links.body and "/es/privacy/my-data/erase/" in links.body
    copy_path = re.search(r"/es/privacy/my-data/copy/[\w-]+/", links.body).group(0)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(copy_path)
    copy = mail.outbox[-1]
    assert copy.subject == "Una copia de sus datos en Common Ground"
    assert _spanish_email_problems(links) == []
    assert _spanish_email_problems(copy) == []


def test_an_english_sign_on_still_gets_english_emails(
    world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/c/safe-homes/sign/", signon_form(email="sam@example.org"), HTTP_ORIGIN=ORIGIN)
    (message,) = mail.outbox
    assert message.subject == "Confirm your signature on “Safe Homes Now”"
    assert "http://127.0.0.1:8000/s/confirm/" in message.body
    assert '<html lang="en">' in message.alternatives[0][0]
