from functools import partial

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation

from signatories.forms import SignOnForm
from signatories.http import cache_publicly, is_anonymous_visit, keep_private
from signatories.selectors import (
    LIST_CACHE_SECONDS,
    public_list_groups,
    public_list_index,
    public_list_page,
    public_list_version,
)

from .delivery import snapshot_path
from .diff import letter_diff, letter_diff_stats
from .models import Campaign
from .pdf import SAMPLE_RECIPIENT, pdf_build
from .permissions import campaign_for_lead
from .selectors import (
    campaign_public_cached,
    campaigns_public,
    delivered_copy,
    delivery_receipt,
    letter_version_current,
)

RECEIPT_PAGE_SIZE = 500


def home(request):
    campaigns = list(campaigns_public())
    return render(
        request,
        "campaigns/home.html",
        {
            "open_campaigns": [c for c in campaigns if c.status == Campaign.Status.OPEN],
            "past_campaigns": [c for c in campaigns if c.status != Campaign.Status.OPEN],
        },
    )


def signer_list_context(*, campaign: Campaign, page_number: int) -> dict:
    """The public list's context; the page itself is computed only on a cache miss."""
    page_size = settings.SIGNER_LIST_PAGE_SIZE
    groups = public_list_groups(campaign=campaign)  # cached; gives the count and the index
    count = sum(group.count for group in groups)
    return {
        "signer_count": count,
        "list_version": public_list_version(campaign=campaign),
        "page_number": page_number,
        # Callables: the template calls them inside its {% cache %} block, on a miss only.
        "signer_page": partial(
            public_list_page,
            campaign=campaign,
            number=page_number,
            page_size=page_size,
            groups=groups,
        ),
        "signer_index": partial(
            public_list_index, campaign=campaign, page_size=page_size, groups=groups
        ),
    }


def campaign_page(request, campaign: Campaign, *, form: SignOnForm | None = None):
    """The campaign page: the letter, the sign-on form and the public list.

    With an unbound form the page is the same for every anonymous visitor (no CSRF token:
    see signatories.views.sign), so shared caches may keep it. With a bound form it shows
    what one visitor typed and is never stored.
    """
    page_key = _shared_page_key(request, campaign) if form is None else None
    if page_key is not None:
        body = cache.get(page_key)
        if body is not None:
            return cache_publicly(request, HttpResponse(body))
    version = letter_version_current(campaign=campaign)
    if form is None:
        via = request.GET.get("via", "")[:40]
        form = SignOnForm(
            campaign=campaign,
            initial={"letter_version": version.number, "via": via if via.isascii() else ""},
        )
    context = {
        "campaign": campaign,
        "version": version,
        "form": form,
        **signer_list_context(campaign=campaign, page_number=1),
    }
    response = render(request, "campaigns/detail.html", context)
    if page_key is not None:
        cache.set(page_key, response.content, LIST_CACHE_SECONDS)
    return keep_private(response) if form.is_bound else cache_publicly(request, response)


def _shared_page_key(request, campaign: Campaign) -> str | None:
    """Where the campaign page as every anonymous visitor sees it is kept; None for a
    visitor whose page may differ (a session or a message to show, a query string).

    The key changes with everything on the page: the campaign (its `updated_at` is in
    the list version), the public list, the letter (a new version renews the list
    version), the language, and sign-on closing at its deadline.
    """
    if request.method not in ("GET", "HEAD") or request.META.get("QUERY_STRING"):
        return None
    if not is_anonymous_visit(request) or "messages" in request.COOKIES:
        return None
    return (
        f"campaigns:page:{campaign.pk}:{public_list_version(campaign=campaign)}:"
        f"{translation.get_language()}:{int(campaign.is_open)}"
    )


def campaign_detail(request, slug):
    campaign = campaign_public_cached(slug=slug)
    if campaign is None:
        raise Http404
    return campaign_page(request, campaign)


def version_history(request, slug):
    """Every text the letter has had, newest first, so signers can see what they signed."""
    campaign = get_object_or_404(Campaign.objects.exclude(status=Campaign.Status.DRAFT), slug=slug)
    return render(
        request,
        "campaigns/versions.html",
        {"campaign": campaign, "versions": campaign.versions.order_by("-number")},
    )


def version_detail(request, slug, number):
    """One version's text and what changed from the version before it."""
    campaign = get_object_or_404(Campaign.objects.exclude(status=Campaign.Status.DRAFT), slug=slug)
    version = get_object_or_404(campaign.versions, number=number)
    previous = campaign.versions.filter(number__lt=number).order_by("-number").first()
    diff = letter_diff(previous, version) if previous else None
    return render(
        request,
        "campaigns/version.html",
        {
            "campaign": campaign,
            "version": version,
            "previous": previous,
            "diff": diff,
            "stats": letter_diff_stats(diff) if diff else None,
        },
    )


@login_required
def letter_pdf_preview(request, slug):
    """The letter as recipients will get it, shown inline; `?cover=1` adds a sample cover."""
    campaign, _role = campaign_for_lead(user=request.user, slug=slug)
    recipient = SAMPLE_RECIPIENT if request.GET.get("cover") == "1" else None
    built = pdf_build(campaign=campaign, recipient=recipient)
    response = FileResponse(
        built.path.open("rb"),
        content_type="application/pdf",
        filename=f"{campaign.slug}-letter.pdf",
    )
    response["Cache-Control"] = "private, no-cache"
    return response


def delivery_receipt_page(request, slug):
    """When the letter went out, to how many offices, and the sha256 of each copy's PDF.

    Office names are public officials'; nothing about signers is on this page.
    """
    campaign = get_object_or_404(Campaign.objects.exclude(status=Campaign.Status.DRAFT), slug=slug)
    receipt = delivery_receipt(campaign=campaign)
    page = Paginator(receipt.copies, RECEIPT_PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(
        request,
        "campaigns/receipt.html",
        {"campaign": campaign, "receipt": receipt, "page": page},
    )
    return cache_publicly(request, response)


def delivered_pdf(request, slug, sha256):
    """A delivered copy, by the sha256 the receipt lists, so anyone can check it."""
    campaign = get_object_or_404(Campaign.objects.exclude(status=Campaign.Status.DRAFT), slug=slug)
    copy = delivered_copy(campaign=campaign, sha256=sha256)
    path = snapshot_path(copy) if copy else None
    if path is None:
        raise Http404
    response = FileResponse(
        path.open("rb"), content_type="application/pdf", filename=f"{campaign.slug}-{sha256}.pdf"
    )
    return cache_publicly(request, response)
