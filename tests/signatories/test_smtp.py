"""The confirmation email through a real SMTP server (aiosmtpd) on 127.0.0.1."""

import re
import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from signatories.models import Signature
from tests.factories import make_campaign

from .conftest import ORIGIN, signon_form


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 10},
        }
    }
    yield inbox
    controller.stop()


@pytest.mark.django_db
def test_the_verification_email_arrives_over_smtp_and_its_link_confirms(
    client, smtp_server, django_capture_on_commit_callbacks
):
    campaign = make_campaign(title="Fund shelters")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/c/{campaign.slug}/sign/", signon_form(), HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 303

    (recipients, message), *_ = smtp_server.messages
    assert recipients == ["ana@harborlight.example"]
    assert "Fund shelters" in message["Subject"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    path = re.search(r"https?://[^/\s]+(/s/confirm/[A-Za-z0-9_-]+/)", text).group(1)
    assert path in html

    assert client.get(path).status_code == 200
    assert Signature.objects.get().status == Signature.Status.PENDING
    assert "your signature is confirmed" in client.post(path).content.decode()
    assert Signature.objects.get().status == Signature.Status.VERIFIED
