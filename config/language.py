"""Which language a page is in: English at /c/<slug>/, Spanish at /es/c/<slug>/.

The signers' pages sit in `i18n_patterns` without a prefix for English, so a page's
address alone decides its language. That keeps the cacheable campaign page cacheable:
every copy of /es/c/<slug>/ is Spanish, every copy of /c/<slug>/ English, whoever asked.

Two things choose the address:
- a visit to an English address by a browser that prefers Spanish (its Accept-Language,
  or the language cookie) is redirected to the Spanish address (`PreferredLanguageMiddleware`);
- the switcher in the page header links to `language:switch`, a GET that stores the choice
  in the language cookie and redirects to the same page in that language. A link, not a
  form: it needs no CSRF token, so the cached page can carry it and it works without
  JavaScript.

The lead area, accounts and admin are outside `i18n_patterns` and always in English.
"""

from functools import partial
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe


def language_neutral(view):
    """Mark a view whose address must not be redirected by language (e.g. JSON for embeds:
    a cross-origin fetch cannot follow a redirect without CORS headers)."""
    view.language_neutral = True
    return view


def translated_paths(request) -> dict[str, str]:
    """This request's page at the address of each language; empty when it has only one
    address (the lead area, accounts, a 404)."""
    match = request.resolver_match
    if match is None or not match.view_name:
        return {}
    paths = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            try:
                paths[code] = reverse(match.view_name, args=match.args, kwargs=match.kwargs)
            except NoReverseMatch:
                return {}
    return paths if len(set(paths.values())) > 1 else {}


class PreferredLanguageMiddleware:
    """Send a visit to an English page from a browser that prefers Spanish to /es/…

    Only GET and HEAD of pages with a translated address; never a form's POST. The
    redirect depends on Accept-Language and the cookie, so it says so in Vary; the English
    page itself gets `Vary: Accept-Language` from Django's LocaleMiddleware and
    `Vary: Cookie` from `signatories.http.cache_publicly`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method not in ("GET", "HEAD"):
            return None
        if getattr(view_func, "language_neutral", False):
            return None
        if translation.get_language_from_path(request.path_info) is not None:
            return None
        preferred = translation.get_language_from_request(request)
        if preferred == settings.LANGUAGE_CODE:
            return None
        path = translated_paths(request).get(preferred)
        if path is None or path == request.path:
            return None
        query = request.META.get("QUERY_STRING", "")
        response = HttpResponseRedirect(f"{path}?{query}" if query else path)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response


@require_safe
def language_switch(request, code):
    """Remember the visitor's language and show them `next` in it."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    next_url = request.GET.get("next", "/")
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    # translate_url resolves in the active language: read `next` in the language of its own
    # address (/es/… is Spanish), then write it in the chosen one.
    written_in = translation.get_language_from_path(next_url) or settings.LANGUAGE_CODE
    with translation.override(written_in):
        target = translate_url(next_url, code)
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    add_never_cache_headers(response)
    return response


def _switch_links(request) -> list[dict]:
    current = translation.get_language()
    links = []
    for code in translated_paths(request):
        if code == current:
            continue
        info = translation.get_language_info(code)
        query = urlencode({"next": request.get_full_path()})
        links.append(
            {
                "code": code,
                "name": info["name_local"][:1].upper() + info["name_local"][1:],
                "url": f"{reverse('language:switch', kwargs={'code': code})}?{query}",
            }
        )
    return links


def language_links(request) -> dict:
    """Context processor: the header's links to this page in the other languages (none on
    pages that exist in one language only). Computed only when a template asks."""
    return {"language_links": partial(_switch_links, request)}
