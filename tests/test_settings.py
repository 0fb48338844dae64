"""Production settings: they refuse to start without a secret and pass `check --deploy`;
security headers on real pages; secure cookies and HSTS in production; request size limits."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from campaigns.models import CampaignRole
from signatories import verification
from signatories.models import Signature
from tests.factories import make_campaign, make_signature
from tests.html import parse
from tests.lead import make_verified_user
from tests.signatories.conftest import signon_form

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k7#Qz!pW2@vN9$rL5^tY8&uB3*eH6(jD4)gF1-mC0_xS+aZ=oI"
ORIGIN = "http://testserver"


def _manage(*args, env_overrides):
    return _manage_python("manage.py", *args, env_overrides=env_overrides)


def _manage_python(*args, env_overrides):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "PRODUCTION"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _manage("check", env_overrides={"PRODUCTION": "true", "ALLOWED_HOSTS": "example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "PRODUCTION": "true",
            "SECRET_KEY": STRONG_KEY,
            "ALLOWED_HOSTS": "letters.example.org",
            "CACHE_URL": "redis://127.0.0.1:6379/1",  # not connected to by the checks
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


def test_check_deploy_warns_when_each_process_would_keep_its_own_cache():
    result = _manage(
        "check",
        "--deploy",
        env_overrides={
            "PRODUCTION": "true",
            "SECRET_KEY": STRONG_KEY,
            "ALLOWED_HOSTS": "letters.example.org",
            "CACHE_URL": "locmem://",
        },
    )
    assert "campaigns.W002" in result.stderr + result.stdout


# --- Security headers and cookies --------------------------------------------------------

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def _csp(header: str) -> dict[str, str]:
    return dict(part.strip().split(None, 1) for part in header.split(";") if part.strip())


def _real_pages(client) -> dict[str, object]:
    """One response of each kind of page: public, per visitor, form errors, lead, error."""
    campaign = make_campaign(slug="fund-shelters")
    signature = make_signature(campaign=campaign, status=Signature.Status.PENDING)
    token = verification.token_issue(
        signature=signature, purpose=verification.Purpose.CONFIRM, lifetime=timedelta(days=1)
    ).token
    pages = {
        "home": client.get("/"),
        "campaign": client.get("/c/fund-shelters/"),
        "campaign-es": client.get("/es/c/fund-shelters/"),
        "form-errors": client.post(
            "/c/fund-shelters/sign/", signon_form(email="bad"), HTTP_ORIGIN=ORIGIN
        ),
        "signed": client.get("/c/fund-shelters/signed/"),
        "confirm": client.get(f"/s/confirm/{token}/"),
        "privacy": client.get("/privacy/"),
        "login": client.get("/accounts/login/"),
        "not-found": client.get("/es/c/no-such-letter/"),
    }
    lead = make_verified_user()
    CampaignRole.objects.create(campaign=campaign, user=lead, role="owner")
    client.force_login(lead)
    pages["lead-queue"] = client.get("/lead/fund-shelters/signatures/")
    return pages


@pytest.mark.django_db
def test_real_pages_send_the_strict_security_headers_and_run_nothing_inline(client):
    for name, response in _real_pages(client).items():
        expected = 404 if name == "not-found" else 200
        assert response.status_code == expected, name
        # Django's built-in CSP: every script and style is a file of this site.
        assert _csp(response["Content-Security-Policy"]) == CSP, name
        for word in ("unsafe-inline", "unsafe-eval", "unsafe-hashes", "*"):
            assert word not in response["Content-Security-Policy"], name
        assert response["X-Frame-Options"] == "DENY", name
        assert response["Referrer-Policy"] == "same-origin", name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", name
        for tag, attrs in parse(response.content.decode()).elements:
            assert "style" not in attrs, (name, tag)
            assert not [a for a in attrs if a.startswith("on")], (name, tag)
            assert tag != "script" or attrs.get("src") or attrs.get("type") == "application/json"
            assert tag != "style", name


def test_production_cookies_are_secure_and_http_only_and_hsts_is_on():
    result = _manage_python(
        "-m",
        "tests.production_probe",
        env_overrides={
            "PRODUCTION": "true",
            "SECRET_KEY": STRONG_KEY,
            "ALLOWED_HOSTS": "letters.example.org",
            "DATABASE_URL": "sqlite://:memory:",
        },
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout)
    assert probe["status"] == 200
    headers = probe["headers"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert _csp(headers["Content-Security-Policy"]) == CSP
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    # Plain HTTP is sent to HTTPS.
    assert probe["http"] == {
        "status": 301,
        "location": "https://letters.example.org/accounts/login/",
    }
    # The session, CSRF and language cookies: HTTPS only, out of scripts' reach.
    assert set(probe["cookies"]) == {"sessionid", "csrftoken", "django_language"}
    for name, cookie in probe["cookies"].items():
        assert cookie == {"secure": True, "httponly": True, "samesite": "Lax"}, name
    assert probe["settings"]["DEBUG"] is False
    assert probe["settings"]["DATA_UPLOAD_MAX_MEMORY_SIZE"] == 1024 * 1024
    assert probe["settings"]["DATA_UPLOAD_MAX_NUMBER_FIELDS"] == 1000


# --- Request size limits ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"organization_name": "A" * (1024 * 1024 + 1)}, id="body-over-1-MB"),
        pytest.param({f"field{i}": "x" for i in range(1000)}, id="over-1000-fields"),
    ],
)
def test_an_oversized_sign_on_gets_the_400_page_and_creates_nothing(client, mailoutbox, extra):
    campaign = make_campaign()
    response = client.post(f"/es/c/{campaign.slug}/sign/", signon_form(**extra), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 400
    page = response.content.decode()
    assert "<h1>No pudimos leer esta solicitud</h1>" in page
    assert 'class="site-footer"' in page
    assert "AAAA" not in page and "field9" not in page
    assert not Signature.objects.exists()
    assert mailoutbox == []
