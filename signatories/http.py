"""HTTP details of the public pages: shared caching, and the same-origin check for sign-on."""

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers


def _origin(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[" (an unclosed IPv6 address): no origin at all
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def is_same_origin(request) -> bool:
    """Whether a POST comes from a page of this site (Origin header, else Referer).

    The sign-on form sits on a cacheable page without a per-visitor CSRF token. It needs
    no cookie-token check because it acts for no one: it creates only a pending signature
    that counts once its emailed link is confirmed. Checking the origin still stops other
    sites from making visitors' browsers submit it.
    """
    allowed = {
        _origin(f"{request.scheme}://{request.get_host()}"),
        _origin(settings.SITE_URL),
        *(_origin(origin) for origin in settings.CSRF_TRUSTED_ORIGINS),
    }
    allowed.discard("")
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.lower() in allowed
    referer = request.headers.get("Referer")
    return bool(referer) and _origin(referer) in allowed


def is_anonymous_visit(request) -> bool:
    """No session cookie: nothing on the page can be personal, so shared caches may keep it."""
    return settings.SESSION_COOKIE_NAME not in request.COOKIES


def cache_publicly(request, response):
    """Let browsers and shared caches keep an anonymous GET; keep others private."""
    if request.method in ("GET", "HEAD") and is_anonymous_visit(request):
        patch_cache_control(
            response,
            public=True,
            max_age=settings.PUBLIC_CACHE_SECONDS,
            stale_while_revalidate=settings.PUBLIC_STALE_SECONDS,
        )
        # Visitors with a session get a private copy: shared caches must tell them apart.
        patch_vary_headers(response, ["Cookie"])
    else:
        patch_cache_control(response, private=True, no_cache=True)
    return response


def keep_private(response):
    """Pages that carry a token or what someone typed: never stored, never indexed.

    The site-wide "same-origin" referrer policy stays: with "no-referrer" browsers send
    `Origin: null` with the page's own form, and both our origin check and Django's CSRF
    check would refuse it. A token in a Referer only ever reaches this site.
    """
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    response["X-Robots-Tag"] = "noindex"
    return response
