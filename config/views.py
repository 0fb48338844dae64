import logging

from django.conf import settings
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader

logger = logging.getLogger(__name__)

# When even the designed 500 page cannot be rendered (a broken template, a missing static
# manifest): a plain page, in both languages since the active one may be unknown.
SERVER_ERROR_FALLBACK = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Server error</title></head>
<body><h1>Something went wrong</h1>
<p>Please try again in a few minutes. <a href="/">Go to the letters</a></p>
<p lang="es">Algo salió mal. Vuelva a intentarlo en unos minutos.
<a href="/es/">Ir a las cartas</a></p>
</body></html>
"""


def healthz(request):
    """A bare view: for load balancers, and the baseline of the load benchmark."""
    return HttpResponse(b"ok", content_type="text/plain")


def server_error(request):
    """The 500 page (handler500). Like Django's own it renders without the request and its
    context processors, which may be what broke, and without the database; unlike Django's
    it passes the site's name, a setting. In the language of the page asked for."""
    try:
        body = loader.render_to_string("500.html", {"site_name": settings.SITE_NAME})
    except Exception:
        logger.exception("The 500 page could not be rendered; sent the plain one")
        body = SERVER_ERROR_FALLBACK
    return HttpResponseServerError(body)
