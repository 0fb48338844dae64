"""Email providers' tracking webhooks: anymail's views, answering bad requests with a 4xx.

Only the tracking webhooks are served (e.g. /anymail/postmark/tracking/): delivery reports
update each copy through anymail's `tracking` signal (campaigns/delivery.py). Nothing here
receives mail, so anymail's inbound webhooks are not served.

anymail's views answer a request that fails validation (wrong basic-auth secret, bad
signature) with a 400 and let every other exception through as a 500, which providers
take as "try again later". Two kinds of such exceptions are not worth a retry:

- a payload the provider's parser cannot read (not JSON, a list where an object belongs,
  a missing key): refused with a 400 like a failed validation, since anyone can post one;
- a provider this site is not set up for (its signing key or package is missing): a 404,
  with a warning in the log in case it was meant to be set up.

Errors while handling well-formed events (our signal receiver) are still 500s: the
provider retries those.
"""

import logging
from contextlib import contextmanager

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailConfigurationError, AnymailWebhookValidationFailure
from django.http import Http404
from django.urls import path

logger = logging.getLogger(__name__)

# What third-party parsers raise on a payload of the wrong shape.
MALFORMED = (ValueError, LookupError, TypeError, AttributeError)


def _not_set_up(esp_name: str, error: AnymailConfigurationError) -> Http404:
    logger.warning("%s tracking webhook called but not set up here: %s", esp_name, error)
    return Http404()


@contextmanager
def _refusing_bad_payloads(esp_name: str):
    """Around reading a request only: errors in handling its events stay 500s."""
    try:
        yield
    except AnymailWebhookValidationFailure:
        raise
    except AnymailConfigurationError as error:
        raise _not_set_up(esp_name, error) from error
    except MALFORMED as error:
        raise AnymailWebhookValidationFailure(
            f"Unreadable payload in a {esp_name} webhook: {type(error).__name__}"
        ) from error


def tolerant(view_class):
    """The anymail view class, refusing unreadable payloads and unconfigured providers."""

    class TolerantWebhookView(view_class):
        def __init__(self, **kwargs):
            self.unavailable = None
            try:
                super().__init__(**kwargs)
            except AnymailConfigurationError as error:
                self.unavailable = error

        def dispatch(self, request, *args, **kwargs):
            if self.unavailable is not None:
                raise _not_set_up(self.esp_name, self.unavailable) from self.unavailable
            return super().dispatch(request, *args, **kwargs)

        def run_validators(self, request):
            with _refusing_bad_payloads(self.esp_name):
                super().run_validators(request)

        def parse_events(self, request):
            with _refusing_bad_payloads(self.esp_name):
                return list(super().parse_events(request))

    TolerantWebhookView.__name__ = TolerantWebhookView.__qualname__ = view_class.__name__
    return TolerantWebhookView


app_name = "anymail"
urlpatterns = [
    path(
        str(pattern.pattern),
        tolerant(pattern.callback.view_class).as_view(**pattern.callback.view_initkwargs),
        name=pattern.name,
    )
    for pattern in anymail_urls.urlpatterns
    if pattern.name.endswith("_tracking_webhook")
]
