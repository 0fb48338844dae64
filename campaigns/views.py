from django.shortcuts import get_object_or_404, render

from .diff import letter_diff, letter_diff_stats
from .models import Campaign
from .selectors import campaigns_public, letter_version_current


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


def campaign_detail(request, slug):
    campaign = get_object_or_404(Campaign.objects.exclude(status=Campaign.Status.DRAFT), slug=slug)
    return render(
        request,
        "campaigns/detail.html",
        {"campaign": campaign, "version": letter_version_current(campaign=campaign)},
    )


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
