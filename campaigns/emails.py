"""Every email is three templates: emails/<name>/subject.txt, body.txt and body.html."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation


def email_render(*, template: str, context: dict, language: str = "en") -> tuple[str, str, str]:
    """Subject, plain text and HTML of one email, in the recipient's language."""
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}/subject.txt", context, using="text")
        text = render_to_string(f"emails/{template}/body.txt", context, using="text")
        html = render_to_string(f"emails/{template}/body.html", context)
    # A subject is one line, whatever the template's whitespace.
    return " ".join(subject.split()), text, html


def email_send(
    *,
    template: str,
    to: str,
    context: dict,
    language: str = "en",
    reply_to: list[str] | None = None,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> EmailMultiAlternatives:
    """Send one email to one address (never a list: recipients never see each other)."""
    subject, text, html = email_render(template=template, context=context, language=language)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], reply_to=reply_to or [])
    message.attach_alternative(html, "text/html")
    for filename, content, mimetype in attachments or []:
        message.attach(filename, content, mimetype)
    message.send()
    return message
