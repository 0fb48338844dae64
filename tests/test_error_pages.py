"""The designed error pages: 400, 403 (and CSRF failures), 404, 429 and 500.

Each extends the site's layout, says what to do next and links home, in English and at
/es/ in Spanish, and shows nothing of what failed: no exception text, no path, no
traceback, no settings. Tests run with DEBUG=False (pytest-django's default), as in
production. The pages that need no database are tested without one: a test that is not
marked `django_db` fails on any query.
"""

import pytest
from django.conf import settings
from django.template import loader
from django.test import Client

from config.views import SERVER_ERROR_FALLBACK
from signatories.models import Signature
from tests.error_urls import SECRET
from tests.factories import make_campaign
from tests.html import parse
from tests.i18n import english_left, readable_text
from tests.signatories.conftest import signon_form

HEADINGS = {
    "400": {"en": "This request could not be read", "es": "No pudimos leer esta solicitud"},
    "403": {"en": "You cannot open this page", "es": "No puede abrir esta página"},
    "404": {"en": "Page not found", "es": "Página no encontrada"},
    "500": {"en": "Something went wrong", "es": "Algo salió mal"},
}
HOME = {"en": "/", "es": "/es/"}
PREFIX = {"en": "", "es": "/es"}
NAMES = ("Common Ground",)
ORIGIN = "http://testserver"


def leaks(page: str) -> list[str]:
    """What an error page must never show: the failure's text, code paths, settings."""
    markers = [
        *SECRET.split(),
        "private-mail",
        "fail/",
        "Traceback",
        "Error",
        "Exception",
        "SuspiciousOperation",
        "PermissionDenied",
        "settings",
        "DEBUG",
        settings.SECRET_KEY,
        str(settings.BASE_DIR),
    ]
    return [marker for marker in markers if marker in page]


def assert_designed_page(response, *, status: int, heading: str, language: str) -> str:
    """The page is in the site's layout, in `language`, links home and runs nothing inline."""
    page = response.content.decode()
    assert response.status_code == status
    assert response["Content-Language"] == language
    assert f'<html lang="{language}">' in page
    assert f"<h1>{heading}</h1>" in page
    assert f'<a class="site-name" href="{HOME[language]}">{settings.SITE_NAME}</a>' in page
    assert f'href="{HOME[language]}"' in page.split("<main", 1)[1]
    assert 'class="skip-link"' in page and 'class="site-footer"' in page
    elements = parse(page).elements
    assert any(tag == "link" and a.get("href", "").endswith("css/site.css") for tag, a in elements)
    for tag, attrs in elements:
        assert "style" not in attrs
        assert tag != "script" or attrs.get("src")
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    if language == "es":
        assert english_left(readable_text(page), names=NAMES) == []
    assert leaks(page) == []
    return page


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("status", HEADINGS)
def test_each_error_page_is_designed_translated_and_leaks_nothing(status, language):
    # No database: none of these pages may need it (a query would fail this test).
    client = Client(raise_request_exception=False)
    response = client.get(f"{PREFIX[language]}/fail/{status}/")
    assert_designed_page(
        response, status=int(status), heading=HEADINGS[status][language], language=language
    )


@pytest.mark.urls("tests.error_urls")
def test_the_500_page_renders_with_no_context_at_all():
    # Django's own handler renders 500.html with no context: no request, no context
    # processors. Ours adds the site's name; the template must work without it too.
    page = loader.get_template("500.html").render()
    assert "<h1>Something went wrong</h1>" in page
    assert 'href="/"' in page
    assert "css/site.css" in page


@pytest.mark.urls("tests.error_urls")
def test_a_500_page_that_cannot_be_rendered_falls_back_to_a_plain_one(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise ValueError("Missing staticfiles manifest entry for 'css/site.css'")

    monkeypatch.setattr("config.views.loader.render_to_string", broken)
    response = Client(raise_request_exception=False).get("/es/fail/500/")
    assert response.status_code == 500
    assert response.content.decode() == SERVER_ERROR_FALLBACK
    assert "Algo salió mal" in SERVER_ERROR_FALLBACK
    assert "The 500 page could not be rendered" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize(
    "path",
    [
        "/c/seed-secret-k9qzxw7rb2/",
        "/nowhere/Seed.Secret+0451/k9QzXw7Rb2/",
        "/s/k9QzXw7Rb2-not-a-link/",
    ],
)
def test_unknown_addresses_get_the_404_page_without_the_address(client, path, language):
    response = client.get(PREFIX[language] + path)
    page = assert_designed_page(
        response, status=404, heading=HEADINGS["404"][language], language=language
    )
    assert "k9qzxw7rb2" not in page.lower()
    # What to do: open the link again, or ask for a new email.
    assert f'href="{PREFIX[language]}/s/new-link/"' in page


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_csrf_failure_gets_the_designed_page(language):
    # The confirm and withdraw pages keep Django's CSRF check; a browser that lost the
    # cookie gets a page that says what to do, never Django's debugging advice.
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{PREFIX[language]}/s/confirm/{'k9QzXw7Rb2' * 4}/")
    heading = {"en": "This form has expired", "es": "Este formulario ha caducado"}[language]
    page = assert_designed_page(response, status=403, heading=heading, language=language)
    assert "k9QzXw7Rb2" not in page
    assert "CSRF" not in page


@pytest.mark.django_db
def test_a_rate_limited_sign_on_gets_the_429_page_in_its_language(client, settings):
    settings.SIGNON_LIMIT_PER_IP = 1
    campaign = make_campaign()
    data = signon_form()
    url = f"/es/c/{campaign.slug}/sign/"
    assert client.post(url, data, HTTP_ORIGIN=ORIGIN).status_code == 303
    response = client.post(url, {**data, "email": "otro@example.org"}, HTTP_ORIGIN=ORIGIN)
    page = assert_designed_page(response, status=429, heading="Demasiados intentos", language="es")
    assert "Vuelva a intentarlo en" in page
    assert int(response["Retry-After"]) > 0
    assert Signature.objects.count() == 1


@pytest.mark.django_db
def test_allauths_rate_limits_get_the_designed_429_page(client, settings):
    # allauth renders 429.html for its own limits (sign-in, sign-up, password reset).
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "1/h/ip"}
    data = {"email": "someone@example.org"}
    assert client.post("/accounts/password/reset/", data).status_code == 302
    response = client.post("/accounts/password/reset/", data)
    page = assert_designed_page(response, status=429, heading="Too many attempts", language="en")
    assert "Please wait a few minutes, then try again." in page
    assert "someone@example.org" not in page
