"""Keep secrets out of the logs: the tokens of emailed links.

Django logs the path of every 4xx and 5xx response (django.request) and of every CSRF
failure (django.security.csrf); gunicorn's access log has every path. A confirm, withdraw
or data link's path holds its token, which works for anyone who reads it, so the token is
masked wherever a path is logged. Signers' emails and IPs are never logged in the first
place (the code logs ids; see gunicorn.conf.py for the access log).

No Django imports: gunicorn loads this before Django is set up.
"""

import logging
import re

# /s/confirm/<token>/, /es/privacy/my-data/erase/<token>/, /lead/invitations/<token>/,
# allauth's email-confirmation and password-reset keys.
_LINK_TOKEN = re.compile(
    r"(/(?:s/(?:confirm|withdraw|reconfirm)|privacy/my-data/(?:copy|erase)|lead/invitations"
    r"|accounts/confirm-email|accounts/password/reset/key)/)[^/?#\s\"']{8,}"
)
MASK = "[token]"


def redact_link_tokens(text: str) -> str:
    """The text with every link token replaced by "[token]"."""
    return _LINK_TOKEN.sub(rf"\g<1>{MASK}", text)


class RedactLinkTokens(logging.Filter):
    """A handler filter: formats the record's message and masks link tokens in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_link_tokens(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
