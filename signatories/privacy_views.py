"""Privacy pages: what is kept and for how long, and a signer's requests about their data.

Each view parses the request, calls one service, renders. The link pages show a button:
a GET changes nothing, because mail scanners fetch links; the button POSTs.
"""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from .data_requests import data_copy_request, data_request_start, erasure_preview, signer_erase
from .forms import ResendForm
from .http import cache_publicly, keep_private
from .privacy import client_ip
from .ratelimit import RateLimited
from .verification import Purpose, TokenInvalid, token_check
from .views import _rate_limited


def policy(request):
    """The privacy page, its periods read from the settings; the same for every visitor."""
    context = {
        "token_days": settings.SIGNATURE_TOKEN_DAYS,
        "pending_days": settings.PENDING_SIGNATURE_DAYS,
        "retention_days": settings.RETENTION_DAYS,
        "quota_days": settings.EMAIL_QUOTA_DAYS,
        "emails_per_day": settings.SIGNER_EMAILS_PER_DAY,
        "window_minutes": settings.RATE_LIMIT_WINDOW_MINUTES,
        "link_hours": settings.DATA_REQUEST_LINK_HOURS,
    }
    return cache_publicly(request, render(request, "privacy/policy.html", context))


def _link_invalid(request, error: TokenInvalid):
    status = 404 if error.reason == "unknown" else 410
    context = {"reason": error.reason}
    return keep_private(render(request, "privacy/link_invalid.html", context, status=status))


@require_http_methods(["GET", "HEAD", "POST"])
def data_request(request):
    """ "What do you hold about me?": the same answer whether or not the address signed."""
    form = ResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            data_request_start(email=form.cleaned_data["email"], ip=client_ip(request))
        except RateLimited as error:
            return _rate_limited(request, error)
        return keep_private(render(request, "privacy/request.html", {"sent": True}))
    context = {"form": form, "link_hours": settings.DATA_REQUEST_LINK_HOURS}
    return keep_private(render(request, "privacy/request.html", context))


@require_http_methods(["GET", "HEAD", "POST"])
def data_copy(request, token):
    """The emailed "send me a copy" link."""
    try:
        if request.method == "POST":
            count = data_copy_request(token=token)
            return keep_private(render(request, "privacy/copy.html", {"sent": count}))
        token_check(token=token, purpose=Purpose.DATA_REQUEST)
    except TokenInvalid as error:
        return _link_invalid(request, error)
    return keep_private(render(request, "privacy/copy.html", {}))


@require_http_methods(["GET", "HEAD", "POST"])
def erase(request, token):
    """The emailed "erase my contact data" link: a GET shows what would happen."""
    try:
        if request.method == "POST":
            result = signer_erase(token=token)
        else:
            result = erasure_preview(token=token)
    except TokenInvalid as error:
        return _link_invalid(request, error)
    context = {"erasure": result, "done": request.method == "POST" or result.already_erased}
    return keep_private(render(request, "privacy/erase.html", context))
