"""Sign-on pages. Each view parses the request, calls one service or selector, renders."""

import json
import logging

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from campaigns.models import Campaign
from campaigns.selectors import campaign_public, campaign_public_cached
from campaigns.views import campaign_page, signer_list_context
from config.language import language_neutral

from .forms import ConfirmByCodeForm, ResendForm, SignOnForm
from .http import cache_publicly, is_same_origin, keep_private
from .models import Signature
from .privacy import client_ip
from .ratelimit import RateLimited
from .selectors import (
    LIST_CACHE_SECONDS,
    is_public,
    letter_version_signed,
    public_list_num_pages,
    public_list_version,
    public_signers,
    signature_count_public,
)
from .services import (
    CONFIRMED_STATUSES,
    FINAL_CAMPAIGN_STATUSES,
    Confirmation,
    SignOnClosed,
    signature_confirm,
    signature_confirm_by_code,
    signature_create,
    signature_reconfirm_by_token,
    signature_resend_confirmation,
    signature_withdraw,
)
from .verification import Purpose, TokenInvalid, token_check

logger = logging.getLogger(__name__)

# A missing token and a forged one look the same; a known but spent one is "gone".
_INVALID_STATUS = {"unknown": 404}


def _public_campaign(slug: str, *, fresh: bool = False) -> Campaign:
    """The public campaign at `slug`, or a 404. Pages that only show it take the cached
    copy; `fresh` reads the database, for sign-on, which acts on whether it is open."""
    campaign = (campaign_public if fresh else campaign_public_cached)(slug=slug)
    if campaign is None:
        raise Http404
    return campaign


def _rate_limited(request, error: RateLimited):
    response = render(
        request,
        "429.html",
        {"minutes": error.retry_after_minutes},
        status=429,
    )
    response["Retry-After"] = str(error.retry_after)
    return keep_private(response)


def _closed(request, campaign):
    return keep_private(
        render(request, "signatories/closed.html", {"campaign": campaign}, status=403)
    )


def _token_invalid(request, error: TokenInvalid):
    signature = error.signature
    context = {
        "reason": error.reason,
        "campaign": signature.campaign if signature is not None else None,
    }
    status = _INVALID_STATUS.get(error.reason, 410)
    return keep_private(render(request, "signatories/token_invalid.html", context, status=status))


@csrf_exempt  # Origin-checked instead: see is_same_origin() and the README.
@require_http_methods(["GET", "HEAD", "POST"])
def sign(request, slug):
    """The sign-on form's target. Whatever the address's history, a valid sign-on gets the
    same redirect to the same "check your email" page."""
    if request.method != "POST":
        return redirect(reverse("campaigns:detail", kwargs={"slug": slug}) + "#sign")
    if not is_same_origin(request):
        logger.info("Sign-on refused: not from this site")
        response = render(request, "signatories/forbidden_origin.html", status=403)
        return keep_private(response)
    campaign = _public_campaign(slug, fresh=True)
    if not campaign.is_open:
        return _closed(request, campaign)
    form = SignOnForm(request.POST, campaign=campaign)
    signed = redirect("signatories:signed", slug=campaign.slug)
    signed.status_code = 303
    if form.is_spam:
        logger.info("Sign-on dropped by the honeypot for campaign %s", campaign.pk)
        return signed
    if not form.is_valid():
        return campaign_page(request, campaign, form=form)
    version = letter_version_signed(
        campaign=campaign, number=form.cleaned_data.get("letter_version")
    )
    try:
        signature_create(
            campaign=campaign,
            data=form.signer_data(),
            ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", ""),
            letter_version=version,
            partner_code=form.cleaned_data["via"],
            language=getattr(request, "LANGUAGE_CODE", "en"),
        )
    except RateLimited as error:
        return _rate_limited(request, error)
    except SignOnClosed:
        return _closed(request, campaign)
    return signed


def signed(request, slug):
    """ "Check your email": the same page after every sign-on, new or repeated."""
    campaign = _public_campaign(slug)
    context = {"campaign": campaign, "token_days": settings.SIGNATURE_TOKEN_DAYS}
    response = render(request, "signatories/signed.html", context)
    return cache_publicly(request, response)


def _confirmed(request, result: Confirmation):
    signature = result.signature
    context = {
        "signature": signature,
        "campaign": signature.campaign,
        "already_confirmed": result.already_confirmed,
        "is_public": is_public(signature),
        "withdraw_url": (
            reverse("signatories:withdraw", kwargs={"token": result.withdraw_token})
            if result.withdraw_token
            else ""
        ),
    }
    return keep_private(render(request, "signatories/confirmed.html", context))


def _unusable_for_confirming(request, error: TokenInvalid):
    signature = error.signature
    if signature is not None and signature.status in CONFIRMED_STATUSES:
        return _confirmed(request, Confirmation(signature, True, ""))
    if signature is not None and signature.status == Signature.Status.WITHDRAWN:
        error = TokenInvalid("withdrawn", signature)
    return _token_invalid(request, error)


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, token):
    """The emailed link. A GET only shows a button: mail scanners fetch links, and must
    not confirm anything by doing so. The button POSTs (with Django's CSRF check)."""
    if request.method == "POST":
        try:
            result = signature_confirm(token=token)
        except TokenInvalid as error:
            return _token_invalid(request, error)
        return _confirmed(request, result)
    try:
        record = token_check(token=token, purpose=Purpose.CONFIRM)
    except TokenInvalid as error:
        return _unusable_for_confirming(request, error)
    signature = record.signature
    if signature.status != Signature.Status.PENDING and signature.status != (
        Signature.Status.EXPIRED
    ):
        return _unusable_for_confirming(request, TokenInvalid("used", signature))
    context = {"signature": signature, "campaign": signature.campaign}
    return keep_private(render(request, "signatories/confirm.html", context))


@require_http_methods(["GET", "HEAD", "POST"])
def confirm_by_code(request):
    """For signers who cannot follow the link: type the address and the emailed code."""
    form = ConfirmByCodeForm(request.POST or None)
    error = None
    if request.method == "POST" and form.is_valid():
        try:
            result = signature_confirm_by_code(
                email=form.cleaned_data["email"],
                code=form.cleaned_data["code"],
                ip=client_ip(request),
            )
        except RateLimited as limited:
            return _rate_limited(request, limited)
        except TokenInvalid as invalid:
            if invalid.reason in ("withdrawn", "delivered"):
                return _token_invalid(request, invalid)
            error = invalid
        else:
            return _confirmed(request, result)
    response = render(
        request,
        "signatories/confirm_by_code.html",
        {"form": form, "code_rejected": error is not None},
        status=400 if error is not None else 200,
    )
    return keep_private(response)


@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request, token):
    """The withdraw link: a GET asks, a POST withdraws (until the letter is delivered)."""
    if request.method == "POST":
        try:
            result = signature_withdraw(token=token)
        except TokenInvalid as error:
            return _token_invalid(request, error)
        context = {
            "signature": result.signature,
            "campaign": result.signature.campaign,
            "already_withdrawn": result.already_withdrawn,
        }
        return keep_private(render(request, "signatories/withdrawn.html", context))
    try:
        record = token_check(token=token, purpose=Purpose.WITHDRAW)
    except TokenInvalid as error:
        if error.signature is not None and error.signature.status == Signature.Status.WITHDRAWN:
            context = {
                "signature": error.signature,
                "campaign": error.signature.campaign,
                "already_withdrawn": True,
            }
            return keep_private(render(request, "signatories/withdrawn.html", context))
        return _token_invalid(request, error)
    signature = record.signature
    if signature.campaign.status in FINAL_CAMPAIGN_STATUSES:
        return _token_invalid(request, TokenInvalid("delivered", signature))
    context = {"signature": signature, "campaign": signature.campaign}
    return keep_private(render(request, "signatories/withdraw.html", context))


@require_http_methods(["GET", "HEAD", "POST"])
def reconfirm(request, token):
    """The link asking a signer to re-confirm a substantive change: a GET shows what changed
    and a button, the button POSTs."""
    if request.method == "POST":
        try:
            signature = signature_reconfirm_by_token(token=token)
        except TokenInvalid as error:
            return _token_invalid(request, error)
        except ValidationError as error:
            context = {"problem": error.messages[0], "campaign": None}
            response = render(request, "signatories/reconfirmed.html", context, status=409)
            return keep_private(response)
        context = {"signature": signature, "campaign": signature.campaign}
        return keep_private(render(request, "signatories/reconfirmed.html", context))
    try:
        record = token_check(token=token, purpose=Purpose.RECONFIRM)
    except TokenInvalid as error:
        return _token_invalid(request, error)
    context = {
        "signature": record.signature,
        "campaign": record.signature.campaign,
        "version": record.letter_version,
    }
    return keep_private(render(request, "signatories/reconfirm.html", context))


@require_http_methods(["GET", "HEAD", "POST"])
def resend(request):
    """ "Send me a new link": the same answer whether or not the address has signed."""
    form = ResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            signature_resend_confirmation(email=form.cleaned_data["email"], ip=client_ip(request))
        except RateLimited as error:
            return _rate_limited(request, error)
        return keep_private(render(request, "signatories/resend.html", {"sent": True}))
    return keep_private(render(request, "signatories/resend.html", {"form": form}))


def signers(request, slug):
    """The public list, one page at a time (page 1 is also on the campaign page)."""
    campaign = _public_campaign(slug)
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        raise Http404 from None
    count = signature_count_public(campaign=campaign)
    if (
        not 1
        <= number
        <= public_list_num_pages(count=count, page_size=settings.SIGNER_LIST_PAGE_SIZE)
    ):
        raise Http404
    context = {"campaign": campaign, **signer_list_context(campaign=campaign, page_number=number)}
    response = render(request, "signatories/signers.html", context)
    return cache_publicly(request, response)


@language_neutral
def signatures_json(request, slug):
    """The count and the public list as JSON, for embeds: public fields only, cacheable.

    Region names are in the address's language (/es/c/<slug>/signatures.json in Spanish).
    """
    campaign = _public_campaign(slug)
    version = public_list_version(campaign=campaign)
    language = translation.get_language()
    etag = f'"{campaign.pk}-{version}-{language}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is None:
        key = f"signatories:json:{campaign.pk}:{version}:{language}"
        body = cache.get(key)
        if body is None:
            signers = public_signers(campaign=campaign)
            body = json.dumps(
                {
                    "campaign": {
                        "slug": campaign.slug,
                        "title": campaign.title,
                        "status": campaign.status,
                        "url": settings.SITE_URL + campaign.get_absolute_url(),
                    },
                    "count": len(signers),
                    "signers": [signer.as_json() for signer in signers],
                },
                ensure_ascii=False,
                separators=(",", ":"),
            ).encode()
            cache.set(key, body, LIST_CACHE_SECONDS)
        response = HttpResponse(body, content_type="application/json")
    else:
        response = not_modified
    response["ETag"] = etag
    # Public data meant for other sites' embeds.
    response["Access-Control-Allow-Origin"] = "*"
    # The list is the same for everyone, signed in or not.
    patch_cache_control(
        response,
        public=True,
        max_age=settings.PUBLIC_CACHE_SECONDS,
        stale_while_revalidate=settings.PUBLIC_STALE_SECONDS,
    )
    return response
