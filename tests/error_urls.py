"""The site's URLconf plus views that fail on purpose, for tests/test_error_pages.py.

Each failure carries SECRET in its exception, as an error message holding something
private might: the error pages must never show it.
"""

from django.conf.urls.i18n import i18n_patterns
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import path

from config.urls import handler500, urlpatterns

SECRET = "Seed.Secret+0451@private-mail.example token=k9QzXw7Rb2"

FAILURES = {
    "400": SuspiciousOperation,
    "403": PermissionDenied,
    "404": Http404,
    "500": RuntimeError,
}


def fail(request, kind):
    raise FAILURES[kind](SECRET)


urlpatterns = [
    *urlpatterns,
    *i18n_patterns(path("fail/<str:kind>/", fail), prefix_default_language=False),
]

__all__ = ["handler500", "urlpatterns"]
