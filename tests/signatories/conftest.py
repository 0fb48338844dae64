import re

import pytest
from django.core import mail

ORIGIN = "http://testserver"


def signon_form(**overrides) -> dict:
    """A valid sign-on form submission, as a browser sends it."""
    data = {
        "kind": "organization",
        "organization_name": "Harbor Light Collective",
        "signer_name": "Ana Ruiz",
        "signer_title": "Director",
        "email": "ana@harborlight.example",
        "city": "Tacoma",
        "country": "US",
        "state": "WA",
        "region": "",
        "website": "",
        "organization_type": "",
        "authorized": "on",
        "consent_listed": "on",
        "homepage": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def link_in(message, name: str) -> str:
    """The path of a /s/<name>/<token>/ link in an email's text."""
    match = re.search(rf"https?://[^/\s]+(/s/{name}/[A-Za-z0-9_-]+/)", message.body)
    assert match, message.body
    return match.group(1)


def code_in(message) -> str:
    match = re.search(r"\b([2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})\b", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def sign(client, django_capture_on_commit_callbacks):
    """POST the sign-on form from the campaign page (emails are sent inline)."""

    def post(campaign, **overrides):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                f"/c/{campaign.slug}/sign/",
                signon_form(**overrides),
                HTTP_ORIGIN=ORIGIN,
                REMOTE_ADDR="203.0.113.7",
            )

    return post


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run a block's after-commit callbacks (emails, cache renewal) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def outbox():
    return mail.outbox


@pytest.fixture(autouse=True)
def _no_email_interval(settings):
    """Most tests sign again at once and expect the owner to be mailed at once too."""
    settings.SIGNER_EMAIL_INTERVAL_SECONDS = 0
