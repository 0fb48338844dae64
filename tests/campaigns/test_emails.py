from django.core import mail

from campaigns.emails import email_send


def test_email_is_sent_as_text_and_html_to_one_address(settings):
    settings.SITE_NAME = "Common Ground"
    email_send(
        template="example",
        to="a@example.org",
        context={"name": "<b>Ana</b>"},
        reply_to=["team@example.org"],
        attachments=[("letter.pdf", b"%PDF-1.7", "application/pdf")],
    )
    (message,) = mail.outbox
    assert message.subject == "Hello from Common Ground"
    assert message.to == ["a@example.org"]
    assert message.reply_to == ["team@example.org"]
    assert "Hello <b>Ana</b>," in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "&lt;b&gt;Ana&lt;/b&gt;" in html
    assert message.attachments[0].filename == "letter.pdf"
