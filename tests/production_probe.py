"""Run with PRODUCTION=true (tests/test_settings.py starts it in a subprocess): prints, as
JSON, the security headers and cookies that production settings give real responses.

Static files are not collected here, so the manifest storage is swapped for the plain one;
the session table is made in an in-memory database. Everything else is the settings as
they load.
"""

import json

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.sessions.middleware import SessionMiddleware  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, RequestFactory, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

HOST = "letters.example.org"
PLAIN_STATIC = "django.contrib.staticfiles.storage.StaticFilesStorage"


def cookies(response) -> dict:
    return {
        name: {
            "secure": bool(morsel["secure"]),
            "httponly": bool(morsel["httponly"]),
            "samesite": morsel["samesite"],
        }
        for name, morsel in response.cookies.items()
    }


def session_cookie() -> dict:
    with connection.schema_editor() as editor:
        editor.create_model(Session)

    def view(request):
        request.session["seen"] = True
        return HttpResponse("ok")

    request = RequestFactory().get("/", secure=True, HTTP_HOST=HOST)
    return cookies(SessionMiddleware(view)(request))


def main() -> dict:
    setup_test_environment()
    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": PLAIN_STATIC}}
    with override_settings(STORAGES=plain):
        client = Client(HTTP_HOST=HOST)
        page = client.get("/accounts/login/", secure=True)
        plain_http = client.get("/accounts/login/")
        language = client.get("/language/es/?next=/", secure=True)
    return {
        "status": page.status_code,
        "headers": dict(page.headers),
        "cookies": {**cookies(page), **cookies(language), **session_cookie()},
        "http": {"status": plain_http.status_code, "location": plain_http.get("Location")},
        "settings": {
            name: getattr(settings, name)
            for name in [
                "DEBUG",
                "SESSION_COOKIE_SECURE",
                "SESSION_COOKIE_HTTPONLY",
                "CSRF_COOKIE_SECURE",
                "CSRF_COOKIE_HTTPONLY",
                "LANGUAGE_COOKIE_SECURE",
                "SECURE_HSTS_SECONDS",
                "SECURE_SSL_REDIRECT",
                "DATA_UPLOAD_MAX_MEMORY_SIZE",
                "DATA_UPLOAD_MAX_NUMBER_FIELDS",
            ]
        },
    }


print(json.dumps(main()))
