"""Leads' accounts: allauth with email login, verified addresses and TOTP two-factor."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.urls import reverse

from tests.html import parse
from tests.lead import make_verified_user, totp

PASSWORD = "a-long-test-password"


def _fresh_window():
    # A code is valid for the current 30 s step only; don't start a step that is ending.
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.1)


def _sign_in(client, email, password=PASSWORD, next_url=None):
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": email, "password": password})


def _enrol(client, user) -> str:
    """Sign in, turn on TOTP with a code computed here; returns the secret."""
    assert _sign_in(client, user.email).status_code == 302
    # Turning two-factor on asks for the password again, as any sensitive change does.
    assert client.get(reverse("mfa_activate_totp")).status_code == 302
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    _fresh_window()
    response = client.post(reverse("mfa_activate_totp"), {"code": totp(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    client.post(reverse("account_logout"))
    return secret


def _signed_in(client) -> bool:
    return client.get(reverse("lead:home")).status_code == 200


@pytest.mark.django_db
def test_two_factor_enrolment_then_sign_in_needs_the_current_totp_code(client):
    user = make_verified_user(password=PASSWORD)
    secret = _enrol(client, user)
    assert not _signed_in(client)

    response = _sign_in(client, user.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert not _signed_in(client)  # the password alone is not enough

    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert not _signed_in(client)

    _fresh_window()
    response = client.post(reverse("mfa_authenticate"), {"code": totp(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("lead:home")
    assert _signed_in(client)


@pytest.mark.django_db
def test_a_recovery_code_signs_in_once(client):
    user = make_verified_user(password=PASSWORD)
    _enrol(client, user)
    codes = RecoveryCodes(
        Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    ).get_unused_codes()
    assert len(codes) >= 5

    _sign_in(client, user.email)
    response = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert response.status_code == 302
    assert _signed_in(client)

    client.post(reverse("account_logout"))
    _sign_in(client, user.email)
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert not _signed_in(client)


@pytest.mark.django_db
def test_the_admin_sign_in_goes_through_two_factor(client):
    user = make_verified_user(password=PASSWORD, is_staff=True, is_superuser=True)
    secret = _enrol(client, user)
    response = _sign_in(client, user.email, next_url="/admin/")
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302
    _fresh_window()
    client.post(reverse("mfa_authenticate"), {"code": totp(secret)})
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_an_unverified_address_cannot_sign_in(client):
    from tests.factories import make_user

    user = make_user(password=PASSWORD)  # no confirmed EmailAddress
    response = _sign_in(client, user.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    assert not _signed_in(client)


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_account_for_a_while(client):
    user = make_verified_user(password=PASSWORD)
    for _ in range(5):
        assert _sign_in(client, user.email, password="wrong-password-1").status_code == 200
    response = _sign_in(client, user.email)
    assert response.status_code == 200  # even the right password is refused for now
    assert "Too many failed login attempts" in response.content.decode()
    assert not _signed_in(client)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_reset_password"])
def test_account_pages_use_the_site_layout_without_inline_code(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    page = response.content.decode()
    html = parse(page)
    assert any(
        tag == "link" and attrs.get("href", "").endswith("css/site.css")
        for tag, attrs in html.elements
    )
    assert 'class="skip-link"' in page
    assert 'class="site-footer"' in page
    for tag, attrs in html.elements:
        assert "style" not in attrs
        if tag == "script":
            assert attrs.get("src") or attrs.get("type") == "application/json"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


@pytest.mark.django_db
def test_signing_in_lands_in_the_lead_area(client):
    user = make_verified_user(password=PASSWORD)
    response = _sign_in(client, user.email)
    assert response["Location"] == reverse("lead:home")
